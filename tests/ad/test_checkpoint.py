"""Checkpointing (issue 16): revolve's schedule, checkpointed loops against
taped ones and finite differences, the directive, ``while`` loops, memory and
time on a long loop, and ``@s2sad.checkpoint`` on a recursive function."""
import math
import tracemalloc
from functools import lru_cache

import numpy as np
import pytest

import s2sad
from s2sad.runtime.checkpoint import (_descent, checkpointed_adjoint, checkpointed_forward,
                                      checkpointed_while, checkpointed_online_adjoint,
                                      forward_steps)

from . import corpus as C


# ---------------------------------------------------------------------------
# The schedule
# ---------------------------------------------------------------------------
@lru_cache(None)
def fewest_steps(steps, snapshots):
    """The fewest forward steps of any schedule, by dynamic programming over
    the first snapshot's place (Griewank and Walther's recursion)."""
    if steps <= 1:
        return 0
    if snapshots == 1:
        return steps * (steps - 1) // 2
    return min(m + fewest_steps(steps - m, snapshots - 1) + fewest_steps(m, snapshots)
               for m in range(1, steps))


def test_formula_is_the_optimum():
    # r * l - binom(s + r, s + 1), r least with binom(s + r, s) >= l
    for s in range(1, 6):
        for n in range(1, 45):
            assert forward_steps(n, s) == fewest_steps(n, s), (n, s)
    assert forward_steps(10, 1) == 45  # one snapshot: 0 + 1 + ... + 9
    assert forward_steps(10, 9) == 9  # a snapshot per step: the first sweep only


class Counted:
    """A step that counts its calls and an adjoint that checks its state."""

    def __init__(self):
        self.steps = self.adjoints = 0
        self.next = None

    def step(self, i, x, y, z):
        self.steps += 1
        return x + 1, y

    def adjoint(self, i, x, y, z, bar):
        assert x == i and i == self.next  # the state before step i, last step first
        self.next -= 1
        self.adjoints += 1
        return bar[0] * 1.0, 2.0


@pytest.mark.parametrize("steps,snapshots", [(1, 3), (2, 1), (10, 2), (25, 3), (100, 4),
                                             (1000, 10), (10_000, 30), (7, 7), (60, 1)])
def test_revolve_makes_the_optimal_number_of_steps(steps, snapshots):
    c = Counted()
    out, record = checkpointed_forward(c.step, range(steps), snapshots, (0, "y"), (3.0,))
    assert out == (steps, "y") and c.steps == steps
    assert len(record[4]) <= snapshots + 1  # revolve's snapshots and the live state
    c.steps, c.next = 0, steps - 1
    grads = checkpointed_adjoint(c.adjoint, record, (1.0, None), (0,), (0,))
    assert c.adjoints == steps
    # the forward sweep ran step steps - 1 too (its value is needed): revolve's
    # first sweep stops one step short, so the re-evaluations are the rest
    assert c.steps == (forward_steps(steps, snapshots) - (steps - 1) if steps > 1 else 0)
    assert grads == (1.0, 2.0 * steps)
    assert len(_descent(steps, snapshots)) <= snapshots + 1


def test_while_schedule_keeps_at_most_its_snapshots():
    c = Counted()
    out, record = checkpointed_while(c.step, lambda x, y, z: x < 1000, 8, (0, "y"), (3.0,))
    assert out == (1000, "y") and c.steps == 1000
    assert len(record[4]) <= 8
    c.steps, c.next = 0, 999
    grads = checkpointed_online_adjoint(c.adjoint, record, (1.0, None), (0,), (0,))
    assert c.adjoints == 1000 and grads == (1.0, 2000.0)
    assert c.steps < 5 * 1000  # segments reversed with the snapshots left free


# ---------------------------------------------------------------------------
# Checkpointed gradients against taped ones and finite differences
# ---------------------------------------------------------------------------
LOOPS = [C.horner, C.power_loop, C.logistic, C.nested_loops, C.loop_with_if, C.swap_loop,
         C.two_var_recurrence, C.continue_loop, C.nested_control, C.accumulate_constant_times,
         C.min_max_loop, C.mod_loop, C.newton_sqrt, C.halving, C.while_counter, C.while_growth,
         C.while_continue, C.while_two_conditions, C.while_nested_for, C.break_loop, C.for_else,
         C.while_break, C.while_if_break]
TAPED = [C.return_in_loop, C.return_in_while]  # a value first set in the loop: taped


def cases(functions):
    return [(fn, p) for fn, pts in C.CASES if fn in functions for p in pts]


@pytest.mark.parametrize("fn,point", cases(LOOPS + TAPED),
                         ids=[C.point_id(f, p) for f, p in cases(LOOPS + TAPED)])
def test_corpus_loops_agree_with_the_tape(fn, point):
    nums = tuple(C.float_positions(point))
    taped = s2sad.grad(fn, argnums=nums)(*point)
    for k in (1, 2, 5):
        got = s2sad.grad(fn, argnums=nums, checkpoint=k)(*point)
        np.testing.assert_allclose(got, taped, rtol=1e-10, atol=1e-12)
    rng = np.random.default_rng(0)
    d = C.random_direction(point, rng)
    fd = C.central_difference(fn, point, d)
    assert np.dot(got, [d[i] for i in nums]) == pytest.approx(fd, rel=1e-5, abs=1e-6)
    source = s2sad.derivative_source(fn, args=point, argnums=nums, checkpoint=2)
    assert ("checkpointed_" in source) == (fn in LOOPS)


def test_tuple_output_through_vjp():
    fn, point = C.return_tuple_from_loop, (1.3, 4)
    out, back = s2sad.vjp(fn, *point)
    out2, back2 = s2sad.vjp(fn, *point, checkpoint=2)
    assert out == out2
    assert back((1.0, 0.5))[0] == pytest.approx(back2((1.0, 0.5))[0], rel=1e-12)


def euler(x, k, n):
    for i in range(n):
        x = x + 0.001 * (np.sin(x) * k - x ** 3)
    return np.sum(x * x)


def fd_gradient(f, args, i, h=1e-6):
    x = args[i]
    out = np.zeros_like(x)
    for j in range(x.size):
        up, down = [a.copy() if isinstance(a, np.ndarray) else a for a in args], list(args)
        up[i] = x.copy()
        up[i][j] += h
        down[i] = x.copy()
        down[i][j] -= h
        out[j] = (f(*up) - f(*down)) / (2 * h)
    return out


def test_array_state_and_invariant_against_finite_differences():
    x, k = np.linspace(0.1, 1.0, 4), np.linspace(1.0, 2.0, 4)
    gx, gk = s2sad.grad(euler, argnums=(0, 1), checkpoint=3)(x, k, 40)
    np.testing.assert_allclose(gx, fd_gradient(euler, (x, k, 40), 0), rtol=1e-6)
    np.testing.assert_allclose(gk, fd_gradient(euler, (x, k, 40), 1), rtol=1e-6)
    value, (hx, hk) = s2sad.value_and_grad(euler, argnums=(0, 1), checkpoint=3)(x, k, 40)
    assert value == pytest.approx(euler(x, k, 40), rel=1e-14)
    np.testing.assert_allclose(hx, gx, rtol=1e-12)


def test_long_loop_memory():
    """Issue 16's workload at a fifth of its length: at most 2 % of the tape's
    peak memory (time is the benchmark's: tests/benchmarks/checkpoint_bench.py
    runs it at full size; timings in tests are noise on shared machines)."""
    x, k = np.linspace(0.1, 1.0, 100), np.linspace(1.0, 2.0, 100)
    args = (x, k, 2000)
    results = []
    for g in (s2sad.grad(euler, argnums=(0, 1)),
              s2sad.grad(euler, argnums=(0, 1), checkpoint=30)):
        g(*args)
        tracemalloc.start()
        out = g(*args)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results.append((out, peak))
    (taped, peak0), (got, peak) = results
    for a, b in zip(got, taped):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert peak <= 0.02 * peak0, (peak, peak0)


# ---------------------------------------------------------------------------
# The directive, nested loops, calls, refusals
# ---------------------------------------------------------------------------
def marked(x, y, n):
    s = 0.0
    for i in s2sad.checkpointed(range(n), snapshots=3):
        x = x * 0.9 + y * math.sin(x + i)
        s = s + x * x
    for j in range(3):  # not marked: taped
        s = s * 1.01 + y
    return s


def test_directive_checkpoints_its_loop_only():
    assert marked(0.4, 1.3, 30) == pytest.approx(_unmarked(0.4, 1.3, 30), rel=1e-15)
    g = s2sad.grad(marked, argnums=(0, 1))(0.4, 1.3, 30)
    gt = s2sad.grad(_unmarked, argnums=(0, 1))(0.4, 1.3, 30)
    np.testing.assert_allclose(g, gt, rtol=1e-10)
    fd = C.central_difference(marked, (0.4, 1.3, 30), (1.0, 0.0, None))
    assert g[0] == pytest.approx(fd, rel=1e-6)
    source = s2sad.derivative_source(marked, args=(0.4, 1.3, 30))
    assert "def marked_step_1(i, x, s, y):" in source
    assert "def marked_step_1_adjoint(i, x, s, y, carried_bar):" in source
    assert "checkpointed_forward(marked_step_1, range(n), 3, (x, 0.0), (y,))" in source
    assert source.count("checkpointed_forward") == 1 and "s2sad.checkpointed" not in \
        source.replace("# for i in s2sad.checkpointed", "")
    assert "for j in reversed(range(3)):" in source  # the loop over j is not checkpointed


def _unmarked(x, y, n):
    s = 0.0
    for i in range(n):
        x = x * 0.9 + y * math.sin(x + i)
        s = s + x * x
    for j in range(3):
        s = s * 1.01 + y
    return s


def nested_arrays(w, x, n):
    for t in range(n):
        for j in range(3):  # taped inside the step's adjoint
            x = np.tanh(w @ x + 0.1 * j)
    return np.sum(x ** 2)


def test_nested_loops_outer_checkpointed():
    rng = np.random.default_rng(1)
    w, x = 0.5 * rng.normal(size=(3, 3)), rng.normal(size=3)
    g = s2sad.grad(nested_arrays, argnums=(0, 1), checkpoint=2)(w, x, 9)
    gt = s2sad.grad(nested_arrays, argnums=(0, 1))(w, x, 9)
    for a, b in zip(g, gt):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(g[1], fd_gradient(nested_arrays, (w, x, 9), 1), rtol=1e-4,
                               atol=1e-10)
    source = s2sad.derivative_source(nested_arrays, args=(w, x, 9), argnums=(0, 1),
                                     checkpoint=2)
    assert source.count("checkpointed_forward") == 1


def helper(x, y):
    return math.sin(x) * y + x


def calls_helper(x, y, n):
    for i in range(n):
        x = helper(x, y) * 0.5
    return x


def test_loop_body_calling_a_user_function():
    g = s2sad.grad(calls_helper, argnums=(0, 1), checkpoint=4)(0.7, 1.2, 25)
    gt = s2sad.grad(calls_helper, argnums=(0, 1))(0.7, 1.2, 25)
    np.testing.assert_allclose(g, gt, rtol=1e-10)
    fd = C.central_difference(calls_helper, (0.7, 1.2, 25), (0.0, 1.0, None))
    assert g[1] == pytest.approx(fd, rel=1e-6)


def growth(x, y):
    while x < 100.0:
        x = x * 1.1 + y * math.sin(x)
    return x


def test_while_loop_online_schedule():
    g = s2sad.grad(growth, argnums=(0, 1), checkpoint=3)(1.3, 0.4)
    gt = s2sad.grad(growth, argnums=(0, 1))(1.3, 0.4)
    np.testing.assert_allclose(g, gt, rtol=1e-10)
    fd = C.central_difference(growth, (1.3, 0.4), (1.0, 0.0))
    assert g[0] == pytest.approx(fd, rel=1e-5)
    assert "checkpointed_while(" in s2sad.derivative_source(growth, args=(1.3, 0.4),
                                                              checkpoint=3)


def marked_break(x, y, n):
    for i in s2sad.checkpointed(range(n), snapshots=4):
        x = x * 1.1 + y * math.cos(x)
        if x > 50.0:
            break
    return x


def test_loop_with_break_online_schedule():
    for n in (15, 200):  # ends at its range's end, then at the break (about 30 steps)
        g = s2sad.grad(marked_break, argnums=(0, 1))(1.0, 0.3, n)
        gt = s2sad.grad(lambda x, y: _break_taped(x, y, n), argnums=(0, 1))(1.0, 0.3)
        np.testing.assert_allclose(g, gt, rtol=1e-10)
        fd = C.central_difference(marked_break, (1.0, 0.3, n), (0.0, 1.0, None))
        assert g[1] == pytest.approx(fd, rel=1e-5)
    assert "checkpointed_until(" in s2sad.derivative_source(marked_break, args=(1.0, 0.3, 9))


def _break_taped(x, y, n):
    for i in range(n):
        x = x * 1.1 + y * math.cos(x)
        if x > 50.0:
            break
    return x


def marked_return(x, n):
    for i in s2sad.checkpointed(range(n), snapshots=3):
        x = x * 1.1
        if x > 5.0:
            return x - i
    return x


def test_marked_loop_it_cannot_do_is_refused_naming_the_line():
    with pytest.raises(s2sad.NonDifferentiableError, match="cannot checkpoint this loop: "
                       "a variable it carries is first set inside it") as info:
        s2sad.grad(marked_return)(1.0, 30)
    assert "test_checkpoint.py" in str(info.value) and "for i in s2sad.checkpointed" in \
        str(info.value)


def test_checkpoint_option_is_checked():
    for bad in (0, "auto", True, 2.5):
        with pytest.raises(s2sad.S2sadError, match="checkpoint="):
            s2sad.grad(euler, checkpoint=bad)
    with pytest.raises(s2sad.S2sadError, match="memory_limit="):
        s2sad.grad(euler, checkpoint="auto", memory_limit="lots")
    with pytest.raises(s2sad.S2sadError, match="goes with checkpoint='auto'"):
        s2sad.grad(euler, checkpoint=3, memory_limit="1MB")


def test_auto_snapshots_within_a_memory_limit():
    x, k = np.linspace(0.1, 1.0, 100), np.linspace(1.0, 2.0, 100)
    taped = s2sad.grad(euler, argnums=(0, 1))(x, k, 1000)
    for limit, size in (("100kB", 10 ** 5), (500_000, 500_000)):
        g = s2sad.grad(euler, argnums=(0, 1), checkpoint="auto", memory_limit=limit)
        g(x, k, 1000)
        tracemalloc.start()
        got = g(x, k, 1000)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert 0.5 * size <= peak <= 1.1 * size, (limit, peak)
        for a, b in zip(got, taped):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    source = s2sad.derivative_source(euler, args=(x, k, 10), argnums=(0, 1),
                                     checkpoint="auto", memory_limit="2 MiB")
    assert "snapshots_within(2097152, carried)" in source


# ---------------------------------------------------------------------------
# @s2sad.checkpoint: calls keep their inputs only
# ---------------------------------------------------------------------------
@s2sad.checkpoint
def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def sum_of_powers(x, n):
    s = 0.0
    for i in range(4):
        s = s + power(x + 0.1 * i, n)
    return s


def test_checkpointed_recursive_function():
    assert s2sad.grad(power)(1.3, 6) == pytest.approx(6 * 1.3 ** 5, rel=1e-13)
    g = s2sad.grad(sum_of_powers)(1.3, 5)
    assert g == pytest.approx(sum(5 * (1.3 + 0.1 * i) ** 4 for i in range(4)), rel=1e-13)
    fd = C.central_difference(sum_of_powers, (1.3, 5), (1.0, None))
    assert g == pytest.approx(fd, rel=1e-6)
    source = s2sad.derivative_source(sum_of_powers, args=(1.3, 5), argnums=0)
    assert "power_vjp(" in source and "power_fwd" not in source and "power_tape" not in source
    own = s2sad.derivative_source(power, args=(1.3, 5), argnums=0)
    assert "power_vjp(" in own and "_tape" not in own  # its recursive call recomputes too


MODULE = '''import math
import s2sad


def f(x, y, n):
    for i in s2sad.checkpointed(range(n), snapshots=3):
        x = x * 0.9 + y * math.sin(x)
    return x
'''


def test_transpiled_module_carries_the_scheduler(tmp_path):
    from s2sad.transpile import transpile_file
    path = tmp_path / "marked_module.py"
    path.write_text(MODULE)
    source = transpile_file(str(path), ["f"], scalar=True)
    assert "def checkpointed_adjoint(" in source and "def f_step_1_adjoint(" in source
    namespace = {}
    exec(compile(source, "transpiled", "exec"), namespace)
    x_bar, y_bar = namespace["f_vjp"](0.5, 1.2, 20)[:2]
    _, x_dot = namespace["f_jvp"](0.5, 1.2, 20, 0.0, 1.0, None)
    assert y_bar == pytest.approx(x_dot, rel=1e-12)
    fd = C.central_difference(namespace["f"], (0.5, 1.2, 20), (0.0, 1.0, None))
    assert y_bar == pytest.approx(fd, rel=1e-6)
