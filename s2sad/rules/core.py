"""Python's operators and builtins."""
import numpy as np

from ..runtime import repeat_like
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
    return y * x ** (y - 1), ans * np.log(x)


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
    return np.sign(x)


@defpartials(float, library=L)
def float_(x):
    return 1.0


@defjvp(max, library=L)
def max_(a, b, *, a_dot, b_dot):
    if a >= b:
        return a_dot
    return b_dot


@defjvp(min, library=L)
def min_(a, b, *, a_dot, b_dot):
    if a <= b:
        return a_dot
    return b_dot


@defvjp(max, library=L)
def max_vjp(a, b, *, ans_bar):
    if a >= b:
        return ans_bar, 0.0
    return 0.0, ans_bar


@defvjp(min, library=L)
def min_vjp(a, b, *, ans_bar):
    if a <= b:
        return ans_bar, 0.0
    return 0.0, ans_bar


@defjvp(sum, library=L)
def sum_(xs, start=0, *, xs_dot):
    return sum(xs_dot)


# Iterating over these gives the entries of their arguments: their tangents are
# the same iterators over the tangents (the tangent of enumerate's count is the
# count itself, which no one reads: the count is an int).  In reverse mode a loop
# over one of them sends each item's adjoint back to the argument it came from.
@defjvp(enumerate, library=L)
def enumerate_(xs, start=0, *, xs_dot):
    return enumerate(xs_dot, start)


@defjvp(reversed, library=L)
def reversed_(xs, *, xs_dot):
    return reversed(xs_dot)


@defjvp(zip, library=L)
def zip_(a, b, *, a_dot, b_dot):
    return zip(a_dot, b_dot)


@defpartials(pow, library=L)
def pow_(x, y, ans):
    return y * x ** (y - 1), ans * np.log(x)


@defvjp(sum, library=L)
def sum_vjp(xs, start=0, *, ans_bar):
    return repeat_like(ans_bar, xs), ans_bar


deflinear(sum, (0,), library=L)
nondifferentiable("binop://", "binop:<<", "binop:>>", "binop:|", "binop:&", "binop:^",
                  "unary:not", "unary:~", len, int, round, bool, range, isinstance,
                  library=L)
