"""Every primitive's derivative, in one registry (see :mod:`.registry`)."""
from . import registry  # noqa: F401
from .registry import (defjvp, defpartials, defvjp, deflinear, lookup,  # noqa: F401
                       nondifferentiable, all_rules)
from . import core, math, numpy, linalg, helpers, structure  # noqa: F401,E402  (registers the rules)
