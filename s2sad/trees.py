"""Containers in and out: nested tuples, lists, dicts and named tuples of
floats and arrays ("pytrees", as JAX calls them).

Generated derivative code handles containers directly (a dict argument's
adjoint is a dict); these helpers serve the Jacobian functions, which need the
leaves as one flat vector.
"""
from __future__ import annotations

from typing import Any, List, Tuple

import numpy as np


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
