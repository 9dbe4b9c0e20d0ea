"""``with`` statements whose context manager changes no values.

``np.errstate``, ``np.printoptions`` and ``warnings.catch_warnings`` (with
``warnings.simplefilter``/``filterwarnings`` inside) are kept around the primal
and its tangents, and reverse mode puts a fresh one around the adjoint of the
block; ``contextlib.nullcontext()`` is dropped.  Each derivative is checked
against central finite differences in both modes (``s2sad.check_grads``); every
other context manager is an error at the ``with`` that names it.
"""
import contextlib
import inspect
import warnings
from numpy import errstate as quiet_numpy

import numpy as np
import pytest

import s2sad


# ---------------------------------------------------------------------------
# Differentiated through
# ---------------------------------------------------------------------------
def errstate_log(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(x)
    return np.sum(np.where(np.isfinite(y), y, 0.0) * x)


def catch_sqrt(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = np.sqrt(x)
    return np.sum(y * x)


def filter_sin(x):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        y = np.sin(x) * x
    return y


def null_context(x):
    with contextlib.nullcontext():
        y = x * x
    return np.sin(y)


def printed(x):
    with np.printoptions(precision=3):
        print("x =", x)
        y = np.cos(x) * x
    return np.sum(y)


def nested(x):
    with np.errstate(over="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.printoptions(precision=2):
            y = np.exp(x) * x
    return y


def in_loop(x, n):
    for i in range(n):
        with np.errstate(over="ignore"):
            x = x * np.exp(-x) + 0.1
    return x


def early_return(x):
    with np.errstate(all="ignore"):
        if x > 1.0:
            return np.log(x) * x
        y = x * x
    return y + 1.0


def in_branch(x):
    if x > 0.0:
        with np.errstate(divide="ignore"):
            y = np.log(x) + x
    else:
        y = x
    return y * y


def aliased(x):
    with quiet_numpy(divide="ignore"):
        y = np.log(x) * x
    return y


def writes(x):
    y = x.copy()
    with np.errstate(all="ignore"):
        y[0] = np.log(x[0])
        y[1] = 3 * x[1]
    return np.sum(y * x)


X = np.array([0.5, 1.5, 2.0])


@pytest.mark.parametrize("f, args", [
    (errstate_log, (X,)),
    (catch_sqrt, (X,)),
    (filter_sin, (0.7,)),
    (null_context, (0.7,)),
    (nested, (0.3,)),
    (in_loop, (0.5, 3)),
    (early_return, (2.0,)),
    (early_return, (0.5,)),
    (in_branch, (1.5,)),
    (in_branch, (-1.5,)),
    (aliased, (1.5,)),
    (writes, (X,)),
], ids=lambda v: getattr(v, "__name__", None))
def test_derivatives_match_finite_differences(f, args):
    s2sad.check_grads(f, args, modes=("fwd", "rev"))


def test_printing_inside_runs_once_with_the_primal(capsys):
    s2sad.check_grads(printed, (X,), modes=("rev",))
    capsys.readouterr()
    s2sad.grad(printed)(X)
    assert capsys.readouterr().out.count("x =") == 1
    s2sad.jvp(printed, (X,), (np.ones(3),))
    out = capsys.readouterr().out
    assert out.count("x =") == 1
    assert "0.5" in out and "1.5" in out


def test_the_with_is_kept_around_primal_tangent_and_adjoint():
    fwd = s2sad.derivative_source(errstate_log, "forward", args=(X,))
    lines = fwd.splitlines()
    at = next(i for i, t in enumerate(lines) if t.strip().startswith("with np.errstate("))
    body = [t for t in lines[at + 1:] if t.startswith(" " * 8) and not t.strip().startswith("#")]
    assert any("np.log(x)" in t for t in body) and any("x_dot / x" in t for t in body), fwd
    rev = s2sad.derivative_source(errstate_log, "reverse", args=(X,))
    assert rev.count("with np.errstate(divide='ignore', invalid='ignore'):") == 2, rev
    # the adjoint of the block is inside the second one
    second = rev.split("with np.errstate(")[2]
    assert "/ x" in second.splitlines()[1] or "/ x" in second, rev


def test_warning_filters_are_replayed_around_the_adjoint():
    rev = s2sad.derivative_source(catch_sqrt, "reverse", args=(X,))
    assert rev.count("with warnings.catch_warnings():") == 2, rev
    assert rev.count("warnings.simplefilter('ignore')") == 2, rev
    # sqrt(0) warns in the adjoint (0.5 / 0) only: the replayed filter hides it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = s2sad.grad(catch_sqrt)(np.array([0.0, 1.0]))
    assert np.isclose(g[1], 1.5)


def test_errstate_hides_warnings_of_the_derivative_code():
    x = np.array([0.0, 1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s2sad.grad(errstate_log)(x)
        s2sad.jvp(errstate_log, (x,), (np.ones(3),))


def raises_inside(x):
    with np.errstate(divide="raise"):
        y = np.log(x)
    return np.sum(y)


def test_errstate_raise_raises_in_both_modes():
    x = np.array([0.0, 1.0])
    with pytest.raises(FloatingPointError):
        raises_inside(x)
    with pytest.raises(FloatingPointError):
        s2sad.grad(raises_inside)(x)
    with pytest.raises(FloatingPointError):
        s2sad.jvp(raises_inside, (x,), (np.ones(2),))


def test_nullcontext_leaves_no_with():
    for mode in ("forward", "reverse"):
        src = s2sad.derivative_source(null_context, mode, args=(0.7,))
        assert "with " not in src.replace("# with", ""), src


def test_second_order_through_a_with():
    s2sad.check_grads(aliased, (1.5,), modes=("rev",), order=2)
    h = s2sad.grad(s2sad.grad(aliased))(1.5)
    assert np.isclose(h, 1 / 1.5)


# ---------------------------------------------------------------------------
# Refused, at the with
# ---------------------------------------------------------------------------
class Managed:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


LOCK = Managed()


def errstate(**kw):  # a user's function that happens to share NumPy's name
    return Managed()


def with_as(x):
    with np.errstate(all="ignore") as state:  # ERR with
        y = x * 2
    return y


def with_suppress(x):
    with contextlib.suppress(ZeroDivisionError):  # ERR with
        y = 1 / x
    return y


def with_open(x):
    with open("data.txt"):  # ERR with
        y = x * 2
    return y


def with_user_manager(x):
    with Managed():  # ERR with
        y = x * 2
    return y


def with_user_errstate(x):
    with errstate(all="ignore"):  # ERR with
        y = x * 2
    return y


def with_object(x):
    with LOCK:  # ERR with
        y = x * 2
    return y


def with_local(x):
    cm = np.errstate(all="ignore")
    with cm:  # ERR with
        y = x * 2
    return y


def with_second_item(x):
    with np.errstate(all="ignore"), Managed():  # ERR with
        y = x * 2
    return y


def _location(f):
    lines, first = inspect.getsourcelines(f)
    for k, line in enumerate(lines):
        if "# ERR with" in line:
            return first + k, line.index("with")
    raise AssertionError("no ERR marker")


@pytest.mark.parametrize("f, named, says", [
    (with_as, "np.errstate(...) as", "as name"),
    (with_suppress, "contextlib.suppress(...)", "if statement"),
    (with_open, "open(...)", "pass its contents in"),
    (with_user_manager, "Managed(...)", "outside the function"),
    (with_user_errstate, "errstate(...)", "outside the function"),
    (with_object, "with LOCK", "outside the function"),
    (with_local, "with cm", "outside the function"),
    (with_second_item, "Managed(...)", "outside the function"),
], ids=lambda v: getattr(v, "__name__", None))
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_other_context_managers_are_refused_at_the_with(f, named, says, mode):
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.derivative_source(f, mode, args=(1.0,))
    err = info.value
    lineno, col = _location(f)
    assert (err.lineno, err.col) == (lineno, col), str(err)
    text = str(err)
    assert text.splitlines()[0].startswith(f"{err.filename}:{lineno}:{col + 1}: "), text
    assert named in text and says in text, text
    assert "^" in text and err.hint
