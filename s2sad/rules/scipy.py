"""SciPy: :mod:`scipy.special` and the normal distribution of :mod:`scipy.stats`.

Imported only when SciPy is installed (s2sad itself needs only NumPy).  The
special functions are ufuncs, declared by their partials: they broadcast, and
reverse mode sums broadcast adjoints back with ``unbroadcast``.  Each partial is
written with functions that have rules of their own (the Bessel functions'
derivatives are Bessel functions of the next orders, ``gammaln``'s is
``digamma``, whose derivative is ``polygamma(1, x)``...), so every order works.
``logsumexp``, ``softmax`` and ``log_softmax`` reduce over ``axis``.

``scipy.stats.norm.pdf`` is a method of the object ``scipy.stats.norm``: its
rules are registered on that object's bound methods, which the front end
resolves like module attributes (``norm.pdf(x, loc, scale)``, with ``x``,
``loc`` and ``scale`` differentiable).  Frozen distributions
(``norm(loc, scale).pdf(x)``) have no rule.
"""
import numpy as np
import scipy.special
import scipy.stats

from ..runtime import expand_reduced, unbroadcast
from .registry import defjvp, defpartials, defvjp, nondifferentiable

L = "scipy"
sc = scipy.special
norm = scipy.stats.norm


def _partials(fn):
    return defpartials(fn, library=L, name="scipy.special." + fn.__name__)


# -- error functions and the normal distribution function ----------------------
@_partials(sc.erf)
def erf(x):
    return 1.1283791670955126 * np.exp(-x * x)


@_partials(sc.erfc)
def erfc(x):
    return -1.1283791670955126 * np.exp(-x * x)


@_partials(sc.erfinv)
def erfinv(y, ans):
    return 0.886226925452758 * np.exp(ans * ans)


@_partials(sc.erfcinv)
def erfcinv(y, ans):
    return -0.886226925452758 * np.exp(ans * ans)


@_partials(sc.erfcx)
def erfcx(x, ans):
    return 2 * x * ans - 1.1283791670955126


@_partials(sc.erfi)
def erfi(x):
    return 1.1283791670955126 * np.exp(x * x)


@_partials(sc.dawsn)
def dawsn(x, ans):
    return 1 - 2 * x * ans


@_partials(sc.ndtr)
def ndtr(x):
    return np.exp(-0.5 * x * x) / 2.5066282746310002


@_partials(sc.log_ndtr)
def log_ndtr(x, ans):
    return np.exp(-0.5 * x * x - ans) / 2.5066282746310002


@_partials(sc.ndtri)
def ndtri(y, ans):
    return 2.5066282746310002 * np.exp(0.5 * ans * ans)


# -- logistic functions ----------------------------------------------------------
@_partials(sc.expit)
def expit(x, ans):
    return ans * (1 - ans)


@_partials(sc.log_expit)
def log_expit(x):
    return sc.expit(-x)


@_partials(sc.logit)
def logit(x):
    return 1 / (x * (1 - x))


# -- gamma and beta functions ------------------------------------------------------
@_partials(sc.gamma)
def gamma(x, ans):
    return ans * sc.digamma(x)


@_partials(sc.gammaln)
def gammaln(x):
    return sc.digamma(x)


@_partials(sc.loggamma)
def loggamma(x):
    return sc.digamma(x)


@_partials(sc.rgamma)
def rgamma(x, ans):
    return -ans * sc.digamma(x)


@_partials(sc.digamma)
def digamma(x):
    return sc.polygamma(1, x)


@defpartials(sc.polygamma, library=L, name="scipy.special.polygamma")
def polygamma(n, x):
    return None, sc.polygamma(n + 1, x)


@_partials(sc.beta)
def beta(a, b, ans):
    return ans * (sc.digamma(a) - sc.digamma(a + b)), ans * (sc.digamma(b) - sc.digamma(a + b))


@_partials(sc.betaln)
def betaln(a, b):
    return sc.digamma(a) - sc.digamma(a + b), sc.digamma(b) - sc.digamma(a + b)


# -- logarithms and entropies --------------------------------------------------------
@_partials(sc.xlogy)
def xlogy(x, y):
    return np.log(y), x / y


@_partials(sc.xlog1py)
def xlog1py(x, y):
    return np.log1p(y), x / (1 + y)


@_partials(sc.entr)
def entr(x):
    return -np.log(x) - 1


@_partials(sc.rel_entr)
def rel_entr(x, y):
    return np.log(x / y) + 1, -x / y


@_partials(sc.kl_div)
def kl_div(x, y):
    return np.log(x / y), 1 - x / y


@_partials(sc.expm1)
def expm1(x, ans):
    return ans + 1


@_partials(sc.log1p)
def log1p(x):
    return 1 / (1 + x)


@_partials(sc.exp2)
def exp2(x, ans):
    return ans * 0.6931471805599453


@_partials(sc.exp10)
def exp10(x, ans):
    return ans * 2.302585092994046


@_partials(sc.cbrt)
def cbrt(x, ans):
    return 1 / (3 * ans * ans)


# -- Bessel functions: the derivative of order v is made of orders v - 1 and v + 1 --
@_partials(sc.jv)
def jv(v, z):
    return None, (sc.jv(v - 1, z) - sc.jv(v + 1, z)) / 2


@_partials(sc.yv)
def yv(v, z):
    return None, (sc.yv(v - 1, z) - sc.yv(v + 1, z)) / 2


@_partials(sc.iv)
def iv(v, z):
    return None, (sc.iv(v - 1, z) + sc.iv(v + 1, z)) / 2


@_partials(sc.ive)
def ive(v, z, ans):
    # ive = iv exp(-|z|)
    return None, (sc.ive(v - 1, z) + sc.ive(v + 1, z)) / 2 - np.sign(z) * ans


@_partials(sc.kv)
def kv(v, z):
    return None, -(sc.kv(v - 1, z) + sc.kv(v + 1, z)) / 2


@_partials(sc.kve)
def kve(v, z, ans):
    # kve = kv exp(z)
    return None, ans - (sc.kve(v - 1, z) + sc.kve(v + 1, z)) / 2


@_partials(sc.j0)
def j0(x):
    return -sc.j1(x)


@_partials(sc.j1)
def j1(x):
    return (sc.j0(x) - sc.jv(2, x)) / 2


@_partials(sc.y0)
def y0(x):
    return -sc.y1(x)


@_partials(sc.y1)
def y1(x):
    return (sc.y0(x) - sc.yv(2, x)) / 2


@_partials(sc.i0)
def i0(x):
    return sc.i1(x)


@_partials(sc.i1)
def i1(x):
    return (sc.i0(x) + sc.iv(2, x)) / 2


@_partials(sc.i0e)
def i0e(x, ans):
    return sc.i1e(x) - np.sign(x) * ans


@_partials(sc.i1e)
def i1e(x, ans):
    return (sc.i0e(x) + sc.ive(2, x)) / 2 - np.sign(x) * ans


@_partials(sc.k0)
def k0(x):
    return -sc.k1(x)


@_partials(sc.k1)
def k1(x):
    return -(sc.k0(x) + sc.kv(2, x)) / 2


@_partials(sc.k0e)
def k0e(x, ans):
    return ans - sc.k1e(x)


@_partials(sc.k1e)
def k1e(x, ans):
    return ans - (sc.k0e(x) + sc.kve(2, x)) / 2


# -- reductions ---------------------------------------------------------------------
@defjvp(sc.logsumexp, library=L, name="scipy.special.logsumexp")
def logsumexp(a, axis=None, b=None, keepdims=False, *, ans, a_dot, b_dot):
    # (return_sign=True is not a parameter here: such a call is refused)
    e = np.exp(a - expand_reduced(ans, a, axis, keepdims))  # the weights, b excepted
    if b is None:
        return np.sum(e * a_dot, axis=axis, keepdims=keepdims)
    return np.sum(e * (b * a_dot + b_dot), axis=axis, keepdims=keepdims)


@defvjp(sc.logsumexp, library=L, name="scipy.special.logsumexp")
def logsumexp_vjp(a, axis=None, b=None, keepdims=False, *, ans, ans_bar):
    ge = expand_reduced(ans_bar, a, axis, keepdims) * \
        np.exp(a - expand_reduced(ans, a, axis, keepdims))
    if b is None:
        return unbroadcast(ge, a)
    return unbroadcast(ge * b, a), None, unbroadcast(ge, b)


@defjvp(sc.softmax, library=L, name="scipy.special.softmax")
def softmax(x, axis=None, *, ans, x_dot):
    return ans * (x_dot - np.sum(ans * x_dot, axis=axis, keepdims=True))


@defvjp(sc.softmax, library=L, name="scipy.special.softmax")
def softmax_vjp(x, axis=None, *, ans, ans_bar):
    return ans * (ans_bar - np.sum(ans * ans_bar, axis=axis, keepdims=True))


@defjvp(sc.log_softmax, library=L, name="scipy.special.log_softmax")
def log_softmax(x, axis=None, *, ans, x_dot):
    return x_dot - np.sum(np.exp(ans) * x_dot, axis=axis, keepdims=True)


@defvjp(sc.log_softmax, library=L, name="scipy.special.log_softmax")
def log_softmax_vjp(x, axis=None, *, ans, ans_bar):
    return ans_bar - np.exp(ans) * np.sum(ans_bar, axis=axis, keepdims=True)


# -- scipy.stats.norm: z = (x - loc) / scale -------------------------------------
def _norm(method):
    return defpartials(getattr(norm, method), library=L, name="scipy.stats.norm." + method)


@_norm("pdf")
def norm_pdf(x, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    return -z * ans / scale, z * ans / scale, ans * (z * z - 1) / scale


@_norm("logpdf")
def norm_logpdf(x, loc=0, scale=1):
    z = (x - loc) / scale
    return -z / scale, z / scale, (z * z - 1) / scale


@_norm("cdf")
def norm_cdf(x, loc=0, scale=1):
    z = (x - loc) / scale
    d = np.exp(-0.5 * z * z) / (2.5066282746310002 * scale)
    return d, -d, -d * z


@_norm("sf")
def norm_sf(x, loc=0, scale=1):
    z = (x - loc) / scale
    d = np.exp(-0.5 * z * z) / (2.5066282746310002 * scale)
    return -d, d, d * z


@_norm("logcdf")
def norm_logcdf(x, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    d = np.exp(-0.5 * z * z - ans) / (2.5066282746310002 * scale)
    return d, -d, -d * z


@_norm("logsf")
def norm_logsf(x, loc=0, scale=1, ans=None):
    z = (x - loc) / scale
    d = np.exp(-0.5 * z * z - ans) / (2.5066282746310002 * scale)
    return -d, d, d * z


@_norm("ppf")
def norm_ppf(q, loc=0, scale=1, ans=None):
    z = (ans - loc) / scale
    return 2.5066282746310002 * scale * np.exp(0.5 * z * z), 1.0, z


nondifferentiable(sc.factorial, sc.comb, sc.perm, library=L)
