"""Python's operators and builtins."""
import numpy as np

from ..runtime import (enumerated_tangents, extremum_index, index_adjoint, items_again,
                       iterated_adjoint, like_sequence, log_or_zero, permuted, repeat_like,
                       reversed_adjoint, scaled_power, sign, sort_order, unbroadcast,
                       unpermuted, zeros_like_value, zipped_adjoint)
from .registry import defjvp, defpartials, defvjp, deflinear, nondifferentiable

L = "core"


@defpartials("binop:+", library=L, name="+")
def add(x, y):
    return 1.0, 1.0


@defpartials("binop:-", library=L, name="-")
def sub(x, y):
    return 1.0, -1.0


@defpartials("binop:*", library=L, name="*")
def mul(x, y):
    return y, x


@defpartials("binop:/", library=L, name="/")
def div(x, y, ans):
    return 1 / y, -ans / y


@defpartials("binop:**", library=L, name="**")
def power(x, y, ans):
    # d/dx x ** y = y * x ** (y - 1), which is 0 for y = 0 even at x = 0 (scaled_power);
    # d/dy x ** y = x ** y log x, which is 0 at x = 0 (for y > 0, where it exists)
    return scaled_power(y, x, y - 1), ans * log_or_zero(x)


@defpartials("binop:%", library=L, name="%")
def mod(x, y):
    return 1.0, -(x // y)


@defjvp("binop:@", library=L, name="@")
def matmul(x, y, *, x_dot, y_dot):
    return x_dot @ y + x @ y_dot


@defpartials("unary:-", library=L, name="unary -")
def neg(x):
    return -1.0


@defpartials("unary:+", library=L, name="unary +")
def pos(x):
    return 1.0


@defpartials(abs, library=L)
def abs_(x):
    return sign(x)


@defpartials(float, library=L)
def float_(x):
    return 1.0


# max(a, b), max(a, b, c, ...) (the others as one tuple: ad/normalize.py) and
# max(xs): the derivative is the one of the entry Python returns, the first of
# equal ones (min likewise).
@defjvp(max, library=L)
def max_(a, b=None, *rest, default=None, ans, a_dot, b_dot, rest_dot, default_dot):
    if b is None:  # max(xs)
        if default is None:
            return a_dot[extremum_index(a, True)]
        if len(a) == 0:
            t = default_dot
        else:
            t = a_dot[extremum_index(a, True)]
        return t
    if rest:
        i = extremum_index((a, b) + rest, True)
        if i == 0:
            return a_dot
        if i == 1:
            return b_dot
        return rest_dot[i - 2]
    if a >= b:
        return a_dot
    return b_dot


@defjvp(min, library=L)
def min_(a, b=None, *rest, default=None, ans, a_dot, b_dot, rest_dot, default_dot):
    if b is None:  # min(xs)
        if default is None:
            return a_dot[extremum_index(a, False)]
        if len(a) == 0:
            t = default_dot
        else:
            t = a_dot[extremum_index(a, False)]
        return t
    if rest:
        i = extremum_index((a, b) + rest, False)
        if i == 0:
            return a_dot
        if i == 1:
            return b_dot
        return rest_dot[i - 2]
    if a <= b:
        return a_dot
    return b_dot


@defvjp(max, library=L)
def max_vjp(a, b=None, *rest, default=None, ans_bar):
    if b is None:
        if default is None:
            return index_adjoint(ans_bar, a, extremum_index(a, True)), None, (), 0.0
        if len(a) == 0:  # the default is returned
            bars = zeros_like_value(a), None, (), ans_bar
        else:
            bars = index_adjoint(ans_bar, a, extremum_index(a, True)), None, (), 0.0
        return bars
    if rest:
        bars = index_adjoint(ans_bar, (a, b) + rest, extremum_index((a, b) + rest, True))
        return bars[0], bars[1], bars[2:], 0.0
    if a >= b:
        return ans_bar, 0.0, (), 0.0
    return 0.0, ans_bar, (), 0.0


@defvjp(min, library=L)
def min_vjp(a, b=None, *rest, default=None, ans_bar):
    if b is None:
        if default is None:
            return index_adjoint(ans_bar, a, extremum_index(a, False)), None, (), 0.0
        if len(a) == 0:  # the default is returned
            bars = zeros_like_value(a), None, (), ans_bar
        else:
            bars = index_adjoint(ans_bar, a, extremum_index(a, False)), None, (), 0.0
        return bars
    if rest:
        bars = index_adjoint(ans_bar, (a, b) + rest, extremum_index((a, b) + rest, False))
        return bars[0], bars[1], bars[2:], 0.0
    if a <= b:
        return ans_bar, 0.0, (), 0.0
    return 0.0, ans_bar, (), 0.0


@defjvp(sum, library=L)
def sum_(xs, start=0, *, xs_dot, start_dot):
    return sum(xs_dot) + start_dot


# Iterating over these gives the entries of their arguments: their tangents are
# iterators over the tangents, consumed in step with them; the count of
# enumerate is an int and carries a zero.  The adjoint of an iterator is the
# list of its items' adjoints, as many as were read; a loop over one of them
# sends each item's adjoint back to the argument it came from instead
# (Reverse.item_adjoint).  The transforms differentiate zip by its structural
# rules (ad/structure.py: any number of sequences, strict=, sequences with no
# tangent); its entry here holds its facts.
@defjvp(enumerate, library=L)
def enumerate_(iterable, start=0, *, iterable_dot):
    return enumerated_tangents(iterable_dot)


@defvjp(enumerate, library=L)
def enumerate_vjp(iterable, start=0, *, ans_bar):
    return zipped_adjoint(ans_bar, 1, iterable), None


@defjvp(reversed, library=L)
def reversed_(xs, *, xs_dot):
    return reversed(xs_dot)


@defjvp(iter, library=L)
def iter_(xs, *, xs_dot):
    return iter(xs_dot)


@defvjp(iter, library=L)
def iter_vjp(xs, *, ans_bar):
    return iterated_adjoint(ans_bar, xs)


@defjvp(zip, library=L)
def zip_(a, b, *, a_dot, b_dot):
    return zip(a_dot, b_dot)


@defpartials(pow, library=L)
def pow_(x, y, ans):
    return scaled_power(y, x, y - 1), ans * log_or_zero(x)


@defvjp(sum, library=L)
def sum_vjp(xs, start=0, *, ans_bar):
    return repeat_like(ans_bar, xs), unbroadcast(ans_bar, start)


deflinear(sum, (0,), library=L)


# list(xs), tuple(xs): the entries of xs (the rows of an array), a new container
deflinear(list, (0,), library=L)
deflinear(tuple, (0,), library=L)


@defvjp(list, library=L)
def list_vjp(iterable=(), *, ans_bar):
    return like_sequence(ans_bar, iterable)


@defvjp(tuple, library=L)
def tuple_vjp(iterable=(), *, ans_bar):
    return like_sequence(ans_bar, iterable)


@defvjp(reversed, library=L)
def reversed_vjp(xs, *, ans_bar):
    return reversed_adjoint(ans_bar, xs)


# sorted(xs): xs's entries in another order (ties keep theirs, as Python's stable sort)
@defjvp(sorted, library=L)
def sorted_(iterable, *, reverse=False, ans, iterable_dot):
    return permuted(list(iterable_dot), sort_order(items_again(iterable), None, reverse))


@defvjp(sorted, library=L)
def sorted_vjp(iterable, *, reverse=False, ans_bar):
    return like_sequence(unpermuted(ans_bar, sort_order(items_again(iterable), None, reverse)),
                         iterable)


@defjvp(divmod, library=L)
def divmod_(x, y, *, ans, x_dot, y_dot):
    # (x // y, x % y): the quotient is piecewise constant, x % y = x - (x // y) y
    return 0.0, x_dot - ans[0] * y_dot


@defvjp(divmod, library=L)
def divmod_vjp(x, y, *, ans, ans_bar):
    return ans_bar[1], -ans_bar[1] * ans[0]
nondifferentiable("binop://", "binop:<<", "binop:>>", "binop:|", "binop:&", "binop:^",
                  "unary:not", "unary:~", len, int, round, bool, range, isinstance,
                  library=L)
