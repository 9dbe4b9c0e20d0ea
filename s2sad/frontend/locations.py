"""Where a call is, and what is wrong there before anything else.

A statement's ops share the statement's location; a call gets one of its own,
at its own column, so that an error about the call (no derivative rule, a
callee that cannot be differentiated) puts its caret under the call and not
under the start of the statement.

A call whose callee is a name bound nowhere (``undefined_thing(x)``, or
``np.cos(x)`` in a text given to ``from_source`` without ``globals``) fails in
Python with a NameError when it runs; whatever s2sad would say about the call
(that it has no derivative rule) is a consequence of that.  Its location is a
:class:`CauseLoc`, which carries the real cause: every error raised at it
(``errors.at_location``) says that first.
"""
from __future__ import annotations

import builtins
import inspect
import os
import sys
import sysconfig
import types
from dataclasses import dataclass
from typing import Optional

import gast
import numpy as np

from ..errors import LibraryFunctionError
from ..ir.nodes import MISSING, Global, Loc
from ..rules.registry import lookup

#: from_source's pseudo-filenames -> whether it was given globals
SOURCE_TEXTS = {}


@dataclass
class CauseLoc(Loc):
    """A location whose errors have a cause found when the code was read:
    ``cause`` is said first, ``cause_hint`` says what to do."""

    cause: Optional[str] = None
    cause_hint: Optional[str] = None
    about: Optional[str] = None  # said after the message: what the callee is
    # a call on a later line of its statement: where errors point (the line,
    # the column, the stripped text), while the op keeps the statement's line
    call: Optional[tuple] = None


def call_loc(lowerer, node, callee=None, operands=0, attrs=None, through=None):
    """The location of the call ``node``: at its own column when it starts on
    the line of the statement being lowered, with the cause of its errors when
    its callee's name is bound nowhere."""
    loc = lowerer.loc
    if loc is None:
        return None
    info = lowerer.info
    col, call = loc.col, None
    lineno = getattr(node, "lineno", None)
    if lineno is not None:
        text = info.line_text(lineno)
        if lineno + info.line_offset == loc.lineno:
            col = character_column(text, node.col_offset)
        elif text is not None:
            call = (lineno + info.line_offset, character_column(text, node.col_offset),
                    text.strip())
    cause = unbound_callee(lowerer, node.func)
    if cause is not None:
        message, hint = _undefined(*cause, loc.filename)
    else:
        message, hint = _mismatch(callee, operands, attrs or {}, through) or (None, None)
    about = _no_source(callee) if message is None else None
    if message is None and about is None and call is None:
        return loc if col == loc.col else Loc(loc.filename, loc.lineno, col, loc.text)
    return CauseLoc(loc.filename, loc.lineno, col, loc.text, message, hint, about, call)


def _mismatch(callee, operands, attrs, through):
    """``(message, hint)`` when the call of a Python function does not match its
    parameters (Python raises TypeError there: ``base(x, a=1.0)``)."""
    obj = getattr(callee, "obj", None)
    if not isinstance(callee, Global) or not isinstance(obj, types.FunctionType) or \
            attrs.get("star") or attrs.get("dstar"):
        return None
    kw = attrs.get("kw", ())
    try:
        inspect.signature(obj).bind(*range(operands - len(kw)), **dict.fromkeys(kw))
    except TypeError as exc:
        name = getattr(obj, "__name__", callee.name)
        called = f" (called as {through})" if through else ""
        said = str(exc)
        said = f"is {said}" if said.startswith("missing") else \
            said if said.startswith("got") else f"got {said}"
        return (f"{name}() {said}{called}: the "
                f"call does not match {name}'s parameters (Python raises TypeError here)",
                "pass each of its parameters once" + (
                    ": a keyword that functools.partial fixes stays a keyword, so pass "
                    "the parameters after it by keyword, or fix it by position"
                    if through else ""))
    except ValueError:
        return None
    return None


def _no_source(callee):
    """What the callee of a call is when it has neither Python source nor a
    rule (``zlib.crc32``): a call s2sad can neither differentiate through nor
    by a rule."""
    obj = getattr(callee, "obj", None)
    if not isinstance(callee, Global) or obj is MISSING or not callable(obj) or \
            isinstance(obj, (type, types.FunctionType, types.MethodType)) or \
            hasattr(obj, "__s2sad_specialize__") or hasattr(obj, "__wrapped__"):
        return None
    try:
        if lookup(obj) is not None:
            return None
    except TypeError:
        return None
    if not isinstance(obj, (types.BuiltinFunctionType, np.ufunc)):
        return None
    return ("a built-in function, with no Python source to differentiate through "
            "(a call with no source and no rule)")


def character_column(text, col):
    """``col`` (ast columns count UTF-8 bytes) as a count of characters of ``text``."""
    if col is None or text is None or text.isascii():
        return col
    return len(text.encode("utf-8")[:col].decode("utf-8", errors="ignore"))


def unbound_callee(lowerer, func):
    """``(name, dotted callee)`` when the callee ``func`` (a name, or attributes
    of one: ``np.linalg.norm``) starts with a name bound nowhere: no local,
    closure variable, global or builtin; else None."""
    root, parts = func, []
    while isinstance(root, gast.Attribute):
        parts.append(root.attr)
        root = root.value
    if not isinstance(root, gast.Name):
        return None
    name = root.id
    info = lowerer.info
    if name in lowerer.env or name in lowerer.locals or name in info.closure or \
            name in info.cells or name in info.globals or hasattr(builtins, name):
        return None
    if info.free is not None and name in info.free:
        return None
    return name, ".".join([name] + parts[::-1])


def _undefined(name, dotted, filename):
    called = f"{dotted}()" if dotted != name else f"{name}()"
    if filename in SOURCE_TEXTS:  # from_source: the text runs in a namespace of its own
        if SOURCE_TEXTS[filename]:
            return (f"name {name!r} is not defined: the globals given to "
                    f"s2sad.from_source have no {name!r} (a missing global, needed to "
                    f"call {called})",
                    f"add it to the globals passed: s2sad.from_source(text, "
                    f"globals={{..., {name!r}: {name}}})")
        return (f"name {name!r} is not defined: s2sad.from_source was given no "
                f"globals, so the text sees no {name!r} (a missing global, needed to "
                f"call {called})",
                f"pass the names the text uses: s2sad.from_source(text, "
                f"globals={{{name!r}: {name}}}), or globals=globals()")
    return (f"name {name!r} is not defined (an undefined name: {called} calls a name "
            "bound nowhere, so Python would raise NameError here)",
            f"define or import {name} in the function's module before differentiating it")


def library_module(func) -> Optional[str]:
    """The module name of ``func`` when it is a library's (its code lives in the
    standard library or in an installed package), else None."""
    code = getattr(func, "__code__", None)
    if code is None:
        return None
    filename = os.path.abspath(code.co_filename)
    if not any(filename.startswith(root + os.sep) for root in _library_roots()):
        return None
    return getattr(func, "__module__", None) or os.path.basename(filename)


_ROOTS = []


def _library_roots():
    if not _ROOTS:
        paths = sysconfig.get_paths()
        roots = {os.path.abspath(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")
                 if k in paths}
        roots |= {os.path.abspath(p) for p in sys.path if p.endswith("site-packages")}
        _ROOTS.extend(sorted(roots))
    return _ROOTS


#: what to call instead, for library functions people often differentiate
_INSTEAD = {"statistics.mean": "np.mean(xs)", "statistics.fmean": "np.mean(xs)",
            "statistics.median": "np.median(xs)", "statistics.pstdev": "np.std(xs)",
            "statistics.stdev": "np.std(xs, ddof=1)", "statistics.pvariance": "np.var(xs)",
            "statistics.variance": "np.var(xs, ddof=1)",
            "statistics.geometric_mean": "np.exp(np.mean(np.log(xs)))"}


def _numpy_twin(module, name):
    """``np.linalg.inv(...)`` for ``scipy.linalg.inv``: the NumPy function of
    the same name that has a rule, for scipy's linalg and special functions."""
    for prefix, twin in (("scipy.linalg", "linalg"), ("scipy.special", None)):
        if module.startswith(prefix):
            space = getattr(np, twin) if twin else np
            f = getattr(space, name, None)
            if f is not None and lookup(f) is not None:
                return f"np.{twin + '.' if twin else ''}{name}(...)"
    return None


def library_function_error(func, module, exc):
    """The error for the library function ``func`` whose source cannot be
    differentiated (``exc`` says why): what it is, then what to do."""
    name = f"{module}.{func.__qualname__}"
    where = f" ({os.path.basename(exc.filename)}:{exc.lineno})" if exc.lineno else \
        f" ({exc.filename})" if exc.filename not in (None, "<unknown>") else ""
    instead = _INSTEAD.get(name) or _numpy_twin(module, func.__name__)
    instead = f"call {instead} instead" if instead else \
        "call a NumPy function that computes the same instead"
    err = LibraryFunctionError(
        f"{name} is a library function with no derivative rule, and s2sad cannot "
        f"differentiate its source: {exc.message}{where}", exc.filename, exc.lineno,
        exc.col, exc.line_text, hint=(
            f"{instead}, or give it a rule: @s2sad.defvjp({name}) or "
            f"@s2sad.defpartials({name})"))
    err.function = func
    return err
