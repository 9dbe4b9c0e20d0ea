"""Find a function's source and parse it with ``gast``.

Handles module-level and nested functions, closures, methods, functions under
the decorators known not to change what they compute (``staticmethod``,
``classmethod``, ``functools.cache`` / ``lru_cache``, s2sad's own, numba's
``jit``; any other decorator is an error, see :func:`unwrap`), lambdas, functions
defined in notebook cells (IPython registers cells in ``linecache``; those
under ``%%time`` and ``%%timeit`` are recovered from its history, see
:mod:`.notebook`), source given as a string (:func:`from_source`) and the
top-level functions of a ``.py`` file read without running it
(:func:`file_source_infos`).
"""
from __future__ import annotations

import ast
import builtins
import functools
import inspect
import itertools
import linecache
import os
import sys
import textwrap
import tokenize
import types
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import gast

from .. import runtime
from ..errors import (ArgumentError, DecoratorError, FunctionNotFoundError, ModuleLoadError,
                      SourceFileError, SourceSyntaxError, SourceUnavailableError,
                      UnsupportedSyntaxError, place)
from .locations import SOURCE_TEXTS
from .notebook import MAGIC_FILENAMES, magic_cell_source


@dataclass
class SourceInfo:
    """A parsed function and everything needed to resolve and report on it."""

    node: Any  # gast.FunctionDef (lambdas are turned into one)
    filename: str
    line_offset: int  # add to a node's lineno to get the line in ``filename``
    lines: List[str]  # the lines of ``filename`` (for error messages)
    globals: Dict[str, Any]
    closure: Dict[str, Any] = field(default_factory=dict)
    func: Any = None
    # ``(obj,)`` when ``func`` came from a method bound to ``obj``: its first
    # parameter is then a constant, as a closure variable is; ``()`` otherwise.
    bound: tuple = ()
    # name -> the closure cell of each free variable (empty cells too)
    cells: Dict[str, Any] = field(default_factory=dict)
    # what resolving free names read, ``(holder, name, obj)`` each: ``holder``
    # is the globals dict or a closure cell, ``obj`` what it held (ABSENT if
    # nothing).  Lowering fills it; the compiler checks it before reusing work.
    bindings: list = field(default_factory=list)
    # the open lowering (frontend/resolve.py): free names holding data -> the
    # values that stand for them (None: a closed lowering, data are constants)
    free: Optional[dict] = None

    def line_text(self, lineno: int) -> Optional[str]:
        """The text of the line ``lineno`` of the node (node numbering)."""
        real = lineno + self.line_offset
        if 1 <= real <= len(self.lines):
            return self.lines[real - 1]
        return None

    def error(self, cls, node, message, hint=None):
        lineno = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        text = None if lineno is None else self.line_text(lineno)
        if col is not None and text is not None and not text.isascii():
            # ast columns count UTF-8 bytes; the caret and the message count characters
            col = len(text.encode("utf-8")[:col].decode("utf-8", errors="ignore"))
        return cls(message, self.filename,
                   None if lineno is None else lineno + self.line_offset,
                   col, text, hint)


def unwrap(func):
    """The plain Python function behind bound methods and the decorators s2sad
    sees through (:func:`_unwrap`)."""
    return _unwrap(func)[0]


_LRU_CACHE_WRAPPER = getattr(functools, "_lru_cache_wrapper", None)
_MAX_WRAPPERS = 64  # an object that answers every attribute (a mock) ends there


def transparent_wrapper(obj) -> bool:
    """Whether ``obj`` wraps a function without changing what it computes, so
    that s2sad differentiates the function inside: ``functools.cache`` /
    ``lru_cache``, s2sad's own wrappers (``s2sad.differentiate``) and numba's
    ``jit`` / ``njit`` dispatchers (told by their ``py_func`` and the module of
    their type: numba is never imported)."""
    if _LRU_CACHE_WRAPPER is not None and isinstance(obj, _LRU_CACHE_WRAPPER):
        return True
    if getattr(type(obj), "__s2sad_wrapper__", False) or \
            hasattr(obj, "__wrapped_by_s2sad__"):
        return True
    return _numba_dispatcher(obj)


def _numba_dispatcher(obj) -> bool:
    return hasattr(obj, "py_func") and \
        str(getattr(type(obj), "__module__", "")).startswith("numba")


def _inside(obj):
    """The function a transparent wrapper wraps."""
    if _numba_dispatcher(obj):
        return obj.py_func
    if hasattr(obj, "__wrapped_by_s2sad__"):
        return obj.__wrapped_by_s2sad__
    return obj.__wrapped__


def see_through(obj):
    """``obj`` without the transparent wrappers around it (``obj`` itself if
    it has none): what a call of a cached or jitted helper differentiates."""
    for _ in range(_MAX_WRAPPERS):
        if not transparent_wrapper(obj):
            break
        obj = _inside(obj)
    return obj


def _unwrap(func):
    """``(function, bound)``: the plain function and, as a 1-tuple, the object
    the outermost bound method was bound to (``()`` if none).

    Bound methods, ``staticmethod``, ``classmethod`` and the transparent
    wrappers (:func:`transparent_wrapper`) are seen through.  Any other object
    with a ``__wrapped__`` (a decorator written with ``functools.wraps``) is an
    error: the decorator may change the result (``10 * f(x)``), and
    differentiating the function inside would silently drop it."""
    seen = set()
    bound = ()
    while id(func) not in seen and len(seen) < _MAX_WRAPPERS:
        seen.add(id(func))
        if isinstance(func, (types.MethodType,)):
            if not bound:
                bound = (func.__self__,)
            func = func.__func__
        elif isinstance(func, (staticmethod, classmethod)):
            func = func.__func__
        elif isinstance(func, functools.partial):
            raise SourceUnavailableError(
                "s2sad cannot transform a functools.partial; differentiate the "
                "underlying function and pass the fixed arguments yourself")
        elif transparent_wrapper(func):
            func = _inside(func)
        elif hasattr(func, "__wrapped__"):
            raise _decorator_error(func)
        else:
            break
    if not isinstance(func, types.FunctionType):
        raise SourceUnavailableError(
            f"s2sad can only transform Python functions, not {type(func).__name__} "
            f"{getattr(func, '__name__', func)!r}")
    return func, bound


def _decorator_error(wrapper):
    """The error for a decorator s2sad does not know: it names the wrapper
    (its code's qualified name and where it is defined) and the ways on."""
    inner = wrapper.__wrapped__
    name = getattr(inner, "__qualname__", None) or getattr(inner, "__name__", None) \
        or repr(inner)
    code = getattr(wrapper, "__code__", None)
    if code is None:  # an object: where its class's __call__ is defined
        code = getattr(getattr(type(wrapper), "__call__", None), "__code__", None)
        what = f"an instance of {type(wrapper).__qualname__!r}"
    else:
        what = f"the function {_code_qualname(code)!r}"
    where = f" (defined at {place(code.co_filename, code.co_firstlineno)})" if code is not None \
        else f" (from module {getattr(type(wrapper), '__module__', '?')})"
    short = getattr(inner, "__name__", "f")
    return DecoratorError(
        f"{name!r} is decorated: s2sad was given {what}{where}, a decorator's wrapper "
        f"around {name!r}.  s2sad does not differentiate through decorators it does not "
        "know, since one may change what the function computes.  If the decorator does "
        f"not change the values, differentiate {short}.__wrapped__ to skip it; otherwise "
        f"register a rule for the decorated function with @s2sad.defvjp({short}) / "
        f"@s2sad.defjvp({short}), which the functions that call it then use.")


def _code_qualname(code) -> str:
    """``outer.<locals>.inner`` for a code object (``co_qualname`` from Python
    3.11; before, found from the enclosing ``def`` and ``class`` lines)."""
    qualname = getattr(code, "co_qualname", None)
    if qualname:
        return qualname
    lines = linecache.getlines(code.co_filename)
    scopes = [("def", code.co_name)]  # innermost first
    i = code.co_firstlineno - 1
    if 0 <= i < len(lines):
        indent = len(lines[i]) - len(lines[i].lstrip())
        for line in reversed(lines[:i]):
            stripped = line.lstrip()
            depth = len(line) - len(stripped)
            if not stripped or depth >= indent or stripped.startswith(("#", "@")):
                continue
            indent = depth
            for kind in ("def ", "async def ", "class "):
                if stripped.startswith(kind):
                    name = stripped[len(kind):].split("(")[0].split(":")[0].strip()
                    scopes.append((kind.split()[-1], name))
    parts = []
    for (kind, name), inner in zip(reversed(scopes), list(reversed(scopes))[1:] + [None]):
        parts.append(name)
        if inner is not None and kind == "def":
            parts.append("<locals>")
    return ".".join(parts)


#: filename -> (its text, {(function name, first line): its ast node}, the keys
#: handed out): each file is parsed once (by the C parser), not each
#: function's lines tokenized and parsed again (a few recent files are kept).
#: A node is handed out once and dropped: the IR lowered from it is cached, so
#: the tree of a long file does not stay alive for the garbage collector to
#: walk after every build; a function lowered again parses its file again.
_FILE_DEFS: Dict[str, tuple] = {}


def _file_defs(text):
    """{(name, first line): ast node} of the defs of a file's text ({} when it
    does not parse)."""
    defs = {}
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return defs
    todo = list(tree.body)
    while todo:  # statements only: a def is never inside an expression
        n = todo.pop()
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = min([n.lineno] + [d.lineno for d in n.decorator_list])
            defs.setdefault((n.name, first), n)
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(n, name, None)
            if isinstance(inner, list):
                todo.extend(inner)
    return defs


def _file_def(func, filename):
    """The gast node of a ``def`` found in its file's parse, or None (a lambda,
    a file that cannot be read or parsed: :func:`get_source_info` finds those
    the slow way)."""
    if func.__name__ == "<lambda>":
        return None
    linecache.checkcache(filename)
    lines = linecache.getlines(filename, func.__globals__)
    if not lines:
        return None
    text = "".join(lines)
    key = (func.__name__, func.__code__.co_firstlineno)
    hit = _FILE_DEFS.get(filename)
    if hit is None or hit[0] != text or key in hit[2]:
        hit = _FILE_DEFS[filename] = (text, _file_defs(text), set())
        while len(_FILE_DEFS) > 32:
            del _FILE_DEFS[next(iter(_FILE_DEFS))]
    node = hit[1].pop(key, None)
    if node is None:
        return None
    hit[2].add(key)
    return gast.ast_to_gast(node), lines


def get_source_info(func) -> SourceInfo:
    func, bound = _unwrap(func)
    code = func.__code__
    filename = code.co_filename
    if filename in MAGIC_FILENAMES:
        return _magic_cell_info(func, bound)
    found = _file_def(func, filename)
    if found is not None:
        return _source_info(func, bound, found[0], filename, 0, found[1])
    try:
        lines, start = inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        raise SourceUnavailableError(
            f"cannot find the source of {func.__qualname__!r} (defined in {filename}). "
            "s2sad reads a function's source; for code built with exec, use "
            "s2sad.from_source(text) to define it") from exc
    start = max(start, 1)
    all_lines = linecache.getlines(filename) or lines
    text = "".join(lines)
    offset = start - 1
    if text[:1] in (" ", "\t"):
        # Indented (a method or nested function): parse inside a dummy block so
        # that columns stay those of the file.
        text = "if 1:\n" + text
        offset -= 1
    try:
        module = gast.parse(text)
    except SyntaxError:
        try:
            module = gast.parse(textwrap.dedent("".join(lines)))
            offset = start - 1
        except SyntaxError as exc:
            module = _lambda_fragments("".join(lines)) if func.__name__ == "<lambda>" else None
            if module is None:
                raise SourceUnavailableError(
                    f"cannot parse the source of {func.__qualname__!r}: {exc}") from exc
            offset = start - 1
    node = _find_function(module, func, offset)
    return _source_info(func, bound, node, filename, offset, all_lines)


def _magic_cell_info(func, bound) -> SourceInfo:
    """A function defined in a notebook cell under ``%%time`` or ``%%timeit``,
    whose source IPython keeps only in its history (:mod:`.notebook`)."""
    text, filename, offset, lines = magic_cell_source(func)
    node = _find_function(gast.parse(text), func, 0)
    return _source_info(func, bound, node, filename, offset, lines)


def _source_info(func, bound, node, filename, offset, all_lines) -> SourceInfo:
    code = func.__code__
    closure = {}
    cells = {}
    if code.co_freevars and func.__closure__:
        for name, cell in zip(code.co_freevars, func.__closure__):
            cells[name] = cell
            try:
                closure[name] = cell.cell_contents
            except ValueError:  # empty cell: defined later in the enclosing scope
                pass
    return SourceInfo(node, filename, offset, list(all_lines), func.__globals__,
                      closure, func, bound, cells)


def _lambda_fragments(text):
    """The lambdas of a line that is not a whole statement (``try: g(lambda x: x)``),
    as a module of expressions on the lines where they stand."""
    per_line = {}  # line -> its lambdas' texts, kept on that line (joined by ";")
    start = text.find("lambda")
    while start != -1:
        for end in range(len(text), start, -1):
            try:
                gast.parse(text[start:end].strip())
            except SyntaxError:
                continue
            line = text.count("\n", 0, start)
            per_line.setdefault(line, []).append(text[start:end].strip().replace("\n", " "))
            break
        start = text.find("lambda", start + 6)
    if not per_line:
        return None
    try:
        return gast.parse("\n".join("; ".join(per_line.get(k, ()))
                                    for k in range(max(per_line) + 1)))
    except SyntaxError:
        return None


def _code_fingerprint(code):
    """What a lambda's code object shows of its text, whatever scope it was
    compiled in (a name the enclosing function defines is free there, global
    when the lambda is compiled alone): its constants, nested code, names."""
    consts = tuple(_code_fingerprint(c) if isinstance(c, types.CodeType) else (type(c), c)
                   for c in code.co_consts)
    names = frozenset(code.co_names) | frozenset(code.co_freevars)
    return consts, names, code.co_varnames, code.co_argcount, code.co_kwonlyargcount


def _same_code(lam, code) -> bool:
    """Whether the lambda node ``lam`` compiles to code like ``code``."""
    try:
        tree = ast.fix_missing_locations(ast.Expression(body=gast.gast_to_ast(lam)))
        compiled = compile(tree, "<lambda>", "eval")
    except (SyntaxError, ValueError, TypeError):
        return False
    inner = [c for c in compiled.co_consts if isinstance(c, types.CodeType)]
    return len(inner) == 1 and _code_fingerprint(inner[0]) == _code_fingerprint(code)


def _find_function(module, func, offset):
    code = func.__code__
    want_line = code.co_firstlineno - offset
    if func.__name__ == "<lambda>":
        lambdas = [n for n in gast.walk(module) if isinstance(n, gast.Lambda)]
        argnames = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
        cands = [n for n in lambdas
                 if [a.id for a in n.args.args + n.args.kwonlyargs] == argnames]
        if len(cands) > 1:  # the one whose code it is (two on one line share its number)
            cands = [n for n in cands if _same_code(n, code)]
            on_line = [n for n in cands if n.lineno == want_line]
            cands = on_line or cands
        if len(cands) != 1:
            raise SourceUnavailableError(
                "cannot tell which lambda on this line to transform; give it a name "
                "with def")
        lam = cands[0]
        ret = gast.Return(value=lam.body)
        gast.copy_location(ret, lam.body)
        fdef = gast.FunctionDef(name="<lambda>", args=lam.args, body=[ret],
                                decorator_list=[], returns=None, type_comment=None,
                                **_type_params())
        gast.copy_location(fdef, lam)
        return fdef
    defs = [n for n in gast.walk(module)
            if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef))
            and n.name == func.__name__]
    if not defs:
        filename = func.__code__.co_filename
        if filename.startswith("<"):  # exec'd: the lines under that name are another text's
            raise SourceUnavailableError(
                f"cannot find the source of {func.__qualname__!r} (defined in {filename}). "
                "s2sad reads a function's source; for code built with exec, use "
                "s2sad.from_source(text) to define it")
        raise SourceUnavailableError(f"cannot find 'def {func.__name__}' in its source")
    for n in defs:
        first = min([n.lineno] + [d.lineno for d in n.decorator_list])
        if first == want_line or n.lineno == want_line:
            return n
    return defs[0]


def _type_params():
    fields = gast.FunctionDef._fields
    return {"type_params": []} if "type_params" in fields else {}


_counter = itertools.count()


def from_source(source: str, name: Optional[str] = None, globals: Optional[dict] = None):
    """Define a function from source text so that s2sad can transform it.

    The text is registered in :mod:`linecache` under a unique pseudo-filename,
    so tracebacks show it and ``inspect.getsource`` finds it.  ``name`` picks one
    function when the text defines several (default: the last one).
    """
    if isinstance(name, dict):
        raise ArgumentError("from_source(source, name=None, globals=None): the second "
                            "argument is the function's name; pass the namespace as "
                            "globals={...}")
    source = textwrap.dedent(source)
    if not source.endswith("\n"):
        source += "\n"
    filename = f"<s2sad-source-{next(_counter)}>"
    register_source(filename, source)
    SOURCE_TEXTS[filename] = globals is not None  # what a name it lacks is (locations.py)
    namespace = {} if globals is None else globals
    namespace.setdefault("__name__", "__s2sad_source__")
    code = compile(source, filename, "exec")
    exec(code, namespace)
    module = gast.parse(source)
    names = [n.name for n in module.body
             if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef))]
    if name is None:
        if not names:
            raise ValueError("from_source: the text defines no function")
        name = names[-1]
    if name not in namespace:
        raise ValueError(f"from_source: the text defines no function {name!r}")
    return namespace[name]


def register_source(filename: str, source: str) -> None:
    """Make ``source`` visible to linecache (and so to tracebacks and inspect)."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


# ---------------------------------------------------------------------------
# Functions of a file, read without running the file
# ---------------------------------------------------------------------------
class FileFunction:
    """Stands for a top-level function of a file read by :func:`file_source_infos`.

    The file is never run, so there is no function object: the file's globals
    bind each top-level function's name to one of these instead.  A function
    that calls another function of the same file resolves the name to it, and
    ``info`` holds the callee's :class:`SourceInfo` for an interprocedural pass.
    """

    __slots__ = ("name", "info")

    def __init__(self, name: str, info: SourceInfo):
        self.name = name
        self.info = info

    @property
    def __name__(self):
        return self.name

    @property
    def __signature__(self):
        """The function's signature, read from its source (defaults as written)."""
        import inspect
        args = self.info.node.args
        P = inspect.Parameter
        params = []
        positional = list(args.posonlyargs) + list(args.args)
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        for i, (a, d) in enumerate(zip(positional, defaults)):
            kind = P.POSITIONAL_ONLY if i < len(args.posonlyargs) else P.POSITIONAL_OR_KEYWORD
            params.append(P(a.id, kind, default=P.empty if d is None else
                            default_value(self.info, d)))
        if args.vararg is not None:
            params.append(P(args.vararg.id, P.VAR_POSITIONAL))
        for a, d in zip(args.kwonlyargs, args.kw_defaults):
            params.append(P(a.id, P.KEYWORD_ONLY,
                            default=P.empty if d is None else default_value(self.info, d)))
        if args.kwarg is not None:
            params.append(P(args.kwarg.id, P.VAR_KEYWORD))
        return inspect.Signature(params)

    def __repr__(self):
        return f"<s2sad.FileFunction {self.name!r} of {self.info.filename}>"

    def __call__(self, *args, **kwargs):
        raise SourceUnavailableError(
            f"{self.name!r} was read from {self.info.filename} without running the "
            "file, so it cannot be called; import the module to run it")


def file_source_infos(path, names=None) -> Dict[str, SourceInfo]:
    """The :class:`SourceInfo` of each top-level function of a ``.py`` file,
    read WITHOUT running the file.

    The file is parsed; its globals are built from the top-level statements
    alone, in order:

    * ``import`` and ``from ... import`` statements are executed (in a fresh
      dict, with the file's directory on ``sys.path`` as when running it);
    * assignments of literals (``N = 10``, ``COEFFS = (1.0, 2.0)``, read with
      :func:`ast.literal_eval`) bind their names; any other assignment, a
      ``class`` or a ``del`` leaves its names unbound;
    * each ``def`` binds its name to a :class:`FileFunction`.

    Nothing else runs: not function bodies, not decorators, not statements
    under ``if __name__ == "__main__":``.  ``names`` picks functions (default:
    all, in file order).  The infos' ``func`` is None.

    Raises :class:`~s2sad.errors.SourceFileError` if the file cannot be read,
    :class:`~s2sad.errors.SourceSyntaxError` if it is not valid Python,
    :class:`~s2sad.errors.ModuleLoadError` if one of its imports fails and
    :class:`~s2sad.errors.FunctionNotFoundError` for a name in ``names`` that
    is not a top-level function of the file.
    """
    filename = os.fspath(path)
    text = read_text(filename)
    lines = text.splitlines(True)
    try:
        tree = ast.parse(text, filename)
    except SyntaxError as exc:
        lineno = exc.lineno
        line_text = lines[lineno - 1] if lineno and 1 <= lineno <= len(lines) else exc.text
        col = exc.offset - 1 if exc.offset else None
        raise SourceSyntaxError(f"invalid Python: {exc.msg}", filename, lineno, col,
                                line_text) from None
    gtree = gast.ast_to_gast(tree)

    modname, package, search_path = _module_context(filename)
    namespace: Dict[str, Any] = {"__name__": modname, "__file__": filename,
                                 "__package__": package, "__builtins__": builtins}
    infos: Dict[str, SourceInfo] = {}

    def unbind(target):
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                namespace.pop(n.id, None)

    saved_path = list(sys.path)
    sys.path[:0] = [p for p in search_path if p not in sys.path]
    try:
        for stmt, gstmt in zip(tree.body, gtree.body):
            if isinstance(stmt, ast.FunctionDef) and runtime_copy(stmt, lines) is not None:
                # a helper an earlier `s2sad transpile` copied: s2sad's own, with its rules
                namespace[stmt.name] = runtime_copy(stmt, lines)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                info = SourceInfo(gstmt, filename, 0, lines, namespace)
                infos[stmt.name] = info
                namespace[stmt.name] = FileFunction(stmt.name, info)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                _run_import(stmt, namespace, filename, lines)
            elif isinstance(stmt, ast.Assign):
                _assign_literal(stmt.targets, stmt.value, namespace, unbind)
            elif isinstance(stmt, ast.AnnAssign):
                if stmt.value is not None:
                    _assign_literal([stmt.target], stmt.value, namespace, unbind)
            elif isinstance(stmt, ast.AugAssign):
                unbind(stmt.target)
            elif isinstance(stmt, ast.ClassDef):
                namespace.pop(stmt.name, None)
            elif isinstance(stmt, ast.Delete):
                for t in stmt.targets:
                    unbind(t)
    finally:
        sys.path[:] = saved_path

    if names is None:
        return infos
    if isinstance(names, str):
        names = [names]
    missing = [n for n in names if n not in infos]
    if missing:
        have = ", ".join(infos) or "none"
        raise FunctionNotFoundError(
            f"{filename} has no top-level function {missing[0]!r} "
            f"(its top-level functions: {have})")
    return {n: infos[n] for n in names}


def runtime_copy(node, lines):
    """The :mod:`s2sad.runtime` function whose source the top-level definition
    ``node`` (of a file of ``lines``) is, character for character, as
    ``s2sad transpile`` copies it into the modules it writes; None otherwise."""
    obj = getattr(runtime, node.name, None)
    if not isinstance(obj, types.FunctionType) or \
            not (obj.__module__ or "").startswith(runtime.__name__ + "."):
        return None
    start = min([d.lineno for d in node.decorator_list] + [node.lineno])
    text = "".join(lines[start - 1:node.end_lineno])
    try:
        return obj if text.rstrip() == inspect.getsource(obj).rstrip() else None
    except (OSError, TypeError):
        return None


def read_text(filename: str) -> str:
    """A source file's text, decoded as Python decodes it (SourceFileError if it
    cannot be read)."""
    try:
        with tokenize.open(filename) as f:  # honours a coding cookie, like Python
            return f.read()
    except FileNotFoundError:
        raise SourceFileError(f"{filename}: no such file") from None
    except IsADirectoryError:
        raise SourceFileError(f"{filename}: is a directory, not a .py file") from None
    except PermissionError:
        raise SourceFileError(f"{filename}: permission denied") from None
    except (SyntaxError, UnicodeDecodeError) as exc:  # bad coding cookie or bytes
        raise SourceFileError(f"{filename}: cannot decode the file: {exc}") from None
    except OSError as exc:
        raise SourceFileError(f"{filename}: cannot read the file: {exc.strerror or exc}") \
            from None


def _module_context(filename: str):
    """The module name and package of a file (as if imported from the root of
    its package), and the directories to put on ``sys.path`` for its imports:
    its own directory, as when it is run, and its package root."""
    path = os.path.abspath(filename)
    directory, base = os.path.split(path)
    stem = os.path.splitext(base)[0]
    parts: List[str] = []
    root = directory
    while os.path.isfile(os.path.join(root, "__init__.py")):
        root, pkg = os.path.split(root)
        if not pkg.isidentifier():
            break
        parts.insert(0, pkg)
    package = ".".join(parts)
    modname = package if stem == "__init__" and package else ".".join(parts + [stem])
    search = [directory] if root == directory else [directory, root]
    return modname, package, search


def _run_import(stmt, namespace, filename, lines):
    code = compile(ast.Module(body=[stmt], type_ignores=[]), filename, "exec",
                   dont_inherit=True)
    try:
        exec(code, namespace)
    except (Exception, SystemExit) as exc:
        lineno = stmt.lineno
        raise ModuleLoadError(
            f"cannot run this import: {type(exc).__name__}: {exc}", filename, lineno,
            stmt.col_offset, lines[lineno - 1] if lineno <= len(lines) else None,
            "s2sad runs only a file's top-level imports; install the module or make "
            "the import work from the file's directory") from None


def _assign_literal(targets, value, namespace, unbind):
    try:
        obj = ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        for t in targets:
            unbind(t)
        return
    for t in targets:
        if isinstance(t, ast.Name):
            namespace[t.id] = obj
        elif isinstance(t, (ast.Tuple, ast.List)) and \
                all(isinstance(e, ast.Name) for e in t.elts) and \
                isinstance(obj, (tuple, list)) and len(obj) == len(t.elts):
            for e, v in zip(t.elts, obj):
                namespace[e.id] = v
        else:
            unbind(t)


def default_value(info: SourceInfo, node):
    """The value of a parameter default when the function was read from a file
    and not run: a literal, or a name (``N``, ``np.pi``) bound in its globals."""
    try:
        return gast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    attrs = []
    base = node
    while isinstance(base, gast.Attribute):
        attrs.insert(0, base.attr)
        base = base.value
    if isinstance(base, gast.Name):
        missing = object()
        obj = info.closure.get(base.id, info.globals.get(base.id, missing))
        if obj is missing:
            obj = getattr(builtins, base.id, missing)
        for a in attrs:
            if obj is missing:
                break
            obj = getattr(obj, a, missing)
        if obj is not missing:
            return obj
        dotted = ".".join([base.id] + attrs)
        raise info.error(
            UnsupportedSyntaxError, node,
            f"the default value {dotted!r} is not bound when the file is read "
            "without running it",
            "s2sad binds only a file's imports, literal assignments (N = 10) and "
            "functions; write the value as a literal or assign it a literal at "
            "module level")
    raise info.error(
        UnsupportedSyntaxError, node,
        "this default value cannot be computed without running the file",
        "write the default as a literal, or as a module-level name assigned a "
        "literal (N = 10)")
