"""Checkpointing: the reverse sweep of a long loop in bounded memory.

A checkpointed ``for`` loop over a ``range`` is two functions in the generated
code, both made from the loop body: ``f_step_1(i, *carried, *invariants)``
returns the carried values after iteration ``i`` (the primal body), and
``f_step_1_adjoint(i, *carried, *invariants, carried_bar)`` returns the
adjoints of the active carried values before the iteration and of the active
invariants (the VJP of one step).  The forward sweep calls
:func:`checkpointed_forward` instead of running the loop; it keeps a few
states (*snapshots*) and no tape.  The reverse sweep calls
:func:`checkpointed_adjoint`, which runs Griewank and Walther's binomial
schedule (revolve: the fewest forward steps for a known number of steps and
snapshots), recomputing segments forward from the snapshots.

With ``l`` steps and ``s`` snapshots, let ``r`` be the least number with
``binom(s + r, s) >= l``; revolve's schedule then makes
``r * l - binom(s + r, s + 1)`` forward steps in all (the first forward sweep
to step ``l - 1`` included, :func:`forward_steps`) besides the ``l`` steps the
adjoints run, and holds at most ``s`` snapshots at once (Griewank and Walther,
Algorithm 799, ACM TOMS 26(1), 2000).  Here the forward sweep runs all ``l``
steps (the last one too: the loop's value is needed before the reverse sweep
starts), keeping the snapshots of revolve's first descent and the state before
the last step; the reverse sweep then makes the remaining
``forward_steps(l, s) - (l - 1)`` forward steps.

``while`` loops and loops with a ``break``, whose number of steps is known
only at their end, are checkpointed online (:func:`checkpointed_while`,
:func:`checkpointed_until`, :func:`checkpointed_online_adjoint`; their step
also returns whether the loop stops after it): a snapshot every ``c``
steps, ``c`` doubling (and every other snapshot dropped) whenever half of the
``s`` snapshots are taken; the reverse sweep reverses each segment between
two of them with revolve and the snapshots left.

``checkpoint="auto", memory_limit=...``: :func:`snapshots_within` picks the
snapshot count when the loop starts, from the size of its carried values.

Plain Python and NumPy: the transpiler copies these functions into the modules
it writes.
"""
import numpy as np


def checkpointed(iterable, snapshots=None):
    """``for i in s2sad.checkpointed(range(n), snapshots=20):`` marks a loop to
    checkpoint in reverse mode.  Run as Python it is the iterable itself."""
    return iterable


def checkpoint(func):
    """``@s2sad.checkpoint``: a call of ``func`` in reverse-mode code keeps only
    its inputs; the reverse sweep computes ``func`` again (JAX's ``remat``).
    Run as Python it is ``func`` itself."""
    func.__s2sad_checkpoint__ = True
    return func


def _binomial(n, k):
    """The binomial coefficient (``math.comb``, here for a module of its own)."""
    if k < 0 or k > n:
        return 0
    out = 1
    for j in range(min(k, n - k)):
        out = out * (n - j) // (j + 1)
    return out


def repetitions(steps, snapshots):
    """The least ``r`` with ``binom(snapshots + r, snapshots) >= steps``."""
    r = 0
    while _binomial(snapshots + r, snapshots) < steps:
        r += 1
    return r


def forward_steps(steps, snapshots):
    """Revolve's number of forward steps for ``steps`` steps and ``snapshots``
    snapshots (the first sweep to step ``steps - 1`` included)."""
    if steps <= 1:
        return 0
    r = repetitions(steps, snapshots)
    return r * steps - _binomial(snapshots + r, snapshots + 1)


def _split(steps, snapshots):
    """Where revolve takes its next snapshot: ``m`` steps ahead, so that the
    ``steps - m`` after it (with one snapshot fewer) and the ``m`` before it
    are each reversed at their optimum."""
    r = repetitions(steps, snapshots)
    low = max(1, steps - _binomial(snapshots - 1 + r, snapshots - 1),
              _binomial(snapshots + r - 2, snapshots) if r >= 2 else 0)
    return min(low, steps - 1)


def _descent(steps, snapshots):
    """The steps at which the first forward sweep keeps the state: revolve's
    first snapshots, and the step before the last."""
    at, left, free, kept = 0, steps, snapshots, [0]
    while left > 1 and free > 1:
        m = _split(left, free)
        at, left, free = at + m, left - m, free - 1
        kept.append(at)
    if steps:
        kept.append(steps - 1)
    return set(kept)


def checkpointed_forward(step, items, snapshots, carried, invariants):
    """Run the loop ``for i in items: carried = step(i, *carried, *invariants)``
    keeping only the states the reverse sweep starts from; returns
    ``(carried, checkpoints)`` for :func:`checkpointed_adjoint`."""
    n = len(items)
    snapshots = max(1, int(snapshots))
    keep = _descent(n, snapshots)
    states = {}
    carried = tuple(carried)
    for k, i in enumerate(items):
        if k in keep:
            states[k] = carried
        carried = step(i, *carried, *invariants)
    return carried, (step, items, snapshots, tuple(invariants), states, False)


def checkpointed_adjoint(step_adjoint, checkpoints, carried_bar, active, invariants_active):
    """The reverse sweep of a loop run by :func:`checkpointed_forward`: returns
    the adjoints of the carried values at ``active`` (positions among them)
    before the loop, then those of the invariants at ``invariants_active``,
    summed over the steps (revolve's schedule; no tape).

    A step of a loop with a ``break`` (``stops``) also returns whether the
    loop stops after it, a last entry that has no adjoint."""
    step, items, snapshots, invariants, states, stops = checkpoints
    carried_bar = list(carried_bar)
    sums = [None] * len(invariants_active)
    n = len(items)

    def advance(x, a, b):
        if b in states:
            return states.pop(b)  # the first sweep kept it
        for k in range(a, b):
            x = step(items[k], *x, *invariants)
            if stops:
                x = x[:-1]
        return x

    def adjoint(k, x):
        bar = tuple(carried_bar) + ((None,) if stops else ())
        grads = step_adjoint(items[k], *x, *invariants, bar)
        for j, g in zip(active, grads):
            carried_bar[j] = g
        for j, g in enumerate(grads[len(active):]):
            sums[j] = g if sums[j] is None else sums[j] + g

    # revolve, its recursion as a stack of segments (a, steps, free snapshots,
    # the state at a), the last segment on top
    todo = [(0, n, snapshots, states.pop(0))] if n else []
    while todo:
        a, steps, free, x = todo.pop()
        if steps == 1:
            adjoint(a, x)
        elif free == 1:
            for j in range(steps - 1, -1, -1):
                adjoint(a + j, advance(x, a, a + j))
        else:
            m = _split(steps, free)
            todo.append((a, m, free, x))  # then the first m steps, from the same snapshot
            todo.append((a + m, steps - m, free - 1, advance(x, a, a + m)))
    states.clear()
    out = [carried_bar[j] for j in active]
    for j, s in zip(invariants_active, sums):
        out.append(_zero_like(invariants[j]) if s is None else s)
    return tuple(out)


def checkpointed_while(step, test, snapshots, carried, invariants, stops=False):
    """Run ``while test(*carried, *invariants): carried = step(k, *carried,
    *invariants)`` (``k`` counting the steps); returns ``(carried,
    checkpoints)`` for :func:`checkpointed_online_adjoint`.  With ``stops``
    the step also returns whether a ``break`` ends the loop."""
    return _online(step, test, None, snapshots, carried, invariants, stops)


def checkpointed_until(step, items, snapshots, carried, invariants):
    """Run ``for i in items: carried..., stop = step(i, *carried,
    *invariants)`` until ``stop`` (a ``break``): the number of steps is known
    only at the end, as for a ``while`` loop."""
    return _online(step, None, items, snapshots, carried, invariants, True)


def _online(step, test, items, snapshots, carried, invariants, stops):
    """A loop whose number of steps is not known in advance, keeping at most
    half of ``snapshots`` states, at an interval that doubles (every other
    state dropped) whenever they are all taken."""
    snapshots = max(2, int(snapshots))
    online = max(1, snapshots // 2)  # the other half reverses the segments between them
    n = None if items is None else len(items)
    carried = tuple(carried)
    kept = {}
    interval, k = 1, 0
    while (n is None or k < n) and (test is None or test(*carried, *invariants)):
        if k % interval == 0:
            if len(kept) == online:  # full: keep every other one, twice as far apart
                interval *= 2
                kept = {j: x for j, x in kept.items() if j % interval == 0}
            if k % interval == 0:
                kept[k] = carried
        out = step(k if items is None else items[k], *carried, *invariants)
        k += 1
        if stops:
            carried = out[:-1]
            if out[-1]:
                break
        else:
            carried = out
    items = range(k) if items is None else items[:k]
    return carried, (step, items, snapshots - len(kept) + 1, tuple(invariants), kept, stops)


def checkpointed_online_adjoint(step_adjoint, checkpoints, carried_bar, active,
                                invariants_active):
    """The reverse sweep of a loop run by :func:`checkpointed_while` or
    :func:`checkpointed_until`: each segment between two kept states, last
    first, reversed with revolve using the snapshots left free."""
    step, items, free, invariants, kept, stops = checkpoints
    starts = sorted(kept)
    carried_bar = tuple(carried_bar)
    out = None
    for idx in range(len(starts) - 1, -1, -1):
        a = starts[idx]
        b = starts[idx + 1] if idx + 1 < len(starts) else len(items)
        segment = (step, items[a:b], max(1, free), invariants, {0: kept.pop(a)}, stops)
        got = checkpointed_adjoint(step_adjoint, segment, carried_bar, active,
                                   invariants_active)
        for j, g in zip(active, got):
            carried_bar = carried_bar[:j] + (g,) + carried_bar[j + 1:]
        sums = got[len(active):]
        out = list(sums) if out is None else [s + g for s, g in zip(out, sums)]
    if out is None:
        out = [_zero_like(invariants[j]) for j in invariants_active]
    return tuple(carried_bar[j] for j in active) + tuple(out)


def snapshots_within(limit, carried):
    """How many snapshots of ``carried`` fit in ``limit`` bytes
    (``checkpoint="auto", memory_limit=...``), the few states a step's adjoint
    holds while it runs counted too, and a tenth kept for the rest; at least 2."""
    size = max(1, _size_of(carried))
    return max(2, int(0.9 * limit // size) - 8)


def _size_of(value):
    """The bytes a state holds: its arrays' data and the objects around them."""
    if isinstance(value, np.ndarray):
        return value.nbytes + 112
    if isinstance(value, (tuple, list)):
        return 56 + 8 * len(value) + sum(_size_of(v) for v in value)
    return 32


def _zero_like(v):
    return np.zeros_like(v) if isinstance(v, np.ndarray) else 0.0
