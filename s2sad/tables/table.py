"""The trace object a user gets: its rows as data, and the tables they print
as, in text (aligned, as in the seeds' tables), Markdown and LaTeX."""
from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .expr import E, latex_escape, render
from .formatting import format_value

__all__ = ["Row", "Trace"]


@dataclass
class Row:
    """One line of a trace.

    ``section`` is "input", "primal" or "output" for the evaluation trace (in
    forward mode these rows also hold their tangent), "seed", "adjoint" or
    "gradient" for the reverse adjoint trace.  ``definition`` is the right-hand
    side (``ln v₋₁``), ``derivative`` the tangent or adjoint rule (``v̇₋₁ / v₋₁``,
    ``v̄₋₁ + v̄₁ / v₋₁``), ``chain`` the chain-rule form (``v̄₋₁ + v̄₁ ∂v₁/∂v₋₁``);
    ``context`` says in which loop iteration / branch / call the row ran.
    """

    section: str
    index: Optional[int]
    name: str
    definition: Optional[str] = None
    value: Any = None
    derivative_name: Optional[str] = None
    derivative: Optional[str] = None
    derivative_value: Any = None
    chain: Optional[str] = None
    context: str = ""
    accumulate: bool = False
    exprs: Dict[str, E] = field(default_factory=dict, repr=False, compare=False)

    @property
    def value_text(self) -> str:
        return "" if self.definition is None else format_value(self.value)

    @property
    def derivative_value_text(self) -> str:
        return "" if self.derivative is None else format_value(self.derivative_value)

    def as_dict(self) -> Dict[str, Any]:
        return {k: getattr(self, k) for k in
                ("section", "index", "name", "definition", "value", "derivative_name",
                 "derivative", "derivative_value", "chain", "context", "accumulate")}

    def latex(self, what: str) -> str:
        e = self.exprs.get(what)
        return "" if e is None else render(e, latex=True)


_PRIMAL_SECTIONS = ("input", "primal", "output")
_ADJOINT_SECTIONS = ("seed", "adjoint", "gradient")


class Trace:
    """The evaluation trace of one call, as in the seeds' tables.

    ``str(trace)`` (or :meth:`to_text`), :meth:`to_markdown` and :meth:`to_latex`
    print it; :attr:`rows` holds the rows (:class:`Row`), :attr:`value` the
    function's result and :attr:`derivative` the derivative the trace computes
    (forward: the output tangent, like ``s2sad.jvp``; reverse: the adjoints of
    the inputs, like ``s2sad.grad`` with those argnums).  With ``max_rows``,
    :attr:`cut` counts the rows left out.
    """

    def __init__(self, name, mode, params, args, rows, value, derivative, cut, max_rows,
                 seeds_text, cut_after):
        self.function = name
        self.mode = mode
        self.params = params
        self.args = args
        self.rows: List[Row] = rows
        self.value = value
        self.derivative = derivative
        self.cut = cut
        self.max_rows = max_rows
        self._seeds_text = seeds_text
        self._cut_after = cut_after  # section -> (row position, count)

    # -- access -------------------------------------------------------------
    @property
    def primal_rows(self) -> List[Row]:
        return [r for r in self.rows if r.section in _PRIMAL_SECTIONS]

    @property
    def adjoint_rows(self) -> List[Row]:
        return [r for r in self.rows if r.section in _ADJOINT_SECTIONS]

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __repr__(self):
        return (f"<s2sad.Trace of {self.function} ({self.mode} mode): "
                f"{len(self.rows)} rows{f', {self.cut} cut' if self.cut else ''}>")

    def __str__(self):
        return self.to_text()

    def _repr_markdown_(self):  # Jupyter
        return self.to_markdown()

    def title(self) -> str:
        at = ", ".join(f"{p} = {format_value(a)}" for p, a in zip(self.params, self.args))
        return f"{self.function}({at}), {self.mode} mode{self._seeds_text}"

    # -- text ---------------------------------------------------------------
    def _lines(self, rows, make_cells, section_of):
        """Rows as cell lists, with context headers, separators and cut marks."""
        out = []
        context = ""
        prev_section = None
        for pos, r in enumerate(rows):
            sec = section_of(r)
            if prev_section is not None and sec != prev_section:
                out.append(("rule", None))
            prev_section = sec
            if r.context != context:
                if r.context:
                    out.append(("context", r.context))
                elif r.section not in ("output", "gradient"):
                    out.append(("context", _outside(context)))
                context = r.context
            out.append(("cells", make_cells(r)))
            mark = self._cut_after.get(id(r))
            if mark:
                out.append(("cut", mark))
        return out

    def _cut_text(self, n):
        return f"⋮ {n} more row{'s' if n != 1 else ''} cut (max_rows={self.max_rows})"

    def to_text(self) -> str:
        lines = [self.title(), ""]
        if self.mode == "forward":
            rows = self.primal_rows

            def cells(r):
                left = [r.name, "= " + (r.definition or ""), "= " + r.value_text]
                if r.derivative is None:
                    return left + ["", "", ""]
                return left + [r.derivative_name, "= " + r.derivative,
                               "= " + r.derivative_value_text]

            body = self._lines(rows, cells, lambda r: r.section)
            lines += _table(body, header=("Forward primal trace", "Forward tangent trace"),
                            split=3, cut_text=self._cut_text)
        else:
            body = self._lines(self.primal_rows,
                               lambda r: [r.name, "= " + (r.definition or ""),
                                          "= " + r.value_text], lambda r: r.section)
            lines += _table(body, header=("Forward evaluation trace",), split=None,
                            cut_text=self._cut_text)
            lines.append("")

            def acells(r):
                chain = "= " + r.chain if r.chain else ""
                return [r.name, chain, "= " + r.derivative, "= " + r.derivative_value_text]

            body = self._lines(self.adjoint_rows, acells, lambda r: r.section)
            lines += _table(body, header=("Reverse adjoint trace (in the order it runs)",),
                            split=None, cut_text=self._cut_text)
        return "\n".join(line.rstrip() for line in lines) + "\n"

    # -- markdown and HTML ---------------------------------------------------
    def _sections(self):
        """``(header, rows, cells)`` of each table: forward mode one (primal and
        tangent side by side), reverse mode two (the primal trace, then the
        adjoints in the order the sweep runs)."""
        if self.mode == "forward":
            return [(["vᵢ", "definition", "value", "v̇ᵢ", "tangent rule", "tangent"],
                     self.primal_rows,
                     lambda r: [r.name, r.definition, r.value_text, r.derivative_name or "",
                                r.derivative or "", r.derivative_value_text])]
        return [(["vᵢ", "definition", "value"], self.primal_rows,
                 lambda r: [r.name, r.definition, r.value_text]),
                (["v̄ᵢ", "chain rule", "adjoint rule", "adjoint"], self.adjoint_rows,
                 lambda r: [r.name, r.chain or "", r.derivative, r.derivative_value_text])]

    def _body(self, rows, cells):
        """The rows of a table, as ``(kind, content)``: ``("context", label)``
        before the rows of a loop, branch or call, ``("cells", [...])`` for a
        row, ``("cut", count)`` where rows were left out."""
        out = []
        context = ""
        for r in rows:
            if r.context != context:
                label = r.context or (_outside(context) if r.section not in
                                      ("output", "gradient") else "")
                context = r.context
                if label:
                    out.append(("context", label))
            out.append(("cells", cells(r)))
            mark = self._cut_after.get(id(r))
            if mark:
                out.append(("cut", mark))
        return out

    def to_markdown(self) -> str:
        def esc(s):
            return (s or "").replace("|", "\\|")

        out = [f"**{esc(self.title())}**"]
        for header, rows, cells in self._sections():
            n = len(header)
            out += ["", "| " + " | ".join(header) + " |", "|" + "---|" * n]
            for kind, content in self._body(rows, cells):
                if kind == "context":
                    out.append("| *" + esc(content) + "* |" + " |" * (n - 1))
                elif kind == "cells":
                    out.append("| " + " | ".join(esc(c) for c in content) + " |")
                else:
                    out.append("| ⋮ | " + esc(self._cut_text(content)) + " |" + " |" * (n - 2))
        return "\n".join(out) + "\n"

    def _repr_html_(self):  # Jupyter
        return self.to_html()

    def to_html(self) -> str:
        """The trace as HTML tables (every text escaped), under its title."""
        esc = html.escape
        out = [f'<div class="s2sad-trace"><p><strong>{esc(self.title())}</strong></p>']
        for header, rows, cells in self._sections():
            n = len(header)
            out.append("<table>")
            out.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header)
                       + "</tr></thead><tbody>")
            for kind, content in self._body(rows, cells):
                if kind == "context":
                    out.append(f'<tr><td colspan="{n}"><em>{esc(content)}</em></td></tr>')
                elif kind == "cells":
                    out.append("<tr>" + "".join(f"<td>{esc(c or '')}</td>" for c in content)
                               + "</tr>")
                else:
                    out.append(f'<tr><td>⋮</td><td colspan="{n - 1}">'
                               f"{esc(self._cut_text(content))}</td></tr>")
            out.append("</tbody></table>")
        out.append("</div>")
        return "\n".join(out) + "\n"

    # -- LaTeX --------------------------------------------------------------
    def to_latex(self) -> str:
        def val(r, which):
            s = r.value_text if which == "value" else r.derivative_value_text
            if not s:
                return ""
            if any(c.isalpha() for c in s.replace("e", "").replace("inf", "").replace(
                    "nan", "")) or "…" in s:
                return "= \\text{" + latex_escape(s) + "}"
            return "= " + s.replace("…", "\\ldots")

        def rows_of(rows, ncols, cells):
            res = []
            context = ""
            prev = None
            for r in rows:
                sec = r.section
                if prev is not None and sec != prev:
                    res.append("\\hline")
                prev = sec
                if r.context != context:
                    label = r.context or (_outside(context) if r.section not in
                                          ("output", "gradient") else "")
                    context = r.context
                    if label:
                        res.append(f"\\multicolumn{{{ncols}}}{{l}}{{\\text{{\\footnotesize "
                                   f"{latex_escape(label)}}}}} \\\\")
                res.append(" & ".join(cells(r)) + " \\\\")
                mark = self._cut_after.get(id(r))
                if mark:
                    res.append(f"\\multicolumn{{{ncols}}}{{l}}{{\\vdots\\ \\text{{"
                               f"{latex_escape(self._cut_text(mark)[2:])}}}}} \\\\")
            return res

        out = [f"% {self.title()}"]
        if self.mode == "forward":
            out += ["\\[", "\\begin{array}{rll|rll}",
                    "\\multicolumn{3}{c|}{\\text{Forward primal trace}} & "
                    "\\multicolumn{3}{c}{\\text{Forward tangent trace}} \\\\", "\\hline"]

            def cells(r):
                left = [r.latex("name"), "= " + r.latex("definition"), val(r, "value")]
                if r.derivative is None:
                    return left + ["", "", ""]
                return left + [r.latex("derivative_name"), "= " + r.latex("derivative"),
                               val(r, "derivative")]

            out += rows_of(self.primal_rows, 6, cells)
            out += ["\\end{array}", "\\]"]
        else:
            out += ["\\[", "\\begin{array}{rll}",
                    "\\multicolumn{3}{c}{\\text{Forward evaluation trace}} \\\\", "\\hline"]
            out += rows_of(self.primal_rows, 3,
                           lambda r: [r.latex("name"), "= " + r.latex("definition"),
                                      val(r, "value")])
            out += ["\\end{array}", "\\qquad",
                    "\\begin{array}{rlll}",
                    "\\multicolumn{4}{c}{\\text{Reverse adjoint trace}} \\\\", "\\hline"]
            out += rows_of(self.adjoint_rows, 4,
                           lambda r: [r.latex("name"),
                                      ("= " + r.latex("chain")) if r.chain else "",
                                      "= " + r.latex("derivative"), val(r, "derivative")])
            out += ["\\end{array}", "\\]"]
        return "\n".join(out) + "\n"


def _outside(context: str) -> str:
    """The header of rows back at the top level, after (or, in the reverse
    sweep, before) a loop, a branch or a call."""
    first = context.split(" › ")[0]
    for tail in (" · iteration", " → "):
        if tail in first:
            first = first[:first.index(tail)]
    if first.startswith("in "):
        first = first[3:].split(" (line")[0]
    return "outside " + first


def _width(s: str) -> int:
    w = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


def _pad(s: str, w: int) -> str:
    return s + " " * max(w - _width(s), 0)


def _table(body, header, split, cut_text) -> List[str]:
    """Align cell rows; ``split`` (a column position) draws the seeds' two
    side-by-side traces."""
    cells = [c for kind, c in body if kind == "cells"]
    ncols = max((len(c) for c in cells), default=0)
    widths = [0] * ncols
    for c in cells:
        for i, s in enumerate(c):
            widths[i] = max(widths[i], _width(s))
    gap = "    "
    if split is not None and ncols > split:
        short = _width(header[0]) + 1 - (sum(widths[:split]) + split)
        if short > 0:  # the left header is wider than its columns
            widths[split - 1] += short

    def line(c):
        parts = []
        for i in range(ncols):
            s = c[i] if i < len(c) else ""
            if split is not None and i == split:
                parts.append(gap.rstrip() + " ")
            parts.append(_pad(s, widths[i]))
        text = " ".join(parts)
        return text

    total = _width(line([""] * ncols))
    out = []
    if split is not None:
        left = sum(widths[:split]) + split + 1  # cells, separators and the gap
        out.append(_pad(header[0], left) + " " + header[1])
    else:
        out.append(header[0])
    for kind, c in body:
        if kind == "cells":
            out.append(line(c))
        elif kind == "rule":
            out.append("─" * total)
        elif kind == "context":
            out.append(f"  ┄ {c}")
        elif kind == "cut":
            out.append("  " + cut_text(c))
    return out
