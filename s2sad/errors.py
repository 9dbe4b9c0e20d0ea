"""Errors s2sad raises for input it cannot handle.

Each carries where the problem is (file, line, column), shows the source line
with a caret under the column, and says what to write instead.
"""
from __future__ import annotations

import linecache
import sys
from typing import Dict, Optional

#: file names -> the notebook cell they hold, by its execution count: the
#: ``%%time`` / ``%%timeit`` cells s2sad recovers from IPython's history
#: (frontend/notebook.py).  The cells IPython compiles itself it maps alone.
NOTEBOOK_CELLS: Dict[str, int] = {}


def running_shell():
    """The IPython shell this process runs in, or None."""
    ipython = sys.modules.get("IPython")  # never imported here: only a running shell counts
    get_shell = getattr(ipython, "get_ipython", None)
    return get_shell() if get_shell is not None else None


def notebook_cell(filename) -> Optional[int]:
    """The execution count of the notebook cell compiled under ``filename``
    (IPython's ``In [3]``), or None: not a cell, or IPython not running."""
    number = NOTEBOOK_CELLS.get(filename)
    if number is not None:
        return number
    shell = running_shell()
    cells = getattr(getattr(shell, "compile", None), "_filename_map", None)  # IPython >= 8
    number = cells.get(filename) if isinstance(cells, dict) else None
    return number if isinstance(number, int) else None


def place(filename, lineno=None, col=None) -> str:
    """A place in the source as the user knows it: ``file:line:col``, and in a
    notebook the cell as IPython names it, ``In [3], line 2, column 9`` (the
    kernel compiles each cell under a temporary file name nobody sees)."""
    cell = notebook_cell(filename)
    if cell is None:
        where = str(filename)
        if lineno is not None:
            where += f":{lineno}"
            if col is not None:
                where += f":{col + 1}"
        return where
    where = f"In [{cell}]"
    if lineno is not None:
        where += f", line {lineno}"
        if col is not None:
            where += f", column {col + 1}"
    return where


class S2sadError(Exception):
    """Base class of every error s2sad raises on purpose."""


class SourceError(S2sadError):
    """An error tied to a place in the user's source."""

    def __init__(self, message, filename="<unknown>", lineno=None, col=None,
                 line_text=None, hint=None):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.col = col
        self.line_text = line_text
        self.hint = hint
        super().__init__(self._format())

    def _format(self):
        parts = [f"{place(self.filename, self.lineno, self.col)}: {self.message}"]
        if self.line_text is not None:
            text = self.line_text.rstrip("\n")
            stripped = text.lstrip()
            indent = len(text) - len(stripped)
            parts.append("    " + stripped)
            if self.col is not None:
                parts.append("    " + " " * max(self.col - indent, 0) + "^")
        if self.hint:
            parts.append(self.hint)
        return "\n".join(parts)


def at_location(cls, message, loc, hint=None):
    """``cls(message)`` at an IR location (file, line, column and the stripped
    line): the whole line is read back so that the caret stands under the
    column; where it cannot be, the line is shown without one.  A location
    that knows the cause of any error at it (an unbound name: a
    ``frontend.locations.CauseLoc``) says that cause instead."""
    if loc is None:
        return cls(message, hint=hint)
    cause = getattr(loc, "cause", None)
    if cause is not None:  # found when the code was read: the real cause, said first
        message, hint = cause, loc.cause_hint
    elif getattr(loc, "about", None):  # what the callee there is
        message = f"{message}: {loc.about}"
    lineno, col, text = getattr(loc, "call", None) or (loc.lineno, loc.col, loc.text)
    line = linecache.getline(loc.filename, lineno).rstrip("\n")
    if line.strip() != (text or "").strip():
        line, col = text, None
    return cls(message, loc.filename, lineno, col, line, hint)


class UnsupportedSyntaxError(SourceError):
    """A Python construct s2sad cannot transform."""


class NonDifferentiableError(SourceError):
    """A derivative was asked of something that has none (or no rule yet)."""


class LibraryFunctionError(NonDifferentiableError):
    """A library function (of the standard library or an installed package) has
    no derivative rule and s2sad cannot differentiate its source.  ``function``
    is the function; :meth:`at_call` places the error at the user's call of it."""

    function = None
    placed = False  # at the user's call already

    def at_call(self, loc, callee=None):
        """The same error at the call ``loc`` of ``callee`` (the user's line),
        not in the library; itself when it is placed already or ``callee`` is
        not the library function (a user function that calls it)."""
        if loc is None or self.placed or callee is not None and callee is not self.function:
            return self
        err = at_location(LibraryFunctionError, self.message, loc, self.hint)
        err.function, err.placed = self.function, True
        return err


class ArgumentError(S2sadError, TypeError):
    """One of s2sad's functions was called with arguments it does not take (a
    TypeError, as Python's own): the message shows the call it expects."""


class SourceUnavailableError(S2sadError):
    """The source of a function cannot be found."""


class SourceFileError(SourceUnavailableError):
    """A source file cannot be read (missing, a directory, not text)."""


class SourceSyntaxError(SourceError):
    """A source file is not valid Python."""


class FunctionNotFoundError(S2sadError, LookupError):
    """A function asked for by name is not a top-level function of the file."""


class ModuleLoadError(SourceError):
    """A top-level import of a file loaded without executing it failed."""


class DecoratorError(SourceUnavailableError):
    """The function is wrapped by a decorator s2sad does not see through (one
    that may change what it computes): differentiate ``f.__wrapped__`` or give
    the decorated function a rule."""


class BackendError(SourceError):
    """The chosen backend cannot compile a derivative (``backend="numba"`` and a
    construct Numba does not support)."""
