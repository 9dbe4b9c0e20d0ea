"""Parameter annotations name the kinds a derivative is compiled for when no
example arguments are given (``derivative_source(f)``, ``s2sad show``,
``s2sad transpile``): the code is the one example arguments of those kinds give,
and an annotation s2sad does not know leaves its parameter generic."""
import ast
import math
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

import s2sad
from s2sad.compiler import compile_derivative
from s2sad.frontend.annotations import annotated_kinds, parameter_kinds
from s2sad.frontend.source import file_source_infos, from_source, get_source_info
from s2sad.ir.kinds import kind_of_object, kinds_key, ranked
from tests.ad.corpus import gradient_by_differences

NUMPY_GLOBALS = {"np": np, "math": math}


def kinds_of(signature, prelude="import numpy as np\n", as_file=True):
    """The kinds the annotations of ``def f(signature)`` name, read from a live
    function and (``as_file``) from the same text read as a file without
    running it: they must agree."""
    text = f"from __future__ import annotations\n{prelude}\ndef f({signature}):\n" \
        "    return 0.0\n"
    kinds = parameter_kinds(get_source_info(from_source(text, "f", {})))
    if as_file:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "annotated.py"
            path.write_text(text)
            assert parameter_kinds(file_source_infos(path)["f"]) == kinds
    return kinds


@pytest.mark.parametrize("annotation, kind", [
    ("float", "float"), ("int", "int"), ("bool", "bool"), ("complex", "complex"),
    ("str", "str"), ("np.float64", "float"), ("np.float32", "float"), ("np.int32", "int"),
    ("np.complex128", "complex"), ("np.bool_", "bool"),
    ("np.ndarray", "array"), ("numpy.ndarray", "array"), ("ndarray", "array"),
    ("NDArray", "array"), ("npt.NDArray", "array"), ("npt.NDArray[np.float64]", "array"),
    ("npt.NDArray[np.float32]", "array"), ("npt.NDArray[np.int64]", "intarray"),
    ("npt.NDArray[np.bool_]", "intarray"), ("npt.NDArray[np.complex128]", "carray"),
    ("npt.NDArray[Any]", "array"), ("np.typing.NDArray[np.float64]", "array"),
    ("numpy.typing.NDArray[numpy.float64]", "array"),
    ("np.ndarray[Any, np.dtype[np.float64]]", "array"),
    ("np.ndarray[Any, np.dtype[np.int8]]", "intarray"),
    ("'float'", "float"), ("'np.ndarray'", "array"), ("'npt.NDArray[np.float64]'", "array"),
    ("Annotated[float, 'metres']", "float"), ("Union[float, np.float64]", "float"),
    ("float | np.float64", "float"),
])
def test_a_known_annotation_names_its_kind(annotation, kind):
    prelude = ("import numpy\nimport numpy as np\nimport numpy.typing as npt\n"
               "from numpy import ndarray\nfrom numpy.typing import NDArray\n"
               "from typing import Annotated, Any, Optional, Tuple, Union\n")
    assert kinds_of(f"x: {annotation}", prelude) == (kind,)


@pytest.mark.parametrize("annotation", [
    "Optional[float]", "float | None", "Union[float, np.ndarray]", "float | int",
    "npt.ArrayLike", "Any", "list[float]", "tuple[float, float]", "Tuple[float, float]",
    "dict", "Vector", "Point", "np.number", "np.generic", "npt.NDArray[np.number]",
    "npt.NDArray[np.str_]", "'not valid python ('", "object", "None", "callable",
])
def test_an_unknown_annotation_is_the_generic_kind(annotation):
    prelude = ("import numpy as np\nimport numpy.typing as npt\n"
               "from typing import Annotated, Any, Optional, Tuple, Union\n"
               "class Point:\n    pass\n")
    assert kinds_of(f"x: {annotation}", prelude) == (None,)


def test_the_rank_a_shape_annotation_names():
    prelude = "import numpy as np\nfrom typing import Any, Tuple\n"
    assert kinds_key(kinds_of("a: np.ndarray[tuple[int, int], np.dtype[np.float64]], "
                              "b: np.ndarray[Tuple[int], np.dtype[np.float64]], "
                              "c: np.ndarray[tuple[int, ...], np.dtype[np.float64]], "
                              "d: np.ndarray[Any, np.dtype[np.float64]]", prelude)) == \
        kinds_key((ranked("array", 2), ranked("array", 1), "array", "array"))


def test_unannotated_parameters_and_names_shadowing_the_usual_ones():
    prelude = "import numpy as np\nfloat = int\nclass ndarray:\n    pass\n"
    assert kinds_of("x, y: float, z: ndarray, w: np.ndarray", prelude, as_file=False) == \
        (None, "int", None, "array")
    # np bound to something that is not a module: nothing is read through it
    assert kinds_of("x: np.ndarray", "np = object()\n", as_file=False) == (None,)


def test_names_imported_only_for_type_checkers_are_read_by_their_usual_spelling(tmp_path):
    path = tmp_path / "typed.py"
    path.write_text(textwrap.dedent("""\
        from __future__ import annotations
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import numpy as np
            import numpy.typing as npt
            from numpy import ndarray


        def f(x: float, a: np.ndarray, b: npt.NDArray[np.int64], c: ndarray, d: Unknown):
            return x
        """))
    assert parameter_kinds(file_source_infos(path)["f"]) == \
        ("float", "array", "intarray", "array", None)


def test_a_bound_method_leaves_out_its_object_and_a_lambda_is_generic():
    class Model:
        def loss(self, w: float, x: np.ndarray):
            return w * np.sum(x)
    assert annotated_kinds(Model().loss, 2) == ("float", "array")
    assert annotated_kinds(Model.loss, 3) == (None, "float", "array")
    assert annotated_kinds(lambda x: x, 1) == (None,)
    # a count that is not that of the parameters the compiler sees: nothing is guessed
    assert annotated_kinds(Model.loss, 2) == (None, None)
    assert annotated_kinds(Model.loss, 3, "float") == ("float", "float", "array")
    assert annotated_kinds(np.sin, 1) == (None,)


# ---------------------------------------------------------------------------
# derivative_source: the code example arguments of the annotated kinds give
# ---------------------------------------------------------------------------
TEXTBOOK = """
def f(x1: float, x2: float):
    return np.log(x1) + x1 * x2 - np.sin(x2)
"""

LOOP = """
def loop(x: float, y: float, n: int):
    for i in range(n):
        x = x + 0.01 * (math.sin(x) * y - x * x * 0.1)
    return x
"""

WEIGHTED = """
from __future__ import annotations
import numpy.typing as npt

def weighted(x: float, v: npt.NDArray[np.float64]) -> float:
    return np.sum(x * np.sin(v) ** 2)
"""

CURVE = """
from __future__ import annotations

def curve(t: 'float', w: np.ndarray[tuple[int], np.dtype[np.float64]]):
    return np.sum(np.exp(-t * w) * w)
"""


def live(text, name=None):
    return from_source(text, name, dict(NUMPY_GLOBALS))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("text, example", [
    (TEXTBOOK, (2.0, 5.0)), (LOOP, (0.5, 2.0, 4)), (CURVE, (0.3, np.ones(3))),
])
def test_annotated_code_is_the_code_of_example_arguments(text, example, mode):
    f = live(text)
    annotated = s2sad.derivative_source(f, mode)
    assert annotated == s2sad.derivative_source(f, mode, args=example)
    if mode == "reverse":  # forward code broadcasts as the primal does: often the same
        assert annotated != s2sad.derivative_source(live(_without_annotations(text)), mode)


def test_an_array_of_unknown_rank_gets_the_code_of_its_kind():
    f = live(WEIGHTED)
    kinds = ("float", "array")
    assert s2sad.derivative_source(f) == compile_derivative(f, "reverse", (0, 1), kinds).source
    assert kind_of_object(np.array(1.0)) == "array"  # the one example of unknown rank
    assert s2sad.derivative_source(f) == s2sad.derivative_source(f, args=(1.0, np.array(1.0)))


def test_the_textbook_code_without_broadcasting_helpers():
    source = s2sad.derivative_source(live(TEXTBOOK))
    assert source == textwrap.dedent("""\
        def f_vjp(x1, x2, y_bar=1.0):
            # return np.log(x1) + x1 * x2 - np.sin(x2)
            x2_bar = -y_bar * np.cos(x2)
            x1_bar = y_bar * x2
            x2_bar += y_bar * x1
            x1_bar += y_bar / x1
            return x1_bar, x2_bar
        """)


def test_explicit_arguments_win_over_annotations():
    f = live(TEXTBOOK)
    generic_arrays = s2sad.derivative_source(f, args=(np.ones((2, 2)), np.ones(2)))
    assert "unbroadcast" in generic_arrays
    assert generic_arrays != s2sad.derivative_source(f)


def test_argnums_pick_among_annotated_parameters():
    f = live(LOOP)
    assert s2sad.derivative_source(f, argnums=0) == \
        s2sad.derivative_source(f, argnums=0, args=(0.5, 2.0, 4))


def _without_annotations(text):
    tree = ast.parse(textwrap.dedent(text))
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            node.annotation = None
        if isinstance(node, ast.FunctionDef):
            node.returns = None
    return ast.unparse(tree) + "\n"


# ---------------------------------------------------------------------------
# the derivative compiled from annotations is right (central differences)
# ---------------------------------------------------------------------------
def _run(source, name, namespace):
    exec(compile(source, f"<{name}>", "exec"), namespace)
    return namespace[name]


@pytest.mark.parametrize("text, name, args, active", [
    (TEXTBOOK, "f", (2.0, 5.0), (0, 1)),
    (LOOP, "loop", (0.5, 2.0, 7), (0, 1)),
    (WEIGHTED, "weighted", (0.7, np.array([0.1, -0.4, 2.0])), (0, 1)),
    (CURVE, "curve", (0.3, np.array([1.0, 2.0, 0.5])), (0, 1)),
])
def test_annotated_derivatives_match_central_differences(text, name, args, active):
    f = live(text)
    namespace = dict(NUMPY_GLOBALS, **vars(s2sad.runtime))
    vjp = _run(s2sad.derivative_source(f, "reverse"), f"{name}_vjp", dict(namespace))
    jvp = _run(s2sad.derivative_source(f, "forward"), f"{name}_jvp", dict(namespace))
    gradients = vjp(*args, 1.0)
    for g, i in zip(gradients, active):
        np.testing.assert_allclose(g, gradient_by_differences(f, args, i), rtol=1e-6, atol=1e-8)
        tangents = [np.ones_like(a) if j == i else np.zeros_like(a)
                    for j, a in enumerate(args) if j in active]
        _, derivative = jvp(*args, *tangents)
        np.testing.assert_allclose(derivative, np.sum(gradient_by_differences(f, args, i)),
                                   rtol=1e-6, atol=1e-8)


def test_aliases_of_ndarray_bound_in_the_module():
    # NumPy >= 2.5 defines NDArray with `type NDArray[...] = ...` (a TypeAliasType)
    text = ("import numpy as np\nimport numpy.typing as npt\n"
            "Vec = npt.NDArray[np.float64]\nIVec = npt.NDArray[np.int64]\n\n"
            "def f(x: Vec, y: IVec, z: npt.NDArray, w: 'npt.NDArray[np.complex128]'):\n"
            "    return x\n")
    assert parameter_kinds(get_source_info(from_source(text, "f", {}))) == \
        ("array", "intarray", "array", "carray")
