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
from ..frontend.locations import library_function_error, library_module
from ..frontend.resolve import class_member
from ..frontend.source import FileFunction, see_through
from ..ir.analysis import is_mutation
from ..ir.clone import clone_function
from ..ir.nodes import Block, Const, For, Function, Global, Prim, Value, While
from ..ir.kinds import kind_of_object


def user_function(op: Prim, kinds=None):
    """The Python function a call op calls, if it should be differentiated through.

    ``obj.method(x)`` counts when ``obj``'s kind names its class: the method's
    function is called with ``obj`` first."""
    if op.kind == "callmethod" or op.kind == "call" and isinstance(op.args[0], Value):
        # m.f(x), and m(x) through the class's __call__: called with m first
        kind = operand_kind(kinds or {}, op.args[0])
        if isinstance(kind, tuple) and kind[0] == "object":
            _, raw, f = class_member(kind[1], op.attrs.get("method", "__call__"))
            if f is raw:  # a staticmethod or a classmethod is not called with m
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


def positional_operands(f, op: Prim, defs=None, keywords=False):
    """The call's operands in the callee's parameter order (defaults filled in).

    ``defs`` (value -> the op defining it) lets ``g(*args)`` and ``g(**opts)``
    be read through a tuple, a list or a dict literal of the function that
    nothing writes into: their entries are the arguments.  With ``keywords``
    a callee may have keyword-only parameters: the operands the call gives them
    come third, as ``(name, operand)`` (the others keep their defaults, which
    the callee's derivative takes as the callee does)."""
    # a method's object comes first (m.f(x), m(x))
    args = op.args[1:] if op.kind == "call" and not isinstance(op.args[0], Value) else op.args
    kwnames = op.attrs.get("kw", ())
    if op.attrs.get("star") or op.attrs.get("dstar"):
        spread = _spread(op, defs)
        if spread is None:
            return None
        args, kwnames = spread
    npos = len(args) - len(kwnames)
    target = f.__func__ if isinstance(f, types.MethodType) else f
    sig = target.__signature__ if hasattr(type(target), "__signature__") and \
        not isinstance(target, types.FunctionType) else inspect.signature(target)
    pos = list(args[:npos])
    if isinstance(f, types.MethodType):
        callee = op.args[0]  # model.f: the object is model (a Global's dotted name)
        owner = callee.name.rpartition(".")[0] if isinstance(callee, Global) else ""
        pos = [Global(owner, f.__self__, callee.root) if owner else Const(f.__self__)] + pos
    params = [p for p in sig.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    P = inspect.Parameter
    excluded = (P.VAR_POSITIONAL, P.VAR_KEYWORD) + (() if keywords else (P.KEYWORD_ONLY,))
    if any(p.kind in excluded for p in sig.parameters.values()):
        return None
    kwonly = {p.name: p for p in sig.parameters.values() if p.kind == P.KEYWORD_ONLY}
    bound = dict(zip([p.name for p in params], pos))
    given = []
    for name, a in zip(kwnames, args[npos:]):
        if name in kwonly:
            given.append((name, a))
        else:
            bound[name] = a
    if any(p.default is p.empty and p.name not in dict(given) for p in kwonly.values()):
        return None
    out = []
    for p in params:
        if p.name in bound:
            out.append(bound[p.name])
        elif p.default is not p.empty:
            out.append(Const(p.default))
        else:
            return None
    return (target, out, given) if keywords else (target, out)


def _spread(op: Prim, defs):
    """``(operands, keyword names)`` of a call with ``*`` and ``**`` operands
    spread out, each read through the literal that made it (None when one was
    not made by a literal of known entries)."""
    if defs is None:
        return None
    first = 1 if op.kind == "call" and not isinstance(op.args[0], Value) else 0
    star = set(op.attrs.get("star", ()))
    dstar = set(op.attrs.get("dstar", ()))
    kwnames = list(op.attrs.get("kw", ()))
    nkw = len(kwnames)
    npos = len(op.args) - nkw
    positional, keywords = [], []
    for i in range(first, len(op.args)):
        a = op.args[i]
        if i in star or i in dstar:
            made = defs.get(a) if isinstance(a, Value) else None
            if made is None or made.kind != "build" or made.attrs.get("star") or \
                    made.attrs.get("dstar"):
                return None
            if i in star and made.attrs.get("type") in ("tuple", "list"):
                positional.extend(made.args)
            elif i in dstar and made.attrs.get("type") == "dict":
                keys, values = made.args[0::2], made.args[1::2]
                if not all(isinstance(k, Const) and isinstance(k.value, str) for k in keys):
                    return None
                keywords.extend((k.value, v) for k, v in zip(keys, values))
            else:
                return None
        elif i < npos:
            positional.append(a)
        else:
            keywords.append((kwnames[i - npos], a))
    names = [k for k, _ in keywords]
    if len(set(names)) != len(names):
        return None  # Python's TypeError: given twice
    return positional + [v for _, v in keywords], tuple(names)


def _literals(transform):
    """The primal's tuple, list and dict literals nothing writes into, by the
    value each makes (what a call's ``*`` and ``**`` operands spread)."""
    found = getattr(transform, "_spread_literals", None)
    if found is None:
        found = {}
        written = set()
        for op in transform.fn.body.walk():
            if isinstance(op, Prim) and op.kind == "build":
                found[op.results[0]] = op
            if isinstance(op, Prim) and op.args and is_mutation(op):
                written.add(op.args[0])
        found = {v: op for v, op in found.items() if v not in written}
        transform._spread_literals = found
    return found


def operand_kind(kinds, a):
    if isinstance(a, Value):
        return kinds.get(a)
    if isinstance(a, Const):
        return kind_of_object(a.value)
    if isinstance(a, Global):  # model in model.f(x): an object's kind names its class
        kind = kind_of_object(a.obj)
        return kind if isinstance(kind, tuple) and kind[0] == "object" else None
    return None


def derivative_of_call(transform, op, f, mode):
    """For a call of the user function ``f`` in ``transform`` (a Forward or a
    Reverse): the callee's compiled derivative and the call's operands in the
    callee's order, or None when no argument carries a derivative."""
    found = positional_operands(f, op, _literals(transform), keywords=True)
    if found is None:
        raise _unbound_call(transform, op, f)
    target, pos, keywords = found
    for name, a in keywords:
        if isinstance(a, Value) and a in transform.active:
            callee = getattr(target, "__name__", "the function")
            raise transform.error(op, f"cannot differentiate with respect to {name}, a "
                                      f"keyword-only parameter of {callee}()",
                                  f"make {name} an ordinary parameter of {callee} (before "
                                  "the *)")
    active = [i for i, a in enumerate(pos) if isinstance(a, Value) and a in transform.active]
    if not active:
        return None
    kinds = [operand_kind(transform.kinds, a) for a in pos]
    try:
        compiled = transform.derivative(target, mode, tuple(active), tuple(kinds))
    except LibraryFunctionError as exc:  # at the user's call, not in the library
        module = library_module(target)
        if module is not None and exc.function is not target:
            # deeper in the library: said of the library function the user calls
            inner = getattr(exc.function, "__qualname__", "a function")
            why = NonDifferentiableError(f"it calls {inner}, which has no derivative rule "
                                         "either and whose source s2sad cannot differentiate")
            raise library_function_error(target, module, why).at_call(op.loc, target) from exc
        raise exc.at_call(op.loc, target) from exc
    except S2sadError as exc:
        module = library_module(target)
        if module is None:
            raise
        # what went wrong inside the library's code, said of the user's call of it
        # (an error without a place, such as a decorator's: its first sentence)
        why = exc if hasattr(exc, "message") else \
            NonDifferentiableError(str(exc).split(".  ")[0].split(": ")[0])
        raise library_function_error(target, module, why).at_call(op.loc, target) from exc
    transform.callees.append(compiled)
    return compiled, pos, keywords


def keyword_call(fn: Global, operands, keywords):
    """The operands and attributes of a call of ``fn``: the positional
    ``operands``, then the ``(name, operand)`` keywords."""
    attrs = {"kw": tuple(k for k, _ in keywords)} if keywords else {}
    return [fn] + list(operands) + [a for _, a in keywords], attrs


def _unbound_call(transform, op, f):
    """Why the call's operands cannot be given to the callee's derivative, one
    by one, and what to write instead."""
    target = f.__func__ if isinstance(f, types.MethodType) else f
    name = getattr(target, "__name__", "the function")
    module = library_module(target)
    if module is not None:  # a library's function: not the user's to change
        why = NonDifferentiableError("its parameters do not take the arguments one by one, "
                                     "as s2sad calls its derivative")
        return library_function_error(target, module, why).at_call(op.loc, target)
    try:
        params = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        params = ()
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return transform.error(op, f"cannot differentiate through {name}(), which takes *args",
                               f"give {name} one parameter per argument, or one tuple "
                               "parameter")
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return transform.error(op, f"cannot differentiate through {name}(), which takes **kwargs",
                               f"give {name} one parameter per argument")
    if op.attrs.get("star") or op.attrs.get("dstar"):
        return transform.error(op, f"cannot differentiate through this call of {name}() with "
                                   "*args or **kwargs: s2sad spreads only a tuple, list or "
                                   "dict literal of this function that nothing changes",
                               "pass the arguments one by one")
    return transform.error(op, f"the call does not match the parameters of {name}()",
                           "pass each of its parameters once")


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
