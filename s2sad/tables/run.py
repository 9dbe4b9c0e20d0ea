"""One traced call: the function's IR and arguments checked, its inputs and
outputs numbered, and the rows of its evaluation trace with their derivatives.

:func:`s2sad.trace` prints these rows as tables, :func:`s2sad.graph` draws them.
"""
from __future__ import annotations

import re
import types
from typing import Any, Dict, List

import numpy as np

from ..compiler import normalize_argnums
from ..errors import S2sadError
from ..ir.kinds import differentiable_kind, kind_of_object
from ..ir.nodes import Block, Const, For, Function, Prim, Value, While
from .adjoints import reverse_sweep
from .expr import Lit, Sym, render
from .formatting import format_value
from .interpreter import Interpreter, ir_of
from .nodes import Node, operand_expr
from .table import Row
from .values import ones_like, zeros_like

__all__ = ["prepare", "Run"]


def _promote(x):
    if isinstance(x, (bool, np.bool_)):
        return x
    if isinstance(x, (int, np.integer)):
        return float(x)
    if isinstance(x, np.ndarray) and (np.issubdtype(x.dtype, np.integer)):
        return x.astype(float)
    return x


def _as_tangent(t, like):
    if t is None:
        return None
    if isinstance(like, np.ndarray):
        return np.broadcast_to(np.asarray(t, dtype=float), like.shape).copy()
    if isinstance(t, (list, tuple)) or isinstance(t, np.ndarray):
        return t
    return float(t) if not isinstance(t, complex) else t


def prepare(f, args, argnums):
    """The IR, the argument values (integers to differentiate made floats) and
    the positions differentiated."""
    if isinstance(f, types.MethodType):
        raise S2sadError("s2sad.trace of a bound method: pass the function and the object "
                         "(trace(Class.method, obj, ...))")
    fn, name = ir_of(f)
    params = fn.params
    if any(p.kind != "positional" for p in params):
        raise S2sadError(f"s2sad.trace: {name} has *args, **kwargs or keyword-only "
                         "parameters; trace a function of positional parameters")
    args = list(args)
    if len(args) > len(params):
        raise S2sadError(f"s2sad.trace: {name} takes {len(params)} arguments, "
                         f"{len(args)} given")
    for p in params[len(args):]:
        if p.default is None:
            raise S2sadError(f"s2sad.trace: missing argument {p.value.hint!r} of {name}")
        args.append(p.default.value if isinstance(p.default, Const) else
                    getattr(p.default, "obj", None))
    n = len(args)

    def diff(x):
        k = kind_of_object(x)
        return k in ("float", "array", "complex") or (differentiable_kind(k) and
                                                      isinstance(x, (list, tuple, dict)))

    if argnums is None:
        nums = [i for i, a in enumerate(args) if diff(a)]
        if not nums:  # trace(f, 2, 5): the seeds' integers stand for reals
            nums = [i for i, a in enumerate(args)
                    if isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_))]
        single = False
    else:
        single, nums = normalize_argnums(argnums, n)
        nums = list(nums)
    for i in nums:
        args[i] = _promote(args[i])
        if not diff(args[i]):
            raise S2sadError(f"s2sad.trace: argument {i} ({params[i].value.hint}) is "
                             f"{type(args[i]).__name__} {args[i]!r}, which is not "
                             "differentiable; leave it out of argnums")
    return fn, name, args, nums, single


class Run:
    """One interpretation of a function, with its inputs and outputs numbered."""

    def __init__(self, fn: Function, args, nums, mode):
        self.fn = fn
        self.args = args
        self.nums = nums
        self.mode = mode
        self.interp = Interpreter(mode)
        self.param_names = [p.value.hint for p in fn.params]
        n = len(args)
        self.inputs: List[Node] = []
        for i, (p, a) in enumerate(zip(fn.params, args)):
            node = Node(i - (n - 1), "input", None, [], a, Sym(name=p.value.hint), ())
            node.param = p.value.hint
            node.active = mode is not None and i in nums
            self.inputs.append(node)
        self.seeds_text = ""
        self.outputs = []
        self.tuple_out = False
        self.grads = None
        self.adjoints: Dict[int, Any] = {}  # id(node) -> adjoint, after the reverse sweep

    def seed_tangents(self, tangents):
        active = [self.inputs[i] for i in self.nums]
        if tangents is None:
            ts = [(ones_like(x.value) if k == 0 else zeros_like(x.value))
                  for k, x in enumerate(active)]
        else:
            if not isinstance(tangents, (list, tuple)):
                tangents = (tangents,)
            tangents = list(tangents)
            if len(tangents) == len(self.inputs) and len(tangents) != len(active):
                tangents = [tangents[i] for i in self.nums]
            if len(tangents) != len(active):
                raise S2sadError(f"s2sad.trace: {len(tangents)} tangents for {len(active)} "
                                 "differentiated inputs")
            ts = [_as_tangent(t, x.value) if t is not None else zeros_like(x.value)
                  for t, x in zip(tangents, active)]
        for x, t in zip(active, ts):
            x.dot = t
            x.dot_expr = Sym(name=x.param, mark="dot")
        if active:
            shown = ", ".join(format_value(t) for t in ts)
            names = ", ".join(x.param for x in active)
            self.seeds_text = f", tangent ({names}) = ({shown})" if len(active) > 1 else \
                f", tangent {names} = {shown}"

    def execute(self):
        fn = self.fn
        ret = fn.body.yields[0]
        build = None
        for op in fn.body.ops:
            if isinstance(op, Prim) and op.kind == "build" and op.attrs["type"] == "tuple" and \
                    not op.attrs.get("star") and op.results and op.results[0] is ret:
                build = op
        if build is not None and _uses(fn.body, ret) == 0:
            self.interp.skip = build
        env = {}
        out = self.interp.run(fn, self.inputs, env)
        if build is not None and self.interp.skip is build:
            # the returned tuple is not a row: its items are the outputs y1, y2...
            self.outputs = [self.interp.ref(env, a) for a in build.args]
            self.tuple_out = True
        else:
            self.outputs = [out]
        vals = [r.value for r in self.outputs]
        self.value = tuple(vals) if self.tuple_out else vals[0]

    # -- results ------------------------------------------------------------
    def output_names(self):
        base = "y"
        if any(re.fullmatch(r"y[0-9]*", p) for p in self.param_names):
            base = "out"  # a parameter is named y
        if not self.tuple_out:
            return [base]
        return [f"{base}{i + 1}" for i in range(len(self.outputs))]

    def derivative(self, single):
        if self.mode == "forward":
            ts = [r.dot if isinstance(r, Node) and r.active else zeros_like(r.value)
                  for r in self.outputs]
            return tuple(ts) if self.tuple_out else ts[0]
        gs = self.grads
        return gs[0] if single else tuple(gs)

    def rows(self, max_rows, cotangents):
        """The rows (inputs, primitives, outputs; in reverse mode then the adjoint
        trace), how many ``max_rows`` cut, and the rows each cut follows."""
        rows: List[Row] = []
        cut_after: Dict[int, int] = {}
        cut_total = 0
        fwd = self.mode == "forward"

        def ctx(node):
            return " › ".join(node.context)

        # inputs
        for x in self.inputs:
            r = Row("input", x.index, render(x.sym), x.param, x.value, context="",
                    exprs={"name": x.sym, "definition": Sym(name=x.param)})
            if fwd and x.active:
                self._set_dot(r, Sym(x.index, "dot"), x.dot_expr, x.dot)
            rows.append(r)
        # primitives
        shown = self.interp.nodes if max_rows is None else self.interp.nodes[:max_rows]
        for node in shown:
            r = Row("primal", node.index, render(node.sym), render(node.expr), node.value,
                    context=ctx(node), exprs={"name": node.sym, "definition": node.expr})
            if fwd and node.active:
                self._set_dot(r, Sym(node.index, "dot"), node.dot_expr, node.dot)
                if node.chain is not None:
                    r.chain = render(node.chain)
                    r.exprs["chain"] = node.chain
            rows.append(r)
        left = len(self.interp.nodes) - len(shown)
        if left > 0:
            cut_total += left
            cut_after[id(rows[-1])] = left
        # outputs
        for name, ref in zip(self.output_names(), self.outputs):
            e = operand_expr(ref)
            r = Row("output", None, name, render(e), ref.value,
                    exprs={"name": Sym(name=name), "definition": e})
            if fwd:
                if isinstance(ref, Node) and ref.active:
                    self._set_dot(r, Sym(name=name, mark="dot"), Sym(ref.index, "dot"), ref.dot)
                else:
                    self._set_dot(r, Sym(name=name, mark="dot"), Lit(0), zeros_like(ref.value))
            rows.append(r)
        if self.mode == "reverse":
            extra, n_cut, marks = self.reverse_rows(max_rows, cotangents)
            rows += extra
            cut_total += n_cut
            cut_after.update(marks)
        return rows, cut_total, cut_after

    @staticmethod
    def _set_dot(row, name_expr, rule, value):
        row.derivative_name = render(name_expr)
        row.derivative = render(rule)
        row.derivative_value = value
        row.exprs["derivative_name"] = name_expr
        row.exprs["derivative"] = rule

    def reverse_rows(self, max_rows, cotangents):
        """The adjoint trace, from ``cotangents`` (default: 1 for the first output)."""
        outs = self.outputs
        names = self.output_names()
        if cotangents is None:
            cts = [ones_like(r.value) if i == 0 else zeros_like(r.value)
                   for i, r in enumerate(outs)]
        else:
            if not self.tuple_out:
                cotangents = [cotangents]
            cotangents = list(cotangents)
            if len(cotangents) != len(outs):
                raise S2sadError(f"s2sad.trace: {len(cotangents)} cotangents for "
                                 f"{len(outs)} outputs")
            cts = [_as_tangent(c, r.value) if c is not None else zeros_like(r.value)
                   for c, r in zip(cotangents, outs)]
        shown = ", ".join(f"{render(Sym(name=n, mark='bar'))} = {format_value(c)}"
                          for n, c in zip(names, cts))
        self.seeds_text = f", {shown}"
        sweep = reverse_sweep(self.interp.nodes, list(zip(names, outs, cts)),
                              [self.inputs[i] for i in self.nums], max_rows)
        self.adjoints = sweep.adjoints
        self.grads = sweep.gradients
        return sweep.rows, sweep.cut, sweep.cut_after


def _uses(block: Block, v: Value) -> int:
    """How often ``v`` is read in ``block`` (not counting the block's yields)."""
    n = 0
    for op in block.walk():
        n += sum(1 for a in op.operands() if a is v)
        for b in op.blocks():
            n += sum(1 for a in b.yields if a is v)
        if isinstance(op, (For, While)) and op.brk is v:
            n += 1
    return n
