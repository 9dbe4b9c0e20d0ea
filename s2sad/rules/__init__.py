"""Every primitive's derivative, in one registry (see :mod:`.registry`)."""
from . import registry  # noqa: F401
from .registry import (defjvp, defpartials, defvjp, deflinear, lookup,  # noqa: F401
                       nondifferentiable, all_rules)
from . import core, math, numpy, linalg, helpers, structure  # noqa: F401,E402  (registers the rules)
from . import numpy_more  # noqa: F401,E402
from . import operators  # noqa: F401,E402
from . import complex  # noqa: F401,E402  (after the others: it adds to their rules)


def _load_scipy_rules():
    """SciPy is optional: its rules are registered once the program using
    s2sad has imported it (a function calling it has)."""
    try:
        import scipy.special  # noqa: F401
        import scipy.stats  # noqa: F401
    except ImportError:  # pragma: no cover
        return
    from . import scipy  # noqa: F401,E402


registry.optional_rules("scipy", _load_scipy_rules)
