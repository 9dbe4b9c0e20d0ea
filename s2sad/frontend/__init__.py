"""Python source → IR: find the source, resolve names, lower to SSA."""
from .source import SourceInfo, from_source, get_source_info
from .lower import lower


def to_ir(func):
    """Lower a Python function to the SSA IR."""
    return lower(get_source_info(func))
