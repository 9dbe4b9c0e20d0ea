"""Containers in and out: nested tuples, lists, dicts and named tuples of
floats and arrays ("pytrees", as JAX calls them).

Generated derivative code handles containers directly (a dict argument's
adjoint is a dict); the Jacobian functions (``jacfwd``, ``jacrev``) need the
leaves in order, and the helpers at the end of this module, which their
generated code calls, walk them.
"""
from __future__ import annotations

from typing import Any, List, Tuple

import numpy as np

from .runtime import _pure, _rebuild


def is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def flatten(tree) -> Tuple[List[Any], Any]:
    """The leaves of ``tree`` in a fixed order, and a description to rebuild it."""
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, defs = [], []
        for k in keys:
            lv, d = flatten(tree[k])
            leaves += lv
            defs.append(d)
        return leaves, ("dict", keys, defs)
    if isinstance(tree, (list, tuple)):
        leaves, defs = [], []
        for v in tree:
            lv, d = flatten(v)
            leaves += lv
            defs.append(d)
        kind = "namedtuple" if is_namedtuple(tree) else type(tree).__name__
        return leaves, (kind, type(tree), defs)
    return [tree], ("leaf",)


def _is_integer(x) -> bool:
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "biu"
    return isinstance(x, (int, np.integer, np.bool_))


def integer_leaf(tree, path=""):
    """``(path, leaf)`` of the first integer or boolean leaf (a Python int, a
    NumPy integer, an integer array) inside a container, ``path`` as its
    indices read (``[0]['w']``); None when there is none, or ``tree`` is no
    container."""
    if isinstance(tree, dict):
        entries = tree.items()
    elif isinstance(tree, (list, tuple)):
        entries = enumerate(tree)
    else:
        return None
    for key, value in entries:
        where = f"{path}[{key!r}]"
        if _is_integer(value):
            return where, value
        found = integer_leaf(value, where)
        if found is not None:
            return found
    return None


def has_integer_leaf(tree) -> bool:
    """Whether a container holds an integer leaf (a caller's guard: cheap for
    the containers of floats and arrays it passes)."""
    return integer_leaf(tree) is not None


def unflatten(treedef, leaves):
    it = iter(leaves)

    def build(d):
        if d[0] == "leaf":
            return next(it)
        if d[0] == "dict":
            return {k: build(sub) for k, sub in zip(d[1], d[2])}
        items = [build(sub) for sub in d[2]]
        if d[0] == "namedtuple":
            return d[1](*items)
        return d[1](items)

    return build(treedef)


def tree_map(fn, tree, *rest):
    leaves, d = flatten(tree)
    others = [flatten(r)[0] for r in rest]
    return unflatten(d, [fn(x, *xs) for x, *xs in zip(leaves, *others)])


def zeros_like_tree(tree):
    return tree_map(lambda x: np.zeros_like(x) if isinstance(x, np.ndarray) else 0.0, tree)


# ---------------------------------------------------------------------------
# Jacobians (s2sad.jacfwd, s2sad.jacrev): the generated Jacobian function
# (s2sad/derived.py) calls these; like the runtime's helpers they are plain NumPy
# code with derivative rules (s2sad/rules/helpers.py), so that Jacobians can be
# differentiated again.  That function runs one JVP per entry of the input, or
# one VJP per entry of the output; these make the unit vectors and assemble the
# results, as JAX nests them:
# the output's structure outside, the input's inside, each leaf of shape
# out.shape + in.shape.  Numbers and arrays are leaves; tuples, lists and dicts
# are walked in order, and so is a user object, whose derivatives are (as grad
# gives them) a dict of its attributes' ones: those that hold numbers but no
# integers, which are never differentiated; anything else (a string, None) has
# no entries.
# ---------------------------------------------------------------------------
def _attributes(x):
    """A user object's differentiable attributes as a dict, or None for anything else."""
    cls = type(x)
    if isinstance(x, (tuple, list, dict, str, np.ndarray, np.generic, int, float, complex)) \
            or cls.__module__ == "builtins" or cls.__module__.startswith("numpy") or \
            not hasattr(x, "__dict__"):
        return None
    return {k: v for k, v in vars(x).items() if not _is_integer(v) and not has_integer_leaf(v)
            and any(map(_has_entries, _tree_leaves(v)))}


def attribute_dicts(t):
    """``t`` with each user object in it as the dict of its attributes: a tangent
    given as an object of the argument's class, as generated code takes it."""
    if isinstance(t, (tuple, list)):
        return _rebuild(t, [attribute_dicts(v) for v in t])
    if isinstance(t, dict):
        return {k: attribute_dicts(v) for k, v in t.items()}
    entries = _attributes(t)
    return t if entries is None else attribute_dicts(entries)


def _tree_leaves(x):
    if isinstance(x, (tuple, list)):
        return [leaf for v in x for leaf in _tree_leaves(v)]
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in _tree_leaves(v)]
    entries = _attributes(x)
    if entries is not None:
        return _tree_leaves(entries)
    return [x]


def number_leaves(x):
    """The numbers and arrays in ``x``, in order (a user object's attributes too)."""
    return [v for v in _tree_leaves(x) if _has_entries(v)]


def _tree_build(x, leaves):
    """A value shaped as ``x`` whose leaves are taken from the iterator ``leaves``
    (a dict of attributes for a user object)."""
    if isinstance(x, (tuple, list)):
        return _rebuild(x, [_tree_build(v, leaves) for v in x])
    if isinstance(x, dict):
        return {k: _tree_build(v, leaves) for k, v in x.items()}
    entries = _attributes(x)
    if entries is not None:
        return _tree_build(entries, leaves)
    return next(leaves)


def _tree_parts(x, g):
    """The parts of ``g`` at the places of ``x``'s leaves (``g`` is shaped as ``x``
    down to them, or is a zero: then None)."""
    if isinstance(x, (tuple, list)):
        if not isinstance(g, (tuple, list)):
            return [None] * len(_tree_leaves(x))
        return [p for v, gv in zip(x, g) for p in _tree_parts(v, gv)]
    if isinstance(x, dict):
        if not isinstance(g, dict):
            return [None] * len(_tree_leaves(x))
        return [p for k, v in x.items() for p in _tree_parts(v, g.get(k))]
    entries = _attributes(x)
    if entries is not None:
        return _tree_parts(entries, g)
    return [g]


def _has_entries(v):
    return isinstance(v, (int, float, complex, np.number, np.ndarray)) and \
        not isinstance(v, (bool, np.bool_))


def _block(v, shape):
    """``v`` (an entry's derivative, or None for zero) as an array of ``shape``."""
    if v is None:
        return np.zeros(shape)
    return np.broadcast_to(np.asarray(v), shape)


@_pure
def detached(x):
    """A copy of ``x`` that carries no derivative (arrays copied, containers
    rebuilt): the generated Jacobian calls the function on it for the output's
    shape, which the function may not change in the caller's arrays."""
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, (tuple, list)):
        return _rebuild(x, [detached(v) for v in x])
    if isinstance(x, dict):
        return {k: detached(v) for k, v in x.items()}
    return x


@_pure
def jacobian_basis(x):
    """The unit tangents of ``x``, one per entry of its numbers and arrays in order:
    the columns of an identity matrix, each shaped as ``x``."""
    leaves = _tree_leaves(x)
    zeros = [(np.zeros(np.shape(v), v.dtype if np.issubdtype(v.dtype, np.inexact) else float)
              if isinstance(v, np.ndarray) else 0.0) if _has_entries(v) else None
             for v in leaves]
    out = []
    for k, v in enumerate(leaves):
        if zeros[k] is None:
            continue
        for j in range(np.size(v)):
            unit = 1.0
            if isinstance(v, np.ndarray):
                unit = np.zeros_like(zeros[k])
                unit.flat[j] = 1
            out.append(_tree_build(x, iter(zeros[:k] + [unit] + zeros[k + 1:])))
    return out


@_pure
def jacobian_columns(columns, xs, single=True):
    """The Jacobian from ``columns``, the output tangents for the unit tangents of
    ``jacobian_basis(x)`` in order.  With ``single`` there is one argument ``xs``
    and ``columns`` is a list; else ``xs`` is a tuple of arguments and ``columns``
    a tuple of lists, and each output leaf holds a tuple (one entry per argument)."""
    if single:
        columns, xs = (columns,), (xs,)
    template = next((c[0] for c in columns if len(c)), None)  # shaped as the output
    n_out = len(_tree_leaves(template))
    per_arg = []
    for cols, x in zip(columns, xs):
        parts = [_tree_parts(template, c) for c in cols]
        per_out = []
        for o in range(n_out):
            found = [p[o] for p in parts if p[o] is not None]
            if not found:
                per_out.append(None)
                continue
            shape_o = np.broadcast_shapes(*[np.shape(f) for f in found])
            k, blocks = 0, []
            for v in _tree_leaves(x):
                if not _has_entries(v):
                    blocks.append(None)
                    continue
                m = np.size(v)
                stack = [_block(p[o], shape_o) for p in parts[k:k + m]]
                k += m
                block = np.reshape(np.array(stack) if m else np.zeros((0,) + shape_o),
                                   np.shape(v) + shape_o)
                n = np.ndim(v)
                blocks.append(np.moveaxis(block, tuple(range(n)), tuple(range(-n, 0))) if n
                              else block if block.ndim else block[()])
            per_out.append(_tree_build(x, iter(blocks)))
        per_arg.append(per_out)
    leaves = [per_arg[0][o] if single else tuple(p[o] for p in per_arg) for o in range(n_out)]
    return _tree_build(template, iter(leaves))


@_pure
def jacobian_columns_adjoint(g, columns, xs, single=True):
    """The adjoint of ``columns`` from the adjoint ``g`` of
    ``jacobian_columns(columns, xs, single)`` (its transpose)."""
    if single:
        columns, xs = (columns,), (xs,)
    template = next((c[0] for c in columns if len(c)), None)
    g_parts = _tree_parts(template, g)
    out = []
    for a, (cols, x) in enumerate(zip(columns, xs)):
        in_leaves = _tree_leaves(x)
        # per output leaf, per input entry (in order): the adjoint of that column's leaf
        per_out = []
        for o, go in enumerate(g_parts):
            jg = go if single else go[a] if isinstance(go, tuple) else None
            entries = []
            for v, b in zip(in_leaves, _tree_parts(x, jg)):
                if not _has_entries(v):
                    continue
                m, n = np.size(v), np.ndim(v)
                if b is None:
                    entries += [None] * m
                    continue
                b = np.asarray(b)
                b = np.moveaxis(b, tuple(range(b.ndim - n, b.ndim)), tuple(range(n))) if n else b
                entries += list(np.reshape(b, (m,) + b.shape[n:]))
            per_out.append(entries)
        adj = []
        for k, c in enumerate(cols):
            like = _tree_parts(template, c)
            leaves = [(np.zeros(np.shape(like[o])) if like[o] is not None else None)
                      if per_out[o][k] is None else per_out[o][k] for o in range(len(g_parts))]
            adj.append(_tree_build(template, iter(leaves)))
        out.append(adj)
    return out[0] if single else tuple(out)


@_pure
def jacobian_rows(rows, y, xs, single=True):
    """The Jacobian from ``rows``, the adjoints (one tuple of them per argument)
    for the unit cotangents of ``jacobian_basis(y)`` in order.  With ``single``
    there is one argument ``xs``; else ``xs`` is a tuple of them, and each output
    leaf holds a tuple (one entry per argument)."""
    if single:
        xs = (xs,)
    k, out = 0, []
    for yo in _tree_leaves(y):
        if not _has_entries(yo):
            out.append(None)
            continue
        m = np.size(yo)
        block_rows = rows[k:k + m]
        k += m
        per_arg = []
        for a, x in enumerate(xs):
            parts = [_tree_parts(x, r[a]) for r in block_rows]
            blocks = []
            for i, v in enumerate(_tree_leaves(x)):
                if not _has_entries(v):
                    blocks.append(None)
                    continue
                stack = [_block(p[i], np.shape(v)) for p in parts]
                block = np.reshape(np.array(stack) if m else np.zeros((0,) + np.shape(v)),
                                   np.shape(yo) + np.shape(v))
                blocks.append(block if block.ndim else block[()])
            per_arg.append(_tree_build(x, iter(blocks)))
        out.append(per_arg[0] if single else tuple(per_arg))
    return _tree_build(y, iter(out))


@_pure
def jacobian_rows_adjoint(g, rows, y, xs, single=True):
    """The adjoint of ``rows`` from the adjoint ``g`` of
    ``jacobian_rows(rows, y, xs, single)`` (its transpose)."""
    if single:
        xs = (xs,)
    out = []
    for yo, go in zip(_tree_leaves(y), _tree_parts(y, g)):
        if not _has_entries(yo):
            continue
        m = np.size(yo)
        per_arg = []
        for a, x in enumerate(xs):
            jg = go if single else go[a] if isinstance(go, tuple) else None
            per_leaf = []
            for v, b in zip(_tree_leaves(x), _tree_parts(x, jg)):
                if not _has_entries(v):
                    per_leaf.append([None] * m)
                    continue
                b = np.zeros((m,) + np.shape(v)) if b is None else \
                    np.reshape(np.asarray(b), (m,) + np.shape(v))
                per_leaf.append(list(b))
            per_arg.append([_tree_build(x, iter([p[j] for p in per_leaf])) for j in range(m)])
        out += [tuple(p[j] for p in per_arg) for j in range(m)]
    return out
