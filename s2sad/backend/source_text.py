"""Generated Python source that shows itself as code in Jupyter.

``derivative_source`` returns a :class:`PythonSource`: a ``str`` in every way
(``print``, ``exec``, ``==``, slicing, ``+`` give what a plain string gives)
that a notebook displays as highlighted code, not as a quoted one-line repr.
Pygments highlights it where it is installed; without it the code is shown
as escaped preformatted text.
"""
from __future__ import annotations

import html


class PythonSource(str):
    """Python source text, displayed as code by Jupyter and IPython."""

    __slots__ = ()

    def _repr_pretty_(self, printer, cycle):  # IPython's text display: the code itself
        printer.text(str(self))

    def _repr_markdown_(self):  # Jupyter
        fence = "```"
        while fence in self:  # a fence inside the code would end the block early
            fence += "`"
        return f"{fence}python\n{self.rstrip()}\n{fence}\n"

    def _repr_html_(self):  # Jupyter
        return highlighted_html(str(self))


def highlighted_html(code: str) -> str:
    """``code`` as HTML: highlighted by Pygments (inline styles, so it needs no
    style sheet) where it is installed, else escaped in a ``<pre>``."""
    try:
        from pygments import formatters, highlight, lexers  # optional, for display only
    except ImportError:
        return f'<pre class="s2sad-source"><code>{html.escape(code)}</code></pre>'
    return highlight(code, lexers.PythonLexer(),
                     formatters.HtmlFormatter(noclasses=True, nobackground=True))
