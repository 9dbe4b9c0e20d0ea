"""Writes through views that NumPy functions return (np.flip, np.rot90,
np.moveaxis, np.real...), through the lists of views np.split returns, through
np.asarray-like calls that may return their argument, and into loop items of
containers: each is exact (checked against central differences and the primal
value) or refused with an error that names the line."""
import inspect

import numpy as np
import pytest

import s2sad
from s2sad.errors import S2sadError
from tests.ad.corpus import gradient_by_differences

W = np.arange(1.0, 7.0)


# -- views NumPy functions return: exact ------------------------------------------
def flip_write(x):
    y = x.copy()
    np.flip(y)[0] = 0.0
    return np.sum(y * W[:4])


def flip_axis_write(x):
    y = x.reshape(2, 3).copy()
    z = np.flip(y, 1)
    z[0] *= 3.0
    return np.sum(y.ravel() * W)


def fliplr_write(x):
    y = x.reshape(2, 3).copy()
    z = np.fliplr(y)
    z[:, 0] *= 5.0
    return np.sum(y.ravel() * W)


def flipud_write(x):
    y = x.reshape(2, 3).copy()
    np.flipud(y)[0] = 0.0
    return np.sum(y.ravel() * W)


def moveaxis_write(x):
    y = x.reshape(2, 3).copy()
    np.moveaxis(y, 0, 1)[0] *= 4.0
    return np.sum(y.ravel() * W)


def rot90_write(x):
    y = x.reshape(2, 3).copy()
    np.rot90(y)[0] = 0.0
    return np.sum(y.ravel() * W)


def rot90_k_write(x):
    y = x.reshape(2, 3).copy()
    z = np.rot90(y, 3)
    z[1] *= 2.0
    return np.sum(y.ravel() * W)


def real_write(x):
    y = x.copy()
    np.real(y)[0] = 0.0
    return np.sum(y * W[:4])


def swapaxes_write(x):
    y = x.reshape(2, 3).copy()
    np.swapaxes(y, 0, 1)[2, 1] = 0.0
    return np.sum(y.ravel() * W)


EXACT_4 = [flip_write, real_write]
EXACT_6 = [flip_axis_write, fliplr_write, flipud_write, moveaxis_write, rot90_write,
           rot90_k_write, swapaxes_write]


def check(f, x):
    value, g = s2sad.value_and_grad(f)(x.copy())
    assert np.isclose(value, f(x.copy()))
    assert np.allclose(g, gradient_by_differences(f, [x], 0), atol=1e-6)


@pytest.mark.parametrize("f", EXACT_4, ids=lambda f: f.__name__)
def test_view_functions_on_vectors(f):
    check(f, np.array([1.0, -2.0, 3.0, 4.0]))


@pytest.mark.parametrize("f", EXACT_6, ids=lambda f: f.__name__)
def test_view_functions_on_matrices(f):
    check(f, np.array([1.0, -2.0, 3.0, 4.0, 0.5, 6.0]))


def transpose_axes_write(x):
    y = x.reshape(2, 3).copy()
    np.transpose(y, (1, 0))[2] *= 3.0
    return np.sum(y.ravel() * W)


def transpose_negative_axes_write(x):
    y = x.reshape(1, 2, 3).copy()
    np.transpose(y, (-1, 0, 1))[2, 0] *= 3.0
    return np.sum(y.ravel() * W)


def diagonal_follows(x):
    m = np.outer(x[:3], W[:3])
    d = np.diagonal(m)
    m[1, 1] = 7.0
    e = m.diagonal()
    m[0, 0] *= 2.0
    return np.sum(d * W[:3]) + np.sum(e)


def broadcast_follows(x):
    y = x.copy()
    b = np.broadcast_to(y, (2, 4))
    y[1] = 5.0
    return np.sum(b * W[:4])


@pytest.mark.parametrize("f", [diagonal_follows, broadcast_follows], ids=lambda f: f.__name__)
def test_read_only_views_follow_their_array(f):
    check(f, np.array([1.0, -2.0, 3.0, 4.0]))


# -- np.asarray and friends: the argument itself when nothing needs converting ------
def asarray_int_write(x):
    y = x.copy()
    z = np.asarray(y, int)
    z[0] = 9
    return np.sum(y * W[:4]) + np.sum(z)


def ascontiguous_write(x):
    y = x.copy()
    np.ascontiguousarray(y)[1] = 0.0
    return np.sum(y * W[:4])


def ascontiguous_of_swapped(x):
    y = x.reshape(2, 2).copy()
    z = np.ascontiguousarray(y.T)
    z[0, 1] = 0.0
    return np.sum(y.ravel() * W[:4]) + np.sum(z * W[:4].reshape(2, 2))


def asfortran_write(x):
    y = x.copy()
    np.asfortranarray(y)[2] *= 3.0
    return np.sum(y * W[:4])


def asanyarray_write(x):
    y = x.copy()
    np.asanyarray(y)[3] = 1.0
    v = np.array(y)
    v[2] = 0.0
    return np.sum(y * W[:4]) + np.sum(v)


AS_ARRAY = [asarray_int_write, ascontiguous_write,
            ascontiguous_of_swapped, asfortran_write, asanyarray_write,
            transpose_axes_write, transpose_negative_axes_write]


@pytest.mark.parametrize("f", AS_ARRAY, ids=lambda f: f.__name__)
def test_asarray_family(f):
    # not whole numbers: np.asarray(y, int) is then constant near x
    x = np.array([1.5, -2.25, 3.5, 4.75]) if "transpose" not in f.__name__ else \
        np.array([1.5, -2.25, 3.5, 4.75, 0.5, 6.25])
    check(f, x)


# -- refused: a clear error at the line of the write --------------------------------
def split_unpacked(x):
    y = x.copy()
    a, b = np.split(y, 2)
    a *= 3.0  # refused
    return np.sum(y)


def split_entry(x):
    y = x.copy()
    np.split(y, 2)[0][0] = 0.0  # refused
    return np.sum(y)


def array_split_entry(x):
    y = x.copy()
    parts = np.array_split(y, 2)
    parts[1][:] = 0.0  # refused
    return np.sum(y)


def vsplit_unpacked(x):
    y = x.reshape(2, 2).copy()
    a, b = np.vsplit(y, 2)
    a *= 2.0  # refused
    return np.sum(y)


def write_into_diagonal(x):
    m = np.outer(x, x)
    np.diagonal(m)[0] = 0.0  # refused
    return np.sum(m)


def write_into_broadcast(x):
    y = x.copy()
    b = np.broadcast_to(y, (2, 4))
    b[0, 0] = 1.0  # refused
    return np.sum(y)


def write_into_diagonal_method(x):
    m = np.outer(x, x)
    d = m.diagonal()
    d *= 2.0  # refused
    return np.sum(m)


def write_into_split_source(x):
    y = x.copy()
    a, b = np.split(y, 2)
    y[0] = 5.0  # refused
    return np.sum(a)


def write_into_real_of_complex(x):
    y = x.astype(complex)
    np.real(y)[0] = 0.0  # refused
    return np.sum(np.abs(y))


def write_into_real_attribute_of_complex(x):
    y = x * (1.0 + 1.0j)
    r = y.real
    r *= 2.0  # refused
    return np.sum(np.abs(y))


def transpose_method_with_axes(x):
    y = x.reshape(2, 2).copy()
    y.transpose(1, 0)[1] *= 3.0  # refused
    return np.sum(y)


REFUSED = [(transpose_method_with_axes, "made by .transpose"),
           (write_into_real_of_complex, "np.real"),
           (write_into_real_attribute_of_complex, ".real"),
           (split_unpacked, "np.split"), (split_entry, "np.split"),
           (array_split_entry, "np.array_split"), (vsplit_unpacked, "np.vsplit"),
           (write_into_diagonal, "read-only"), (write_into_broadcast, "read-only"),
           (write_into_diagonal_method, "read-only"), (write_into_split_source, "view")]


def refused_at(f, x, text, line):
    with pytest.raises(S2sadError) as info:
        s2sad.grad(f)(x)
    message = str(info.value)
    assert text in message
    assert f"{__file__}:{line}:" in message
    assert "^" in message


@pytest.mark.parametrize("f,text", REFUSED, ids=lambda f: getattr(f, "__name__", ""))
def test_refused_writes_through_views(f, text):
    lines, first = inspect.getsourcelines(f)
    line = first + next(i for i, s in enumerate(lines) if s.endswith("# refused\n"))
    refused_at(f, np.array([1.0, -2.0, 3.0, 4.0]), text, line)


# -- in-place writes into loop items of containers ----------------------------------
def loop_over_list_literal(x):
    y = x.copy()
    for p in [y]:
        p *= 3.0  # refused
    return np.sum(y)


def loop_over_enumerate(x):
    params = [x.copy(), x**2]
    for i, p in enumerate(params):
        p *= 2.0  # refused
    return np.sum(params[0]) + np.sum(params[1])


def loop_over_zip(x):
    params = [x.copy(), x**2]
    grads = [2 * p for p in params]
    for p, g in zip(params, grads):
        p -= 0.1 * g  # refused
    return sum(np.sum(p * x) for p in params)


def loop_over_dict_values(x):
    params = {"a": x.copy(), "b": x**2}
    for p in params.values():
        p *= 0.5  # refused
    return sum(np.sum(p * x) for p in params.values())


def loop_over_dict_items(x):
    params = {"a": x.copy(), "b": x**2}
    for k, p in params.items():
        p -= 0.1 * x  # refused
    return sum(np.sum(p * x) for p in params.values())


def loop_over_list_of_views(x):
    y = x.copy()
    parts = [y[:2], y[2:]]
    for p in parts:
        p *= 2.0  # refused
    return np.sum(y * x)


def loop_index_into_list_of_views(x):
    y = x.copy()
    parts = [y[:2], y[2:]]
    for i in range(2):
        parts[i] *= 2.0  # refused
    return np.sum(y * x)


def loop_over_tuple_of_views(x):
    y = x.copy()
    for p in (y[:2], y[2:]):
        p *= 2.0  # refused
    return np.sum(y * x)


def loop_over_shallow_copy(x):
    params = [x.copy(), x**2]
    for p in list(params):
        p *= 2.0  # refused
    return np.sum(params[0])


LOOP_ITEMS = [loop_over_list_literal, loop_over_enumerate, loop_over_zip,
              loop_over_dict_values, loop_over_dict_items, loop_over_list_of_views,
              loop_index_into_list_of_views, loop_over_tuple_of_views, loop_over_shallow_copy]


@pytest.mark.parametrize("f", LOOP_ITEMS, ids=lambda f: f.__name__)
def test_writes_into_loop_items_are_refused(f):
    lines, first = inspect.getsourcelines(f)
    line = first + next(i for i, s in enumerate(lines) if s.endswith("# refused\n"))
    refused_at(f, np.array([1.0, -2.0, 3.0, 4.0]), "s2sad cannot", line)


def enumerate_param(params):
    for i, p in enumerate(params):
        p *= 2.0  # refused
    return np.sum(params[0]) + np.sum(params[1])


def sgd_param_dict(params, x):
    for p in params.values():
        p *= 0.5  # refused
    return sum(np.sum(p * x) for p in params.values())


def test_writes_into_loop_items_of_arguments_are_refused():
    x = np.array([1.0, -2.0, 3.0, 4.0])
    for f, args in [(enumerate_param, ([x.copy(), x**2],)),
                    (sgd_param_dict, ({"a": x.copy(), "b": x**2}, x))]:
        lines, first = inspect.getsourcelines(f)
        line = first + next(i for i, s in enumerate(lines) if s.endswith("# refused\n"))
        with pytest.raises(S2sadError) as info:
            s2sad.grad(f)(*args)
        assert f"{__file__}:{line}:" in str(info.value)
        assert "'params'" in str(info.value)


# -- loop items nothing else reads: still exact --------------------------------------
def loop_over_temporaries(x):
    total = 0.0
    for p in [x * 1.0, x * x]:
        p *= 2.0
        total = total + np.sum(p * W[:4])
    return total


def loop_over_enumerate_read_only(x):
    params = [x, x**2]
    total = 0.0
    for i, p in enumerate(params):
        total = total + (i + 1) * np.sum(p * W[:4])
    params[0] = params[0] * 3.0
    return total + np.sum(params[0])


def constant_index_into_list_of_views(x):
    y = x.copy()
    parts = [y[:2], y[2:]]
    parts[0] *= 2.0
    parts[1][0] = 5.0
    return np.sum(y * x)


@pytest.mark.parametrize("f", [loop_over_temporaries, loop_over_enumerate_read_only,
                               constant_index_into_list_of_views], ids=lambda f: f.__name__)
def test_loop_items_still_exact(f):
    check(f, np.array([1.0, -2.0, 3.0, 4.0]))
