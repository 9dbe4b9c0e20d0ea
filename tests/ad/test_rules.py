"""The rule registry: user rules declared with defpartials / defjvp / defvjp,
non-differentiable functions, and what the registry holds."""
import ast
import math
import re

import numpy as np
import pytest

import s2sad
from s2sad.rules import all_rules, lookup


# ---------------------------------------------------------------------------
# User functions with rules (module level, as users write them)
# ---------------------------------------------------------------------------
def mysquare(x):
    return x * x


@s2sad.defpartials(mysquare)
def mysquare_partials(x):
    return 2 * x


def scaled_diff(x, y):
    return 3.0 * x - y


@s2sad.defpartials(scaled_diff)
def scaled_diff_partials(x, y):
    return 3.0, -1.0


def mycube(x):
    return x * x * x


@s2sad.defjvp(mycube)
def mycube_jvp(x, *, ans, x_dot):
    return 3.0 * x * x * x_dot


@s2sad.defvjp(mycube)
def mycube_vjp(x, *, ans, ans_bar):
    return ans_bar * 3.0 * x * x


def forward_only(x):
    return x + 1.0


@s2sad.defjvp(forward_only)
def forward_only_jvp(x, *, x_dot):
    return x_dot


def my_step(x):
    if x > 0:
        return 1.0
    return 0.0


s2sad.nondifferentiable(my_step)


def uses_mysquare(x, y):
    return mysquare(x) * y + mysquare(y)


def uses_scaled_diff(x, y):
    return scaled_diff(x * y, y) ** 2


def uses_mycube(x):
    return mycube(x) + mycube(2.0 * x)


def uses_forward_only(x):
    return forward_only(x) * x


def uses_step(x):
    return my_step(x - 1.0) * x + x


def uses_floor(x, y):
    return math.floor(x) * y + np.sign(y) * x + round(x) + len((x, y))


# ---------------------------------------------------------------------------
def _has_product(src, *factors):
    """Whether some line multiplies ``factors`` in any order (the builder may
    reorder a rule's constant factors, ``2 * x`` or ``x * 2``)."""
    import itertools
    for order in itertools.permutations(factors):
        if " * ".join(order) in src:
            return True
    return False


def test_defpartials_rule_in_forward_mode():
    src = s2sad.derivative_source(uses_mysquare, "forward", args=(1.5, 0.5))
    assert "mysquare(x)" in src and "mysquare(y)" in src
    assert _has_product(src, "2", "x") and _has_product(src, "2", "y"), src  # the rule, inlined
    assert not re.search(r"\bmysquare_jvp\b", src)  # the rule, not the body of mysquare
    _, t = s2sad.jvp(uses_mysquare, (1.5, 0.5), (1.0, 0.0))
    assert t == pytest.approx(2 * 1.5 * 0.5)
    _, t = s2sad.jvp(uses_mysquare, (1.5, 0.5), (0.0, 1.0))
    assert t == pytest.approx(1.5 ** 2 + 2 * 0.5)


def test_defpartials_rule_in_reverse_mode():
    src = s2sad.derivative_source(uses_mysquare, "reverse", args=(1.5, 0.5))
    assert _has_product(src, "2", "x") and _has_product(src, "2", "y"), src
    assert not re.search(r"\bmysquare_vjp\b", src)
    gx, gy = s2sad.grad(uses_mysquare, argnums=(0, 1))(1.5, 0.5)
    assert (gx, gy) == pytest.approx((2 * 1.5 * 0.5, 1.5 ** 2 + 2 * 0.5))


def test_defpartials_with_two_arguments_and_constant_partials():
    _, t = s2sad.jvp(uses_scaled_diff, (1.5, 0.5), (1.0, 0.0))
    inner = 3.0 * 1.5 * 0.5 - 0.5
    assert t == pytest.approx(2 * inner * 3.0 * 0.5)
    gx, gy = s2sad.grad(uses_scaled_diff, argnums=(0, 1))(1.5, 0.5)
    assert gx == pytest.approx(2 * inner * 3.0 * 0.5)
    assert gy == pytest.approx(2 * inner * (3.0 * 1.5 - 1.0))


def test_the_rule_is_used_not_the_body():
    # a deliberately different rule shows which one the transforms read
    def shifted(x):
        return x

    rule_src = "def shifted_partials(x):\n    return 10.0\n"
    try:
        s2sad.defpartials(shifted)(s2sad.from_source(rule_src))
        caller = s2sad.from_source("def caller(x):\n    return shifted(x) * 2.0\n",
                                   globals={"shifted": shifted})
        assert s2sad.jvp(caller, (1.0,), (1.0,))[1] == pytest.approx(20.0)
        assert s2sad.grad(caller)(1.0) == pytest.approx(20.0)
    finally:
        from s2sad.rules import registry
        registry._RULES.pop(registry._key(shifted), None)
        registry._invalidate()


def test_defjvp_and_defvjp_rules():
    fsrc = s2sad.derivative_source(uses_mycube, "forward", args=(1.5,))
    assert _has_product(fsrc, "3.0", "x", "x", "x_dot"), fsrc  # the jvp rule's text
    assert not re.search(r"\bmycube_jvp\b", fsrc)
    rsrc = s2sad.derivative_source(uses_mycube, "reverse", args=(1.5,))
    assert _has_product(rsrc, "y_bar", "3.0", "x", "x"), rsrc  # the vjp rule's text
    assert not re.search(r"\bmycube_vjp\b", rsrc)
    expected = 3 * 1.5 ** 2 + 2.0 * 3 * (2.0 * 1.5) ** 2
    assert s2sad.jvp(uses_mycube, (1.5,), (1.0,))[1] == pytest.approx(expected)
    assert s2sad.grad(uses_mycube)(1.5) == pytest.approx(expected)
    rule = lookup(mycube)
    assert rule.library == "user" and rule.has_forward and rule.has_reverse


def test_jvp_rule_without_vjp_rule():
    assert s2sad.jvp(uses_forward_only, (1.5,), (1.0,))[1] == pytest.approx(2 * 1.5 + 1.0)
    with pytest.raises(s2sad.S2sadError) as info:
        s2sad.grad(uses_forward_only)(1.5)
    message = str(info.value)
    assert "forward_only" in message and "reverse" in message and "defvjp" in message


def test_nondifferentiable_user_function_has_no_tangent():
    src = s2sad.derivative_source(uses_step, "forward", args=(1.5,))
    assert not re.search(r"\bmy_step_jvp\b", src)
    assert "my_step(" in src
    tangents = [n.id for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Store) and "_dot" in n.id]
    assert tangents and not any("step" in t for t in tangents), src
    assert s2sad.jvp(uses_step, (1.5,), (1.0,))[1] == pytest.approx(2.0)
    assert s2sad.jvp(uses_step, (0.5,), (1.0,))[1] == pytest.approx(1.0)
    assert s2sad.grad(uses_step)(1.5) == pytest.approx(2.0)
    assert lookup(my_step).nondiff


def test_builtin_nondifferentiable_functions_give_no_tangent():
    src = s2sad.derivative_source(uses_floor, "forward", args=(1.5, -0.5))
    for name in ("floor", "sign", "round", "len"):
        assert f"{name}_dot" not in src and f"{name}_x_dot" not in src, src
    _, t = s2sad.jvp(uses_floor, (1.5, -0.5), (1.0, 0.0))
    assert t == pytest.approx(-1.0)  # d/dx of sign(y) * x
    _, t = s2sad.jvp(uses_floor, (1.5, -0.5), (0.0, 1.0))
    assert t == pytest.approx(1.0)  # floor(x)
    assert s2sad.grad(uses_floor, argnums=(0, 1))(1.5, -0.5) == pytest.approx((-1.0, 1.0))


def test_rule_text_appears_in_the_generated_code():
    # elementwise.TABLE says cos: -sin(x); for np.cos that is -np.sin(x)
    src = s2sad.derivative_source(lambda_free_cos, "forward", args=(0.3,))
    tangent = [line for line in src.splitlines() if line.strip().startswith("y_dot =")]
    assert len(tangent) == 1 and "np.sin(x)" in tangent[0] and "-" in tangent[0], src
    src = s2sad.derivative_source(lambda_free_cos, "reverse", args=(0.3,))
    adjoint = [line for line in src.splitlines() if line.strip().startswith("x_bar =")]
    assert len(adjoint) == 1 and "np.sin(x)" in adjoint[0] and "-" in adjoint[0], src


def lambda_free_cos(x):
    return np.cos(x)


def test_registry_holds_each_primitive_once():
    rules = all_rules()
    keys = [r.primitive if isinstance(r.primitive, str) else id(r.primitive) for r in rules]
    assert len(keys) == len(set(keys))
    libraries = {r.library for r in rules}
    assert {"core", "math", "numpy", "user"} <= libraries
    for r in rules:
        assert r.nondiff or r.has_forward or r.has_reverse, r


def test_partials_give_both_modes():
    for r in all_rules():
        if r.partials is not None:
            assert r.has_forward and r.has_reverse, r


def test_redefining_a_rule_replaces_it():
    def twice(x):
        return 2.0 * x

    caller = s2sad.from_source("def caller2(x):\n    return twice(x)\n",
                               globals={"twice": twice})
    from s2sad.rules import registry
    try:
        s2sad.defpartials(twice)(s2sad.from_source("def p(x):\n    return 2.0\n"))
        assert s2sad.grad(caller)(1.0) == pytest.approx(2.0)
        s2sad.defpartials(twice)(s2sad.from_source("def p(x):\n    return 5.0\n"))
        assert s2sad.grad(caller)(1.0) == pytest.approx(5.0)  # caches were cleared
        assert s2sad.jvp(caller, (1.0,), (1.0,))[1] == pytest.approx(5.0)
    finally:
        registry._RULES.pop(registry._key(twice), None)
        registry._invalidate()


def _rotate(v, k):
    return np.roll(v, k) * 2.0  # linear in v; the rule below is what s2sad uses


def _rotate_transpose(v, k, *, ans_bar):
    return np.roll(ans_bar, -k) * 2.0  # only v's cotangent: k has none


def test_deflinear_with_a_transpose_gives_both_modes():
    s2sad.rules.deflinear(_rotate, (0,), transpose=_rotate_transpose)
    try:
        def f(v):
            return np.sum(_rotate(v, 1) * np.arange(1.0, 5.0))

        v = np.array([0.3, -1.2, 2.0, 0.5])
        w = np.arange(1.0, 5.0)
        expected = 2.0 * np.roll(w, -1)  # the gradient, from the definition
        np.testing.assert_allclose(s2sad.grad(f)(v), expected, rtol=1e-12)
        d = np.array([1.0, 0.5, -0.25, 2.0])
        _, t = s2sad.jvp(f, (v,), (d,))
        h = 1e-6
        assert t == pytest.approx((f(v + h * d) - f(v - h * d)) / (2 * h), rel=1e-7)
        assert "_rotate(v_dot, 1)" in s2sad.derivative_source(f, "forward", args=(v,))
    finally:
        s2sad.rules.registry._RULES.pop(id(_rotate), None)
        s2sad.rules.registry._invalidate()


def test_structural_primitives_are_registry_entries_read_by_both_modes(monkeypatch):
    from s2sad.rules.registry import structural_rule, structural_rules
    kinds = {r.name for r in structural_rules()}
    assert {"getitem", "setitem", "build", "unpack", "getattr", "copy", "method:append",
            "method:pop"} <= kinds
    getitem = structural_rule("getitem")
    assert getitem.pure and not getitem.writes and structural_rule("setitem").writes
    seen = []
    for which in ("structural_jvp", "structural_vjp"):
        original = getattr(getitem, which)

        def spy(*args, _original=original, _which=which):
            seen.append(_which)
            return _original(*args)
        monkeypatch.setattr(getitem, which, spy)

    def pick(v):
        return v[1] * 3.0

    v = np.array([1.0, 2.0, 4.0])
    s2sad.rules.registry._invalidate()
    np.testing.assert_allclose(s2sad.grad(pick)(v), [0.0, 3.0, 0.0])
    assert s2sad.jvp(pick, (v,), (np.array([0.0, 1.0, 0.0]),))[1] == 3.0
    assert seen.count("structural_vjp") >= 1 and seen.count("structural_jvp") >= 1
    s2sad.rules.registry._invalidate()
