"""Functions as values: lambdas, nested defs, closures, higher-order calls.

Every case is checked in both modes against central finite differences (and
the two modes against each other), and at second order (``hvp``, forward over
reverse) against finite differences of the checked gradient.  The refusals are
checked for their message and location.
"""
import functools
import inspect
import operator

import numpy as np
import pytest

import s2sad

H = 1e-6


# -- the user's own higher-order helpers, at module level ----------------------------------
def apply(fn, x):
    return fn(x)


def apply_twice(fn, x):
    return fn(fn(x))


def compose(f, g):
    return lambda x: f(g(x))


def make_scale(a):
    def inner(x):
        return a * x
    return inner


def make_poly(c0, c1):
    return lambda t: c0 + c1 * t * t


def times(a, b):
    return a * b


def smooth(x, act=np.tanh):
    return act(x) * 2.0


def largest_first_sum(xs, n):
    if n == 0:
        return 0.0
    ys = sorted(xs, key=lambda v: -v)  # inlined where called; the recursion is a call
    return ys[0] + largest_first_sum(xs[1:], n - 1)


SCALE = 2.0
SQUARE = lambda v: v * v  # noqa: E731  (a module-level lambda: a user function)


def scaled(fn, x):
    return fn(x) * SCALE


# -- 1. lambdas assigned and called ---------------------------------------------------------
def lambda_called(x):
    g = lambda v: v * v  # noqa: E731
    return g(x) + g(2.0 * x)


def lambda_late_binding(x):
    k = 2.0
    g = lambda v: v * k  # noqa: E731
    k = x * x  # read when g is called, as Python does
    return g(x)


def lambda_default_argument(x):
    k = x
    g = lambda v, k=k: v * k  # noqa: E731  (k is bound where the lambda is made)
    k = 3.0
    return g(x) + g(1.0, k=k)


def lambda_keyword_call(x):
    g = lambda a, b=2.0: a * b + a  # noqa: E731
    return g(b=x, a=np.sin(x))


def lambda_in_loop(x):
    for i in range(3):
        g = lambda v: v * x + i  # noqa: E731
        x = g(x) * 0.5
    return x


def lambda_in_branch(x):
    if x > 0:
        g = lambda v: v * v  # noqa: E731
        y = g(x)
    else:
        y = -x
    return y


def lambda_immediately_called(x):
    return (lambda t: t * np.exp(t))(x)


def nested_def_as_value(x):
    def sq(v):
        return v * v * x
    return apply(sq, x) + apply_twice(sq, 0.5)


# -- 2. the user's higher-order helpers, closures, callbacks --------------------------------
def apply_lambda(x):
    return apply(lambda t: np.sin(t) * x, x)


def compose_functions(x):
    h = compose(np.sin, lambda t: t * t)
    return h(x) + compose(h, np.exp)(x)


def returned_closure(x):
    c = x * 3.0
    h = make_scale(c)
    return make_scale(2.0)(x) + h(x) + make_poly(x, 2.0)(x)


def list_of_callbacks(x):
    s = 0.0
    for fn in [np.sin, lambda t: t * t, np.exp, make_scale(x)]:
        s = s + fn(x)
    return s


def dict_of_callbacks(x):
    table = {"a": np.sin, "b": lambda t: t ** 3}
    total = table["a"](x) * table["b"](x)
    for name, fn in table.items():
        total = total + fn(x)
    for fn in table.values():
        total = total + 0.5 * fn(x)
    return total


def enumerate_callbacks(x):
    s = 0.0
    for i, fn in enumerate((np.sin, np.cos)):
        s = s + (i + 1) * fn(x)
    return s + len([np.sin, np.cos])


def callbacks_with_break(x):
    s = 0.0
    for fn in [np.sin, np.cos, np.exp]:
        s = s + fn(x)
        if s > 1.2:
            break
    else:
        s = s * 2.0
    return s


def callbacks_zipped_with_weights(x):
    s = 0.0
    for fn, w in zip([np.sin, lambda t: t * t], [2.0, x]):
        s = s + w * fn(x)
    return s


def callbacks_in_generator(x):
    fns = [np.sin, np.cos, lambda t: t * x]
    return sum(fn(x) for fn in fns)


def callbacks_indexed(x):
    fns = (np.sin, lambda t: t * t)
    first, second = fns
    return fns[0](x) * fns[-1](x) + first(second(x))


def helper_default_function(x):
    return smooth(x) + smooth(x, np.sin)


def closure_made_in_loop(x):
    s = 0.0
    for c in [1.0, 2.0, x]:
        h = make_scale(c)
        s = s + h(x)
    return s


def closure_writes_captured_list(x):
    acc = []

    def add(v):
        acc.append(v * v)  # the caller's list, as in Python
    add(x)
    add(np.sin(x))
    return sum(acc)


SUM_COLUMNS = functools.partial(np.sum, axis=0)


def recursion_with_a_lambda_inside(x):
    return largest_first_sum([x, 2.0 * x, np.sin(x)], 3)


def def_in_loop_used_after(x):
    for i in range(3):
        def step(v):
            return v * 0.5 + np.sin(v) + i
        g = lambda v: v * i  # noqa: E731  (reads i when called: its last value)
        x = step(x)
    return step(x) + SQUARE(x) + apply(SQUARE, x) + g(x)


def partial_functions(x):
    g = functools.partial(times, 3.0)
    h = functools.partial(lambda a, b: a - b, b=x)
    return np.sum(g(x) * h(2.0 * x)) + np.sum(SUM_COLUMNS(np.outer(x, x)))


# -- 3. builtins that take functions --------------------------------------------------------
def map_one(x):
    return sum(map(lambda v: v * v, [x, np.sin(x), 2.0]))


def map_two(x):
    ys = [x, 2.0 * x, np.sin(x)]
    zs = [1.0, x, 3.0]
    return sum(list(map(lambda a, b: a * b, ys, zs)))


def map_in_for_loop(x):
    s = 0.0
    for v in map(np.sin, [x, 2.0 * x]):
        s = s + v * v
    return s


def map_to_array(x):
    return np.sum(np.array(list(map(np.exp, x))) * x)


def map_user_function(x):
    return sum(map(times, [x, x], [2.0, x]))


def sorted_by_key(x):
    ys = [np.sin(x), x * x, 0.5 * x]
    s = sorted(ys, key=lambda v: -v)
    return s[0] * 3.0 + s[1]


def sorted_reverse_array(x):
    s = sorted(x, key=abs, reverse=True)
    return s[0] * 2.0 + s[1] * s[2]


def max_min_by_key(x):
    ys = [np.sin(x), x * x, 0.5 * x]
    return max(ys, key=lambda v: abs(v)) * 2.0 + min(ys, key=abs)


def max_of_arguments_by_key(x):
    return max(np.sin(x), np.cos(x), key=lambda v: v * v) + min(x, 2.0 * x, key=lambda v: -v)


def reduce_lambda(x):
    ys = [x, np.sin(x), 2.0]
    return functools.reduce(lambda a, b: a * b, ys) + \
        functools.reduce(lambda a, b: a + b * b, ys, 1.0)


def reduce_user_function(x):
    return functools.reduce(times, [x, np.cos(x), x])


def reduce_operators(x):
    return np.sum(functools.reduce(operator.mul, [x, x, 3.0])) + \
        functools.reduce(operator.add, x * x)


def reduce_functions(x):
    fn = functools.reduce(compose, [np.sin, np.exp, lambda t: t * 0.5])
    return fn(x)


def filter_positive(x):
    ys = [x, -x, 2.0 * x]
    return sum(filter(lambda v: v > 0, ys))


# -- 4. NumPy and math functions as values --------------------------------------------------
def default_reduction(x, reduce=np.sum):
    return reduce(x * x)


def numpy_function_alias(x):
    fn = np.sin
    g = np.cos
    fn2 = fn
    return fn(x) * apply(g, x) + fn2(x)


def run_with(x, transform=None, post=None):
    if transform is not None:
        x = transform(x)
    if post is None:
        return x * 2.0
    return post(x)


def optional_callbacks(x):
    # `is None` of a function value is known when compiling
    return run_with(x, lambda v: v * v) + run_with(x, np.sin, post=np.exp) + run_with(x)


def get_activation(name):
    if name == "tanh":
        return np.tanh
    elif name in ("sin", "sine"):
        return np.sin
    return lambda v: v * np.exp(-v * v)


def activation_by_name(x):
    act = get_activation("tanh")  # the name is a constant: resolved when compiling
    return act(x) + get_activation("sine")(x) + get_activation("bump")(x)


def numpy_function_key(x):
    return apply(np.tanh, x) + apply_twice(np.sin, x)


CASES = [
    (lambda_called, 0.7), (lambda_late_binding, 0.7), (lambda_default_argument, 0.7),
    (lambda_keyword_call, 0.7), (lambda_in_loop, 0.7), (lambda_in_branch, 0.7),
    (lambda_in_branch, -0.7), (lambda_immediately_called, 0.7), (nested_def_as_value, 0.7),
    (apply_lambda, 0.7), (compose_functions, 0.7), (returned_closure, 0.7),
    (list_of_callbacks, 0.7), (dict_of_callbacks, 0.7), (enumerate_callbacks, 0.7),
    (callbacks_with_break, 0.3), (callbacks_with_break, 0.9), (callbacks_in_generator, 0.7),
    (callbacks_zipped_with_weights, 0.7),
    (callbacks_indexed, 0.7), (helper_default_function, 0.7), (closure_made_in_loop, 0.7),
    (closure_writes_captured_list, 0.7), (partial_functions, 0.7),
    (recursion_with_a_lambda_inside, 0.7), (def_in_loop_used_after, 0.7),
    (partial_functions, [0.3, -0.4]),
    (map_one, 0.7), (map_two, 0.7), (map_in_for_loop, 0.7), (map_to_array, [0.3, -0.2, 0.5]),
    (map_user_function, 0.7), (sorted_by_key, 0.7), (sorted_by_key, -0.4),
    (sorted_reverse_array, [0.3, -0.9, 0.5]), (max_min_by_key, 0.7), (max_min_by_key, -0.3),
    (max_of_arguments_by_key, 0.7), (reduce_lambda, 0.7), (reduce_user_function, 0.7),
    (reduce_operators, [0.3, 0.5]), (reduce_functions, 0.7), (filter_positive, 0.7),
    (filter_positive, -0.7), (default_reduction, [0.3, 0.5]), (numpy_function_alias, 0.7),
    (numpy_function_key, 0.7), (activation_by_name, 0.7), (optional_callbacks, 0.7),
]


def case_id(case):
    f, x = case
    return f"{f.__name__}({x})"


def as_input(x):
    return np.array(x, dtype=float) if isinstance(x, list) else x


def fd_gradient(f, x):
    if np.ndim(x) == 0:
        return (f(x + H) - f(x - H)) / (2 * H)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = H
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * H)
    return g


def direction(x, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 1.5) if np.ndim(x) == 0 else rng.uniform(0.5, 1.5, np.shape(x))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_both_modes_match_finite_differences(case):
    f, x = case
    x = as_input(x)
    expected = fd_gradient(f, x)
    v = direction(x)
    value, tangent = s2sad.jvp(f, (x,), (v,))
    assert np.allclose(value, f(x), rtol=1e-12, atol=1e-12)
    assert np.allclose(tangent, np.sum(expected * v), rtol=1e-5, atol=1e-6)
    value, gradient = s2sad.value_and_grad(f)(x)
    assert np.allclose(value, f(x), rtol=1e-12, atol=1e-12)
    assert np.allclose(gradient, expected, rtol=1e-5, atol=1e-6)
    # the dot-product test: <J v, w> = <v, J^T w> with w = 1
    assert np.allclose(tangent, np.sum(gradient * v), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_second_order(case):
    f, x = case
    x = as_input(x)
    v = direction(x, 1)
    grad = s2sad.grad(f)
    expected = (grad(x + H * v) - grad(x - H * v)) / (2 * H)
    assert np.allclose(s2sad.hvp(f, (x,), (v,)), expected, rtol=1e-4, atol=1e-5)
    _, forward_over_reverse = s2sad.jvp(grad, (x,), (v,))
    assert np.allclose(forward_over_reverse, expected, rtol=1e-4, atol=1e-5)
    hessian = s2sad.hessian(f)(x)
    assert np.allclose(hessian @ v if np.ndim(x) else hessian * v, expected,
                       rtol=1e-4, atol=1e-5)


def test_default_function_is_checked_at_run_time():
    x = np.array([0.3, 0.5])
    assert np.allclose(s2sad.grad(default_reduction)(x), 2 * x)
    with pytest.raises(TypeError, match="reduce=np.sum"):
        s2sad.grad(default_reduction)(x, np.max)


def test_inlined_code_reads_like_the_source():
    src = s2sad.derivative_source(lambda_called, "forward", args=(0.7,))
    code = [line for line in src.splitlines() if not line.strip().startswith("#")]
    assert not any("lambda" in line for line in code[1:]), src
    assert "g_out = x * x" in src  # the lambda's result is named after it
    src = s2sad.derivative_source(sorted_by_key, "reverse", args=(0.7,))
    assert "keys.append(key)" in src and "sort_order(keys" in src
    src = s2sad.derivative_source(reduce_lambda, "reverse", args=(0.7,))
    assert "for b" in src  # the reduction's item is named after the lambda's parameter
    src = s2sad.derivative_source(returned_closure, "forward", args=(0.7,))
    assert "inner_out" in src  # the nested def's result is named after it
    assert "make_poly_out" in src  # a returned lambda is named after its maker


def uses_scaled(x):
    return scaled(np.sin, x)


def test_inlined_helper_follows_rebinding():
    global SCALE
    assert np.isclose(s2sad.grad(uses_scaled)(0.7), 2.0 * np.cos(0.7))
    try:
        SCALE = 3.0  # a global the inlined helper reads: the next call recompiles
        assert np.isclose(s2sad.grad(uses_scaled)(0.7), 3.0 * np.cos(0.7))
    finally:
        SCALE = 2.0


def test_closure_reads_the_variable_when_called():
    # Python's late binding: the value of k at the call, not at the lambda
    assert np.isclose(s2sad.grad(lambda_late_binding)(0.7), 3 * 0.7 ** 2)
    # k=k is bound where the lambda is made: g(x) is x * x, g(1.0, k=3.0) is 3
    assert np.isclose(s2sad.grad(lambda_default_argument)(0.7), 2 * 0.7)


# -- refusals -----------------------------------------------------------------------------------
def chosen_by_branch(x):
    fn = np.sin if x > 0 else np.cos
    return fn(x)  # ERR fn


def returns_function(x):
    return lambda v: v * x  # ERR return


def list_changed(x):
    fns = [np.sin]
    fns.append(np.cos)  # ERR fns
    return fns[0](x)


def map_kept(xs):
    m = map(np.sin, xs)  # ERR map
    return sum(m)


def function_to_numpy(X):
    return np.apply_along_axis(lambda r: r.sum(), 0, X).sum()  # ERR lambda


def changed_in_loop(x):
    g = np.sin
    for i in range(2):
        x = g(x)  # ERR g
        g = np.cos
    return x


def recursive_nested(x):
    def fact(v):
        return v * fact(v - 1.0)  # ERR fact
    return fact(x)


def star_lambda(x):
    g = lambda *a: a[0]  # noqa: E731  # ERR lambda
    return g(x)


def indexed_at_run_time(x, i):
    fns = [np.sin, np.cos]
    return fns[i](x)  # ERR i


def used_after_loop(x):
    for i in range(2):
        g = lambda v, i=i: v * i  # noqa: E731  (its default is this iteration's i)
    return g(x)  # ERR g


def stored_in_dict(x):
    d = {}
    d["f"] = lambda v: v  # ERR d
    return d["f"](x)


def defined_in_branches(x):
    if x > 0:
        def g(v):
            return v
    else:
        def g(v):
            return -v
    return g(x)  # ERR g


def recursive_helper(fn, x, n):
    if n == 0:
        return fn(x)
    return recursive_helper(fn, x, n - 1)  # ERR recursive_helper


def calls_recursive_helper(x):
    return recursive_helper(np.sin, x, 2)


def pick(c):
    if c > 0:
        return np.sin
    return np.cos


def picked_at_run_time(x):
    return pick(x)(x)  # ERR pick


def too_many_arguments(x):
    g = lambda v: v  # noqa: E731
    return g(x, x)  # ERR g


REFUSALS = [
    (chosen_by_branch, (0.5,), "cannot tell which function 'fn' is"),
    (returns_function, (0.5,), "returns a function"),
    (list_changed, (0.5,), "a list of functions cannot be used here"),
    (map_kept, ([0.1, 0.2],), "a map object is iterated once"),
    (function_to_numpy, (np.ones((2, 2)),), "a function value cannot be used as an argument"),
    (changed_in_loop, (0.5,), "it changes from one iteration to the next"),
    (recursive_nested, (0.5,), "calls itself"),
    (star_lambda, (0.5,), "a lambda with *args"),
    (indexed_at_run_time, (0.5, 1), "can only be indexed by a constant"),
    (used_after_loop, (0.5,), "depends on how many times the loop ran"),
    (stored_in_dict, (0.5,), "a function value cannot be used here"),
    (defined_in_branches, (0.5,), "depending on the branch taken"),
    (calls_recursive_helper, (0.5,), "calls itself with a function value"),
    (too_many_arguments, (0.5,), "takes 1 positional arguments but 2 were given"),
    (picked_at_run_time, (0.5,), "cannot tell which function this is"),
]


def marked_location(f):
    lines, start = inspect.getsourcelines(f)
    for k, line in enumerate(lines):
        if "# ERR " in line:
            token = line.split("# ERR ", 1)[1].strip()
            return start + k, line.index(token)
    raise AssertionError(f"no marker in {f.__name__}")


@pytest.mark.parametrize("f, args, message", REFUSALS, ids=[r[0].__name__ for r in REFUSALS])
def test_refusals_name_the_place_and_say_what_to_do(f, args, message):
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(f)(*args)
    err = info.value
    target = recursive_helper if f is calls_recursive_helper else f
    lineno, col = marked_location(target)
    assert message in err.message, str(err)
    assert err.filename == __file__
    assert (err.lineno, err.col) == (lineno, col), str(err)
    assert err.hint and err.hint in str(err)
    assert "^" in str(err)
    with pytest.raises(s2sad.UnsupportedSyntaxError):
        s2sad.jvp(f, args, (1.0,) + (None,) * (len(args) - 1))


def holomorphic_callbacks(z):
    g = lambda v: v * np.sin(v)  # noqa: E731
    total = functools.reduce(lambda a, b: a + b, map(g, [z, 2.0 * z]))
    return total + apply(np.exp, z) + compose(np.cos, lambda t: t * t)(z)


def test_complex_inputs():
    z = 0.7 + 0.3j
    h = 1e-7
    expected = (holomorphic_callbacks(z + h) - holomorphic_callbacks(z - h)) / (2 * h)
    _, tangent = s2sad.jvp(holomorphic_callbacks, (z,), (1.0 + 0j,))
    assert np.isclose(tangent, expected, rtol=1e-6)
    assert np.isclose(s2sad.grad(holomorphic_callbacks, holomorphic=True)(z), expected,
                      rtol=1e-6)
