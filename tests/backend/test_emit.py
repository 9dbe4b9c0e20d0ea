"""The emitter: IR back to readable, runnable Python."""
import ast
import inspect
import linecache
import re
import sys
import traceback

import numpy as np
import pytest

import s2sad
from s2sad.compiler import ssa_ir
from s2sad.backend import emit_function, unparse


def assignments(src):
    """The statements ``name = expr`` of the generated body, as (name, expr) text."""
    body = ast.parse(src).body[0].body
    out = []
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Assign):
            out.append((unparse(node.targets[0]), unparse(node.value)))
    return out


def code_lines(src):
    return [line.strip() for line in src.splitlines()
            if line.strip() and not line.strip().startswith("#")]


# ---------------------------------------------------------------------------
# The seeds' example: the evaluation trace, one primitive per line
# ---------------------------------------------------------------------------
def textbook(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def test_textbook_trace_order():
    src = s2sad.ssa_source(textbook)
    assigns = assignments(src)
    assert len(assigns) == 5, src
    exprs = [e for _, e in assigns]
    assert exprs[0] == "np.log(x1)"
    assert exprs[1] == "x1 * x2"
    assert exprs[2] == "np.sin(x2)"
    assert re.fullmatch(r"\w+ \+ \w+", exprs[3]), exprs[3]
    assert re.fullmatch(r"\w+ - \w+", exprs[4]), exprs[4]
    names = [n for n, _ in assigns]
    assert len(set(names)) == 5
    # add reads log and mul; sub reads add and sin
    assert exprs[3] == f"{names[0]} + {names[1]}"
    assert exprs[4] == f"{names[3]} - {names[2]}"
    assert code_lines(src)[-1] == f"return {names[4]}"
    g = s2sad.ssa_function(textbook)
    assert g(2.0, 5.0) == textbook(2.0, 5.0)


def test_generated_source_parses():
    src = s2sad.ssa_source(textbook)
    tree = ast.parse(src)
    assert isinstance(tree.body[0], ast.FunctionDef) and tree.body[0].name == "textbook"
    assert [a.arg for a in tree.body[0].args.args] == ["x1", "x2"]


def test_source_line_comments():
    src = s2sad.ssa_source(textbook)
    assert src.splitlines()[1].strip() == "# return np.log(x1) + x1 * x2 - np.sin(x2)"


# ---------------------------------------------------------------------------
# NumPy subscripts
# ---------------------------------------------------------------------------
def subscripts(x, idx, mask):
    a = x[1:3, None]
    b = x[..., ::2]
    c = x[:, 0]
    d = x[idx]
    e = x[mask]
    f = x[::-1, 1:]
    g = x[0, ...]
    h = x[None, :, None]
    k = x[1]
    m = x[-1, -2]
    n = x[idx, 1:]
    p = x[()]
    q = x[np.newaxis]
    r = x[:2, [0, 2]]
    return a, b, c, d, e, f, g, h, k, m, n, p, q, r


def subscript_writes(x, idx, mask):
    y = x.copy()
    y[1:3, None] = 0.5
    y[..., ::2] += 1.0
    y[:, 0] = -1.0
    y[idx] *= 2.0
    y[mask] = 7.0
    y[0, ...] -= 3.0
    return y


SUBSCRIPT_ARGS = (np.arange(20.0).reshape(4, 5), np.array([3, 0, 1]),
                  np.arange(20.0).reshape(4, 5) % 3 == 0)


@pytest.mark.parametrize("f", [subscripts, subscript_writes])
def test_numpy_subscripts_round_trip(f):
    src = s2sad.ssa_source(f)
    ast.parse(src)
    g = s2sad.ssa_function(f)
    got, want = g(*SUBSCRIPT_ARGS), f(*SUBSCRIPT_ARGS)
    if not isinstance(want, tuple):
        got, want = (got,), (want,)
    assert len(got) == len(want)
    for u, v in zip(got, want):
        assert u.shape == v.shape
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("text", [
    "x[1:3, None]", "x[..., ::2]", "x[:, 0]", "x[idx]", "x[mask]", "x[::-1, 1:]",
    "x[0, ...]", "x[None, :, None]", "x[-1, -2]", "x[idx, 1:]", "x[()]", "x[:2, [0, 2]]",
])
def test_subscript_text_is_kept(text):
    src = s2sad.ssa_source(subscripts)
    if text == "x[:2, [0, 2]]":
        # the list index is a separate primitive
        assert re.search(r"x\[:2, \w+\]", src), src
    else:
        assert text in src, src


def test_subscript_writes_text():
    src = s2sad.ssa_source(subscript_writes)
    for text in ("y[1:3, None] = 0.5", "y[..., ::2] += 1.0", "y[:, 0] = -1.0",
                 "y[idx] *= 2.0", "y[mask] = 7.0", "y[0, ...] -= 3.0"):
        assert text in src, src


def test_unparse_numpy_subscript():
    for text in ("x[1:3, None]", "x[..., ::2]", "x[:, 0]", "x[a:b:c, ..., None]"):
        assert unparse(ast.parse(text, mode="eval").body) == text


# ---------------------------------------------------------------------------
# The generated function's source is registered in linecache
# ---------------------------------------------------------------------------
def fails_inside(x):
    y = x * 2
    z = y / (x - x)
    return z


def test_getsource_of_generated_function():
    g = s2sad.ssa_function(textbook)
    filename = g.__code__.co_filename
    assert filename.startswith("<s2sad-") and filename.endswith(">")
    assert filename in linecache.cache
    src = inspect.getsource(g)
    assert src == s2sad.ssa_source(textbook)
    assert g.__s2sad_source__ == src


def test_generated_functions_get_distinct_filenames():
    g1 = s2sad.ssa_function(textbook)
    g2 = s2sad.ssa_function(textbook)
    assert g1.__code__.co_filename != g2.__code__.co_filename


def test_traceback_shows_generated_line():
    g = s2sad.ssa_function(fails_inside)
    with pytest.raises(ZeroDivisionError) as info:
        g(1)
    frames = traceback.extract_tb(info.value.__traceback__)
    last = frames[-1]
    assert last.filename == g.__code__.co_filename
    assert last.name == "fails_inside"
    generated = inspect.getsource(g).splitlines()
    assert last.line == generated[last.lineno - 1].strip()
    assert "/" in last.line
    text = "".join(traceback.format_exception(info.type, info.value, info.value.__traceback__))
    assert last.line in text


def test_generated_function_can_be_transformed_again():
    g = s2sad.ssa_function(textbook)
    h = s2sad.ssa_function(g)
    assert h(2.0, 5.0) == textbook(2.0, 5.0)
    assert assignments(s2sad.ssa_source(g)) == assignments(s2sad.ssa_source(textbook))


# ---------------------------------------------------------------------------
# Storage: coalescing SSA values into variables
# ---------------------------------------------------------------------------
def loop_sum(xs):
    total = 0.0
    for x in xs:
        total = total + x
    return total


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def branches(x):
    if x > 0:
        y = x
    else:
        y = -x
    return y


def test_loop_carried_value_keeps_its_name():
    src = s2sad.ssa_source(loop_sum)
    assert "total = total + x" in src, src
    assert "total_1" not in src, src


def test_branch_results_share_a_variable():
    src = s2sad.ssa_source(branches)
    assert "y = x" in src and "y = -x" in src, src
    assert "y_1" not in src, src


def test_swap_in_loop_is_correct_and_readable():
    src = s2sad.ssa_source(fib)
    g = s2sad.ssa_function(fib)
    assert [g(n) for n in range(10)] == [fib(n) for n in range(10)]
    assert "for _ in range(n):" in src, src


def test_emit_function_returns_namespace():
    fn = ssa_ir(textbook)
    src, ns = emit_function(fn)
    assert ns["np"] is np
    assert src == s2sad.ssa_source(textbook)


def test_non_literal_constants_are_bound():
    table = np.array([1.0, 2.0])

    def f(x):
        return x * table + float("inf")

    src = s2sad.ssa_source(f)
    ast.parse(src)
    np.testing.assert_array_equal(s2sad.ssa_function(f)(2.0), f(2.0))


def test_generated_names_are_not_keywords_or_clash_with_globals():
    def f(x):
        t = np.sum(x)
        np_ = t + 1
        return np_ * len(x)

    src = s2sad.ssa_source(f)
    tree = ast.parse(src)
    stores = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    assert not stores & {"np", "len"}, src
    assert s2sad.ssa_function(f)(np.ones(3)) == f(np.ones(3))


def test_every_generated_source_of_the_round_trip_corpus_parses():
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "frontend"))
    try:
        import test_roundtrip as corpus
    finally:
        sys.path.pop(0)
    for name, f, _ in corpus.CASES:
        src = s2sad.ssa_source(f)
        tree = ast.parse(src)
        assert isinstance(tree.body[0], ast.FunctionDef), name


def scaled_square_sum(x, k=2.0):
    return k * np.sum(x * x)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_defaults_stay_with_their_parameters(mode):
    # the seed/adjoint parameter comes after ``k=2.0``: the default must not slide onto it
    src = s2sad.derivative_source(scaled_square_sum, mode, args=(np.ones(2),))
    header = ast.parse(src).body[0].args
    names = [a.arg for a in header.args]
    defaults = dict(zip(names[len(names) - len(header.defaults):], header.defaults))
    assert "k" in names and all(name == "k" for name in defaults), src
