"""The one registry of derivative rules.

A rule is attached to a primitive: a Python or NumPy function (by identity), or
an operator (``"binop:*"``, ``"unary:-"``).  Rules are plain Python functions
that the derivative transforms *inline* into the generated code, so what a rule
says is what the user reads.  Five ways to declare one:

``@defpartials(fn)``
    For elementwise functions: return the partial derivative with respect to
    each argument (a tuple for several).  Parameters are named as the
    primitive's arguments; a parameter named ``ans`` receives the result.  Both
    the forward rule (``ans_dot = sum(partial_i * x_i_dot)``) and the reverse
    rule (``x_i_bar += ans_bar * partial_i``) are generated from it, so the two
    modes cannot drift apart.

``@defjvp(fn)``
    A forward rule: parameters are the primitive's arguments, then keyword-only
    ``ans`` and ``<arg>_dot`` for each differentiable argument; returns
    ``ans_dot``.  An inactive argument's tangent is a symbolic zero that
    vanishes from the generated code.

``@defvjp(fn)``
    A reverse rule: the primitive's arguments, then keyword-only ``ans`` and
    ``ans_bar``; returns the cotangents of the arguments in order, as far as
    the last one that has one (``None`` for one in between that has none; a
    single value, not a tuple, answers for the first argument alone).

``deflinear(fn, argnums, transpose=vjp)``
    ``fn`` is linear in the arguments ``argnums``: its tangent is ``fn`` applied
    to their tangents (no forward rule to write), and ``transpose``, a reverse
    rule as for ``defvjp``, gives reverse mode.

``nondifferentiable(fn, ...)``
    No derivative (``floor``, ``len``, comparisons...): results carry none.
"""
from __future__ import annotations

import inspect
import threading
import sys
import types
from typing import Callable, Dict, List, Optional, Tuple


class Rule:
    def __init__(self, primitive, name: str, library: str):
        self.primitive = primitive
        self.name = name
        self.library = library
        self.partials: Optional[Callable] = None
        self.jvp: Optional[Callable] = None
        self.vjp: Optional[Callable] = None
        self.nondiff = False
        self.linear: Optional[Tuple[int, ...]] = None
        # a linear primitive's parameters that only add to its result (np.sum's
        # initial=), by name and position: their tangents add to the tangent
        self.offsets: Dict[str, int] = {}
        # facts (see rules/structure.py for the structural primitives')
        self.pure = False  # no effects: may be reordered, merged or dropped when unused
        self.writes = False  # changes its first operand in place
        # a structural primitive's rules build IR: fn(transform, op, ...) (ad/structure.py)
        self.structural_jvp: Optional[Callable] = None
        self.structural_vjp: Optional[Callable] = None
        self.lowered = {}  # the rule functions as IR, filled in by the transforms
        # complex operands (rules/complex.py): the rule to use instead, or an error
        self.complex: Optional["Rule"] = None
        self.real_only = False
        self.lock = threading.Lock()
        self._signatures = {}  # which -> (rule function, its signature)
        self._positional = {}  # which -> (rule function, its positional parameters)

    def __repr__(self):
        return f"<Rule {self.library}.{self.name}>"

    def without_offsets(self, args, attrs, first):
        """The operands and attributes of a call of this linear primitive with
        its offsets (``np.sum``'s ``initial=``) left out, and the indices of the
        offsets in ``args``; None where an offset cannot be told apart (in
        ``*args``) or left out (passed positionally before other operands)."""
        if not self.offsets:
            return args, attrs, []
        if attrs.get("star") or attrs.get("dstar"):
            return None
        kw = attrs.get("kw", ())
        npos = len(args) - len(kw)
        dropped = [npos + j for j, name in enumerate(kw) if name in self.offsets]
        for pos in self.offsets.values():
            if first + pos < npos:
                if first + pos != npos - 1:
                    return None
                dropped.append(first + pos)
        if not dropped:
            return args, attrs, []
        attrs = dict(attrs)
        kept = tuple(name for name in kw if name not in self.offsets)
        if kept:
            attrs["kw"] = kept
        else:
            attrs.pop("kw", None)
        return [a for i, a in enumerate(args) if i not in dropped], attrs, sorted(dropped)

    @property
    def has_forward(self):
        # a linear primitive's tangent is the primitive applied to the tangent
        return self.nondiff or self.partials is not None or self.jvp is not None or \
            self.linear is not None

    @property
    def has_reverse(self):
        return self.nondiff or self.partials is not None or self.vjp is not None

    def signature(self, which: str) -> inspect.Signature:
        """The primitive's own parameters, as the rule function names them (a
        keyword-only one with a default, such as ``sorted``'s ``reverse=False``,
        is the primitive's too; ``ans``, ``ans_bar`` and ``<param>_dot`` are the rule's)."""
        fn = getattr(self, which)
        cached = self._signatures.get(which)
        if cached is not None and cached[0] is fn:  # the same rule function as before
            return cached[1]
        sig = inspect.signature(fn)
        names = set(sig.parameters)
        params = [p for p in sig.parameters.values() if p.name not in ("ans", "ans_bar") and
                  (p.kind != p.KEYWORD_ONLY or (p.default is not p.empty and
                                                not (p.name.endswith("_dot") and
                                                     p.name[:-4] in names)))]
        sig = sig.replace(parameters=params)
        self._signatures[which] = (fn, sig)
        return sig

    def positional_parameters(self, which: str):
        """``((name, default), ...)`` of :meth:`signature` when every parameter
        is positional (None otherwise): binding positional operands by it is
        what ``signature(which).bind(*args)`` with its defaults applied gives."""
        fn = getattr(self, which)
        cached = self._positional.get(which)
        if cached is not None and cached[0] is fn:  # the same rule function as before
            return cached[1]
        params = self.signature(which).parameters.values()
        plan = tuple((p.name, p.default) for p in params) \
            if all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params) \
            else None
        self._positional[which] = (fn, plan)
        return plan


_RULES: Dict[object, Rule] = {}
_KEEP: List[object] = []  # keeps primitives alive so that ids stay unique


def _key(primitive):
    if isinstance(primitive, types.MethodType):
        # a method of one object (scipy.stats.norm.pdf): each attribute read
        # makes a new bound method, the object and the function stay
        return ("method", id(primitive.__self__), primitive.__func__)
    return primitive if isinstance(primitive, str) else id(primitive)


_METHODS: Dict[Tuple[int, str], object] = {}  # (id(obj), name) -> the bound method with a rule


#: Loaders of optional rules (SciPy's), each called once the library they
#: serve has been imported by someone (it is in ``sys.modules``): importing
#: s2sad does not import SciPy, which would take longer than s2sad itself.
_optional_loaders: List[Tuple[str, Callable]] = []


def optional_rules(module: str, load: Callable):
    """Register ``load`` to run the first time a rule is looked up after
    ``module`` has been imported."""
    _optional_loaders.append((module, load))


def _load_optional() -> bool:
    """Load the optional rules whose library is imported now; whether any was."""
    loaded = False
    for entry in list(_optional_loaders):
        if entry[0] in sys.modules:
            _optional_loaders.remove(entry)
            entry[1]()
            loaded = True
    return loaded


def method_with_rule(obj, name: str):
    """``obj.name`` if it is a bound method with a rule (the one registered,
    so that every read of it gives the same object), else None."""
    found = _METHODS.get((id(obj), name))
    if found is None and _optional_loaders and _load_optional():
        found = _METHODS.get((id(obj), name))
    return found


def lookup(primitive) -> Optional[Rule]:
    try:
        found = _RULES.get(_key(primitive))
        if found is None and _optional_loaders and _load_optional():
            found = _RULES.get(_key(primitive))
        return found
    except TypeError:
        return None


def _rule(primitive, library, name=None) -> Rule:
    key = _key(primitive)
    rule = _RULES.get(key)
    if rule is None:
        if name is None:
            name = primitive if isinstance(primitive, str) else getattr(primitive, "__name__", repr(primitive))
        rule = Rule(primitive, name, library)
        _RULES[key] = rule
        _KEEP.append(primitive)
        if isinstance(primitive, types.MethodType) or (  # np.add.reduce too
                isinstance(primitive, types.BuiltinMethodType) and
                not isinstance(primitive.__self__, (types.ModuleType, type(None)))):
            _METHODS[(id(primitive.__self__), primitive.__name__)] = primitive
    return rule


class _Generation:
    """Counts the changes of user rules: whatever was derived with the old rules
    is compiled again (the compiler compares the count it saw)."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


generation = _Generation()


def structural(kind: str) -> Rule:
    """The registry entry of the structural primitive ``kind`` (an IR op kind
    such as ``"getitem"``, or ``"method:append"``)."""
    return _rule("struct:" + kind, "structure", kind)


def structural_rule(kind: str) -> Optional[Rule]:
    return _RULES.get("struct:" + kind)


def _invalidate():
    generation.value += 1


def defpartials(primitive, *, library: str = "user", name: str = None):
    """Declare an elementwise primitive's derivative by its partials."""

    def register(fn):
        rule = _rule(primitive, library, name)
        rule.partials = fn
        rule.jvp = rule.vjp = None
        rule.nondiff = False
        rule.lowered.clear()
        if library == "user":
            rule.complex = None  # the user's rule answers for complex operands too
            _invalidate()
        return fn

    return register


def defjvp(primitive, *, library: str = "user", name: str = None):
    """Register a hand-written forward rule for ``primitive``."""

    def register(fn):
        rule = _rule(primitive, library, name)
        rule.jvp = fn
        rule.nondiff = False
        rule.lowered.pop("jvp", None)
        if library == "user":
            rule.complex = None  # the user's rule answers for complex operands too
            _invalidate()
        return fn

    return register


def defvjp(primitive, *, library: str = "user", name: str = None):
    """Register a hand-written reverse rule for ``primitive``."""

    def register(fn):
        rule = _rule(primitive, library, name)
        rule.vjp = fn
        rule.nondiff = False
        rule.lowered.pop("vjp", None)
        if library == "user":
            rule.complex = None  # the user's rule answers for complex operands too
            _invalidate()
        return fn

    return register


def nondifferentiable(*primitives, library: str = "user"):
    """Declare primitives whose results carry no derivative."""
    for p in primitives:
        rule = _rule(p, library)
        rule.nondiff = True
    if library == "user" and primitives:
        _invalidate()


def deflinear(primitive, argnums=(0,), *, transpose: Callable = None,
              offsets: Dict[str, int] = None, library: str = "user"):
    """Declare ``primitive`` linear in ``argnums``: its tangent is the primitive
    applied to their tangents (and a zero there gives zero); ``transpose`` is
    its reverse rule (see :func:`defvjp`). ``offsets`` names the parameters
    (with their positions) that only add to the result, as ``np.sum``'s
    ``initial=`` does: the tangent leaves them out and adds their tangents."""
    rule = _rule(primitive, library)
    rule.linear = tuple(argnums)
    rule.offsets = dict(offsets or {})
    if transpose is not None:
        defvjp(primitive, library=library)(transpose)
    elif library == "user":
        _invalidate()


def linear_args(primitive):
    rule = lookup(primitive)
    return None if rule is None else rule.linear


def all_rules() -> List[Rule]:
    """The rules of functions and operators (the structural primitives' entries,
    keyed by op kind, are :func:`structural_rules`)."""
    if _optional_loaders:
        _load_optional()
    return [r for r in _RULES.values() if r.library != "structure"]


def structural_rules() -> List[Rule]:
    return [r for r in _RULES.values() if r.library == "structure"]
