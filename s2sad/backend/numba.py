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

import numpy as np

from .. import runtime
from ..errors import BackendError, S2sadError, at_location
from ..ir.kinds import infer_kinds, kind_of_object
from ..ir.nodes import Prim, Value
from .compile import compile_function

BACKENDS = ("python", "numba")
# what a transpiled module's functions may keep of an @njit function's options
_IN_PROCESS_DROPPED = ("cache",)  # exec'd code has no file to cache next to


def _in_process(options):
    return {k: v for k, v in (options or {}).items() if k not in _IN_PROCESS_DROPPED}


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


_DTYPES = {"float": "float64", "int": "int64", "bool": "bool_"}


def _simple(node):
    """An expression of names and constants only: evaluated again, the same."""
    return all(isinstance(n, (ast.Name, ast.Constant, ast.BinOp, ast.UnaryOp, ast.operator,
                              ast.unaryop, ast.Load)) for n in ast.walk(node))


def _tape_statements(tree, tapes):
    """For each tape of ``tapes`` (name -> kind) that a counted loop at the
    function's top level pushes to once per iteration: ``(loop, name, new,
    push, pops, backwards)``, the statements that make it, push to it and pop
    from it, and its ``reversed(tape)`` reads.
    Those become an array as long as the loop (the others stay lists: growing
    an array costs Numba more than a list's append)."""
    fn = tree.body[0]
    uses, new, pushes, pops = {}, {}, {}, {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in tapes:
            uses[node.id] = uses.get(node.id, 0) + 1
    for stmt in fn.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id in tapes and \
                isinstance(stmt.value, ast.List) and not stmt.value.elts:
            new[stmt.targets[0].id] = stmt
    for node in ast.walk(fn):
        call = getattr(node, "value", None)
        if not (isinstance(node, (ast.Expr, ast.Assign)) and isinstance(call, ast.Call) and
                isinstance(call.func, ast.Attribute) and
                isinstance(call.func.value, ast.Name) and call.func.value.id in tapes):
            continue
        name = call.func.value.id
        if isinstance(node, ast.Expr) and call.func.attr == "append" and len(call.args) == 1:
            pushes.setdefault(name, []).append(node)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                call.func.attr == "pop" and not call.args and not call.keywords:
            pops.setdefault(name, []).append(node)
    backwards = {}  # ``for ... in zip(reversed(tape), ...)``: the tape read backwards
    for loop in fn.body:
        if isinstance(loop, ast.For):
            for node in ast.walk(loop.iter):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                        node.func.id == "reversed" and len(node.args) == 1 and \
                        isinstance(node.args[0], ast.Name) and node.args[0].id in tapes and \
                        node.lineno == node.end_lineno:
                    backwards.setdefault(node.args[0].id, []).append(node)
    out = []
    for loop in fn.body:
        if not (isinstance(loop, ast.For) and not loop.orelse and
                isinstance(loop.iter, ast.Call) and isinstance(loop.iter.func, ast.Name) and
                loop.iter.func.id == "range" and not loop.iter.keywords and
                all(_simple(a) for a in loop.iter.args)):
            continue
        assigned = {n.id for n in ast.walk(loop) if isinstance(n, ast.Name) and
                    isinstance(n.ctx, ast.Store)}
        if assigned & {n.id for a in loop.iter.args for n in ast.walk(a)
                       if isinstance(n, ast.Name)}:
            continue  # the count would change under the loop
        for stmt in loop.body:
            call = stmt.value if isinstance(stmt, ast.Expr) else None
            name = call.func.value.id if isinstance(call, ast.Call) and \
                isinstance(call.func, ast.Attribute) and \
                isinstance(call.func.value, ast.Name) else None
            if name in new and pushes.get(name) == [stmt] and \
                    uses.get(name) == 2 + len(pops.get(name, ())) + len(backwards.get(name, ())) \
                    and all(p.lineno == p.end_lineno for p in pops.get(name, ())):
                out.append((loop, name, new[name], stmt, pops.get(name, []),
                            backwards.get(name, [])))
    return out


def _tape_pieces(tree, tapes, numpy_name):
    """The replacements that make the tapes of :func:`_tape_statements` arrays."""
    out = []
    for loop, name, new, push, pops, backwards in _tape_statements(tree, tapes):
        count, indent = f"{name}_n", " " * loop.col_offset
        length = ast.unparse(ast.Call(ast.Name("len", ast.Load()), [loop.iter], []))
        out.append((new.lineno, new.col_offset, new.end_col_offset, f"{count} = 0"))
        out.append((loop.lineno, loop.col_offset, loop.col_offset,
                    f"{name} = {numpy_name}.empty({length}, {numpy_name}."
                    f"{_DTYPES[tapes[name]]})\n{indent}"))
        out.append((push.lineno, push.col_offset, push.end_col_offset,
                    f"{name}[{count}] = {ast.unparse(push.value.args[0])}\n"
                    f"{' ' * push.col_offset}{count} += 1"))
        for pop in pops:
            out.append((pop.lineno, pop.col_offset, pop.end_col_offset,
                        f"{count} -= 1\n{' ' * pop.col_offset}"
                        f"{ast.unparse(pop.targets[0])} = {name}[{count}]"))
        for node in backwards:  # what was pushed (a break may end the loop early)
            out.append((node.lineno, node.col_offset, node.end_col_offset,
                        f"{name}[:{count}][::-1]"))
    return out


def _replacements(tree, tapes=None, numpy_name=None):
    """``(line, start column, end column, new text)`` of every piece to rewrite."""
    out = _tape_pieces(tree, tapes, numpy_name) if tapes and numpy_name else []
    taken = {(line, start) for line, start, _, _ in out}
    for node in ast.walk(tree):
        if (getattr(node, "lineno", None), getattr(node, "col_offset", None)) in taken:
            continue
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


def numba_source(source: str, tapes=None, numpy_name=None) -> str:
    """``source`` (generated Python) in the form Numba compiles, statement for
    statement (the comments that say which line of the user's each block comes
    from stay above it).  ``tapes`` (a list's name -> "float", "int" or
    "bool") are the lists that hold numbers of one kind: those a counted loop
    fills become arrays (``numpy_name``: NumPy's name in the code)."""
    lines = source.split("\n")
    pieces = _replacements(ast.parse(source), tapes, numpy_name)
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
    options = _in_process(options)
    key = _options_key(options)
    per_fn = _jitted.setdefault(fn, {})
    hit = per_fn.get(key)
    if hit is not None:
        return hit
    source = getattr(fn, "__s2sad_source__", None)
    if source is None:
        raise S2sadError(f"{fn!r} is not generated code")
    tapes = _number_tapes(fn, source)
    numpy_name = next((k for k, v in fn.__globals__.items() if v is np), None)
    if tapes and numpy_name is None and not re.search(r"\bnumpy\b", source):
        numpy_name = "numpy"
    twin = compile_function(numba_source(source, tapes, numpy_name), fn.__name__,
                            {"numpy": np} if numpy_name == "numpy" else {}, "numba")
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
    return dispatcher


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
            elif not (method == "pop" and len(op.args) == 1 or _read_backwards(op)):
                pushed[a].add(None)  # read some other way: stays a list
    taken = set(re.findall(r"\b\w+\b", source))
    out = {}
    for name, v in lists.items():
        kind = next(iter(pushed[v])) if len(pushed[v]) == 1 else None
        if kind in _DTYPES and f"{name}_n" not in taken:
            out[name] = str(kind)
    return out


def _read_backwards(op) -> bool:
    """``reversed(tape)``: how a reverse loop that runs once reads its tape."""
    return isinstance(op, Prim) and op.kind == "call" and len(op.args) == 2 and \
        getattr(op.args[0], "obj", None) is reversed and not op.attrs


def with_jitted_calls(fn, options=None):
    """A copy of the generated Python function ``fn`` that calls the Numba
    forms of the derivatives it calls: the Jacobians, whose assembly of
    columns (pytrees, any structure) stays in Python while each JVP or VJP
    runs compiled.  What Numba cannot compile is refused at the first call."""
    options = _in_process(options)
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
            if not _from_numba(exc):
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
        if not _from_numba(exc):
            raise
        raise _refusal(exc, fn, what) from None
    return dispatcher


def _from_numba(exc) -> bool:
    """Whether Numba raised ``exc`` (UnsupportedBytecodeError is no NumbaError)."""
    return type(exc).__module__.startswith("numba")


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
