"""Errors for input s2sad cannot transform.

Each unsupported construct raises :class:`s2sad.UnsupportedSyntaxError` that
points at the offending node (file, 1-based line, 0-based column), shows the
line with a caret under that column, and says what to write instead.  The line
of each offending node below carries a ``# ERR <token>`` comment: the expected
column is where ``<token>`` starts on that line.
"""
import contextlib
import functools
import inspect
import sys
import textwrap

import numpy as np
import pytest

import s2sad
from s2sad.errors import S2sadError

G = 0


# ---------------------------------------------------------------------------
# The unsupported constructs
# ---------------------------------------------------------------------------
def uses_yield(x):
    y = x + 1
    yield y  # ERR yield


def uses_yield_expression(x):
    got = yield x  # ERR yield
    return got


def uses_yield_from(xs):
    yield from xs  # ERR yield


async def uses_async(x):  # ERR async
    return x


async def uses_await(x):  # ERR async
    y = await x
    return y


def uses_try(x):
    try:  # ERR try
        y = 1 / x
    except ZeroDivisionError:
        y = 0.0
    return y


def uses_with(x):
    with open(x) as fh:  # ERR with
        return fh.read()


def uses_global_write(x):
    global G  # ERR global
    G = x
    return x


def make_nonlocal():
    count = 0

    def bump(k):
        nonlocal count  # ERR nonlocal
        count += k
        return count
    return bump


uses_nonlocal = make_nonlocal()


def uses_del(x):
    y = x * 2
    del y  # ERR del
    return x


def uses_nested_def(x):
    @staticmethod  # ERR staticmethod
    def helper(v):
        return v + 1
    return helper(x)  # a decorated nested def


def uses_lambda(xs):
    key = lambda *v: -v[0]  # noqa: E731  # ERR lambda
    return key(xs)


def uses_lambda_argument(xs):
    return np.apply_along_axis(lambda v: -v, 0, xs)  # ERR lambda


def uses_import(x):
    import math  # ERR import
    return math.sin(x)


def uses_from_import(x):
    from math import sin  # ERR from
    return sin(x)


def uses_class(x):
    class Local:  # ERR class
        pass
    return Local()


def uses_raise_from(x):
    if x < 0:
        raise ValueError("negative") from None  # ERR raise
    return x


def uses_yield_in_loop(xs):
    total = 0
    for x in xs:
        if x:
            total += x
        else:
            yield total  # ERR yield
    return total


def uses_try_after_loop(xs):
    out = []
    for x in xs:
        out.append(x)
    try:  # ERR try
        out.sort()
    finally:
        pass
    return out


class Model:
    def uses_with_in_method(self, x):
        with contextlib.suppress(ZeroDivisionError):  # ERR with
            return np.log(x)


def passthrough(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


@passthrough
def decorated_uses_del(x):
    del x  # ERR del


CASES = [
    ("yield", uses_yield, "yield"),
    ("yield_expression", uses_yield_expression, "yield"),
    ("yield_from", uses_yield_from, "yield"),
    ("async_def", uses_async, "async"),
    ("await", uses_await, "async"),
    ("try", uses_try, "try"),
    ("with", uses_with, "with"),
    ("global", uses_global_write, "global"),
    ("nonlocal", uses_nonlocal, "nonlocal"),
    ("del", uses_del, "del"),
    ("nested_def", uses_nested_def, "decorated nested function"),
    ("lambda", uses_lambda, "lambda"),
    ("lambda_argument", uses_lambda_argument, "function value"),
    ("import", uses_import, "import"),
    ("from_import", uses_from_import, "from ... import"),
    ("class", uses_class, "class"),
    ("raise_from", uses_raise_from, "raise ... from"),
    ("yield_in_loop", uses_yield_in_loop, "yield"),
    ("try_after_loop", uses_try_after_loop, "try"),
    ("with_in_method", Model.uses_with_in_method, "with"),
    ("with_in_bound_method", Model().uses_with_in_method, "with"),
    # the function under an unknown decorator, skipped with __wrapped__ (the
    # decorated function itself is a DecoratorError: tests/frontend/test_decorators.py)
    ("decorated", decorated_uses_del.__wrapped__, "del"),
]


def expected_location(f):
    """(filename, lineno, col, line) of the ``# ERR token`` line of f's source."""
    f = inspect.unwrap(getattr(f, "__func__", f))
    lines, start = inspect.getsourcelines(f)
    for k, line in enumerate(lines):
        if "# ERR " in line:
            token = line.split("# ERR ", 1)[1].strip()
            return inspect.getsourcefile(f), start + k, line.index(token), line
    raise AssertionError(f"no '# ERR' marker in {f.__name__}")


def check_error(f, err, cls=s2sad.UnsupportedSyntaxError):
    assert type(err) is cls, repr(err)
    filename, lineno, col, line = expected_location(f)
    assert err.filename == filename
    assert err.lineno == lineno, str(err)
    assert err.col == col, str(err)
    text = str(err)
    out = text.splitlines()
    assert out[0].startswith(f"{filename}:{lineno}:{col + 1}: "), text
    code = line.split("#")[0].strip()
    # the source line, then a caret under the column
    k = next(i for i, t in enumerate(out) if code in t)
    shown = out[k]
    caret = out[k + 1]
    assert caret.strip() == "^", text
    assert shown[caret.index("^"):].startswith(line[col:col + 3]), text
    assert err.hint, "no hint"
    assert err.hint in text


@pytest.mark.parametrize("f, what", [pytest.param(f, what, id=name) for name, f, what in CASES])
def test_unsupported_construct(f, what):
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.ssa_source(f)
    check_error(f, info.value)
    assert what in str(info.value)
    # the same for every entry point
    with pytest.raises(s2sad.UnsupportedSyntaxError):
        s2sad.ssa_function(f)


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match needs Python 3.10")
def test_match_statement():
    from match_cases import uses_match
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.ssa_source(uses_match)
    check_error(uses_match, info.value)
    assert "if/elif" in info.value.hint


def test_errors_are_s2sad_errors():
    assert issubclass(s2sad.UnsupportedSyntaxError, s2sad.SourceError)
    assert issubclass(s2sad.SourceError, s2sad.S2sadError)
    assert issubclass(s2sad.SourceUnavailableError, s2sad.S2sadError)


def test_starred_expression_outside_a_literal():
    # ``y = *x`` is a SyntaxError for Python itself; starred targets alone too
    for src in ("def f(x):\n    y = *x\n    return y\n",
                "def f(x):\n    *y = x\n    return y\n"):
        with pytest.raises(SyntaxError):
            compile(src, "<test>", "exec")


# ---------------------------------------------------------------------------
# Reading a local before it is assigned
# ---------------------------------------------------------------------------
def reads_before_assignment(x):
    y = z + x  # ERR z
    z = 1
    return y


def reads_loop_variable_too_early(xs):
    total = item  # ERR item
    for item in xs:
        total += item
    return total


def augments_unassigned_local(x):
    count += x  # ERR count
    return count


@pytest.mark.parametrize("f", [reads_before_assignment, reads_loop_variable_too_early,
                               augments_unassigned_local])
def test_local_read_before_assignment(f):
    with pytest.raises(s2sad.SourceError) as info:
        s2sad.ssa_source(f)
    check_error(f, info.value, cls=s2sad.SourceError)
    assert "before it is assigned" in str(info.value)


# ---------------------------------------------------------------------------
# Source that cannot be found
# ---------------------------------------------------------------------------
def test_source_unavailable_exec():
    ns = {}
    exec("def made_by_exec(x):\n    return x + 1\n", ns)
    with pytest.raises(s2sad.SourceUnavailableError) as info:
        s2sad.ssa_source(ns["made_by_exec"])
    assert "from_source" in str(info.value)
    # from_source is the way
    g = s2sad.from_source("def made_by_exec(x):\n    return x + 1\n")
    assert s2sad.ssa_function(g)(1) == 2


def test_source_unavailable_compiled_objects():
    for obj in (len, np.sin, functools.partial(pow, 2), 42, "def f(): pass"):
        with pytest.raises(s2sad.SourceUnavailableError):
            s2sad.ssa_source(obj)


def test_errors_in_from_source_point_into_the_text():
    f = s2sad.from_source('''
    def f(x):
        y = x + 1
        with open(y):
            pass
        return y
    ''')
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.ssa_source(f)
    err = info.value
    assert err.filename == f.__code__.co_filename
    assert (err.lineno, err.col) == (4, 4)  # the text starts with an empty line
    assert "with open(y):" in str(err)


def test_error_column_counts_characters_not_bytes():
    f = s2sad.from_source('''
    def f(x):
        s = "ππππ"; del x
        return s
    ''')
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.ssa_source(f)
    line = 's = "ππππ"; del x'
    assert info.value.col == 4 + line.index("del")
    lines = str(info.value).splitlines()
    k = next(i for i, t in enumerate(lines) if line in t)
    assert lines[k][lines[k + 1].index("^"):].startswith("del")


# ---------------------------------------------------------------------------
# No internal error leaks out for bad input
# ---------------------------------------------------------------------------
BAD_SOURCES = [
    "def f(x):\n    try:\n        pass\n    finally:\n        pass\n",
    "def f(x):\n    for i in x:\n        yield i\n",
    "def f(x):\n    y = (yield)\n    return y\n",
    "async def f(x):\n    return [v async for v in x]\n",
    "def f(x):\n    def g():\n        pass\n    return g\n",
    "def f(x):\n    del x[0]\n    return x\n",
    "def f(x):\n    return (lambda *a: x)()\n",
    "def f(x):\n    global y\n    y = x\n",
    "def f(x):\n    class C: pass\n    return C\n",
    "def f(x):\n    import os\n    return os\n",
    "def f(x):\n    raise ValueError() from x\n",
    "def f(x):\n    with x:\n        pass\n",
    "def f(x):\n    y = z\n    z = 1\n    return y\n",
    "def f(x):\n    if x:\n        z = 1\n    for i in x:\n        del i\n",
    "def f(x):\n    while x:\n        try:\n            break\n        except Exception:\n            continue\n",
    "async def f(x):\n    async for v in x:\n        pass\n",
    "async def f(x):\n    async with x:\n        pass\n",
]


@pytest.mark.parametrize("src", BAD_SOURCES, ids=range(len(BAD_SOURCES)))
def test_no_internal_error_leaks(src):
    f = s2sad.from_source(src)
    with pytest.raises(S2sadError) as info:
        s2sad.ssa_source(f)
    assert isinstance(info.value, s2sad.SourceError)
    assert info.value.lineno is not None and info.value.col is not None
    assert info.value.hint
    with pytest.raises(S2sadError):
        s2sad.ssa_function(f)


def test_no_internal_error_for_odd_callables():
    class Callable:
        def __call__(self, x):
            return x

    for obj in (Callable(), Callable, print, np.add, type, object(), None):
        with pytest.raises(S2sadError):
            s2sad.ssa_source(obj)


def test_message_format():
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.ssa_source(uses_try)
    text = str(info.value)
    filename, lineno, col, line = expected_location(uses_try)
    lines = text.splitlines()
    assert lines[0] == f"{filename}:{lineno}:{col + 1}: 'try' is not supported by s2sad"
    assert lines[1] == "    " + line.strip()
    assert lines[2] == "    ^"
    assert lines[3] == info.value.hint
