"""Functions defined in notebook cells, in an IPython shell run in this
process: errors name the cell as IPython does (``In [3], line 2``), and
functions defined under ``%%time`` and ``%%timeit`` are differentiated."""
import math
import sys
import types

import pytest

import s2sad
from s2sad.errors import NonDifferentiableError, SourceError, SourceUnavailableError, place

MISSING_RULE = "no derivative rule for zlib.crc32"


@pytest.fixture
def shell(tmp_path, monkeypatch):
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell  # optional test dependency
    from traitlets.config import Config  # comes with IPython
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    ipython = InteractiveShell.instance(config=config)
    run(ipython, "import math, zlib\nimport numpy as np\nimport s2sad")
    yield ipython
    InteractiveShell.clear_instance()


def run(ipython, cell):
    """Run ``cell`` as the next cell; its number."""
    number = ipython.execution_count
    result = ipython.run_cell(cell, store_history=True)
    assert result.error_before_exec is None and result.error_in_exec is None, cell
    return number


def caught(ipython, call):
    """The error ``call`` (a line of code) raises in the shell."""
    run(ipython, f"try:\n    {call}\nexcept Exception as exc:\n    caught = exc\n"
                 "else:\n    caught = None")
    return ipython.user_ns["caught"]


def caret_under(error):
    """The text the caret of the error's message stands under (from there on)."""
    lines = str(error).splitlines()
    shown, caret = lines[1], lines[2]
    assert caret.strip() == "^", str(error)
    return shown[caret.index("^"):]


def test_an_error_names_the_cell_and_line(shell):
    number = run(shell, "def bad(x):\n    y = x + 1.0\n    return 2.0 * zlib.crc32(y)\n")
    error = caught(shell, "s2sad.grad(bad)(2.0)")
    assert isinstance(error, NonDifferentiableError)
    first = str(error).splitlines()[0]
    assert first.startswith(f"In [{number}], line 3, column 18: {MISSING_RULE}"), first
    assert caret_under(error).startswith("zlib.crc32(y)")
    assert error.filename != f"In [{number}]"  # the file IPython compiled the cell as
    assert shell.compile._filename_map[error.filename] == number


def test_outside_a_notebook_the_place_is_the_file():
    assert place("/tmp/x.py", 3, 4) == "/tmp/x.py:3:5"
    assert place("/tmp/x.py", 3) == "/tmp/x.py:3" and place("/tmp/x.py") == "/tmp/x.py"


def test_a_function_defined_under_time(shell):
    run(shell, "%%time\ndef g(x):\n    return x * x + math.sin(x)\n"
               "time_grad = s2sad.grad(g)(2.0)\n")
    assert shell.user_ns["time_grad"] == pytest.approx(4.0 + math.cos(2.0))
    run(shell, "later_grad = s2sad.grad(g)(1.0)")  # and from a later cell
    assert shell.user_ns["later_grad"] == pytest.approx(2.0 + math.cos(1.0))


def test_an_error_under_time_points_into_the_cell(shell):
    number = run(shell, "\n%%time\n\ndef bad(x):\n    y = x + 1.0\n"
                        "    return   2.0 * zlib.crc32(y)\n")
    error = caught(shell, "s2sad.grad(bad)(2.0)")
    assert isinstance(error, SourceError)
    first = str(error).splitlines()[0]
    # the cell's lines: blank, %%time, blank, def, y = ..., return ...
    assert first.startswith(f"In [{number}], line 6, column 20: {MISSING_RULE}"), first
    assert caret_under(error).startswith("zlib.crc32(y)")


def test_the_newest_cell_defining_the_function_is_the_one(shell):
    run(shell, "%%time\ndef g(x):\n    return 3.0 * x\nold = g\n")
    run(shell, "%%time\ndef g(x):\n    return 5.0 * x\n")
    run(shell, "grads = (s2sad.grad(old)(1.0), s2sad.grad(g)(1.0))")
    assert shell.user_ns["grads"] == (3.0, 5.0)


def test_a_function_defined_under_timeit(shell):
    # the body runs inside a function: h is a nested function, closing over a
    run(shell, "results = []")
    run(shell, "%%timeit -n1 -r1\na = 3.0\ndef h(x):\n    return a * x * x\n"
               "results.append(s2sad.grad(h)(2.0))\n")
    assert shell.user_ns["results"] == [12.0]


def test_an_error_under_timeit_points_into_the_cell(shell):
    run(shell, "results = []")
    number = run(shell, "%%timeit -n1 -r1\ndef bad(x):\n    return 2.0 * zlib.crc32(x)\n"
                        "try:\n    s2sad.grad(bad)(2.0)\nexcept Exception as exc:\n"
                        "    results.append(exc)\n")
    (error,) = shell.user_ns["results"]
    assert str(error).startswith(f"In [{number}], line 3, column 18: {MISSING_RULE}")
    assert caret_under(error).startswith("zlib.crc32(x)")


def test_a_function_no_cell_compiles_to_says_what_to_do(shell):
    namespace = {}
    exec(compile("def ghost(x):\n    return x * x\n", "<timed exec>", "exec"), namespace)
    with pytest.raises(SourceUnavailableError) as info:
        s2sad.grad(namespace["ghost"])(1.0)
    text = str(info.value)
    assert "%%time cell" in text and "Define the function in a cell of its own" in text


def test_without_ipython_a_timed_function_says_what_to_do(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", types.ModuleType("IPython"))
    namespace = {}
    exec(compile("def ghost(x):\n    return x * x\n", "<magic-timeit>", "exec"), namespace)
    with pytest.raises(SourceUnavailableError, match="IPython, whose input history holds the cell, is not running"):
        s2sad.grad(namespace["ghost"])(1.0)
