"""Decorators: the ones known not to change what a function computes are
differentiated through; any other (a ``functools.wraps`` wrapper) is an error
that names it, for the function differentiated and for a decorated helper it
calls.  Derivatives are checked against central finite differences."""
import functools
import inspect
import math

import numpy as np
import pytest

import s2sad
from s2sad.errors import DecoratorError, SourceUnavailableError


def fd(f, x, eps=1e-6):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def assert_grad(f, x, g=None):
    """grad (reverse) and jvp (forward) of f at x agree with finite differences;
    ``g`` is what s2sad differentiates (default: f)."""
    g = f if g is None else g
    want = fd(f, x)
    assert s2sad.grad(g)(x) == pytest.approx(want, rel=1e-6)
    assert s2sad.jvp(g, (x,), (1.0,))[1] == pytest.approx(want, rel=1e-6)


# ---------------------------------------------------------------------------
# Transparent decorators
# ---------------------------------------------------------------------------
@functools.cache
def cached(x):
    return math.sin(x) * x * x


@functools.lru_cache(maxsize=None)
def lru_unbounded(x):
    return math.exp(-x) * x


@functools.lru_cache(maxsize=16)
def lru_bounded(x):
    return x ** 3 - 2.0 * x


@pytest.mark.parametrize("f", [cached, lru_unbounded, lru_bounded],
                         ids=["cache", "lru_cache_none", "lru_cache_16"])
def test_cache_decorators_are_differentiated_through(f):
    assert isinstance(f, functools._lru_cache_wrapper)
    assert_grad(f, 0.7)


def calls_cached(x):
    return 2.0 * cached(x) + lru_unbounded(x)


def test_a_cached_helper_is_differentiated_through():
    assert_grad(calls_cached, 0.9)


class Shape:
    K = 3.0

    @staticmethod
    def area(x):
        return x * x * math.pi

    @classmethod
    def scaled(cls, x):
        return cls.K * math.sin(x)


def test_staticmethod_and_classmethod():
    assert_grad(Shape.area, 1.2)                       # the function itself
    assert_grad(Shape.area, 1.2, Shape.__dict__["area"])  # the staticmethod object
    assert_grad(Shape.scaled, 0.4)                      # a method bound to the class
    raw = Shape.__dict__["scaled"]                      # the classmethod object
    assert isinstance(raw, classmethod)
    assert s2sad.grad(raw, 1)(Shape, 0.4) == pytest.approx(fd(Shape.scaled, 0.4), rel=1e-6)


@s2sad.differentiate
def own(x):
    return x * math.cos(x)


def calls_own(x):
    return own(x) * 3.0


def test_s2sad_differentiate_is_seen_through():
    assert own.grad(0.3) == pytest.approx(fd(own, 0.3), rel=1e-6)
    assert_grad(own, 0.3)        # grad of the decorated object
    assert_grad(calls_own, 0.3)  # and as a helper


def test_derived_objects_still_differentiate_again():
    g = s2sad.grad(own)
    assert s2sad.grad(g)(0.3) == pytest.approx(fd(g, 0.3), rel=1e-5)


class CPUDispatcher:
    """Stands for what ``numba.njit`` returns: a dispatcher whose ``py_func`` is
    the Python function (s2sad never imports numba; it knows it by the module
    of the dispatcher's type)."""

    __module__ = "numba.core.registry"

    def __init__(self, py_func):
        self.py_func = py_func
        self.__name__ = py_func.__name__

    def __call__(self, *args):
        return self.py_func(*args)


def _jitted(x):
    return math.tanh(x) * x + 1.0


jitted = CPUDispatcher(_jitted)


def calls_jitted(x):
    return jitted(x) * x


def test_numba_dispatchers_differentiate_their_py_func():
    assert type(jitted).__module__.startswith("numba")
    assert_grad(jitted, 0.8)
    assert_grad(calls_jitted, 0.8)


class NotNumba:
    """A py_func alone is not enough: the type must come from numba."""

    def __init__(self, f):
        self.py_func = f

    def __call__(self, x):
        return self.py_func(x)


def test_an_object_with_py_func_that_is_not_numba_is_not_a_function():
    with pytest.raises(SourceUnavailableError):
        s2sad.grad(NotNumba(_jitted))(0.8)


# ---------------------------------------------------------------------------
# Decorators s2sad does not know
# ---------------------------------------------------------------------------
def tenfold(f):
    @functools.wraps(f)
    def w(x):
        return 10 * f(x)
    return w


@tenfold
def square(x):
    return x * x


def calls_square(x):
    return square(x) + x


WRAPPER_LINE = tenfold(math.sin).__code__.co_firstlineno  # w's first line (its decorator)
assert WRAPPER_LINE == inspect.getsourcelines(tenfold)[1] + 1


def check_decorator_error(err):
    text = str(err)
    assert "'tenfold.<locals>.w'" in text  # the wrapper, by its code's qualified name
    assert f"{__file__}:{WRAPPER_LINE}" in text  # where it is defined
    assert "'square'" in text
    assert "square.__wrapped__" in text
    assert "@s2sad.defvjp(square)" in text and "@s2sad.defjvp(square)" in text


def test_an_unknown_decorator_is_an_error_naming_it():
    assert square(3.0) == 90.0  # s2sad used to say 6 here
    with pytest.raises(DecoratorError) as info:
        s2sad.grad(square)(3.0)
    check_decorator_error(info.value)
    assert isinstance(info.value, SourceUnavailableError)
    with pytest.raises(DecoratorError):
        s2sad.jvp(square, (3.0,), (1.0,))
    with pytest.raises(DecoratorError):
        s2sad.ssa_source(square)


def test_an_unknown_decorator_on_a_helper_is_an_error_naming_it():
    with pytest.raises(DecoratorError) as info:
        s2sad.grad(calls_square)(3.0)
    check_decorator_error(info.value)
    with pytest.raises(DecoratorError):
        s2sad.jvp(calls_square, (3.0,), (1.0,))


@tenfold
def tenfold_cube(x):
    return x * x * x


@s2sad.defvjp(tenfold_cube)
def tenfold_cube_vjp(x, *, ans, ans_bar):
    return ans_bar * 30.0 * x * x


@s2sad.defjvp(tenfold_cube)
def tenfold_cube_jvp(x, *, ans, x_dot):
    return 30.0 * x * x * x_dot


def calls_tenfold_cube(x):
    return tenfold_cube(x) - x


def test_the_ways_on_the_error_offers():
    # skip the decorator: the function under it
    assert s2sad.grad(square.__wrapped__)(3.0) == pytest.approx(6.0)
    # or give the decorated function a rule: its callers use it
    assert calls_tenfold_cube(1.3) == pytest.approx(10 * 1.3 ** 3 - 1.3)
    assert_grad(calls_tenfold_cube, 1.3)


class Tracing:
    """A decorator written as a class (functools.update_wrapper on an instance)."""

    def __init__(self, f):
        functools.update_wrapper(self, f)
        self.f = f

    def __call__(self, x):
        return self.f(x) + 1.0


@Tracing
def traced(x):
    return x * x


def test_an_unknown_class_decorator_is_an_error_naming_it():
    with pytest.raises(DecoratorError) as info:
        s2sad.grad(traced)(2.0)
    text = str(info.value)
    assert "'Tracing'" in text and "traced.__wrapped__" in text
    line = inspect.getsourcelines(Tracing.__call__)[1]
    assert f"{__file__}:{line}" in text


def test_partial_is_still_an_error():
    with pytest.raises(SourceUnavailableError, match="partial"):
        s2sad.ssa_source(functools.partial(lambda x, y: x * y, 2.0))


def test_a_known_decorator_over_an_unknown_one_is_an_error():
    inner_unknown = functools.lru_cache(maxsize=None)(square)
    with pytest.raises(DecoratorError, match="tenfold"):
        s2sad.grad(inner_unknown)(3.0)


def test_arrays_through_a_cached_helper_of_a_differentiated_object():
    @s2sad.differentiate
    def norm2(v):
        return np.sum(v * v)

    v = np.array([1.0, -2.0, 0.5])
    assert np.allclose(s2sad.grad(norm2)(v), 2 * v)


def test_a_wrapper_is_named_by_where_it_is_defined_before_python_3_11():
    # Python 3.9 and 3.10 have no co_qualname: the enclosing defs are read instead
    from s2sad.frontend.source import _code_qualname

    class Holder:
        def method(self):
            def inner():
                pass
            return inner

    for fn, want in ((tenfold(abs), "tenfold.<locals>.w"),
                     (Holder().method(), "Holder.method.<locals>.inner")):
        code = fn.__code__

        class Old:  # a code object as Python 3.10 has it
            co_filename, co_firstlineno, co_name = \
                code.co_filename, code.co_firstlineno, code.co_name

        assert _code_qualname(Old).endswith(want)
