"""The driver: parse → lower → transform → optimize → emit → exec, in that order.

Every stage below is a module of its own that knows nothing of this one: the
derivative transforms ask for the callees they need through the
:class:`Callees` object handed to them, and rule changes reach the caches
through the registry's generation counter.

Lowering runs once per function (cached, shared by every mode and argnums; no
stage changes lowered IR), derivatives once per (function, mode, argnums,
argument kinds).

Python reads a function's free names when it runs, s2sad when it lowers it, so
each cached piece of work keeps :class:`Bindings`: what its names were bound to
(the globals dict or closure cell read, and the object found there), for the
lowered IR of one function and, for a derivative, for every function whose IR
or derivative went into it.  A cache hit whose bindings changed (a global
rebound, a helper redefined, a closure cell set) is done again; so is a
``grad(f)`` object's fast path (:meth:`Bindings.fresh`), under the same name.

Derivative names are stable: ``g_vjp`` for a function's first reverse
derivative, ``g_vjp_2`` for its next variant, whatever else the process
compiled before, so that transpiled modules read the same every time.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

from .ad.calls import resolve_derived_calls
from .ad.forward import forward
from .ad.reverse import reverse
from .backend import compile_function, emit_function
from .errors import S2sadError
from .frontend.lower import lower
from .frontend.resolve import ABSENT
from .frontend.source import FileFunction, _unwrap, get_source_info, unwrap
from .ir import verify
from .ir import kinds as _kinds
from .ir.clone import clone_function
from .ir.kinds import differentiable_kind
from .ir.nodes import Function
from .passes.dce import dce
from .passes.memory import forget_effects, functionalize
from .passes.pipeline import optimize
from .rules.registry import generation

_lock = threading.RLock()
_lowered: Dict[object, tuple] = {}  # identity -> (function, its IR)
_derivatives: Dict[tuple, object] = {}
_variants: Dict[tuple, list] = {}
_seen_generation = [generation.value]
_lowered_bindings: Dict[object, "Bindings"] = {}  # identity -> what lowering read
# The bindings noted by the derivatives being compiled, innermost last: each
# lowered IR and derivative used adds its own to the innermost list.
_collecting: List[list] = []

#: How often each stage ran in this process (``stats["lowered"]``...): tests
#: read it to check that work is not repeated.
stats: Counter = Counter()


def _up_to_date():
    """Forget derived work when a rule was (re)registered since it was done."""
    if _seen_generation[0] != generation.value:
        _lowered.clear()
        _derivatives.clear()
        _lowered_bindings.clear()
        forget_effects()
        _seen_generation[0] = generation.value


class Bindings:
    """What derived work read of free names: ``(holder, name, obj)`` entries, the
    holder a globals dict or a closure cell and ``obj`` the object it held there
    (ABSENT: the name was not bound there — a builtin, or a cell not yet set).

    :attr:`fresh` is a function generated once from the entries, true while
    every holder still holds the *same object* (``is``: a name rebound to an
    equal but distinct object, ``SCALE = 5.0`` run again, counts as a change and
    costs one recompilation; equality would be fooled by ``1 == 1.0 == True``
    and by arrays).  It costs a few tens of nanoseconds per call."""

    __slots__ = ("entries", "fresh")

    def __init__(self, entries=()):
        unique = {}
        for holder, name, obj in entries:
            unique.setdefault((id(holder), name, id(obj)), (holder, name, obj))
        self.entries = tuple(unique.values())
        self.fresh = _checker(self.entries)

    @classmethod
    def union(cls, parts) -> "Bindings":
        return cls([e for p in parts if p is not None for e in p.entries])


def _empty_cell(cell):
    try:
        cell.cell_contents
    except ValueError:
        return True
    return False


def _checker(entries):
    """``fresh()``: one generated expression, ``h0['SCALE'] is o0 and ...``,
    that also says whether a rule changed since (one call for both checks)."""
    ns = {"_empty": _empty_cell, "_generation": generation}
    tests = [f"_generation.value == {generation.value}"]
    for k, (holder, name, obj) in enumerate(entries):
        ns[f"h{k}"], ns[f"o{k}"] = holder, obj
        if isinstance(holder, dict):
            tests.append(f"{name!r} not in h{k}" if obj is ABSENT else f"h{k}[{name!r}] is o{k}")
        else:  # a closure cell
            tests.append(f"_empty(h{k})" if obj is ABSENT else f"h{k}.cell_contents is o{k}")
    src = ("def fresh():\n    try:\n        return " + " and ".join(tests) +
           "\n    except Exception:  # a name deleted, a cell emptied\n        return False\n")
    exec(compile(src, "<s2sad-bindings>", "exec"), ns)
    return ns["fresh"]


def _note(bindings):
    if _collecting and bindings is not None:
        _collecting[-1].append(bindings)


def _stale():
    """A binding changed: what was inferred of callees' IR is forgotten too."""
    stats["stale"] += 1
    _kinds._callee_kinds.clear()
    forget_effects()


def identity(func):
    """What a function is cached by: the function behind decorators and bound
    methods, or a function of a file read without running it."""
    if isinstance(func, FileFunction):
        return _Same(func.info)
    plain, bound = _unwrap(func)
    # a bound method's object is a constant of its code: one entry per object
    return (plain, _Same(bound[0])) if bound else plain


class _Same:
    """A key for an object that may have no hash (or an ``__eq__`` of its own):
    equal only to itself, and keeping it alive so that its id stays its own."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self):
        return id(self.obj)

    def __eq__(self, other):
        return isinstance(other, _Same) and other.obj is self.obj


def lowered(func, kinds=None) -> Function:
    """``func`` lowered to SSA, cleaned up and verified, once per function.

    The IR is shared: no caller may change it (the transforms copy what they
    build on).  Functions generated per argument kinds (``grad(f)``
    differentiated again) need ``kinds``."""
    if hasattr(func, "__s2sad_specialize__"):
        if kinds is None:
            raise S2sadError(f"{func!r} is generated per argument kinds; call "
                             "s2sad.derivative_source(..., args=...) with example arguments")
        func = func.__s2sad_specialize__(kinds)
    with _lock:
        _up_to_date()
        key = identity(func)
        hit = _lowered.get(key)
        if hit is not None and not _lowered_bindings.get(key, _NO_BINDINGS).fresh():
            _stale()
            hit = None
        if hit is None:
            info = func.info if isinstance(func, FileFunction) else get_source_info(func)
            info.bindings = []
            hit = _lowered[key] = (func, verify(dce(verify(lower(info)))))
            _lowered_bindings[key] = Bindings(info.bindings)
            stats["lowered"] += 1
        _note(_lowered_bindings.get(key))
        return hit[1]


def ssa_ir(func, kinds=None) -> Function:
    """A private copy of ``func``'s SSA IR, free to change."""
    return clone_function(lowered(func, kinds))[0]


def ssa_source(func) -> str:
    """The function as runnable three-address Python, one primitive per line."""
    src, _ = emit_function(lowered(func))
    return src


def ssa_function(func):
    """The three-address version of ``func``, compiled: it computes what ``func``
    computes (used to test the round trip)."""
    fn = lowered(func)
    src, ns = emit_function(fn)
    return compile_function(src, fn.name, ns, "ssa")


def positional(fn_ir: Function):
    return [p for p in fn_ir.params if p.kind == "positional"]


def normalize_argnums(argnums, n):
    """``(single, positions)`` for an ``argnums`` given as an int or a sequence,
    negative positions counted from the end; out of range is an error."""
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    out = []
    for a in nums:
        if not isinstance(a, int) or not -n <= a < n:
            raise S2sadError(f"argnums {argnums!r} is out of range for a function of {n} "
                             "positional arguments")
        out.append(a % n)
    return single, tuple(out)


@dataclass
class Compiled:
    """A generated derivative: the running function, its source and IR."""

    fn: object
    source: str
    ir: Function
    active: List[int]  # positions of the differentiated arguments
    name: str  # unique among derivatives: g_vjp, g_vjp_2 for other argnums
    namespace: dict  # what its free names are bound to
    callees: list  # derivatives of user functions it calls
    out_kind: object = None  # the kind of what the primal returns (None: unknown)
    # what the free names of every function that went into it were bound to
    bindings: Bindings = field(default=None, repr=False, compare=False)


class _Pending:
    """Stands for a derivative while it is being compiled: a recursive function's
    derivative calls itself through this."""

    bindings = None

    def __init__(self, active, name):
        self.active = active
        self.name = name
        self.target = None
        self.callees = []

    @property
    def fn(self):
        return self

    @property
    def __wrapped_by_s2sad__(self):
        """The derivative it stands for: a recursive function's derivative calls
        itself through this, and differentiating that code again (``hessian``)
        differentiates the function it calls."""
        return self.target

    def __call__(self, *args):
        return self.target(*args)


def compile_derivative(func, mode: str, argnums, kinds: Sequence) -> Compiled:
    """Generate, compile and cache the derivative of ``func``.

    ``mode`` is "forward", "reverse" or "reverse_value" (the VJP that also
    returns the value); ``kinds`` has one entry per positional parameter (None
    when unknown).  A cached derivative is reused while its bindings hold.
    """
    if mode not in ("forward", "reverse", "reverse_value"):
        raise S2sadError(f"unknown mode {mode!r}: use 'forward' or 'reverse'")
    with _lock:
        _up_to_date()
        _collecting.append([])
        try:
            if hasattr(func, "__s2sad_specialize__"):  # what it compiles is noted
                func = func.__s2sad_specialize__(kinds)
            compiled = _derivative(func, mode, argnums, kinds)
        finally:
            used = _collecting.pop()
        if _collecting:  # a derivative being compiled uses this one
            _collecting[-1].extend(used)
            _note(compiled.bindings)
        return compiled


def _derivative(func, mode, argnums, kinds):
    key = (identity(func), mode, tuple(argnums), tuple(kinds))
    hit = _derivatives.get(key)
    if hit is not None:
        if hit.bindings is None or hit.bindings.fresh():  # None: being compiled
            return hit
        _stale()
        del _derivatives[key]
    active = [i for i in argnums if differentiable_kind(kinds[i])]
    name = _variant_name(func, mode, argnums, kinds)
    _derivatives[key] = pending = _Pending(active, name)  # a recursive call finds this
    try:
        compiled = _compile(func, mode, active, kinds, name)
    except BaseException:
        _derivatives.pop(key, None)
        raise
    compiled.bindings = Bindings.union(_collecting[-1])
    pending.target = compiled.fn
    _derivatives[key] = compiled
    return compiled


class Callees:
    """What the derivative transforms may ask of the driver while they run: the
    IR of a user function, and the derivative of one they call."""

    lower = staticmethod(lowered)
    derivative = staticmethod(compile_derivative)


CALLEES = Callees()
_NO_BINDINGS = Bindings()


def _variant_name(func, mode, argnums, kinds):
    name = func.name if isinstance(func, FileFunction) else unwrap(func).__name__
    base = name.replace("<lambda>", "lambda") + ("_jvp" if mode == "forward" else "_vjp")
    order = _variants.setdefault((identity(func), base), [])
    variant = (mode.replace("_value", ""), tuple(argnums), tuple(kinds))
    if variant not in order:  # with or without the value: the same derivative
        order.append(variant)
    count = order.index(variant) + 1
    return base if count == 1 else f"{base}_{count}"


def _compile(func, mode, active, kinds, name):
    fn = resolve_derived_calls(lowered(func))  # grad(f)(x) inside: nested derivatives
    params = positional(fn)
    kind_map = {p.value: k for p, k in zip(params, kinds)}
    fn = verify(functionalize(fn, kind_map, lowered))
    active_values = [params[i].value for i in active]
    if mode == "forward":
        result = forward(fn, active_values, kind_map, CALLEES, name=name)
    else:
        result = reverse(fn, active_values, kind_map, CALLEES, name=name,
                         with_value=mode == "reverse_value")
    stats[mode] += 1
    out, keep = optimize(verify(result.function), fn, kind_map, active_values, mode, lowered,
                         result.keep)
    out = verify(dce(out))
    src, ns = emit_function(out, inline=True, keep=keep)
    return Compiled(compile_function(src, out.name, ns, mode), src, out, active, name, ns,
                    result.callees, result.out_kind)
