"""The intermediate representation that every stage transforms."""
from .nodes import *  # noqa: F401,F403
from .verify import verify, VerificationError  # noqa: F401
