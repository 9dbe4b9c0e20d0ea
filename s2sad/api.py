"""The public entry points."""
from __future__ import annotations

import threading
from typing import Sequence

from .ad.activity import differentiable_kind, kind_of_object
from .backend import compile_function, emit_function
from .errors import S2sadError
from .frontend import to_ir
from .frontend.source import unwrap
from .ir import verify
from .passes.dce import dce

_lock = threading.RLock()
_cache = {}


def _clear_caches():
    with _lock:
        _cache.clear()


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


# ---------------------------------------------------------------------------
# Compilation of derivatives, cached per (function, mode, argnums, kinds)
# ---------------------------------------------------------------------------
class Compiled:
    """A generated derivative: the running function and its source."""

    def __init__(self, fn, source, ir, active):
        self.fn = fn
        self.source = source
        self.ir = ir
        self.active = active  # positions of the differentiated arguments


def _positional(fn_ir):
    return [p for p in fn_ir.params if p.kind == "positional"]


def _normalize_argnums(argnums, n):
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    out = []
    for a in nums:
        if not isinstance(a, int) or not -n <= a < n:
            raise S2sadError(f"argnums {argnums!r} is out of range for a function of {n} "
                             "positional arguments")
        out.append(a % n)
    return single, tuple(out)


def compile_derivative(func, mode: str, argnums, kinds: Sequence) -> Compiled:
    """Generate, compile and cache the derivative of ``func``.

    ``kinds`` has one entry per positional parameter (None when unknown).
    """
    key = (unwrap(func), mode, tuple(argnums), tuple(kinds))
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            return hit
        fn = ssa_ir(func)
        params = _positional(fn)
        kind_map = {p.value: k for p, k in zip(params, kinds)}
        active = [i for i in argnums if differentiable_kind(kinds[i])]
        active_values = [params[i].value for i in active]
        if mode == "forward":
            from .ad.forward import forward
            out = forward(fn, active_values, kind_map)
        elif mode == "reverse":
            from .ad.reverse import reverse
            out = reverse(fn, active_values, kind_map)
        else:
            raise S2sadError(f"unknown mode {mode!r}: use 'forward' or 'reverse'")
        out = verify(dce(verify(out)))
        src, ns = emit_function(out, inline=True, keep=getattr(out, "keep", frozenset()))
        compiled = Compiled(compile_function(src, out.name, ns, mode), src, out, active)
        _cache[key] = compiled
        return compiled


def derivative_source(func, mode: str = "forward", argnums=None) -> str:
    """The generated derivative code of ``func``, as text.

    ``mode`` is "forward" (a JVP: tangents ``x_dot`` in, ``(y, y_dot)`` out) or
    "reverse" (a VJP: ``y_bar`` in, the adjoints ``x_bar`` out).
    """
    n = len(_positional(ssa_ir(func)))
    argnums = tuple(range(n)) if argnums is None else _normalize_argnums(argnums, n)[1]
    return compile_derivative(func, mode, argnums, (None,) * n).source


def jvp(func, primals, tangents):
    """Forward mode: ``(func(*primals), J @ tangents)``, JAX's conventions.

    Integer and boolean arguments carry no tangent: pass None for them.
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise S2sadError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    kinds = [kind_of_object(x) for x in primals]
    for i, (k, t) in enumerate(zip(kinds, tangents)):
        if not differentiable_kind(k) and t is not None:
            raise S2sadError(f"jvp: argument {i} is {type(primals[i]).__name__} {primals[i]!r}, "
                             "which is not differentiable; pass None as its tangent")
    argnums = tuple(i for i, t in enumerate(tangents) if t is not None)
    n = len(primals)
    compiled = compile_derivative(func, "forward", argnums, kinds)
    fn = compiled.fn
    return fn(*primals, *[tangents[i] for i in compiled.active])
