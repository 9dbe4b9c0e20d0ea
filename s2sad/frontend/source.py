"""Find a function's source and parse it with ``gast``.

Handles module-level and nested functions, closures, methods, decorated
functions (decorators are dropped), lambdas, functions defined in notebook cells
(IPython registers cells in ``linecache``) and source given as a string
(:func:`from_source`).
"""
from __future__ import annotations

import functools
import inspect
import itertools
import linecache
import textwrap
import types
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import gast

from ..errors import SourceUnavailableError, UnsupportedSyntaxError


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

    def line_text(self, lineno: int) -> Optional[str]:
        """The text of the line ``lineno`` of the node (node numbering)."""
        real = lineno + self.line_offset
        if 1 <= real <= len(self.lines):
            return self.lines[real - 1]
        return None

    def error(self, cls, node, message, hint=None):
        lineno = getattr(node, "lineno", None)
        col = getattr(node, "col_offset", None)
        return cls(message, self.filename,
                   None if lineno is None else lineno + self.line_offset,
                   col, None if lineno is None else self.line_text(lineno), hint)


def unwrap(func):
    """The plain Python function behind bound methods, ``functools.wraps`` and
    ``s2sad.differentiate`` wrappers."""
    seen = set()
    while id(func) not in seen:
        seen.add(id(func))
        if isinstance(func, (types.MethodType,)):
            func = func.__func__
        elif isinstance(func, (staticmethod, classmethod)):
            func = func.__func__
        elif isinstance(func, functools.partial):
            raise SourceUnavailableError(
                "s2sad cannot transform a functools.partial; differentiate the "
                "underlying function and pass the fixed arguments yourself")
        elif hasattr(func, "__wrapped__"):
            func = func.__wrapped__
        else:
            break
    if not isinstance(func, types.FunctionType):
        raise SourceUnavailableError(
            f"s2sad can only transform Python functions, not {type(func).__name__} "
            f"{getattr(func, '__name__', func)!r}")
    return func


def get_source_info(func) -> SourceInfo:
    func = unwrap(func)
    code = func.__code__
    filename = code.co_filename
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
            raise SourceUnavailableError(
                f"cannot parse the source of {func.__qualname__!r}: {exc}") from exc
    node = _find_function(module, func, offset)
    closure = {}
    if code.co_freevars and func.__closure__:
        for name, cell in zip(code.co_freevars, func.__closure__):
            try:
                closure[name] = cell.cell_contents
            except ValueError:  # empty cell: defined later in the enclosing scope
                pass
    return SourceInfo(node, filename, offset, list(all_lines), func.__globals__,
                      closure, func)


def _find_function(module, func, offset):
    code = func.__code__
    want_line = code.co_firstlineno - offset
    if func.__name__ == "<lambda>":
        lambdas = [n for n in gast.walk(module) if isinstance(n, gast.Lambda)]
        argnames = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
        cands = [n for n in lambdas
                 if [a.id for a in n.args.args + n.args.kwonlyargs] == argnames]
        if len(cands) > 1:
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
    source = textwrap.dedent(source)
    if not source.endswith("\n"):
        source += "\n"
    filename = f"<s2sad-source-{next(_counter)}>"
    register_source(filename, source)
    namespace = {} if globals is None else globals
    namespace.setdefault("__name__", "__s2sad_source__")
    code = compile(source, filename, "exec")
    exec(code, namespace)
    module = gast.parse(source)
    names = [n.name for n in module.body if isinstance(n, gast.FunctionDef)]
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
