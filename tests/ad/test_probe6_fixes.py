"""Programs a probe of unseen code got wrong: each checked in both modes against
central finite differences."""
import numpy as np
import pytest

import s2sad
from tests.ad.corpus import gradient_by_differences


def _check(f, args, i=0):
    expected = gradient_by_differences(f, args, i)
    assert np.allclose(s2sad.grad(f, argnums=i)(*args), expected, rtol=1e-6, atol=1e-8)
    assert np.allclose(s2sad.jacfwd(f, argnums=i)(*args), expected, rtol=1e-6, atol=1e-8)
    value, _ = s2sad.jvp(f, args, tuple(np.ones_like(a) if k == i else np.zeros_like(a)
                                        for k, a in enumerate(args)))
    assert value == pytest.approx(f(*args))


def enumerate_twice(c):
    s = 0.0
    for k, ck in enumerate(c):
        s += k * ck
    t = 0.0
    for k, ck in enumerate(c):  # a second iterator over the same sequence
        t += ck ** 2
    return s + t


def enumerate_then_comprehension(x):
    s = 0.0
    for i, t in enumerate(x):
        s += i * t
    m = [t ** 2 for i, t in enumerate(x)]
    return s + m[0] * m[1]


@pytest.mark.parametrize("f", [enumerate_twice, enumerate_then_comprehension])
def test_two_enumerates_of_one_sequence_have_tangent_iterators_of_their_own(f):
    _check(f, (np.array([0.5, -1.0, 0.3]),))


def generator_read_twice(x):
    g = (t ** 2 for t in x)
    a = sum(g)
    b = sum(g)  # exhausted: 0.0, as in Python
    return a + 100.0 * b


def test_a_generator_read_twice_is_exhausted_the_second_time():
    x = np.array([0.5, -1.0, 0.3])
    value, tangent = s2sad.jvp(generator_read_twice, (x,), (np.ones(3),))
    assert value == pytest.approx(generator_read_twice(x)) == pytest.approx(1.34)
    assert tangent == pytest.approx(np.sum(2 * x))
    assert np.allclose(s2sad.jacfwd(generator_read_twice)(x), 2 * x)
    with pytest.raises(s2sad.NonDifferentiableError, match="this generator is read in more"):
        s2sad.grad(generator_read_twice)(x)


def generator_kept_then_read(x):
    g = (np.sin(t) for t in x)
    s = 0.0
    for v in g:
        s += v * v
    return s + max(t * 2.0 for t in x)


def test_a_generator_kept_in_a_name_and_read_once():
    _check(generator_kept_then_read, (np.array([0.5, -1.0, 0.3]),))
    v, _ = s2sad.value_and_grad(generator_kept_then_read)(np.array([0.5, -1.0, 0.3]))
    assert v == pytest.approx(generator_kept_then_read(np.array([0.5, -1.0, 0.3])))


def unbound_methods(x):
    xs = [1.0]
    list.append(xs, x ** 2)
    list.extend(xs, [x, 2.0 * x])
    a = np.array([x, x * x])
    return sum(xs) * 3.0 + np.ndarray.sum(a) * x


def test_a_method_called_on_its_type_is_a_method_of_its_first_argument():
    _check(unbound_methods, (0.7,))


def grouped_by_setdefault(x):
    d = {}
    for i, v in enumerate(x):
        d.setdefault(i % 2, []).append(v ** 2)
    return sum(d[0]) * 2.0 + sum(d[1])


def set_default_values(x):
    d = {"a": 1.0}
    u = d.setdefault("a", x[0])  # there: d["a"], and x[0] is not stored
    w = d.setdefault("b", x[1] ** 2)
    return u * w + d["b"] + d.setdefault("b") * x[2]


@pytest.mark.parametrize("f", [grouped_by_setdefault, set_default_values])
def test_setdefault_gives_the_dicts_own_entry(f):
    _check(f, (np.array([0.5, -1.0, 0.3, 0.8]),))


class Box:
    def __init__(self, a):
        self.a = a


def written_through_dunder_dict(x):
    b = Box(1.0)
    b.__dict__["a"] = x ** 2
    return b.a * 3.0


@pytest.mark.parametrize("mode", ["grad", "jacfwd"])
def test_writes_through_an_objects_dict_are_refused(mode):
    with pytest.raises(s2sad.S2sadError, match="__dict__") as info:
        getattr(s2sad, mode)(written_through_dunder_dict)(0.7)
    assert "setattr(obj, 'a', v)" in str(info.value) and "^" in str(info.value)


def weighted_by_key(params):
    s = 0.0
    for k in sorted(params):
        s += np.sum(params[k] ** 2) * (2.0 if k.startswith("W") else 1.0)
    return s


@pytest.mark.parametrize("mode", ["grad", "jacfwd"])
def test_string_methods_of_a_dicts_keys_carry_no_derivative(mode):
    params = {"W1": np.array([0.3, 0.5]), "b1": np.array([0.1])}
    g = getattr(s2sad, mode)(weighted_by_key)(params)
    assert np.allclose(g["W1"], 4 * params["W1"]) and np.allclose(g["b1"], 2 * params["b1"])


def scaled_exp(sign, logdet):
    return sign * np.exp(logdet)


def det_by_slogdet(a):
    return scaled_exp(*np.linalg.slogdet(a))


def weighted(w, a, b):
    return w * a * a + b


def spread_of_a_pair(x):
    pair = (np.sin(x), x * x)
    return weighted(2.0, *pair)


@pytest.mark.parametrize("f, args", [
    (det_by_slogdet, (np.eye(3) * 2.0 + 0.1,)), (spread_of_a_pair, (0.7,))])
def test_a_call_of_the_users_spreads_a_computed_tuple(f, args):
    _check(f, args)


def test_a_spread_of_the_wrong_length_is_still_an_error():
    with pytest.raises((TypeError, ValueError)):
        s2sad.grad(lambda x: weighted(*(x, x)))(0.7)


class Linear:
    def __init__(self, w, b):
        self.w = w
        self.b = b

    def __call__(self, x):
        return x @ self.w + self.b


class TwoLayers:
    def __init__(self, w1, b1, w2, b2):
        self.l1 = Linear(w1, b1)  # layer objects held as attributes, and called
        self.l2 = Linear(w2, b2)
        self.act = np.tanh

    def __call__(self, x):
        return self.l2(self.act(self.l1(x)))

    def loss(self, x):
        return np.sum(self(x) ** 2)


def layers_built_inside(w1, b1, w2, b2, x):
    net = TwoLayers(w1, b1, w2, b2)
    return net.loss(x) + np.sum(net.l1(x))


@pytest.mark.parametrize("i", range(5))
def test_layer_objects_held_as_attributes_are_called(i):
    rng = np.random.default_rng(0)
    args = (rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((4, 2)),
            rng.standard_normal(2), rng.standard_normal((5, 3)))
    expected = gradient_by_differences(layers_built_inside, args, i)
    assert np.allclose(s2sad.grad(layers_built_inside, argnums=i)(*args), expected,
                       rtol=1e-6, atol=1e-8)
    assert np.allclose(s2sad.jacfwd(layers_built_inside, argnums=i)(*args), expected,
                       rtol=1e-6, atol=1e-8)


class Vec:
    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __add__(self, o):
        return Vec(self.a + o.a, self.b + o.b)

    def __mul__(self, k):
        return Vec(self.a * k, self.b * k)

    def __rmul__(self, k):
        return Vec(k * self.a, k * self.b)

    def __neg__(self):
        return Vec(-self.a, -self.b)

    def dot(self, o):
        return self.a * o.a + self.b * o.b


def vector_arithmetic(a, b):
    v = 2.0 * Vec(a, b) + (-Vec(b, a)) * 3.0
    w = v + v
    return w.dot(Vec(np.sin(a), b))


@pytest.mark.parametrize("i", [0, 1])
def test_operators_of_a_users_class_call_its_methods(i):
    _check(vector_arithmetic, (0.7, 1.3), i)


class Layer:
    def __init__(self, w):
        self.w = w

    def forward(self, x):
        return x * self.w


class ScaledLayer(Layer):
    def __init__(self, w, s):
        super().__init__(w)
        self.s = s

    def forward(self, x):
        return super().forward(x) * self.s + 1.0


class SineLayer(ScaledLayer):
    def forward(self, x):
        return np.sin(super().forward(x))


def layer_chain(w, x):
    return SineLayer(w, 2.0).forward(x) + ScaledLayer(w, 0.5).forward(x)


@pytest.mark.parametrize("i", [0, 1])
def test_super_is_followed_where_every_subclass_resolves_it_alike(i):
    _check(layer_chain, (0.7, 1.3), i)


class Root:
    def __init__(self, v):
        self.v = v


class Left(Root):
    def __init__(self, v):
        super().__init__(v * 2.0)


class Right(Root):
    def __init__(self, v):
        super().__init__(v + 1.0)


class Diamond(Left, Right):  # super() in Left.__init__ is Right's here, Root's in Left
    pass


def made_left(v):
    return Left(v).v


def test_super_that_depends_on_the_objects_class_is_refused():
    with pytest.raises(s2sad.S2sadError, match="does not follow super"):
        s2sad.grad(made_left)(0.7)
