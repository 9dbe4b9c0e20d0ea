"""The ``s2sad`` command line (also ``python -m s2sad``).

One subcommand per task, each registered by a ``_add_*`` function in
:data:`COMMANDS`; a subcommand's handler takes the parsed arguments and returns
the exit status.  Functions are named on the command line as ``FILE.py[:NAME]``
and read from the file without running it
(:func:`s2sad.frontend.source.file_source_infos`).

Exit status: 0 on success, 1 when a file cannot be loaded or a function cannot
be compiled (the message, with file:line and a caret, goes to stderr), 2 for a
bad command line.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Iterator, List, Optional, Sequence, Tuple

from .errors import S2sadError, SourceError
from .frontend.source import SourceInfo, file_source_infos

PROG = "s2sad"

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
s2sad: source-to-source automatic differentiation for Python and NumPy.

Functions are named as FILE.py[:NAME]. The file is read, not run: only its
top-level imports are executed, module-level constants are taken from literal
assignments (N = 10), and code under `if __name__ == "__main__":` never runs."""

EPILOG = """\
examples:
  s2sad ssa samples/textbook.py        every top-level function of the file
  s2sad ssa samples/textbook.py:f      only the function f
  s2sad ssa model.py:loss model.py:grad_step > ssa.py
  python -m s2sad ssa samples/textbook.py

exit status:
  0  success
  1  a file could not be loaded or a function not compiled (message on stderr)
  2  bad command line"""


# ---------------------------------------------------------------------------
# FILE.py[:NAME] targets
# ---------------------------------------------------------------------------
class Target:
    """A ``FILE.py[:NAME[,NAME...]]`` argument."""

    def __init__(self, path: str, names: Optional[List[str]]):
        self.path = path
        self.names = names

    def __repr__(self):
        return f"Target({self.path!r}, {self.names!r})"


def parse_target(text: str) -> Target:
    """Split ``FILE.py:NAME``; a colon not followed by a name is part of the path
    (``C:\\\\code\\\\f.py``) unless what precedes it is a ``.py`` file."""
    if not text:
        raise argparse.ArgumentTypeError("empty file name")
    head, sep, tail = text.rpartition(":")
    if sep and head:
        names = tail.split(",")
        if all(n.isidentifier() for n in names):
            return Target(head, names)
        if head.endswith(".py") or os.path.isfile(head):
            raise argparse.ArgumentTypeError(
                f"{text!r}: expected FILE.py:NAME with NAME a function name "
                f"(or NAME,NAME,...), got {tail!r}")
    return Target(text, None)


def load_targets(targets: Sequence[Target]) -> Iterator[Tuple[str, SourceInfo]]:
    """``(name, info)`` for each function the targets name, in order; a target
    without names gives every top-level function of its file."""
    for t in targets:
        infos = file_source_infos(t.path, t.names)
        if not infos:
            raise _NoFunctions(f"{t.path} defines no top-level function")
        yield from infos.items()


class _NoFunctions(S2sadError):
    pass


def report(exc: BaseException) -> None:
    """Print an error for the user: no traceback, file:line and caret when known."""
    if isinstance(exc, SourceError):
        print(str(exc), file=sys.stderr)
    else:
        print(f"{PROG}: error: {exc}", file=sys.stderr)


# ---------------------------------------------------------------------------
# Subcommands
# ---------------------------------------------------------------------------
def _add_target_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("targets", nargs="+", type=parse_target, metavar="FILE.py[:NAME]",
                   help="a Python file, or one function of it (NAME,NAME,... for several); "
                        "without NAME, every top-level function of the file")


def _add_ssa(sub) -> None:
    p = sub.add_parser(
        "ssa", help="print functions in three-address SSA form",
        description="Print each function lowered to SSA and emitted back as\n"
                    "three-address Python (one primitive per line), functions\n"
                    "separated by a blank line.",
        epilog="examples:\n"
               "  s2sad ssa samples/textbook.py\n"
               "  s2sad ssa samples/textbook.py:f",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_target_argument(p)
    p.set_defaults(handler=_run_ssa)


def _run_ssa(args) -> int:
    from .files import ssa_source_of_info

    status = EXIT_OK
    first = True
    for name, info in load_targets(args.targets):
        try:
            src = ssa_source_of_info(info)
        except S2sadError as exc:  # report it and go on with the other functions
            report(exc)
            status = EXIT_ERROR
            continue
        if not first:
            sys.stdout.write("\n")
        sys.stdout.write(src if src.endswith("\n") else src + "\n")
        sys.stdout.flush()
        first = False
    return status


# Later subcommands (transpile, show, trace, graph) register here.
COMMANDS = [_add_ssa]


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns
    the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error (status 2)
        code = exc.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_USAGE)
    if args.command is None:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: a command is required (see {PROG} --help)", file=sys.stderr)
        return EXIT_USAGE
    try:
        return args.handler(args)
    except S2sadError as exc:
        report(exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `s2sad ssa f.py | head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
