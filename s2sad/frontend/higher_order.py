"""Builtins that take a function: ``map``, ``filter``, ``sorted``/``min``/``max``
with ``key=``, ``functools.reduce``, and ``np.piecewise``.

With the function known when lowering (a lambda, a nested def, the user's
function, ``np.sin``, ``operator.add``), each becomes the loop a person would
write, and the function's calls are inlined in it (or call its rule):

* ``map(fn, xs, ys)`` — a list, ``fn`` applied to the items of ``zip(xs, ys)``;
  a map object is iterated once, so s2sad accepts it only where it is consumed
  (``list(map(...))``, ``sum(...)``, a for loop, a comprehension);
* ``filter(fn, xs)`` — the items for which ``fn`` is true (also consumed once);
* ``sorted(xs, key=fn, reverse=r)`` — the keys, their stable order
  (``sort_order``, no derivative) and the items in that order (``permuted``):
  the derivative follows the items, the keys only order them;
* ``max(xs, key=fn)``, ``min(...)`` — the first item of largest (smallest) key;
* ``functools.reduce(fn, xs[, initial])`` — a loop carrying the accumulator;
* ``np.piecewise(x, conds, pieces)`` — zeros, then each piece written where its
  mask holds (``piecewise_masks``), a function applied to those entries only.

Over a container of functions (:class:`~.functions.StaticSeq`) the loop is
unrolled when compiling.
"""
import builtins
import functools

import gast
import numpy as np

from ..ir.nodes import Block, Const, For, Global, Value
from ..runtime import permuted, piecewise_masks, sort_order, zeros_like_value
from .functions import (NOT_HANDLED, Closure, StaticSeq, consumed_calls,
                        is_callable_static, is_static)
from .naming import call_hint

_LISTS = (gast.List, gast.ListComp, gast.GeneratorExp, gast.Tuple)


class HigherOrder:
    """The builtins half of :class:`~.inline.NestedFunctions`."""

    def builtin(self, node, obj, args, attrs, hint):
        if attrs.get("star") or attrs.get("dstar") or not _hashable(obj):
            return NOT_HANDLED
        kw = attrs.get("kw", ())
        npos = len(args) - len(kw)
        pos, kws = list(args[:npos]), dict(zip(kw, args[npos:]))
        low = self.lowerer
        if obj is builtins.len and len(pos) == 1 and isinstance(pos[0], StaticSeq):
            return Const(len(pos[0].items))
        if obj is builtins.enumerate and len(pos) == 1 and isinstance(pos[0], StaticSeq) \
                and not kws:
            return StaticSeq("list", [StaticSeq("tuple", [Const(k), v])
                                      for k, v in enumerate(pos[0].items)])
        if obj is builtins.zip and any(isinstance(p, StaticSeq) for p in pos) and not kws:
            return self.zip_static(node, pos)
        if obj is builtins.map and len(pos) >= 2 and not kws and is_callable_static(pos[0]):
            self.check_consumed(node, "map")
            return self.map(node, pos[0], pos[1:], node.args[1:], hint)
        if obj is builtins.filter and len(pos) == 2 and not kws and \
                (is_callable_static(pos[0]) or pos[0] == Const(None)):
            self.check_consumed(node, "filter")
            return self.filter(node, pos[0], pos[1], node.args[1], hint)
        key = kws.get("key")
        if obj is builtins.sorted and len(pos) == 1 and is_callable_static(key) and \
                set(kws) <= {"key", "reverse"}:
            items = self.materialize(node.args[0], pos[0])
            keys = self.map(node, key, [items], [None], "keys", "key")
            order = low.emit("call", [Global("sort_order", sort_order), keys, Const(None),
                                      kws.get("reverse", Const(False))], "order").result
            return low.emit("call", [Global("permuted", permuted), items, order],
                            hint or "ordered", user=hint is not None).result
        if obj in (builtins.max, builtins.min) and pos and is_callable_static(key):
            if set(kws) != {"key"}:
                raise low.error(node, f"{obj.__name__}() with key= takes no other "
                                      "keyword argument here",
                                "test whether the sequence is empty before the call")
            items = self.materialize(node.args[0], pos[0]) if len(pos) == 1 else \
                low.emit("build", pos, "items", type="tuple").result
            keys = self.map(node, key, [items], [None], "keys", "key")
            order = low.emit("call", [Global("sort_order", sort_order), keys, Const(None),
                                      Const(obj is builtins.max)], "order").result
            first = low.emit("getitem", [order, Const(0)], "pick", index=("val", 1)).result
            return low.emit("getitem", [items, first], hint or f"{obj.__name__}_item",
                            user=hint is not None, index=("val", 1)).result
        if obj is functools.reduce and len(pos) in (2, 3) and not kws and \
                is_callable_static(pos[0]):
            return self.reduce(node, pos[0], pos[1], pos[2] if len(pos) == 3 else None, hint)
        if obj is np.piecewise and len(pos) >= 3:
            return self.piecewise(node, pos[0], pos[1], pos[2], pos[3:], kws, hint)
        return NOT_HANDLED

    def piecewise(self, node, x, condlist, funclist, extra, kws, hint):
        """``np.piecewise(x, conds, pieces)``, as NumPy computes it: zeros, then
        each piece written where its mask holds (a function applied to those
        entries only, so that it is differentiated where it is used)."""
        low = self.lowerer
        if isinstance(funclist, StaticSeq):
            pieces = list(funclist.items)
        elif isinstance(node.args[2], (gast.List, gast.Tuple)):
            pieces = [low.emit("getitem", [funclist, Const(k)], "piece",
                               index=("val", 1)).result
                      for k in range(len(node.args[2].elts))]
        else:
            raise low.error(node.args[2], "np.piecewise needs its list of pieces written "
                                          "out in the call",
                            "write the functions and values as a list literal: "
                            "np.piecewise(x, [c1, c2], [f1, f2])")
        masks = low.emit("call", [Global("piecewise_masks", piecewise_masks), x, condlist,
                                  Const(len(pieces))], "masks").result
        out = low.emit("call", [Global("zeros_like_value", zeros_like_value), x],
                       hint or "pieces", user=hint is not None).result
        for k, piece in enumerate(pieces):
            mask = low.emit("getitem", [masks, Const(k)], "mask", index=("val", 1)).result
            if is_callable_static(piece):
                part = low.emit("getitem", [x, mask], "part", index=("val", 1)).result
                piece = self.apply(node, piece, [part] + list(extra), "piece") if not kws else \
                    self.refuse(node, piece, "with keyword arguments to np.piecewise")
            out = low.emit("setitem", [out, piece, mask], hint or "pieces",
                           user=hint is not None, index=("val", 2)).result
        return out

    def zip_static(self, node, pos):
        """``zip(fns, weights)``: as long as the shortest container of functions;
        the other sequences are read at those positions (a shorter one raises
        IndexError where Python's zip would stop early)."""
        low = self.lowerer
        n = min(len(p.items) for p in pos if isinstance(p, StaticSeq))
        columns = []
        for p, arg in zip(pos, node.args):
            if isinstance(p, StaticSeq):
                columns.append(p.items[:n])
            elif is_static(p) or isinstance(arg, gast.Starred):
                self.refuse(arg, p, "in zip()")
            else:
                columns.append([low.emit("getitem", [p, Const(k)], "item",
                                         index=("val", 1)).result for k in range(n)])
        return StaticSeq("list", [StaticSeq("tuple", list(row)) for row in zip(*columns)])

    def check_consumed(self, node, what):
        info = self.lowerer.info
        key = id(info.node)
        if key not in self.consumed:  # (the tree is kept, so that its ids stay its own)
            self.consumed[key] = (info.node, consumed_calls(info.node))
        if id(node) not in self.consumed[key][1]:
            raise self.lowerer.error(node, f"a {what} object is iterated once, and s2sad "
                                           f"makes it a list where it is consumed",
                                     f"use {what}(...) where it is consumed: in list(...), "
                                     "sum(...), a for loop or a comprehension, or write "
                                     f"list({what}(...)) to keep it")

    def materialize(self, arg_node, value):
        """The items of an iterable, as a list that can be read twice."""
        if isinstance(arg_node, _LISTS) or (
                isinstance(arg_node, gast.Call) and isinstance(arg_node.func, gast.Name) and
                arg_node.func.id in ("map", "filter", "sorted", "list")):
            return value
        if isinstance(value, StaticSeq):
            return value
        return self.lowerer.emit("call", [Global("list", builtins.list), value], "items").result

    def apply(self, node, fn, args, role=None):
        """The call ``fn(*args)`` of a function value; an anonymous lambda's
        result is named after its ``role`` (``key``, ``elem``)."""
        hint = role if isinstance(fn, Closure) and fn.name is None else None
        if isinstance(fn, Closure):
            return self.call_closure(node, fn, list(args), {}, hint)
        done = self.call(node, fn, list(args), {}, hint)
        if done is not NOT_HANDLED:
            return done
        low = self.lowerer
        return low.emit("call", [fn] + list(args), hint or call_hint(fn, list(args), {}),
                        user=hint is not None).result

    def fold(self, iterable, item_hint, acc, step, acc_hint):
        """A for loop over ``iterable`` carrying ``acc``: ``acc = step(item, acc)``."""
        low = self.lowerer
        name = low.names.fresh(".acc", acc_hint)
        low.env[name] = acc
        item = Value(item_hint, user=True)

        def bind():
            low.env[name] = step(item, low.env[name])

        low.lower_loop([name], [], lambda args: For(iterable, item, args, [], Block(),
                                                    loc=low.loc), bind)
        return low.env.pop(name)

    def item_hints(self, fn, n):
        params = fn.params if isinstance(fn, Closure) else []
        return [params[k] if k < len(params) else "v" for k in range(n)]

    def map(self, node, fn, iterables, nodes, hint, role="elem"):
        low = self.lowerer
        if all(isinstance(it, StaticSeq) for it in iterables):
            results = [self.apply(node, fn, row, role)
                       for row in zip(*[it.items for it in iterables])]
            if any(is_static(r) for r in results):
                return StaticSeq("list", results)
            return low.emit("build", results, hint or "elems", user=hint is not None,
                            type="list").result
        for it, n in zip(iterables, nodes):
            if is_static(it):
                self.refuse(n or node, it, "with other sequences in map()")
        hints = self.item_hints(fn, len(iterables))
        if len(iterables) == 1:
            it, item_hint = iterables[0], hints[0]
        else:
            it = low.emit("call", [Global("zip", builtins.zip)] + list(iterables),
                          "pairs").result
            item_hint = "pair"
        start = low.emit("build", [], hint or "elems", user=hint is not None, type="list").result

        def step(item, acc):
            vals = [item]
            if len(iterables) > 1:
                op = low.emit("unpack", [item], nresults=len(iterables), star=None)
                for r, h in zip(op.results, hints):
                    r.hint, r.user = h, True
                vals = op.results
            r = self.apply(node, fn, vals, role)
            return low.emit("callmethod", [acc, r], acc.hint, user=acc.user,
                            method="append", mutates=True).result

        return self.fold(it, item_hint, start, step, hint or "elems")

    def filter(self, node, fn, iterable, it_node, hint):
        low = self.lowerer
        if isinstance(iterable, StaticSeq):
            raise low.error(node, "cannot filter a container of functions",
                            "build the container you want directly")
        item_hint = self.item_hints(fn, 1)[0]
        start = low.emit("build", [], hint or "elems", user=hint is not None, type="list").result
        key = low.names.fresh(".kept", hint or "elems")

        def step(item, acc):
            keep = item if fn == Const(None) else self.apply(node, fn, [item], "keep")
            low.env[key] = acc

            def append():
                low.env[key] = low.emit("callmethod", [acc, item], acc.hint, user=acc.user,
                                        method="append", mutates=True).result

            low.branch(keep, append, lambda: None)
            return low.env.pop(key)

        return self.fold(iterable, item_hint, start, step, hint or "elems")

    def reduce(self, node, fn, iterable, initial, hint):
        low = self.lowerer
        items = self.materialize(node.args[1], iterable)
        params = fn.params if isinstance(fn, Closure) else []
        acc_hint = hint or (params[0] if params else "acc")
        if isinstance(items, StaticSeq):
            seq = list(items.items)
            if initial is None:
                if not seq:
                    raise low.error(node, "reduce() of an empty sequence with no initial "
                                          "value", "pass an initial value")
                initial, seq = seq[0], seq[1:]
            acc = initial
            for v in seq:
                acc = self.apply(node, fn, [acc, v], acc_hint)
            return acc
        if initial is None:
            initial = low.emit("getitem", [items, Const(0)], acc_hint, index=("val", 1)).result
            items = low.emit("getitem", [items, Const(1)], "rest",
                             index=("slice", 1, None, None)).result
        item_hint = params[1] if len(params) > 1 else "v"
        return self.fold(items, item_hint, initial,
                         lambda item, acc: self.apply(node, fn, [acc, item], acc_hint),
                         acc_hint)


def _hashable(obj):
    try:
        hash(obj)
    except TypeError:
        return False
    return True
