"""Lists and tuples made inside the function: slices, copies, ``+`` and ``*``
(concatenation and repetition), slice assignment, in both modes.

Adjoints of lists add entry by entry (``+`` would concatenate); the adjoint of
``a + b`` splits by ``len(a)``, that of ``a * n`` sums the ``n`` chunks.  Every
derivative is checked against central finite differences in float64, entry by
entry of the list argument.
"""
import numpy as np
import pytest

import s2sad


def zip_slices(xs):
    s = 0.0
    for a, b in zip(xs[:-1], xs[1:]):
        s = s + a * b
    return s


def enum_slice(xs):
    s = 0.0
    for i, t in enumerate(xs[1:]):
        s = s + t * i
    return s


def enum_step(xs):
    s = 0.0
    for i, t in enumerate(xs[::-2]):
        s = s + t * (i + 1.0)
    return s


def zip_copy(xs):
    ys = list(xs)
    return sum(a * b for a, b in zip(xs, ys))


def tuple_copy(xs):
    ys = tuple(xs)
    s = 0.0
    for a, b in zip(ys, xs):
        s = s + a * b * b
    return s


def zip_generator(xs):
    return sum(a * b for a, b in zip(xs, xs[1:]))


def map_reversed(xs):
    return sum(map(lambda a, b: a * b, xs, xs[::-1]))


def tuple_slices(xs):
    t = (xs[0], xs[1] * 2.0, xs[2], xs[3])
    s = 0.0
    for a, b in zip(t[:-1], t[1:]):
        s = s + a * b
    return s


def concat_right(xs):
    ys = xs + [1.0]
    return ys[0] * ys[1] + ys[4] * ys[3]


def concat_left(xs):
    ys = [0.5] + xs
    return ys[0] * ys[1] + ys[2] * ys[4]


def repeat_right(xs):
    ys = xs * 2
    return ys[0] * ys[5] + ys[7]


def repeat_left(xs):
    ys = 2 * xs
    return ys[1] * ys[4] + ys[3] ** 2


def concat_tuples(xs):
    a, b = xs[0], xs[1]
    t = (a, b) + (a * b,)
    return t[0] * t[2] + t[1]


def concat_slices(xs):
    ys = xs[1:] + xs[:1]
    return ys[0] * ys[3] + ys[1] * ys[2] ** 2


def concat_self(xs):
    ys = xs + xs
    return ys[0] * ys[5] + ys[7]


def concat_sum(xs):
    ys = xs + [xs[0] * 3.0]
    s = 0.0
    for y in ys:
        s = s + y * y
    return s


def augmented_concat(xs):
    ys = list(xs)
    ys += [ys[0] * ys[1]]
    return ys[4] * ys[2] + sum(ys)


def augmented_alias(xs):
    ys = list(xs)
    zs = ys
    zs += [ys[3] * 2.0]
    return ys[4] * ys[0]


def augmented_repeat(xs):
    ys = list(xs)
    ys *= 2
    return ys[1] * ys[6] + ys[7]


def slice_set(xs):
    ys = list(xs)
    ys[1:3] = [ys[0] * 2.0, 5.0]
    return sum(ys)


def slice_set_products(xs):
    ys = list(xs)
    ys[:2] = [ys[2] * ys[3], ys[1] ** 2]
    return ys[0] * ys[1] + ys[2]


def slice_shrink(xs):
    ys = list(xs)
    ys[1:3] = [ys[0] * ys[3]]
    return ys[0] * ys[1] + ys[2] ** 2 + len(ys)


def slice_grow(xs):
    ys = list(xs)
    ys[1:2] = [ys[0] * 2.0, ys[2] * ys[3], 7.0]
    return ys[1] * ys[2] + ys[3] * ys[4] + ys[5]


def slice_insert(xs):
    ys = list(xs)
    ys[1:1] = (ys[3] * ys[2],)
    return ys[0] * ys[1] + ys[2] * ys[4]


def slice_extended(xs):
    ys = list(xs)
    ys[::2] = [ys[1] * 3.0, ys[3] ** 2]
    return ys[0] * ys[1] + ys[2] * ys[3]


def slice_to_end(xs):
    ys = list(xs)
    ys[2:] = [ys[0] * ys[1]]
    s = 0.0
    for y in ys:
        s = s + y * y
    return s


LIST_CASES = [zip_slices, enum_slice, enum_step, zip_copy, tuple_copy, zip_generator,
              map_reversed, tuple_slices, concat_right, concat_left, repeat_right, repeat_left,
              concat_tuples, concat_slices, concat_self, concat_sum, augmented_concat,
              augmented_alias, augmented_repeat, slice_set, slice_set_products, slice_shrink,
              slice_grow, slice_insert, slice_extended, slice_to_end]

POINT = [1.0, 2.0, 3.0, 4.0]


def by_differences(f, xs, h=1e-6):
    out = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        out.append((f(up) - f(down)) / (2 * h))
    return np.array(out)


@pytest.mark.parametrize("f", LIST_CASES, ids=lambda f: f.__name__)
def test_gradient(f):
    xs = [1.3, 0.7, -2.1, 1.9]
    g = s2sad.grad(f)(list(xs))
    assert isinstance(g, list) and len(g) == len(xs)
    np.testing.assert_allclose(g, by_differences(f, xs), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", LIST_CASES, ids=lambda f: f.__name__)
def test_vjp(f):
    xs = [1.3, 0.7, -2.1, 1.9]
    out, back = s2sad.vjp(f, list(xs))
    assert out == pytest.approx(f(list(xs)))
    (g,) = back(2.5)
    np.testing.assert_allclose(g, 2.5 * by_differences(f, xs), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", LIST_CASES, ids=lambda f: f.__name__)
def test_jvp(f):
    xs = [1.3, 0.7, -2.1, 1.9]
    t = [0.3, -1.1, 0.6, 0.25]
    out, tangent = s2sad.jvp(f, (list(xs),), (list(t),))
    assert out == pytest.approx(f(list(xs)))
    assert tangent == pytest.approx(float(np.dot(by_differences(f, xs), t)), rel=1e-6)


def test_array_split():
    v = np.array([0.5, -1.0, 2.0, 3.0, 1.5])

    g = s2sad.grad(split_weighted)(v)
    assert g.shape == v.shape
    np.testing.assert_allclose(g, [0, 0, 1, 1, 2], atol=1e-12)  # pieces of 2, 2, 1
    np.testing.assert_allclose(g, by_differences(lambda w: split_weighted(np.array(w)), list(v)),
                               atol=1e-8)
    _, tangent = s2sad.jvp(split_weighted, (v,), (np.ones(5),))
    assert tangent == pytest.approx(4.0)


def split_weighted(v):
    s = 0.0
    for i, p in enumerate(np.array_split(v, 3)):
        s = s + np.sum(p) * i
    return s


def test_hessian_of_concatenation():
    xs = np.array([1.3, 0.7, -2.1, 1.9])
    h = 1e-4
    expected = np.zeros((4, 4))
    for i, j in np.ndindex(4, 4):
        ei, ej = h * np.eye(4)[i], h * np.eye(4)[j]
        f = concat_array_list
        expected[i, j] = (f(xs + ei + ej) - f(xs + ei - ej) - f(xs - ei + ej) +
                          f(xs - ei - ej)) / (4 * h * h)
    np.testing.assert_allclose(s2sad.hessian(concat_array_list)(xs), expected, atol=1e-6)


def concat_array_list(v):
    ys = [v[0], v[1]] + [v[2] * v[3]]
    zs = ys * 2
    return zs[0] * zs[2] * zs[4] + zs[1] ** 2




# Entries of a dict have no kind known when compiling: ``+`` and ``*`` of them are
# told apart from arithmetic when the derivative runs.
def dict_concat(d):
    ys = d["a"] + [d["b"] * 2.0]
    return ys[0] * ys[2] + ys[1] * ys[0]


def dict_repeat(d):
    n = np.argmax(d["a"]) + 2  # a NumPy integer (its kind: an int array)
    ys = [d["b"], d["a"][1]] * n
    return ys[0] * ys[3] + ys[1] * ys[2] ** 2


def dict_arithmetic(d):
    ys = d["a"] + [1.0, d["b"]]  # an array plus a list: an array
    return np.sum(ys * ys)


def dict_by_differences(f, d, h=1e-6):
    out = {}
    for key, v in d.items():
        if isinstance(v, int):
            continue
        if isinstance(v, float):
            out[key] = (f({**d, key: v + h}) - f({**d, key: v - h})) / (2 * h)
            continue
        g = []
        for i in range(len(v)):
            up, down = (np.array(v, dtype=float) if isinstance(v, np.ndarray) else list(v)
                        for _ in range(2))
            up[i] += h
            down[i] -= h
            g.append((f({**d, key: up}) - f({**d, key: down})) / (2 * h))
        out[key] = np.array(g)
    return out


@pytest.mark.parametrize("f, d", [
    (dict_concat, {"a": [1.3, -0.4], "b": 0.8}),
    (dict_repeat, {"a": [1.3, -0.4], "b": 0.8}),
    (dict_arithmetic, {"a": np.array([1.3, -0.4]), "b": 0.8}),
], ids=["concat", "repeat", "arithmetic"])
def test_kinds_known_when_running(f, d):
    expected = dict_by_differences(f, d)
    g = s2sad.grad(f)(d)
    for key, e in expected.items():
        np.testing.assert_allclose(g[key], e, rtol=1e-6, atol=1e-8)
    tangent = {k: (v * 0 + 0.5 if not isinstance(v, int) else None) if not isinstance(v, list)
               else [0.5] * len(v) for k, v in d.items()}
    tangent = {k: v for k, v in tangent.items() if v is not None}
    _, t = s2sad.jvp(f, (d,), (tangent,))
    want = sum(np.sum(e) * 0.5 for e in expected.values())
    assert t == pytest.approx(want, rel=1e-6)


def dict_unknown_repeat(d):
    ys = d["a"] * 2  # neither kind known: compiled as arithmetic
    return ys[0] * ys[3]


def test_unknown_repetition_is_an_error():
    with pytest.raises(TypeError, match="kinds were not known"):
        s2sad.grad(dict_unknown_repeat)({"a": [1.3, -0.4]})


# Second order: hessian (forward over reverse) and the gradient of a
# vector-Jacobian product (reverse over reverse) run the rules of the helpers the
# gradient code calls (repeated_adjoint, sum_adjoints, product_adjoints,
# slice_write_adjoints).
def unknown_concat(v):
    d = {"a": [v[0], v[1] * v[2]]}
    ys = d["a"] + [v[3] * v[0]]
    return ys[0] * ys[1] * ys[2] + ys[2] ** 2


def unknown_repeat(v):
    ys = [v[0] * v[3], v[1]] * (np.argmax(v) - 1)  # a NumPy integer: 2 at the point below
    return ys[0] * ys[3] * ys[2] + ys[1] ** 3


def unknown_product(v):
    d = {"a": v[:2] * v[2]}  # an array: '*' is a product
    ys = d["a"] * [v[3], v[0]]
    return np.sum(ys * ys * v[1])


def written_slice(v):
    ys = [v[0], v[1], v[2], v[3]]
    ys[1:3] = [ys[0] * ys[3]]
    ys[::2] = [ys[1] ** 2, ys[0] * v[2]]
    return ys[0] * ys[1] * ys[2] + ys[1] ** 2


def hessian_by_differences(f, x, h=1e-4):
    n = len(x)
    out = np.zeros((n, n))
    for i, j in np.ndindex(n, n):
        ei, ej = h * np.eye(n)[i], h * np.eye(n)[j]
        out[i, j] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) +
                     f(x - ei - ej)) / (4 * h * h)
    return out


SECOND_ORDER = [unknown_concat, unknown_repeat, unknown_product, written_slice,
                concat_array_list]


@pytest.mark.parametrize("f", SECOND_ORDER, ids=lambda f: f.__name__)
def test_second_order(f):
    v = np.array([1.3, 0.7, -2.1, 3.9])
    expected = hessian_by_differences(f, v)
    np.testing.assert_allclose(s2sad.grad(f)(v), by_differences(lambda w: f(np.array(w)),
                                                                list(v)), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(s2sad.hessian(f)(v), expected, rtol=1e-5, atol=1e-5)
    u = np.array([0.3, -1.2, 0.5, 0.8])

    def vjp_along(w):
        return np.dot(s2sad.grad(f)(w), u)
    np.testing.assert_allclose(s2sad.grad(vjp_along)(v), expected @ u, rtol=1e-5, atol=1e-5)
