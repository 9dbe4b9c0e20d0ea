"""Calls to the user's own functions.

A call to a Python function that has no rule is differentiated *through*: the
callee gets its own derivative function (``g_jvp`` / ``g_vjp``), compiled once
per argument kinds and cached, and the call site calls it.  Reverse mode calls
``g_fwd`` in the forward sweep, which also returns ``g``'s tape, and ``g_bwd``
on that tape in the reverse sweep (ad/split.py): nothing of ``g`` runs twice.
Recursion works: a function being compiled refers to itself through a forward
reference filled in when its compilation ends.
"""
from __future__ import annotations

import inspect
import types

from ..errors import LibraryFunctionError, NonDifferentiableError, S2sadError, at_location
from ..frontend.source import FileFunction, see_through
from ..ir.clone import clone_function
from ..ir.nodes import Block, Const, For, Function, Global, Prim, Value, While
from ..ir.kinds import kind_of_object


def user_function(op: Prim, kinds=None):
    """The Python function a call op calls, if it should be differentiated through.

    ``obj.method(x)`` counts when ``obj``'s kind names its class: the method's
    function is called with ``obj`` first."""
    if op.kind == "callmethod" and kinds is not None:
        kind = operand_kind(kinds, op.args[0])
        if isinstance(kind, tuple) and kind[0] == "object":
            f = getattr(kind[1], op.attrs["method"], None)
            if isinstance(f, types.FunctionType):
                return f
        return None
    if op.kind != "call" or not isinstance(op.args[0], Global):
        return None
    # functools.cache, s2sad.differentiate, numba.jit: the function inside
    f = see_through(op.args[0].obj)
    if isinstance(f, types.MethodType) and isinstance(f.__func__, types.FunctionType):
        return f
    if isinstance(f, types.FunctionType) and \
            not (f.__module__ or "").startswith(("numpy", "s2sad.runtime")):
        return f
    if hasattr(f, "__s2sad_specialize__"):
        return f
    if isinstance(f, FileFunction):  # a function of a file being transpiled
        return f
    return None


def positional_operands(f, op: Prim):
    """The call's operands in the callee's parameter order (defaults filled in)."""
    args = op.args[1:] if op.kind == "call" else op.args  # a method's object comes first
    kwnames = op.attrs.get("kw", ())
    if op.attrs.get("star") or op.attrs.get("dstar"):
        return None
    npos = len(args) - len(kwnames)
    target = f.__func__ if isinstance(f, types.MethodType) else f
    sig = target.__signature__ if hasattr(type(target), "__signature__") and \
        not isinstance(target, types.FunctionType) else inspect.signature(target)
    pos = list(args[:npos])
    if isinstance(f, types.MethodType):
        pos = [Const(f.__self__)] + pos
    params = [p for p in sig.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY) for p in sig.parameters.values()):
        return None
    bound = dict(zip([p.name for p in params], pos))
    for name, a in zip(kwnames, args[npos:]):
        bound[name] = a
    out = []
    for p in params:
        if p.name in bound:
            out.append(bound[p.name])
        elif p.default is not p.empty:
            out.append(Const(p.default))
        else:
            return None
    return target, out


def operand_kind(kinds, a):
    if isinstance(a, Value):
        return kinds.get(a)
    if isinstance(a, Const):
        return kind_of_object(a.value)
    return None


def derivative_of_call(transform, op, f, mode):
    """For a call of the user function ``f`` in ``transform`` (a Forward or a
    Reverse): the callee's compiled derivative and the call's operands in the
    callee's order, or None when no argument carries a derivative."""
    found = positional_operands(f, op)
    if found is None:
        raise transform.error(op, "cannot differentiate through a call with *args, **kwargs "
                                  "or keyword-only parameters", "pass the arguments by position")
    target, pos = found
    active = [i for i, a in enumerate(pos) if isinstance(a, Value) and a in transform.active]
    if not active:
        return None
    kinds = [operand_kind(transform.kinds, a) for a in pos]
    try:
        compiled = transform.derivative(target, mode, tuple(active), tuple(kinds))
    except LibraryFunctionError as exc:  # at the user's call, not in the library
        raise exc.at_call(op.loc, target) from exc
    transform.callees.append(compiled)
    return compiled, pos


def resolve_derived_calls(fn: Function) -> Function:
    """``grad(f)(x)`` in a function being differentiated: ``grad(f)`` (any of
    s2sad's function transforms, marked ``__s2sad_transform__``, of functions
    and constants) is made once, here, and the call calls the object it makes,
    which hands the transforms its generated code (``__s2sad_specialize__``):
    nested derivatives.  Returns ``fn`` itself when it has no such call, else a
    copy (lowered IR is shared)."""
    if not any(_made_by_transform(op) for op in fn.walk()):
        return fn
    fn = clone_function(fn)[0]
    made = {}

    def resolve(a):
        return made.get(a, a) if isinstance(a, Value) else a

    def block(b: Block):
        kept = []
        for op in b.ops:
            op.replace_operands(resolve)
            if _made_by_transform(op):
                made[op.results[0]] = _make(op)
                continue
            for inner in op.blocks():
                block(inner)
            if isinstance(op, (For, While)) and op.brk is not None:
                op.brk = resolve(op.brk)
            kept.append(op)
        b.ops = kept
        b.yields = [resolve(y) for y in b.yields]

    block(fn.body)
    return fn


def _made_by_transform(op) -> bool:
    return isinstance(op, Prim) and op.kind == "call" and isinstance(op.args[0], Global) and \
        getattr(op.args[0].obj, "__s2sad_transform__", False) and len(op.results) == 1 and \
        not op.attrs.get("star") and not op.attrs.get("dstar") and \
        all(isinstance(a, (Global, Const)) for a in op.args[1:])


def _make(op) -> Global:
    values = [a.obj if isinstance(a, Global) else a.value for a in op.args[1:]]
    kw = op.attrs.get("kw", ())
    npos = len(values) - len(kw)
    transform = op.args[0].obj
    try:
        made = transform(*values[:npos], **dict(zip(kw, values[npos:])))
    except S2sadError as exc:
        raise at_location(NonDifferentiableError, str(exc), op.loc) from exc
    name = getattr(made, "__name__", "derived")
    return Global(name if name.isidentifier() else "derived", made)
