"""Building IR inside the derivative transforms.

:class:`Builder` appends ops to a current block and simplifies as it goes, so
derivative code never holds ``x * 1.0``, ``0 + t`` or a product with a zero
tangent.  A :class:`Zero` stands for a tangent or adjoint known to be zero; it
vanishes through linear operations and is only turned into a real zero
(:meth:`Builder.materialize`) where a value must exist.

Derivative rules are ordinary Python functions (see :mod:`s2sad.rules`); the
builder inlines them: the rule is lowered to IR by the same front end as user
code, and its ops are copied in with the rule's parameters replaced by the
operands at hand.
"""
from __future__ import annotations

import numbers
import operator
from typing import Dict, Optional

import numpy as np

from .. import runtime
from ..ir.nodes import Block, Const, Function, Global, If, Loc, Prim, Value
from ..rules.registry import linear_args


class Zero:
    """A tangent/adjoint that is zero; ``like`` is the primal it mirrors."""

    __slots__ = ("like",)

    def __init__(self, like=None):
        self.like = like

    def __repr__(self):
        return "Zero"


def is_zero(a) -> bool:
    return isinstance(a, Zero)


NP = Global("np", np)


def runtime_global(name):
    """A helper of :mod:`s2sad.runtime`, as generated code names it."""
    return Global(name, getattr(runtime, name))


def np_global(name):
    obj = np
    for part in name.split("."):
        obj = getattr(obj, part)
    return Global("np." + name, obj, np)


def _num(a):
    if not isinstance(a, Const):
        return None
    v = a.value
    # float and int first: numbers.Number, an ABC, is slower to ask
    if type(v) in (float, int) or isinstance(v, numbers.Number) and not isinstance(v, bool):
        return v
    return None


class Builder:
    def __init__(self, loc: Optional[Loc] = None):
        self.block = Block()
        self.loc = loc
        self.defs: Dict[Value, Prim] = {}
        # tangents and adjoints of program values: they keep their own line, so
        # simplifications do not look inside them
        self.frozen = set()
        self.maybe_unbound = set()  # values with no binding on some path
        self.kinds: Dict = {}
        self.primal_defs: Dict[Value, Prim] = {}  # the primal's ops, where built apart

    # -- blocks ---------------------------------------------------------------
    def push(self, block: Optional[Block] = None) -> Block:
        saved = self.block
        self.block = block if block is not None else Block()
        return saved

    def pop(self, saved: Block) -> Block:
        done = self.block
        self.block = saved
        return done

    def append(self, op):
        self.block.ops.append(op)
        if isinstance(op, Prim):
            for r in op.results:
                self.defs[r] = op
        return op

    # -- raw emission -----------------------------------------------------------
    def prim(self, kind, args, hint="t", user=False, nresults=1, loc=None, **attrs):
        results = [Value(hint, user) for _ in range(nresults)]
        op = Prim(kind, list(args), results, attrs, loc or self.loc)
        self.block.ops.append(op)
        for r in results:
            self.defs[r] = op
        return op

    def value(self, kind, args, hint="t", **attrs):
        return self.prim(kind, args, hint, **attrs).results[0]

    # -- simplifying constructors ---------------------------------------------
    def materialize(self, a, hint="zero"):
        """A real operand for ``a``: zeros shaped like its primal if it is Zero."""
        if not is_zero(a):
            return a
        like = a.like
        kind = self.kinds.get(like) if isinstance(like, Value) else None
        if like in self.maybe_unbound:  # e.g. an early return's value on the other path
            return Const(0.0)  # a zero that broadcasts, and reads no variable
        if like is None or kind in ("float", "int", "bool", "complex") or \
                (isinstance(like, Const) and isinstance(like.value, (int, float))):
            return Const(0.0)
        if isinstance(like, (Global, Const)):  # a constant: its zero as it is shaped
            obj = like.obj if isinstance(like, Global) else like.value
            if not isinstance(obj, np.ndarray):
                return Const(0.0)
            kind = "array"
        if kind in ("array", "carray"):
            return self.call(np_global("zeros_like"), [like], hint=hint)
        # unknown kind: 0.0, an array or a container of zeros
        return self.call(runtime_global("zeros_like_value"), [like], hint=hint)

    def add(self, a, b, hint="t"):
        if isinstance(a, Zero):
            return b
        if isinstance(b, Zero):
            return a
        if _num(a) == 0:
            return b
        if _num(b) == 0:
            return a
        if _num(a) is not None and _num(b) is not None:
            return Const(a.value + b.value)
        nb = self.negated(b)
        if nb is not None:
            return self.binop("-", a, nb, hint)
        na = self.negated(a)
        if na is not None:  # -u + v -> v - u (exact: addition commutes)
            return self.binop("-", b, na, hint)
        return self.binop("+", a, b, hint)

    def sub(self, a, b, hint="t"):
        if is_zero(b):
            return a
        if is_zero(a):
            return self.neg(b, hint)
        if _num(b) == 0:
            return a
        if _num(a) is not None and _num(b) is not None:
            return Const(a.value - b.value)
        nb = self.negated(b)
        if nb is not None:
            return self.binop("+", a, nb, hint)
        return self.binop("-", a, b, hint)

    def negated(self, a):
        """If ``a`` is ``-x`` return ``x``."""
        op = self.defs.get(a) if isinstance(a, Value) else None
        if op is not None and op.kind == "unary" and op.attrs["op"] == "-" and not a.user:
            return op.args[0]
        return None

    def neg(self, a, hint="t"):
        if is_zero(a):
            return a
        n = _num(a)
        if n is not None:
            return Const(-n)
        inner = self.negated(a)
        if inner is not None:
            return inner
        return self.value("unary", [a], hint, op="-")

    def mul(self, a, b, hint="t"):
        if isinstance(a, Zero):
            return a
        if isinstance(b, Zero):
            return b
        na, nb = _num(a), _num(b)
        if na == 1:
            return b
        if nb == 1:
            return a
        if na == -1:
            return self.neg(b, hint)
        if nb == -1:
            return self.neg(a, hint)
        if na is not None and nb is not None:
            return Const(na * nb)
        # (1 / d) * b  ->  b / d
        for x, y in ((a, b), (b, a)):
            op = self.defs.get(x) if isinstance(x, Value) else None
            if op is not None and op.kind == "binop" and op.attrs["op"] == "/" and \
                    _num(op.args[0]) == 1 and not x.user:
                return self.div(y, op.args[1], hint)
        # gather constant factors: (-u * 0.1) * (v * 2) -> u * v * -0.2
        ca, ra = self.split_constant(a)
        cb, rb = self.split_constant(b)
        if ca != 1 and cb != 1 and ra is not None and rb is not None and \
                not (abs(ca) == 1 and abs(cb) == 1):
            c = ca * cb
            core = self.binop("*", ra, rb, hint)
            return core if c == 1 else self.neg(core, hint) if c == -1 else \
                self.binop("*", core, Const(c), hint)
        # (-u) * v -> -(u * v), exactly (the sign of a product is its factors'),
        # so that the sum it ends in subtracts: x_bar -= u * v
        inner = self.negated(a)
        if inner is not None:
            return self._negated_product(self.mul(inner, b, hint), hint)
        inner = self.negated(b)
        if inner is not None:
            return self._negated_product(self.mul(a, inner, hint), hint)
        return self.binop("*", a, b, hint)

    def _negated_product(self, core, hint):
        """``-core`` for a product ``core``, marked so that the emitter writes
        it ``-u * v`` (the same number) when no sum takes the sign."""
        out = self.neg(core, hint)
        op = self.defs.get(out) if isinstance(out, Value) else None
        if op is not None and op.kind == "unary" and op.args[0] is core:
            op.attrs["product"] = True
        return out

    def split_constant(self, x):
        """``(c, r)`` with x = c * r for a number c, looking through temporaries."""
        op = self.defs.get(x) if isinstance(x, Value) and not x.user and \
            x not in self.frozen else None
        if op is None:
            return 1, x
        if op.kind == "unary" and op.attrs["op"] == "-":
            c, r = self.split_constant(op.args[0])
            return -c, r
        if op.kind == "binop" and op.attrs["op"] == "*" and not op.attrs.get("inplace"):
            for k in (0, 1):
                n = _num(op.args[k])
                if n is not None and not isinstance(n, complex):
                    c, r = self.split_constant(op.args[1 - k])
                    return n * c, r
        return 1, x

    def div(self, a, b, hint="t"):
        if is_zero(a):
            return a
        if _num(b) == 1:
            return a
        if _num(a) is not None and _num(b) not in (None, 0):
            return Const(a.value / b.value)
        inner = self.negated(a)
        if inner is not None:
            return self.neg(self.div(inner, b), hint)
        return self.binop("/", a, b, hint)

    def binop(self, op, a, b, hint="t"):
        if isinstance(a, Zero) or isinstance(b, Zero):
            if op == "+":
                return self.add(a, b, hint)
            if op == "-":
                return self.sub(a, b, hint)
            if op in ("*", "@") or (op == "/" and is_zero(a)):
                return a if is_zero(a) else b
            a, b = self.materialize(a), self.materialize(b)
        return self.value("binop", [a, b], hint, op=op)

    def call(self, func: Global, args, hint="t", kw=None):
        kw = kw or {}
        args = list(args)
        if func.obj is runtime.scaled_power and not kw and len(args) == 3 and \
                _num(args[0]) is not None and not any(isinstance(a, Zero) for a in args):
            return self.scaled_power(*args, hint)
        if any(isinstance(a, Zero) for a in args) or any(isinstance(v, Zero) for v in kw.values()):
            lin = linear_args(func.obj)
            zero_pos = [i for i, a in enumerate(args) if is_zero(a)]
            if lin is not None and zero_pos and all(i in lin for i in zero_pos):
                return args[zero_pos[0]]
            args = [self.materialize(a) for a in args]
            kw = {k: self.materialize(v) for k, v in kw.items()}
        ops = [func] + args + list(kw.values())
        attrs = {"kw": tuple(kw)} if kw else {}
        return self.value("call", ops, hint, **attrs)

    def scaled_power(self, c, x, p, hint="t"):
        """``scaled_power(c, x, p)`` for a number ``c`` (the partial of ``x ** 2``,
        ``x ** 0``): zero for ``c = 0``, else ``c * x ** p`` as it reads (``2 * x``)."""
        if c.value == 0:
            return Zero(x)
        return self.mul(c, x if _num(p) == 1 else self.binop("**", x, p, hint), hint)

    # -- inlining rule templates ----------------------------------------------
    def inline(self, template: Function, bindings: Dict[Value, object], loc=None,
               cotangents=False):
        """Copy ``template``'s body here with its parameters bound; returns the
        operand it returns, or a list of operands when it returns a tuple
        literal (whose entries may be :class:`Zero`).  For ``cotangents`` (a VJP
        rule) a lone value returned beside a tuple literal (``if b is None:
        return ga`` / ``return ga, None, gb``) is the first operand's cotangent,
        the others' zero."""
        env = dict(bindings)
        body = template.body
        ret = body.yields[0]
        last = body.ops[-1] if body.ops else None
        if isinstance(last, Prim) and last.kind == "build" and last.attrs["type"] == "tuple" \
                and last.results[0] is ret and not last.attrs.get("star"):
            self._inline_ops(body.ops[:-1], env, loc)
            return [self._operand(a, env) for a in last.args]
        saved, self._fresh = getattr(self, "_fresh", None), set()
        saved_ret, self._padded = getattr(self, "_padded", None), ret if cotangents else None
        try:
            out = self._inline_block(body, env, loc)[0]
            # a tuple literal returned from inside an if (``if base is None:
            # return 1 / x`` / ``return a, b``) is a list of operands as well
            parts = self._fresh_tuple(out)
            return parts if parts is not None else out
        finally:
            self._fresh = saved
            self._padded = saved_ret

    def _fresh_tuple(self, a):
        """The entries of ``a`` if a rule being inlined built it as a tuple literal."""
        op = self.defs.get(a) if isinstance(a, Value) else None
        if op is not None and a in (getattr(self, "_fresh", None) or ()) and \
                op.kind == "build" and op.attrs.get("type") == "tuple" and \
                not op.attrs.get("star"):
            return list(op.args)
        return None

    def _operand(self, a, env):
        if isinstance(a, Value):
            return env[a]
        return a

    def _inline_block(self, block: Block, env, loc):
        self._inline_ops(block.ops, env, loc)
        return [self._operand(y, env) for y in block.yields]

    def _inline_ops(self, ops, env, loc):
        for op in ops:
            if isinstance(op, Prim):
                args = [self._operand(a, env) for a in op.args]
                res = self.clone_prim(op, args, loc)
                for r, v in zip(op.results, res):
                    env[r] = v
            elif isinstance(op, If):
                cond = self._operand(op.cond, env)
                made = (self.defs.get(cond) or self.primal_defs.get(cond)) \
                    if isinstance(cond, Value) else None
                if made is not None and made.kind == "build" and not made.attrs.get("star") \
                        and made.attrs.get("type") in ("tuple", "list"):
                    cond = Const(bool(made.args))  # ``if rest:`` of a literal: its length is known
                if isinstance(cond, Const):
                    taken = op.then if cond.value else op.orelse
                    vals = self._inline_block(taken, env, loc)
                    for r, v in zip(op.results, vals):
                        env[r] = v
                    continue
                new = If(cond, Block(), Block(), [], loc or op.loc)
                branch_vals = []
                for src, dst in ((op.then, new.then), (op.orelse, new.orelse)):
                    saved = self.push(dst)
                    branch_vals.append(self._inline_block(src, dict(env), loc))
                    self.pop(saved)
                # tuple literals yielded by both branches leave the If entry by entry
                # (so that ``if a >= b: return ans_bar, 0.0`` gives one cotangent each)
                widths, split = [], []
                for i in range(len(op.results)):
                    parts = [self._fresh_tuple(vals[i]) for vals in branch_vals]
                    wide = {len(p) for p in parts if p is not None}
                    if op.results[i] is getattr(self, "_padded", None) and len(wide) == 1:
                        # the first operand's cotangent alone
                        parts = [p if p is not None else [vals[i]] + [Zero()] * (max(wide) - 1)
                                 for vals, p in zip(branch_vals, parts)]
                    same = all(p is not None for p in parts) and len({len(p) for p in parts}) == 1
                    widths.append(len(parts[0]) if same else None)
                    split.append(parts)
                for j, (vals, dst) in enumerate(zip(branch_vals, (new.then, new.orelse))):
                    saved = self.push(dst)
                    ys = []
                    for i, (v, w) in enumerate(zip(vals, widths)):
                        ys += [self.materialize(v)] if w is None else \
                            [self.materialize(x) for x in split[i][j]]
                    dst.yields = ys
                    self.pop(saved)
                self.append(new)
                for r, w in zip(op.results, widths):
                    if w is None:
                        v = Value("t")
                        new.results.append(v)
                        env[r] = v
                    else:
                        entries = [Value("t") for _ in range(w)]
                        new.results.extend(entries)
                        env[r] = self.clone_prim(
                            Prim("build", entries, [Value("t")], {"type": "tuple"}), entries)[0]
            else:
                raise NotImplementedError("loops inside derivative rules are not supported")

    def clone_prim(self, op: Prim, args, loc=None):
        """Re-create a primitive on new operands, simplifying where possible."""
        k = op.kind
        hint = "t"  # names inside a rule mean nothing at the call site
        if k == "binop" and not op.attrs.get("inplace"):
            o = op.attrs["op"]
            fn = {"+": self.add, "-": self.sub, "*": self.mul, "/": self.div}.get(o)
            if fn is not None:
                return [fn(args[0], args[1], hint)]
            if o == "**" and _num(args[1]) == 1:
                return [args[0]]
            if o in ("or", "and", "is", "is not") or not any(is_zero(a) for a in args):
                if o == "**" and all(_num(a) is not None for a in args):
                    return [Const(_num(args[0]) ** _num(args[1]))]
            return [self.binop(o, args[0], args[1], hint)]
        if k == "unary" and op.attrs["op"] == "-":
            return [self.neg(args[0], hint)]
        if k == "copy":
            return [args[0]]
        if k == "getitem" and is_zero(args[0]):
            return [Zero()]  # an entry of a zero tangent or adjoint (max(xs) of a constant)
        if k == "compare" and all(isinstance(a, Const) for a in args):
            try:
                fn = {"is": operator.is_, "is not": operator.is_not, "==": operator.eq,
                      "!=": operator.ne}.get(op.attrs["op"])
                if fn is not None:
                    return [Const(fn(args[0].value, args[1].value))]
            except Exception:
                pass
        if k == "compare" and op.attrs["op"] in ("is", "is not") and \
                any(isinstance(a, Const) and a.value is None for a in args):
            # ``base is None`` for an operand whose kind says it is a number or an array
            other = args[1] if isinstance(args[0], Const) and args[0].value is None else args[0]
            if isinstance(other, Value) and self.kinds.get(other) in (
                    "float", "int", "bool", "complex", "array", "intarray",
                    "tuple", "list", "dict"):
                return [Const(op.attrs["op"] == "is not")]
        if k == "call" and isinstance(args[0], Global):
            kwnames = op.attrs.get("kw", ())
            if not op.attrs.get("star") and not op.attrs.get("dstar"):
                npos = len(args) - 1 - len(kwnames)
                pos = args[1:1 + npos]
                kw = dict(zip(kwnames, args[1 + npos:]))
                return [self.call(args[0], pos, hint, kw)]
        args = [self.materialize(a) for a in args]
        new = Prim(k, args, [Value("t") for r in op.results], dict(op.attrs),
                   loc or self.loc or op.loc)
        self.append(new)
        if getattr(self, "_fresh", None) is not None:
            self._fresh.update(new.results)
        return new.results
