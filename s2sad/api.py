"""The public entry points."""
from __future__ import annotations

import builtins
import functools
import inspect
import itertools
import keyword
import re
import types
import weakref

import numpy as np

from .ad.checkpoint import checkpoint_option, python_only
from .backend import compile_function
from .backend.source_text import PythonSource
from .backend.numba import (check_backend, compile_for, is_jitted, jit, jit_options,
                            with_jitted_calls)
from .compiler import (compile_derivative, empty_cell, forget_with_functions, free_values,
                       identity, lowered, normalize_argnums, open_key, open_plain, output_kind,
                       positional, ssa_function, ssa_ir, ssa_source)  # noqa: F401  (public here too)
from .derived import (binding_tests, build_caller, cache_key, caller, check_differentiable,
                      guard_tests,
                      jacobian_function, readable, weak_reference)
from .errors import ArgumentError, S2sadError
from .frontend.annotations import annotated_kinds
from .frontend.resolve import ABSENT, DATA, is_data
from .frontend.source import unwrap
from .ir.kinds import differentiable_kind, kind_of_object, kinds_key
from .rules.registry import generation
from .trees import attribute_dicts, has_integer_leaf, is_namedtuple, number_leaves, tree_map

# the plain Python function behind grad(f) for argument kinds, with the
# derivative it calls: ``key -> (compiled, function)``
_specialized = {}
forget_with_functions(_specialized)
# (open key, argnums, with_value, holomorphic, arity, argument types) -> what
# the last grad of a closure of that code generated for its call, less what
# belongs to that closure (its cells, its primal): ``(source, namespace, cells)``
_templates = {}
_signatures = {}  # code object -> (signature, fixed parameters), for plain functions
# a caller's names that differ between its entries (s2sad/derived.py's caller)
_OWN = re.compile(r"(?<![\w'\"])_k_(fn|G|[tdhoqwcpx][av]?[0-9]+)\b")
_serials = itertools.count(1)

_ndarray = np.ndarray
_FLOAT64 = np.dtype("float64")
_npfloat64 = np.float64


def _backend(func, backend):
    """``(backend, Numba options)``: an ``@njit`` function's derivatives are
    compiled by Numba with its options unless told otherwise."""
    if backend is None:
        backend = "numba" if is_jitted(func) else "python"
    check_backend(backend)
    return backend, (jit_options(func) if backend == "numba" and is_jitted(func) else {})


def _runner(compiled, backend, options, args, kwargs=None, what="the derivative"):
    """What runs ``compiled`` on the given backend: its Python function, or its
    Numba form compiled for these arguments (refused with the line Numba
    cannot compile)."""
    if backend == "python":
        return compiled.fn
    return compile_for(jit(compiled.fn, options), args, kwargs, what)


def derivative_source(func, mode: str = "reverse", argnums=None, args=None,
                      checkpoint=None, memory_limit=None) -> str:
    """The generated derivative code of ``func``, as text.

    ``mode`` is "reverse" (the default everywhere: a VJP, ``y_bar`` in, the
    adjoints ``x_bar`` out) or "forward" (a JVP: tangents ``x_dot`` in,
    ``(y, y_dot)`` out).  With example
    ``args`` the code is the one compiled for arguments of those kinds (floats
    need no broadcasting helpers); without, for the kinds the parameters'
    annotations name (``x: float``, ``v: np.ndarray``), generic for the others.
    ``checkpoint``: as for :func:`grad`; the step functions of checkpointed
    loops come first.
    """
    checkpoint = checkpoint_option(checkpoint, memory_limit)
    func = readable(func)
    if args is not None:
        kinds = tuple(kind_of_object(a) for a in args)
        n = len(kinds)
    else:
        n = len(positional(lowered(func)))
        kinds = annotated_kinds(func, n)
    argnums = tuple(range(n)) if argnums is None else normalize_argnums(argnums, n)[1]
    if mode == "forward_value":
        mode = "forward"
    compiled = compile_derivative(func, mode, argnums, kinds, checkpoint=checkpoint)
    steps = [c.source.rstrip() + "\n\n\n" for c in compiled.callees
             if getattr(c, "companion", False)]
    return PythonSource("".join(steps) + compiled.source)


def jvp(func, primals, tangents, *, backend=None):
    """Forward mode: ``(func(*primals), J @ tangents)``, JAX's conventions.

    Integer and boolean arguments carry no tangent: pass None for them.
    ``backend="numba"`` compiles the derivative with Numba (the default for an
    ``@njit`` function).
    """
    primals, tangents = _per_argument("jvp", func, primals, tangents)
    if len(primals) != len(tangents):
        raise S2sadError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    backend, options = _backend(func, backend)
    func = readable(func)
    if isinstance(func, types.MethodType):
        return jvp(func.__func__, (func.__self__,) + primals, (None,) + tangents,
                   backend=backend)
    full = _complete(func, primals)
    primals, tangents = full, tangents + (None,) * (len(full) - len(primals))
    kinds = [kind_of_object(x) for x in primals]
    tangents = tuple(map(attribute_dicts, tangents))  # an object's tangent: a dict
    for i, (k, t) in enumerate(zip(kinds, tangents)):
        if not differentiable_kind(k) and t is not None:
            raise S2sadError(f"jvp: argument {i} is {type(primals[i]).__name__} {primals[i]!r}, "
                             "which is not differentiable; pass None as its tangent")
        if t is not None and k not in _COMPLEX and _is_complex(t):
            raise S2sadError(f"jvp: argument {i} is real but its tangent is complex; a real "
                             "argument takes a real tangent (pass it as a complex number, "
                             "x + 0j, to move it off the real line)")
    argnums = tuple(i for i, t in enumerate(tangents) if t is not None)
    compiled = compile_derivative(func, "forward", argnums, kinds, free=True)
    args = primals + tuple(tangents[i] for i in compiled.active)
    # the function's free data, as they are now
    free = free_values(open_plain(func), compiled.free) if compiled.free else {}
    return _runner(compiled, backend, options, args, free, "the JVP")(*args, **free)


def _per_argument(what, func, primals, tangents):
    """``primals`` and ``tangents`` as tuples, one entry per argument (JAX's
    convention); anything but a tuple or a list is refused with the call
    expected, not read entry by entry (an array's rows are not arguments)."""
    for label, given in (("primals", primals), ("tangents", tangents)):
        if not isinstance(given, (tuple, list)):
            name = getattr(func, "__name__", "f")
            raise ArgumentError(
                f"{what}({name}, primals, tangents) takes a tuple of primals and a tuple "
                f"of tangents, one entry per argument of {name}; {label} is "
                f"{type(given).__name__} {given!r:.40}: write {what}({name}, (x,), (v,)) "
                f"for one argument, as in {what}({name}, (2.0,), (1.0,))")
    return tuple(primals), tuple(tangents)


_NOT_SCALAR = {"array", "intarray", "carray", "tuple", "list", "dict", "str", "none"}
_COMPLEX = ("complex", "carray")


def _scalar_output_error(name, out, kind=None):
    shape = getattr(out, "shape", None)
    if kind is not None:
        what = {"array": "an array", "intarray": "an array"}.get(kind, f"a {kind}")
    else:
        what = f"an array of shape {shape}" if shape is not None else f"a {type(out).__name__}"
    return S2sadError(f"{name} needs a function that returns a scalar, but it returned {what}; "
                      "use s2sad.vjp for a vector-Jacobian product or s2sad.jacrev for the "
                      "whole Jacobian")


def _check_scalar(name, out, cause=None, holomorphic=False):
    if isinstance(out, (float, int, complex)) and not isinstance(out, bool) or \
            isinstance(out, np.ndarray) and out.shape == () or isinstance(out, np.number):
        _check_complex_output(name, out, holomorphic)
        return
    raise _scalar_output_error(name, out) from cause


def _is_complex(x):
    if isinstance(x, (tuple, list)):  # a container's tangent: any of its leaves
        return any(_is_complex(v) for v in x)
    if isinstance(x, dict):
        return any(_is_complex(v) for v in x.values())
    return np.iscomplexobj(x)


def _check_complex_output(name, out, holomorphic):
    """JAX's rule: a complex output needs ``holomorphic=True``, which needs one."""
    if _is_complex(out) and not holomorphic:
        raise S2sadError(f"{name} needs a real-valued function, but it returned a complex "
                         "number; for a holomorphic function pass holomorphic=True (then "
                         f"{name} gives f'(z)), otherwise differentiate a real function of it "
                         "(np.real(f), abs(f) ** 2) or use s2sad.vjp with a complex cotangent")
    if holomorphic and not _is_complex(out):
        raise S2sadError(f"{name} with holomorphic=True needs a function that returns complex "
                         f"numbers, but it returned {type(out).__name__}")


def _check_complex_inputs(name, args, nums, holomorphic, real_only=False):
    """``holomorphic=True`` needs complex arguments; jacfwd without it real ones."""
    for i in nums:
        complex_arg = kind_of_object(args[i]) in _COMPLEX
        if holomorphic and not complex_arg:
            raise S2sadError(f"{name} with holomorphic=True needs complex arguments, but "
                             f"argument {i} is {type(args[i]).__name__}; pass it as a complex "
                             "number (x + 0j)")
        if real_only and not holomorphic and complex_arg:
            raise S2sadError(f"{name} needs real arguments, but argument {i} is complex; for "
                             "a holomorphic function pass holomorphic=True, otherwise use "
                             "s2sad.jvp with complex tangents")


def _like(g, x):
    """An adjoint of the type of its argument: float32 stays float32, and a
    Python float's is a Python float (not the NumPy scalar its code computed),
    inside containers and objects too (an object's adjoint is a dict of its
    attributes').  What needs no change is returned as it is."""
    if type(x) is float and type(g) is _npfloat64:
        return float(g)
    if type(g) is float or g is None:  # (what the checks below return it as)
        return g
    if type(g) is dict:
        entries = x if isinstance(x, dict) else getattr(x, "__dict__", None)
        if isinstance(entries, dict):
            new = {k: _like(v, entries.get(k)) for k, v in g.items()}
            return g if all(new[k] is g[k] for k in g) else new
        return g
    if type(g) in (list, tuple) and type(x) is type(g) and len(g) == len(x):
        new = [_like(a, b) for a, b in zip(g, x)]
        return g if all(a is b for a, b in zip(new, g)) else type(g)(new)
    if is_namedtuple(g) and type(x) is type(g):
        new = [_like(a, b) for a, b in zip(g, x)]
        return g if all(a is b for a, b in zip(new, g)) else type(g)(*new)
    dtype = getattr(x, "dtype", None)
    if dtype is not None and isinstance(g, (np.ndarray, np.generic)) and \
            np.issubdtype(dtype, np.floating) and g.dtype != dtype:
        return np.asarray(g, dtype=dtype) if isinstance(x, np.ndarray) else dtype.type(g)
    if isinstance(x, np.ndarray) and x.ndim == 0 and isinstance(g, np.generic) and \
            np.issubdtype(dtype, np.inexact):
        return np.asarray(g)  # a 0-d array's adjoint is a 0-d array too
    return g


def _holds_float(x) -> bool:
    """Whether a container (or an object's attributes) holds a Python float."""
    entries = x.values() if isinstance(x, dict) else x if isinstance(x, (list, tuple)) else \
        getattr(x, "__dict__", {}).values() if not isinstance(x, (np.ndarray, np.generic)) \
        else ()
    return any(type(v) is float or isinstance(v, (dict, list, tuple)) and _holds_float(v)
               for v in entries)


def _reverse_call(func, args, argnums, with_value, holomorphic=False):
    func, args, argnums = _bound(func, args, argnums)
    n = len(args)
    single, nums = normalize_argnums(argnums, n)
    _check_complex_inputs("grad", args, nums, holomorphic)
    kinds = [kind_of_object(x) for x in args]
    check_differentiable(args, nums, kinds)
    compiled = compile_derivative(func, "reverse_value" if with_value else "reverse", nums, kinds)
    return single, nums, compiled, args


class Derived:
    """A function s2sad derived from another (``grad(f)``, ``value_and_grad(f)``).

    What ``grad`` returns is its :attr:`caller`: a plain Python function,
    generated, whose code is that of the last argument types it was compiled
    for (s2sad/derived.py's ``caller``): the types' test, the bindings' test
    (a global rebound, a helper redefined, a closure cell set, a rule
    registered since) and the reads of the function's free data inline, then
    the derivative's call — a few tenths of a microsecond over the derivative.
    Other types, and tests that fail, take :meth:`_slow`, which compiles what
    is missing.  The caller can itself be differentiated: for given argument
    kinds it hands s2sad a plain generated Python function
    (``__s2sad_specialize__``), which is transformed like any user code; that
    is how ``grad(grad(f))`` and ``hessian`` work.
    """

    def __init__(self, func, argnums, with_value, what, holomorphic=False, backend=None,
                 checkpoint=None):
        self.checkpoint = checkpoint_option(checkpoint)
        self.backend, self.options = _backend(func, backend)
        python_only(self.checkpoint, self.backend)
        self.func = func = readable(func)  # a partial, np.tanh: a function s2sad reads
        self.argnums = argnums
        self.with_value = with_value
        self.holomorphic = holomorphic
        name = getattr(func, "__name__", "f").replace("<lambda>", "lambda")
        if not f"{what}_{name}".isidentifier():
            name = "f"
        self.__name__ = f"{what}_{name}"
        self.__qualname__ = self.__name__
        self.__doc__ = f"{what} of {name} (generated by s2sad)."
        self._fast = {}
        self.__signature__, self.params = _signature(func)
        self.caller = self._make_caller()

    def __repr__(self):
        return f"<s2sad {self.__name__}>"

    def __call__(self, *args):
        return self._slow(args)

    def _make_caller(self):
        """The function ``grad`` returns: until a first call compiles, every
        call takes the slow path (the caller holds this object, not the reverse:
        a closure's data dies with the caller)."""
        params = self.params
        # keyword arguments, where the parameters are not plain (defaults, ...):
        # bound as a call of the function binds them
        sig = "*args, **kwargs" if params is None else ", ".join(params)
        call = "_k_bind(args, kwargs) if kwargs else args" if params is None else \
            f"({sig}{',' if len(params) == 1 else ''})"
        ns = {"_k_slow": self._slow, "__builtins__": builtins,
              "_k_bind": functools.partial(_positional_call, self.func, self.__name__)}
        fn = build_caller(self.__name__, f"def {self.__name__}({sig}):\n"
                                         f"    return _k_slow({call})\n", ns, only=True)
        fn.__qualname__ = self.__name__
        fn.__doc__ = self.__doc__
        fn.__module__ = __name__
        if self.__signature__ is not None:
            fn.__signature__ = self.__signature__
        fn.__s2sad_specialize__ = self.__s2sad_specialize__
        fn.__s2sad_derived__ = self
        self._caller = weakref.ref(fn)
        return fn

    def _slow(self, args):
        key = tuple(map(type, args))
        if _ndarray in key:  # compiled code depends on arrays' dtypes and ranks
            key += tuple((a.dtype, a.ndim) if type(a) is _ndarray else None for a in args)
        entry = self._fast.get(key)
        if entry is None or not entry[1](*args):  # bindings, rules, free data as they were
            entry = self._reuse(key, args) or self._entry(args, key)
            self._fast[key] = entry
            fn = self._caller()
            if fn is not None and self.params is not None and len(args) == len(self.params):
                fn.__globals__.update(entry[3])  # the hot path is now this entry's
                fn.__code__ = entry[0].__code__
        return entry[2](*args)

    def _reuse(self, key, args):
        """The entry another closure of the same code made for these types,
        bound to this one's cells, if its checks hold (a loop that makes
        ``grad(lambda w: loss(w, batch))`` at every step compiles nothing and
        generates nothing after the first)."""
        template = self._template(key)
        if template is None:
            return None
        hit = _templates.get(template)
        if hit is None:
            return None
        source, shared, cells = hit
        ns = dict(shared)
        self._bind(ns)
        closure = unwrap(self.func).__closure__
        for name, k in cells:
            ns[name] = closure[k]
        entry = build_caller(self.__name__, source, ns) + (ns,)
        return entry if entry[1](*args) else None

    def _template(self, key):
        """Where a grad of another closure of the same code (and closure
        layout) left its callers for these argument types (None: not shared)."""
        okey = open_key(self.func) if self.params is not None else None
        return None if okey is None else \
            (okey, self.argnums if isinstance(self.argnums, int) else tuple(self.argnums),
             self.with_value, self.holomorphic, len(self.params), key, self.backend,
             tuple(sorted(self.options.items())), self.checkpoint)

    def _bind(self, ns):
        """What a caller's namespace holds of this object."""
        ns["_k_slow"] = self._slow
        if "_k_failed" in ns:
            ns["_k_failed"] = functools.partial(_failed, getattr(self.func, "__func__", self.func),
                                                self.holomorphic)

    def _entry(self, args, key):
        """``(hot, check, run, namespace)`` for a call with arguments of these
        types: s2sad/derived.py's ``caller``."""
        func, full, nums_spec = _bound(self.func, args, self.argnums)
        single, nums = normalize_argnums(nums_spec, len(full))
        _check_complex_inputs("grad", full, nums, self.holomorphic)
        kinds = [kind_of_object(x) for x in full]
        check_differentiable(full, nums, kinds)
        compiled = None
        if not self.with_value and not self.holomorphic and \
                output_kind(func, kinds, free=True) == "float":
            # grad of a function known to return a float: the VJP without the value
            compiled = compile_derivative(func, "reverse", nums, kinds, free=True,
                                          checkpoint=self.checkpoint)
            if compiled.out_kind != "float":
                compiled = None
        valued = compiled is None
        if valued:
            compiled = compile_derivative(func, "reverse_value", nums, kinds, free=True,
                                          checkpoint=self.checkpoint)
        out_kind = compiled.out_kind
        primal = getattr(func, "__func__", func)
        if out_kind in _NOT_SCALAR:  # known before running: say what it returns
            _check_scalar("grad", primal(*full), holomorphic=self.holomorphic)
        entry, cells = self._caller_for(args, full, func, compiled, single, valued, nums)
        template = self._template(key) if compiled.open and len(full) == len(args) else None
        if template is not None:
            source, ns = entry[4], entry[3]
            # what no closure of the code owns: no cell, no data, no primal
            own = {name for name, _ in cells} | {"_k_slow", "check", "run", self.__name__}
            shared = {k: v for k, v in ns.items() if k not in own}
            if "_k_failed" in shared:
                shared["_k_failed"] = None
            _templates[template] = (source, shared, cells)
        return entry[:4]

    def _caller_for(self, args, full, func, compiled, single, valued, nums):
        plain = open_plain(func) if compiled.open else None
        free = free_values(plain, compiled.free) if plain is not None else {}
        run = _runner(compiled, self.backend, self.options, tuple(full) + (1.0,), free,
                      f"the gradient of {getattr(self.func, '__name__', 'the function')}")
        ns = {"_k_slow": self._slow, "_k_type": type, "_k_gen": generation, "_k_absent": ABSENT,
              "_k_empty": empty_cell, "_k_fn": run, "_k_like": _like,
              "_k_integers": has_integer_leaf,
              "_k_check": functools.partial(_check_scalar, "grad", holomorphic=self.holomorphic),
              "__builtins__": builtins}
        given = len(args)
        params = list(self.params) if self.params is not None and \
            given == len(self.params) else [f"a{k}" for k in range(given)]
        prefix = (self.func.__self__,) if isinstance(self.func, types.MethodType) else ()
        suffix = full[len(prefix) + given:]  # defaults of omitted arguments
        passed = []
        for k, v in enumerate(prefix + suffix):
            ns[f"_k_p{k}"] = v
            passed.append(f"_k_p{k}")
        passed = passed[:len(prefix)] + params + passed[len(prefix):]
        tests = [t for k, (p, x) in enumerate(zip(params, args))
                 for t in guard_tests(p, x, f"a{k}", ns)]
        tests += [f"not _k_integers({p})" for k, (p, x) in enumerate(zip(params, args))
                  if len(prefix) + k in nums and type(x) in (list, tuple, dict)]
        tests.append(f"_k_gen.value == {generation.value}")
        more, may_raise = binding_tests(compiled.bindings.entries, ns, DATA)
        tests += more
        reads, keywords, cells = [], [], []
        if plain is not None:  # its data are read at the call, its cells' other objects checked
            read = {cell for _, _, cell in compiled.free if cell is not None}
            for k, cell in enumerate(plain.__closure__ or ()):
                if k in read:
                    continue
                try:
                    obj = cell.cell_contents
                except ValueError:
                    obj = ABSENT
                if obj is not ABSENT and is_data(obj):
                    continue  # data the code does not read
                ns[f"_k_q{k}"], ns[f"_k_w{k}"] = cell, obj
                cells.append((f"_k_q{k}", k))
                tests.append(f"_k_empty(_k_q{k})" if obj is ABSENT else
                             f"_k_q{k}.cell_contents is _k_w{k}")
                may_raise = True
            values = free
            for j, (kw, name, cell) in enumerate(compiled.free):
                if cell is None:
                    ns["_k_G"] = plain.__globals__
                    reads.append(f"_k_v{j} = _k_G.get({name!r})")
                else:
                    ns[f"_k_c{j}"] = plain.__closure__[cell]
                    cells.append((f"_k_c{j}", cell))
                    reads.append(f"_k_v{j} = _k_c{j}.cell_contents")
                    may_raise = True
                tests += guard_tests(f"_k_v{j}", values[kw], f"v{j}", ns)
                keywords.append(f"{kw}=_k_v{j}")
        call = f"_k_fn({', '.join(passed + ['1.0'] + keywords)})"
        body = _result_lines(call, compiled, single, valued, self, full, ns, params, prefix,
                             passed)
        source = caller(self.__name__, params, tests, reads, body, may_raise)
        # names of their own per entry: a caller whose code is swapped while
        # another thread runs it reads the constants of one entry only
        serial = f"_k{next(_serials)}_"
        source = _OWN.sub(lambda m: serial + m.group(1), source)
        ns = {_OWN.sub(lambda m: serial + m.group(1), k): v for k, v in ns.items()}
        cells = [(_OWN.sub(lambda m: serial + m.group(1), name), k) for name, k in cells]
        self._bind(ns)
        hot, check, run = build_caller(self.__name__, source, ns)
        return (hot, check, run, ns, source), cells

    def __s2sad_specialize__(self, kinds):
        """A plain Python function computing this for arguments of ``kinds``."""
        kinds = tuple(kinds)
        n = len(kinds)
        single, nums = normalize_argnums(self.argnums, n)
        mode = "reverse_value" if self.with_value else "reverse"
        # one function for every grad(f) of the same f: it is lowered only once
        key = (cache_key(self.func), single, nums, mode, self.__name__, kinds_key(kinds),
               generation.value, self.checkpoint)
        # compiled again when its bindings changed: then a new function calls it
        compiled = compile_derivative(self.func, mode, nums, kinds, checkpoint=self.checkpoint)
        hit = _specialized.get(key)
        if hit is not None and hit[0] is compiled and hit[2]() is self.func:
            return hit[1]
        names = [p.value.hint for p in positional(compiled.ir)][:n]
        vjp_name = compiled.ir.name
        args = ", ".join(names)
        picked = "grads[0]" if single else "grads"
        if self.with_value:
            body = f"    out, grads = {vjp_name}({args}, 1.0)\n    return out, {picked}\n"
        else:
            body = f"    grads = {vjp_name}({args}, 1.0)\n    return {picked}\n"
        source = f"def {self.__name__}({args}):\n" + body
        fn = compile_function(source, self.__name__, {vjp_name: compiled.fn}, "derived")
        _specialized[key] = (compiled, fn, weak_reference(self.func))
        return fn


def _signature(func):
    """``(signature or None, fixed parameters)``; cached per code object for a
    plain function without defaults (a loop's fresh lambdas share it)."""
    plain = func if type(func) is types.FunctionType and not func.__defaults__ and \
        not func.__kwdefaults__ and "__signature__" not in func.__dict__ else None
    if plain is not None:
        hit = _signatures.get(plain.__code__)
        if hit is not None:
            return hit
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        sig = None
    out = (sig, _fixed_params(sig))
    if plain is not None:
        _signatures[plain.__code__] = out
    return out


def _fixed_params(sig):
    """The names of a function's parameters when every call passes them all
    by position (no defaults, no ``*args``): the caller's own parameters;
    None otherwise (the caller takes ``*args``)."""
    if sig is None:
        return None
    params = list(sig.parameters.values())
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) or
           p.default is not p.empty for p in params):
        return None
    names = [p.name for p in params]
    if any(not n.isidentifier() or keyword.iskeyword(n) or n.startswith("_k") for n in names):
        return [f"a{k}" for k in range(len(names))]
    return names


def _result_lines(call, compiled, single, valued, derived, full, ns, params, prefix, passed):
    """The lines of the caller that run the derivative and return grad's result."""
    active = compiled.active
    given = {len(prefix) + k: p for k, p in enumerate(params)}
    # float32 stays float32, a Python float's gradient is a Python float
    precise = [i for i in active if getattr(full[i], "dtype", None) not in (None, _FLOAT64)
               or type(full[i]) is float or _holds_float(full[i]) or
               isinstance(full[i], np.ndarray) and full[i].ndim == 0]  # (a 0-d array's too)

    def grad_of(j):  # the j-th gradient, in the precision of its argument
        g = f"_k_r[{j}]" if not valued else f"_k_g[{j}]"
        i = active[j]
        if i not in precise:
            return g
        if i in given:
            return f"_k_like({g}, {given[i]})"
        ns[f"_k_x{i}"] = full[i]
        return f"_k_like({g}, _k_x{i})"

    src = "_k_r" if not valued else "_k_g"
    if single:
        grads = grad_of(0)
    elif not precise:
        grads = src
    else:
        grads = "(" + "".join(grad_of(j) + ", " for j in range(len(active))) + ")"
    # gradients of Python floats that came out as Python floats need no _k_like
    floats = [j for j, i in enumerate(active) if i in precise and type(full[i]) is float]
    fast = None
    if floats and len(floats) == len([i for i in active if i in precise]):
        fast = (" and ".join(f"_k_type({src}[{j}]) is float" for j in floats),
                f"{src}[0]" if single else src)
    if not valued:
        if grads == "_k_r":
            return [f"return {call}"]
        if grads == "_k_r[0]":
            return [f"return {call}[0]"]
        lines = [f"_k_r = {call}"]
        if fast is not None:
            lines += [f"if {fast[0]}:", f"    return {fast[1]}"]
        return lines + [f"return {grads}"]
    lines = []
    if compiled.out_kind is None:  # a non-scalar output may be why it fails: say so
        ns["_k_failed"] = None  # bound by Derived._bind: the primal of this closure
        lines += ["try:", f"    _k_out, _k_g = {call}", "except Exception as _k_exc:",
                  f"    _k_failed(_k_exc, ({''.join(a + ', ' for a in passed)}))", "    raise"]
    else:
        lines.append(f"_k_out, _k_g = {call}")
    if derived.holomorphic:
        lines.append("_k_check(_k_out)")
    elif compiled.out_kind != "float":
        lines += ["if _k_type(_k_out) is not float:", "    _k_check(_k_out)"]
    if fast is not None:
        lines += [f"if {fast[0]}:",
                  f"    return _k_out, {fast[1]}" if derived.with_value else f"    return {fast[1]}"]
    lines.append(f"return _k_out, {grads}" if derived.with_value else f"return {grads}")
    return lines


def _failed(primal, holomorphic, exc, full):
    """A derivative failed: if the function does not return a scalar, say that."""
    _check_scalar("grad", primal(*full), exc, holomorphic)


def grad(func, argnums=0, holomorphic=False, backend=None, checkpoint=None,
         memory_limit=None):
    """The gradient of a scalar-valued ``func`` with respect to ``argnums``.

    ``grad(f)(x)`` has the shape of ``x``; with a tuple of argnums the result
    is a tuple of gradients.  ``grad(grad(f))`` differentiates the generated
    gradient code again.  Complex numbers follow JAX: for a real ``f`` of a
    complex ``z`` the gradient is ``df/dx - 1j df/dy``; a complex-valued ``f``
    needs ``holomorphic=True`` (and complex arguments), and then gives f'(z).

    ``backend="numba"`` compiles the derivative with Numba (``pip install
    "s2sad[numba]"``), the default for an ``@njit`` function, whose options it
    keeps; what Numba cannot compile is an error naming the line.

    ``checkpoint=K`` trades memory for recomputation: every ``for`` loop over a
    ``range`` (and ``while`` loop) not inside another loop keeps ``K``
    snapshots of its carried values instead of a tape, and the reverse sweep
    runs segments again from them (binomial checkpointing, revolve).  Mark one
    loop with ``for i in s2sad.checkpointed(range(n), snapshots=K):`` instead.
    ``checkpoint="auto", memory_limit="200MB"`` picks ``K`` when the loop
    starts: as many snapshots of its carried values as fit in the limit.
    """
    return Derived(func, argnums, False, "grad", holomorphic, backend,
                   checkpoint_option(checkpoint, memory_limit)).caller


def value_and_grad(func, argnums=0, holomorphic=False, backend=None, checkpoint=None,
                   memory_limit=None):
    """Like :func:`grad`, returning ``(func(*args), gradient)`` from one sweep."""
    return Derived(func, argnums, True, "value_and_grad", holomorphic, backend,
                   checkpoint_option(checkpoint, memory_limit)).caller


def vjp(func, *primals, backend=None, checkpoint=None, memory_limit=None):
    """``(func(*primals), vjp_fn)`` where ``vjp_fn(cotangent)`` returns one
    cotangent per primal (a tuple), as in JAX (``backend``: as for :func:`jvp`;
    ``checkpoint``, ``memory_limit``: as for :func:`grad`)."""
    checkpoint = checkpoint_option(checkpoint, memory_limit)
    backend, options = _backend(func, backend)
    python_only(checkpoint, backend)
    if isinstance(func, types.MethodType):
        out, fn = vjp(func.__func__, func.__self__, *primals, backend=backend,
                      checkpoint=checkpoint)
        return out, lambda ct: fn(ct)[1:]
    func = readable(func)
    given = len(primals)
    primals = _complete(func, tuple(primals))
    kinds = [kind_of_object(x) for x in primals]
    nums = tuple(i for i in range(given) if differentiable_kind(kinds[i]))
    check_differentiable(primals, nums, kinds)
    compiled = compile_derivative(func, "reverse", nums, kinds, free=True,
                                  checkpoint=checkpoint)
    # the function's free data as they are now, when it runs
    free = free_values(open_plain(func), compiled.free) if compiled.free else {}
    # the function runs on copies of the arrays: the caller's stay as they are
    out = func(*[p.copy() if isinstance(p, np.ndarray) else p for p in primals])

    def vjp_fn(cotangent):
        _check_cotangent(func, out, cotangent)
        # lists of its own: the reverse of xs.append(v) pops v's adjoint off xs's
        args = primals + (tree_map(lambda leaf: leaf, cotangent),)
        grads = _runner(compiled, backend, options, args, free, "the VJP")(*args, **free)
        full = [None] * given
        for i, g in zip(compiled.active, grads):
            full[i] = _like(g, primals[i])
        return tuple(full)

    return out, vjp_fn


def _check_cotangent(func, out, cotangent):
    """A cotangent has the structure of the output: a tuple output needs a tuple
    (or list) of as many cotangents."""
    if type(out) is tuple and not (isinstance(cotangent, (tuple, list)) and
                                   len(cotangent) == len(out)):
        name = getattr(func, "__name__", "f")
        example = ", ".join(["1.0"] + ["0.0"] * (len(out) - 1))
        got = f"a {type(cotangent).__name__} of {len(cotangent)}" \
            if isinstance(cotangent, (tuple, list)) else f"{type(cotangent).__name__} " \
            f"{cotangent!r:.40}"
        raise ArgumentError(
            f"vjp_fn(cotangent): {name} returns a tuple of {len(out)}, so the cotangent "
            f"must be a tuple of {len(out)} (one per output; got {got}): "
            f"vjp_fn(({example}{',' * (len(out) == 1)}))")


def _wrap(wrapper, func, what):
    name = getattr(func, "__name__", "f")
    wrapper.__name__ = f"{what}_{name}"
    wrapper.__qualname__ = wrapper.__name__
    wrapper.__doc__ = f"{what} of {name} (generated by s2sad)."
    wrapper.__wrapped_by_s2sad__ = func


# ---------------------------------------------------------------------------
# Jacobians and Hessians
# ---------------------------------------------------------------------------
def _basis(x):
    """Unit tangents for every element of x (a float or an array), in C order."""
    if isinstance(x, np.ndarray):
        for k in range(x.size):
            e = np.zeros(x.size, dtype=x.dtype)
            e[k] = 1
            yield e.reshape(x.shape)
    else:
        yield 1.0


def _assemble(pieces, out_like, in_like, rows_first):
    """Stack per-element derivatives into an array of shape out.shape + in.shape."""
    out_shape = np.shape(out_like)
    in_shape = np.shape(in_like)
    stacked = np.array(pieces, dtype=np.result_type(*pieces, float) if pieces else float)
    if rows_first:  # pieces[k] is d out[k] / d in   -> shape out + in
        return stacked.reshape(out_shape + in_shape)
    # pieces[k] is d out / d in[k]  -> move the input axis last
    stacked = stacked.reshape(in_shape + out_shape)
    n_in = len(in_shape)
    return np.transpose(stacked, tuple(range(n_in, n_in + len(out_shape))) + tuple(range(n_in)))


def _bound(func, args, argnums):
    """A bound method differentiates its explicit arguments: call the function
    with the object first.  Omitted arguments take their defaults (generated
    code takes every positional argument, then the cotangent)."""
    if isinstance(func, types.MethodType):
        args = (func.__self__,) + tuple(args)
        single, nums = normalize_argnums(argnums, len(args) - 1)
        nums = tuple(i + 1 for i in nums)
        return func.__func__, _complete(func.__func__, args), (nums[0] if single else nums)
    return func, _complete(func, tuple(args)), argnums


def _positional_call(func, what, args, kwargs):
    """The arguments of ``what(*args, **kwargs)`` by position, bound to the
    positional parameters of ``func`` as Python binds them."""
    target = getattr(func, "func", func)
    name = getattr(target, "__name__", "the function")
    try:
        sig = inspect.signature(target)
        bound = sig.bind_partial(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"{what}: the arguments do not match {name}'s parameters "
                            f"({exc})") from None
    params = [p for p in sig.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.name not in [q.name for q in params] for p in sig.parameters.values()
           if p.name in bound.arguments):
        raise ArgumentError(f"{what}: s2sad passes the arguments of {name} by position; "
                            f"pass its keyword-only and ** arguments with functools.partial")
    out = []
    for p in params:
        if p.name in bound.arguments:
            out.append(bound.arguments[p.name])
        elif p.default is not p.empty and any(q.name in bound.arguments
                                               for q in params[len(out):]):
            out.append(p.default)  # a later one given: this one's default
        else:
            break
    return tuple(out)


def _complete(func, args):
    """``args`` followed by the defaults of the positional parameters not given."""
    target = getattr(func, "func", func)  # a Derived object's function
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return tuple(args)
    params = [p for p in sig.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    name = getattr(target, "__name__", "the function")
    varargs = any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values())
    if len(args) > len(params) and not varargs:
        raise ArgumentError(f"{name}{sig} takes {len(params)} positional argument"
                            f"{'s' * (len(params) != 1)}, but {len(args)} were given")
    missing = params[len(args):]
    if not missing:
        return tuple(args)
    if any(p.default is p.empty for p in missing):
        names = ", ".join(p.name for p in missing if p.default is p.empty)
        raise ArgumentError(f"{name}{sig} is missing arguments: {names}")
    return tuple(args) + tuple(p.default for p in missing)


def jacfwd(func, argnums=0, holomorphic=False, backend=None):
    """The Jacobian by forward mode (one JVP per input element).

    For an output of shape ``m`` and an input of shape ``n`` the Jacobian has
    shape ``m + n``; tuple outputs give tuples, tuple argnums give tuples.
    As in JAX, complex arguments need ``holomorphic=True`` (the Jacobian is
    then df/dz); without it, use :func:`jvp` with complex tangents.
    """

    def jacobian(*args):
        f, args, nums_spec = _bound(func, args, argnums)
        single, nums = normalize_argnums(nums_spec, len(args))
        _check_complex_inputs("jacfwd", args, nums, holomorphic, real_only=True)
        per_arg = []
        for i in nums:
            outs = None
            cols = []
            for e in _basis(args[i]):
                tangents = [None] * len(args)
                tangents[i] = e
                out, t = jvp(f, args, tangents, backend=backend)
                outs = out
                cols.append(t)
            for o in (outs if isinstance(outs, tuple) else (outs,)) if holomorphic else ():
                _check_complex_output("jacfwd", o, True)
            if isinstance(outs, tuple):
                per_arg.append(tuple(_assemble([c[j] for c in cols], outs[j], args[i], False)
                                     for j in range(len(outs))))
            else:
                per_arg.append(_assemble(cols, outs, args[i], False))
        return _nest(per_arg, single, isinstance(outs, tuple))

    jacobian.__name__ = f"jacfwd_{getattr(func, '__name__', 'f')}"
    return _Jacobian(jacobian, func, argnums, "forward", holomorphic, backend)


def jacrev(func, argnums=0, holomorphic=False, backend=None):
    """The Jacobian by reverse mode (one VJP per output element).

    As in JAX, a complex output needs ``holomorphic=True`` (and complex
    arguments: the Jacobian is then df/dz); a real output of complex arguments
    gives, per output, JAX's gradient ``df/dx - 1j df/dy``."""

    def jacobian(*args):
        f, args, nums_spec = _bound(func, args, argnums)
        single, nums = normalize_argnums(nums_spec, len(args))
        _check_complex_inputs("jacrev", args, nums, holomorphic)
        out, vjp_fn = vjp(f, *args, backend=backend)
        outs = out if isinstance(out, tuple) else (out,)
        per_out = []
        for j, o in enumerate(outs):
            _check_complex_output("jacrev", o, holomorphic)
            rows = {i: [] for i in nums}
            for e in _basis(np.zeros(np.shape(o)) if np.ndim(o) else o):
                ct = tuple(e if k == j else _zeros_like(outs[k]) for k in range(len(outs)))
                cts = vjp_fn(ct if isinstance(out, tuple) else ct[0])
                for i in nums:
                    g = cts[i]
                    rows[i].append(np.zeros_like(args[i], dtype=float) if g is None else g)
            per_out.append({i: _assemble(rows[i], o, args[i], True) for i in nums})
        per_arg = [tuple(p[i] for p in per_out) for i in nums]
        if not isinstance(out, tuple):
            per_arg = [js[0] for js in per_arg]
        return _nest(per_arg, single, isinstance(out, tuple))

    jacobian.__name__ = f"jacrev_{getattr(func, '__name__', 'f')}"
    return _Jacobian(jacobian, func, argnums, "reverse", holomorphic, backend)


class _Jacobian:
    """``jacfwd(f)`` or ``jacrev(f)``: callable, and differentiable again.  For
    argument kinds it is a generated function (s2sad/derived.py: one JVP per
    input entry, or one VJP per output entry, in a loop), which s2sad reads like
    any other: ``jacfwd(jacrev(f))``, ``grad(jacfwd(f))`` work at any order, and
    dict, list and tuple arguments and outputs nest as in JAX.  Complex
    arguments, and ``holomorphic``, take the direct path (``fn``)."""

    def __init__(self, fn, func, argnums, mode, holomorphic=False, backend=None):
        self.backend, self.options = _backend(func, backend)
        self.fn, self.func, self.argnums, self.mode = fn, readable(func), argnums, mode
        self.holomorphic = holomorphic
        self.__name__ = self.__qualname__ = fn.__name__
        try:
            self.__signature__ = inspect.signature(self.func)
        except (TypeError, ValueError):
            pass

    def __repr__(self):
        return f"<s2sad {self.__name__}>"

    def __call__(self, *args, **kwargs):
        if kwargs:  # bound to the function's parameters, as a call of it would be
            args = _positional_call(self.func, self.__name__, args, kwargs)
        full = _complete(self.func, tuple(args))
        kinds = [kind_of_object(a) for a in full]
        if self.holomorphic or any(k in _COMPLEX for k in kinds):
            return self.fn(*args)
        check_differentiable(full, normalize_argnums(self.argnums, len(full))[1], kinds)
        fn = jacobian_function(self.func, self.mode, self.argnums, kinds)
        if fn.out_kind in _COMPLEX:  # a complex output: the direct path says what to do
            return self.fn(*args)
        if self.backend == "numba":  # its columns are computed by compiled derivatives
            fn = with_jitted_calls(fn, self.options)
        out = fn(*full)
        _, nums = normalize_argnums(self.argnums, len(full))
        if all(type(leaf) is float for i in nums for leaf in number_leaves(full[i])):
            # of Python floats (or containers of them): Python floats
            return _python_floats(out)
        return out

    def __s2sad_specialize__(self, kinds):
        """A plain Python function computing this for arguments of ``kinds``."""
        return jacobian_function(self.func, self.mode, self.argnums, kinds)


def _python_floats(out):
    """The NumPy float64 scalars in ``out`` (and its tuples, lists and dicts) as
    Python floats: the derivatives with respect to Python floats."""
    if type(out) is _npfloat64:
        return float(out)
    if type(out) in (tuple, list) or is_namedtuple(out):
        return tree_map(_python_floats, out)
    if type(out) is dict:
        return {k: _python_floats(v) for k, v in out.items()}
    return out


def _nest(per_arg, single, tuple_out):
    """JAX's nesting: the output's structure outside, the arguments' inside."""
    if single:
        return per_arg[0]
    if tuple_out:
        return tuple(tuple(j[k] for j in per_arg) for k in range(len(per_arg[0])))
    return tuple(per_arg)


def _zeros_like(x):
    return np.zeros_like(x, dtype=float) if np.ndim(x) else 0.0


def hessian(func, argnums=0, backend=None):
    """The Hessian: forward mode over reverse mode (``jacfwd(jacrev(f))``, as in
    JAX).  Of a scalar function it is the matrix of second derivatives; of a
    function with an output of shape ``m`` and an input of shape ``n`` it has
    shape ``m + n + n``."""
    backend, _ = _backend(func, backend)
    return jacfwd(jacrev(func, argnums, backend=backend), argnums, backend=backend)


def hvp(func, primals, tangents, backend=None):
    """The Hessian-vector product ``H @ v`` (forward over reverse), without
    forming the Hessian.  ``tangents`` has one entry per primal (None for those
    not differentiated)."""
    primals, tangents = _per_argument("hvp", func, primals, tangents)
    nums = tuple(i for i, t in enumerate(tangents) if t is not None)
    backend, _ = _backend(func, backend)
    g = grad(func, nums if len(nums) != 1 else nums[0], backend=backend)
    _, out = jvp(g, primals, tangents, backend=backend)
    return out


# grad(f)(x) written inside a function being differentiated is made when that
# function is compiled, and differentiated through (s2sad/ad/calls.py)
for _transform in (grad, value_and_grad, jacfwd, jacrev, hessian):
    _transform.__s2sad_transform__ = True


# ---------------------------------------------------------------------------
# The decorator
# ---------------------------------------------------------------------------
class differentiate:
    """Decorate a function to get its derivatives as methods.

    ``@s2sad.differentiate`` (or ``@s2sad.differentiate(argnums=(0, 1), mode="forward")``)
    leaves the function as it is — calling it calls the original — and adds
    ``.grad``, ``.value_and_grad``, ``.jvp``, ``.vjp``, ``.jacobian``, ``.hessian``,
    ``.hvp`` and ``.source(mode)``.  Derivatives are generated on first use, once
    per argument kinds, and cached (thread-safe).  ``backend="numba"`` (the
    default for an ``@njit`` function) compiles them with Numba.

    s2sad sees through it (``__s2sad_wrapper__``): a function that calls a
    decorated one, or ``grad(decorated)``, differentiates the function inside.
    """

    __s2sad_wrapper__ = True  # computes what its __wrapped__ computes

    def __new__(cls, func=None, *, argnums=0, mode="reverse", backend=None):
        if func is None:
            return lambda f: cls(f, argnums=argnums, mode=mode, backend=backend)
        return super().__new__(cls)

    def __init__(self, func=None, *, argnums=0, mode="reverse", backend=None):
        if mode not in ("forward", "reverse"):
            raise S2sadError(f"mode must be 'forward' or 'reverse', not {mode!r}")
        self.func = func
        self.argnums = argnums
        self.mode = mode
        self.backend, _ = _backend(func, backend)
        functools.update_wrapper(self, func)

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return differentiate(types.MethodType(self.func, obj), argnums=self.argnums,
                             mode=self.mode, backend=self.backend)

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)

    def __repr__(self):
        return f"<s2sad.differentiate {getattr(self.func, '__qualname__', self.func)}>"

    def _args(self, args):
        return _bound(self.func, args, self.argnums)

    def grad(self, *args):
        """The gradient with respect to ``argnums`` at ``args``."""
        f, args, nums = self._args(args)
        return grad(f, nums, backend=self.backend)(*args)

    def value_and_grad(self, *args):
        f, args, nums = self._args(args)
        return value_and_grad(f, nums, backend=self.backend)(*args)

    def jvp(self, primals, tangents):
        if isinstance(self.func, types.MethodType):
            return jvp(self.func.__func__, (self.func.__self__,) + tuple(primals),
                       (None,) + tuple(tangents), backend=self.backend)
        return jvp(self.func, primals, tangents, backend=self.backend)

    def vjp(self, *primals):
        if isinstance(self.func, types.MethodType):
            out, fn = vjp(self.func.__func__, self.func.__self__, *primals,
                          backend=self.backend)
            return out, lambda ct: fn(ct)[1:]
        return vjp(self.func, *primals, backend=self.backend)

    def jacobian(self, *args):
        """The Jacobian, by the decorator's mode (forward: jacfwd, reverse: jacrev)."""
        jac = jacfwd if self.mode == "forward" else jacrev
        return jac(self.func, self.argnums, backend=self.backend)(*args)

    def hessian(self, *args):
        return hessian(self.func, self.argnums, backend=self.backend)(*args)

    def hvp(self, primals, tangents):
        if isinstance(self.func, types.MethodType):
            return hvp(self.func.__func__, (self.func.__self__,) + tuple(primals),
                       (None,) + tuple(tangents), backend=self.backend)
        return hvp(self.func, primals, tangents, backend=self.backend)

    def source(self, mode=None, args=None):
        """The generated derivative code (``mode``: "forward" or "reverse")."""
        func, argnums = self.func, self.argnums
        if isinstance(func, types.MethodType):
            raise S2sadError("source() of a method: call it on the class's function "
                             "(Class.method.source(...))")
        return derivative_source(func, mode or self.mode, argnums, args)
