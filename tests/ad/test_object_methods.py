"""Methods of the user's classes called inside a differentiated function:
methods that rebind attributes of ``self`` (``c.add(v)``, named like a list
method or not) on an object built in the function or passed in, in loops and
branches; a module-level instance's method and ``__call__``; static and
class methods called through the class.  Each derivative is checked against
central differences in both modes."""
import numpy as np
import pytest

import s2sad
from s2sad.errors import NonDifferentiableError
from tests.ad.corpus import gradient_by_differences


class Acc:
    def __init__(self):
        self.total = 0.0

    def add(self, v):  # the name of set.add: a statement c.add(v) rebinds c
        self.total = self.total + v

    def inc(self, v):
        self.total = self.total + v

    def update(self, v):
        self.total = self.total * v
        return self.total


class Start:
    def __init__(self, t):
        self.total = t

    def add(self, v):
        self.total = self.total + v

    def scaled(self, v):
        return self.total * v


class Bag:
    def __init__(self):
        self.items = []

    def add(self, v):
        self.items.append(v)

    def total(self):
        s = 0.0
        for v in self.items:
            s = s + v
        return s


class Empty:
    def __init__(self):
        pass


class WithDefault:
    total = 1.5

    def __init__(self):
        pass

    def add(self, v):
        self.total = self.total + v


class Model:
    def __init__(self, w):
        self.w = w

    def f(self, x):
        return self.w * x ** 2

    def __call__(self, x):
        return self.w * np.sin(x)

    @staticmethod
    def s(x):
        return x ** 3

    @classmethod
    def c(cls, x):
        return x ** 3 * 2.0


class Child(Model):
    def f(self, x):
        return super().f(x) + x

    def g(self, x):
        return Model.f(self, x) * x


model = Model(3.0)


def add_once(x):
    c = Acc()
    c.add(x)
    return c.total


def add_in_loop(x):
    c = Acc()
    for i in range(3):
        c.add(x * i)
    return c.total


def inc_in_loop(x):
    c = Acc()
    for i in range(3):
        c.inc(x * i)
    return c.total


def add_then_update(x):
    c = Acc()
    c.add(x)
    c.update(x)
    return c.total


def add_in_branch(x):
    c = Acc()
    if x > 0:
        c.add(x * x)
    return c.total


def set_in_loop(x):
    c = Acc()
    for i in range(3):
        c.total = c.total + x * i
    return c.total


def set_in_branch(x):
    c = Acc()
    if x > 0:
        c.total = c.total + x * x
    return c.total


def set_on_both_branches(x):
    c = Empty()
    if x > 0:
        c.v = x * x
    else:
        c.v = -x
    return c.v * 2.0


def class_attribute_in_loop(x):
    c = WithDefault()
    for i in range(3):
        c.add(x * i)
    return c.total


def bag_add(x):
    b = Bag()
    for i in range(3):
        b.add(x * i)
    b.add(np.sin(x))
    return b.total()


def array_attribute(x):
    c = Start(np.zeros(3))
    for i in range(2):
        c.add(x * x)
    return np.sum(c.total)


def argument_add(o, x):
    o.add(x * x)
    return o.total * x


def argument_in_loop(o, x):
    for i in range(3):
        o.add(x * i)
        if i > 0:
            o.add(o.scaled(x))
    return o.total


def argument_set_in_loop(o, x):
    for i in range(3):
        o.total = o.total + x * i
    return o.total


def argument_set_in_branches(o, x):
    if x > 0:
        o.total = o.total + x * x
    else:
        o.total = o.total - x
    return o.total * x


def argument_while(o, x):
    k = 0
    while k < 3:
        o.total = o.total * x
        k += 1
    return o.total


def global_method(x):
    return model.f(x)


def global_call(x):
    return model(x) * x


def static_method(x):
    return Model.s(x)


def class_method(x):
    return Model.c(x)


def argument_call(m, x):
    return m(x) + x


def local_call(x):
    m = Model(2.0)
    return m(x) * x + m.s(x) + m.c(x)


def base_by_name(m, x):
    return m.g(x)


def first_set_in_loop(x):
    c = Empty()
    for i in range(3):
        c.v = x * i
    return c.v


def through_super(m, x):
    return m.f(x)


def check_both_modes(f, x, *before, make=None):
    """grad and jvp of ``f`` in its last argument against central
    differences; ``make`` builds the objects afresh for every evaluation (the
    function writes into them when Python runs it)."""
    def run(*args):
        return f(*(make() if make else before), *args)
    objects = make() if make else before
    n = len(objects)
    expected = gradient_by_differences(run, (x,), 0)
    g = s2sad.grad(f, argnums=n)(*objects, x)
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)
    t = np.ones_like(x) if isinstance(x, np.ndarray) else 1.0
    _, tangent = s2sad.jvp(f, (*objects, x), (*[None] * n, t))
    np.testing.assert_allclose(tangent, np.sum(expected), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", [add_once, add_in_loop, inc_in_loop, add_then_update,
                               add_in_branch, set_in_loop, set_in_branch,
                               set_on_both_branches, class_attribute_in_loop, bag_add,
                               global_method, global_call, static_method, class_method,
                               local_call])
@pytest.mark.parametrize("x", [0.7, -0.4])
def test_methods_of_objects_made_here_and_globals(f, x):
    check_both_modes(f, x)


def test_an_array_attribute_rebound_by_a_method():
    check_both_modes(array_attribute, np.array([0.3, 0.5, 0.9]))


@pytest.mark.parametrize("f", [argument_add, argument_in_loop, argument_set_in_loop,
                               argument_set_in_branches, argument_while])
@pytest.mark.parametrize("x", [0.7, -0.4])
def test_methods_that_rebind_attributes_of_an_argument(f, x):
    check_both_modes(f, x, make=lambda: (Start(0.5),))


def test_the_callers_object_is_left_alone():
    o = Start(0.5)
    s2sad.grad(argument_in_loop, argnums=1)(o, 0.7)
    s2sad.jvp(argument_in_loop, (o, 0.7), (None, 1.0))
    assert o.total == 0.5


@pytest.mark.parametrize("f, m", [(argument_call, Model(3.0)), (base_by_name, Child(3.0))])
def test_call_and_base_class_methods_of_an_argument(f, m):
    check_both_modes(f, 0.7, m)


def test_the_code_of_a_method_that_rebinds_an_attribute():
    src = s2sad.derivative_source(add_once, "forward", args=(0.7,))
    assert "None" not in src
    assert s2sad.jvp(add_once, (0.7,), (1.0,)) == (0.7, 1.0)


def test_a_global_method_redefined_recompiles():
    g = s2sad.grad(global_method)
    assert g(0.7) == pytest.approx(2 * 3.0 * 0.7)
    old = Model.f
    try:
        Model.f = lambda self, x: self.w * x ** 3
        assert g(0.7) == pytest.approx(3 * 3.0 * 0.7 ** 2)
        model.f = lambda x: x  # an instance's own attribute shadows the class's
        assert g(0.7) == pytest.approx(1.0)
    finally:
        Model.f = old
        del model.f
    assert g(0.7) == pytest.approx(2 * 3.0 * 0.7)


def test_an_attribute_first_set_in_a_loop_is_an_error():
    with pytest.raises(NonDifferentiableError, match="first set in this loop"):
        s2sad.grad(first_set_in_loop)(0.7)


def test_super_calls_the_base_method_of_every_subclass_there_is():
    # Child has no subclass that puts another class before Model: super() is Model
    g = s2sad.grad(through_super, argnums=1)(Child(3.0), 0.7)
    h = 1e-6
    m = Child(3.0)
    assert g == pytest.approx((through_super(m, 0.7 + h) - through_super(m, 0.7 - h)) / (2 * h),
                              rel=1e-6)
    old = Model.f
    try:  # the base method redefined: compiled again
        Model.f = lambda self, x: self.w * x ** 3
        assert s2sad.grad(through_super, argnums=1)(Child(3.0), 0.7) == \
            pytest.approx(3 * 3.0 * 0.7 ** 2 + 1.0)
    finally:
        Model.f = old
