"""IR → Python source → running function."""
from .emit import emit_function, unparse  # noqa: F401
from .compile import compile_function  # noqa: F401
