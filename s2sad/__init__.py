"""s2sad: source-to-source automatic differentiation for Python and NumPy.

Public names, in the order a newcomer needs them: ``grad``, ``value_and_grad``,
``jvp``, ``vjp``, ``derivative_source``, ``differentiate``, ``jacfwd``,
``jacrev``, ``hessian``, ``hvp``, the rule API (``defpartials``, ``defjvp``,
``defvjp``, ``deflinear``, ``nondifferentiable``), ``ssa_source`` and ``from_source``.
"""
from .api import (derivative_source, differentiate, grad, hessian, hvp, jacfwd,  # noqa: F401
                  jacrev, jvp, ssa_function, ssa_source, value_and_grad, vjp)
from .check import check_grads, check_rule  # noqa: F401
from .runtime.checkpoint import checkpoint, checkpointed  # noqa: F401
from .errors import (ArgumentError, BackendError, DecoratorError,  # noqa: F401
                     LibraryFunctionError, NonDifferentiableError, S2sadError, SourceError,
                     SourceUnavailableError, UnsupportedSyntaxError)
from .frontend.source import from_source  # noqa: F401
from .rules import deflinear, defjvp, defpartials, defvjp, nondifferentiable  # noqa: F401
from .trace import trace  # noqa: F401,E402
from .graph import graph  # noqa: F401,E402
from .version import __version__  # noqa: F401

