"""Rich display in Jupyter, tested without Jupyter: the display methods are
called directly, as the notebook's display formatter calls them."""
import os
import shutil
import stat
import sys

import numpy as np
import pytest

import s2sad
from s2sad.backend.source_text import PythonSource, highlighted_html


def textbook(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def branchy(x):
    if x < 1.0:
        return x * 2.0
    return x * x


# ---------------------------------------------------------------------------
# Derivative source: still a str, shown as code
# ---------------------------------------------------------------------------
def test_derivative_source_is_a_str_that_behaves_as_before(capsys):
    source = s2sad.derivative_source(textbook, "reverse", args=(2.0, 5.0))
    assert isinstance(source, str) and isinstance(source, PythonSource)
    plain = str(source)
    assert type(plain) is str
    assert source == plain and hash(source) == hash(plain)
    assert repr(source) == repr(plain)
    assert source + "" == plain and source.splitlines() == plain.splitlines()
    print(source)
    assert capsys.readouterr().out == plain + "\n"
    namespace = {"np": np}
    exec(source, namespace)
    assert namespace["textbook_vjp"](2.0, 5.0) == pytest.approx((5.5, 1.7163378145367738))


def test_ssa_source_is_shown_as_code_too():
    source = s2sad.ssa_source(textbook)
    assert isinstance(source, PythonSource)
    assert "```python\n" in source._repr_markdown_()


def test_markdown_is_a_python_code_block():
    source = PythonSource("def f(x):\n    return x\n")
    assert source._repr_markdown_() == "```python\ndef f(x):\n    return x\n```\n"


def test_a_fence_inside_the_code_gets_a_longer_fence():
    source = PythonSource('s = """```"""\n')
    shown = source._repr_markdown_()
    assert shown.startswith("````python\n") and shown.endswith("\n````\n")


def test_html_escapes_the_code():
    code = 'def f(x):\n    return x < 1 and "&" > "<b>"\n'
    shown = PythonSource(code)._repr_html_()
    assert "<b>" not in shown
    assert "&lt;" in shown and "&amp;" in shown


def test_html_without_pygments_is_an_escaped_pre(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygments", None)  # import pygments now fails
    code = 'x = a < b & c\n'
    assert highlighted_html(code) == \
        '<pre class="s2sad-source"><code>x = a &lt; b &amp; c\n</code></pre>'


def test_html_with_pygments_is_highlighted():
    pytest.importorskip("pygments")
    shown = highlighted_html("def f(x):\n    return x\n")
    assert "<span" in shown and "style=" in shown  # inline styles: no style sheet needed


def test_the_pretty_printer_shows_the_code_not_a_quoted_repr():
    class Printer:
        def __init__(self):
            self.parts = []

        def text(self, s):
            self.parts.append(s)

    printer = Printer()
    PythonSource("def f(x):\n    return x\n")._repr_pretty_(printer, cycle=False)
    assert printer.parts == ["def f(x):\n    return x\n"]


def test_ipython_shows_the_code_as_its_text():
    formatters = pytest.importorskip("IPython.lib.pretty")
    source = PythonSource("def f(x):\n    return x\n")
    assert formatters.pretty(source) == "def f(x):\n    return x\n"


# ---------------------------------------------------------------------------
# Trace tables: a real HTML table
# ---------------------------------------------------------------------------
def test_a_trace_is_an_html_table():
    trace = s2sad.trace(branchy, 0.5)
    shown = trace._repr_html_()
    assert shown == trace.to_html()
    assert shown.count("<table>") == 2  # the primal trace, then the adjoints
    assert "<th>vᵢ</th><th>definition</th><th>value</th>" in shown
    assert "<td>v₀ &lt; 1</td>" in shown
    assert '<em>if x &lt; 1.0 → true</em>' in shown


def test_a_forward_trace_is_one_table():
    shown = s2sad.trace(textbook, 2.0, 5.0, tangents=(1.0, 0.0))._repr_html_()
    assert shown.count("<table>") == 1
    assert "<th>tangent rule</th>" in shown


def test_every_text_of_a_trace_is_escaped():
    trace = s2sad.trace(branchy, 0.5)
    trace.rows[1].definition = "a < b & <script>"
    shown = trace.to_html()
    assert "<script>" not in shown
    assert "a &lt; b &amp; &lt;script&gt;" in shown


def test_cut_rows_are_marked():
    def loop(x, n):
        for i in range(n):
            x = x * 1.01
        return x
    shown = s2sad.trace(loop, 1.0, 50, max_rows=5)._repr_html_()
    assert "more rows cut (max_rows=5)" in shown


# ---------------------------------------------------------------------------
# Graphs: inline SVG where Graphviz is installed, never an error without it
# ---------------------------------------------------------------------------
def _fake_dot(tmp_path, script):
    path = tmp_path / "dot"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(tmp_path) + os.pathsep + os.environ.get("PATH", "")  # found first


def test_without_graphviz_a_graph_has_no_svg(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot there
    assert s2sad.graph(textbook)._repr_svg_() is None


@pytest.mark.skipif(os.name != "posix", reason="the stand-in for dot is a shell script")
def test_with_graphviz_a_graph_is_inline_svg(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", _fake_dot(tmp_path, (
        'cat > "$0.in"\n'
        "echo '<?xml version=\"1.0\"?>'\n"
        "echo '<svg xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>'\n")))
    graph = s2sad.graph(textbook)
    assert graph._repr_svg_() == '<svg xmlns="http://www.w3.org/2000/svg"><g/></svg>\n'
    assert (tmp_path / "dot.in").read_text() == graph.dot  # dot was given the DOT text


@pytest.mark.skipif(os.name != "posix", reason="the stand-in for dot is a shell script")
def test_a_failing_graphviz_gives_no_svg(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", _fake_dot(tmp_path, "echo 'Error: syntax' >&2\nexit 1\n"))
    assert s2sad.graph(textbook)._repr_svg_() is None


def test_real_graphviz_draws_svg():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    shown = s2sad.graph(textbook)._repr_svg_()
    assert shown.startswith("<svg") and "</svg>" in shown
