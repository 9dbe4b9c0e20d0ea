"""NumPy functions (scalar and elementwise so far)."""
import numpy as np

from .elementwise import TABLE, declare
from .registry import defpartials, deflinear, nondifferentiable

L = "numpy"

RENAME = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
          "arccosh": "acosh", "arctanh": "atanh", "arctan2": "atan2", "power": "pow",
          "rad2deg": "degrees", "deg2rad": "radians", "fabs": "fabs"}
NUMPY_ONLY = {
    "log": ("x", "1 / x"),
    "cbrt": ("x", "1 / (3 * ans * ans)"),
    "square": ("x", "2 * x"),
    "reciprocal": ("x", "-ans * ans"),
    "exp2": ("x", "ans * 0.6931471805599453"),
    "absolute": ("x", "sign(x)"),
    "negative": ("x", "-1.0"),
    "positive": ("x", "1.0"),
    "float_power": ("x, y", "y * x ** (y - 1)", "ans * log(x)"),
    "logaddexp": ("x, y", "exp(x - ans)", "exp(y - ans)"),
    "logaddexp2": ("x, y", "2 ** (x - ans)", "2 ** (y - ans)"),
    "add": ("x, y", "1.0", "1.0"),
    "subtract": ("x, y", "1.0", "-1.0"),
    "multiply": ("x, y", "y", "x"),
    "divide": ("x, y", "1 / y", "-ans / y"),
    "true_divide": ("x, y", "1 / y", "-ans / y"),
}
table = dict(TABLE)
table.update(NUMPY_ONLY)
table.pop("erf")
table.pop("erfc")
table.pop("fmod")
declare("np", np, table, RENAME, library=L)

nondifferentiable(np.floor, np.ceil, np.trunc, np.rint, np.sign, np.isnan, np.isinf,
                  np.isfinite, np.floor_divide, np.shape, np.ndim, np.size,
                  np.zeros, np.ones, np.empty, np.full, np.arange, np.linspace, np.eye,
                  np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.argmax,
                  np.argmin, np.argsort, library=L)
