"""The Markdown tables of the NumPy and ``np.linalg`` functions that have rules,
and of the SciPy ones (between ``<!-- scipy-table -->`` and ``<!-- /scipy-table -->``,
where SciPy is installed).

``python -m s2sad.rules.table`` prints it; ``python -m s2sad.rules.table
--write-readme`` rewrites the README section between ``<!-- numpy-table -->``
and ``<!-- /numpy-table -->`` with it (``tests/rules/test_readme_table.py``
fails when the two differ).  Everything comes from the registry: a function
is listed once it has a forward and a reverse rule.
"""
from __future__ import annotations

import argparse
import pathlib
import sys
from typing import List

import numpy as np

from . import all_rules

BEGIN = "<!-- numpy-table -->"
END = "<!-- /numpy-table -->"
SCIPY_BEGIN = "<!-- scipy-table -->"
SCIPY_END = "<!-- /scipy-table -->"
LIBRARIES = {"numpy": ("np", np), "linalg": ("np.linalg", np.linalg)}
README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def _names(rule) -> List[str]:
    """Every public name the library gives the rule's primitive, its own first."""
    prefix, module = LIBRARIES[rule.library]
    names = sorted(n for n in dir(module) if not n.startswith("_")
                   and getattr(module, n, None) is rule.primitive)
    if rule.name in names:
        names.remove(rule.name)
        names.insert(0, rule.name)
    return [f"{prefix}.{n}" for n in names] or [f"{prefix}.{rule.name}"]


def _forward(rule) -> str:
    if rule.partials is not None:
        return "partials"
    if rule.jvp is not None:
        return "jvp"
    return "linear"


def _reverse(rule) -> str:
    return "partials" if rule.partials is not None else "vjp"


def rules(differentiable=True):
    out = [r for r in all_rules() if r.library in LIBRARIES and r.nondiff != differentiable
           and (not differentiable or (r.has_forward and r.has_reverse))]
    return sorted(out, key=lambda r: (list(LIBRARIES).index(r.library), _names(r)[0]))


def markdown() -> str:
    """The table, with the count, as Markdown."""
    diff = rules()
    lines = [
        f"{len(diff)} NumPy and `np.linalg` functions have both a forward and a reverse "
        f"rule (generated from the rule registry with NumPy "
        f"{'.'.join(np.__version__.split('.')[:2])} by "
        "`python -m s2sad.rules.table --write-readme`). *Forward*: `partials` (one "
        "declaration of the partial derivatives gives both modes), `jvp` (a tangent rule) or "
        "`linear` (the function applied to the tangent); *reverse*: `partials` or `vjp`.",
        "",
        "| Function | Also named | Forward | Reverse |",
        "| --- | --- | --- | --- |",
    ]
    for r in diff:
        names = _names(r)
        also = ", ".join(f"`{n}`" for n in names[1:])
        lines.append(f"| `{names[0]}` | {also} | {_forward(r)} | {_reverse(r)} |")
    nondiff = rules(differentiable=False)
    lines += [
        "",
        f"{len(nondiff)} more are declared non-differentiable (their results carry no "
        "derivative): " + ", ".join(f"`{_names(r)[0]}`" for r in nondiff) + ".",
    ]
    return "\n".join(lines) + "\n"


def scipy_rules():
    """The SciPy functions with both rules (none when SciPy is not installed)."""
    out = [r for r in all_rules() if r.library == "scipy" and not r.nondiff
           and r.has_forward and r.has_reverse]
    return sorted(out, key=lambda r: r.name)


def _scipy_names(rule) -> List[str]:
    """``scipy.special.psi`` is ``scipy.special.digamma`` too."""
    prefix, _, own = rule.name.rpartition(".")
    if prefix != "scipy.special":
        return [rule.name]
    module = sys.modules["scipy.special"]  # imported: it registered the rules
    names = sorted(n for n in dir(module) if not n.startswith("_")
                   and getattr(module, n, None) is rule.primitive)
    if own in names:
        names.remove(own)
    return [rule.name] + [f"{prefix}.{n}" for n in names]


def scipy_markdown() -> str:
    """The SciPy table, with the count, as Markdown ('' without SciPy)."""
    diff = scipy_rules()
    if not diff:
        return ""
    version = ".".join(sys.modules["scipy"].__version__.split(".")[:2])
    lines = [
        f"{len(diff)} functions of `scipy.special` and `scipy.stats.norm` have both a forward "
        f"and a reverse rule (generated with SciPy {version}; columns as for NumPy).",
        "",
        "| Function | Also named | Forward | Reverse |",
        "| --- | --- | --- | --- |",
    ]
    for r in diff:
        names = _scipy_names(r)
        also = ", ".join(f"`{n}`" for n in names[1:])
        lines.append(f"| `{names[0]}` | {also} | {_forward(r)} | {_reverse(r)} |")
    return "\n".join(lines) + "\n"


def readme_section(text: str, begin=BEGIN, end=END) -> str:
    """What the README holds between the markers (None when they are missing)."""
    if begin not in text or end not in text:
        return None
    return text.split(begin, 1)[1].split(end, 1)[0].strip("\n") + "\n"


def _replace(text, begin, end, body):
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    return f"{head}{begin}\n{body}{end}{tail}"


def write_readme(path=README) -> bool:
    """Rewrite the README section (and the SciPy one, where SciPy is installed);
    returns True if it changed."""
    path = pathlib.Path(path)
    text = path.read_text(encoding="utf-8")
    if readme_section(text) is None:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} section")
    new = _replace(text, BEGIN, END, markdown())
    scipy_md = scipy_markdown()
    if scipy_md and readme_section(new, SCIPY_BEGIN, SCIPY_END) is not None:
        new = _replace(new, SCIPY_BEGIN, SCIPY_END, scipy_md)
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m s2sad.rules.table",
                                     description="The NumPy functions s2sad differentiates.")
    parser.add_argument("--write-readme", action="store_true",
                        help=f"rewrite the README section between {BEGIN} and {END}")
    parser.add_argument("--readme", default=str(README), help="the README to rewrite")
    args = parser.parse_args(argv)
    if args.write_readme:
        changed = write_readme(args.readme)
        print(f"{args.readme}: {'updated' if changed else 'already up to date'}")
    else:
        sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
