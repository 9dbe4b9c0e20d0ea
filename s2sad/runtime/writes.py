"""Helpers of writes made into values (s2sad/passes/memory/)."""
import numpy as np

from .builtins import like_sequence
from .core import _pure


# ---------------------------------------------------------------------------
# Writes made into values (s2sad/passes/memory.py): ``np.put(a, ind, v)`` and
# ``np.add.at(a, idx, b)`` change ``a`` in place; derivative code computes the
# changed array as a new one, so that the old one is still there to read.
# ---------------------------------------------------------------------------
@_pure
def put(a, ind, v, mode="raise"):
    """``a`` after ``np.put(a, ind, v, mode)``, as a new array."""
    out = np.array(a, copy=True)
    np.put(out, ind, v, mode=mode)
    return out


def _put_positions(size, ind, mode):
    ind = np.ravel(np.asarray(ind))
    if mode == "wrap":
        return ind % size
    if mode == "clip":
        return np.clip(ind, 0, size - 1)
    return np.arange(size)[ind]


@_pure
def put_value_adjoint(g, ind, v, mode="raise"):
    """The adjoint of ``v`` in ``np.put(a, ind, v)`` from the adjoint ``g`` of the
    result: ``v`` is repeated cyclically along ``ind``, and where a position is
    written more than once only its last write stays."""
    g = np.asarray(g)
    positions = _put_positions(g.size, ind, mode)
    order = np.arange(positions.size)
    last = np.full(g.size, -1)
    last[positions] = order
    picked = np.where(last[positions] == order, g.ravel()[positions], 0.0)
    size = max(np.size(v), 1)
    out = np.zeros(size, dtype=np.result_type(g, float))
    np.add.at(out, order % size, picked)
    return out.reshape(np.shape(v)) if np.ndim(v) else out.sum() if np.size(v) != 1 else out[0]


@_pure
def add_at(a, indices, b):
    """``a`` after ``np.add.at(a, indices, b)``, as a new array."""
    out = np.array(a, copy=True, dtype=np.result_type(a, b))
    np.add.at(out, indices, b)
    return out


@_pure
def subtract_at(a, indices, b):
    """``a`` after ``np.subtract.at(a, indices, b)``, as a new array."""
    out = np.array(a, copy=True, dtype=np.result_type(a, b))
    np.subtract.at(out, indices, b)
    return out


@_pure
def sort_order(items, key=None, reverse=False):
    """The positions of ``items`` in the order ``sorted(items, key, reverse)``
    puts them (a stable sort, as Python's)."""
    keys = list(items) if key is None else [key(x) for x in items]
    return sorted(range(len(keys)), key=keys.__getitem__, reverse=reverse)


@_pure
def permuted(items, order):
    """``[items[i] for i in order]``: a list in a given order."""
    return [items[i] for i in order]


@_pure
def unpermuted(g, order):
    """The transpose of :func:`permuted`: ``g[j]`` goes back to position ``order[j]``."""
    out = [0.0] * len(order)
    for j, i in enumerate(order):
        out[i] = g[j]
    return out


@_pure
def unpacked_adjoint(parts, x):
    """The adjoint of an array ``x`` unpacked as ``a, b, c = x``, from the
    adjoints of its rows (None where a row has none).  Derivative code that could
    not tell whether ``x`` is an array (a parameter of a helper called with the
    result of another) calls it with every part given: of a tuple or list ``x``
    the adjoint is the tuple of the parts."""
    if not isinstance(x, np.ndarray):
        return tuple(parts)
    out = np.zeros(np.shape(x), dtype=np.result_type(x, float))
    for i, p in enumerate(parts):
        if p is not None:
            out[i] = p
    return out


@_pure
def starred_adjoint(before, middle, after):
    """The adjoint of ``t`` in ``a, *mid, b = t`` from those of ``a``, ``mid``
    (a list) and ``b``: one tuple of the entries' adjoints, in order."""
    return tuple(before) + tuple(middle) + tuple(after)


@_pure
def is_view(v, base, entry=False):
    """Whether ``v``, made from ``base`` (``base.reshape(...)``, or with ``entry``
    ``base[i]``), is part of it: an array sharing its memory (``x[i]`` of a 1-D
    array is a number, ``reshape`` of an array that is not contiguous a copy),
    or with ``entry`` an entry of a list or dict that can change."""
    if isinstance(base, np.ndarray):
        return isinstance(v, np.ndarray) and np.shares_memory(v, base)
    if entry and isinstance(base, (list, dict)):
        return not isinstance(v, (int, float, complex, str, bytes, tuple, type(None),
                                  np.generic))
    return False


@_pure
def without(items, i):
    """``items`` after ``items.pop(i)``, as a new list."""
    out = list(items)
    del out[i]
    return out


@_pure
def with_entry(items, i, value):
    """The transpose of :func:`without`: ``value`` put back at position ``i``
    (counted as in the list before the pop, ``len(items) + 1`` long)."""
    out = list(items)
    n = len(out) + 1
    out.insert(i % n if i < 0 else i, value)
    return out


# ---------------------------------------------------------------------------
# The reverse of a list growing in place: as the adjoint of ``xs.append(v)``
# pops ``v``'s adjoint off the list's adjoint, these take out what ``extend``
# and ``insert`` put in, leaving the adjoint of the list as it was before.
# ---------------------------------------------------------------------------
def extended_adjoint(items_bar, added):
    """The adjoint of ``added`` in ``xs.extend(added)``, taken off the end of
    ``items_bar`` (the adjoint of ``xs`` after it), in ``added``'s form."""
    n = len(items_bar) - len(added)
    tail = items_bar[n:]
    del items_bar[n:]
    return like_sequence(tail, added)


def inserted_adjoint(items_bar, index):
    """The adjoint of ``v`` in ``xs.insert(index, v)``, taken out of
    ``items_bar`` (the adjoint of ``xs`` after it): ``insert`` puts ``v`` where
    ``xs[index:index] = [v]`` would."""
    return items_bar.pop(slice(index, None).indices(len(items_bar) - 1)[0])
