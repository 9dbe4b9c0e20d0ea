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


def ssa_ir(func, kinds=None):
    """The function lowered to SSA, cleaned up and verified."""
    if hasattr(func, "__s2sad_specialize__"):
        if kinds is None:
            raise S2sadError(f"{func!r} is generated per argument kinds; call "
                             "s2sad.derivative_source(..., args=...) with example arguments")
        func = func.__s2sad_specialize__(kinds)
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
    if hasattr(func, "__s2sad_specialize__"):
        func = func.__s2sad_specialize__(kinds)
    key = (unwrap(func), mode, tuple(argnums), tuple(kinds))
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            return hit
        active = [i for i in argnums if differentiable_kind(kinds[i])]
        _cache[key] = pending = _Pending(active)  # a recursive call finds this
        try:
            compiled = _compile(func, mode, argnums, kinds)
        except BaseException:
            _cache.pop(key, None)
            raise
        pending.target = compiled.fn
        _cache[key] = compiled
        return compiled


class _Pending:
    """Stands for a derivative while it is being compiled: a recursive function's
    derivative calls itself through this."""

    def __init__(self, active):
        self.active = active
        self.target = None

    @property
    def fn(self):
        return self

    def __call__(self, *args):
        return self.target(*args)


def _compile(func, mode, argnums, kinds):
    if True:
        fn = ssa_ir(func)
        params = _positional(fn)
        kind_map = {p.value: k for p, k in zip(params, kinds)}
        active = [i for i in argnums if differentiable_kind(kinds[i])]
        active_values = [params[i].value for i in active]
        if mode == "forward":
            from .ad.forward import forward
            out = forward(fn, active_values, kind_map)
        elif mode in ("reverse", "reverse_value"):
            from .ad.reverse import reverse
            out = reverse(fn, active_values, kind_map, with_value=mode == "reverse_value")
        else:
            raise S2sadError(f"unknown mode {mode!r}: use 'forward' or 'reverse'")
        out = verify(dce(verify(out)))
        src, ns = emit_function(out, inline=True, keep=getattr(out, "keep", frozenset()))
        return Compiled(compile_function(src, out.name, ns, mode), src, out, active)


def derivative_source(func, mode: str = "forward", argnums=None, args=None) -> str:
    """The generated derivative code of ``func``, as text.

    ``mode`` is "forward" (a JVP: tangents ``x_dot`` in, ``(y, y_dot)`` out) or
    "reverse" (a VJP: ``y_bar`` in, the adjoints ``x_bar`` out).  With example
    ``args`` the code is the one compiled for arguments of those kinds (floats
    need no broadcasting helpers); without, it is the generic code.
    """
    if args is not None:
        kinds = tuple(kind_of_object(a) for a in args)
        n = len(kinds)
    else:
        n = len(_positional(ssa_ir(func)))
        kinds = (None,) * n
    argnums = tuple(range(n)) if argnums is None else _normalize_argnums(argnums, n)[1]
    if mode == "forward_value":
        mode = "forward"
    return compile_derivative(func, mode, argnums, kinds).source


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


def _scalar_output_error(name, out):
    shape = getattr(out, "shape", None)
    what = f"an array of shape {shape}" if shape is not None else f"a {type(out).__name__}"
    return S2sadError(f"{name} needs a function that returns a scalar, but it returned {what}; "
                      "use s2sad.vjp for a vector-Jacobian product or s2sad.jacrev for the "
                      "whole Jacobian")


def _check_scalar(name, out):
    import numpy as np
    if isinstance(out, (float, int)) and not isinstance(out, bool):
        return
    if isinstance(out, np.ndarray) and out.shape == () or isinstance(out, np.number):
        return
    raise _scalar_output_error(name, out)


def _reverse_call(func, args, argnums, with_value):
    n = len(args)
    single, nums = _normalize_argnums(argnums, n)
    kinds = [kind_of_object(x) for x in args]
    for i in nums:
        if not differentiable_kind(kinds[i]):
            raise S2sadError(
                f"argument {i} is {type(args[i]).__name__} {args[i]!r}, which is not "
                "differentiable; pass a float (e.g. 2.0 rather than 2) or leave it out of argnums")
    compiled = compile_derivative(func, "reverse_value" if with_value else "reverse", nums, kinds)
    return single, nums, compiled


class Derived:
    """A function s2sad derived from another (``grad(f)``, ``value_and_grad(f)``).

    Calling it runs the generated code compiled for the arguments' kinds.  It can
    itself be differentiated: for given argument kinds it hands s2sad a plain
    generated Python function (``__s2sad_specialize__``), which is transformed
    like any user code; that is how ``grad(grad(f))`` and ``hessian`` work.
    """

    def __init__(self, func, argnums, with_value, what):
        self.func = func
        self.argnums = argnums
        self.with_value = with_value
        name = getattr(func, "__name__", "f").replace("<lambda>", "lambda")
        self.__name__ = f"{what}_{name}"
        self.__qualname__ = self.__name__
        self.__doc__ = f"{what} of {name} (generated by s2sad)."
        self._specialized = {}
        try:
            import inspect
            self.__signature__ = inspect.signature(func)
        except (TypeError, ValueError):
            pass

    def __repr__(self):
        return f"<s2sad {self.__name__}>"

    def _compiled(self, args):
        return _reverse_call(self.func, args, self.argnums, self.with_value)

    def __call__(self, *args):
        single, nums, compiled = self._compiled(args)
        if self.with_value:
            out, grads = compiled.fn(*args, 1.0)
            _check_scalar("grad", out)
            return out, grads[0] if single else tuple(grads)
        grads = compiled.fn(*args, 1.0)
        return grads[0] if single else tuple(grads)

    def __s2sad_specialize__(self, kinds):
        """A plain Python function computing this for arguments of ``kinds``."""
        kinds = tuple(kinds)
        if kinds in self._specialized:
            return self._specialized[kinds]
        n = len(kinds)
        single, nums = _normalize_argnums(self.argnums, n)
        mode = "reverse_value" if self.with_value else "reverse"
        compiled = compile_derivative(self.func, mode, nums, kinds)
        names = [p.value.hint for p in _positional(compiled.ir)][:n]
        vjp_name = compiled.ir.name
        args = ", ".join(names)
        picked = "grads[0]" if single else "grads"
        if self.with_value:
            body = f"    out, grads = {vjp_name}({args}, 1.0)\n    return out, {picked}\n"
        else:
            body = f"    grads = {vjp_name}({args}, 1.0)\n    return {picked}\n"
        source = f"def {self.__name__}({args}):\n" + body
        from .frontend.source import register_source
        from .backend.compile import compile_function
        fn = compile_function(source, self.__name__, {vjp_name: compiled.fn}, "derived")
        self._specialized[kinds] = fn
        return fn


def grad(func, argnums=0):
    """The gradient of a scalar-valued ``func`` with respect to ``argnums``.

    ``grad(f)(x)`` has the shape of ``x``; with a tuple of argnums the result
    is a tuple of gradients.  ``grad(grad(f))`` differentiates the generated
    gradient code again.
    """
    return Derived(func, argnums, False, "grad")


def value_and_grad(func, argnums=0):
    """Like :func:`grad`, returning ``(func(*args), gradient)`` from one sweep."""
    return Derived(func, argnums, True, "value_and_grad")


def vjp(func, *primals):
    """``(func(*primals), vjp_fn)`` where ``vjp_fn(cotangent)`` returns one
    cotangent per primal (a tuple), as in JAX."""
    n = len(primals)
    kinds = [kind_of_object(x) for x in primals]
    nums = tuple(i for i in range(n) if differentiable_kind(kinds[i]))
    compiled = compile_derivative(func, "reverse", nums, kinds)
    out = func(*primals)

    def vjp_fn(cotangent):
        grads = compiled.fn(*primals, cotangent)
        full = [None] * n
        for i, g in zip(compiled.active, grads):
            full[i] = g
        return tuple(full)

    return out, vjp_fn


def _wrap(wrapper, func, what):
    name = getattr(func, "__name__", "f")
    wrapper.__name__ = f"{what}_{name}"
    wrapper.__qualname__ = wrapper.__name__
    wrapper.__doc__ = f"{what} of {name} (generated by s2sad)."
    wrapper.__wrapped_by_s2sad__ = func
