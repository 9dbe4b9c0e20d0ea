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
``grad(f)`` caller's fast path (which tests the same bindings inline), under
the same name.

What ``grad``, ``jvp`` and ``vjp`` call directly is compiled *open*
(:class:`OpenFunction`): its free names holding data are parameters, read when
the derivative runs, and its cache key is its code object and closure layout,
so the closures a training loop makes at every step share one derivative and
no cache keeps their data.  Caches keyed by a function hold it weakly: its
entries go when it dies.

Derivative names are stable: ``g_vjp`` for a function's first reverse
derivative, ``g_vjp_2`` for its next variant, whatever else the process
compiled before, so that transpiled modules read the same every time.
"""
from __future__ import annotations

import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

from .ad.calls import resolve_derived_calls
from .ad.forward import forward
from .ad.reverse import reverse
from .ad.split import backward_name
from .backend import compile_function, emit_function
from .backend.source_text import PythonSource
from .errors import S2sadError
from .frontend.lower import lower
from .frontend.resolve import ABSENT, BY_NAME, DATA, is_data
from .frontend.source import FileFunction, _unwrap, get_source_info, unwrap
from .ir import verify
from .ir import kinds as _kinds
from .ir.clone import clone_function, substitute
from .ir.kinds import differentiable_kind, kinds_key
from .ir.nodes import Const, Function, Global, Param
from .passes.dce import dce
from .passes.memory import forget_effects, functionalize
from .passes.pipeline import optimize, paused_gc
from .rules.registry import generation

_lock = threading.RLock()
_lowered: Dict[object, tuple] = {}  # identity -> (None, its IR)
_derivatives: Dict[tuple, object] = {}
_variants: Dict[tuple, list] = {}
_seen_generation = [generation.value]
_lowered_bindings: Dict[object, "Bindings"] = {}  # identity -> what lowering read
# open lowerings (:class:`OpenFunction`): (code, globals, closure layout) -> its record
_open: Dict[tuple, "_OpenRecord"] = {}
_out_kinds: Dict[tuple, tuple] = {}  # (identity, kinds) -> (bindings, output kind)
_closed_only: set = set()  # open keys whose data cannot be parameters: compiled closed
# The bindings noted by the derivatives being compiled, innermost last: each
# lowered IR and derivative used adds its own to the innermost list.
_collecting: List[list] = []

#: How often each stage ran in this process (``stats["lowered"]``...): tests
#: read it to check that work is not repeated.
stats: Counter = Counter()


def _up_to_date():
    """Forget derived work when a rule was (re)registered since it was done,
    and the work of functions that died since."""
    if _dead[0]:
        _purge()
    if _seen_generation[0] != generation.value:
        _lowered.clear()
        _derivatives.clear()
        _lowered_bindings.clear()
        _open.clear()
        _out_kinds.clear()
        _closed_only.clear()
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


def empty_cell(cell) -> bool:
    """Whether a closure cell holds nothing yet."""
    try:
        cell.cell_contents
    except ValueError:
        return True
    return False


def _holds_data(holder, name):
    return name in holder and is_data(holder[name])


def _checker(entries):
    """``fresh()``: one generated expression, ``h0['SCALE'] is o0 and ...``,
    that also says whether a rule changed since (one call for both checks).
    An open lowering's data (DATA) must still be data: it is read when the
    code runs, and its kind is part of the derivative's key."""
    ns = {"_empty": empty_cell, "_generation": generation, "_data": _holds_data}
    tests = [f"_generation.value == {generation.value}"]
    for k, (holder, name, obj) in enumerate(entries):
        ns[f"h{k}"], ns[f"o{k}"] = holder, obj
        if obj is DATA:
            tests.append(f"_data(h{k}, {name!r})")
        elif isinstance(holder, BY_NAME):
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
    if isinstance(func, OpenFunction):
        return func.key
    plain, bound = _unwrap(func)
    # a bound method's object is a constant of its code: one entry per object
    return (_WeakId(plain), _weak_or_same(bound[0])) if bound else _WeakId(plain)


# Caches keyed by identity(): the entries of a function (or a method's object)
# go when it dies (on the next compilation), with the constants they hold.
_dead = [False]
_weak_caches: List[dict] = []


def _died(_ref, dead=_dead):
    dead[0] = True  # no work in a weakref callback: purged under the lock, later


class _WeakId:
    """A key for a function or object, by identity, that does not keep it alive."""

    __slots__ = ("ref", "id")

    def __init__(self, obj):
        self.ref = weakref.ref(obj, _died)
        self.id = id(obj)

    def __hash__(self):
        return self.id

    def __eq__(self, other):
        if type(other) is not _WeakId or other.id != self.id:
            return False
        obj = self.ref()
        return obj is not None and obj is other.ref()


def weak_key(obj):
    """A key for ``obj`` by identity that keeps it alive only where it cannot be
    weakly referenced; see :func:`forget_with_functions`."""
    return _weak_or_same(obj)


def _weak_or_same(obj):
    try:
        return _WeakId(obj)
    except TypeError:  # no weak references to it: kept
        return _Same(obj)


def _is_dead(key):
    if type(key) is _WeakId:
        return key.ref() is None
    return type(key) is tuple and any(_is_dead(k) for k in key)


def forget_with_functions(cache: dict):
    """Have the entries of ``cache`` whose key holds a dead :func:`identity`
    removed with the compiler's own."""
    _weak_caches.append(cache)


def _purge():
    _dead[0] = False
    with _lock:
        for cache in _weak_caches:
            for key in [k for k in list(cache) if _is_dead(k)]:
                cache.pop(key, None)


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
    if isinstance(func, OpenFunction):
        _note(func.record.bindings)
        return func.record.ir
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
            hit = _lowered[key] = (None, verify(dce(verify(lower(info)))))
            _lowered_bindings[key] = Bindings(info.bindings)
            stats["lowered"] += 1
        _note(_lowered_bindings.get(key))
        return hit[1]


# ---------------------------------------------------------------------------
# Open lowering: a function's free data read when its derivative runs
# ---------------------------------------------------------------------------
class _Empty:
    """An empty closure cell, in a closure layout."""

    __slots__ = ()

    def __repr__(self):
        return "EMPTY"


_EMPTY = _Empty()


def _layout(objs):
    """A key for free objects: DATA for data (its kind is keyed apart), the
    object itself (by identity) for anything else."""
    return tuple(DATA if is_data(o) else _Same(o) for o in objs)


def _open_key(func):
    """``(key, plain function)`` for a plain Python function (decorators s2sad
    sees through are seen through), None for anything else (a bound method, a
    function of a file, generated code)."""
    if isinstance(func, (FileFunction, OpenFunction)) or hasattr(func, "__s2sad_specialize__"):
        return None
    try:
        plain, bound = _unwrap(func)
    except S2sadError:  # the closed path says why
        return None
    if bound:
        return None
    cells = []
    for cell in plain.__closure__ or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:  # not set yet: Python would raise NameError
            cells.append(_EMPTY)
    kwdefaults = tuple((k, _Same(v)) for k, v in (plain.__kwdefaults__ or {}).items())
    key = (plain.__code__, _Same(plain.__globals__), _layout(cells),
           _layout(plain.__defaults__ or ()), kwdefaults)
    return key, plain


class _OpenRecord:
    """The open IR of one (code, globals, closure layout): ``free`` names its
    data parameters, ``(name, cell index or None for a global)`` each."""

    __slots__ = ("ir", "free", "bindings")

    def __init__(self, ir, free, bindings):
        self.ir, self.free, self.bindings = ir, free, bindings


class OpenFunction:
    """A function as its directly called derivatives see it: its free names that
    hold data (frontend/resolve.py's ``is_data``: numbers, arrays, containers of
    them), in closure cells or globals, are keyword-only parameters of the IR
    named after them, read when the derivative runs; its other free objects
    (functions, modules, classes, ints) are constants, checked by identity:
    those of closure cells (and defaults) by the key, globals by bindings.

    So ``grad(lambda w: loss(w, batch))`` made again at every step of a loop
    with a fresh ``batch`` compiles once, and the caches keep neither the
    lambdas nor the batches: they hold the code object, its globals, the
    closure's non-data objects and the data's kinds."""

    __slots__ = ("key", "name", "record", "kinds", "values")

    def __init__(self, key, name, record, kinds, values):
        self.key, self.name, self.record, self.kinds = key, name, record, kinds
        self.values = values  # now's: no cache keeps this object

    def reads(self, fn):
        """``(keyword, name, cell)`` per data parameter of the compiled ``fn``."""
        code = fn.__code__
        names = code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount]
        names = names[len(names) - len(self.record.free):]
        return tuple((kw, name, cell) for kw, (name, cell) in zip(names, self.record.free))


def free_values(plain, free):
    """The current objects of a function's data parameters (``Compiled.free``)."""
    out = {}
    for kw, name, cell in free:
        out[kw] = plain.__closure__[cell].cell_contents if cell is not None else \
            plain.__globals__[name]
    return out


def open_function(func, free=True):
    """``func`` as an :class:`OpenFunction` (None where it is not a plain
    function).  Without ``free`` (a callee, derivative_source), only a
    function with no closure, no data among its free names and no data
    defaults: its open IR is its IR, and its derivatives are shared."""
    got = _open_key(func)
    if got is None:
        return None
    okey, plain = got
    if not free and plain.__code__.co_freevars or okey in _closed_only:
        return None
    record = _open.get(okey)
    if record is not None and not record.bindings.fresh():
        _stale()
        record = None
    if record is None:
        if not free:
            return None  # lowered closed first: the function's own cache decides
        try:
            record = _open[okey] = _open_lower(plain, okey)
        except S2sadError:  # the closed lowering says it again, or does it
            _closed_only.add(okey)
            return None
    if not free and (record.free or DATA in okey[3]):
        return None
    values = [plain.__closure__[cell].cell_contents if cell is not None else
              plain.__globals__[name] for name, cell in record.free]
    kinds = tuple(_kinds.kind_of_object(v) for v in values)
    name = plain.__name__
    return OpenFunction((okey, kinds_key(kinds)), name, record, kinds, values)


def output_kind(func, kinds, free=False):
    """What kind ``func`` returns for arguments of ``kinds``, as kind inference
    sees its IR before any transform (None: unknown): ``grad`` compiles the
    VJP without the value for a float."""
    with _lock:
        _up_to_date()
        opened = open_function(func, free)
        try:
            key = (identity(opened or func), kinds_key(kinds))
        except S2sadError:  # generated per kinds (grad(f) again): not cached
            key = None
        hit = _out_kinds.get(key)
        if hit is not None and hit[0].fresh():
            return hit[1]
        _collecting.append([])
        try:
            kind = _output_kind(opened, func, kinds)
        finally:
            used = _collecting.pop()
        if key is not None:
            _out_kinds[key] = (Bindings.union(used), kind)
        return kind


def _output_kind(opened, func, kinds):
    fn = lowered(opened or func, kinds)
    kind_map = {p.value: k for p, k in zip(positional(fn), kinds)}
    if opened is not None and opened.kinds:
        data = [p.value for p in fn.params if p.kind == "kwonly"][-len(opened.kinds):]
        kind_map.update(zip(data, opened.kinds))
    out = fn.body.yields[0]
    if isinstance(out, Const):
        return _kinds.kind_of_object(out.value)
    try:
        return _kinds.infer_kinds(fn, kind_map, lowered).get(out)
    except S2sadError:
        return None


def open_key(func):
    """What an open ``func``'s derivatives are cached by (None: compiled closed)."""
    got = _open_key(func)
    return None if got is None else got[0]


def open_plain(func):
    """The plain function whose closure an open ``func``'s derivatives read
    (None: ``func`` is compiled closed, its cells are bindings)."""
    got = _open_key(func)
    return None if got is None else got[1]


def _open_lower(plain, okey):
    closed = not plain.__code__.co_freevars and DATA not in okey[3]
    if closed:  # lowered closed already, with no data among its free names: the same IR
        key = identity(plain)
        hit, bindings = _lowered.get(key), _lowered_bindings.get(key)
        if hit is not None and bindings is not None and bindings.fresh() and \
                not any(is_data(obj) for _, _, obj in bindings.entries):
            return _OpenRecord(hit[1], (), bindings)
    info = get_source_info(plain)
    info.bindings = []
    info.free = {}
    fn = lower(info)
    cells = {n: i for i, n in enumerate(plain.__code__.co_freevars)}
    free = tuple((n, cells.get(n) if n in info.closure else None) for n in info.free)
    fn.params.extend(Param(v, "kwonly") for v in info.free.values())
    for p in fn.params:  # data defaults are passed, not kept (the key has no values)
        if p.kind == "positional" and isinstance(p.default, Const) and is_data(p.default.value):
            p.default = None
    stats["lowered"] += 1
    record = _OpenRecord(verify(dce(verify(fn))), free, Bindings(info.bindings))
    if not free and closed:
        key = identity(plain)  # the same IR as the closed lowering: shared
        if key not in _lowered:
            _lowered[key] = (None, record.ir)
            _lowered_bindings[key] = record.bindings
    return record


def ssa_ir(func, kinds=None) -> Function:
    """A private copy of ``func``'s SSA IR, free to change."""
    return clone_function(lowered(func, kinds))[0]


def ssa_source(func) -> str:
    """The function as runnable three-address Python, one primitive per line."""
    src, _ = emit_function(lowered(func))
    return PythonSource(src)


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
    back: object = None  # "reverse_split": the reverse sweep's function
    back_name: str = None
    # an OpenFunction's: ``(keyword, name, cell)`` per data parameter, read
    # from the cell numbered ``cell`` of the function's closure (None: a global)
    free: tuple = ()
    open: bool = False  # compiled for an OpenFunction: no closure's own objects in it


class _Pending:
    """Stands for a derivative while it is being compiled: a recursive function's
    derivative calls itself through this."""

    bindings = None

    def __init__(self, active, name):
        self.active = active
        self.name = name
        self.stands_for = name  # the emitter names a recursive call after the function
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

    @property
    def back_name(self):
        return self.back.name


def compile_derivative(func, mode: str, argnums, kinds: Sequence, free=False,
                       checkpoint=None) -> Compiled:
    """Generate, compile and cache the derivative of ``func``.

    With ``free``, a plain function's free names holding data are keyword-only
    parameters of the derivative (:class:`OpenFunction`), which its caller
    passes (``Compiled.free`` says from where): what ``grad`` and friends use,
    so that the closures a loop makes share one derivative.

    ``mode`` is "forward", "reverse", "reverse_split" (a VJP in two functions,
    ``fn`` and ``back``: ad/reverse.py) or "reverse_value" (the VJP that also
    returns the value); ``kinds`` has one entry per positional parameter (None
    when unknown).  A cached derivative is reused while its bindings hold.
    ``checkpoint`` (reverse modes): the snapshot count of checkpointed loops
    (ad/checkpoint.py), part of the key and of the variant.
    """
    if mode not in ("forward", "reverse", "reverse_value", "reverse_split"):
        raise S2sadError(f"unknown mode {mode!r}: use 'forward' or 'reverse'")
    with _lock, paused_gc():
        _up_to_date()
        _collecting.append([])
        try:
            if hasattr(func, "__s2sad_specialize__"):  # what it compiles is noted
                func = func.__s2sad_specialize__(kinds)
            opened = open_function(func, free)
            try:
                compiled = _derivative(opened or func, mode, argnums, kinds, checkpoint)
            except S2sadError:
                if opened is None or not opened.record.free:
                    raise
                # what the data as parameters cannot do (``f(*pair)`` of a tuple of
                # unknown length): compiled with them as constants, as before
                _closed_only.add(opened.key[0])
                opened = None
                compiled = _derivative(func, mode, argnums, kinds, checkpoint)
            if opened is not None:
                compiled.open = True
                if opened.record.free and not compiled.free:
                    compiled.free = opened.reads(compiled.fn)
        finally:
            used = _collecting.pop()
        if _collecting:  # a derivative being compiled uses this one
            _collecting[-1].extend(used)
            _note(compiled.bindings)
        return compiled


def _derivative(func, mode, argnums, kinds, checkpoint=None):
    key = (identity(func), mode, tuple(argnums), kinds_key(kinds), checkpoint)
    hit = _derivatives.get(key)
    if hit is not None:
        if hit.bindings is None or hit.bindings.fresh():  # None: being compiled
            return hit
        _stale()
        del _derivatives[key]
    active = [i for i in argnums if differentiable_kind(kinds[i])]
    name = _variant_name(func, mode, argnums, kinds, checkpoint)
    _derivatives[key] = pending = _Pending(active, name)  # a recursive call finds this
    if mode == "reverse_split":
        pending.back = _Pending(active, backward_name(name))
    try:
        compiled = _compile(func, mode, active, kinds, name, checkpoint)
    except BaseException:
        _derivatives.pop(key, None)
        raise
    compiled.bindings = Bindings.union(_collecting[-1])
    pending.target = compiled.fn
    if mode == "reverse_split":
        pending.back.target = compiled.back
    _derivatives[key] = compiled
    return compiled


def compile_companion(fn: Function, primal: Function, kind_map, active, mode,
                      callees=()) -> Compiled:
    """A function a transform makes besides the derivative (a checkpointed
    loop's step and its adjoint, ad/checkpoint.py), optimized, emitted and
    compiled; the derivative calls it, and shows its source first."""
    out, keep = optimize(verify(fn), primal, kind_map, list(active), mode, lowered)
    out = verify(dce(out))
    src, ns = emit_function(out, inline=True, keep=keep)
    run = compile_function(src, out.name, ns, mode)
    run.__s2sad_ir__ = out
    compiled = Compiled(run, src, out, [], out.name, ns, list(callees))
    compiled.companion = True
    return compiled


class Callees:
    """What the derivative transforms may ask of the driver while they run: the
    IR of a user function, the derivative of one they call, and the companion
    functions they make."""

    lower = staticmethod(lowered)
    derivative = staticmethod(compile_derivative)
    companion = staticmethod(compile_companion)


CALLEES = Callees()
_weak_caches += [_lowered, _lowered_bindings, _derivatives, _variants, _out_kinds]
_NO_BINDINGS = Bindings()


def _variant_name(func, mode, argnums, kinds, checkpoint=None):
    """``f_vjp``, ``f_jvp`` or ``f_fwd``; ``f_vjp_2`` ... for other variants
    compiled with it into one namespace, so that what the process compiled
    before never shows in a name.  A file's functions (transpile, ``show``)
    write every variant into one module: theirs are numbered per function
    (the file's placeholders are made per run), the same variant the same
    name.  Any other derivative is named afresh in each tree of derivatives a
    top-level compilation makes (the callees it compiles; the emitter keeps
    apart the names of cached ones it calls: g_vjp, g_vjp_1)."""
    name = func.name if isinstance(func, (FileFunction, OpenFunction)) else \
        unwrap(func).__name__
    base = name.replace("<lambda>", "lambda") + {"forward": "_jvp", "reverse_split": "_fwd"}.get(
        mode, "_vjp")
    variant = (mode.replace("_value", ""), tuple(argnums), kinds_key(kinds), checkpoint)
    if isinstance(func, FileFunction):
        order = _variants.setdefault((identity(func), base), [])
    else:  # this tree's: begun afresh by a top-level compilation (compile_derivative)
        tree = _variant_name.__dict__.setdefault("tree", {})
        top = _collecting[0] if _collecting else None
        if tree.get(".top") is not top:
            tree.clear()
            tree[".top"] = top
        order = tree.setdefault(base, [])
    if variant not in order:  # with or without the value: the same derivative
        order.append(variant)
    count = order.index(variant) + 1
    return base if count == 1 else f"{base}_{count}"


def _compile(func, mode, active, kinds, name, checkpoint=None):
    fn = resolve_derived_calls(lowered(func))  # grad(f)(x) inside: nested derivatives
    params = positional(fn)
    kind_map = {p.value: k for p, k in zip(params, kinds)}
    if isinstance(func, OpenFunction) and func.kinds:  # its data: its last parameters
        data = [p.value for p in fn.params if p.kind == "kwonly"][-len(func.kinds):]
        kind_map.update(zip(data, func.kinds))
        _refuse_writes_into_free_data(fn, func, kind_map)
    fn = verify(functionalize(fn, kind_map, lowered))
    active_values = [params[i].value for i in active]
    if mode == "forward":
        result = forward(fn, active_values, kind_map, CALLEES, name=name)
    else:
        result = reverse(fn, active_values, kind_map, CALLEES, name=name,
                         with_value=mode == "reverse_value", split=mode == "reverse_split",
                         checkpoint=checkpoint)
    stats[mode] += 1
    out, keep = optimize(verify(result.function), fn, kind_map, active_values,
                         "forward" if mode == "reverse_split" else mode, lowered, result.keep,
                         result.out_kind if mode in ("reverse", "reverse_value") else None)
    out = verify(dce(out))
    lists = {}
    src, ns = emit_function(out, inline=True, keep=keep, lists=lists)
    run = compile_function(src, out.name, ns, mode)
    # for the Numba target: the locations its errors name, the kinds of the
    # primal parameters (the derivative's first ones) and the tapes to type
    run.__s2sad_ir__ = out
    run.__s2sad_kinds__ = dict(zip((p.value for p in positional(out)), kinds))
    run.__s2sad_lists__ = lists
    compiled = Compiled(run, src, out, active, name, ns, result.callees, result.out_kind)
    if result.back is not None:
        back, _ = optimize(verify(result.back))
        back = verify(dce(back))
        back_src, back_ns = emit_function(back, inline=True)
        compiled.back = compile_function(back_src, back.name, back_ns, mode)
        compiled.back.__s2sad_ir__ = back
        compiled.back_name = back.name
        compiled.source = src.rstrip() + "\n\n\n" + back_src
        compiled.namespace = {**ns, **back_ns}
    return compiled


def _refuse_writes_into_free_data(fn, opened, kind_map):
    """Python would write into the closure's or the module's own object, which
    derivative code does not do: refused as for the function compiled with its
    data as constants (passes/memory: "copy it first"), not done on a copy."""
    twin, mapping = clone_function(fn)
    data = [p for p in twin.params if p.kind == "kwonly"][-len(opened.kinds):]
    substitute(twin.body, {p.value: Global(name, value) for p, (name, _), value in
                           zip(data, opened.record.free, opened.values)})
    twin.params = [p for p in twin.params if p not in data]
    functionalize(twin, {mapping.get(v, v): k for v, k in kind_map.items()}, lowered)
