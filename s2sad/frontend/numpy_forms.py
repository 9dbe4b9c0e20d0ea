"""NumPy spellings that are not plain calls, read as calls that have rules.

* ``np.r_[a, b, 1:4]`` and ``np.c_[a, b]`` are subscripts of index-trick
  objects: they become ``r_([a, b, index_range(1, 4)])`` and ``c_([a, b])``,
  runtime helpers that join their items as NumPy does (and have derivative
  rules).  The string directives (``np.r_['0,2', ...]``) are refused.
* ``np.einsum(a, [0, 1], b, [1, 2], [0, 2])``, the sublist form, becomes
  ``np.einsum('ab,bc->ac', a, b)`` when its sublists are written out as lists of
  integers (or ``...``).
"""
import gast
import numpy as np

from .. import runtime
from ..ir.nodes import Const, Global

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def is_einsum(func) -> bool:
    return isinstance(func, Global) and func.obj is np.einsum


def is_index_trick(base) -> bool:
    return isinstance(base, Global) and (base.obj is np.r_ or base.obj is np.c_)


def lower_index_trick(lowerer, node, base, hint):
    """``np.r_[...]`` / ``np.c_[...]`` (``base`` is the lowered ``np.r_``)."""
    items = node.slice.elts if isinstance(node.slice, gast.Tuple) else [node.slice]
    name = "r_" if base.obj is np.r_ else "c_"
    if items and isinstance(items[0], gast.Constant) and isinstance(items[0].value, str):
        raise lowerer.error(node, f"np.{name} with a string directive is not supported",
                            "join the arrays with np.concatenate, np.stack or "
                            "np.column_stack (with axis=...)")
    values = []
    for item in items:
        if isinstance(item, gast.Starred):
            raise lowerer.error(item, f"a starred item in np.{name}[...] is not supported",
                                f"write np.concatenate([...]) instead of np.{name}[*items]")
        if isinstance(item, gast.Slice):
            parts = [Const(None) if p is None else lowerer.expr(p)
                     for p in (item.lower, item.upper, item.step)]
            values.append(lowerer.emit("call", [Global("index_range", runtime.index_range)] +
                                       parts, "steps").result)
        else:
            values.append(lowerer.expr(item))
    items_value = lowerer.emit("build", values, "items", type="list").result
    fn = Global(name, getattr(runtime, name))
    return lowerer.emit("call", [fn, items_value], hint or "joined",
                        user=hint is not None).result


def _sublist(lowerer, node):
    def letter(e):
        if isinstance(e, gast.Constant) and e.value is Ellipsis or \
                isinstance(e, gast.Name) and e.id == "Ellipsis":
            return "..."
        if isinstance(e, gast.Constant) and isinstance(e.value, int) and \
                not isinstance(e.value, bool) and 0 <= e.value < len(_LETTERS):
            return _LETTERS[e.value]
        return None

    letters = [letter(e) for e in node.elts] if isinstance(node, (gast.List, gast.Tuple)) \
        else [None]
    if None in letters:
        raise lowerer.error(node, "np.einsum's sublist form is read only with sublists "
                                  "written out as lists of integers",
                            "write the subscripts as a string: np.einsum('ij,jk->ik', a, b)")
    return "".join(letters)


def einsum_as_string(lowerer, node):
    """The call ``node`` of np.einsum in its sublist form rewritten with a
    subscripts string, and whether its first argument, not a string literal,
    must be checked to be a string when it runs (:func:`checked_subscripts`)."""
    args = node.args
    if not args or (isinstance(args[0], gast.Constant) and isinstance(args[0].value, str)) or \
            any(isinstance(a, gast.Starred) for a in args):
        return node, False
    if len(args) < 2 or not isinstance(args[1], (gast.List, gast.Tuple)):
        return node, True
    words = [_sublist(lowerer, s) for s in args[1::2]]
    spec = ",".join(words)
    operands = args[0::2]
    if len(args) % 2:
        spec += "->" + _sublist(lowerer, args[-1])
        operands = operands[:-1]
    new = gast.Call(func=node.func, args=[gast.Constant(spec, None)] + list(operands),
                    keywords=node.keywords)
    return gast.copy_location(new, node), False


def checked_subscripts(lowerer, args):
    """``args`` with the first, np.einsum's subscripts, passed through
    ``einsum_subscripts``, which refuses the sublist form with sublists that are
    not written out (its rules would read the first operand as the subscripts)."""
    check = Global("einsum_subscripts", runtime.einsum_subscripts)
    return [lowerer.emit("call", [check, args[0]], "subscripts").result] + list(args[1:])
