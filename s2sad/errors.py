"""Errors s2sad raises for input it cannot handle.

Each carries where the problem is (file, line, column), shows the source line
with a caret under the column, and says what to write instead.
"""
from __future__ import annotations

import linecache


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
        parts = []
        where = self.filename
        if self.lineno is not None:
            where += f":{self.lineno}"
            if self.col is not None:
                where += f":{self.col + 1}"
        parts.append(f"{where}: {self.message}")
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
    column; where it cannot be, the line is shown without one."""
    if loc is None:
        return cls(message, hint=hint)
    line = linecache.getline(loc.filename, loc.lineno).rstrip("\n")
    col = loc.col
    if line.strip() != (loc.text or "").strip():
        line, col = loc.text, None
    return cls(message, loc.filename, loc.lineno, col, line, hint)


class UnsupportedSyntaxError(SourceError):
    """A Python construct s2sad cannot transform."""


class NonDifferentiableError(SourceError):
    """A derivative was asked of something that has none (or no rule yet)."""


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
