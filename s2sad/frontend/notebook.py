"""Functions defined in notebook cells under ``%%time`` and ``%%timeit``.

IPython compiles the cells it runs itself under file names it registers in
``linecache``, so their functions' source is found as a file's.  A cell magic
compiles its body on its own instead: ``%%time`` under ``<timed exec>``
(``<timed eval>`` for a single expression), ``%%timeit`` under
``<magic-timeit>``, inside a function ``inner`` that runs the body in a loop.
Those names are shared by every such cell and nothing registers their text.

The text is recovered from IPython's input history: each cell is stored
there, as typed and as run (``get_ipython().run_cell_magic('time', '',
body)``), before it runs.  The newest cell of that magic whose body compiles
to the very code of the function (its bytecode, not just its name and line) is
the one.  The recovered text is registered under a name of its own, laid out
as the cell is (the magic's line first), so that line numbers are the cell's
and errors say ``In [5], line 3``.  Nothing is imported: without a running
IPython there is no such cell.
"""
from __future__ import annotations

import __future__
import ast
import functools
import linecache
import operator
from typing import List, Optional, Tuple

from ..errors import NOTEBOOK_CELLS, SourceUnavailableError, running_shell

#: the file names cell magics compile their bodies under -> the magic
MAGIC_FILENAMES = {"<timed exec>": "time", "<timed eval>": "time",
                   "<magic-timeit>": "timeit"}

#: how %%timeit wraps a cell's body (IPython's timeit template, its setup left
#: out): a function defined in the body is compiled as a nested function
_TIMEIT_TEMPLATE = ("def inner(_it, _timer):\n"
                    "    _t0 = _timer()\n"
                    "    for _i in _it:\n"
                    "        pass\n"
                    "    _t1 = _timer()\n"
                    "    return _t1 - _t0\n")

#: id(code object) -> (the code, what was recovered for it), a few recent ones: by
#: identity, since the same text run again in a later cell is an equal code object
_RECOVERED: dict = {}


def magic_cell_source(func) -> Tuple[str, str, int, List[str]]:
    """``(text, filename, line offset, lines)`` for a function ``func`` defined
    in a ``%%time`` or ``%%timeit`` cell: the body's text as the magic
    compiled it, the name it is registered under, the number of the cell's
    lines before the body, and the lines of the whole cell (the magic's line
    first).  SourceUnavailableError, saying what to do, when it cannot be
    recovered exactly."""
    code = func.__code__
    kept = _RECOVERED.get(id(code))
    if kept is not None and kept[0] is code:
        hit = kept[1]
        _register(hit[1], hit[3], NOTEBOOK_CELLS[hit[1]])
        return hit
    magic = MAGIC_FILENAMES[code.co_filename]
    shell = running_shell()
    history = getattr(shell, "history_manager", None)
    parsed = list(getattr(history, "input_hist_parsed", None) or [])
    raw = list(getattr(history, "input_hist_raw", None) or [])
    for number in range(len(parsed) - 1, 0, -1):
        body = _magic_body(parsed[number], magic)
        if body is None:
            continue
        text = _transformed(shell, body)
        if text is None or not _compiles_to(shell, text, magic, code):
            continue
        offset, header = _header(raw[number] if number < len(raw) else "", magic)
        dropped = _leading_blank_lines(body) - _leading_blank_lines(text)
        if dropped > 0:  # IPython drops a body's leading blank lines before compiling it
            offset += dropped
            header += ["\n"] * dropped
        filename = f"<ipython-input-{number}-%%{magic}>"
        lines = header + text.splitlines(True)
        _register(filename, lines, number)
        hit = (text, filename, offset, lines)
        _RECOVERED[id(code)] = (code, hit)
        while len(_RECOVERED) > 64:
            del _RECOVERED[next(iter(_RECOVERED))]
        return hit
    why = "no cell of IPython's input history compiles to this function" \
        if shell is not None else "IPython, whose input history holds the cell, is not running"
    raise SourceUnavailableError(
        f"cannot find the source of {func.__qualname__!r}: it was defined in a "
        f"%%{magic} cell (compiled as {code.co_filename}), and {why}.  Define the "
        f"function in a cell of its own, without %%{magic}, and time only the calls: "
        f"%%{magic} in another cell")


def _register(filename: str, lines: List[str], number: int) -> None:
    """Make the recovered cell visible to linecache (errors read their line
    back from it) and to errors as the cell ``In [number]``."""
    linecache.cache[filename] = (len("".join(lines)), None, lines, filename)
    NOTEBOOK_CELLS[filename] = number


def _leading_blank_lines(text: str) -> int:
    lines = text.splitlines()
    return next((i for i, line in enumerate(lines) if line.strip()), len(lines))


def _magic_body(cell: str, magic: str) -> Optional[str]:
    """The body given to the cell magic ``magic`` by the cell ``cell`` as IPython
    ran it (``get_ipython().run_cell_magic('time', '', 'def f...')``), or None."""
    try:
        tree = ast.parse(cell)
    except (SyntaxError, ValueError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and call.func.attr == "run_cell_magic" and len(call.args) == 3):
        return None
    try:
        name, _line, body = (ast.literal_eval(a) for a in call.args)
    except ValueError:
        return None
    return body if name == magic and isinstance(body, str) else None


def _transformed(shell, body: str) -> Optional[str]:
    """The body as the magic compiles it: IPython's transforms of its own
    syntax (``%`` lines, ``!`` commands) applied, as the magic applies them."""
    try:
        return shell.transform_cell(body)
    except Exception:  # a transform IPython itself would fail on: nothing to recover
        return None


def _compiles_to(shell, text: str, magic: str, code) -> bool:
    """Whether ``text``, compiled as the magic compiles it, holds ``code``."""
    flags = getattr(getattr(shell, "compile", None), "flags", 0) & _FUTURE_FLAGS
    try:
        tree = ast.parse(text)
        if magic == "timeit":
            wrapper = ast.parse(_TIMEIT_TEMPLATE)
            wrapper.body[0].body[1].body = tree.body or [ast.Pass()]
            tree = ast.fix_missing_locations(wrapper)
        compiled = compile(tree, code.co_filename, "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError, TypeError):
        return False
    todo = [compiled]
    while todo:
        candidate = todo.pop()
        if candidate == code:  # bytecode, constants, names, lines: all of it
            return True
        todo.extend(c for c in candidate.co_consts if hasattr(c, "co_code"))
    return False


#: the compiler flags of future statements, the only ones a cell's code depends on
_FUTURE_FLAGS = functools.reduce(operator.or_, (getattr(__future__, name).compiler_flag
                                                for name in __future__.all_feature_names), 0)


def _header(raw_cell: str, magic: str) -> Tuple[int, List[str]]:
    """The lines of the cell as typed up to and including the magic's line
    (blank lines above it, which IPython drops): the body starts after them."""
    lines = raw_cell.splitlines(True)
    for i, line in enumerate(lines):
        if line.strip():
            if line.split()[0] == "%%" + magic:
                return i + 1, [ln if ln.endswith("\n") else ln + "\n" for ln in lines[:i + 1]]
            break
    return 1, [f"%%{magic}\n"]
