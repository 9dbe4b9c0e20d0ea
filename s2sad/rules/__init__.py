"""Every primitive's derivative, in one registry (see :mod:`.registry`)."""
from . import registry  # noqa: F401
from .registry import (defjvp, defpartials, defvjp, deflinear, lookup,  # noqa: F401
                       nondifferentiable, all_rules)
from . import core, math, numpy, linalg, helpers, structure  # noqa: F401,E402  (registers the rules)
from . import numpy_more  # noqa: F401,E402
from . import operators  # noqa: F401,E402
try:  # SciPy is optional: its rules are registered when it is installed
    import scipy.special as _special
    import scipy.stats as _stats  # noqa: F401
except ImportError:  # pragma: no cover
    _special = None
if _special is not None:
    from . import scipy  # noqa: F401,E402
from . import complex  # noqa: F401,E402  (after the others: it adds to their rules)
