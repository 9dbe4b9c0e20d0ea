"""The public entry points."""
from __future__ import annotations

from .backend import compile_function, emit_function
from .frontend import to_ir
from .ir import verify
from .passes.dce import dce


def ssa_ir(func):
    """The function lowered to SSA, cleaned up and verified."""
    fn = verify(to_ir(func))
    return verify(dce(fn))


def ssa_source(func) -> str:
    """The function as runnable three-address Python, one primitive per line."""
    src, _ = emit_function(ssa_ir(func))
    return src


def ssa_function(func):
    """The three-address version of ``func``, compiled: it computes what ``func``
    computes (used to test the round trip)."""
    fn = ssa_ir(func)
    src, ns = emit_function(fn)
    return compile_function(src, fn.name, ns, "ssa")
