"""Forward mode (issue 3): ``s2sad.jvp`` and the generated tangent code.

* the numbers of the seeds' examples (Baydin et al. 2018);
* JVPs against central finite differences on the shared corpus
  (``corpus.CASES``: loops, branches, early exits, ...) and on one small
  function per rule of the registry (``corpus.rule_cases()``);
* the shape of the generated code: one tangent line per active primal line,
  and none for inactive values;
* errors: a tangent for an integer argument.
"""
import ast
import math
import re
import zlib

import numpy as np
import pytest

import s2sad

from . import corpus
from .corpus import (CASES, central_difference, close, float_positions, point_id, points,
                     random_direction, rule_cases)


def _fd_jvp(fn, point, tangents):
    direction = [0.0 if t is None else t for t in tangents]
    return central_difference(fn, point, direction)


# ---------------------------------------------------------------------------
# The seeds' numbers
# ---------------------------------------------------------------------------
def test_textbook_tangent_in_x1():
    out, t = s2sad.jvp(corpus.textbook, (2.0, 5.0), (1.0, 0.0))
    assert out == pytest.approx(math.log(2.0) + 10.0 - math.sin(5.0), abs=1e-12)
    assert t == pytest.approx(5.5, abs=1e-12)


def test_textbook_tangent_in_x2():
    _, t = s2sad.jvp(corpus.textbook, (2.0, 5.0), (0.0, 1.0))
    assert t == pytest.approx(2.0 - math.cos(5.0), abs=1e-12)
    assert round(t, 3) == 1.716


def test_cos_of_square():
    _, t = s2sad.jvp(corpus.cos_of_square, (2.0,), (1.0,))
    assert round(float(t), 3) == -18.259
    assert t == pytest.approx(-20.0 * math.sin(20.0), rel=1e-12)


def test_jacobian_column_of_two_outputs():
    (f1, f2), (d1, d2) = s2sad.jvp(corpus.two_outputs, (2.0, 3.0), (1.0, 0.0))
    assert (round(f1, 3), round(f2, 3)) == (5.584, 24.693)
    assert (round(d1, 4), round(d2, 4)) == (2.0907, 0.5)
    # the x2-column too: (x1, 3 x2**2 - 1)
    _, col2 = s2sad.jvp(corpus.two_outputs, (2.0, 3.0), (0.0, 1.0))
    assert col2 == pytest.approx((2.0, 26.0), abs=1e-12)


# ---------------------------------------------------------------------------
# JVPs against finite differences
# ---------------------------------------------------------------------------
def test_corpus_is_large_enough():
    assert len(CASES) >= 55
    assert len({fn.__name__ for fn, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("fn, point", points(), ids=[point_id(f, p) for f, p in points()])
def test_jvp_matches_finite_differences(fn, point):
    rng = np.random.default_rng(zlib.crc32(point_id(fn, point).encode()))
    directions = [random_direction(point, rng)]
    for i in float_positions(point):  # and each coordinate axis
        directions.append(tuple((1.0 if j == i else 0.0) if isinstance(a, float) else None
                                for j, a in enumerate(point)))
    for tangents in directions:
        out, t = s2sad.jvp(fn, point, tangents)
        assert close(out, fn(*point), rtol=1e-12, atol=1e-12), "primal value changed"
        expected = _fd_jvp(fn, point, tangents)
        assert close(t, expected), f"{fn.__name__}{point} along {tangents}: {t} != {expected}"


RULE_CASES = rule_cases()


@pytest.mark.parametrize("name, fn, pts, rule", RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_every_rule_against_finite_differences(name, fn, pts, rule):
    for point in pts:
        for tangents in ((1.0, 0.0), (0.0, 1.0), (0.3, -0.8)):
            out, t = s2sad.jvp(fn, point, tangents)
            assert close(out, fn(*point), rtol=1e-12, atol=1e-12)
            expected = _fd_jvp(fn, point, tangents)
            assert close(t, expected), f"{name} at {point} along {tangents}: {t} != {expected}"


def test_rule_cases_cover_the_scalar_rules():
    names = {c[0].split(":")[0] for c in RULE_CASES}
    for expected in ("core.+", "core.**", "core.%", "core.unary -", "core.max", "core.sum",
                     "math.sin", "math.log", "math.atan2", "math.erf", "math.fmod",
                     "numpy.sin", "numpy.arctan2", "numpy.logaddexp", "numpy.cbrt"):
        assert expected in names
    # every Python and math rule takes scalars; NumPy's that do not need arrays
    assert [r for r in corpus.uncovered_rules() if r.library != "numpy"] == []


def test_math_pi_is_a_constant():
    out, t = s2sad.jvp(corpus.uses_pi, (0.3,), (1.0,))
    expected = 2 * math.pi * 0.3 + math.pi * math.cos(math.pi * 0.3) + corpus.K
    assert t == pytest.approx(expected, rel=1e-12)


def test_int_argument_takes_a_none_tangent():
    out, t = s2sad.jvp(corpus.power_loop, (1.3, 7), (1.0, None))
    assert out == pytest.approx(1.3 ** 7)
    assert t == pytest.approx(7 * 1.3 ** 6)


def test_tangent_for_an_int_argument_is_an_error():
    with pytest.raises(s2sad.S2sadError) as info:
        s2sad.jvp(corpus.power_loop, (1.3, 7), (1.0, 1.0))
    message = str(info.value)
    assert "argument 1" in message and "int" in message
    assert "not differentiable" in message and "None" in message


def test_tangent_count_must_match():
    with pytest.raises(s2sad.S2sadError):
        s2sad.jvp(corpus.textbook, (2.0, 5.0), (1.0,))


# ---------------------------------------------------------------------------
# The shape of the generated code
# ---------------------------------------------------------------------------
_TANGENT = re.compile(r"^(?P<base>.+)_dot(?P<suffix>_\d+)?$")


def _assignments(source):
    """(target names, statement) for each assignment of the generated function, in order."""
    fn = ast.parse(source).body[0]
    out = []
    for node in ast.walk(fn):
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = []
            for t in targets:
                names += [n.id for n in ast.walk(t) if isinstance(n, ast.Name)]
            out.append((names, node))
    return out


def _primal_of(tangent_name):
    m = _TANGENT.match(tangent_name)
    return None if m is None else m.group("base") + (m.group("suffix") or "")


def test_seed_forward_source_is_the_tangent_trace_table():
    src = s2sad.derivative_source(corpus.textbook, "forward", args=(2.0, 5.0))
    assigned = [names for names, _ in _assignments(src)]
    flat = [n for names in assigned for n in names]
    tangents = [n for n in flat if _primal_of(n) is not None]
    primals = [n for n in flat if _primal_of(n) is None]
    # every primal line is active here, and each has exactly one tangent line
    assert len(primals) == 5
    assert sorted(_primal_of(t) for t in tangents) == sorted(primals)
    assert len(set(tangents)) == len(tangents)
    # ... right after it, as in the seeds' table
    for i in range(0, len(flat), 2):
        assert _primal_of(flat[i + 1]) == flat[i]
    assert "log_x1_dot = x1_dot / x1" in src
    assert "x1_x2_dot = x1_dot * x2 + x2_dot * x1" in src
    assert "sin_x2_dot = x2_dot * np.cos(x2)" in src
    assert src.rstrip().endswith("return y, y_dot")


def counter_and_constant(x, n):
    c = 2.0 * 3.0
    k = 0
    s = x
    while k < n:
        s = s * c + k
        k += 1
    for i in range(n):
        s = s - i * 0.5
    return s


def test_no_tangent_for_inactive_values():
    src = s2sad.derivative_source(counter_and_constant, "forward", args=(1.5, 3))
    flat = [n for names, _ in _assignments(src) for n in names]
    tangents = {n for n in flat if _primal_of(n) is not None}
    assert tangents, src
    primals_with_tangent = {_primal_of(t) for t in tangents}
    for inactive in ("c", "k", "i", "n"):
        assert inactive not in primals_with_tangent, src
        assert f"{inactive}_dot" not in src, src
    # the tangents are those of s (carried through both loops) and x
    assert all(p.startswith(("s", "x", "t")) for p in primals_with_tangent), src
    _, t = s2sad.jvp(counter_and_constant, (1.5, 3), (1.0, None))
    assert t == pytest.approx(6.0 ** 3)


def test_one_tangent_per_active_primal_in_a_loop():
    src = s2sad.derivative_source(corpus.horner, "forward", args=(1.3, 5))
    flat = [n for names, _ in _assignments(src) for n in names]
    tangents = [n for n in flat if _primal_of(n) is not None]
    for t in tangents:
        assert _primal_of(t) in flat
    assert "i_dot" not in src


def test_tangents_read_no_runtime_helpers_for_floats():
    for fn, pts in CASES[:30]:
        src = s2sad.derivative_source(fn, "forward", args=pts[0])
        for helper in ("unbroadcast", "zeros_like(", "index_adjoint"):
            assert helper not in src, (fn.__name__, src)


def _square_plus(x, y):
    return x * x + y / y * x


def test_both_modes_sum_the_partials_of_a_repeated_operand():
    # one rule gives one term per operand in both modes: x * x -> (x + x)
    fwd = s2sad.derivative_source(_square_plus, "forward", args=(1.5, 2.0))
    rev = s2sad.derivative_source(_square_plus, "reverse", args=(1.5, 2.0))
    assert "x_dot * (x + x)" in fwd and "(x + x)" in rev, fwd + rev
    h = 1e-6
    _, t = s2sad.jvp(_square_plus, (1.5, 2.0), (1.0, 1.0))
    fd = (_square_plus(1.5 + h, 2.0 + h) - _square_plus(1.5 - h, 2.0 - h)) / (2 * h)
    assert t == pytest.approx(fd, rel=1e-8)
    g = s2sad.grad(_square_plus, (0, 1))(1.5, 2.0)
    assert g[0] + g[1] == pytest.approx(fd, rel=1e-8)
