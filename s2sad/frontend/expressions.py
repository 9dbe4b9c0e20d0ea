"""Lowering of expressions, mixed into :class:`~.lower.Lowerer`.

Apart from the statements only because of size: an expression can hold
control flow (``and``, ``if else``, chained comparisons, comprehensions), so
this half uses the statement half's ``branch``, ``assign`` and
``lower_stmt_nested`` as well as its state (``env``, ``block``, ``locals``,
``names``, ``nested``).
"""
import builtins
import inspect
import operator
import types

import gast
import numpy as np

from ..errors import SourceError
from ..ir.nodes import MISSING, Const, Global, shift_index
from ..rules.registry import lookup
from .desugar import comprehension_loop, comprehension_targets, setdefault_statement
from .functions import NOT_HANDLED, literal
from .locations import call_loc
from .naming import (ACCUMULATOR_HINTS, binop_hint, call_hint, member_hint,
                     subscript_hint, unary_hint)
from .numpy_forms import (checked_subscripts, einsum_as_string, is_einsum, is_index_trick,
                          lower_index_trick)
from .resolve import fold_attribute, fold_member, resolve
from .source import see_through
from .syntax import UNSUPPORTED, describe

BINOPS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/",
          gast.FloorDiv: "//", gast.Mod: "%", gast.Pow: "**", gast.MatMult: "@",
          gast.LShift: "<<", gast.RShift: ">>", gast.BitOr: "|", gast.BitAnd: "&",
          gast.BitXor: "^"}
UNARYOPS = {gast.USub: "-", gast.UAdd: "+", gast.Not: "not", gast.Invert: "~"}
CMPOPS = {gast.Lt: "<", gast.LtE: "<=", gast.Gt: ">", gast.GtE: ">=", gast.Eq: "==",
          gast.NotEq: "!=", gast.Is: "is", gast.IsNot: "is not", gast.In: "in",
          gast.NotIn: "not in"}


class ExpressionLowering:
    """``expr(node, hint)`` lowers an expression into the current block and
    returns its value; ``hint`` names the value when it is assigned to a
    variable (a user value), and ``None`` makes it a temporary."""

    def load_name(self, node):
        name = node.id
        if name in self.env:
            return self.env[name]
        if name in self.locals:
            raise self.error(node, f"local variable '{name}' is read before it is assigned",
                             f"assign '{name}' before this line (Python would raise "
                             "UnboundLocalError here)", cls=SourceError)
        return resolve(name, self.info)

    def expr(self, node, hint=None):
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            name = type(node).__name__
            raise self.error(node, f"'{describe(node)}' is not supported by s2sad",
                             UNSUPPORTED.get(name, "rewrite the expression with simpler "
                                                   "operations"))
        return method(node, hint)

    def expr_Constant(self, node, hint):
        return Const(node.value)

    def expr_Name(self, node, hint):
        return self.load_name(node)

    def expr_Lambda(self, node, hint):
        return self.nested.make_lambda(node, hint)  # frontend/inline.py

    def expr_NamedExpr(self, node, hint):
        v = self.expr(node.value, node.target.id)
        self.assign(node.target, v)
        return self.env[node.target.id]

    def expr_Attribute(self, node, hint):
        if node.attr == "__dict__":
            raise self.error(node, "s2sad does not follow an object's attributes through "
                                   "its __dict__ (what is written there is not the "
                                   "attribute s2sad keeps)",
                             "set and read the attribute itself (obj.a = v, "
                             "setattr(obj, 'a', v))")
        base = self.expr(node.value)
        if isinstance(base, Global) and base.obj is not MISSING:
            folded = fold_attribute(base, node.attr)
            if folded is not None:
                return folded
        h = hint or member_hint(base, node.attr)
        return self.emit("getattr", [base], h, user=hint is not None, attr=node.attr).result

    def expr_BinOp(self, node, hint):
        a = self.expr(node.left)
        b = self.expr(node.right)
        op = BINOPS[type(node.op)]
        h = binop_hint(a, b, op) if hint is None else hint
        return self.emit("binop", [a, b], h, user=hint is not None, op=op).result

    def expr_UnaryOp(self, node, hint):
        a = self.expr(node.operand)
        op = UNARYOPS[type(node.op)]
        if isinstance(a, Const) and op == "-" and isinstance(a.value, (int, float)) \
                and not isinstance(a.value, bool):
            return Const(-a.value)
        h = hint or unary_hint(a, op)
        return self.emit("unary", [a], h, user=hint is not None, op=op).result

    def expr_Compare(self, node, hint):
        left = self.expr(node.left)
        ops, comparators = node.ops, node.comparators

        def compare(a, i):
            b = literal(comparators[i]) if isinstance(a, Const) else None
            b = self.expr(comparators[i]) if b is None else b
            folded = self.nested.fold_compare(CMPOPS[type(ops[i])], a, b)
            if folded is not None:  # name == "tanh" in an inlined get_activation(name)
                return folded, b
            last = i == len(ops) - 1
            res = self.emit("compare", [a, b], hint if (last and hint) else "c",
                            user=bool(last and hint), op=CMPOPS[type(ops[i])]).result
            return res, b

        res, right = compare(left, 0)
        for i in range(1, len(ops)):
            prev = right

            def more(i=i, prev=prev):
                r, _ = compare(prev, i)
                self.env[".chain"] = r

            self.env[".chain"] = res
            self.branch(res, more, lambda: None)
            res = self.env.pop(".chain")
        return res

    def expr_BoolOp(self, node, hint):
        is_and = isinstance(node.op, gast.And)
        key = ".bool"
        first = self.expr(node.values[0])
        self.names.hints[key] = hint or "c"
        self.env[key] = first
        for v in node.values[1:]:
            cur = self.env[key]

            def rhs(v=v):
                self.env[key] = self.expr(v)

            if is_and:
                self.branch(cur, rhs, lambda: None)
            else:
                self.branch(cur, lambda: None, rhs)
        res = self.env.pop(key)
        return res

    def expr_IfExp(self, node, hint):
        cond = self.expr(node.test)
        key = ".ifexp"
        self.names.hints[key] = hint or "t"

        def side(e):
            def fn():
                self.env[key] = self.expr(e)
            return fn

        saved = self.env.get(key)
        self.branch(cond, side(node.body), side(node.orelse))
        res = self.env.pop(key)
        if saved is not None:
            self.env[key] = saved
        return res

    def call_args(self, node, reads_once=False):
        """The call's operands and attributes; ``reads_once``: the callee reads
        an iterable it is given once (a generator passed to it is its list)."""
        args, star, dstar, kw = [], [], [], []
        for a in node.args:
            if isinstance(a, gast.Starred):
                star.append(len(args))
                args.append(self.expr(a.value))
            elif reads_once and isinstance(a, gast.GeneratorExp):
                args.append(self.comprehension(a, None, "list"))
            else:
                args.append(self.expr(a))
        for k in node.keywords:
            if k.arg is None:
                dstar.append(len(args))
                args.append(self.expr(k.value))
        for k in node.keywords:
            if k.arg is not None:
                kw.append(k.arg)
                args.append(self.expr(k.value))
        attrs = {}
        if kw:
            attrs["kw"] = tuple(kw)
        if star:
            attrs["star"] = tuple(star)
        if dstar:
            attrs["dstar"] = tuple(dstar)
        return args, attrs

    def expr_Call(self, node, hint):
        f = node.func
        if isinstance(f, gast.Attribute):
            if isinstance(f.value, gast.Call) and isinstance(f.value.func, gast.Name) and \
                    f.value.func.id == "super" and resolve_is_super(self, f.value):
                method = super_method(self.info, f.attr) if not f.value.args else None
                if method is None:
                    raise self.error(node, "s2sad does not follow super(): which class's "
                                           "method it calls depends on the object's class",
                                     super_hint(self.info, f.attr, node))
                # Base.__init__(self, a): the same class for every subclass there is
                first = self.info.node.args.args[0].id
                args, attrs = self.call_args(node)
                return self.emit_call(node, "call", [method, self.expr(gast.Name(
                    id=first, ctx=gast.Load(), annotation=None, type_comment=None))] + args,
                    hint or f.attr, hint is not None, **shift_attrs(attrs, 2))
            base = self.expr(f.value)
            folded = fold_attribute(base, f.attr) if isinstance(base, Global) and \
                base.obj is not MISSING else None
            if folded is None and isinstance(base, Global) and base.obj is not MISSING:
                folded = fold_member(base, f.attr, self.info.bindings)
            if folded is None and _unbound_method(base, f.attr) and node.args and \
                    not isinstance(node.args[0], gast.Starred):
                # list.append(xs, v) is xs.append(v): a method of its first argument
                args, attrs = self.call_args(node, reads_once=True)
                return self.emit_call(node, "callmethod", args, hint or
                                      member_hint(args[0], f.attr), hint is not None,
                                      method=f.attr, **attrs)
            if folded is None and f.attr == "setdefault" and 1 <= len(node.args) <= 2 and \
                    not node.keywords and not any(isinstance(a, gast.Starred)
                                                  for a in node.args):
                return self.setdefault(node, base)
            if folded is None:
                entries = self.nested.method(node, base, f.attr)  # a dict of functions
                if entries is not None:
                    return entries
                args, attrs = self.call_args(node, reads_once=True)
                h = hint or member_hint(base, f.attr)
                return self.emit_call(node, "callmethod", [base] + args, h, hint is not None,
                                      method=f.attr, **shift_attrs(attrs, 1))
            func = folded
        else:
            func = self.expr(f)
            if isinstance(func, Global) and func.obj is not MISSING and \
                    not isinstance(func.obj, type) and lookup(func.obj) is None and \
                    see_through(func.obj) is func.obj:
                # model(x), model a global instance: its class's __call__ (a
                # jitted function's dispatcher is its py_func: frontend/source.py)
                func = fold_member(func, "__call__", self.info.bindings) or func
        check = False
        if is_einsum(func):  # the sublist form: subscripts as a string
            node, check = einsum_as_string(self, node)
        args, attrs = self.call_args(node, reads_once=_library(func))
        if check:
            args = checked_subscripts(self, args)
        done = self.nested.call(node, func, args, attrs, hint)  # functions as values
        if done is not NOT_HANDLED:
            return done
        if attrs.get("star") and not attrs.get("dstar") and not attrs.get("kw"):
            args, attrs = self.spread_for(func, args, attrs)
        if isinstance(func, Global) and not attrs.get("star") and not attrs.get("dstar"):
            if func.obj is operator.getitem and len(args) == 2 and not attrs.get("kw"):
                # operator.getitem(a, i) is a[i]
                h = subscript_hint(args[0], args[1:], ("val", 0)) if hint is None else hint
                return self.emit("getitem", args, h, user=hint is not None,
                                 index=shift_index(("val", 0), 1)).result
            if func.obj is dict and args and len(attrs.get("kw", ())) == len(args):
                # dict(a=x, b=y) is {"a": x, "b": y}
                items = [v for k, a in zip(attrs["kw"], args) for v in (Const(k), a)]
                return self.emit("build", items, hint or "d", user=hint is not None,
                                 type="dict").result
        h = call_hint(func, args, attrs) if hint is None else hint
        return self.emit_call(node, "call", [func] + args, h, hint is not None,
                              **shift_attrs(attrs, 1))

    def spread_for(self, func, args, attrs):
        """``h(a, *t)`` of a function of the user's whose parameters after ``a``
        are ordinary ones without defaults: ``t`` unpacked into that many values
        (a tuple of another length is an error either way), given one by one."""
        star = attrs["star"]
        target = func.obj if isinstance(func, Global) else None
        if star != (len(args) - 1,) or not isinstance(target, types.FunctionType) or \
                _library(func):
            return args, attrs
        params = list(inspect.signature(target).parameters.values())
        rest = params[len(args) - 1:]
        if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) or
               p.default is not p.empty for p in params) or not rest:
            return args, attrs
        parts = self.emit("unpack", [args[-1]], getattr(args[-1], "hint", "t"),
                          nresults=len(rest), star=None).results
        for part, p in zip(parts, rest):
            part.hint = p.name
        return args[:-1] + parts, {}

    def emit_call(self, node, kind, args, hint, user, **attrs):
        """A call op at the call's own location (frontend/locations.py)."""
        outer = self.loc
        callee = args[0] if kind == "call" else None
        self.loc = call_loc(self, node, callee, len(args) - 1, attrs,
                            getattr(self.nested, "through", None))
        try:
            return self.emit(kind, args, hint, user=user, **attrs).result
        finally:
            self.loc = outer

    def index(self, node):
        """Lower a subscript's index; returns (operands, template)."""
        args = []
        template = self._index_template(node, args)
        return args, template

    def _index_template(self, n, args):
        # a method, not a recursive closure: that would be a reference cycle,
        # garbage only the cyclic collector frees
        if isinstance(n, gast.Slice):
            parts = []
            for p in (n.lower, n.upper, n.step):
                if p is None:
                    parts.append(None)
                else:
                    args.append(self.expr(p))
                    parts.append(len(args) - 1)
            return ("slice",) + tuple(parts)
        if isinstance(n, gast.Tuple) and any(isinstance(e, gast.Slice) for e in n.elts):
            return ("tuple", tuple(self._index_template(e, args) for e in n.elts))
        if isinstance(n, gast.Tuple) and not any(isinstance(e, gast.Starred) for e in n.elts):
            return ("tuple", tuple(self._index_template(e, args) for e in n.elts))
        args.append(self.expr(n))
        return ("val", len(args) - 1)

    def expr_Subscript(self, node, hint):
        base = self.expr(node.value)
        if is_index_trick(base):  # np.r_[...], np.c_[...]
            return lower_index_trick(self, node, base, hint)
        idx_args, template = self.index(node.slice)
        entry = self.nested.subscript(node, base, idx_args, template)  # fns[0]
        if entry is not None:
            return entry
        h = subscript_hint(base, idx_args, template) if hint is None else hint
        return self.emit("getitem", [base] + idx_args, h, user=hint is not None,
                         index=shift_index(template, 1)).result

    def build(self, node, kind, hint):
        items, star = [], []
        for e in node.elts:
            if isinstance(e, gast.Starred):
                star.append(len(items))
                items.append(self.expr(e.value))
            else:
                items.append(self.expr(e))
        attrs = {"type": kind}
        if star:
            attrs["star"] = tuple(star)
        elif kind != "set":
            entries = self.nested.container(kind, items)  # [np.sin, lambda t: t * t]
            if entries is not None:
                return entries
        return self.emit("build", items, hint or kind, user=hint is not None, **attrs).result

    def expr_Tuple(self, node, hint):
        return self.build(node, "tuple", hint)

    def expr_List(self, node, hint):
        return self.build(node, "list", hint)

    def expr_Set(self, node, hint):
        return self.build(node, "set", hint)

    def expr_Dict(self, node, hint):
        items = []
        dstar = []
        for k, v in zip(node.keys, node.values):
            if k is None:
                dstar.append(len(items))
                items.append(self.expr(v))
            else:
                items.append(self.expr(k))
                items.append(self.expr(v))
        attrs = {"type": "dict"}
        if dstar:
            attrs["dstar"] = tuple(dstar)
        elif all(isinstance(k, Const) for k in items[::2]):
            entries = self.nested.container("dict", items[1::2], items[::2])
            if entries is not None:  # {"act": np.tanh}
                return entries
        return self.emit("build", items, hint or "d", user=hint is not None, **attrs).result

    def expr_JoinedStr(self, node, hint):
        args = []

        def parts_of(values):
            """str | (position, conversion, spec) with spec None, a str, or
            the parts of a nested spec (``f"{x:{width}.3f}"``)."""
            parts = []
            for v in values:
                if isinstance(v, gast.Constant):
                    parts.append(str(v.value))
                elif isinstance(v, gast.FormattedValue):
                    args.append(self.expr(v.value))  # the value, then its spec
                    pos = len(args) - 1
                    spec = None
                    if v.format_spec is not None:
                        spec = parts_of(v.format_spec.values)
                        if all(isinstance(x, str) for x in spec):
                            spec = "".join(spec)
                    parts.append((pos, v.conversion, spec))
                else:
                    raise self.error(v, "unsupported f-string part",
                                     "format the value with str.format instead")
            return tuple(parts)

        parts = parts_of(node.values)
        return self.emit("fstring", args, hint or "text", user=hint is not None,
                         parts=parts).result

    # -- comprehensions become loops -----------------------------------------
    def comprehension(self, node, hint, kind):
        if any(getattr(gen, "is_async", 0) for gen in node.generators):
            raise self.error(node, "async comprehensions are not supported",
                             UNSUPPORTED["AsyncFor"])
        name = self.names.fresh(".comp", hint or ACCUMULATOR_HINTS[kind])
        self.locals.add(name)
        acc = self.emit("build", [], self.names.hints[name], user=hint is not None,
                        type=kind).result
        stmt = comprehension_loop(node, name, kind)
        # The first iterable is evaluated in the enclosing scope; the targets do
        # not leak out of the comprehension.
        targets = comprehension_targets(node)
        new_locals = targets - self.locals
        self.locals |= targets
        saved = {t: self.env.get(t) for t in targets}
        self.env[name] = acc
        loc = self.loc
        self.lower_stmt_nested(stmt)
        self.loc = loc
        result = self.env.pop(name)
        for t, v in saved.items():
            if v is None:
                self.env.pop(t, None)
            else:
                self.env[t] = v
        self.locals -= new_locals
        return result

    def setdefault(self, node, d):
        """``d.setdefault(k, v)``: ``if k not in d: d[k] = v``, then ``d[k]``, which
        is the dict's entry itself (a list appended to is the one in ``d``)."""
        operands = [d] + [self.expr(a) for a in node.args]
        if len(node.args) == 1:
            operands.append(Const(None))
        names = [self.names.fresh(".setdefault", hint) for hint in ("d", "k", "v")]
        for n, value in zip(names, operands):
            self.locals.add(n)
            self.env[n] = value
        loc = self.loc
        self.lower_stmt_nested(setdefault_statement(node, *names))
        self.loc = loc
        entry = gast.Subscript(value=gast.Name(id=names[0], ctx=gast.Load(), annotation=None,
                                               type_comment=None),
                               slice=gast.Name(id=names[1], ctx=gast.Load(), annotation=None,
                                               type_comment=None), ctx=gast.Load())
        gast.copy_location(entry, node)
        for n in gast.walk(entry):
            gast.copy_location(n, node)
        result = self.expr(entry)
        for n in names:
            self.env.pop(n, None)
        self.locals -= set(names)
        return result

    def expr_ListComp(self, node, hint):
        return self.comprehension(node, hint, "list")

    def expr_GeneratorExp(self, node, hint):
        # kept, or given to a function of the user's: an iterator over the items,
        # which a second read finds exhausted, as Python's generator is
        items = self.comprehension(node, None, "list")
        return self.emit("call", [Global("iter", iter), items], hint or "items",
                         user=hint is not None, generator=True).result

    def expr_SetComp(self, node, hint):
        return self.comprehension(node, hint, "set")

    def expr_DictComp(self, node, hint):
        return self.comprehension(node, hint, "dict")

    def expr_Starred(self, node, hint):
        raise self.error(node, "a starred expression is only supported inside a call, "
                               "a list, a tuple or a set",
                         "build the sequence first (tuple(xs)) and use it")


_CONTAINER_TYPES = (list, dict, set, tuple, str, np.ndarray)


def _unbound_method(base, attr) -> bool:
    """``list.append``, ``dict.__setitem__``, ``np.ndarray.fill``: an instance
    method of a builtin container type, looked up on the type."""
    if not (isinstance(base, Global) and any(base.obj is t for t in _CONTAINER_TYPES)):
        return False
    return isinstance(inspect.getattr_static(base.obj, attr, None),
                      (types.MethodDescriptorType, types.WrapperDescriptorType))


_LIBRARY_MODULES = ("numpy", "math", "cmath", "builtins", "functools", "itertools",
                    "operator", "statistics", "scipy")


def _library(func) -> bool:
    """A callee that is not the user's: it reads a generator it is given once."""
    if not isinstance(func, Global) or func.obj is MISSING:
        return False
    obj = func.obj
    return lookup(obj) is not None if not isinstance(obj, (types.BuiltinFunctionType, type)) \
        and not (getattr(obj, "__module__", None) or "").startswith(_LIBRARY_MODULES) else True


def shift_attrs(attrs, k):
    out = dict(attrs)
    for key in ("star", "dstar"):
        if key in out:
            out[key] = tuple(p + k for p in out[key])
    return out


def resolve_is_super(low, call):
    """Whether ``call`` is ``super()`` or ``super(C, self)`` (the builtin)."""
    return not call.keywords and "super" not in low.env and \
        low.info.globals.get("super", builtins.super) is builtins.super


def super_method(info, attr):
    """The function ``super().attr`` of the method being lowered calls, when it
    is the same whatever the object's class: the next class after the method's
    own in the order of every class that has it (the method's class and each of
    its subclasses, single inheritance or not) defines ``attr`` as a plain
    function.  None otherwise."""
    cls = info.closure.get("__class__")
    if not isinstance(cls, type) or not info.node.args.args:
        return None
    after = cls.__mro__[1:]
    todo, seen = [cls], set()
    while todo:
        c = todo.pop()
        if c in seen:
            continue
        seen.add(c)
        mro = c.__mro__
        if mro[mro.index(cls) + 1:] != after:
            return None
        todo.extend(c.__subclasses__())
    owner = next((k for k in after if attr in vars(k)), None)
    f = vars(owner).get(attr) if owner is not None else None
    if not isinstance(f, types.FunctionType):
        return None
    info.bindings.append((vars(owner), attr, f))  # redefined: compiled again
    return Global(f"{owner.__name__}.{attr}", f)


def super_hint(info, attr, node):
    """Say the base class's method by name: ``Model.f(self, x)``."""
    cls = info.closure.get("__class__")
    owner = next((k for k in getattr(cls, "__mro__", ())[1:] if attr in vars(k)), None)
    name = owner.__name__ if owner is not None else "Base"
    args = info.node.args.args
    self_name = args[0].id if args else "self"
    rest = ", ".join(gast.unparse(a) for a in node.args)
    return (f"call the base class's method by name: {name}.{attr}({self_name}"
            f"{', ' + rest if rest else ''})")
