"""Differentiate through a while loop with a data-dependent trip count.

`cube_root(a)` runs Newton's iteration until it converges; how many steps it
takes depends on `a`.  Reverse mode records the trip count and walks the loop
backwards (JAX's reverse mode cannot differentiate such a loop).  The exact
derivative of a^(1/3) is 1 / (3 a^(2/3)).
"""


def cube_root(a):
    x = a
    while abs(x * x * x - a) > 1e-12 * a:
        x = x - (x * x * x - a) / (3 * x * x)
    return x


if __name__ == "__main__":
    import s2sad

    a = 10.0
    root, slope = s2sad.value_and_grad(cube_root)(a)
    print(f"cube_root({a}) = {root:.10f}")
    print(f"d/da by reverse mode = {slope:.10f}")
    print(f"exact 1/(3 a^(2/3))  = {1 / (3 * a ** (2 / 3)):.10f}")
