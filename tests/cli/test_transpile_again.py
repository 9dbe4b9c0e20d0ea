"""A module s2sad wrote can be transpiled again: its copied runtime helpers are
s2sad's own (with their derivative rules), and its derivatives are
differentiated, to second order, like any other function."""
import importlib.util
import sys

import numpy as np
import pytest

from s2sad.cli import main

SOURCE = """\
import numpy as np


def f(x, y):
    return np.sum(np.sin(x) * y + x ** 2)
"""


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _transpile(capsys, *argv):
    code = main(["transpile", *map(str, argv)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, err


def test_a_generated_module_transpiles_again_to_second_derivatives(tmp_path, capsys):
    (tmp_path / "model.py").write_text(SOURCE)
    first, second = tmp_path / "model_d.py", tmp_path / "model_dd.py"
    assert _transpile(capsys, tmp_path / "model.py", "-o", first) == (0, "")
    assert _transpile(capsys, first, "-o", second) == (0, "")
    text = second.read_text()
    # each helper once, each first derivative once (as the input had it)
    assert text.count("def unbroadcast(") <= 1 and text.count("def f_vjp(") == 1
    dd = _load(second)
    x, y = np.array([0.3, -1.2, 2.0]), np.array([1.5, 0.5, -0.7])
    dx, dy = np.array([0.2, 0.1, -0.4]), np.array([-0.3, 0.8, 0.6])
    h = 1e-5
    # the forward derivative of the gradient, against central differences of the gradient
    (gx, gy), (gx_dot, gy_dot) = dd.f_vjp_jvp(x, y, 1.0, dx, dy, 0.0)
    plus, minus = dd.f_vjp(x + h * dx, y + h * dy, 1.0), dd.f_vjp(x - h * dx, y - h * dy, 1.0)
    np.testing.assert_allclose(gx_dot, (plus[0] - minus[0]) / (2 * h), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(gy_dot, (plus[1] - minus[1]) / (2 * h), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(gx, 2 * x + np.cos(x) * y)
    # a third time: still a module that imports and runs
    assert _transpile(capsys, second, "-o", tmp_path / "model_ddd.py") == (0, "")
    ddd = _load(tmp_path / "model_ddd.py")
    np.testing.assert_allclose(ddd.f_vjp_jvp(x, y, 1.0, dx, dy, 0.0)[1][0], gx_dot)


def test_a_derivative_named_as_a_function_of_the_file_is_refused(tmp_path, capsys):
    path = tmp_path / "clash.py"
    path.write_text("def f(x):\n    return x * x\n\n\ndef f_vjp(x):\n    return 'mine'\n")
    before = path.read_text()
    code, err = _transpile(capsys, path, "-o", tmp_path / "out.py")
    assert code == 1 and "the derivative f_vjp would replace the f_vjp the file defines" in err
    assert path.read_text() == before and not (tmp_path / "out.py").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="file modes")
def test_a_copied_helper_that_was_edited_is_a_function_of_the_file(tmp_path, capsys):
    (tmp_path / "model.py").write_text(SOURCE)
    first = tmp_path / "model_d.py"
    assert _transpile(capsys, tmp_path / "model.py", "-o", first)[0] == 0
    edited = first.read_text().replace("    shape = np.shape(x)\n", "    shape = np.shape(x)  # mine\n")
    assert edited != first.read_text()
    first.write_text(edited)
    code, err = _transpile(capsys, first, "-o", tmp_path / "again.py")
    # an edited helper is the user's function: the derivatives' own unbroadcast
    # cannot be written under its name
    assert code == 1 and "defines unbroadcast, the name of the s2sad runtime helper" in err
    assert not (tmp_path / "again.py").exists()


def test_a_function_named_as_a_runtime_helper_is_refused(tmp_path, capsys):
    path = tmp_path / "signs.py"
    path.write_text("import numpy as np\n\n\ndef sign(x):\n    return x > 0\n\n\n"
                    "def f(x):\n    return np.sum(abs(x) * x)\n")
    code, err = _transpile(capsys, path, "-o", tmp_path / "out.py")
    assert code == 1 and "rename the file's sign" in err
    # without a helper of that name the file transpiles: scalar code of abs needs sign
    path.write_text(path.read_text().replace("def sign(", "def positive("))
    assert _transpile(capsys, path, "-o", tmp_path / "out.py") == (0, "")
