"""One spec per registered rule, for the systematic rule test (``test_combo.py``).

A spec is ``Spec(primitive, template, domains, family, complex=...)``:

* ``template``: the body of a function of ``x``, ``y``, ``z`` (one per domain):
  an expression, or statements ending in ``return``.  ``{ax}`` stands for the
  axis arguments of a reduction (``, axis=(0, 2), keepdims=True`` or nothing).
* ``domains``: one per argument, a maker of ``tests/rules/cases.py`` that takes a
  shape (``U`` any real in (-1, 1), ``P`` positive, ``SPREAD`` away from ties,
  or a ``lambda *s: U(*s, lo=..., hi=...)``).
* ``family``: which configurations apply --
  ``ELEM`` every shape ``()``, ``(3,)``, ``(2, 3)``, ``(2, 3, 4)`` for one argument,
  those pairs and the broadcasting pairs for two (``BROADCAST``);
  ``SCALAR`` floats only (``math``, builtins); ``REDUCE`` every ``axis`` (None,
  each int, negative ints, tuples) x ``keepdims`` over the four shapes; ``AXIS``
  every ``axis`` (None and each int, no keepdims); a list of shape tuples; or
  ``CASES``: the entries of ``cases.py`` for this primitive (structural, product,
  selection, linalg and nondifferentiable rules, whose arguments need particular
  shapes: the makers there already give them).
* ``complex``: the rule takes complex input (checked in forward and reverse
  mode along complex directions, arguments drawn with ``CPLX``).
* ``modes`` and ``step``, rarely: a subset of the modes, and the step of the
  first-order differences (conversions to float16/float32 are checked on a grid
  of exactly representable numbers, with a step of the grid, in first order only).

``test_combo.test_every_rule_has_a_spec`` fails for a registered rule of a
user-facing library (everything but the ``runtime`` helpers, which
``RUNTIME_COVERAGE`` in ``test_combo.py`` covers through second order) without
a spec here.
"""
import builtins
import cmath
import math
import operator
import types

import numpy as np

try:
    import scipy.special as sc
    from scipy.stats import norm
except ImportError:  # the scipy rules are not registered either
    sc = norm = None

from s2sad import runtime as rt
from s2sad.rules import lookup
from s2sad.rules.methods import astype as METHOD_ASTYPE, item as METHOD_ITEM
from s2sad.rules.methods import tolist as METHOD_TOLIST
from s2sad.rules.methods import container_copy as METHOD_COPY
from s2sad.rules.methods import value_copy as VALUE_COPY

from .cases import BINARY, CASES, LINALG_CASES, P, SPREAD, U, UNARY

ELEM, SCALAR, REDUCE, AXIS, CASES_FAMILY = "elem", "scalar", "reduce", "axis", "cases"
SHAPES = [(), (3,), (2, 3), (2, 3, 4)]
BROADCAST = [((3,), (2, 3)), ((), (2, 3, 4)), ((2, 1, 4), (3, 1)), ((2, 3), ()), ((2, 3), (3,))]


class Spec:
    def __init__(self, primitive, template, domains=(), family=ELEM, complex=False, name=None,
                 modes=None, step=None):
        self.primitive = primitive
        self.modes = modes  # a subset of the modes, where the others cannot apply
        self.step = step  # the finite differences' step, where 1e-6 would not do
        self.template = template
        self.domains = tuple(domains)
        self.family = family
        self.complex = complex
        self.name = name or template.replace("{ax}", "")

    def __repr__(self):
        return f"<Spec {self.name}>"


def GRID(*shape):
    """Multiples of 1/64 in [-1, 1]: exact in float16, and so are their neighbours
    on the grid."""
    def make(rng):
        x = rng.integers(-56, 57, shape) / 64.0
        return float(x) if not shape else x
    make.shape = shape
    return make


def key_of(primitive):
    """The registry's key of a primitive: a bound method (``np.add.reduce``,
    ``norm.pdf``) is new at each attribute read, its object and name stay."""
    if isinstance(primitive, str):
        return primitive
    owner = getattr(primitive, "__self__", None)
    if isinstance(primitive, (types.MethodType, types.BuiltinMethodType)) and \
            owner is not None and not isinstance(owner, types.ModuleType):
        return ("method", id(owner), primitive.__name__)
    return id(primitive)


def ranged(lo, hi):
    return lambda *s: U(*s, lo=lo, hi=hi)


SPECS = []


def spec(*args, **kwargs):
    SPECS.append(Spec(*args, **kwargs))


# ---------------------------------------------------------------------------
# NumPy elementwise: the domains of cases.UNARY / cases.BINARY
# ---------------------------------------------------------------------------
HOLOMORPHIC = {  # complex in, complex out, one complex derivative
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
    "arccosh", "arctanh", "exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "sqrt",
    "square", "reciprocal", "negative", "positive", "add", "subtract", "multiply", "divide",
    "power", "float_power",
}
NONHOLOMORPHIC = {"absolute", "conjugate", "real"}  # defined on complex numbers, R-linear or real
for _name, _dom in UNARY.items():
    spec(getattr(np, _name), f"np.{_name}(x)", [_dom],
         complex=_name in HOLOMORPHIC | NONHOLOMORPHIC)
for _name, _doms in BINARY.items():
    spec(getattr(np, _name), f"np.{_name}(x, y)", _doms, complex=_name in HOLOMORPHIC)
spec(np.where, "np.where(x > 0, x, y)", [U, U], complex=False)
spec(np.clip, "np.clip(x, -0.5, 0.5)", [U])
spec(np.clip, "np.clip(x, y, 0.6)", [U, ranged(-0.6, -0.1)])
spec(np.ldexp, "np.ldexp(x, 2)", [U])
spec(np.divmod, "np.divmod(x, y)", [ranged(2.1, 2.9), ranged(1.1, 1.4)])
spec(np.modf, "np.modf(x)", [ranged(0.1, 0.9)])
spec(np.frexp, "np.frexp(x)", [ranged(1.1, 1.9)])

# ---------------------------------------------------------------------------
# Reductions and scans
# ---------------------------------------------------------------------------
for _name in ("sum", "mean", "prod", "nansum", "nanmean", "std", "var"):
    spec(getattr(np, _name), f"np.{_name}(x{{ax}})", [U], REDUCE,
         complex=_name in ("sum", "mean", "prod"))
for _name in ("max", "min", "amax", "amin", "nanmax", "nanmin", "ptp"):
    spec(getattr(np, _name), f"np.{_name}(x{{ax}})", [SPREAD], REDUCE)
spec(np.cumsum, "np.cumsum(x{ax})", [U], AXIS, complex=True)
spec(np.cumprod, "np.cumprod(x{ax})", [P], AXIS, complex=True)

# ---------------------------------------------------------------------------
# The rest of NumPy and np.linalg: the cases of cases.py
# ---------------------------------------------------------------------------
_CASE_PRIMITIVES = {}
for _case in CASES + LINALG_CASES:
    if not isinstance(_case[0], str):
        _CASE_PRIMITIVES.setdefault(key_of(_case[0]), _case[0])
_ELEMENTWISE = {key_of(s.primitive) for s in SPECS}
LINEAR_COMPLEX = {  # linear, or products: complex input checked too
    "diff", "atleast_1d", "atleast_2d", "atleast_3d", "asarray", "asanyarray",
    "ascontiguousarray", "asfortranarray", "copy", "reshape", "ravel", "squeeze",
    "expand_dims", "transpose", "matrix_transpose", "swapaxes", "moveaxis", "rollaxis",
    "broadcast_to", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack",
    "unstack", "split", "array_split", "vsplit", "dsplit", "hsplit", "append", "flip", "fliplr",
    "flipud", "rot90", "roll", "tile", "repeat", "resize", "delete", "pad", "diag", "diagflat",
    "diagonal", "trace", "tril", "triu", "take", "compress", "matmul", "dot", "inner", "outer",
    "tensordot", "kron", "cross", "vecdot", "matvec", "vecmat", "einsum", "convolve", "correlate",
}
for _p in _CASE_PRIMITIVES.values():
    if key_of(_p) in _ELEMENTWISE:
        continue
    _rule = lookup(_p)
    _lib, _name = (_rule.library, _rule.name) if _rule else ("unregistered", repr(_p))
    spec(_p, None, family=CASES_FAMILY, name=f"cases:{_lib}.{_name}",
         complex=_lib == "numpy" and _name in LINEAR_COMPLEX)
spec("binop:@", None, family=CASES_FAMILY, name="cases:x @ y", complex=True)

# ---------------------------------------------------------------------------
# math (floats only)
# ---------------------------------------------------------------------------
_MATH_DOMAIN = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh",
                "acosh": "arccosh", "atanh": "arctanh"}
for _name in ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
              "acosh", "atanh", "exp", "expm1", "log1p", "log2", "log10", "sqrt", "degrees",
              "radians", "fabs", "log", "erf", "erfc"):
    spec(getattr(math, _name), f"math.{_name}(x)", [UNARY.get(_MATH_DOMAIN.get(_name, _name), U)],
         SCALAR)
spec(math.log, "math.log(x, y)", [P, ranged(1.5, 3.0)], SCALAR)
spec(math.atan2, "math.atan2(x, y)", [U, P], SCALAR)
spec(math.hypot, "math.hypot(x, y)", [P, U], SCALAR)
spec(math.copysign, "math.copysign(x, y)", [U, P], SCALAR)
spec(math.pow, "math.pow(x, y)", [P, U], SCALAR)
spec(math.fmod, "math.fmod(x, y)", BINARY["fmod"], SCALAR)
for _template in ("x * math.floor(x * 10)", "x * math.ceil(x * 10)", "x * math.trunc(x * 10)",
                  "x * math.isnan(x)", "x * math.isinf(x)", "x * math.isfinite(x)",
                  "x * math.factorial(3)", "x * math.gcd(12, 8)", "x * math.isclose(x, 0.123)",
                  "x * math.comb(5, 2)", "x * math.perm(5, 2)"):
    spec(getattr(math, _template.split("math.")[1].split("(")[0]), _template, [U], SCALAR)

# ---------------------------------------------------------------------------
# Operators and builtins (the "core" library)
# ---------------------------------------------------------------------------
spec("binop:+", "x + y", [U, U], complex=True)
spec("binop:-", "x - y", [U, U], complex=True)
spec("binop:*", "x * y", [U, U], complex=True)
spec("binop:/", "x / y", [U, P], complex=True)
spec("binop:**", "x ** y", [P, U], complex=True)
spec("binop:**", "x ** 3.0 + 2.0 ** x", [U], complex=True)
spec("binop:%", "x % y", BINARY["remainder"])
spec("unary:-", "-x", [U], complex=True)
spec("unary:+", "+x", [U], complex=True)
spec(abs, "abs(x)", [U], complex=True)
spec(float, "float(x) * x", [U], SCALAR)
spec(max, "max(x, y)", [U, U], SCALAR)
spec(min, "min(x, y)", [U, U], SCALAR)
spec(sum, "sum([x, y, x * y])", [U, U], complex=True)
spec(sum, "sum(x)", [U], [((3,),), ((2, 3),)], complex=True)
spec(pow, "pow(x, y)", [P, U], SCALAR)
spec(enumerate, "s = 0.0\nfor i, v in enumerate(x):\n    s = s + v * i\nreturn s", [U],
     [((3,),), ((2, 3),)], name="enumerate(x)")
spec(reversed, "s = 0.0\nfor v in reversed(x):\n    s = s * 0.5 + v\nreturn s", [U],
     [((3,),), ((2, 3),)], name="reversed(x)")
spec(zip, "s = 0.0\nfor a, b in zip(x, y):\n    s = s + a * b\nreturn s", [U, U],
     [((3,), (3,)), ((2, 3), (2, 3))], name="zip(x, y)")
spec(iter, "s = 0.0\nfor v in iter(x):\n    s = s * 0.5 + v * v\nreturn s", [U],
     [((3,),), ((2, 3),)], name="iter(x)")
spec(range, "s = 0.0\nfor i in range(3):\n    s = s + x ** i\nreturn s", [U], SCALAR,
     name="range(3)")
spec(len, "x * len(x)", [U], [((3,),), ((2, 3),)])
spec(isinstance, "x * isinstance(x, float)", [U], SCALAR)
for _key, _template in (("binop://", "x * (x // 0.3)"), ("binop:<<", "x * (3 << 2)"),
                        ("binop:>>", "x * (8 >> 2)"), ("binop:|", "x * (3 | 4)"),
                        ("binop:&", "x * (3 & 6)"), ("binop:^", "x * (3 ^ 5)"),
                        ("unary:not", "x * (not x > 0)"), ("unary:~", "x * ~3"),
                        (int, "x * int(x * 10)"), (round, "x * round(x * 10)"),
                        (bool, "x * bool(x > 0)")):
    spec(_key, _template, [U], SCALAR)

spec(list, "list(x)", [U], [((3,),), ((2, 3),)], complex=True)
spec(tuple, "tuple(x)", [U], [((3,),), ((2, 3),)], complex=True)
spec(sorted, "sorted([x, y, x * y])", [U, U], SCALAR)
spec(divmod, "divmod(x, y)", BINARY["remainder"], SCALAR)
spec(complex, "complex(x, y)", [U, U], SCALAR)
spec(METHOD_ITEM, "x.item(1) * x.item(-1)", [U], [((3,),), ((2, 3),), ((2, 3, 4),)], complex=True)
spec(METHOD_ITEM, "x.item((1, 2)) * x", [U], [((2, 3),)], complex=True)
spec(METHOD_TOLIST, "np.array(x.tolist()) * x", [U], [((3,),), ((2, 3),)])
spec(METHOD_COPY, "s = [x, y]\nt = s.copy()\nt[0] = x * y\nreturn t[0] + s[0] * t[1]", [U, U],
     SCALAR, name="list.copy()")
spec(METHOD_COPY, "d = {'a': x}\ne = d.copy()\ne['a'] = x * x\nreturn d['a'] * e['a']", [U], SCALAR,
     name="dict.copy()")
spec(VALUE_COPY, "M = [[x, y], [y, x]]\nfor i in range(2):\n    M[i][0] = M[i][1] * x\n"
     "return M[0][0] * M[1][0]", [U, U], SCALAR, name="list of lists written")
spec(METHOD_ASTYPE, "x.astype(np.float64) * x", [U], [((3,),), ((2, 3),), ((2, 3, 4),)])
spec(METHOD_ASTYPE, "x.astype(np.complex128) * x", [U], [((3,),), ((2, 3),)], complex=True)

# math functions of newer Pythons and of several results
for _name, _template, _doms in (
        ("exp2", "math.exp2(x)", [U]), ("cbrt", "math.cbrt(x)", [P]),
        ("remainder", "math.remainder(x, y)", BINARY["remainder"]),
        ("gamma", "math.gamma(x)", [P]), ("lgamma", "math.lgamma(x)", [P]),
        ("ldexp", "math.ldexp(x, 3)", [U]), ("dist", "math.dist([x, y], [y, 0.3])", [U, U]),
        ("frexp", "math.frexp(x)[0] * x", [ranged(1.1, 1.9)]),
        ("modf", "math.modf(x)", [ranged(1.1, 1.9)]), ("fsum", "math.fsum([x, y, x * y])", [U, U]),
        ("prod", "math.prod([x, y, x * y])", [U, U]), ("isqrt", "x * math.isqrt(17)", [U]),
        ("lcm", "x * math.lcm(4, 6)", [U]), ("nextafter", "x + 0 * math.nextafter(x, 2.0)", [U]),
        ("ulp", "x * math.ulp(1.0)", [U]),
        ("sumprod", "math.sumprod([x, y, 2.0], [y, x * x, x])", [U, U])):
    if hasattr(math, _name):
        spec(getattr(math, _name), _template, _doms, SCALAR)

# NumPy scalar types
spec(np.float64, "np.float64(x) * x", [U], SCALAR)
spec(np.longdouble, "np.float64(np.longdouble(x)) * x", [U], SCALAR)
for _type in (np.float16, np.float32):
    spec(_type, f"np.float64(np.{_type.__name__}(x))", [GRID], SCALAR, modes=("fwd", "rev"),
         step=2.0 ** -6)
for _type in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"):
    if hasattr(np, _type):
        spec(getattr(np, _type), f"x * np.{_type}(3)", [U], SCALAR)
spec(np.angle, "x * np.angle(x)", [U])
spec(np.angle, "np.angle(x)", [U], [((3,),), ((2, 3),)], complex=True, modes=("cfwd", "crev"))

# ---------------------------------------------------------------------------
# Python constructs whose derivative code calls runtime helpers (keyed by the
# helper: these specs are what test_combo.RUNTIME_COVERAGE points at)
# ---------------------------------------------------------------------------
_VEC = [((3,),), ((3, 2),)]
spec(rt.written_adjoint, "x = np.copy(x)\nx[[0, 1]] += x[2] * x[1]\nreturn x", [U], _VEC,
     name="x[[0, 1]] += ...", complex=True)
spec(rt.add_at, "x = np.copy(x)\nnp.add.at(x, [0, 0, 1], x[2])\nreturn x", [U], _VEC,
     name="np.add.at(x, ...)", complex=True)
spec(rt.subtract_at, "x = np.copy(x)\nnp.subtract.at(x, [0, 0, 1], x[2])\nreturn x", [U], _VEC,
     name="np.subtract.at(x, ...)", complex=True)
spec(rt.unzipped_adjoint, "s = 0.0\nfor a, b in zip(*x):\n    s = s + a * b\nreturn s", [U],
     [((2, 3),)], name="for a, b in zip(*x)")
spec(rt.r_, "np.r_[x, y]", [U, U], [((3,), (2,)), ((2, 3), (1, 3))], complex=True)
spec(rt.c_, "np.c_[x, y]", [U, U], [((3,), (3,)), ((3, 2), (3,))], complex=True)
spec(rt.index_range, "np.r_[y, 0.0:x:4j]", [P, U], [((), (2,))])
spec(rt.put, "x = np.copy(x)\nnp.put(x, [0, 2], x[1] * 2)\nreturn x", [U], [((3,),)],
     name="np.put(x, ...)", complex=True)
spec(rt.unpacked_adjoint, "a, b, c = x\nreturn a * b + c", [U], _VEC, name="a, b, c = x",
     complex=True)
spec(rt.unpacked_adjoint, "a, *b = x\nreturn a * np.sum(b)", [U], _VEC, name="a, *b = x")
spec(rt.extremum_index, "max([x, y, x * y])", [U, U], SCALAR)
spec(rt.extremum_index, "max(x) * min(x)", [SPREAD], [((3,),)])
spec(rt.permuted, "sorted([x, y], key=abs)[0]", [U, U], SCALAR)
spec(rt.without, "s = [x, y, x * y]\na = s.pop(1)\nreturn a * s[0]", [U, U], SCALAR,
     name="list.pop")
spec(rt.zeros_like_value, "s = 0.0\nfor a, b in zip([x, y], [y, x]):\n    s = s + a * b\nreturn s",
     [U, U], SCALAR, name="for a, b in zip([x, y], [y, x])")
spec(rt.zipped_adjoint, "s = 0.0\nfor i, v in list(enumerate(x, start=1)):\n    s = s + v * v * i\n"
     "return s", [U], [((3,),), ((2, 3),)], name="list(enumerate(x, start=1))")
spec(rt.iterated_adjoint, "s = 0.0\nfor v in list(iter(x)):\n    s = s + v * v * v\nreturn s", [U],
     [((3,),), ((2, 3),)], name="list(iter(x))")
spec(rt.reversed_adjoint, "a = list(reversed(x))\nreturn a[0] * a[1] * a[1]", [U], [((3,),)],
     name="list(reversed(x))")
spec(rt.items_again, "p = sorted(zip(x, y))\nreturn p[0][0] * p[1][1] + p[2][0] * p[0][1]",
     [SPREAD, U], [((3,), (3,))], name="sorted(zip(x, y))")
spec(rt.index_adjoint, "d = {'a': x, 'b': y}\nd['a'] = d['a'] * y\nreturn d['a'] + d['b']", [U, U],
     SCALAR, name="dict")

# ---------------------------------------------------------------------------
# The operator module
# ---------------------------------------------------------------------------
for _name, _doms, _cplx in (("add", [U, U], True), ("sub", [U, U], True), ("mul", [U, U], True),
                            ("truediv", [U, P], True), ("pow", [P, U], True),
                            ("mod", BINARY["remainder"], False), ("neg", [U], True),
                            ("pos", [U], True), ("abs", [U], True)):
    _args = ", ".join("xyz"[:len(_doms)])
    spec(getattr(operator, _name), f"operator.{_name}({_args})", _doms, complex=_cplx)
spec(operator.matmul, "operator.matmul(x, y)", [U, U], [((2, 3), (3, 4)), ((3,), (3,)),
                                                        ((2, 2, 3), (3,))], complex=True)
for _name, _template in (
        ("floordiv", "x * operator.floordiv(x, 0.3)"), ("lt", "x * operator.lt(x, 0.2)"),
        ("le", "x * operator.le(x, 0.2)"), ("eq", "x * operator.eq(x, 0.2)"),
        ("ne", "x * operator.ne(x, 0.2)"), ("ge", "x * operator.ge(x, 0.2)"),
        ("gt", "x * operator.gt(x, 0.2)"), ("not_", "x * operator.not_(x > 0)"),
        ("truth", "x * operator.truth(x > 0)"), ("is_", "x * operator.is_(x, None)"),
        ("is_not", "x * operator.is_not(x, None)"),
        ("contains", "x * operator.contains([1, 2], 2)"),
        ("index", "x * operator.index(3)"), ("invert", "x * operator.invert(3)"),
        ("and_", "x * operator.and_(3, 6)"), ("or_", "x * operator.or_(3, 4)"),
        ("xor", "x * operator.xor(3, 5)"), ("lshift", "x * operator.lshift(3, 2)"),
        ("rshift", "x * operator.rshift(8, 2)"), ("countOf", "x * operator.countOf([1, 2, 2], 2)"),
        ("indexOf", "x * operator.indexOf([1, 2], 2)"),
        ("length_hint", "x * operator.length_hint([1, 2])")):
    spec(getattr(operator, _name), _template, [U], SCALAR)

# ---------------------------------------------------------------------------
# cmath (complex results of real arguments, and complex arguments)
# ---------------------------------------------------------------------------
for _name in ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
              "acosh", "atanh", "exp", "log10", "sqrt", "log"):
    spec(getattr(cmath, _name), f"cmath.{_name}(x)",
         [UNARY.get(_MATH_DOMAIN.get(_name, _name), U)], SCALAR, complex=True)
spec(cmath.phase, "x * cmath.phase(x)", [U], SCALAR)
spec(cmath.phase, "cmath.phase(x)", [U], SCALAR, complex=True, modes=("cfwd", "crev"))
for _name, _template in (("isnan", "x * cmath.isnan(x)"), ("isinf", "x * cmath.isinf(x)"),
                         ("isfinite", "x * cmath.isfinite(x)"),
                         ("isclose", "x * cmath.isclose(x, 0.123)")):
    spec(getattr(cmath, _name), _template, [U], SCALAR)

# ---------------------------------------------------------------------------
# scipy.special and scipy.stats.norm (where SciPy is installed)
# ---------------------------------------------------------------------------
UNIT = ranged(0.2, 0.8)
if sc is not None:
    for _names, _dom in (
            ("erf erfc erfcx erfi dawsn ndtr log_ndtr expit log_expit expm1 exp2 exp10 j0 j1 i0 i1 "
             "i0e i1e", U),
            ("erfinv erfcinv ndtri logit entr", UNIT),
            ("gamma gammaln loggamma rgamma psi cbrt log1p y0 y1 k0 k1 k0e k1e", P)):
        for _name in _names.split():
            if hasattr(sc, _name):
                spec(getattr(sc, _name), f"sc.{_name}(x)", [_dom])
    for _template, _doms in (("sc.polygamma(1, x)", [P]), ("sc.jv(1.5, x)", [P]),
                             ("sc.yv(1, x)", [P]), ("sc.iv(2, x)", [U]), ("sc.ive(1, x)", [U]),
                             ("sc.kv(0.5, x)", [P]), ("sc.kve(2, x)", [P]),
                             ("sc.beta(x, y)", [P, P]), ("sc.betaln(x, y)", [P, P]),
                             ("sc.xlogy(x, y)", [U, P]), ("sc.xlog1py(x, y)", [U, P]),
                             ("sc.rel_entr(x, y)", [P, P]), ("sc.kl_div(x, y)", [P, P])):
        spec(getattr(sc, _template[3:].split("(")[0]), _template, _doms)
    spec(sc.logsumexp, "sc.logsumexp(x{ax})", [U], REDUCE)
    spec(sc.softmax, "sc.softmax(x{ax})", [U], AXIS)
    spec(sc.log_softmax, "sc.log_softmax(x{ax})", [U], AXIS)
    for _name in ("pdf", "logpdf", "cdf", "sf", "logcdf", "logsf"):
        spec(getattr(norm, _name), f"norm.{_name}(x)", [U])
    spec(norm.logpdf, "norm.logpdf(x, y, z)", [U, U, P])
    spec(norm.ppf, "norm.ppf(x)", [UNIT])
    for _name, _template in (("factorial", "x * sc.factorial(3)"), ("comb", "x * sc.comb(5, 2)"),
                             ("perm", "x * sc.perm(5, 2)")):
        spec(getattr(sc, _name), _template, [U], SCALAR)

# names the templates read
GLOBALS = {"np": np, "math": math, "cmath": cmath, "operator": operator, "builtins": builtins,
           "sc": sc, "norm": norm}
