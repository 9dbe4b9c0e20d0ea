"""Error messages say the real cause first, with the caret under the call
(issue 17).  Every expected column is computed from the source line itself."""
import functools
import inspect
import statistics
import zlib

import numpy as np
import pytest

import s2sad
from s2sad.errors import (LibraryFunctionError, NonDifferentiableError, S2sadError,
                          SourceError)
from s2sad.ir.nodes import Loc


def fd(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def line_of(exc):
    """The source line an error names (its file, its line)."""
    import linecache
    return linecache.getline(exc.filename, exc.lineno).rstrip("\n")


def caret_column(exc):
    """The 0-based column of the line the caret of ``str(exc)`` stands under."""
    lines = str(exc).splitlines()
    shown = lines[1]
    caret = lines[2]
    assert caret.strip() == "^", str(exc)
    text = line_of(exc)
    indent = len(text) - len(text.lstrip())
    assert shown == "    " + text.strip()
    return caret.index("^") - 4 + indent


def assert_points_at(exc, snippet):
    """The error's column, its ``file:line:col`` and its caret all stand at the
    first character of ``snippet`` in the line it names."""
    text = line_of(exc)
    expected = text.index(snippet)
    assert exc.col == expected, (exc.col, expected, str(exc))
    assert str(exc).splitlines()[0].startswith(f"{exc.filename}:{exc.lineno}:{expected + 1}: ")
    assert caret_column(exc) == expected


# ---------------------------------------------------------------------------
# An undefined name: said as Python says it, with the caret under the call
# ---------------------------------------------------------------------------
def undefined_at_top(x):
    return x * 2.0 + undefined_thing(x)  # noqa: F821


def undefined_in_branch(x):
    if x > 0:
        y = x + undefined_thing(x)  # noqa: F821
    else:
        y = x
    return y


def undefined_in_loop_in_branch(x):
    s = 0.0
    if x > 0:
        for i in range(2):
            if i >= 0:
                s = s + np.sin(x) * undefined_thing(x, i)  # noqa: F821
    return s


class Model:
    def loss(self, x):
        if x > 0:
            return 3.0 * undefined_thing(x)  # noqa: F821
        return x


@pytest.mark.parametrize("fn", [undefined_at_top, undefined_in_branch,
                                undefined_in_loop_in_branch, Model().loss])
@pytest.mark.parametrize("how", ["grad", "jvp"])
def test_an_undefined_name_is_said_undefined_under_the_call(fn, how):
    with pytest.raises(NonDifferentiableError) as info:
        if how == "grad":
            s2sad.grad(fn)(1.0)
        else:
            s2sad.jvp(fn, (1.0,), (1.0,))
    exc = info.value
    message = str(exc).splitlines()[0]
    assert "name 'undefined_thing' is not defined" in message
    assert "an undefined name" in message
    assert "no derivative rule" not in str(exc)
    assert exc.filename == __file__
    assert_points_at(exc, "undefined_thing(")
    assert "define or import undefined_thing" in str(exc)


def undefined_on_a_later_line(x):
    y = (x * 2.0 +
         np.sin(x) * undefined_thing(x))  # noqa: F821
    return y


def test_a_call_on_a_later_line_of_its_statement():
    with pytest.raises(NonDifferentiableError) as info:
        s2sad.grad(undefined_on_a_later_line)(1.0)
    exc = info.value
    assert "undefined_thing(x))" in line_of(exc) and "name 'undefined_thing'" in str(exc)
    assert_points_at(exc, "undefined_thing(")


def test_the_column_counts_characters_not_bytes():
    f = s2sad.from_source('''
def f(x):
    s = "ééé"; return x + undefined_thing(x)
''')
    with pytest.raises(NonDifferentiableError) as info:
        s2sad.grad(f)(1.0)
    assert_points_at(info.value, "undefined_thing(")


# ---------------------------------------------------------------------------
# A missing global: from_source's text runs in a namespace of its own
# ---------------------------------------------------------------------------
def test_from_source_without_globals_says_np_is_missing():
    f = s2sad.from_source('''
def f(x):
    if x > 0:
        return 1.0 + np.cos(x)
    return x
''')
    with pytest.raises(NonDifferentiableError) as info:
        s2sad.grad(f)(1.0)
    exc = info.value
    text = str(exc)
    assert "name 'np' is not defined" in text.splitlines()[0]
    assert "s2sad.from_source was given no globals" in text
    assert "a missing global" in text
    assert "globals={'np': np}" in text and "globals=globals()" in text
    assert ".cos()" not in text.replace("np.cos()", "")  # not "the method .cos()"
    assert_points_at(exc, "np.cos(")
    # with the globals, it works (and is right)
    g = s2sad.from_source(inspect.getsource(f), globals={"np": np})
    assert s2sad.grad(g)(1.0) == pytest.approx(fd(g, 1.0))


def test_from_source_with_globals_that_lack_the_name():
    f = s2sad.from_source('''
def f(x):
    return x * np.linalg.norm(x)
''', globals={"numpy": np})
    with pytest.raises(NonDifferentiableError) as info:
        s2sad.grad(f)(np.ones(3))
    text = str(info.value)
    assert "the globals given to s2sad.from_source have no 'np'" in text
    assert "np.linalg.norm()" in text
    assert_points_at(info.value, "np.linalg.norm(")


# ---------------------------------------------------------------------------
# A library function with source s2sad cannot differentiate, and no rule
# ---------------------------------------------------------------------------
def mean_of(xs):
    if xs:
        return 2.0 * statistics.mean(xs)
    return 0.0


def test_a_library_function_says_what_it_is_and_what_to_do():
    with pytest.raises(LibraryFunctionError) as info:
        s2sad.grad(mean_of)([1.0, 2.0])
    exc = info.value
    text = str(exc)
    assert isinstance(exc, NonDifferentiableError)
    assert exc.function is statistics.mean
    assert text.splitlines()[0].split(": ", 1)[1].startswith(
        "statistics.mean is a library function with no derivative rule, and s2sad "
        "cannot differentiate its source: 'try' is not supported")
    assert "call np.mean(xs) instead" in text
    assert "@s2sad.defvjp(statistics.mean)" in text and "defpartials(statistics.mean)" in text
    assert "check the condition with an if statement" not in text  # no advice to edit the library


def test_a_library_error_placed_at_the_users_call():
    """What the derivative transforms do with it at a call (at_call): the same
    message, at the user's line and column."""
    with pytest.raises(LibraryFunctionError) as info:
        s2sad.grad(mean_of)([1.0, 2.0])
    lines, start = inspect.getsourcelines(mean_of)
    k = next(i for i, t in enumerate(lines) if "statistics.mean(" in t)
    text = lines[k].rstrip("\n")
    loc = Loc(__file__, start + k, text.index("statistics.mean("), text.strip())
    placed = info.value.at_call(loc, statistics.mean)
    assert placed.message == info.value.message and placed.placed
    assert placed.filename == __file__
    assert_points_at(placed, "statistics.mean(")
    assert placed.at_call(Loc(__file__, 1, 0, "x"), statistics.mean) is placed  # once
    assert info.value.at_call(loc, mean_of) is info.value  # another function's call


def test_a_library_function_error_is_at_the_users_line():
    with pytest.raises(LibraryFunctionError) as info:
        s2sad.grad(mean_of)([1.0, 2.0])
    assert info.value.filename == __file__
    assert_points_at(info.value, "statistics.mean(")


# ---------------------------------------------------------------------------
# A built-in with no source and no rule
# ---------------------------------------------------------------------------
def checksum_loss(x):
    if x > 0:
        y = 2.0 * zlib.crc32(x)
    return y


def test_a_builtin_without_source_or_rule_says_so():
    with pytest.raises(NonDifferentiableError) as info:
        s2sad.grad(checksum_loss)(1.0)
    text = str(info.value)
    assert text.splitlines()[0].endswith(
        "no derivative rule for zlib.crc32: a built-in function, with no Python source to "
        "differentiate through (a call with no source and no rule)")
    assert "@s2sad.defvjp(zlib.crc32)" in text
    assert_points_at(info.value, "zlib.crc32(")


# ---------------------------------------------------------------------------
# min and max of a list literal work
# ---------------------------------------------------------------------------
def min_of_list(x):
    return min([x, 5.0]) * max([x * x, 2.0])


@pytest.mark.parametrize("x", [1.0, 0.3, 7.0])
def test_min_and_max_of_a_list_literal(x):
    expected = fd(min_of_list, x)
    assert s2sad.grad(min_of_list)(x) == pytest.approx(expected, rel=1e-6)
    assert s2sad.jvp(min_of_list, (x,), (1.0,))[1] == pytest.approx(expected, rel=1e-6)


# ---------------------------------------------------------------------------
# functools.partial: the right function and parameters
# ---------------------------------------------------------------------------
def base(a, y):
    return a * y + np.sin(a)


def partial_keyword_then_position(x):
    g = functools.partial(base, a=1.0)
    return g(x)


def nested_partial_keyword_then_position(x):
    def inner(a, y):
        return a * y

    g = functools.partial(inner, a=1.0)
    return g(x)


def nested_partial_missing(x):
    def inner(a, y):
        return a * y

    g = functools.partial(inner, y=1.0)
    return g(y=x)


def test_partial_called_with_a_parameter_twice():
    with pytest.raises(NonDifferentiableError) as info:
        s2sad.grad(partial_keyword_then_position)(2.0)
    text = str(info.value)
    assert "base() got multiple values for argument 'a'" in text
    assert "(called as functools.partial(base, a=...))" in text
    assert "Python raises TypeError here" in text
    assert_points_at(info.value, "g(x)")
    with pytest.raises(TypeError, match="multiple values for argument 'a'"):
        partial_keyword_then_position(2.0)  # as Python says


def test_nested_partial_names_the_function_and_its_parameters():
    with pytest.raises(SourceError) as info:
        s2sad.grad(nested_partial_keyword_then_position)(2.0)
    text = str(info.value)
    assert "inner() got multiple values for argument 'a' (called as " \
           "functools.partial(inner, a=...))" in text
    assert "missing" not in text
    assert_points_at(info.value, "g(x)")
    with pytest.raises(SourceError) as info:
        s2sad.grad(nested_partial_missing)(2.0)
    text = str(info.value)
    assert "inner() is missing arguments: a (called as functools.partial(inner, y=...))" in text
    assert_points_at(info.value, "g(y=x)")


def test_a_partial_that_leaves_keyword_only_parameters():
    with pytest.raises(S2sadError) as info:
        s2sad.grad(functools.partial(base, a=1.0))
    text = str(info.value)
    assert "functools.partial(base, a=...) leaves base's parameter y keyword-only" in text
    assert "lambda y: base(a=..., y=y)" in text


def test_partials_that_fix_the_last_parameters_work():
    p = functools.partial(base, y=3.0)
    assert s2sad.grad(p)(2.0) == pytest.approx(fd(p, 2.0))
    q = functools.partial(base, 2.0)
    assert s2sad.grad(q)(3.0) == pytest.approx(fd(q, 3.0))

    def uses(x):
        g = functools.partial(base, y=x)
        return g(2.0) + functools.partial(base, y=1.5)(x)

    assert s2sad.grad(uses)(0.7) == pytest.approx(fd(uses, 0.7))


def direct_mismatch(x):
    if x > 0:
        return 1.0 + base(x, a=1.0)
    return x


def test_a_call_that_does_not_match_its_callee():
    with pytest.raises(NonDifferentiableError) as info:
        s2sad.grad(direct_mismatch)(2.0)
    assert "base() got multiple values for argument 'a': the call does not match base's " \
           "parameters" in str(info.value)
    assert_points_at(info.value, "base(x, a=1.0)")


def test_errors_without_a_cause_keep_their_message():
    """A location without a cause formats as before (the statement's message)."""
    from s2sad.errors import at_location
    first = '"""Error messages say the real cause first, with the caret under the call'
    loc = Loc(__file__, 1, 0, first)
    err = at_location(NonDifferentiableError, "plain message", loc, "a hint")
    assert str(err).splitlines()[0] == f"{__file__}:1:1: plain message"
    assert str(err).splitlines()[-1] == "a hint"
