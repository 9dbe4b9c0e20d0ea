"""scipy.special and scipy.stats.norm, in both modes and at second order,
against central finite differences (skipped without SciPy)."""
import numpy as np
import pytest

import s2sad

from .test_math_rules import check_scalar

sc = pytest.importorskip("scipy.special")
stats = pytest.importorskip("scipy.stats")
norm = stats.norm

X = np.array([0.3, 0.45, 0.7])  # in (0, 1): every function below is smooth there
Y = np.array([1.2, 0.6, 2.5])


def errors(x, y):
    return np.sum(sc.erf(x) * sc.erfc(y) + sc.erfinv(x - 0.2) + sc.erfcinv(x + 0.5) +
                  sc.erfcx(y) + sc.erfi(x) + sc.dawsn(y))


def normal(x, y):
    return np.sum(sc.ndtr(y) * sc.log_ndtr(x - y) + sc.ndtri(x))


def logistic(x, y):
    return np.sum(sc.expit(y) * sc.logit(x) + sc.log_expit(y - x))


def gammas(x, y):
    return np.sum(sc.gamma(y) + sc.gammaln(x) * sc.loggamma(y) + sc.rgamma(x) +
                  sc.digamma(y) * sc.psi(x) + sc.polygamma(1, x + y))


def betas(x, y):
    return np.sum(sc.beta(x, y) + sc.betaln(y, x))


def entropies(x, y):
    return np.sum(sc.xlogy(x, y) + sc.xlog1py(y, x) + sc.entr(x) + sc.rel_entr(x, y) +
                  sc.kl_div(y, x))


def elementary(x, y):
    return np.sum(sc.expm1(x) * sc.log1p(y) + sc.exp2(x) + sc.exp10(x) * sc.cbrt(y))


def bessels(x, y):
    return np.sum(sc.i0(x) * sc.i1(y) + sc.i0e(x - 0.5) * sc.i1e(y) + sc.j0(x) * sc.j1(y) +
                  sc.y0(y) + sc.y1(y) * sc.k0(y) + sc.k1(x) + sc.k0e(y) * sc.k1e(x) +
                  sc.jv(1.5, y) + sc.iv(2, x) + sc.kv(0.5, y) + sc.yv(1, y) + sc.ive(1, x - 0.5) +
                  sc.kve(2, y))


def broadcasting(x, y):
    # (3,) against (3, 1): reverse mode sums the adjoints back
    return np.sum(sc.xlogy(x, y[:, None]) * sc.beta(x, 2.0))


def reductions(x, y):
    return (sc.logsumexp(x * y) + np.sum(sc.softmax(x * y) * y) +
            np.sum(sc.log_softmax(y - x) * x))


def reductions_axis(a):
    return (np.sum(sc.logsumexp(a, axis=0) ** 2) + np.sum(sc.logsumexp(a, axis=1, keepdims=True)) +
            np.sum(sc.softmax(a, axis=1) * a) + np.sum(sc.log_softmax(a, axis=0) ** 2))


def logsumexp_weights(x, y):
    return sc.logsumexp(x, b=y) + np.sum(sc.logsumexp(np.outer(x, y), axis=1, b=y))


def norm_methods(x, y):
    return np.sum(norm.pdf(x, 0.2, 1.5) + norm.logpdf(y) + norm.cdf(x) * norm.sf(y) +
                  norm.logcdf(y - x) + norm.logsf(x) + norm.ppf(x * 0.5 + 0.2))


def norm_loc_scale(x, y):
    s = y * 0.5 + 0.4
    return np.sum(norm.pdf(0.7, x, s) + norm.logpdf(y, loc=x, scale=s) +
                  norm.cdf(x, y, s) + norm.logcdf(0.1, x, scale=s) + norm.sf(y, loc=x, scale=s) +
                  norm.logsf(x, y, s) + norm.ppf(0.3, x, s))


def norm_by_module_path(x, y):
    return np.sum(stats.norm.cdf(x * y) + stats.norm.pdf(x, loc=y))


CASES = [errors, normal, logistic, gammas, betas, entropies, elementary, bessels, broadcasting,
         reductions, logsumexp_weights, norm_methods, norm_loc_scale, norm_by_module_path]


@pytest.mark.parametrize("f", CASES, ids=[f.__name__ for f in CASES])
def test_scipy_function(f):
    check_scalar(f, X, Y)


def test_reductions_over_axes():
    check_scalar(reductions_axis, np.array([[0.3, -1.2, 0.5], [0.4, 2.0, -0.7]]))


def test_scalars():
    check_scalar(scalars, 0.4, 1.3)


def scalars(x, y):
    return sc.gammaln(y) * sc.erf(x) + norm.cdf(x, y, 2.0) + sc.xlogy(x, y) + sc.expit(x * y)


def test_generated_code_names_scipy():
    src = s2sad.derivative_source(norm_methods, "reverse", args=(X, Y))
    assert "norm.pdf(x, 0.2, 1.5)" in src and "sc.ndtri" not in src
    src = s2sad.derivative_source(gammas, "forward", args=(X, Y))
    assert "sc.digamma(y)" in src


def test_frozen_distributions_have_no_rule():
    with pytest.raises(s2sad.NonDifferentiableError):
        s2sad.grad(frozen)(0.3)


def frozen(x):
    return norm(0.0, 2.0).pdf(x)


def test_logsumexp_return_sign_is_refused():
    with pytest.raises(s2sad.NonDifferentiableError, match="return_sign"):
        s2sad.grad(signed)(X)


def signed(x):
    value, sign = sc.logsumexp(x, return_sign=True)
    return value * sign


def test_readme_lists_the_scipy_rules():
    import pathlib
    import re

    from s2sad.rules import table
    text = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = table.readme_section(text, table.SCIPY_BEGIN, table.SCIPY_END)
    assert section is not None
    made_with = re.search(r"with SciPy (\d+\.\d+)", section)
    import scipy
    here = ".".join(scipy.__version__.split(".")[:2])
    if made_with and made_with.group(1) != here:
        pytest.skip(f"the README table was generated with SciPy {made_with.group(1)}")
    assert section == table.scipy_markdown(), \
        "README.md's SciPy table is stale: run python -m s2sad.rules.table --write-readme"
    for name in ("scipy.special.logsumexp", "scipy.stats.norm.pdf", "scipy.special.gammaln"):
        assert f"| `{name}` |" in section
    assert "`scipy.special.psi`" in section and "`scipy.special.digamma`" in section


def test_s2sad_works_without_scipy():
    import subprocess
    import sys
    code = ("import sys; sys.modules['scipy'] = None\n"
            "import math, s2sad\n"
            "from s2sad.rules import table\n"
            "assert table.scipy_markdown() == ''\n"
            "f = s2sad.from_source('def f(x):\\n    return math.lgamma(x)\\n',\n"
            "                      globals={'math': math})\n"
            "print(s2sad.grad(f)(2.0))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert abs(float(out.stdout) - (1 - 0.5772156649015329)) < 1e-12


def test_importing_s2sad_leaves_scipy_unimported_until_the_program_imports_it():
    import subprocess
    import sys
    code = ("import sys, s2sad\n"
            "assert 'scipy' not in sys.modules\n"
            "import scipy.special as sc\n"
            "f = s2sad.from_source('def f(x):\\n    return sc.erf(x) * 2.0\\n',\n"
            "                      globals={'sc': sc})\n"
            "print(s2sad.grad(f)(0.3))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert abs(float(out.stdout) - 4 / np.sqrt(np.pi) * np.exp(-0.09)) < 1e-12
