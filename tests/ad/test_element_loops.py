"""Loops over the entries of arrays, in O(1) per entry (issue 14).

Argument kinds carry ranks, so ``v[i]`` of a 1-D float array is a float: no
broadcasting helpers.  The adjoint of a read ``v[i]`` is an in-place
``v_bar[i] += ...`` into an array the derivative made; an entry of an array
nothing writes into is read again by the reverse sweep rather than kept on the
tape.  Every gradient is checked against finite differences (``check_grads``,
which also runs the dot-product test); the structure of the generated code is
checked where the point is how it computes.
"""
import numpy as np
import pytest

import s2sad
from s2sad.compiler import compile_derivative
from s2sad.ir.kinds import Ranked, kind_of_object, kinds_key, same_kind


def element_sum(v):
    s = 0.0
    for i in range(v.shape[0]):
        s = s + np.sin(v[i]) * v[i]
    return s


def pairs(v):
    s = 0.0
    for i in range(v.shape[0] - 1):
        s = s + v[i] * v[i + 1]
    return s


def matrix_entries(A):
    s = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            s = s + A[i, j] * A[i, j] * (i + 1.0)
    return s


def rows(A):
    s = 0.0
    for i in range(A.shape[0]):
        r = A[i]
        s = s + np.sum(r * r) + np.sum(r[0])
    return s


def branchy(v):
    s = 0.0
    for i in range(len(v)):
        if v[i] > 0:
            s = s + v[i] ** 2
        else:
            s = s - 3.0 * v[i]
    return s


def with_whole_array_use(v):
    s = np.sum(v * v)
    for i in range(v.shape[0]):
        s = s + v[i] * s * 0.1
    return s


def aliased_adjoints(x):
    y = x + x  # both operands' adjoints are the same array at first
    s = 0.0
    for i in range(3):
        s = s + y[i] * x[i]
    return s


def written_array(v):
    w = v * 1.0
    s = 0.0
    for i in range(v.shape[0]):
        s = s + w[i] * v[i]
        w[i] = 2.0 * w[i]
    return s + np.sum(w)


def slices(v):
    s = 0.0
    for i in range(v.shape[0] - 2):
        s = s + np.sum(v[i:i + 3] ** 2)
    return s


def loop_over_entries(v):
    s = 0.0
    for x in v:
        s = s + np.cos(x) * x
    return s


def repeated_index(v, idx):
    s = 0.0
    for k in range(3):
        s = s + np.sum(v[idx] * v[idx])  # idx repeats an entry: its adjoints add up
    return s


def loop_over_rows(A, c):
    s = 0.0
    for r in A:  # rows of a 2-D array are arrays: the adjoint of c sums over them
        s = s + np.sum(r * c) * c
    return s


def rows_into_an_array(A, c):
    s = np.zeros(A.shape[-1])
    for r in A:
        s = s + r * c
    return np.sum(s * s)


CASES = [
    (element_sum, (np.linspace(-1.0, 2.0, 7),)),
    (pairs, (np.linspace(-1.0, 2.0, 6),)),
    (matrix_entries, (np.arange(6.0).reshape(2, 3) / 5.0 - 0.3,)),
    (rows, (np.arange(6.0).reshape(3, 2) / 5.0 - 0.3,)),
    (branchy, (np.array([0.5, -1.0, 2.0, -0.1]),)),
    (with_whole_array_use, (np.linspace(-1.0, 1.0, 5),)),
    (aliased_adjoints, (np.array([0.3, -0.7, 1.1]),)),
    (written_array, (np.linspace(0.1, 0.9, 4),)),
    (slices, (np.linspace(-1.0, 1.0, 6),)),
    (loop_over_entries, (np.linspace(-1.0, 1.0, 5),)),
    (loop_over_rows, (np.arange(6.0).reshape(2, 3) / 4, 0.7)),
    (loop_over_rows, (np.arange(3.0) / 4, 0.7)),
    (rows_into_an_array, (np.arange(6.0).reshape(2, 3) / 4, 0.7)),
    (rows_into_an_array, (np.arange(24.0).reshape(2, 3, 4) / 9, -0.4)),
]


@pytest.mark.parametrize("f,args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_element_loops_are_exact(f, args):
    s2sad.check_grads(f, args)


def test_a_repeated_index_adds_up():
    v = np.array([0.5, -1.0, 2.0])
    s2sad.check_grads(repeated_index, (v, np.array([0, 2, 0])), argnums=0)


def test_the_same_function_at_another_rank_is_compiled_again():
    g = s2sad.grad(rows)
    A = np.arange(6.0).reshape(3, 2)
    B = np.arange(24.0).reshape(3, 2, 4)
    assert np.allclose(g(A), [[2 * A[i, 0] + 1, 2 * A[i, 1]] for i in range(3)])
    expected = 2 * B
    expected[:, 0, :] += 1.0
    assert np.allclose(g(B), expected)  # r[0] is a row here, not an entry
    assert np.allclose(g(A), [[2 * A[i, 0] + 1, 2 * A[i, 1]] for i in range(3)])


def test_generated_code_reads_entries_and_adds_in_place():
    v = np.linspace(-1.0, 2.0, 7)
    src = compile_derivative(element_sum, "reverse", (0,), (kind_of_object(v),)).source
    assert "v_bar[i] += " in src
    assert "index_adjoint" not in src and "unbroadcast" not in src
    assert "v_i_stack" not in src  # read again from v, which nothing changes
    assert src.count(".append(") == 1  # np.sin(v[i]) is all the tape keeps


def test_an_array_written_in_the_loop_is_not_read_again():
    v = np.linspace(0.1, 0.9, 4)
    src = compile_derivative(written_array, "reverse", (0,), (kind_of_object(v),)).source
    assert "w_i_stack" in src  # w changes: its entries are kept


def test_ranked_kinds():
    r1 = kind_of_object(np.zeros(3))
    r2 = kind_of_object(np.zeros((2, 3)))
    assert isinstance(r1, Ranked) and r1 == "array" and r1.rank == 1
    assert r2 == "array" and r1 == r2 and not same_kind(r1, r2)
    assert kinds_key((r1,)) != kinds_key((r2,)) != kinds_key(("array",))
    assert kind_of_object(np.zeros((), dtype=int)) == "intarray"
    assert kind_of_object(np.zeros(2, dtype=int)).rank == 1
