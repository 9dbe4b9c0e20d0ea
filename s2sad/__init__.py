"""s2sad: source-to-source automatic differentiation for Python and NumPy."""
from .api import ssa_source, ssa_function  # noqa: F401
from .errors import (S2sadError, SourceError, UnsupportedSyntaxError,  # noqa: F401
                     NonDifferentiableError, SourceUnavailableError)
from .frontend.source import from_source  # noqa: F401

__version__ = "0.1.0"
from .api import jvp, derivative_source, grad, value_and_grad, vjp  # noqa: F401,E402
from .rules import defjvp, defvjp, defpartials, nondifferentiable  # noqa: F401,E402
