"""``s2sad show`` and ``s2sad transpile`` compile each function for the kinds its
parameter annotations name, read from the file without running it."""
import importlib.util
import textwrap
from pathlib import Path

import numpy as np

import s2sad
from s2sad.cli import main
from s2sad.transpile import transpile_file
from tests.ad.corpus import gradient_by_differences

ANNOTATED = """\
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt


def f(x1: float, x2: float):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def loop(x: float, y: float, n: int):
    for i in range(n):
        x = x + 0.01 * (math.sin(x) * y - x * x * 0.1)
    return x


def energy(k: float, q: npt.NDArray[np.float64]) -> float:
    return 0.5 * k * np.sum(q ** 2) + np.sum(np.cos(q))


def mixed(a: float, b):
    return a * b

"""

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "textbook.py"

TEXTBOOK_VJP = """\
def f_vjp(x1, x2, y_bar=1.0):
    # return np.log(x1) + x1 * x2 - np.sin(x2)
    x2_bar = -y_bar * np.cos(x2)
    x1_bar = y_bar * x2
    x2_bar += y_bar * x1
    x1_bar += y_bar / x1
    return x1_bar, x2_bar
"""


def write(tmp_path, text=ANNOTATED, name="annotated.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def show(capsys, *argv):
    assert main(["show", *map(str, argv)]) == 0
    out, err = capsys.readouterr()
    assert not err
    return out


def live_functions(path):
    spec = importlib.util.spec_from_file_location("annotated_live", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_show_prints_the_textbook_code_of_annotated_floats(tmp_path, capsys):
    path = write(tmp_path)
    assert show(capsys, f"{path}:f") == TEXTBOOK_VJP
    assert show(capsys, f"{path}:f", "--scalar") == TEXTBOOK_VJP


def test_show_gives_the_code_derivative_source_gives_for_example_arguments(tmp_path, capsys):
    path = write(tmp_path)
    module = live_functions(path)
    for name, example in [("f", (2.0, 5.0)), ("loop", (0.5, 2.0, 3))]:
        for mode in ("reverse", "forward"):
            expected = s2sad.derivative_source(getattr(module, name), mode, args=example)
            assert show(capsys, f"{path}:{name}", "--mode", mode) == expected
            assert s2sad.derivative_source(getattr(module, name), mode) == expected


def test_scalar_fills_in_the_parameters_without_annotations(tmp_path, capsys):
    path = write(tmp_path)
    module = live_functions(path)
    generic_b = show(capsys, f"{path}:mixed")
    assert "unbroadcast" in generic_b
    assert show(capsys, f"{path}:mixed", "--scalar") == \
        s2sad.derivative_source(module.mixed, args=(1.0, 2.0))
    # an annotated int stays an int: it is not differentiated
    assert show(capsys, f"{path}:loop", "--scalar") == \
        s2sad.derivative_source(module.loop, args=(1.0, 2.0, 3))


def test_transpile_compiles_for_the_annotations(tmp_path):
    path = write(tmp_path)
    text = transpile_file(str(path), ["f", "loop"], mode="reverse")
    assert TEXTBOOK_VJP in text
    assert "unbroadcast" not in text.split("# --- derivatives ---")[1]
    assert text == transpile_file(str(path), ["f", "loop"], mode="reverse", scalar=True)


def test_the_transpiled_module_differentiates_correctly(tmp_path, capsys):
    path = write(tmp_path)
    out = tmp_path / "annotated_derivatives.py"
    assert main(["transpile", str(path), "-o", str(out)]) == 0
    assert not capsys.readouterr().err
    derivatives = live_functions(out)
    cases = [("f", (2.0, 5.0), (0, 1)), ("loop", (0.5, 2.0, 6), (0, 1)),
             ("energy", (1.5, np.array([0.3, -1.0, 2.0])), (0, 1))]
    for name, args, active in cases:
        f = getattr(derivatives, name)
        vjp, jvp = getattr(derivatives, f"{name}_vjp"), getattr(derivatives, f"{name}_jvp")
        gradients = vjp(*args)
        for i, gradient in zip(active, gradients):
            expected = gradient_by_differences(f, args, i)
            np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-8)
            tangents = [np.ones_like(a) if j == i else np.zeros_like(a)
                        for j, a in enumerate(args) if j in active]
            _, derivative = jvp(*args, *tangents)
            np.testing.assert_allclose(derivative, np.sum(expected), rtol=1e-6, atol=1e-8)


def test_files_without_annotations_are_compiled_as_before(capsys, tmp_path):
    plain = tmp_path / "plain.py"
    plain.write_text(SAMPLE.read_text().replace(": float", ""))
    assert ": float" in SAMPLE.read_text() and ": float" not in plain.read_text()
    generic = show(capsys, f"{plain}:f")
    assert "unbroadcast" in generic
    assert show(capsys, f"{plain}:f", "--scalar") == TEXTBOOK_VJP
    assert show(capsys, f"{SAMPLE}:f") == TEXTBOOK_VJP  # the sample is annotated
