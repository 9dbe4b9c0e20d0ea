"""Array methods are their NumPy functions: ``x.sum(axis=0)`` is ``np.sum(x, axis=0)``.

The derivative transforms look up a method call's rule here, with the object
as the first argument.  :func:`normalize` first rewrites the methods that take
their shape as separate arguments (``x.reshape(2, 3)`` → ``x.reshape((2, 3))``).
"""
import numpy as np

from ..ir.nodes import For, If, Prim, Value, While

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

_SHAPE_VARARGS = {"reshape", "transpose"}


def method_function(op: Prim):
    """The NumPy function a method call stands for (None if there is none)."""
    return METHODS.get(op.attrs["method"])


def normalize(block):
    """Give shape-taking methods one tuple argument, in place."""
    new_ops = []
    for op in block.ops:
        if isinstance(op, Prim) and op.kind == "callmethod" and \
                op.attrs["method"] in _SHAPE_VARARGS and not op.attrs.get("kw") and \
                not op.attrs.get("star") and len(op.args) > 2:
            shape = Prim("build", op.args[1:], [Value("shape")], {"type": "tuple"}, op.loc)
            new_ops.append(shape)
            op.args = [op.args[0], shape.results[0]]
        new_ops.append(op)
        for b in op.blocks():
            normalize(b)
    block.ops = new_ops
