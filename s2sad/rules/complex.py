"""Complex numbers, with JAX's conventions.

A tangent is the R-linear map applied to a (complex) tangent; a cotangent is
its transpose under the real pairing ``<a, b> = Re(sum(a * b))``, without
conjugation.  For a holomorphic function that is the rule for real numbers,
``x_bar += ans_bar * f'(x)`` (so every rule declared by its partials, and every
product, holds for complex operands as it is).  The functions below are not
holomorphic: each gets a second rule, for complex operands (``Rule.complex``),
which the transforms pick when an operand's kind is complex, or unknown in a
function that computes with complex numbers (``s2sad/ad/complexity.py``).  The
rules for real operands, and the code generated for them, stay as they were.

A cotangent of a real value is real: a contribution a complex operation sends
to one is its real part (the transforms add the ``np.real``).  That is why
``real(z)``'s cotangent is ``real(ans_bar)`` and ``imag(z)``'s is
``-1j * real(ans_bar)``: ``<w, imag(dz)> = Re(-1j w dz)`` for a real ``w``.

Functions whose derivative for complex operands no rule here gives (orderings:
``max``, ``sort``, ``clip``...; ``np.linalg``) are ``real_only``: complex
operands are an error that says so.
"""
import cmath
import operator

import numpy as np

from ..runtime import unbroadcast
from .elementwise import TABLE, declare
from .registry import Rule, all_rules, defjvp, defvjp, lookup, nondifferentiable

L = "complex"


def complex_rule(primitive, jvp=None, vjp=None, linear=None):
    """Give ``primitive``'s rule a second rule for complex operands."""
    base = lookup(primitive)
    if base is None:  # not registered (a NumPy without it)
        return None
    rule = Rule(primitive, base.name, L)
    rule.jvp, rule.vjp, rule.linear = jvp, vjp, linear
    base.complex = rule
    return rule


# -- |z|: d|z| = Re(conj(z) dz) / |z|, so z_bar = Re(w) conj(z) / |z| (0 at z = 0, as JAX)
def abs_jvp(x, *, ans, x_dot):
    return np.real(np.conj(x) * x_dot) / np.where(ans == 0, 1.0, ans)


def abs_vjp(x, *, ans, ans_bar):
    return np.real(ans_bar) * np.conj(x) / np.where(ans == 0, 1.0, ans)


complex_rule(np.absolute, abs_jvp, abs_vjp)
complex_rule(abs, abs_jvp, abs_vjp)
complex_rule(operator.abs, abs_jvp, abs_vjp)


# -- conj, real, imag: linear over the reals
def conj_jvp(x, *, x_dot):
    return np.conj(x_dot)


def conj_vjp(x, *, ans_bar):
    return np.conj(ans_bar)


def real_jvp(val, *, val_dot):
    return np.real(val_dot)


def real_vjp(val, *, ans_bar):
    return np.real(ans_bar)


def imag_jvp(val, *, val_dot):
    return np.imag(val_dot)


def imag_vjp(val, *, ans_bar):
    return -1j * np.real(ans_bar)


complex_rule(np.conjugate, conj_jvp, conj_vjp)
complex_rule(np.real, real_jvp, real_vjp)
complex_rule(np.imag, imag_jvp, imag_vjp)


# -- angle(z) = atan2(imag z, real z): d angle = Im(conj(z) dz) / |z|^2
nondifferentiable(np.angle, library="numpy")  # a real number's angle is 0 or pi


def angle_complex_jvp(z, deg=False, *, z_dot):
    r2 = np.real(z * np.conj(z))
    t = np.imag(np.conj(z) * z_dot) / np.where(r2 == 0, 1.0, r2)
    if deg:
        return t * 57.29577951308232
    return t


def angle_complex_vjp(z, deg=False, *, ans_bar):
    r2 = np.real(z * np.conj(z))
    g = -1j * np.real(ans_bar) * np.conj(z) / np.where(r2 == 0, 1.0, r2)
    if deg:
        return g * 57.29577951308232
    return g


complex_rule(np.angle, angle_complex_jvp, angle_complex_vjp)


# -- complex(a, b) = a + 1j b, for real a and b
@defjvp(complex, library=L)
def complex_(real=0, imag=0, *, real_dot, imag_dot):
    return real_dot + 1j * imag_dot


@defvjp(complex, library=L)
def complex_vjp(real=0, imag=0, *, ans_bar):
    return np.real(ans_bar), -np.imag(ans_bar)


# -- vdot(a, b) = sum(conj(a) * b): conjugate-linear in a
def vdot_complex_vjp(a, b, *, ans_bar):
    return (np.reshape(np.conj(ans_bar * b), np.shape(a)),
            np.reshape(ans_bar * np.conj(a), np.shape(b)))


complex_rule(np.vdot, None, vdot_complex_vjp, linear=(0, 1))


# -- vecdot(x1, x2) = sum(conj(x1) * x2, axis) and vecmat(x1, x2) = conj(x1) @ x2 (NumPy >= 2)
if hasattr(np, "vecdot"):
    def vecdot_complex_vjp(x1, x2, axis=-1, *, ans_bar):
        g = np.expand_dims(ans_bar, axis)
        return unbroadcast(np.conj(g * x2), x1), unbroadcast(g * np.conj(x1), x2)

    complex_rule(np.vecdot, None, vecdot_complex_vjp, linear=(0, 1))

if hasattr(np, "vecmat"):
    def vecmat_complex_vjp(x1, x2, *, ans_bar):
        return (unbroadcast(np.conj(np.matvec(x2, ans_bar)), x1),
                unbroadcast(np.conj(x1)[..., :, None] * ans_bar[..., None, :], x2))

    complex_rule(np.vecmat, None, vecmat_complex_vjp, linear=(0, 1))


# -- cmath: holomorphic, by the partials of math's functions
CMATH = {name: TABLE[name] for name in (
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
    "atanh", "exp", "log10", "sqrt")}
CMATH["log"] = ("x", "1 / x")
declare("cmath", cmath, CMATH, library="cmath")
nondifferentiable(cmath.phase, cmath.isnan, cmath.isinf, cmath.isfinite, cmath.isclose,
                  library="cmath")
complex_rule(cmath.phase, angle_complex_jvp, angle_complex_vjp)


# -- no rule for complex operands
REAL_ONLY = [max, min, np.maximum, np.minimum, np.fmax, np.fmin, np.clip, np.sort, np.max,
             np.min, np.amax, np.amin, np.nanmax, np.nanmin, np.ptp, np.var, np.std,
             np.logaddexp, np.logaddexp2, "binop:%", operator.mod]
for _fn in REAL_ONLY:
    if lookup(_fn) is not None:
        lookup(_fn).real_only = True
# holomorphic, with plain transposes: right as they are (tests/ad/test_complex.py)
HOLOMORPHIC_LINALG = {np.linalg.inv, np.linalg.solve, np.linalg.det, np.linalg.matrix_power,
                      np.linalg.multi_dot}
for _rule in all_rules():
    if _rule.library == "linalg" and _rule.primitive not in HOLOMORPHIC_LINALG:
        _rule.real_only = True  # not derived for complex matrices yet
