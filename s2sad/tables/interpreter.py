"""Running a function's SSA IR on values, one numbered row per primitive.

The trace interprets the same IR the derivative transforms work on, so its
rows are the operations the derivative code differentiates: loops unrolled,
only the branches taken, the user's own functions inlined where called.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from ..ad.calls import positional_operands, user_function
from ..ad.transform import primitive_key
from ..compiler import lowered
from ..errors import S2sadError
from ..frontend.source import FileFunction
from ..ir.interpret import evaluate_prim, index_value
from ..ir.nodes import MISSING, UNDEF, Block, Const, For, Function, Global, If, Prim, Value, While
from ..rules import registry
from .expr import E, Call, Index, Lit, Name, Slice, render
from .nodes import Known, Node, operand_expr, trace_error, unsupported
from .symbolic import symbolic_prim
from .tangents import forward_tangent
from .values import carries_derivative

__all__ = ["Interpreter", "ir_of"]


def _loc_text(loc) -> str:
    return (loc.text or "").strip().rstrip(":").strip() if loc is not None else ""


class Interpreter:
    """Runs a function's SSA IR on values, numbering every primitive's result."""

    def __init__(self, mode: Optional[str]):
        self.mode = mode  # None (values only), "forward" or "reverse"
        self.nodes: List[Node] = []
        self.next_index = 1
        self.context: List[str] = []
        self.skip = None
        self.defs: Dict[Value, Prim] = {}

    # -- operands -------------------------------------------------------------
    def ref(self, env, a):
        if isinstance(a, Value):
            try:
                return env[a]
            except KeyError:
                raise S2sadError(f"the trace interpreter reached {a.hint!r} before its "
                                 "definition")
        if isinstance(a, Const):
            return Known(a.value, Lit(a.value))
        if isinstance(a, Global):
            if a.obj is MISSING:  # as running the function would say
                raise NameError(f"name {a.name.split('.')[0]!r} is not defined")
            return Known(a.obj, Name(a.name))
        if a is UNDEF:
            return Known(None, Name("undefined"))
        raise TypeError(f"not an operand: {a!r}")

    def add_node(self, kind, op, refs, value, expr, extra=None) -> Node:
        node = Node(self.next_index, kind, op, refs, value, expr, tuple(self.context))
        node.extra = extra
        self.next_index += 1
        self.nodes.append(node)
        if self.mode is not None:
            self.classify(node)
            if node.active and self.mode == "forward":
                forward_tangent(node)
        return node

    # -- running ----------------------------------------------------------------
    def run(self, fn: Function, arg_refs, env=None) -> Any:
        env = {} if env is None else env
        for p, r in zip(fn.params, arg_refs):
            env[p.value] = r
        self._collect_defs(fn.body)
        self.block(fn.body, env)
        ret = fn.body.yields[0]
        if self.skip is not None and self.skip.results and ret is self.skip.results[0]:
            return None
        return self.ref(env, ret)

    def _collect_defs(self, block):
        for op in block.ops:
            if isinstance(op, Prim):
                for r in op.results:
                    self.defs[r] = op
            for b in op.blocks():
                self._collect_defs(b)

    def block(self, block: Block, env):
        for op in block.ops:
            if isinstance(op, Prim):
                try:
                    self.prim(op, env)
                except S2sadError:
                    raise
                except Exception as exc:  # the user's code failed here (innermost call first)
                    if getattr(exc, "s2sad_loc", None) is None:
                        exc.s2sad_loc = op.loc
                    raise
            elif isinstance(op, If):
                self.if_op(op, env)
            elif isinstance(op, For):
                self.for_op(op, env)
            elif isinstance(op, While):
                self.while_op(op, env)
            else:  # pragma: no cover
                raise S2sadError(f"the trace interpreter does not know {type(op).__name__}")

    def if_op(self, op: If, env):
        cond = self.ref(env, op.cond)
        taken = bool(cond.value)
        branch = op.then if taken else op.orelse
        cond_op = self.defs.get(op.cond) if isinstance(op.cond, Value) else None
        loc = cond_op.loc if cond_op is not None and cond_op.loc is not None else op.loc
        text = _loc_text(loc)
        if text.startswith(("if ", "elif ", "while ")):
            label = f"{text} → {'true' if taken else 'false'}"
        else:
            label = f"{text or 'a conditional'} → {'then' if taken else 'else'}"
        self.context.append(label)
        try:
            self.block(branch, env)
        finally:
            self.context.pop()
        for r, y in zip(op.results, branch.yields):
            env[r] = self.ref(env, y)

    def for_op(self, op: For, env):
        it = self.ref(env, op.iter)
        args = [self.ref(env, a) for a in op.inits]
        text = _loc_text(op.loc) or "for"
        iterable = it.value
        indexable = isinstance(iterable, (list, tuple, np.ndarray, range))
        for k, item in enumerate(iterable):
            self.context.append(f"{text} · iteration {k + 1}")
            try:
                for v, r in zip(op.args, args):
                    env[v] = r
                expr = Index(operand_expr(it), Lit(k)) if indexable else \
                    Call("next", [operand_expr(it)])
                node = self.add_node("item", op, [it], item, expr, extra=k)
                env[op.item] = node
                self.block(op.body, env)
                args = [self.ref(env, y) for y in op.body.yields]
                stop = op.brk is not None and bool(self.ref(env, op.brk).value)
            finally:
                self.context.pop()
            if stop:
                break
        _leave_loop(op, args, env)

    def while_op(self, op: While, env):
        args = [self.ref(env, a) for a in op.inits]
        text = _loc_text(op.loc) or "while"
        k = 0
        while True:
            k += 1
            self.context.append(f"{text} · iteration {k}")
            try:
                for v, r in zip(op.args, args):
                    env[v] = r
                self.block(op.cond, env)
                go = bool(self.ref(env, op.cond.yields[0]).value)
                if go:
                    self.block(op.body, env)
                    args = [self.ref(env, y) for y in op.body.yields]
                    stop = op.brk is not None and bool(self.ref(env, op.brk).value)
            finally:
                self.context.pop()
            if not go or stop:
                break
        _leave_loop(op, args, env)

    def prim(self, op: Prim, env):
        if op is self.skip:
            return
        refs = [self.ref(env, a) for a in op.args]
        if op.kind == "copy":
            env[op.results[0]] = refs[0]
            return
        if op.kind in ("call", "callmethod") and self.inline(op, refs, env):
            return
        vals = [r.value for r in refs]
        value = evaluate_prim(op, vals)
        exprs = [operand_expr(r) for r in refs]
        if op.kind == "unpack":
            star = op.attrs.get("star")
            n = len(op.results)
            for i, r in enumerate(op.results):
                if star is not None and i == star:
                    after = n - star - 1
                    idx = Slice(Lit(star), Lit(-after) if after else None)
                else:
                    pos = i if star is None or i < star else i - n
                    idx = Lit(pos)
                node = self.add_node("unpack", op, refs, value[i], Index(exprs[0], idx),
                                     extra=i)
                env[r] = node
            return
        if not op.results:
            return
        extra = index_value(op.attrs["index"], vals) if op.kind in ("getitem", "setitem") \
            else None
        node = self.add_node("prim", op, refs, value, symbolic_prim(op, exprs), extra=extra)
        env[op.results[0]] = node

    def inline(self, op: Prim, refs, env) -> bool:
        """A call to one of the user's functions: its primitives join the trace
        (as the derivative transforms differentiate through it)."""
        if op.kind != "call":
            return False
        f = user_function(op)
        if f is None or hasattr(f, "__s2sad_specialize__") or registry.lookup(f) is not None:
            return False
        found = positional_operands(f, op)
        if found is None:
            return False
        target, operands = found
        try:
            fn = ir_of(target)[0]
        except S2sadError:
            if any(isinstance(r, Node) and r.active for r in refs):
                raise
            return False
        by_id = {id(a): r for a, r in zip(op.args, refs)}
        args = [by_id.get(id(a)) or self.ref(env, a) for a in operands]
        line = f" (line {op.loc.lineno})" if op.loc is not None else ""
        self.context.append(f"in {getattr(target, '__name__', 'f')}(){line}")
        try:
            saved = self.defs
            self.defs = {}
            result = self.run(fn, args)
        finally:
            self.defs = saved
            self.context.pop()
        env[op.results[0]] = result
        return True

    # -- which rule -------------------------------------------------------------
    def classify(self, node: Node):
        """Decide whether ``node`` carries a derivative, and by which rule:
        ``node.how`` is ("struct", what) or ("rule", rule)."""
        if not any(isinstance(r, Node) and r.active for r in node.refs):
            return
        op = node.op
        if node.kind == "item":
            if carries_derivative(node.value):
                node.how = ("struct", "item")
                node.active = True
            return
        if node.kind == "unpack":
            if carries_derivative(node.value):
                node.how = ("struct", "unpack")
                node.active = True
            return
        k = op.kind
        struct = None
        if k == "getitem":
            struct = "getitem"
        elif k == "build":
            if op.attrs.get("star") or op.attrs.get("dstar"):
                unsupported(node, "a starred item in a container display")
            struct = "build"
        elif k == "getattr":
            if op.attrs["attr"] in ("T", "real", "imag"):
                struct = "attr"
            elif carries_derivative(node.value):
                unsupported(node, f"the attribute read '.{op.attrs['attr']}'")
        elif k == "binop" and op.attrs["op"] in ("or", "and"):
            struct = "choose"
        elif k == "setitem":
            struct = "setitem"
        elif k == "callmethod" and op.attrs.get("mutates") and op.attrs["method"] == "append":
            struct = "append"
        elif k == "call" and isinstance(op.args[0], Global) and \
                op.args[0].obj in (zip, enumerate, reversed):
            struct = op.args[0].obj.__name__
        elif k == "compare":
            return
        if struct is not None:
            if carries_derivative(node.value) or struct in ("zip", "enumerate", "reversed"):
                node.how = ("struct", struct)
                node.active = True
            return
        if k in ("augsetitem", "setattr", "augsetattr") or \
                (k == "callmethod" and op.attrs.get("mutates")):
            unsupported(node, "this change of a container in place")
        key, first = primitive_key(op)
        rule = registry.lookup(key) if key is not None else None
        if rule is None:
            if carries_derivative(node.value):
                raise trace_error(node, "no derivative rule for "
                                 f"{render(_callee(node))}",
                                 "register one with s2sad.defpartials / s2sad.defjvp / "
                                 "s2sad.defvjp")
            return
        if rule.nondiff or not carries_derivative(node.value):
            return
        if self.mode == "forward" and rule.partials is None and rule.jvp is None and \
                rule.linear is None:
            raise trace_error(node, f"{rule.name} has no forward rule")
        if self.mode == "reverse" and rule.partials is None and rule.vjp is None:
            raise trace_error(node, f"{rule.name} has no reverse rule")
        node.how = ("rule", rule, first)
        node.active = True


def _callee(node) -> E:
    op = node.op
    if op.kind == "call":
        return operand_expr(node.refs[0])
    if op.kind == "callmethod":
        return Name("." + op.attrs["method"] + "()")
    if op.kind in ("binop", "unary"):
        return Name(f"the operator {op.attrs['op']}")
    return Name(op.kind)


def ir_of(f):
    """``(verified SSA IR, name)`` of a function or of a function read from a file."""
    fn = lowered(f)
    return fn, (f.name if isinstance(f, FileFunction) else fn.name)


def _leave_loop(op, args, env):
    """After a loop, its carried values and its results are the last iteration's."""
    for v, r in zip(op.args, args):
        env[v] = r
    for r, a in zip(op.results, args):
        env[r] = a
