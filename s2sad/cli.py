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
import ast
import os
import sys
from typing import Iterator, List, Optional, Sequence, Tuple

from .compiler import compile_derivative, normalize_argnums
from .errors import S2sadError, SourceError, at_location
from .files import ssa_source_of_info
from .frontend.annotations import annotated_kinds
from .frontend.source import FileFunction, SourceInfo, file_source_infos
from .graph import graph
from .trace import trace
from .transpile import file_function, transpile_file
from .version import __version__

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


def _argnums(text):
    try:
        nums = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--argnums takes integers like 0 or 0,1, not {text!r}")
    if not nums:
        raise argparse.ArgumentTypeError("--argnums needs at least one position")
    return nums


def _add_transpile(sub) -> None:
    p = sub.add_parser(
        "transpile", help="write a module with the derivatives of a file's functions",
        description="Write a Python module holding the derivatives of the chosen\n"
                    "functions of FILE (default: all top-level functions).  The\n"
                    "module runs on its own with only NumPy installed (and Numba,\n"
                    "with --backend numba).  FILE is read, never run: names come\n"
                    "from its import statements.  Each function is compiled for the\n"
                    "kinds its parameters' annotations name (x: float, v: np.ndarray).",
        epilog="examples:\n"
               "  s2sad transpile samples/textbook.py -o textbook_derivatives.py\n"
               "  s2sad transpile model.py --function loss --mode reverse --argnums 0,1\n"
               "  s2sad transpile sim.py --backend numba -o sim_derivatives.py",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE.py")
    p.add_argument("--function", action="append", dest="functions", metavar="NAME",
                   help="a function to differentiate (repeat for several)")
    p.add_argument("--mode", choices=("forward", "reverse", "both"), default="both")
    p.add_argument("--argnums", type=_argnums, default=None,
                   help="positions of the arguments to differentiate (default: all)")
    p.add_argument("-o", "--output", metavar="OUT.py", help="write here instead of stdout")
    p.add_argument("--scalar", action="store_true",
                   help="the arguments without a type annotation are floats: plainer code "
                        "without broadcasting helpers")
    p.add_argument("--backend", choices=("python", "numba"), default="python",
                   help="python (default): plain Python and NumPy; numba: every function "
                        "@numba.njit(cache=True)-compiled, with the options of its own "
                        "@njit (the module then needs Numba)")
    p.set_defaults(handler=_run_transpile)


def _run_transpile(args) -> int:
    if args.output and os.path.exists(args.output) and os.path.exists(args.file) and \
            os.path.samefile(args.output, args.file):
        raise S2sadError(f"-o {args.output} is the input file: write the module elsewhere")
    text = transpile_file(args.file, args.functions, args.mode, args.argnums, args.scalar,
                          backend=args.backend)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise S2sadError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _add_show(sub) -> None:
    p = sub.add_parser(
        "show", help="print the derivative source of functions",
        description="Print the generated derivative code of each function, compiled\n"
                    "for the kinds its parameters' annotations name (x: float,\n"
                    "v: np.ndarray); parameters without one are generic.",
        epilog="examples:\n"
               "  s2sad show samples/textbook.py:f --mode reverse\n"
               "  s2sad show samples/textbook.py:f --mode forward --argnums 0",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_target_argument(p)
    p.add_argument("--mode", choices=("forward", "reverse"), default="reverse")
    p.add_argument("--argnums", type=_argnums, default=None)
    p.add_argument("--scalar", action="store_true",
                   help="the arguments without a type annotation are floats: plainer code "
                        "without broadcasting helpers")
    p.set_defaults(handler=_run_show)


def _run_show(args) -> int:

    first = True
    for name, info in load_targets(args.targets):
        placeholder, n = file_function(name, info)
        nums = tuple(range(n)) if args.argnums is None else normalize_argnums(args.argnums, n)[1]
        kinds = annotated_kinds(placeholder, n, "float" if args.scalar else None)
        src = compile_derivative(placeholder, args.mode, nums, kinds).source
        if not first:
            sys.stdout.write("\n")
        sys.stdout.write(src)
        first = False
    return EXIT_OK


def _values(text):
    """``2,5`` or ``2.0,[1, 2]``: Python literals separated by commas."""
    try:
        out = ast.literal_eval("(" + text + ",)")
    except (ValueError, SyntaxError):
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas (2,5 or "
                                         f"2.0,3), not {text!r}")
    if not isinstance(out, tuple) or not out:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, not {text!r}")
    return out


def _one_function(target):
    """The one function a FILE.py[:NAME] target names (read, not run)."""
    found = list(load_targets([target]))
    if len(found) != 1:
        names = ", ".join(n for n, _ in found)
        raise S2sadError(f"{target.path} defines several functions ({names}); name one as "
                         f"{target.path}:NAME")
    name, info = found[0]
    placeholder = info.globals.get(name)
    return placeholder if isinstance(placeholder, FileFunction) else FileFunction(name, info)


def _add_trace(sub) -> None:
    p = sub.add_parser(
        "trace", help="print the evaluation trace of a function at a point",
        description="Print the evaluation trace of FILE.py:NAME at the point --at, with its\n"
                    "tangent trace (forward mode) or its adjoint trace (reverse mode), as\n"
                    "in the tables of Baydin et al. (2018).  The file is read, not run.",
        epilog="examples:\n"
               "  s2sad trace samples/textbook.py:f --at 2,5 --mode forward\n"
               "  s2sad trace samples/textbook.py:f --at 2,5\n"
               "  s2sad trace samples/textbook.py:F --at 2,3 --tangent 0,1 --format markdown",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", type=parse_target, metavar="FILE.py:NAME")
    p.add_argument("--at", type=_values, required=True, metavar="X1,X2,...",
                   help="the arguments (Python literals); integers are differentiated as "
                        "floats when no argument is a float")
    p.add_argument("--mode", choices=("forward", "reverse"), default=None,
                   help="default: reverse, or forward when --tangent is given")
    p.add_argument("--format", choices=("text", "markdown", "latex"), default="text")
    p.add_argument("--argnums", type=_argnums, default=None,
                   help="positions of the arguments to differentiate")
    p.add_argument("--tangent", type=_values, default=None, metavar="T1,T2,...",
                   help="forward mode: the inputs' tangents (default: 1,0,...)")
    p.add_argument("--cotangent", type=_values, default=None, metavar="C1,C2,...",
                   help="reverse mode: the outputs' cotangents (default: 1,0,...)")
    p.add_argument("--max-rows", type=int, default=None, metavar="N",
                   help="show at most N rows of each part of the table")
    p.set_defaults(handler=_run_trace)


def _run_trace(args) -> int:

    f = _one_function(args.target)
    if args.mode is None:  # reverse, as everywhere; a tangent asks for forward mode
        args.mode = "forward" if args.tangent is not None else "reverse"
    if args.mode == "reverse" and args.tangent is not None:
        raise S2sadError("--tangent is for forward mode; reverse mode takes --cotangent")
    if args.mode == "forward" and args.cotangent is not None:
        raise S2sadError("--cotangent is for reverse mode; forward mode takes --tangent")
    cot = args.cotangent
    if cot is not None and len(cot) == 1:
        cot = cot[0]
    t = trace(f, *args.at, mode=args.mode, argnums=args.argnums, tangents=args.tangent,
              cotangents=cot, max_rows=args.max_rows)
    text = {"text": t.to_text, "markdown": t.to_markdown, "latex": t.to_latex}[args.format]()
    sys.stdout.write(text)
    return EXIT_OK


def _add_graph(sub) -> None:
    p = sub.add_parser(
        "graph", help="write the computational graph of a function (Graphviz DOT)",
        description="Write the computational graph of FILE.py:NAME as Graphviz DOT text:\n"
                    "one node per input and per SSA value.  With --at, the graph of the\n"
                    "evaluation trace at that point (loops unrolled), nodes labelled with\n"
                    "their values (and with --mode, their derivatives).  -o out.svg (or\n"
                    ".png, .pdf) needs Graphviz's dot program; -o out.dot does not.",
        epilog="examples:\n"
               "  s2sad graph samples/textbook.py:f > f.dot\n"
               "  s2sad graph samples/textbook.py:f --at 2,5 --mode reverse -o f.svg",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", type=parse_target, metavar="FILE.py:NAME")
    p.add_argument("-o", "--output", metavar="OUT.dot|OUT.svg",
                   help="write here (DOT for .dot/.gv, else drawn by Graphviz) instead of "
                        "printing DOT")
    p.add_argument("--at", type=_values, default=None, metavar="X1,X2,...")
    p.add_argument("--mode", choices=("forward", "reverse"), default=None)
    p.add_argument("--argnums", type=_argnums, default=None)
    p.set_defaults(handler=_run_graph)


def _run_graph(args) -> int:

    f = _one_function(args.target)
    if args.mode is not None and args.at is None:
        raise S2sadError("--mode needs a point: add --at X1,X2,...")
    g = graph(f, *(args.at or ()), mode=args.mode, argnums=args.argnums)
    if args.output:
        g.render(args.output)
    else:
        sys.stdout.write(g.dot)
    return EXIT_OK


# Later subcommands (trace, graph) register here.
COMMANDS = [_add_ssa, _add_transpile, _add_show, _add_trace, _add_graph]


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:

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
    except Exception as exc:
        if getattr(exc, "s2sad_loc", None) is None:
            raise  # s2sad's own failure: its traceback is the report
        # the user's function raised when run at the point given (trace, graph --at)
        report(at_location(SourceError, f"{type(exc).__name__}: {exc}", exc.s2sad_loc,
                           "the function raises this at the point given by --at; try "
                           "another point, or fix the function"))
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
