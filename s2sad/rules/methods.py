"""Array methods are their NumPy functions: ``x.sum(axis=0)`` is ``np.sum(x, axis=0)``.

The derivative transforms look up a method call's rule here, with the object
as the first argument (after :func:`s2sad.ad.normalize.normalize_methods` gave the
methods in ``SHAPE_VARARGS`` their shape as one tuple).
"""
import numpy as np

METHODS = {
    "sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
    "std": np.std, "var": np.var, "cumsum": np.cumsum, "cumprod": np.cumprod,
    "reshape": np.reshape, "transpose": np.transpose, "swapaxes": np.swapaxes,
    "squeeze": np.squeeze, "ravel": np.ravel, "flatten": np.ravel, "repeat": np.repeat,
    "dot": np.dot, "clip": np.clip, "trace": np.trace, "diagonal": np.diagonal,
    "take": np.take, "copy": np.copy, "conj": np.conj, "conjugate": np.conj,
    "round": np.round, "argmax": np.argmax, "argmin": np.argmin, "argsort": np.argsort,
    "all": np.all, "any": np.any, "nonzero": np.nonzero, "astype": getattr(np, "astype", None),
    "item": None,
    "tolist": None, "sort": None, "fill": None,
}

SHAPE_VARARGS = {"reshape", "transpose"}


def method_function(op):
    """The NumPy function a method call op stands for (None if there is none)."""
    return METHODS.get(op.attrs["method"])
