"""Functions s2sad writes from other functions, as plain Python that it can read.

* Jacobians: ``jacfwd(f)`` and ``jacrev(f)`` become, for given argument kinds, a
  short function that runs one JVP per entry of the input (or one VJP per entry
  of the output) in a loop and assembles the results with s2sad/trees.py's
  ``jacobian_*`` helpers.  Being ordinary generated code, it is differentiated
  again like any other: ``jacfwd(jacrev(f))``, ``grad(jacfwd(f))`` and a Jacobian
  called inside a function being differentiated all work, at any order.
* Wrappers of what has no source of its own: a ``functools.partial`` (the
  function called with the bound arguments) and a function with a derivative
  rule passed directly (``grad(np.tanh)``, ``grad(math.sin)``): one call of it.
* What ``grad(f)`` returns calls: per argument types, a short function that
  tests the types, the rule generation and the bindings inline, reads the
  function's free data, and calls the derivative (:func:`caller`).
"""
from __future__ import annotations

import functools
import inspect
import keyword
import math
import types
import weakref

import numpy as np

from . import trees
from .backend import compile_function
from .compiler import (compile_derivative, forget_with_functions, identity, normalize_argnums,
                       positional, weak_key)
from .errors import S2sadError
from .frontend.resolve import BY_NAME
from .ir.kinds import differentiable_kind, kind_of_object, kinds_key
from .rules.registry import generation, lookup

# (function, mode, argnums, kinds) -> (the derivatives it calls, the generated
# function, the function it is the Jacobian of, weakly): gone when it dies
_jacobians = {}
forget_with_functions(_jacobians)


def _identifier(name, fallback):
    return name if name.isidentifier() and not keyword.iskeyword(name) else fallback


def _unique(name, taken):
    out, k = name, 1
    while out in taken:
        out, k = f"{name}_{k}", k + 1
    taken.add(out)
    return out


def cache_key(func):
    """What generated functions of ``func`` are cached by: its identity, or for
    an object s2sad generates code for (``grad(f)``, ``jacrev(f)``), the object
    (the cache entry keeps it, so its id stays its own)."""
    try:
        return identity(func)
    except S2sadError:
        return ("object", weak_key(func))


def _split_method(func):
    """``(function, prefix)``: a bound method is its function with the object first."""
    if isinstance(func, types.MethodType):
        return func.__func__, (func.__self__,)
    return func, ()


def check_differentiable(args, nums, kinds):
    """Integers are never differentiated, as arguments or inside containers:
    the error names the one found among the arguments ``nums`` (``args``: None
    where only their kinds are known)."""
    for i in nums:
        x = args[i] if args is not None else None
        if not differentiable_kind(kinds[i]):
            what = f"{type(x).__name__} {_short(x)}" if args is not None else \
                f"of kind {kinds[i]!r}"
            raise S2sadError(
                f"argument {i} is {what}, which is not differentiable; "
                "pass a float (e.g. 2.0 rather than 2) or leave it out of argnums")
        found = trees.integer_leaf(x) if kinds[i] in _CONTAINERS else None
        if found is not None:
            where, leaf = found
            raise S2sadError(
                f"argument {i} holds {type(leaf).__name__} {_short(leaf)} at {where}, which "
                "is not differentiable (integers never are, as arguments or inside "
                "containers); pass floats (2.0 rather than 2, np.array([...], dtype=float)), "
                "or pass the integer as an argument of its own and leave it out of argnums")


_CONTAINERS = ("list", "tuple", "dict")


def _short(x):
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def jacobian_function(func, mode, argnums, kinds):
    """A plain function computing the Jacobian of ``func`` by ``mode`` ("forward":
    one JVP per input entry, "reverse": one VJP per output entry) with respect to
    ``argnums``, for positional arguments of ``kinds``."""
    target, prefix = _split_method(func)
    kinds = tuple(kinds)
    n = len(kinds)
    single, nums = normalize_argnums(argnums, n)
    check_differentiable(None, nums, kinds)
    full = tuple(kind_of_object(p) for p in prefix) + kinds
    shifted = tuple(len(prefix) + i for i in nums)
    if mode == "forward":
        parts = tuple(compile_derivative(target, "forward", (i,), full) for i in shifted)
    else:
        parts = (compile_derivative(target, "reverse", shifted, full),)
    key = (cache_key(func), mode, single, nums, kinds_key(kinds), generation.value)
    hit = _jacobians.get(key)
    if hit is not None and hit[2]() is func and len(hit[0]) == len(parts) and \
            all(a is b for a, b in zip(hit[0], parts)):
        return hit[1]
    fname = getattr(func, "__name__", "f").replace("<lambda>", "lambda")
    name = ("jacfwd_" if mode == "forward" else "jacrev_") + fname
    taken = {name}
    hints = [p.value.hint for p in positional(parts[0].ir)][:len(full)]
    namespace = {}
    params = []
    for k, hint in enumerate(hints):
        var = _unique(_identifier(hint, f"x{k}"), taken)
        if k < len(prefix):
            namespace[var] = prefix[k]  # the object of a method: a constant
        else:
            params.append(var)
    for c in parts:
        namespace[_unique(c.ir.name, taken)] = c.fn
    callee = [k for k, v in namespace.items() if any(v is c.fn for c in parts)]
    if mode == "forward":
        body = _forward_body(parts, callee, params, shifted, prefix, single, taken, namespace,
                             full)
    else:
        body = _reverse_body(parts[0], callee[0], func, params, shifted, single, taken,
                             namespace)
    source = f"def {name}({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body)
    fn = compile_function(source, name, namespace, "jacobian")
    fn.out_kind = parts[0].out_kind
    _jacobians[key] = (parts, fn, weak_reference(func))
    return fn


def _forward_body(parts, callee, params, shifted, prefix, single, taken, namespace, full):
    call_args = _call_args(namespace, prefix, params)
    if single and full[shifted[0]] == "float":  # one column: the tangent itself
        return [f"return {callee[0]}({', '.join(call_args)}, 1.0)[1]"]
    namespace[_unique("jacobian_basis", taken)] = trees.jacobian_basis
    namespace[_unique("jacobian_columns", taken)] = trees.jacobian_columns
    basis = _name_of(namespace, trees.jacobian_basis)
    assemble = _name_of(namespace, trees.jacobian_columns)
    unit, tangent = _unique("e", taken), _unique("y_dot", taken)
    lines, lists = [], []
    for c, fname, i in zip(parts, callee, shifted):
        x = call_args[i]
        cols = _unique("columns" if single else f"columns_{x}", taken)
        lists.append(cols)
        lines += [f"{cols} = []",
                  f"for {unit} in {basis}({x}):",
                  f"    {tangent} = {fname}({', '.join(call_args)}, {unit})[1]",
                  f"    {cols}.append({tangent})"]
    if single:
        lines.append(f"return {assemble}({lists[0]}, {call_args[shifted[0]]})")
    else:
        xs = _tuple(call_args[i] for i in shifted)
        lines.append(f"return {assemble}({_tuple(lists)}, {xs}, False)")
    return lines


def _reverse_body(compiled, callee, func, params, shifted, single, taken, namespace):
    prefix = _split_method(func)[1]
    call_args = _call_args(namespace, prefix, params)
    joined = ", ".join(call_args)
    if compiled.out_kind in ("float", "int"):  # one row: the gradient
        return [f"return {callee}({joined}, 1.0)" + ("[0]" if single else "")]
    primal = _unique(getattr(func, "__name__", "f").replace("<lambda>", "f"), taken)
    namespace[primal] = func
    namespace[_unique("jacobian_basis", taken)] = trees.jacobian_basis
    namespace[_unique("jacobian_rows", taken)] = trees.jacobian_rows
    basis = _name_of(namespace, trees.jacobian_basis)
    assemble = _name_of(namespace, trees.jacobian_rows)
    out, rows, unit = _unique("y", taken), _unique("rows", taken), _unique("e", taken)
    namespace[_unique("detached", taken)] = trees.detached
    copy = _name_of(namespace, trees.detached)
    lines = [f"{out} = {primal}({', '.join(f'{copy}({p})' for p in params)})",
             f"{rows} = []",
             f"for {unit} in {basis}({out}):",
             f"    {rows}.append({callee}({joined}, {unit}))"]
    if single:
        lines.append(f"return {assemble}({rows}, {out}, {call_args[shifted[0]]})")
    else:
        xs = _tuple(call_args[i] for i in shifted)
        lines.append(f"return {assemble}({rows}, {out}, {xs}, False)")
    return lines


def _tuple(items):
    items = list(items)
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def _name_of(namespace, obj):
    return next(k for k, v in namespace.items() if v is obj)


def _call_args(namespace, prefix, params):
    return [_name_of(namespace, p) for p in prefix] + list(params)


# ---------------------------------------------------------------------------
# Wrappers of functions without source of their own
# ---------------------------------------------------------------------------
_wrappers = weakref.WeakKeyDictionary()  # a partial -> its wrapper
_rule_wrappers = {}  # id of a function with a rule -> (it, its wrapper)


def readable(func):
    """``func``, or a generated function computing the same that s2sad can read:
    for a ``functools.partial``, the function called with the bound arguments
    (its parameters are the partial's remaining positional ones, so argnums
    count those, as in JAX); for a function with a derivative rule and no
    Python source (a NumPy ufunc, ``math.sin``, ``np.sum``), one call of it."""
    if isinstance(func, functools.partial):
        hit = _wrappers.get(func)
        if hit is None:
            hit = _wrappers[func] = _partial_wrapper(func)
        return hit
    if isinstance(func, (types.FunctionType, types.MethodType)) or \
            hasattr(func, "__s2sad_specialize__") or not callable(func):
        return func
    try:
        has_rule = lookup(func) is not None
    except TypeError:
        return func
    if not has_rule:  # a function s2sad reads, or one it says it cannot
        return func
    hit = _rule_wrappers.get(id(func))
    if hit is None or hit[0] is not func:
        hit = _rule_wrappers[id(func)] = (func, _rule_wrapper(func))
    return hit[1]


def _positional(sig):
    return [p for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _partial_wrapper(p):
    inner = readable(p.func)
    fname = getattr(inner, "__name__", "f").replace("<lambda>", "lambda")
    try:
        sig = inspect.signature(p)
    except (TypeError, ValueError) as exc:
        raise S2sadError(f"cannot read the parameters of {p!r}; differentiate a function "
                         "(a def or a lambda) that calls it") from exc
    if any(q.kind in (q.VAR_POSITIONAL, q.VAR_KEYWORD) for q in sig.parameters.values()):
        raise S2sadError(f"{p!r} takes *args or **kwargs; differentiate a function "
                         "with named parameters that calls it")
    stranded = [q.name for q in sig.parameters.values()
                if q.kind is q.KEYWORD_ONLY and q.default is q.empty]
    if stranded:  # partial(f, x=1.0) of f(x, y): y can only be passed by keyword
        fixed = [k for k in p.keywords if k in sig.parameters]
        raise S2sadError(
            f"functools.partial({fname}, {', '.join(f'{k}=...' for k in fixed)}) leaves "
            f"{fname}'s parameter{'s' * (len(stranded) > 1)} {', '.join(stranded)} "
            "keyword-only (a parameter fixed by keyword makes those after it "
            "keyword-only), and s2sad differentiates with respect to positional "
            f"parameters: fix {', '.join(fixed)} by position (functools.partial({fname}, "
            f"...)), or differentiate lambda {', '.join(stranded)}: "
            f"{fname}({', '.join(f'{k}=...' for k in fixed)}, "
            f"{', '.join(f'{q}={q}' for q in stranded)})")
    name = f"{fname}_partial"
    taken = {name}
    namespace = {}
    params = []
    for q in _positional(sig):
        var = _unique(q.name, taken)
        if q.default is q.empty:
            params.append(var)
        else:
            default = _unique(f"{q.name}_default", taken)
            namespace[default] = q.default
            params.append(f"{var}={default}")
    callee = _unique(_identifier(fname, "f"), taken)
    namespace[callee] = inner
    bound = []
    for k, a in enumerate(p.args):
        var = _unique(f"bound_{k}" if k else "bound", taken)
        namespace[var] = a
        bound.append(var)
    names = [q.split("=")[0] for q in params]
    keywords = []
    for key, v in p.keywords.items():
        if key in [q.name for q in _positional(sig)]:
            continue  # passed by position above (a keyword bound again)
        var = _unique(key, taken)
        namespace[var] = v
        keywords.append(f"{key}={var}")
    call = ", ".join(bound + names + keywords)
    source = f"def {name}({', '.join(params)}):\n    return {callee}({call})\n"
    return compile_function(source, name, namespace, "partial")


def _rule_wrapper(func):
    fname = getattr(func, "__name__", None) or "f"
    if getattr(np, fname, None) is func:
        expr, namespace = f"np.{fname}", {"np": np}
    elif getattr(math, fname, None) is func:
        expr, namespace = f"math.{fname}", {"math": math}
    else:  # bound under another name: the wrapper is called fname
        expr = f"{fname}_primitive"
        namespace = {expr: func}
    try:
        names = [q.name for q in _positional(inspect.signature(func))
                 if q.default is q.empty]
    except (TypeError, ValueError):
        nin = getattr(func, "nin", None)
        if nin is None:
            raise S2sadError(f"cannot read the parameters of {fname}; differentiate a "
                             f"function that calls it (lambda x: {fname}(x))") from None
        names = ["x"] if nin == 1 else [f"x{k + 1}" for k in range(nin)]
    names = [_identifier(n, f"x{k + 1}") if n not in ("np", "math", fname) else f"x{k + 1}"
             for k, n in enumerate(names)]
    args = ", ".join(names)
    source = f"def {fname}({args}):\n    return {expr}({args})\n"
    return compile_function(source, fname, namespace, "call")


# ---------------------------------------------------------------------------
# grad(f)'s call: a generated function per argument types
# ---------------------------------------------------------------------------
_codes = {}  # source -> its code object: every closure of a loop reuses it
_NDARRAY = np.ndarray


def guard_tests(var, x, k, ns):
    """Tests that ``var`` has the type of ``x`` (and an array's dtype and rank):
    what the kinds a derivative is compiled for depend on."""
    ns[f"_k_t{k}"] = type(x)
    tests = [f"_k_type({var}) is _k_t{k}"]
    if type(x) is _NDARRAY:
        ns[f"_k_d{k}"] = x.dtype
        tests += [f"{var}.dtype is _k_d{k}", f"{var}.ndim == {x.ndim}"]
    return tests


def binding_tests(entries, ns, data_ok):
    """``h['name'] is o`` per binding (see compiler.Bindings), inline; and
    whether one reads a cell (which raises when emptied)."""
    tests, cells = [], False
    for k, (holder, name, obj) in enumerate(entries):
        if obj is data_ok:  # data read at the call: its guard says it still is
            continue
        if isinstance(holder, BY_NAME) and str(holder.get("__name__", "")).startswith("s2sad."):
            continue  # s2sad's own rules and helpers: a rule registered says so
        ns[f"_k_h{k}"], ns[f"_k_o{k}"] = holder, obj
        if isinstance(holder, BY_NAME):
            tests.append(f"{name!r} not in _k_h{k}" if obj is ns["_k_absent"] else
                         f"_k_h{k}.get({name!r}) is _k_o{k}")
        else:
            cells = True
            tests.append(f"_k_empty(_k_h{k})" if obj is ns["_k_absent"] else
                         f"_k_h{k}.cell_contents is _k_o{k}")
    return tests, cells


def caller(name, params, tests, reads, body, may_raise):
    """The source of three functions: ``name`` (the hot path: ``body`` when
    every test holds, else ``_k_slow``), ``check`` (the tests) and ``run``
    (``body``).  ``reads`` are ``var = expr`` lines that read data when the call
    is made; ``body`` runs the derivative and returns grad's result."""
    sig = ", ".join(params)
    test = " and ".join(tests) or "True"
    if may_raise:  # an emptied cell, a deleted global: not this entry's case
        guard = ["    try:"] + ["        " + r for r in reads] + \
            [f"        _k_ok = {test}", "    except Exception:", "        _k_ok = False"]
        test = "_k_ok"
    else:
        guard = ["    " + r for r in reads]
    hot = [f"def {name}({sig}):"] + guard + [f"    if {test}:"] + \
        ["        " + line for line in body] + \
        [f"    return _k_slow(({sig}{',' if len(params) == 1 else ''}))"]
    check = [f"def check({sig}):"] + guard + [f"    return {test}"]
    run = [f"def run({sig}):"] + ["    " + r for r in reads] + ["    " + line for line in body]
    return "\n".join(hot + [""] + check + [""] + run) + "\n"


def build_caller(name, source, ns, only=False):
    """``(hot, check, run)`` from :func:`caller`'s source, bound to ``ns``
    (compiled once per source: not registered with linecache, so that s2sad
    never reads it as user code); ``only``: the function ``name`` alone."""
    code = _codes.get(source)
    if code is None:
        code = _codes[source] = compile(source, "<s2sad-call>", "exec")
    exec(code, ns)
    return ns[name] if only else (ns[name], ns["check"], ns["run"])


def weak_reference(obj):
    """A weak reference to ``obj`` where it has one, else a function returning it."""
    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj
