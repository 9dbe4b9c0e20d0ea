"""The Numba target: derivative code compiled with ``numba.njit``.

The derivative transforms write the same Python for both targets; this
module makes a generated function into one Numba compiles, and compiles it:

* ``reversed(range(...))`` (which Numba lacks) becomes a counted range
  running backwards;
* keyword-only parameters (a function's free data, ``grad`` passes them)
  become ordinary ones, which Numba's dispatcher takes by keyword too;
* the names the code reads are bound to what Numba can call: a callee's
  derivative to its own compiled form (recursion included), a user function
  to ``njit`` of it (one already compiled stays as it is), the runtime helpers
  to themselves, with their Numba forms registered (numba_helpers.py).

A derivative is compiled for the types of the arguments of its first call,
before it runs, so that what Numba cannot compile is an error at that point,
naming the line of the user's source it comes from and suggesting
``backend="python"``; it is never run by Python instead.  Numba is optional:
it is imported the first time this target is asked for.
"""
from __future__ import annotations

import ast
import inspect
import linecache
import re
import types
import warnings
import weakref

from .. import runtime
from ..errors import BackendError, S2sadError, at_location
from ..ir.kinds import infer_kinds, kind_of_object
from ..ir.nodes import Prim, Value
from .compile import compile_function

BACKENDS = ("python", "numba")
# what a transpiled module's functions may keep of an @njit function's options
_IN_PROCESS_DROPPED = ("cache",)  # exec'd code has no file to cache next to


def check_backend(backend) -> str:
    if backend not in BACKENDS:
        raise S2sadError(f"unknown backend {backend!r}: use 'python' or 'numba'")
    if backend == "numba":
        numba_module()
    return backend


def numba_module():
    """Numba, or an error saying how to install it."""
    try:
        import numba  # optional: only this target needs it
    except ImportError:
        raise S2sadError('the Numba backend needs Numba, which is not installed: '
                         'pip install "s2sad[numba]" (or use the Python backend)') from None
    from . import numba_helpers  # noqa: F401  the helpers' Numba forms
    return numba


def is_jitted(func) -> bool:
    """Whether ``func`` is a Numba dispatcher (``@numba.njit``, ``@numba.jit``)."""
    return hasattr(func, "py_func") and hasattr(func, "targetoptions")


def jit_options(func) -> dict:
    """The options an ``@njit`` function was compiled with, to compile its
    derivatives with the same (``fastmath``, ``boundscheck``, ...)."""
    opts = dict(getattr(func, "targetoptions", {}) or {})
    opts.pop("nopython", None)
    return opts


# ---------------------------------------------------------------------------
# Source for Numba
# ---------------------------------------------------------------------------
def _counted_backwards(args):
    """``range(...)`` running over ``reversed(range(*args))``."""
    def sub(a, b):
        return ast.BinOp(a, ast.Sub(), b)

    one = ast.Constant(1)
    if len(args) == 1:
        return [sub(args[0], one), ast.Constant(-1), ast.Constant(-1)]
    if len(args) == 2:
        return [sub(args[1], one), sub(args[0], one), ast.Constant(-1)]
    start, stop, step = args
    count = ast.Call(ast.Name("len", ast.Load()),
                     [ast.Call(ast.Name("range", ast.Load()), [start, stop, step], [])], [])
    last = ast.BinOp(start, ast.Add(), ast.BinOp(sub(count, one), ast.Mult(), step))
    if isinstance(step, ast.Constant) and isinstance(step.value, int):
        back = ast.Constant(-step.value)
        return [last, ast.BinOp(start, ast.Add(), back), back]
    return [last, sub(start, step), ast.UnaryOp(ast.USub(), step)]


def _tape_statements(tree, tapes):
    """The statements that make, push to and pop from each tape of ``tapes``
    (name -> kind), as ``(node, name, what)``; a tape used any other way (or
    over several lines) is left a list."""
    found, names = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in tapes:
            names[node.id] = names.get(node.id, 0) + 1
        if not isinstance(node, (ast.Assign, ast.Expr)) or node.lineno != node.end_lineno:
            continue
        value = node.value
        call = value if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
            and isinstance(value.func.value, ast.Name) and value.func.value.id in tapes and \
            not value.keywords else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name) and node.targets[0].id in tapes and \
                isinstance(value, ast.List) and not value.elts:
            found.append((node, node.targets[0].id, "new"))
        elif isinstance(node, ast.Expr) and call is not None and call.func.attr == "append" \
                and len(call.args) == 1:
            found.append((node, call.func.value.id, "push"))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and call is not None and \
                call.func.attr == "pop" and not call.args:
            found.append((node, call.func.value.id, "pop"))
    seen = {}
    for _, name, what in found:
        seen[name] = seen.get(name, 0) + 1
    whole = {name for name in tapes if seen.get(name) == names.get(name) and
             sum(1 for _, n, w in found if n == name and w == "new") == 1}
    return [f for f in found if f[1] in whole]


def _tape_text(node, name, what, kind, indent):
    """The statements for a tape's ``what``, one a line (the later lines
    indented by ``indent``)."""
    count = f"{name}_n"
    if what == "new":
        lines = [f"{name} = {kind}_tape()", f"{count} = 0"]
    elif what == "push":
        lines = [f"if {count} == {name}.shape[0]:", f"    {name} = twice_as_long({name})",
                 f"{name}[{count}] = {ast.unparse(node.value.args[0])}", f"{count} += 1"]
    else:
        lines = [f"{count} -= 1", f"{ast.unparse(node.targets[0])} = {name}[{count}]"]
    return ("\n" + indent).join(lines)


def _replacements(tree, tapes=None):
    """``(line, start column, end column, new text)`` of every piece to rewrite."""
    out = []
    if tapes:
        for node, name, what in _tape_statements(tree, tapes):
            out.append((node.lineno, node.col_offset, node.end_col_offset,
                        _tape_text(node, name, what, tapes[name], " " * node.col_offset)))
    for node in ast.walk(tree):
        inner = node.args[0] if isinstance(node, ast.Call) and len(node.args) == 1 else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "reversed" and not node.keywords and \
                isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and \
                inner.func.id == "range" and not inner.keywords and \
                1 <= len(inner.args) <= 3 and node.lineno == node.end_lineno:
            counted = ast.Call(inner.func, _counted_backwards(inner.args), [])
            out.append((node.lineno, node.col_offset, node.end_col_offset,
                        ast.unparse(counted)))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "reversed" and inner is not None and not node.keywords and \
                node.lineno == node.end_lineno:
            # of a list, tuple or array: a reversed copy (Numba has no reversed)
            backwards = ast.Subscript(inner, ast.Slice(None, None, ast.Constant(-1)), ast.Load())
            out.append((node.lineno, node.col_offset, node.end_col_offset,
                        ast.unparse(backwards)))
        elif isinstance(node, ast.FunctionDef) and node.args.kwonlyargs:
            # Numba's dispatcher takes no keyword-only parameters: ordinary
            # ones (with a default, as they follow ``out_bar=1.0``)
            a = node.args
            header = ast.arguments(a.posonlyargs, a.args + a.kwonlyargs, a.vararg, [], [],
                                   a.kwarg, a.defaults + [d if d is not None else
                                                          ast.Constant(None)
                                                          for d in a.kw_defaults])
            if not a.defaults:
                header.defaults = []
            line = f"def {node.name}({ast.unparse(header)}):"
            out.append((node.lineno, 0, None, line))
    return out


def numba_source(source: str, tapes=None) -> str:
    """``source`` (generated Python) in the form Numba compiles, statement for
    statement (the comments that say which line of the user's each block comes
    from stay above it).  ``tapes`` (a list's name -> "float", "int" or
    "bool") are the lists that hold numbers of one kind: they become arrays."""
    lines = source.split("\n")
    pieces = _replacements(ast.parse(source), tapes)
    # a push or pop inside a rewritten range header is not a thing: no overlaps
    for lineno, start, end, text in sorted(pieces, key=lambda p: (p[0], p[1]), reverse=True):
        old = lines[lineno - 1]
        if end is None:  # a whole def line (with its indentation)
            indent = old[:len(old) - len(old.lstrip())]
            lines[lineno - 1] = indent + text
        else:
            lines[lineno - 1] = old[:start] + text + old[end:]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Compiling
# ---------------------------------------------------------------------------
_jitted: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _options_key(options):
    return tuple(sorted((k, repr(v)) for k, v in options.items()))


def jit(fn, options=None):
    """The Numba-compiled form of the generated function ``fn`` (compiled
    lazily: :func:`compile_for` compiles it for given arguments)."""
    numba = numba_module()
    options = {k: v for k, v in (options or {}).items() if k not in _IN_PROCESS_DROPPED}
    key = _options_key(options)
    per_fn = _jitted.setdefault(fn, {})
    hit = per_fn.get(key)
    if hit is not None:
        return hit
    source = getattr(fn, "__s2sad_source__", None)
    if source is None:
        raise S2sadError(f"{fn!r} is not generated code")
    tapes = _number_tapes(fn, source)
    twin = compile_function(numba_source(source, tapes), fn.__name__, {}, "numba")
    # weakly: the cache's entry for ``fn`` must not keep ``fn`` alive
    twin.__s2sad_origin__ = weakref.ref(fn)
    _twins[twin.__code__.co_filename] = twin
    dispatcher = numba.njit(**options)(twin)
    per_fn[key] = dispatcher
    # bound after the dispatcher is known (Numba reads them when it compiles)
    ns = twin.__globals__
    ns.update({k: _callable_for_numba(v, options) for k, v in fn.__globals__.items()
               if not k.startswith("__")})
    ns[fn.__name__] = dispatcher  # a recursive derivative calls itself
    if tapes:
        from .numba_helpers import TAPES, twice_as_long  # noqa: F401  imports numba
        ns.update({f"{kind}_tape": TAPES[kind] for kind in set(tapes.values())})
        ns["twice_as_long"] = twice_as_long
    return dispatcher


_TAPE_KINDS = ("float", "int", "bool")


def _number_tapes(fn, source):
    """The generated function's top-level lists that only ever hold numbers of
    one kind (its tapes, mostly), by name: what Numba keeps in arrays."""
    lists = getattr(fn, "__s2sad_lists__", None)
    ir = getattr(fn, "__s2sad_ir__", None)
    if not lists or ir is None:
        return {}
    kinds = infer_kinds(ir, getattr(fn, "__s2sad_kinds__", {}))
    pushed = {v: set() for v in lists.values()}
    for op in ir.body.walk():
        for k, a in enumerate(op.operands()):
            if a not in pushed:
                continue
            method = op.attrs.get("method") if isinstance(op, Prim) and \
                op.kind == "callmethod" and k == 0 else None
            if method == "append" and len(op.args) == 2:
                pushed[a].add(kinds.get(op.args[1]) if isinstance(op.args[1], Value) else
                              kind_of_object(getattr(op.args[1], "value", None)))
            elif method != "pop" or len(op.args) != 1:
                pushed[a].add(None)  # read some other way: stays a list
    taken = set(re.findall(r"\b\w+\b", source))
    helpers = {"twice_as_long"} | {f"{k}_tape" for k in _TAPE_KINDS}
    if taken & helpers:
        return {}
    out = {}
    for name, v in lists.items():
        kind = next(iter(pushed[v])) if len(pushed[v]) == 1 else None
        if kind in _TAPE_KINDS and f"{name}_n" not in taken:
            out[name] = str(kind)
    return out


def with_jitted_calls(fn, options=None):
    """A copy of the generated Python function ``fn`` that calls the Numba
    forms of the derivatives it calls: the Jacobians, whose assembly of
    columns (pytrees, any structure) stays in Python while each JVP or VJP
    runs compiled.  What Numba cannot compile is refused at the first call."""
    options = {k: v for k, v in (options or {}).items() if k not in _IN_PROCESS_DROPPED}
    key = ("calls",) + _options_key(options)
    per_fn = _jitted.setdefault(fn, {})
    hit = per_fn.get(key)
    if hit is None:
        ns = {k: jit(v, options) if getattr(v, "__s2sad_source__", None) is not None and
              v is not fn else v for k, v in fn.__globals__.items()}
        hit = per_fn[key] = types.FunctionType(fn.__code__, ns, fn.__name__, fn.__defaults__,
                                               fn.__closure__)

    def refusing(*args):
        try:
            return hit(*args)
        except Exception as exc:  # noqa: BLE001  Numba's errors, not all of them NumbaError
            if not type(exc).__module__.startswith("numba"):
                raise
            raise _refusal(exc, fn, f"the derivatives {fn.__name__} calls") from None
    return refusing


def _callable_for_numba(obj, options):
    """What Numba code calls where the Python code calls ``obj``."""
    if isinstance(obj, types.ModuleType) or is_jitted(obj):
        return obj
    target = getattr(obj, "target", None) if hasattr(obj, "stands_for") else None
    if target is not None:  # compiler._Pending: a derivative that was being compiled
        obj = target
    if getattr(obj, "__s2sad_source__", None) is not None:
        return jit(obj, options)
    if isinstance(obj, types.FunctionType) and not (obj.__module__ or "").startswith("s2sad"):
        return numba_module().njit(**options)(obj)  # a user function the derivative calls
    return obj


def compile_for(dispatcher, args, kwargs=None, what="the derivative"):
    """Compile ``dispatcher`` for the types of ``args`` (and ``kwargs``) now,
    turning Numba's refusal into a :class:`BackendError` at the user's line."""
    numba = numba_module()
    fn = dispatcher.py_func
    bound = inspect.signature(fn).bind(*args, **(kwargs or {}))
    bound.apply_defaults()
    try:
        sig = tuple(numba.typeof(v) for v in bound.arguments.values())
    except ValueError as exc:  # a dict, a user object: nothing Numba can take
        raise BackendError(f"Numba cannot take the arguments of {what}: {exc}",
                           hint='use backend="python" for this function') from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", numba.NumbaWarning)
            dispatcher.compile(sig)
    except Exception as exc:  # noqa: BLE001  Numba's errors, not all of them NumbaError
        if not type(exc).__module__.startswith("numba"):
            raise
        raise _refusal(exc, fn, what) from None
    return dispatcher


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WHERE = re.compile(r'File "(<s2sad-[^"]*>)", line (\d+)|Raised from (<s2sad-[^>]*>) \((\d+)\)')


def _refusal(exc, fn, what):
    """A BackendError for Numba's ``exc``, at the line of the user's source
    that the failing generated line comes from (its comment says which)."""
    text = _ANSI.sub("", str(exc))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    reason = next((ln for ln in lines if not ln.startswith(("Failed in", "During:"))),
                  lines[0] if lines else type(exc).__name__)
    if reason.startswith("No implementation of function"):
        sig = next((ln for ln in lines if ln.startswith(">>>")), "")[3:].strip()
        name = sig.split("(")[0]
        if sig and callable(getattr(runtime, name, None)):  # one of the derivative's own
            reason = f"the derivative of this line needs s2sad's helper {sig}, which has " \
                     "no Numba form for these types"
        else:
            reason = f"Numba has no implementation of {sig or reason}"
    untyped = re.match(r"Untyped global name '(\w+)'", reason)
    if untyped and callable(getattr(runtime, untyped.group(1), None)):
        reason = f"the derivative of this line needs s2sad's helper {untyped.group(1)}, " \
                 "which has no Numba form"
    loc = None
    for found in reversed(_WHERE.findall(text)):
        filename, lineno = (found[0], found[1]) if found[0] else (found[2], found[3])
        loc = _user_location(filename, int(lineno))
        if loc is not None:
            break
    message = f"Numba cannot compile {what}: {reason}"
    hint = 'use backend="python" for this function, or rewrite this line in a form ' \
           'Numba supports'
    return at_location(BackendError, message, loc, hint)


def _user_location(filename, lineno):
    """The :class:`~s2sad.ir.nodes.Loc` of the user's line that generated line
    ``lineno`` of ``filename`` comes from (None: not known)."""
    lines = linecache.getlines(filename)
    text = None
    for k in range(min(lineno, len(lines)) - 1, -1, -1):
        stripped = lines[k].strip()
        if stripped.startswith("# "):
            text = stripped[2:]
            break
        if stripped.startswith("def "):
            break
    twin = _twins.get(filename)
    origin = twin.__s2sad_origin__() if twin is not None else None
    ir = getattr(origin, "__s2sad_ir__", None)
    if text is None or ir is None:
        return None
    return next((op.loc for op in ir.body.walk()
                 if getattr(op, "loc", None) is not None and op.loc.text == text), None)


_twins: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()
