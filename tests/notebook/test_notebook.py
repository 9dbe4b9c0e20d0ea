"""A real notebook, run by nbclient on an IPython kernel (ipykernel), as
Jupyter runs it: cells numbered by the kernel, ``%%time`` and ``%%timeit``
cells, an error shown at its cell, and derivative source displayed as HTML.

The kernel is this interpreter (a kernel spec written for the test, found
first on JUPYTER_PATH), importing the s2sad this test imports."""
import json
import os
import pathlib
import sys

import pytest

import s2sad

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

CELLS = [
    "import math, zlib\nimport numpy as np\nimport s2sad",
    "def f(x1, x2):\n    return np.log(x1) + x1 * x2 - np.sin(x2)",
    "print(s2sad.grad(f, argnums=(0, 1))(2.0, 5.0))",
    "%%time\ndef g(x):\n    return x * x + math.sin(x)\nprint('time grad', s2sad.grad(g)(2.0))",
    "print('later grad', s2sad.grad(g)(1.0))",
    "%%timeit -n1 -r1\ndef h(x):\n    return 3.0 * x * x\n"
    "print('timeit grad', s2sad.grad(h)(2.0))",
    "def bad(x):\n    y = x + 1.0\n    return 2.0 * zlib.crc32(y)",
    "try:\n    s2sad.grad(bad)(2.0)\nexcept s2sad.S2sadError as exc:\n    print(exc)",
    "s2sad.derivative_source(f, args=(2.0, 5.0))",
    "s2sad.trace(f, 2.0, 5.0)",
]


def _kernel_spec(root: pathlib.Path) -> pathlib.Path:
    """A kernel spec named python3 that runs this interpreter, with this s2sad
    first on its path and IPython's files kept under ``root``."""
    spec = root / "kernels" / "python3"
    spec.mkdir(parents=True)
    s2sad_root = str(pathlib.Path(s2sad.__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in [s2sad_root, os.environ.get("PYTHONPATH")] if p)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (s2sad tests)", "language": "python",
        "env": {"PYTHONPATH": path, "IPYTHONDIR": str(root / "ipython")}}))
    return root


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    root = tmp_path_factory.mktemp("jupyter")
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "JUPYTER_RUNTIME_DIR")}
    os.environ["JUPYTER_PATH"] = str(_kernel_spec(root))
    os.environ["JUPYTER_RUNTIME_DIR"] = str(root / "runtime")
    try:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
        client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                         resources={"metadata": {"path": str(root)}})
        client.execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def text_of(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def cell_of(nb, start):
    (cell,) = [c for c in nb.cells if c.source.startswith(start)]
    return cell


def test_every_cell_ran_without_an_error(notebook):
    errors = [o for c in notebook.cells for o in c.outputs if o.output_type == "error"]
    assert not errors, "\n".join("\n".join(o.traceback) for o in errors)


def test_a_gradient_in_a_cell(notebook):
    assert text_of(cell_of(notebook, "print(s2sad.grad(f")).startswith("(5.5, 1.716")


def test_a_function_defined_under_time(notebook):
    assert "time grad 3.58385" in text_of(cell_of(notebook, "%%time\n"))
    assert "later grad 2.54030" in text_of(cell_of(notebook, "print('later grad'"))


def test_a_function_defined_under_timeit(notebook):
    assert "timeit grad 12.0" in text_of(cell_of(notebook, "%%timeit"))


def test_an_error_names_the_cell_and_the_caret_is_under_the_call(notebook):
    defined = cell_of(notebook, "def bad(x)").execution_count
    lines = text_of(cell_of(notebook, "try:\n    s2sad.grad(bad)")).splitlines()
    assert lines[0].startswith(f"In [{defined}], line 3, column 18: no derivative rule for "
                               "zlib.crc32"), lines
    assert lines[1] == "    return 2.0 * zlib.crc32(y)"
    assert lines[2] == "    " + " " * len("return 2.0 * ") + "^"


def test_derivative_source_is_shown_as_html(notebook):
    (result,) = cell_of(notebook, "s2sad.derivative_source").outputs
    assert result.output_type == "execute_result"
    assert "text/html" in result.data and "text/markdown" in result.data
    assert "f_vjp" in result.data["text/html"]
    assert result.data["text/markdown"].startswith("```python\ndef f_vjp(")
    assert result.data["text/plain"].startswith("def f_vjp(")  # the code, not a quoted repr


def test_a_trace_is_shown_as_an_html_table(notebook):
    (result,) = cell_of(notebook, "s2sad.trace").outputs
    assert "<table>" in result.data["text/html"]
    assert result.data["text/markdown"].startswith("**f(x1 = 2, x2 = 5)")
