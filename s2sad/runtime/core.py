"""General helpers: adjoints of values of any kind (numbers, arrays, lists,
tuples, dicts), unbroadcasting, purity marks."""
import numpy as np


def _rebuild(x, items):
    """A container of x's type (named tuples too) holding ``items``."""
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*items)
    return type(x)(items)


def _pure(fn):
    fn.__s2sad_pure__ = True  # no side effects: generated code may fold calls to it
    return fn


@_pure
def unbroadcast(g, x):
    """Sum the adjoint ``g`` of a broadcast result back to the shape of ``x``."""
    shape = np.shape(x)
    if np.shape(g) == shape:
        return g
    if isinstance(g, (list, tuple)) and isinstance(x, (list, tuple)):
        raise TypeError("s2sad: '+' or '*' of lists or tuples was differentiated as "
                        "arithmetic (its operands' kinds were not known when compiling): "
                        "make one a list (list(...)) or use np.concatenate")
    g = np.asarray(g)
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if not shape:
        return g[()] if isinstance(g, np.ndarray) else g
    return g.reshape(shape)


@_pure
def zeros_like_value(x):
    """A zero with the structure of ``x``: 0.0, an array, or a tuple/list/dict of zeros."""
    if isinstance(x, (tuple, list)):
        return _rebuild(x, [zeros_like_value(v) for v in x])
    if isinstance(x, dict):
        return {k: zeros_like_value(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    if isinstance(x, (int, float, complex, np.number)):
        return 0.0
    return None


@_pure
def add_any(a, b):
    """Add two adjoints that may be containers (tuples, lists, dicts) or None."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, (tuple, list)):
        return _rebuild(a, [add_any(x, y) for x, y in zip(a, b)])
    if isinstance(a, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = add_any(out.get(k), v)
        return out
    return a + b


@_pure
def part_like(g, x):
    """The part of the adjoint ``g`` of ``add_any(x, other)`` that is ``x``'s: the
    entries (or dict keys) ``x`` has, each summed back to its shape (None for None)."""
    if x is None or g is None:
        return None
    if isinstance(x, (tuple, list)) and isinstance(g, (tuple, list)):
        return _rebuild(x, [part_like(gi, xi) for gi, xi in zip(g, x)])
    if isinstance(x, dict) and isinstance(g, dict):
        return {k: part_like(g.get(k), v) for k, v in x.items()}
    return unbroadcast(g, x)


@_pure
def embed_like(c, g):
    """``c`` (shaped as a part of ``g``, see :func:`part_like`) put in the place of
    that part in a value shaped as ``g``, with zeros elsewhere (its transpose)."""
    if g is None:
        return None
    if c is None:
        return zeros_like_value(g)
    if isinstance(g, (tuple, list)):
        return _rebuild(g, [embed_like(ci, gi) for ci, gi in zip(c, g)])
    if isinstance(g, dict):
        return {k: embed_like(c.get(k) if isinstance(c, dict) else None, v)
                for k, v in g.items()}
    if np.shape(c) == np.shape(g):
        return c
    return np.broadcast_to(c, np.shape(g))


@_pure
def index_adjoint(g, x, index):
    """The adjoint of ``x`` from the adjoint ``g`` of ``x[index]``."""
    if isinstance(x, (tuple, list)):
        out = [zeros_like_value(v) for v in x]
        if isinstance(index, slice):
            for i, gi in zip(range(*index.indices(len(x))), g):
                out[i] = add_any(out[i], gi)
        else:
            out[index] = add_any(out[index], g)
        return _rebuild(x, out) if isinstance(x, tuple) else out
    if isinstance(x, dict):
        out = zeros_like_value(x)
        out[index] = add_any(out[index], g)
        return out
    out = np.zeros(np.shape(x), dtype=np.result_type(x, g) if np.ndim(x) else float)
    np.add.at(out, index, g)
    return out


@_pure
def copy_adjoint(g, x):
    """The adjoint of ``x`` from that of ``x.copy()`` where ``x`` may be an array
    (the adjoint shaped as ``x``) or a list or dict (it passes through)."""
    if isinstance(x, (list, tuple, dict)) or g is None:
        return g
    return np.reshape(g, np.shape(x))


@_pure
def entry_cleared(g, index):
    """A copy of the container adjoint ``g`` with a zero of its structure at
    ``index``: the adjoint of a container before ``xs[index] = v`` replaced the
    entry (a list or a dict of adjoints, where 0.0 would not add up)."""
    if not isinstance(g, (list, tuple, dict)):
        return g  # a zero already (None, 0.0)
    out = dict(g) if isinstance(g, dict) else list(g)
    out[index] = _zero_entries(g[index])
    return _rebuild(g, out) if isinstance(g, tuple) else out


def _zero_entries(g):
    """``g``'s containers with 0.0 in place of each number or array (a zero that
    adds to an adjoint of any shape)."""
    if isinstance(g, (tuple, list)):
        return _rebuild(g, [_zero_entries(v) for v in g])
    if isinstance(g, dict):
        return {k: _zero_entries(v) for k, v in g.items()}
    return 0.0


@_pure
def dict_entry(g, key):
    """``g[key]`` of a dict of adjoints ``g`` (None where it has no entry there):
    the adjoint of a dict literal's value, from the dict's adjoint."""
    return g.get(key)


@_pure
def repeat_like(g, xs):
    """The adjoint of the elements of ``xs`` from the adjoint ``g`` of ``sum(xs)``:
    a fresh list holding ``g`` once per element, summed back to that element's
    shape (the partial sums broadcast step by step).  For an array ``xs``, whose
    elements are its rows, a fresh array of its shape holding that in each row."""
    if isinstance(xs, np.ndarray):
        out = np.zeros(xs.shape, dtype=np.result_type(xs, g))
        if len(xs):
            out[...] = unbroadcast(g, xs[0])
        return out
    return [unbroadcast(g, x) for x in xs]
