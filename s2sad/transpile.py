"""Write the derivatives of a file's functions as a stand-alone module.

The input file is read, never run: names are resolved from its import
statements.  The module written holds, in order: the input's imports, the
small runtime helpers the derivatives call (copied, so s2sad need not be
installed), the input's literal constants and functions (derivatives call the
originals), and the derivative functions, each followed by nothing else.

With ``backend="numba"`` every function of the module is ``@numba.njit``-
compiled (on first call, cached on disk): see :func:`_numba_module`.
"""
from __future__ import annotations

import ast
import builtins
import inspect
import os
import types
from typing import Dict, List, Optional, Sequence

import numpy as np

from . import runtime
from .version import __version__
from .backend.numba import check_backend, numba_source
from .compiler import compile_derivative, normalize_argnums
from .errors import S2sadError
from .frontend.annotations import annotated_kinds
from .frontend.source import FileFunction, file_source_infos, read_text, runtime_copy
from .ir.nodes import MISSING

MODES = {"forward": ("forward",), "reverse": ("reverse",), "both": ("forward", "reverse")}


def file_function(name, info):
    """The placeholder standing for a function of a file, and how many
    positional parameters it has."""
    placeholder = info.globals.get(name)
    if not isinstance(placeholder, FileFunction):
        placeholder = FileFunction(name, info)
    n = len([p for p in inspect.signature(placeholder).parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)])
    return placeholder, n


def _collect(compiled, out: Dict[str, object]):
    """The derivative and every derivative it calls, callees first."""
    if compiled.name in out:
        return
    out[compiled.name] = None  # recursion guard
    for callee in getattr(compiled, "callees", []):
        _collect(callee, out)
    del out[compiled.name]
    out[compiled.name] = compiled


def transpile_file(path, functions: Optional[Sequence[str]] = None, mode: str = "both",
                   argnums=None, scalar: bool = False, backend: str = "python") -> str:
    """The source of a module with the derivatives of ``functions`` of ``path``.

    Each function is compiled for the kinds its parameters' annotations name
    (``x: float``, ``v: np.ndarray``); the other parameters are generic
    (arrays broadcast) unless ``scalar``: then they are taken to be floats,
    which gives the plainest code.  With
    ``backend="numba"`` the module's functions are ``@numba.njit(cache=True)``
    compiled, with the options of a function's own ``@njit(...)``."""
    if mode not in MODES:
        raise S2sadError(f"mode must be forward, reverse or both, not {mode!r}")
    check_backend(backend)
    infos = file_source_infos(path)  # a missing or unreadable file: a clear error
    text = read_text(path)  # with the encoding its coding line declares
    tree = ast.parse(text)
    names = list(functions) if functions else list(infos)
    missing = [n for n in names if n not in infos]
    if missing:
        raise S2sadError(f"{path} has no top-level function {', '.join(map(repr, missing))}; "
                         f"it defines {', '.join(infos) or 'none'}")
    generated: Dict[str, object] = {}
    for name in names:
        placeholder, n = file_function(name, infos[name])
        if n == 0:
            continue
        nums = tuple(range(n)) if argnums is None else normalize_argnums(argnums, n)[1]
        kinds = annotated_kinds(placeholder, n, "float" if scalar else None)
        for m in MODES[mode]:
            _collect(compile_derivative(placeholder, m, nums, kinds), generated)
    return _module(path, text, tree, infos, list(generated.values()), backend)


def _module(path, text, tree, infos, derivatives, backend="python") -> str:
    imports, constants, functions = [], [], []
    for node in tree.body:
        segment = ast.get_source_segment(text, node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(segment)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            try:
                ast.literal_eval(node.value)
                constants.append(segment)
            except (ValueError, SyntaxError, TypeError):
                pass
        elif isinstance(node, ast.FunctionDef) and \
                runtime_copy(node, text.splitlines(True)) is not None:
            continue  # a runtime helper: written again with the others, if needed
        elif isinstance(node, ast.FunctionDef) and not node.decorator_list:
            functions.append(segment)
        elif isinstance(node, ast.FunctionDef):
            # decorators may need the whole file: keep the plain function
            start = node.lineno
            lines = text.splitlines()[start - 1:node.end_lineno]
            functions.append("\n".join(lines))

    bound = _bound_names(imports)
    # the names the module keeps from the input: a helper written under one of
    # them would be replaced by the input's object for the derivatives that call it
    taken = set(infos) | set(bound) | _constant_names(constants)
    needed_imports, helpers = [], []
    seen_helpers = set()
    for d in derivatives:
        for name, obj in d.namespace.items():
            if isinstance(obj, types.ModuleType):
                if bound.get(name) != obj.__name__:
                    line = f"import {obj.__name__} as {name}" if name != obj.__name__ \
                        else f"import {name}"
                    if line not in needed_imports:
                        needed_imports.append(line)
                    bound[name] = obj.__name__
            elif _is_runtime_helper(obj):
                if obj.__name__ != name:
                    raise S2sadError(f"runtime helper {obj.__name__} bound as {name}")
                for helper in _with_callees(obj):  # the helpers it calls come along
                    if helper.__name__ in taken:
                        raise S2sadError(_taken_helper_name(path, helper.__name__))
                    if helper.__name__ not in seen_helpers:
                        seen_helpers.add(helper.__name__)
                        helpers.append(inspect.getsource(helper))
            elif isinstance(obj, FileFunction) or name in infos:
                continue
            elif obj is MISSING or name in bound or name in _constant_names(constants):
                continue
            elif getattr(builtins, name, None) is obj:
                continue
            elif isinstance(obj, np.ufunc) or callable(obj) and \
                    (getattr(obj, "__module__", "") or "").startswith("numpy"):
                raise S2sadError(f"{path}: the derivative uses {name} = {obj!r}, which the "
                                 "module cannot name; import it at the top of the file")
    written = {"_rebuild", "_pure"} if helpers else set()  # always written with the others
    if helpers and backend == "numba":  # and the Numba module's overloaded helpers
        written |= set(_numba_helpers_parts()[1])
    for name in sorted(written & taken):
        raise S2sadError(_taken_helper_name(path, name))
    if backend == "numba":
        return _numba_module(path, tree, imports + needed_imports, bound, helpers,
                             seen_helpers, constants, functions, derivatives)
    out: List[str] = [f'"""Derivatives of {_docstring_text(path)}, generated by s2sad '
                      f'{__version__}.',
                      "",
                      "Regenerate with `s2sad transpile`; do not edit by hand.",
                      '"""']
    needed_imports += _helper_imports(helpers, bound)
    out += imports + needed_imports
    if helpers:
        out += ["", "", "# --- runtime helpers (from s2sad.runtime) ---",
                inspect.getsource(runtime._rebuild).rstrip(),
                "", "", inspect.getsource(runtime._pure).rstrip()]
        for h in helpers:
            out += ["", "", h.rstrip()]
    if constants:
        out += ["", ""] + constants
    out += ["", "", "# --- the original functions ---"]
    for f in functions:
        out += ["", "", f.rstrip()]
    out += ["", "", "# --- derivatives ---"]
    for d in _new_derivatives(path, tree, text, derivatives):
        out += ["", "", d.source.rstrip()]
    return "\n".join(out) + "\n"


def _new_derivatives(path, tree, text, derivatives):
    """The derivatives the input does not define already: a module s2sad wrote,
    transpiled again, holds the first derivatives as they are generated again.
    A derivative named as another function of the input is an error (writing
    it would replace that function for every caller)."""
    defined = {node.name: ast.get_source_segment(text, node) for node in tree.body
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    out = []
    for d in derivatives:
        name = d.ir.name
        if name not in defined:
            out.append(d)
        elif defined[name].strip() != d.source.strip():
            raise S2sadError(f"{path}: the derivative {name} would replace the {name} the "
                             "file defines; rename that function")
    return out


def _taken_helper_name(path, name) -> str:
    return (f"{path} defines {name}, the name of the s2sad runtime helper its derivatives "
            f"call (copied into the module written): rename the file's {name}")


def _helper_imports(helpers, bound) -> List[str]:
    """The imports the copied helpers (their sources) need that the module does
    not have: NumPy as ``np``, and ``math`` for the few that use it."""
    if not helpers:
        return []
    out = ["import numpy as np"] if bound.get("np") != "numpy" else []
    if bound.get("math") != "math" and any("math." in h for h in helpers):
        out.append("import math")
    return out


def _docstring_text(text) -> str:
    """``text`` (a file name) as it may stand inside the module's docstring:
    quotes, backslashes and unprintable characters (newlines) escaped, so that
    no file name can end the docstring and become code."""
    return "".join("\\" + ch if ch in '"\\' else ch if ch.isprintable() else
                   ch.encode("unicode_escape").decode("ascii") for ch in str(text))


def _is_runtime_helper(obj):
    """A function of :mod:`s2sad.runtime` (defined in one of its submodules)."""
    return isinstance(obj, types.FunctionType) and \
        (obj.__module__ or "").startswith(runtime.__name__ + ".")


def _with_callees(fn):
    """``fn`` and the s2sad.runtime functions it calls, transitively (``_rebuild``
    and ``_pure`` are always written)."""
    out, todo = [], [fn]
    while todo:
        f = todo.pop()
        if f in out or f.__name__ in ("_rebuild", "_pure"):
            continue
        out.append(f)
        codes = [f.__code__]
        while codes:
            code = codes.pop()
            codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
            for n in code.co_names:
                g = getattr(runtime, n, None)
                if _is_runtime_helper(g):
                    todo.append(g)
    return out


def _constant_names(constants):
    names = set()
    for c in constants:
        node = ast.parse(c).body[0]
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name):
                    names.add(n.id)
    return names


def _bound_names(imports):
    """Names the import lines bind to modules: {'np': 'numpy'}."""
    bound = {}
    for line in imports:
        node = ast.parse(line).body[0]
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    bound[a.asname] = a.name
                else:
                    bound[a.name.split(".")[0]] = a.name.split(".")[0]
        else:
            for a in node.names:
                bound[a.asname or a.name] = f"{node.module}.{a.name}"
    return bound


# ---------------------------------------------------------------------------
# --backend numba: every function of the module compiled by Numba
# ---------------------------------------------------------------------------
_OVERLOADS_MARK = "# --- overloads (copied into transpiled modules) ---"
_JIT_DECORATORS = ("numba.njit", "numba.jit", "numba.core.decorators.njit",
                   "numba.core.decorators.jit")
_NOT_CARRIED = ("nopython", "forceobj", "looplift")  # njit's own, or object mode's


def _numba_helpers_parts():
    """The overload section of backend/numba_helpers.py and the names of the
    plain helpers it overloads (which the module must then define)."""
    from .backend import numba_helpers  # imports Numba: only --backend numba needs it
    source = inspect.getsource(numba_helpers)
    head, mark, section = source.partition(_OVERLOADS_MARK)
    if not mark:
        raise S2sadError(f"{numba_helpers.__file__} lacks the line {_OVERLOADS_MARK!r}")
    names = [a.name for node in ast.parse(head).body
             if isinstance(node, ast.ImportFrom) and node.module == "runtime" and node.level
             for a in node.names]
    return section.strip(), names


def _dotted(expr, bound):
    """``numba.njit`` for the decorator expression ``nb.njit`` (``import numba
    as nb``), ``njit`` (``from numba import njit``), ...; None if not a name."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    return ".".join([bound.get(expr.id, expr.id)] + parts[::-1])


def _jit_decorator_options(node, bound) -> Optional[List[str]]:
    """The keyword options (source text, ``fastmath=True``) of the ``@njit(...)``
    or ``@numba.jit(...)`` decorating the function definition ``node``; None
    when it has none.  Positional signatures are not kept: the derivatives take
    other arguments, and every function compiles for the types of its call."""
    for dec in node.decorator_list:
        call = dec if isinstance(dec, ast.Call) else None
        if _dotted(call.func if call else dec, bound) in _JIT_DECORATORS:
            return [ast.unparse(k) for k in (call.keywords if call else [])
                    if k.arg not in _NOT_CARRIED]
    return None


def _njit_line(options) -> str:
    options = list(options or [])
    if not any(o.startswith("cache=") for o in options):
        options.insert(0, "cache=True")
    return f"@numba.njit({', '.join(options)})"


def _decorated(source, decorator) -> str:
    """``source`` with ``decorator`` over each of its top-level functions."""
    lines = source.split("\n")
    for node in reversed(ast.parse(source).body):
        if isinstance(node, ast.FunctionDef):
            lines.insert(node.lineno - 1, decorator)
    return "\n".join(lines)


def _numba_module(path, tree, imports, bound, helpers, seen_helpers, constants, functions,
                  derivatives) -> str:
    """The module of ``--backend numba``: as the Python one, with the Numba forms
    of the runtime helpers and every function under ``@numba.njit(cache=True)``
    (with the options of the function's own ``@njit``; its derivatives too)."""
    needs = (("numba", "numba"),) + ((("types", "numba.types"),
                                      ("overload", "numba.extending.overload"),
                                      ("register_jitable", "numba.extending.register_jitable"))
                                     if helpers else ())
    for name, module in needs:
        if bound.get(name, module) != module:
            raise S2sadError(f"{path} binds {name!r} to {bound[name]}, which the Numba "
                             f"module needs for {module}; rename it")
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    options = {n.name: _jit_decorator_options(n, bound) for n in defs}
    by_line = {n.lineno: n.name for n in defs}
    here = os.path.abspath(path)
    imports = list(imports)
    if "numba" not in bound:
        imports.append("import numba")
    out: List[str] = [f'"""Derivatives of {_docstring_text(path)}, generated by s2sad '
                      f'{__version__} for Numba.',
                      "",
                      "Regenerate with `s2sad transpile --backend numba`; do not edit by hand.",
                      "Needs NumPy and Numba.  Every function is compiled by Numba when first",
                      "called and cached on disk (cache=True): what Numba cannot compile is an",
                      "error at that call.",
                      '"""']
    if helpers:
        section, overloaded = _numba_helpers_parts()
        for name in overloaded:  # the overloads need every helper they overload
            for helper in _with_callees(getattr(runtime, name)):
                if helper.__name__ not in seen_helpers:
                    seen_helpers.add(helper.__name__)
                    helpers.append(inspect.getsource(helper))
        imports += _helper_imports(helpers, bound)
        imports += [i for i in ("from numba import types",
                                "from numba.extending import overload",
                                "from numba.extending import register_jitable")
                    if i.split()[-1] not in bound]
    out += imports
    if helpers:
        out += ["", "", "# --- runtime helpers (from s2sad.runtime) ---",
                inspect.getsource(runtime._rebuild).rstrip(),
                "", "", inspect.getsource(runtime._pure).rstrip()]
        out += [text for h in helpers for text in ("", "", h.rstrip())]
        out += ["", "", "# --- their Numba forms (from s2sad.backend.numba_helpers) ---",
                section]
    if constants:
        out += ["", ""] + constants
    out += ["", "", "# --- the original functions (compiled when first called) ---"]
    for node, f in zip(defs, functions):
        out += ["", "", _njit_line(options[node.name]), f.rstrip()]
    out += ["", "", "# --- derivatives ---"]
    for d in derivatives:
        of = by_line.get(d.ir.firstlineno) if os.path.abspath(d.ir.filename) == here else None
        out += ["", "", _decorated(numba_source(d.source.rstrip()),
                                   _njit_line(options.get(of)))]
    return "\n".join(out) + "\n"
