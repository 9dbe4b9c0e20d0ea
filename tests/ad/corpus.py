"""The functions that the forward- and reverse-mode suites differentiate.

Every function is a module-level scalar function (float arguments, and int
arguments where a function takes a count).  ``CASES`` lists each with the
points it is checked at; ``test_forward.py`` compares its JVPs and
``test_reverse.py`` its gradients and VJPs against central finite differences,
so the two suites share one corpus.  Points are chosen away from the kinks and
jumps of each function (branch switches, changes of a trip count), so that a
finite difference of step 1e-6 sees a smooth function.

``rule_cases()`` turns every differentiable rule of the registry's ``core``,
``math`` and ``numpy`` libraries into a small function calling it on scalars,
with points inside its domain, for both suites as well.
"""
import math

import numpy as np

import s2sad
from s2sad.rules import all_rules

K = 3.0  # a module-level constant read by a function


# ---------------------------------------------------------------------------
# The seeds' examples (Baydin et al. 2018)
# ---------------------------------------------------------------------------
def textbook(x1, x2):
    return np.log(x1) + x1 * x2 - np.sin(x2)


def cos_of_square(x):
    return np.cos(5 * x ** 2)


def two_outputs(x1, x2):
    return x1 * x2 + math.cos(x1), x2 ** 3 + math.log(x1) - x2


# ---------------------------------------------------------------------------
# Straight-line arithmetic
# ---------------------------------------------------------------------------
def powers_const(x):
    return x ** 2 + x ** 3 - x ** 0.5 + x ** -1


def powers_const_base(x):
    return 2 ** x + 3.0 ** x - 0.5 ** (2 * x)


def power_var(x, y):
    return x ** y


def power_mixed(x, y):
    return (x + y) ** (x * y) / y ** x


def modulo(x, y):
    return x % y + (3 * x) % 2.0


def unary_minus(x, y):
    return -x * -(y - x) + -(-x) - (+y)


def uses_pi(x):
    return math.pi * x ** 2 + math.sin(math.pi * x) + K * x


def division_chain(x, y):
    return x / (1 + y / (1 + x)) - 1 / x


def constant_expression(x):
    c = 2.0 * 3.0
    d = math.sqrt(c) + math.pi
    return c * x + d


def numpy_chain(x):
    return np.exp(np.tanh(x)) * np.sqrt(1 + x * x) + np.arctan2(x, 2.0)


def math_chain(x, y):
    return math.atan2(y, x) * math.hypot(x, y) + math.log(x, 2.0) + math.log(y) * math.exp(-x)


def abs_values(x):
    return abs(x - 1.0) * abs(x) + np.abs(x * 3) + math.fabs(x)


def min_max(x, y):
    return max(x, y) * min(x, y) - max(x * x, 1.0) + min(2.0, y)


def ternary(x, y):
    return x * y if x > y else x + y * y


def float_conversion(x, n):
    return float(n) * x + float(x) * x


def tuple_unpack(x, y):
    a, b = x * y, x + y
    return a / b


def tuple_index(x, y):
    t = (x, y, x * y)
    return t[0] * t[2] - t[1]


def swap_once(x, y):
    t = x
    x = y
    y = t
    return x / y + x


def tuple_return(x, y):
    return x + y, x * y, x / y


def sum_of_tuple(x, y):
    return sum((x, y, x * y))


# ---------------------------------------------------------------------------
# Branches
# ---------------------------------------------------------------------------
def nested_if(x, y):
    if x > 0:
        if y > 0:
            r = x * y
        else:
            r = x - y * y
    else:
        if y > x:
            r = x ** 2 + y
        else:
            r = math.sin(x) * y
    return r + x


def elif_chain(x):
    if x < -1:
        r = -x
    elif x < 0:
        r = x * x
    elif x < 1:
        r = math.sin(x)
    else:
        r = math.log(x) + 0.8
    return r * x


def bool_condition(x, y):
    if x > 0 and y > 0 or x < -5:
        r = x * y
    else:
        r = x + y
    return r


def branch_reassign(x):
    y = x
    if x > 0:
        y = y * 2
        y = y + 1
    else:
        y = -y
    return y * x


def early_return(x):
    if x > 1:
        return x ** 2
    return -x * 3


def inactive_branch(x, n):
    if n > 2:
        c = 5.0
    else:
        c = 1.0
    return c * x


def branch_one_side_active(x, y):
    r = 2.0
    if x > 1:
        r = x * y
    return r * r


# ---------------------------------------------------------------------------
# For loops
# ---------------------------------------------------------------------------
def horner(x, n):
    s = 0.0
    for i in range(n):
        s = s * x + (i + 1)
    return s


def power_loop(x, n):
    p = 1.0
    for i in range(n):
        p = p * x
    return p


def data_dependent_for(x):
    s = x
    for i in range(int(x * 3)):
        s = s + math.sin(s + x)
    return s


def overwrite_many(x):
    y = x
    for i in range(100):
        y = math.sin(y) + x
    return y


def logistic(x, r):
    for i in range(30):
        x = r * x * (1 - x)
    return x


def swap_loop(x, y):
    for i in range(4):
        x, y = y, x + y * 0.5
    return x * y


def two_var_recurrence(x):
    a, b = x, 1.0
    for i in range(10):
        a, b = b, a * 0.5 + b * x * 0.3
    return a + b


def int_float_mix(x, n):
    s = 0.0
    for i in range(n):
        s += (i * x) / (n + 1.0)
        s *= 1.01
    return s * n


def integer_exponent(x, n):
    s = 0.0
    for k in range(n):
        s = s + x ** k
    return s


def break_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + x * i
        if s > 10:
            break
    return s


def continue_loop(x, n):
    s = 0.0
    for i in range(n):
        if i % 2 == 0:
            continue
        s = s + math.cos(x * i)
    return s


def return_in_loop(x, n):
    for i in range(n):
        x = x * 1.5
        if x > 5.0:
            return x - i
    return -x


def for_else(x, n):
    for i in range(n):
        x = x * 1.1
        if x > 3:
            break
    else:
        return x * x
    return x + 1.0


def for_else_value(x, y):
    r = 0.0
    for i in range(5):
        r = r + y
        if r > x:
            r = r * x
            break
    else:
        r = r - x
    return r


def nested_loops(x, n):
    s = 0.0
    for i in range(n):
        for j in range(i):
            s = s + x * (i - j)
        s = s * 0.9
    return s


def loop_with_if(x, n):
    s = x
    for i in range(n):
        if s > 1:
            s = s / 2
        else:
            s = s * 3 + x
    return s


def comprehension_sum(x, n):
    return sum([x ** i / (i + 1) for i in range(n)])


def comprehension_over_values(x, y):
    return sum([v * v for v in (x, y, x * y)])


def loop_over_values(x, y):
    s = 0.0
    for v in (x, y, x * y):
        s = s + math.sin(v) * v
    return s


def enumerate_loop(x):
    s = 0.0
    for i, c in enumerate((1.0, 2.0, 3.0)):
        s = s + c * x ** i
    return s


def list_append(x, n):
    xs = []
    for i in range(n):
        xs.append(x * i)
    return sum(xs)


def accumulate_constant_times(y, c, n):
    s = 0.0
    for i in range(n):
        s = s + c * y
    return s


def pow_in_loop(x, n):
    for i in range(n):
        x = x ** 1.1
    return x


def nested_control(x, y, n):
    s = 0.0
    if x > 0:
        for i in range(n):
            if i % 3 == 0:
                s = s + x * y
            elif s > 4:
                s = s - y
            else:
                s = s * x
    else:
        s = y
    return s


def min_max_loop(x, y, n):
    lo, hi = x, y
    for i in range(n):
        lo = min(lo * 1.2, hi)
        hi = max(hi * 0.9, lo + 0.5)
    return lo * hi


def return_tuple_from_loop(x, n):
    a = x
    b = 1.0
    for i in range(n):
        a, b = a * b, a + b * 0.1
    return a, b


# ---------------------------------------------------------------------------
# While loops
# ---------------------------------------------------------------------------
def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def halving(x):
    n = 0
    while x > 1.0:
        x = x / 2
        n += 1
    return x + n


def while_counter(x, n):
    i = 0
    s = x
    while i < n:
        s = math.sin(s) * x + 0.3
        i += 1
    return s


def while_growth(x):
    s = x
    n = 0
    while s < 50.0:
        s = s * 1.7 + 1.0
        n += 1
    return s / n


def while_break(x):
    while True:
        x = x * 1.3
        if x > 10:
            break
    return x


def while_continue(x, n):
    i = 0
    s = 0.0
    while i < n:
        i += 1
        if i == 2:
            continue
        s = s + x ** i
    return s


def return_in_while(x):
    while x < 100:
        x = x * x + 1
        if x > 20:
            return x / 3
    return x


def while_two_conditions(x, y):
    n = 0
    while x < 10 and n < 5:
        x = x * y + 0.5
        n += 1
    return x


def while_nested_for(x):
    s = x
    k = 0
    while s < 30.0:
        for j in range(3):
            s = s + x * j * 0.5
        s = s * 1.1
        k += 1
    return s - k


# ---------------------------------------------------------------------------
# Containers and iteration
# ---------------------------------------------------------------------------
def iteration_builtins(x, y):
    s = 0.0
    for i, v in enumerate((x, y, x * y)):
        s = s + v * (i + 1)
    for a, b in zip((x, y), (y, x * x)):
        s = s + a * b
    for v in reversed((x, y, 2.0)):
        s = s * v + 1
    return s


def list_setitem(x, y):
    xs = [x, y]
    xs[0] = xs[0] * 2
    xs[1] += x
    return xs[0] * xs[1]


def nested_tuple(x, y):
    t = ((x, y), x * y)
    a, b = t[0]
    return a * b + t[1]


def generator_sum(x):
    return sum(x ** k for k in range(4))


def list_of_lists(x, n):
    rows = []
    for i in range(n):
        rows.append([x * i, x + i])
    s = 0.0
    for r in rows:
        s = s + r[0] * r[1]
    return s


def while_if_break(x):
    n = 0
    while n < 10:
        if x > 5:
            x = x - 1.5
            if x < 6:
                break
        else:
            x = x * 2
        n += 1
    return x


def mod_loop(x):
    s = x
    for i in range(5):
        s = (s * 1.7) % 3.0 + x
    return s


# ---------------------------------------------------------------------------
# The corpus: (function, points).  An int in a point is an int argument.
# ---------------------------------------------------------------------------
CASES = [
    (textbook, [(2.0, 5.0), (0.7, -1.3), (3.1, 0.2)]),
    (cos_of_square, [(2.0,), (0.3,), (-1.1,)]),
    (two_outputs, [(2.0, 3.0), (0.5, -0.7)]),
    (powers_const, [(2.0,), (0.4,), (3.3,)]),
    (powers_const_base, [(1.5,), (-0.7,), (0.2,)]),
    (power_var, [(2.0, 3.0), (1.7, 0.4), (0.6, -1.2)]),
    (power_mixed, [(1.2, 0.8), (0.5, 2.1)]),
    (modulo, [(5.3, 1.7), (2.2, 0.9), (-3.2, 1.1)]),
    (unary_minus, [(1.5, -0.3), (-2.0, 4.0)]),
    (uses_pi, [(0.3,), (1.7,), (-0.8,)]),
    (division_chain, [(1.3, 0.4), (2.5, -0.3)]),
    (constant_expression, [(1.3,), (-2.0,)]),
    (numpy_chain, [(0.5,), (-1.2,), (2.0,)]),
    (math_chain, [(1.3, 0.4), (2.5, 3.0)]),
    (abs_values, [(0.5,), (-1.2,), (2.0,)]),
    (min_max, [(1.3, 0.4), (-0.5, 3.0), (2.5, 1.7)]),
    (ternary, [(1.3, 0.4), (-0.5, 3.0)]),
    (float_conversion, [(1.3, 4), (-0.5, 0)]),
    (tuple_unpack, [(1.3, 0.4), (2.0, 3.0)]),
    (tuple_index, [(1.3, 0.4), (-2.0, 3.0)]),
    (swap_once, [(1.3, 0.4), (2.0, -3.0)]),
    (tuple_return, [(1.3, 0.4), (2.0, -3.0)]),
    (sum_of_tuple, [(1.3, 0.4), (2.0, -3.0)]),
    (nested_if, [(1.3, 0.4), (1.3, -0.4), (-1.3, 0.4), (-1.3, -2.0)]),
    (elif_chain, [(-1.5,), (-0.5,), (0.5,), (1.5,)]),
    (bool_condition, [(1.3, 0.4), (1.3, -0.4), (-6.0, 0.4)]),
    (branch_reassign, [(1.3,), (-0.7,)]),
    (early_return, [(1.3,), (0.7,)]),
    (inactive_branch, [(1.3, 3), (0.7, 1)]),
    (branch_one_side_active, [(1.3, 0.4), (0.7, 2.0)]),
    (horner, [(1.3, 5), (-0.7, 3), (0.5, 0)]),
    (power_loop, [(1.3, 7), (-0.7, 4), (0.5, 0)]),
    (data_dependent_for, [(1.1,), (2.5,), (0.2,)]),
    (overwrite_many, [(0.3,), (1.7,)]),
    (logistic, [(0.3, 2.5), (0.6, 3.2)]),
    (swap_loop, [(1.3, 0.4), (-0.5, 2.0)]),
    (two_var_recurrence, [(1.3,), (-0.5,)]),
    (int_float_mix, [(1.3, 5), (-0.5, 2)]),
    (integer_exponent, [(1.3, 5), (-0.5, 3)]),
    (break_loop, [(1.3, 8), (0.1, 5)]),
    (continue_loop, [(1.3, 7), (0.4, 4)]),
    (return_in_loop, [(1.3, 8), (0.1, 3)]),
    (for_else, [(1.3, 8), (0.5, 3)]),
    (for_else_value, [(1.3, 0.4), (20.0, 0.1)]),
    (nested_loops, [(1.3, 5), (-0.5, 3)]),
    (loop_with_if, [(1.3, 6), (0.2, 5)]),
    (comprehension_sum, [(1.3, 5), (-0.5, 3)]),
    (comprehension_over_values, [(1.3, 0.4), (-0.5, 2.0)]),
    (loop_over_values, [(1.3, 0.4), (-0.5, 2.0)]),
    (enumerate_loop, [(1.3,), (-0.5,)]),
    (list_append, [(1.3, 5), (-0.5, 3)]),
    (accumulate_constant_times, [(1.3, 0.4, 5), (-0.5, 2.0, 3)]),
    (pow_in_loop, [(1.3, 4), (2.0, 2)]),
    (nested_control, [(1.3, 0.4, 7), (0.9, 2.5, 8), (-1.0, 0.5, 3)]),
    (min_max_loop, [(1.3, 0.4, 4), (0.2, 3.0, 5)]),
    (return_tuple_from_loop, [(1.3, 4), (0.5, 2)]),
    (newton_sqrt, [(2.0,), (0.3,), (7.5,)]),
    (halving, [(5.3,), (0.6,), (100.0,)]),
    (while_counter, [(1.3, 5), (0.5, 0)]),
    (while_growth, [(1.3,), (0.2,), (45.0,)]),
    (while_break, [(1.3,), (0.5,)]),
    (while_continue, [(1.3, 5), (0.5, 1)]),
    (return_in_while, [(1.3,), (3.0,), (150.0,)]),
    (while_two_conditions, [(1.3, 1.5), (0.5, 3.0)]),
    (while_nested_for, [(1.3,), (4.0,)]),
    (iteration_builtins, [(1.3, 0.4), (-0.5, 2.0)]),
    (list_setitem, [(1.3, 0.4), (-0.5, 2.0)]),
    (nested_tuple, [(1.3, 0.4), (-0.5, 2.0)]),
    (generator_sum, [(1.3,), (-0.5,)]),
    (list_of_lists, [(1.3, 4), (-0.5, 2)]),
    (while_if_break, [(1.3,), (9.3,)]),
    (mod_loop, [(0.7,), (0.2,)]),
]


def float_positions(point):
    return [i for i, a in enumerate(point) if isinstance(a, float)]


def points(cases=CASES):
    """(function, point) pairs, for parametrize."""
    return [(fn, p) for fn, pts in cases for p in pts]


def point_id(fn, p):
    return f"{fn.__name__}{p}"


SCALAR_OUTPUT = [c for c in CASES if c[0] not in (two_outputs, tuple_return,
                                                  return_tuple_from_loop)]
VECTOR_OUTPUT = [c for c in CASES if c not in SCALAR_OUTPUT]


# ---------------------------------------------------------------------------
# Finite differences
# ---------------------------------------------------------------------------
def central_difference(f, point, direction, h=1e-6):
    """(f(p + h v) - f(p - h v)) / 2h in float64, for the float arguments; the
    result has f's structure (a tuple for a tuple-returning f)."""
    def moved(sign):
        return [a + sign * h * d if isinstance(a, float) else a
                for a, d in zip(point, direction)]
    up, down = f(*moved(1)), f(*moved(-1))
    if isinstance(up, tuple):
        return tuple((u - d) / (2 * h) for u, d in zip(up, down))
    return (up - down) / (2 * h)


def gradient_by_differences(f, args, i, h=1e-6):
    """The gradient of the scalar function ``f`` with respect to its argument
    ``i`` (a float or a float array) at ``args``, entry by entry by central
    differences in float64."""
    args = [np.array(a, dtype=float) if isinstance(a, np.ndarray) else a for a in args]

    def at(v):
        return f(*args[:i], v, *args[i + 1:])
    x = args[i]
    if not isinstance(x, np.ndarray):
        return (at(x + h) - at(x - h)) / (2 * h)
    out = np.zeros_like(x)
    for j in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        out[j] = (at(up) - at(down)) / (2 * h)
    return out


def random_direction(point, rng):
    """A random tangent: floats for float arguments, None for int arguments."""
    return tuple(float(rng.normal()) if isinstance(a, float) else None for a in point)


def as_vector(x):
    return np.atleast_1d(np.asarray(x, dtype=float)).ravel()


def close(actual, expected, rtol=1e-5, atol=1e-6):
    return np.allclose(as_vector(actual), as_vector(expected), rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# One small function per rule of the registry
# ---------------------------------------------------------------------------
LIBRARIES = ("core", "math", "numpy")

# Rules not checked on scalars, with the reason.
NOT_SCALAR = {
    "@": "matrix product: takes no scalars",
    "std": "one element: std = sqrt(0), which has no derivative (nan, as in JAX)",
}

# Calls that need more than ``f(x)`` / ``f(x, y)``: rule name -> expressions.
SPECIAL_FORMS = {
    ("core", "sum"): ["f((x, y, x * y))", "f([x * x, y], 1.5)"],
    ("core", "enumerate"): None,  # covered by iteration_builtins in CASES
    ("core", "zip"): None,
    ("core", "reversed"): None,
    ("core", "iter"): None,  # tests/ad/test_iterator_builtins.py
    # finite differences cannot see through float16/float32 rounding: checked
    # against the exact derivative in tests/ad/test_inactive_calls.py
    ("numpy", "float16"): None,
    ("numpy", "float32"): None,
    # the rules of methods (x.item(), x.astype(float), d.copy()): their tests are
    # tests/ad/test_inactive_calls.py and tests/ad/test_dict_and_zip_loops.py
    ("core", "item"): None,
    ("core", "tolist"): None,  # tests/ad/test_unpack_and_keyword_operands.py
    ("core", "astype"): None,
    ("core", "container_copy"): None,
    ("core", "value_copy"): None,  # tests/frontend/test_container_aliasing.py
    ("math", "log"): ["f(x)", "f(x, y)"],
    ("core", "max"): ["f(x, y)", "f(x, y, 0.75)", "f([x, y * y])", "f([x], default=y)"],
    ("core", "min"): ["f(x, y)", "f(x, 0.75, y)", "f((x, y * y))", "f([], default=y)"],
    ("core", "list"): ["f((x, y))[1] * x"],
    ("core", "tuple"): ["f([x, y])[0] * y"],
    ("core", "sorted"): ["f([x, y, 0.5])[1]", "f([x, y], reverse=True)[0] * y"],
    ("core", "divmod"): ["f(x * 7.1, y)[1]"],
    ("math", "ldexp"): ["f(x, 3)"],
    ("math", "dist"): ["f([x, y], [0.5, x * y])"],
    ("math", "frexp"): ["f(x * 3.0)[0]"],
    ("math", "modf"): ["f(x * 3.0)[0]"],
    ("math", "fsum"): ["f([x, y, x * y])"],
    ("math", "prod"): ["f([x, y, x * y])", "f([x, 2.0], start=y)"],
    ("math", "hypot"): ["f(x, y)", "f(x, y, x * y)"],
    ("math", "sumprod"): ["f([x, y, 2.0], [y, x * x, x])"],  # Python 3.12
}

UNIT = [(-0.6, 0.3), (0.2, -0.5), (0.7, 0.45)]
POSITIVE = [(0.4, 1.3), (1.3, 2.5), (2.7, 0.6)]
DEFAULT = [(1.3, 0.4), (-0.7, 1.9), (2.2, -1.4)]
DOMAINS = {
    "asin": UNIT, "acos": UNIT, "atanh": UNIT, "arcsin": UNIT, "arccos": UNIT, "arctanh": UNIT,
    "acosh": [(1.3, 0.4), (2.0, 1.5), (3.5, 2.2)], "arccosh": [(1.3, 0.4), (2.0, 1.5), (3.5, 2.2)],
    "log": [(0.4, 2.0), (1.3, 0.5), (2.7, 10.0)], "log2": POSITIVE, "log10": POSITIVE,
    "sqrt": POSITIVE, "log1p": [(-0.5, 1.0), (0.4, 1.3), (2.7, 0.6)],
    "**": POSITIVE + [(0.7, -1.9)], "pow": POSITIVE + [(0.7, -1.9)],
    "power": POSITIVE + [(0.7, -1.9)], "float_power": POSITIVE + [(0.7, -1.9)],
    "%": [(5.3, 1.7), (-3.2, 1.1), (2.2, -0.9)], "fmod": [(5.3, 1.7), (-3.2, 1.1), (2.2, -0.9)],
    "remainder": [(5.3, 1.7), (-3.2, 1.1), (2.2, -0.9)],
    "tan": [(-1.2, 0.4), (0.3, 1.3), (1.1, -0.5)],
    "reciprocal": [(1.3, 0.4), (-0.7, 1.9), (2.2, -1.4)],
}


def _scalar_signature(rule):
    which = "partials" if rule.partials is not None else ("jvp" if rule.jvp is not None else "vjp")
    return rule.signature(which)


def _required_arity(rule):
    return sum(1 for p in _scalar_signature(rule).parameters.values()
               if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def _forms(rule):
    key = (rule.library, rule.name)
    if key in SPECIAL_FORMS:
        return SPECIAL_FORMS[key]
    if isinstance(rule.primitive, str):
        kind, op = rule.primitive.split(":", 1)
        return [f"x {op} y"] if kind == "binop" else [f"{op}x"]
    return [{1: "f(x)", 2: "f(x, y)", 3: "f(x, y, 0.75)"}.get(_required_arity(rule))]


def _scalar_result(fn, point):
    try:
        with np.errstate(all="raise"):
            out = fn(*point)
    except Exception:
        return False
    return isinstance(out, (float, np.floating)) and np.isfinite(out)


def rule_cases():
    """(id, function of (x, y), points, rule) for each differentiable rule that
    takes scalars.

    The call is ``f(x)`` or ``f(x, y)`` after the rule's required parameters
    (or a form of SPECIAL_FORMS).  A rule whose call fails or gives no finite
    float at every point (a NumPy function that needs an array) has no case;
    :func:`uncovered_rules` lists those."""
    out = []
    for rule in all_rules():
        if rule.library not in LIBRARIES or rule.nondiff or rule.name in NOT_SCALAR:
            continue
        if not (rule.has_forward or rule.has_reverse):
            continue
        forms = _forms(rule)
        if forms is None:
            continue
        for form in forms:
            if form is None:
                continue
            source = f"def {_ident(rule)}(x, y):\n    return {form}\n"
            fn = s2sad.from_source(source, globals={"f": rule.primitive, "np": np, "math": math})
            pts = [p for p in DOMAINS.get(rule.name, DEFAULT) if _scalar_result(fn, p)]
            if pts:
                out.append((f"{rule.library}.{rule.name}:{form}", fn, pts, rule))
    return out


def uncovered_rules():
    covered = {case[3] for case in rule_cases()}
    return [r for r in all_rules() if r.library in LIBRARIES and not r.nondiff
            and r.name not in NOT_SCALAR and _forms(r) is not None and r not in covered]


def _ident(rule):
    name = "".join(c if c.isalnum() else "_" for c in rule.name)
    return f"rule_{rule.library}_{name}"
