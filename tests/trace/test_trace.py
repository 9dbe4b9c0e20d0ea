"""Evaluation traces and computational graphs (issue 8): ``s2sad.trace``,
``s2sad.graph`` and the ``s2sad trace`` / ``s2sad graph`` subcommands.

The expected tables are the seeds' (Baydin et al. 2018, as in
shared/seeds/000_*.txt, 001_*.txt and 004_*.txt): the same rows in the same
order, the same symbolic rules, the values to three decimals.
"""
import math
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

import s2sad
from s2sad.cli import main
from s2sad.errors import S2sadError

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "textbook.py"


# ---------------------------------------------------------------------------
# The seeds' functions
# ---------------------------------------------------------------------------
def f(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def g(x):
    return np.cos(5 * x ** 2)


def F(x1, x2):
    return x1 * x2 + np.cos(x1), x2 ** 3 + np.log(x1) - x2


def F_seed_order(x1, x2):
    """F written in the order of the seed 001's trace (v1 = cos v-1, v2 = ln v-1, ...)."""
    v1 = np.cos(x1)
    v2 = np.log(x1)
    v3 = x1 * x2
    v4 = x2 ** 3
    y1 = v1 + v3
    y2 = v4 + v2 - x2
    return y1, y2


def cols(rows, *names):
    return [tuple(getattr(r, n) for n in names) for r in rows]


# ---------------------------------------------------------------------------
# Seed 000/004: f(x1, x2) = ln x1 + x1 x2 - sin x2 at (2, 5)
# ---------------------------------------------------------------------------
def test_forward_trace_of_the_seeds_example():
    t = s2sad.trace(f, 2, 5, mode="forward", tangents=(1, 0))
    assert cols(t.rows, "name", "definition", "value_text", "derivative_name", "derivative",
                "derivative_value_text") == [
        ("v₋₁", "x1", "2", "v̇₋₁", "ẋ1", "1"),
        ("v₀", "x2", "5", "v̇₀", "ẋ2", "0"),
        ("v₁", "ln v₋₁", "0.693", "v̇₁", "v̇₋₁ / v₋₁", "0.5"),
        ("v₂", "v₋₁ × v₀", "10", "v̇₂", "v̇₋₁ × v₀ + v̇₀ × v₋₁", "5"),
        ("v₃", "sin v₀", "-0.959", "v̇₃", "v̇₀ × cos v₀", "0"),
        ("v₄", "v₁ + v₂", "10.693", "v̇₄", "v̇₁ + v̇₂", "5.5"),
        ("v₅", "v₄ − v₃", "11.652", "v̇₅", "v̇₄ − v̇₃", "5.5"),
        ("y", "v₅", "11.652", "ẏ", "v̇₅", "5.5"),
    ]
    assert [r.index for r in t.rows] == [-1, 0, 1, 2, 3, 4, 5, None]
    assert [r.section for r in t.rows] == ["input"] * 2 + ["primal"] * 5 + ["output"]
    assert round(t.value, 3) == 11.652 and round(t.derivative, 3) == 5.5
    _, tangent = s2sad.jvp(f, (2.0, 5.0), (1.0, 0.0))
    assert t.derivative == pytest.approx(tangent)


def test_reverse_trace_of_the_seeds_example():
    t = s2sad.trace(f, 2, 5, mode="reverse")
    assert cols(t.primal_rows, "name", "definition", "value_text") == [
        ("v₋₁", "x1", "2"), ("v₀", "x2", "5"), ("v₁", "ln v₋₁", "0.693"),
        ("v₂", "v₋₁ × v₀", "10"), ("v₃", "sin v₀", "-0.959"), ("v₄", "v₁ + v₂", "10.693"),
        ("v₅", "v₄ − v₃", "11.652"), ("y", "v₅", "11.652")]
    assert all(r.derivative is None for r in t.primal_rows)
    # the seeds' reverse adjoint trace, in the order the reverse sweep runs it
    assert cols(t.adjoint_rows, "name", "chain", "derivative", "derivative_value_text",
                "accumulate") == [
        ("v̄₅", None, "ȳ", "1", False),
        ("v̄₄", "v̄₅ ∂v₅/∂v₄", "v̄₅ × 1", "1", False),
        ("v̄₃", "v̄₅ ∂v₅/∂v₃", "v̄₅ × (−1)", "-1", False),
        ("v̄₁", "v̄₄ ∂v₄/∂v₁", "v̄₄ × 1", "1", False),
        ("v̄₂", "v̄₄ ∂v₄/∂v₂", "v̄₄ × 1", "1", False),
        ("v̄₀", "v̄₃ ∂v₃/∂v₀", "v̄₃ × cos v₀", "-0.284", False),
        ("v̄₋₁", "v̄₂ ∂v₂/∂v₋₁", "v̄₂ × v₀", "5", False),
        ("v̄₀", "v̄₀ + v̄₂ ∂v₂/∂v₀", "v̄₀ + v̄₂ × v₋₁", "1.716", True),
        ("v̄₋₁", "v̄₋₁ + v̄₁ ∂v₁/∂v₋₁", "v̄₋₁ + v̄₁ / v₋₁", "5.5", True),
        ("x̄1", None, "v̄₋₁", "5.5", False),
        ("x̄2", None, "v̄₀", "1.716", False),
    ]
    assert [r.section for r in t.adjoint_rows] == \
        ["seed"] + ["adjoint"] * 8 + ["gradient"] * 2
    assert t.derivative == pytest.approx(s2sad.grad(f, argnums=(0, 1))(2.0, 5.0))
    assert [round(d, 3) for d in t.derivative] == [5.5, 1.716]


def test_text_layout_of_the_seeds_tables():
    text = str(s2sad.trace(f, 2, 5, mode="forward"))
    lines = text.splitlines()
    assert lines[0] == "f(x1 = 2, x2 = 5), forward mode, tangent (x1, x2) = (1, 0)"
    assert "Forward primal trace" in lines[2] and "Forward tangent trace" in lines[2]
    assert re.search(r"^v₁  = ln v₋₁ +\= 0\.693 +v̇₁  = v̇₋₁ / v₋₁ +\= 0\.5$", text, re.M)
    assert re.search(r"^y   = v₅ +\= 11\.652 +ẏ   = v̇₅ +\= 5\.5$", text, re.M)
    # the tangent column starts at the same place on every row
    starts = [min(line.find(c) for c in ("v̇", "ẏ") if c in line)
              for line in lines if line.startswith(("v", "y")) and ("v̇" in line or "ẏ" in line)]
    assert len(starts) == 8 and len(set(starts)) == 1
    rev = str(s2sad.trace(f, 2, 5, mode="reverse"))
    assert re.search(r"^v̄₀  = v̄₀ \+ v̄₂ ∂v₂/∂v₀ += v̄₀ \+ v̄₂ × v₋₁ += 1\.716$", rev, re.M)
    assert re.search(r"^x̄2 += v̄₀ += 1\.716$", rev, re.M)
    assert rev.index("v̄₅") < rev.index("v̄₄") < rev.index("v̄₃") < rev.index("x̄1")


def test_markdown_and_latex():
    md = s2sad.trace(f, 2, 5, mode="forward").to_markdown()
    assert "| v₁ | ln v₋₁ | 0.693 | v̇₁ | v̇₋₁ / v₋₁ | 0.5 |" in md
    assert "| y | v₅ | 11.652 | ẏ | v̇₅ | 5.5 |" in md
    rows = [line for line in md.splitlines() if line.startswith("|")]
    assert len({line.count(" | ") for line in rows[2:]}) == 1  # same number of cells
    md_rev = s2sad.trace(f, 2, 5, mode="reverse").to_markdown()
    assert "| v̄₀ | v̄₀ + v̄₂ ∂v₂/∂v₀ | v̄₀ + v̄₂ × v₋₁ | 1.716 |" in md_rev
    tex = s2sad.trace(f, 2, 5, mode="forward").to_latex()
    assert "v_{1} & = \\ln v_{-1} & = 0.693 & \\dot{v}_{1} & = \\dot{v}_{-1} / v_{-1} & = 0.5" \
        in tex
    assert "\\dot{v}_{2} & = \\dot{v}_{-1} \\times v_{0} + \\dot{v}_{0} \\times v_{-1}" in tex
    assert tex.count("\\begin{array}") == tex.count("\\end{array}") == 1
    tex_rev = s2sad.trace(f, 2, 5, mode="reverse").to_latex()
    assert ("\\bar{v}_{0} & = \\bar{v}_{0} + \\bar{v}_{2} \\frac{\\partial v_{2}}"
            "{\\partial v_{0}} & = \\bar{v}_{0} + \\bar{v}_{2} \\times v_{-1} & = 1.716") in tex_rev
    assert "\\bar{x}_{1} &  & = \\bar{v}_{-1} & = 5.5" in tex_rev


def test_rows_are_data():
    t = s2sad.trace(f, 2.0, 5.0, mode="forward")
    r = t.rows[2]
    assert (r.index, r.definition, r.derivative) == (1, "ln v₋₁", "v̇₋₁ / v₋₁")
    assert r.value == pytest.approx(math.log(2)) and r.derivative_value == pytest.approx(0.5)
    d = r.as_dict()
    assert {"index", "definition", "value", "derivative", "derivative_value"} <= set(d)
    assert r.chain == "∂v₁/∂v₋₁ v̇₋₁"
    assert len(t) == len(t.rows) == 8 and list(t) == t.rows
    assert "forward" in repr(t)


# ---------------------------------------------------------------------------
# Seed 001: g(x) = cos(5 x^2) at 2 and F: R^2 -> R^2 at (2, 3)
# ---------------------------------------------------------------------------
def test_cos_5x2_forward_and_reverse():
    t = s2sad.trace(g, 2, mode="forward")
    assert cols(t.rows, "name", "definition", "value_text", "derivative",
                "derivative_value_text") == [
        ("v₀", "x", "2", "ẋ", "1"),
        ("v₁", "v₀²", "4", "v̇₀ × 2v₀", "4"),
        ("v₂", "5v₁", "20", "5v̇₁", "20"),
        ("v₃", "cos v₂", "0.408", "−v̇₂ × sin v₂", "-18.259"),
        ("y", "v₃", "0.408", "v̇₃", "-18.259"),
    ]
    r = s2sad.trace(g, 2, mode="reverse")
    assert cols(r.adjoint_rows, "name", "derivative", "derivative_value_text") == [
        ("v̄₃", "ȳ", "1"),
        ("v̄₂", "v̄₃ × (−sin v₂)", "-0.913"),
        ("v̄₁", "v̄₂ × 5", "-4.565"),
        ("v̄₀", "v̄₁ × 2v₀", "-18.259"),
        ("x̄", "v̄₀", "-18.259"),
    ]
    assert r.derivative[0] == pytest.approx(s2sad.grad(g)(2.0))
    assert round(r.derivative[0], 3) == -18.259


def test_r2_to_r2_example_in_the_seeds_order():
    t = s2sad.trace(F_seed_order, 2, 3, tangents=(1, 0))
    assert cols(t.rows, "name", "definition", "value_text", "derivative_value_text") == [
        ("v₋₁", "x1", "2", "1"),
        ("v₀", "x2", "3", "0"),
        ("v₁", "cos v₋₁", "-0.416", "-0.909"),
        ("v₂", "ln v₋₁", "0.693", "0.5"),
        ("v₃", "v₋₁ × v₀", "6", "3"),
        ("v₄", "v₀³", "27", "0"),
        ("v₅", "v₁ + v₃", "5.584", "2.091"),
        ("v₆", "v₄ + v₂", "27.693", "0.5"),
        ("v₇", "v₆ − v₀", "24.693", "0.5"),
        ("y1", "v₅", "5.584", "2.091"),
        ("y2", "v₇", "24.693", "0.5"),
    ]
    rules = {r.name: r.derivative for r in t.rows}
    assert rules["v₁"] == "−v̇₋₁ × sin v₋₁"
    assert rules["v₂"] == "v̇₋₁ / v₋₁"
    assert rules["v₄"] == "v̇₀ × 3v₀²"
    assert rules["v₅"] == "v̇₁ + v̇₃" and rules["v₇"] == "v̇₆ − v̇₀"
    y1, y2 = t.value
    d1, d2 = t.derivative
    assert (round(y1, 3), round(y2, 3)) == (5.584, 24.693)
    assert (round(d1, 4), round(d2, 4)) == (2.0907, 0.5)
    # reverse, y1 selected (ȳ1 = 1, ȳ2 = 0) as in the seed
    r = s2sad.trace(F_seed_order, 2, 3, mode="reverse")
    seeds = cols([x for x in r.adjoint_rows if x.section == "seed"], "name", "derivative",
                 "derivative_value_text")
    assert seeds == [("v̄₅", "ȳ1", "1"), ("v̄₇", "ȳ2", "0")]
    rows = {x.name: x for x in r.adjoint_rows if x.section == "adjoint"}
    assert rows["v̄₆"].derivative == "v̄₇ × 1" and rows["v̄₆"].derivative_value == 0
    gx1, gx2 = r.derivative
    assert (round(gx1, 4), round(gx2, 4)) == (2.0907, 2.0)


def test_r2_to_r2_example_as_written_matches_jvp_and_vjp():
    t = s2sad.trace(F, 2.0, 3.0, mode="forward")
    out, tangent = s2sad.jvp(F, (2.0, 3.0), (1.0, 0.0))
    assert t.value == pytest.approx(out) and t.derivative == pytest.approx(tangent)
    _, vjp_fn = s2sad.vjp(F, 2.0, 3.0)
    for ct in ((1.0, 0.0), (0.0, 1.0), (0.5, -2.0)):
        r = s2sad.trace(F, 2.0, 3.0, mode="reverse", cotangents=ct)
        assert r.derivative == pytest.approx(vjp_fn(ct))
    t2 = s2sad.trace(F, 2.0, 3.0, tangents=(0.0, 1.0))
    assert t2.derivative == pytest.approx(s2sad.jvp(F, (2.0, 3.0), (0.0, 1.0))[1])


def test_the_rules_come_from_the_registry():
    def cube(x):
        return x * x * x

    @s2sad.defpartials(cube)
    def cube_partials(x):
        return 3 * x ** 2

    def h(x):
        return cube(x) + 1.0

    t = s2sad.trace(h, 2.0, mode="forward")
    row = t.rows[1]
    assert (row.definition, row.derivative, row.derivative_value) == ("cube(v₀)", "v̇₀ × 3v₀²",
                                                                      12.0)
    r = s2sad.trace(h, 2.0, mode="reverse")
    assert r.adjoint_rows[2].derivative == "v̄₁ × 3v₀²"


# ---------------------------------------------------------------------------
# Loops, branches, calls, containers, arrays
# ---------------------------------------------------------------------------
def power_loop(x, n):
    s = x
    for i in range(n):
        s = s * x + i
    return s


def branch(x):
    if x > 0:
        y = x * x
    else:
        y = -x
    return y


def doubling(x):
    while x < 10:
        x = x * 2
    return x


def square(a):
    return a * a


def calls(x):
    return square(x) + square(2 * x)


def weighted(xs, w):
    s = 0.0
    for x in xs:
        s = s + w * x
    a, b = xs[0], xs[1]
    return s + max(a, b)


def dot(ws, xs):
    t = 0.0
    for w, x in zip(ws, xs):
        t += w * x
    return t


def arrays(x, y):
    return np.sum(x * y) + np.tanh(x).sum() + x @ y


def test_loop_is_unrolled_with_the_iteration_number():
    t = s2sad.trace(power_loop, 2.0, 3, mode="forward")
    contexts = [r.context for r in t.primal_rows if r.context]
    assert contexts[0] == "for i in range(n) · iteration 1"
    assert contexts[-1] == "for i in range(n) · iteration 3"
    assert len(t.primal_rows) == 2 + 1 + 3 * 3 + 1  # inputs, range, 3 x (i, *, +), y
    assert t.rows[1].derivative is None  # n is an integer: no tangent
    assert t.derivative == pytest.approx(s2sad.jvp(power_loop, (2.0, 3), (1.0, None))[1])
    r = s2sad.trace(power_loop, 2.0, 3, mode="reverse")
    assert r.derivative == pytest.approx((s2sad.grad(power_loop)(2.0, 3),))
    iters = [x.context for x in r.adjoint_rows if x.section == "adjoint"]
    assert iters[0].endswith("iteration 3") and iters[-1].endswith("iteration 1")
    text = str(t)
    assert "┄ for i in range(n) · iteration 2" in text


@pytest.mark.parametrize("x", [2.0, -3.0])
def test_branch_shows_only_the_branch_taken(x):
    t = s2sad.trace(branch, x, mode="forward")
    names = [r.definition for r in t.primal_rows]
    assert ("v₀ × v₀" in names) == (x > 0) and ("−v₀" in names) == (x < 0)
    taken = [r.context for r in t.primal_rows if r.context]
    assert taken == ["if x > 0 → " + ("true" if x > 0 else "false")]
    assert t.derivative == pytest.approx(s2sad.jvp(branch, (x,), (1.0,))[1])
    r = s2sad.trace(branch, x, mode="reverse")
    assert r.derivative[0] == pytest.approx(s2sad.grad(branch)(x))


def with_break(x):
    s = 0.0
    for k in range(5):
        if k == 2:
            break
        s += x * k
    z = x if x > 1 else -x
    return s + z


def enum_reversed(xs):
    s = 0.0
    for i, x in enumerate(reversed(xs)):
        s = s * 2.0 + x * i
    return s


def mlp_loss(params, X):
    h = np.tanh(X @ params["W"] + params["b"])
    return np.mean(h * h)


@pytest.mark.parametrize("fn, args, argnums", [
    (f, (2.0, 5.0), (0, 1)),
    (with_break, (2.0,), (0,)),
    (with_break, (0.5,), (0,)),
    (enum_reversed, ([1.0, 2.0, 3.0],), (0,)),
    (g, (0.7,), (0,)),
    (doubling, (3.0,), (0,)),
    (calls, (3.0,), (0,)),
    (weighted, ([1.0, 2.0, 3.0], 0.5), (0, 1)),
    (dot, ([1.0, 2.0], [3.0, 4.0]), (0, 1)),
    (arrays, (np.array([1.0, 2.0]), np.array([0.5, -1.0])), (0, 1)),
])
def test_derivatives_match_jvp_and_grad(fn, args, argnums):
    t = s2sad.trace(fn, *args, argnums=argnums, mode="forward")
    tangents = [None] * len(args)
    for k, i in enumerate(argnums):
        tangents[i] = (np.ones_like(args[i]) if k == 0 else np.zeros_like(args[i])) \
            if isinstance(args[i], np.ndarray) else \
            ([1.0 if k == 0 else 0.0] * len(args[i]) if isinstance(args[i], list) else
             (1.0 if k == 0 else 0.0))
    assert t.derivative == pytest.approx(s2sad.jvp(fn, args, tangents)[1])
    r = s2sad.trace(fn, *args, mode="reverse", argnums=argnums)
    expected = s2sad.grad(fn, argnums=argnums)(*args)
    for got, want in zip(r.derivative, expected):
        assert np.allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float))


def test_dict_parameters_like_grad():
    rng = np.random.default_rng(0)
    params = {"W": rng.normal(size=(2, 3)), "b": np.zeros(3)}
    X = rng.normal(size=(4, 2))
    r = s2sad.trace(mlp_loss, params, X, mode="reverse", argnums=0)
    want = s2sad.grad(mlp_loss)(params, X)
    assert set(r.derivative) == {"W", "b"}
    for k in want:
        assert np.allclose(r.derivative[k], want[k])
    assert any(x.name == "v̄₋₁['W']" for x in r.adjoint_rows)


def test_constant_output_and_break():
    def const(x):
        return 3.0

    t = s2sad.trace(const, 1.0, mode="forward")
    assert cols(t.rows[-1:], "name", "definition", "derivative", "derivative_value") == \
        [("y", "3", "0", 0.0)]
    assert s2sad.trace(const, 1.0, mode="reverse").derivative == (0.0,)
    t = s2sad.trace(with_break, 2.0, mode="forward")
    ks = [r.context for r in t.primal_rows if "iteration" in r.context]
    assert ks[-1].startswith("for k in range(5) · iteration 3")  # stopped by the break


def test_user_functions_are_traced_through():
    t = s2sad.trace(calls, 3.0, mode="forward")
    assert [r.context for r in t.primal_rows if r.context] == \
        [f"in square() (line {calls.__code__.co_firstlineno + 1})"] * 2
    assert [r.definition for r in t.primal_rows[1:-1]] == ["v₀ × v₀", "2v₀", "v₂ × v₂",
                                                             "v₁ + v₃"]


def test_containers_and_loop_items():
    t = s2sad.trace(weighted, [1.0, 2.0, 3.0], 0.5, mode="forward")
    items = [r for r in t.primal_rows if r.definition and r.definition.startswith("v₋₁[")]
    assert [r.derivative for r in items[:3]] == ["v̇₋₁[0]", "v̇₋₁[1]", "v̇₋₁[2]"]
    r = s2sad.trace(weighted, [1.0, 2.0, 3.0], 0.5, mode="reverse")
    assert any(x.name == "v̄₋₁[1]" for x in r.adjoint_rows)
    assert r.derivative[0] == pytest.approx([0.5, 1.5, 0.5])


def test_max_rows_cuts_and_says_so():
    t = s2sad.trace(power_loop, 2.0, 30, max_rows=5, mode="forward")
    assert len([r for r in t.rows if r.section == "primal"]) == 5
    assert t.cut == 1 + 30 * 3 - 5
    assert f"⋮ {t.cut} more rows cut (max_rows=5)" in str(t)
    assert t.rows[-1].section == "output"  # outputs always show
    assert t.derivative == pytest.approx(s2sad.jvp(power_loop, (2.0, 30), (1.0, None))[1])
    r = s2sad.trace(power_loop, 2.0, 30, mode="reverse", max_rows=4)
    assert len([x for x in r.rows if x.section == "adjoint"]) == 4
    assert r.rows[-1].section == "gradient" and r.cut > 0
    assert "more rows cut (max_rows=4)" in r.to_markdown()
    assert "\\vdots" in r.to_latex()


def test_argnums_and_integers():
    t = s2sad.trace(f, 2.0, 5, argnums=0, mode="forward")
    assert t.rows[1].derivative is None
    assert t.derivative == pytest.approx(5.5)
    r = s2sad.trace(f, 2.0, 5.0, mode="reverse", argnums=1)
    assert r.derivative == pytest.approx(1.716, abs=1e-3)
    assert [x.name for x in r.adjoint_rows if x.section == "gradient"] == ["x̄2"]


def test_errors():
    with pytest.raises(S2sadError, match="mode"):
        s2sad.trace(f, 2.0, 5.0, mode="sideways")
    with pytest.raises(S2sadError, match="cotangents"):
        s2sad.trace(f, 2.0, 5.0, mode="reverse", tangents=(1.0, 0.0))
    with pytest.raises(S2sadError, match="tangents"):
        s2sad.trace(f, 2.0, 5.0, tangents=(1.0, 0.0, 0.0))

    def nondiff(x):
        return np.floor(x) + x

    t = s2sad.trace(nondiff, 2.5, mode="forward")
    assert t.rows[1].derivative is None and t.derivative == 1.0


# ---------------------------------------------------------------------------
# Graphs
# ---------------------------------------------------------------------------
_TOKEN = re.compile(r'\s*(?:(->)|("(?:[^"\\]|\\.)*")|([A-Za-z_][A-Za-z0-9_.]*|-?[0-9.]+)|'
                    r'([{}\[\];,=]))')


def parse_dot(text):
    """A small parser for the DOT s2sad writes: statements of nodes, edges,
    attributes and nested subgraphs.  Returns (name, nodes {id: attrs},
    edges [(a, b, attrs)], number of subgraphs)."""
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        assert m and m.end() > pos, f"cannot tokenize DOT at {text[pos:pos + 30]!r}"
        tok = next(t for t in m.groups() if t is not None)
        tokens.append(tok)
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    it = iter(tokens)
    toks = list(it)
    i = 0

    def take(expected=None):
        nonlocal i
        tok = toks[i]
        i += 1
        if expected is not None:
            assert tok == expected, f"expected {expected!r}, got {tok!r}"
        return tok

    def unq(tok):
        if tok.startswith('"'):
            return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1),
                          tok[1:-1])
        return tok

    def attrs():
        out = {}
        take("[")
        while toks[i] != "]":
            k = unq(take())
            take("=")
            out[k] = unq(take())
            if toks[i] == ",":
                take(",")
        take("]")
        return out

    nodes, edges = {}, []
    subgraphs = [0]

    def body():
        take("{")
        while toks[i] != "}":
            tok = take()
            if tok == "subgraph":
                subgraphs[0] += 1
                take()  # its name
                body()
                continue
            if toks[i] == "=":  # graph attribute
                take("=")
                take()
            elif toks[i] == "->":
                take("->")
                b = unq(take())
                a_attrs = attrs() if toks[i] == "[" else {}
                edges.append((unq(tok), b, a_attrs))
            elif tok in ("node", "edge", "graph"):
                attrs()
            else:
                nodes[unq(tok)] = attrs() if toks[i] == "[" else {}
            if toks[i] == ";":
                take(";")
        take("}")

    assert take() == "digraph"
    name = unq(take())
    body()
    assert i == len(toks), "trailing tokens"
    return name, nodes, edges, subgraphs[0]


def ssa_values(fn_ir):
    n = len(fn_ir.params)
    for op in fn_ir.walk():
        n += len(op.results) + len(op.defined_here())
    return n


def test_static_graph_parses_with_one_node_per_ssa_value():
    for fn in (f, g, power_loop, branch, doubling, weighted):
        gr = s2sad.graph(fn)
        name, nodes, edges, _ = parse_dot(gr.dot)
        assert name == fn.__name__
        assert len(nodes) == ssa_values(s2sad.compiler.ssa_ir(fn)) == len(gr.nodes)
        assert all(a in nodes and b in nodes for a, b, _ in edges)
        assert str(gr) == gr.dot
    _, nodes, edges, _ = parse_dot(s2sad.graph(f).dot)
    assert nodes["v1"]["label"] == "v₁ = ln v₋₁"
    assert nodes["v_m1"]["shape"] == "box"
    assert nodes["v5"]["peripheries"] == "2"
    assert sorted((a, b) for a, b, _ in edges) == sorted([
        ("v_m1", "v1"), ("v_m1", "v2"), ("v0", "v2"), ("v0", "v3"), ("v1", "v4"),
        ("v2", "v4"), ("v4", "v5"), ("v3", "v5")])
    _, _, _, clusters = parse_dot(s2sad.graph(power_loop).dot)
    assert clusters == 1


def test_graph_of_a_call_is_labelled_with_values_and_derivatives():
    gr = s2sad.graph(f, 2.0, 5.0, mode="reverse")
    _, nodes, edges, _ = parse_dot(gr.dot)
    assert len(nodes) == 7
    assert nodes["v1"]["label"] == "v₁ = ln v₋₁\n= 0.693\nv̄₁ = 1"
    assert nodes["v0"]["label"] == "v₀ = x2\n= 5\nv̄₀ = 1.716"
    gf = s2sad.graph(f, 2.0, 5.0, mode="forward")
    assert parse_dot(gf.dot)[1]["v5"]["label"].endswith("v̇₅ = 5.5")
    plain = parse_dot(s2sad.graph(f, 2.0, 5.0).dot)[1]
    assert plain["v3"]["label"] == "v₃ = sin v₀\n= -0.959"
    t = s2sad.trace(power_loop, 2.0, 3, mode="forward")
    _, nodes, _, clusters = parse_dot(s2sad.graph(power_loop, 2.0, 3, mode="forward").dot)
    assert len(nodes) == len(t.primal_rows) - 1  # one per row vᵢ (not the output row)
    assert clusters == 3  # one per iteration


def test_graph_parses_with_graphviz_packages_when_installed():
    pydot = None
    try:
        import pydot  # noqa: F811
    except ImportError:
        pass
    graphviz = None
    try:
        import graphviz  # noqa: F811
    except ImportError:
        pass
    if pydot is None and graphviz is None:
        pytest.skip("neither pydot nor graphviz is installed")
    dot = s2sad.graph(power_loop).dot
    if pydot is not None:
        (parsed,) = pydot.graph_from_dot_data(dot)
        names = {n.get_name() for n in parsed.get_nodes()}
        for sub in parsed.get_subgraphs():
            names |= {n.get_name() for n in sub.get_nodes()}
        assert len(names - {"node", "edge"}) >= len(s2sad.graph(power_loop).nodes)
    if graphviz is not None:
        assert graphviz.Source(dot).source == dot


def test_render_without_graphviz_says_how_to_install_it(tmp_path, monkeypatch):
    gr = s2sad.graph(f)
    out = gr.render(tmp_path / "f.dot")
    assert Path(out).read_text(encoding="utf-8") == gr.dot
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(S2sadError, match="apt-get install graphviz"):
        gr.render(tmp_path / "f.svg")


def test_render_svg_with_graphviz(tmp_path):
    import shutil
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    path = s2sad.graph(f, 2.0, 5.0, mode="forward").render(tmp_path / "f.svg")
    assert "<svg" in Path(path).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------
def run_main(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_trace_forward_and_reverse(capsys):
    code, out, err = run_main(capsys, "trace", f"{SAMPLE}:f", "--at", "2,5", "--mode", "forward")
    assert (code, err) == (0, "")
    assert out == str(s2sad.trace(f, 2, 5, mode="forward"))
    code, out, _ = run_main(capsys, "trace", f"{SAMPLE}:f", "--at", "2,5", "--mode", "reverse")
    assert code == 0 and out == str(s2sad.trace(f, 2, 5, mode="reverse"))
    assert "x̄2" in out and "1.716" in out
    code, default, _ = run_main(capsys, "trace", f"{SAMPLE}:f", "--at", "2,5")
    assert code == 0 and default == out  # reverse mode, as everywhere


def test_cli_trace_formats_and_tangent(capsys):
    code, out, _ = run_main(capsys, "trace", f"{SAMPLE}:F", "--at", "2,3", "--tangent", "0,1",
                            "--format", "markdown")
    assert code == 0
    assert out == s2sad.trace(F, 2, 3, tangents=(0, 1)).to_markdown()
    code, out, _ = run_main(capsys, "trace", f"{SAMPLE}:g", "--at", "2", "--format", "latex")
    assert code == 0 and "\\cos v_{2}" in out
    code, out, _ = run_main(capsys, "trace", f"{SAMPLE}:F", "--at", "2,3", "--mode", "reverse",
                            "--cotangent", "0,1")
    assert code == 0 and "ȳ2 = 1" in out.splitlines()[0]


def test_cli_trace_reads_the_file_without_running_it(tmp_path, capsys):
    path = tmp_path / "mod.py"
    path.write_text(textwrap.dedent("""\
        import numpy as np
        print("the file ran")
        N = 3

        def step(s, x):
            return s * x + 1.0

        def poly(x):
            s = x
            for i in range(N):
                s = step(s, x)
            return s

        if __name__ == "__main__":
            raise SystemExit("the file ran")
        """))
    code, out, err = run_main(capsys, "trace", f"{path}:poly", "--at", "2.0", "--mode",
                              "reverse")
    assert (code, err) == (0, "")
    assert "the file ran" not in out
    assert "in step() (line 11)" in out
    gradient = [line for line in out.splitlines() if line.startswith("x̄")]
    # poly(x) = ((x*x + 1)*x + 1)*x + 1 = x^4 + x^2 + x + 1: poly'(2) = 32 + 4 + 1
    assert gradient and gradient[0].endswith("= 37")


def test_cli_trace_errors(capsys):
    code, _, err = run_main(capsys, "trace", SAMPLE, "--at", "2,5")
    assert code == 1 and "name one" in err
    code, _, err = run_main(capsys, "trace", f"{SAMPLE}:f")
    assert code == 2 and "--at" in err
    code, _, err = run_main(capsys, "trace", f"{SAMPLE}:f", "--at", "two")
    assert code == 2
    code, _, err = run_main(capsys, "trace", f"{SAMPLE}:f", "--at", "2,5", "--mode", "reverse",
                            "--tangent", "1,0")
    assert code == 1 and "--cotangent" in err


def test_cli_graph(tmp_path, capsys, monkeypatch):
    code, out, err = run_main(capsys, "graph", f"{SAMPLE}:f")
    assert (code, err) == (0, "")
    assert out == s2sad.graph(f).dot
    assert len(parse_dot(out)[1]) == 7
    code, out, _ = run_main(capsys, "graph", f"{SAMPLE}:f", "--at", "2,5", "--mode", "forward")
    assert code == 0 and "v̇₅ = 5.5" in out
    dot_path = tmp_path / "f.dot"
    code, out, _ = run_main(capsys, "graph", f"{SAMPLE}:g", "-o", dot_path)
    assert code == 0 and out == ""
    assert parse_dot(dot_path.read_text(encoding="utf-8"))[0] == "g"
    import shutil
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, out, err = run_main(capsys, "graph", f"{SAMPLE}:g", "-o", tmp_path / "g.svg")
    assert code == 1 and "Graphviz" in err and "install" in err
    code, _, err = run_main(capsys, "graph", f"{SAMPLE}:g", "--mode", "reverse")
    assert code == 1 and "--at" in err


def test_readme_shows_the_trace_of_the_seeds_example():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Evaluation traces" in readme
    section = readme.split("## Evaluation traces", 1)[1]
    expected = str(s2sad.trace(f, 2, 5, mode="forward"))
    assert expected.strip() in section
    assert str(s2sad.trace(f, 2, 5, mode="reverse")).strip() in section
