"""Array methods are their NumPy functions: ``x.sum(axis=0)`` is ``np.sum(x, axis=0)``.

The derivative transforms look up a method call's rule here, with the object
as the first argument (after :func:`s2sad.ad.normalize.normalize_methods` gave the
methods in ``SHAPE_VARARGS`` their shape as one tuple).
"""
import numpy as np

from ..runtime import copy_adjoint, item_adjoint, item_of
from .registry import defjvp, deflinear, defvjp


def item(x, index=None):
    """What ``x.item()`` and ``x.item(index)`` compute: one entry as a Python number."""
    return x.item() if index is None else x.item(index)


@defjvp(item, library="core")
def item_jvp(x, index=None, *, x_dot):
    return item_of(x_dot, x, index)


@defvjp(item, library="core")
def item_vjp(x, index=None, *, ans_bar):
    return item_adjoint(ans_bar, x, index)


def tolist(x):
    """What ``x.tolist()`` computes: the entries as (nested lists of) Python numbers."""
    return x.tolist()


@defjvp(tolist, library="core")
def tolist_jvp(x, *, x_dot):
    return np.asarray(x_dot).tolist()


@defvjp(tolist, library="core")
def tolist_vjp(x, *, ans_bar):
    return np.reshape(np.asarray(ans_bar), np.shape(x))


def astype(x, dtype, copy=True):
    """What ``x.astype(dtype)`` computes for a floating or complex ``dtype`` known
    when compiling (any other goes to ``np.astype``'s rule, which asks at run time)."""
    return x.astype(dtype, copy=copy)


@defjvp(astype, library="core")
def astype_jvp(x, dtype, copy=True, *, x_dot):
    return np.asarray(x_dot, dtype=dtype)


@defvjp(astype, library="core")
def astype_vjp(x, dtype, copy=True, *, ans_bar):
    return ans_bar


def container_copy(x):
    """What ``d.copy()`` computes for a dict or a list (s2sad/ad/loops.py marks
    those calls): a shallow copy, linear, whose adjoint passes through."""
    return x.copy()


@defvjp(container_copy, library="core")
def container_copy_vjp(x, *, ans_bar):
    return ans_bar


deflinear(container_copy, (0,), library="core")


def value_copy(x):
    """What ``x.copy()`` computes where ``x`` may be an array, a list or a dict
    (an entry of a list written through: s2sad/passes/memory copies it)."""
    return x.copy()


@defvjp(value_copy, library="core")
def value_copy_vjp(x, *, ans_bar):
    return copy_adjoint(ans_bar, x)


deflinear(value_copy, (0,), library="core")


# Methods of strings (and the counting ones of lists and tuples) that NumPy
# arrays lack: their results are strings, flags and counts, never derivatives,
# and they change nothing.
CONSTANT_METHODS = frozenset({
    "startswith", "endswith", "lower", "upper", "casefold", "title", "capitalize",
    "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "join", "format",
    "replace", "find", "rfind", "isdigit", "isalpha", "isalnum", "isspace", "isupper",
    "islower", "isidentifier", "count", "index", "encode", "zfill", "center", "ljust",
    "rjust", "partition", "rpartition"})

METHODS = {
    "sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
    "std": np.std, "var": np.var, "cumsum": np.cumsum, "cumprod": np.cumprod,
    "reshape": np.reshape, "transpose": np.transpose, "swapaxes": np.swapaxes,
    "squeeze": np.squeeze, "ravel": np.ravel, "flatten": np.ravel, "repeat": np.repeat,
    "dot": np.dot, "clip": np.clip, "trace": np.trace, "diagonal": np.diagonal,
    "take": np.take, "copy": np.copy, "conj": np.conj, "conjugate": np.conj,
    "round": np.round, "argmax": np.argmax, "argmin": np.argmin, "argsort": np.argsort,
    "all": np.all, "any": np.any, "nonzero": np.nonzero, "astype": getattr(np, "astype", None),
    "item": item,
    "tolist": tolist, "sort": None, "fill": None,
}

SHAPE_VARARGS = {"reshape", "transpose", "item"}  # x.item(1, 2) is x.item((1, 2))


def method_function(op):
    """The NumPy function a method call op stands for (None if there is none)."""
    method = op.attrs["method"]
    if method == "astype" and _inexact(op.args[1] if len(op.args) > 1 else None):
        return astype
    if method == "copy" and op.attrs.get("container") == "maybe":
        return value_copy
    if method == "copy" and op.attrs.get("container"):
        return container_copy
    return METHODS.get(method)


def _inexact(dtype) -> bool:
    """Whether an operand is a floating or complex dtype known when compiling."""
    value = getattr(dtype, "value", getattr(dtype, "obj", None))
    try:
        return value is not None and np.dtype(value).kind in "fc"
    except TypeError:
        return False
