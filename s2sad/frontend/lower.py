"""Lower a ``gast`` function to three-address SSA with structured control flow.

The lowering keeps an environment from each local name to its current SSA
value.  Branches and loops are lowered with copies of the environment and then
merged: names that differ between paths become the results of the ``If`` (or
the carried values of a loop).

``break``, ``continue`` and ``return`` become flags held in pseudo-variables
(``.brk``, ``.cont``, ``.ret`` and the return value ``.retval``), which flow
through branches and loops like any other variable.  Statements that follow a
possible exit are nested under a test of those flags; when one branch of an
``if`` always exits, the statements after the ``if`` move into the other branch
instead, which is the shape a person would write.

Expressions are lowered by the :class:`~.expressions.ExpressionLowering` half of
the lowerer; naming of values, the comprehension rewrite and the inlining of
nested functions each have a module of their own.
"""
from __future__ import annotations

from typing import Dict, Optional

import gast

from ..errors import UnsupportedSyntaxError
from ..ir.analysis import is_pure
from ..ir.nodes import (Block, Const, For, Function, Global, If, Loc, Param, Prim,
                        UNDEF, Value, While, shift_index)
from ..rules.structure import MUTATING_METHODS
from .contexts import WithLowering
from .desugar import while_else_needs_flag, while_with_walrus
from .expressions import BINOPS, ExpressionLowering
from .inline import NestedFunctions
from .locations import library_function_error, library_module
from .naming import Names, return_hint, target_hint
from .source import SourceInfo, default_value
from .syntax import (UNSUPPORTED, always_exits, assigned_names,
                     contains_return, describe, exits, exits_loop, local_names,
                     target_names)


def _bound(value, env) -> bool:
    """Whether a variable holds ``value`` already (the names stay distinct
    values).  ``in`` compares by identity first, in C (a tenth of the time of
    a loop over the variables): a Value equals only itself, and the other
    operands' ``__eq__`` never say they equal a Value."""
    try:
        return value in env.values()
    except Exception:  # an entry whose == is not a truth value
        return any(value is v for v in env.values())


class Lowerer(ExpressionLowering):
    """Lowers one function; statements and control flow here, expressions in
    :class:`~.expressions.ExpressionLowering`."""

    def __init__(self, info: SourceInfo):
        self.info = info
        self.env: Dict[str, object] = {}
        self.block: Optional[Block] = None
        self.dead: Optional[str] = None  # None, "exit" (break/continue/return) or "raise"
        self.loc: Optional[Loc] = None
        self.names = Names()
        self.nested = NestedFunctions(self)
        self.withs = WithLowering(self)
        self.locals = set()

    # -- helpers -------------------------------------------------------------
    def error(self, node, message, hint=None, cls=UnsupportedSyntaxError):
        return self.info.error(cls, node, message, hint)

    def set_loc(self, node):
        lineno = getattr(node, "lineno", None)
        if lineno is None:
            return
        text = self.info.line_text(lineno)
        self.loc = Loc(self.info.filename, lineno + self.info.line_offset,
                       getattr(node, "col_offset", 0), (text or "").strip())

    def emit(self, kind, args, hint="t", user=False, nresults=1, **attrs) -> Prim:
        self.nested.check_operands(args)  # no function value reaches the IR
        results = [Value(hint, user) for _ in range(nresults)]
        op = Prim(kind, list(args), results, attrs, self.loc)
        self.block.ops.append(op)
        return op

    # -- entry ---------------------------------------------------------------
    def lower_function(self) -> Function:
        node = self.info.node
        if isinstance(node, gast.AsyncFunctionDef):
            raise self.error(node, "async functions are not supported",
                             UNSUPPORTED["AsyncFunctionDef"])
        self.locals = local_names(node)
        self.ret_hint = return_hint(self.locals)
        self.names.hints[".retval"] = self.ret_hint
        params = self.lower_params(node)
        body = list(node.body)
        doc = None
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
                and isinstance(body[0].value.value, str):
            doc = body[0].value.value
            body = body[1:]
        if not body or not always_exits(body):
            synthetic = gast.Return(value=None)
            last = node.body[-1] if node.body else node
            gast.copy_location(synthetic, last)
            synthetic.end_lineno = getattr(last, "end_lineno", None)
            body.append(synthetic)
        self.block = Block()
        self.env[".ret"] = Const(False)
        self.nested.static_parameters(params)  # def f(x, reduce=np.sum)
        self.lower_stmts(body)
        self.nested.check_result(body[-1], self.env.get(".retval"))
        self.block.yields = [self.env.get(".retval", Const(None))]
        return Function(node.name if node.name != "<lambda>" else "lambda_",
                        params, self.block, self.info.filename,
                        node.lineno + self.info.line_offset, doc)

    def lower_params(self, node):
        args = node.args
        func = self.info.func
        if func is None:
            # Read from a file without running it: evaluate the defaults' source.
            defaults = [default_value(self.info, d) for d in args.defaults]
            kwdefaults = {a.id: default_value(self.info, d)
                          for a, d in zip(args.kwonlyargs, args.kw_defaults)
                          if d is not None}
        else:
            defaults = list(getattr(func, "__defaults__", None) or ())
            kwdefaults = dict(getattr(func, "__kwdefaults__", None) or {})
        params = []
        positional = list(args.posonlyargs) + list(args.args)
        first_default = len(positional) - len(defaults)
        for i, a in enumerate(positional):
            v = Value(a.id, user=True)
            default = Const(defaults[i - first_default]) if i >= first_default else None
            params.append(Param(v, "positional", default, posonly=i < len(args.posonlyargs)))
            self.env[a.id] = v
        if args.vararg is not None:
            v = Value(args.vararg.id, user=True)
            params.append(Param(v, "vararg"))
            self.env[args.vararg.id] = v
        for a in args.kwonlyargs:
            v = Value(a.id, user=True)
            default = Const(kwdefaults[a.id]) if a.id in kwdefaults else None
            params.append(Param(v, "kwonly", default))
            self.env[a.id] = v
        if args.kwarg is not None:
            v = Value(args.kwarg.id, user=True)
            params.append(Param(v, "kwarg"))
            self.env[args.kwarg.id] = v
        if self.info.bound:
            # A bound method: its first parameter is the object it is bound to,
            # a constant of the generated function (as a closure variable is).
            if not positional:
                raise self.error(node, "cannot bind a method whose first parameter "
                                       "is *args", "transform the function itself "
                                       "(type(obj).method) and pass the object")
            first = positional[0].id
            params.pop(0)
            self.env[first] = Global(first, self.info.bound[0])
        return params

    # -- statements ----------------------------------------------------------
    def lower_stmts(self, stmts):
        for i, s in enumerate(stmts):
            if self.dead:
                return
            last = i + 1 == len(stmts)
            if isinstance(s, gast.If) and not last:
                body_exits, else_exits = always_exits(s.body), always_exits(s.orelse)
                if body_exits or else_exits:
                    rest = stmts[i + 1:]
                    self.set_loc(s)
                    body = s.body if body_exits else s.body + rest
                    orelse = s.orelse if else_exits else s.orelse + rest
                    self.lower_if(s.test, body, orelse)
                    return
            self.lower_stmt(s)
            flags = exits(s)
            if flags and not last and not self.dead:
                stop = self.flag_test(flags)
                if isinstance(stop, Const):
                    if stop.value:
                        return
                    continue
                self.branch(stop, lambda: None, lambda: self.lower_stmts(stmts[i + 1:]))
                return

    def flag_test(self, flags):
        names = {"break": ".brk", "continue": ".cont", "return": ".ret"}
        ops = []
        for f in ("break", "continue", "return"):
            if f in flags:
                v = self.env.get(names[f], Const(False))
                if isinstance(v, Const):
                    if v.value:
                        return Const(True)
                    continue
                ops.append(v)
        if not ops:
            return Const(False)
        acc = ops[0]
        for v in ops[1:]:
            acc = self.emit("binop", [acc, v], "stop", op="or").result
        return acc

    def lower_stmt(self, s):
        self.set_loc(s)
        name = type(s).__name__
        method = getattr(self, "stmt_" + name, None)
        if method is None:
            raise self.error(s, f"'{describe(s)}' is not supported by s2sad",
                             UNSUPPORTED.get(name, "rewrite it with assignments, if, for "
                                                   "and while"))
        start = len(self.block.ops)
        method(s)
        if not isinstance(s, (gast.If, gast.For, gast.While)):
            self.reorder(start)

    def reorder(self, start):
        """Order the pure primitives of one statement by depth, as the seeds'
        evaluation traces do (all inputs of a level before the level above)."""
        ops = self.block.ops[start:]
        if len(ops) < 3 or not all(_is_pure(op) for op in ops):
            return
        depth = {}
        for op in ops:
            d = 0
            for a in op.args:
                if isinstance(a, Value) and a in depth:
                    d = max(d, depth[a] + 1)
            for r in op.results:
                depth[r] = d
        order = sorted(range(len(ops)), key=lambda k: (depth[ops[k].results[0]] if ops[k].results else 0, k))
        self.block.ops[start:] = [ops[k] for k in order]

    def stmt_Pass(self, s):
        pass

    def stmt_With(self, s):
        self.withs.lower(s)  # frontend/contexts.py

    def stmt_FunctionDef(self, s):
        self.nested.define(s)

    def stmt_Expr(self, s):
        v = s.value
        if isinstance(v, gast.Constant):
            return  # a string used as a comment
        if isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
                isinstance(v.func.value, gast.Name) and v.func.attr in MUTATING_METHODS and \
                v.func.value.id in self.env and v.func.value.id in self.locals:
            name = v.func.value.id
            obj = self.env[name]
            args, attrs = self.call_args(v)
            op = self.emit("callmethod", [obj] + args, self.names.hint_for(name),
                           user=not name.startswith("."), method=v.func.attr,
                           mutates=True, **attrs)
            self.env[name] = op.result
            return
        self.expr(v)

    def stmt_Assign(self, s):
        hint = s.targets[0].id if len(s.targets) == 1 and isinstance(s.targets[0], gast.Name) else None
        if len(s.targets) == 1 and isinstance(s.targets[0], (gast.Tuple, gast.List)) and \
                isinstance(s.value, (gast.Tuple, gast.List)) and \
                len(s.targets[0].elts) == len(s.value.elts) and \
                not any(isinstance(e, gast.Starred) for e in s.targets[0].elts + s.value.elts):
            # a, b = b, a: evaluate the right side, then assign element-wise
            vals = [self.expr(e, target_hint(t)) for e, t in zip(s.value.elts, s.targets[0].elts)]
            for t, v in zip(s.targets[0].elts, vals):
                self.assign(t, v)
            return
        value = self.expr(s.value, hint)
        for t in s.targets:
            self.assign(t, value)

    def stmt_AnnAssign(self, s):
        if s.value is None:
            return
        hint = s.target.id if isinstance(s.target, gast.Name) else None
        self.assign(s.target, self.expr(s.value, hint))

    def stmt_AugAssign(self, s):
        op = BINOPS[type(s.op)]
        t = s.target
        if isinstance(t, gast.Name):
            cur = self.load_name(t)
            rhs = self.expr(s.value)
            res = self.emit("binop", [cur, rhs], t.id, user=True, op=op, inplace=True).result
            self.env[t.id] = res
        elif isinstance(t, gast.Subscript):
            base = self.expr(t.value)
            rhs = self.expr(s.value)
            idx_args, template = self.index(t.slice)
            hint = base.hint if isinstance(base, Value) else "t"
            res = self.emit("augsetitem", [base, rhs] + idx_args, hint,
                            user=isinstance(base, Value) and base.user,
                            op=op, index=shift_index(template, 2)).result
            self.rebind(t.value, res)
        elif isinstance(t, gast.Attribute):
            base = self.expr(t.value)
            rhs = self.expr(s.value)
            hint = base.hint if isinstance(base, Value) else "t"
            res = self.emit("augsetattr", [base, rhs], hint,
                            user=isinstance(base, Value) and base.user,
                            op=op, attr=t.attr).result
            self.rebind(t.value, res)
        else:
            raise self.error(t, "unsupported augmented assignment target",
                             "augment a name, a subscript or an attribute")

    def stmt_Return(self, s):
        value = Const(None) if s.value is None else self.expr(s.value, self.ret_hint)
        self.env[".ret"] = Const(True)
        self.env[".retval"] = value
        self.dead = "exit"

    def stmt_Break(self, s):
        self.env[".brk"] = Const(True)
        self.dead = "exit"

    def stmt_Continue(self, s):
        self.env[".cont"] = Const(True)
        self.dead = "exit"

    def stmt_Raise(self, s):
        if s.cause is not None:
            raise self.error(s, "'raise ... from ...' is not supported",
                             "raise the exception without 'from'")
        args = [] if s.exc is None else [self.expr(s.exc)]
        self.emit("raise", args, nresults=0)
        self.dead = "raise"

    def stmt_Assert(self, s):
        cond = self.expr(s.test)

        def fail():
            args = [] if s.msg is None else [self.expr(s.msg)]
            exc = self.emit("call", [Global("AssertionError", AssertionError)] + args,
                            "error").result
            self.emit("raise", [exc], nresults=0)
            self.dead = "raise"

        self.branch(cond, lambda: None, fail)

    def stmt_If(self, s):
        self.lower_if(s.test, s.body, s.orelse)

    def lower_if(self, test, body, orelse):
        cond = self.expr(test)
        self.branch(cond, lambda: self.lower_stmts(body), lambda: self.lower_stmts(orelse))

    def branch(self, cond, then_fn, else_fn, result_hint=None):
        """Lower two paths and merge their environments into an If op."""
        if isinstance(cond, Const):
            try:
                taken = bool(cond.value)
            except Exception:
                taken = None
            if taken is not None:
                (then_fn if taken else else_fn)()
                return None
        outer_env, outer_block = self.env, self.block
        then_block, else_block = Block(), Block()
        self.env, self.block, self.dead = dict(outer_env), then_block, None
        then_fn()
        then_env, then_dead = self.env, self.dead
        self.env, self.block, self.dead = dict(outer_env), else_block, None
        else_fn()
        else_env, else_dead = self.env, self.dead
        self.env, self.block = dict(outer_env), outer_block
        op = If(cond, then_block, else_block, [], self.loc)
        keys = list(dict.fromkeys(list(then_env) + list(else_env)))
        for k in keys:
            a, b = then_env.get(k, UNDEF), else_env.get(k, UNDEF)
            # A path that raises never reaches the merge: the other path's value
            # flows on.  It is yielded (the raising side yields UNDEF) unless it
            # is the value from before the If, since values defined inside a
            # region are not visible after it.
            if then_dead == "raise":
                a = b if not isinstance(b, Value) or b is outer_env.get(k) else UNDEF
            if else_dead == "raise":
                b = a if not isinstance(a, Value) or a is outer_env.get(k) else UNDEF
            if a is b or (isinstance(a, Const) and a == b):
                if a is UNDEF:
                    self.env.pop(k, None)
                else:
                    self.env[k] = a
                continue
            merged = self.nested.merge(k, a, b)  # a function value on one path
            if merged is not None:
                self.env[k] = merged
                continue
            r = Value(self.names.hint_for(k), user=not k.startswith(".") or k == ".retval")
            op.results.append(r)
            then_block.yields.append(a)
            else_block.yields.append(b)
            self.env[k] = r
        self.block.ops.append(op)
        if then_dead and else_dead:
            self.dead = "raise" if then_dead == else_dead == "raise" else "exit"
        else:
            self.dead = None
        return op

    # -- loops ---------------------------------------------------------------
    def loop_carried(self, body, extra=()):
        names = [n for n in assigned_names(body) if n in self.locals or n.startswith(".")]
        if contains_return(body):
            names += [".ret", ".retval"]
        names += list(extra)
        return list(dict.fromkeys(names))

    def stmt_For(self, s):
        it = self.expr(s.iter)
        if self.nested.iterate(s, it):  # over a list of functions: unrolled
            return
        targets = target_names(s.target)
        extra = [".brk"] if s.orelse and exits_loop(s.body) else []
        carried = self.loop_carried(s.body, extra)
        carried = list(dict.fromkeys(targets + carried))
        item_hint = s.target.id if isinstance(s.target, gast.Name) else "item"
        item = Value(item_hint, user=isinstance(s.target, gast.Name))

        def bind_target():
            self.assign(s.target, item, copy=False)

        outer_brk = self.env.get(".brk")
        self.lower_loop(carried, s.body, lambda args: For(it, item, args, [], Block(), loc=self.loc),
                        bind_target)
        if s.orelse:
            self.after_loop_else(s.orelse, outer_brk, contains_return(s.body))

    def stmt_While(self, s):
        if any(isinstance(n, gast.NamedExpr) for n in gast.walk(s.test)):
            return self.lower_while_walrus(s)
        extra = [".brk"] if s.orelse and exits_loop(s.body) else []
        carried = self.loop_carried(s.body, extra)

        def make(args):
            return While(args, [], Block(), Block(), loc=self.loc)

        def cond_fn(op):
            self.block = op.cond
            c = self.expr(s.test)
            op.cond.yields = [c]

        outer_brk = self.env.get(".brk")
        self.lower_loop(carried, s.body, make, None, cond_fn)
        if s.orelse:
            self.after_loop_else(s.orelse, outer_brk, contains_return(s.body))

    def lower_while_walrus(self, s):
        """A while loop that assigns in its test, rewritten by
        :func:`~.desugar.while_with_walrus`."""
        flag = None
        if while_else_needs_flag(s):
            flag = self.names.fresh(".welse", "exhausted")
            self.locals.add(flag)
        before, stmts = while_with_walrus(s, flag)
        for b in before:
            self.lower_stmt(b)
        self.lower_stmts(stmts)

    def after_loop_else(self, orelse, outer_brk, may_return):
        """The else part of a loop runs when the loop neither broke nor
        returned; then ``.brk`` is again the flag of the enclosing loop (if any)."""
        broke = self.env.get(".brk", Const(False))
        if outer_brk is None:
            self.env.pop(".brk", None)
        else:
            self.env[".brk"] = outer_brk
        if may_return:
            ret = self.env.get(".ret", Const(False))
            if isinstance(broke, Const) and not broke.value:
                broke = ret
            elif not (isinstance(ret, Const) and not ret.value):
                broke = self.emit("binop", [broke, ret], "stop", op="or").result
        self.branch(broke, lambda: None, lambda: self.lower_stmts(orelse))

    def lower_loop(self, carried, body, make, bind_target=None, cond_fn=None, static=()):
        loc = self.loc
        outer_env, outer_block = self.env, self.block
        every_name, carried = carried, [n for n in carried if n not in static]
        inits, args = [], []
        for n in carried:
            if n == ".brk":
                init = Const(False)  # this loop's own flag, not an enclosing loop's
            else:
                init = outer_env.get(n, Const(False) if n == ".ret" else UNDEF)
            inits.append(init)
            args.append(Value(self.names.hint_for(n), user=not n.startswith(".") or n == ".retval"))
        op = make(args)
        op.inits = inits
        op.loc = loc
        loop_env = dict(outer_env)
        for n, a in zip(carried, args):
            loop_env[n] = a
        self.nested.enter_loop_static(loop_env, static, loc)
        if cond_fn is not None:
            self.env = dict(loop_env)
            cond_fn(op)
        self.env, self.block, self.dead = dict(loop_env), op.body, None
        self.env[".brk"] = Const(False)
        self.env[".cont"] = Const(False)
        if bind_target is not None:
            bind_target()
        self.lower_stmts(body)
        body_env = self.env
        op.body.yields = [body_env.get(n, UNDEF) if n != ".brk" else body_env.get(".brk")
                          for n in carried]
        found = self.nested.loop_static(carried, inits, op.body.yields)
        if found:  # a function value: lowered again, not carried (frontend/inline.py)
            self.env, self.block, self.dead, self.loc = outer_env, outer_block, None, loc
            return self.lower_loop(every_name, body, make, bind_target, cond_fn,
                                   set(static) | set(found))
        stop = []
        for flag in (".brk", ".ret"):
            v = body_env.get(flag, Const(False))
            if isinstance(v, Const) and not v.value:
                continue
            if flag == ".ret" and isinstance(v, Value) and (v in args or v is outer_env.get(".ret")):
                # only the carried value, or the one from before the loop (false
                # whenever the loop runs): no return in this iteration
                continue
            stop.append(v)
        self.loc = loc
        if stop:
            acc = stop[0]
            if any(isinstance(v, Const) and v.value for v in stop):
                acc = Const(True)
            else:
                for v in stop[1:]:
                    acc = self.emit("binop", [acc, v], "stop", op="or").result
            op.brk = acc
        self.env, self.block, self.dead = outer_env, outer_block, None
        results = [Value(a.hint, a.user) for a in args]
        op.results = results
        for n, r in zip(carried, results):
            self.env[n] = r
        self.nested.leave_loop_static(self.env, static, outer_env, body_env, loc)
        self.block.ops.append(op)
        return op

    # -- assignment ----------------------------------------------------------
    def assign(self, target, value, copy=True):
        if self.nested.assign(target, value):  # a function value: bound, not copied
            return
        if isinstance(target, gast.Name):
            if copy and (not isinstance(value, Value) or
                         _bound(value, self.env)):
                value = self.emit("copy", [value], self.names.hint_for(target.id),
                                  user=not target.id.startswith(".")).result
            elif isinstance(value, Value) and not value.user:
                value.hint, value.user = target.id, True
            self.env[target.id] = value
        elif isinstance(target, (gast.Tuple, gast.List)):
            elts = target.elts
            star = [i for i, e in enumerate(elts) if isinstance(e, gast.Starred)]
            hints = [target_hint(e.value if isinstance(e, gast.Starred) else e) or "t"
                     for e in elts]
            op = self.emit("unpack", [value], nresults=len(elts), star=star[0] if star else None)
            for r, h in zip(op.results, hints):
                r.hint = h
            for e, r in zip(elts, op.results):
                self.assign(e.value if isinstance(e, gast.Starred) else e, r, copy=False)
        elif isinstance(target, gast.Subscript):
            base = self.expr(target.value)
            idx_args, template = self.index(target.slice)
            hint = base.hint if isinstance(base, Value) else "t"
            res = self.emit("setitem", [base, value] + idx_args, hint,
                            user=isinstance(base, Value) and base.user,
                            index=shift_index(template, 2)).result
            self.rebind(target.value, res)
        elif isinstance(target, gast.Attribute):
            base = self.expr(target.value)
            hint = base.hint if isinstance(base, Value) else "t"
            res = self.emit("setattr", [base, value], hint,
                            user=isinstance(base, Value) and base.user,
                            attr=target.attr).result
            self.rebind(target.value, res)
        elif isinstance(target, gast.Starred):
            raise self.error(target, "a starred assignment target must be inside a tuple",
                             "write '*a, = value' or 'a = list(value)'")
        else:
            raise self.error(target, "unsupported assignment target",
                             "assign to a name, a subscript, an attribute or a tuple of them")

    def rebind(self, node, new):
        """After an in-place write ``x[i] = v`` the name ``x`` sees a new version."""
        if isinstance(node, gast.Name) and node.id in self.env and node.id in self.locals:
            self.env[node.id] = new

    def lower_stmt_nested(self, stmt):
        """Lower a statement made up by the lowering (keeping the location and
        the order of the statement it stands in)."""
        method = getattr(self, "stmt_" + type(stmt).__name__)
        method(stmt)


def _is_pure(op):
    # f-strings and unpacking keep their place in the statement
    return is_pure(op) and op.kind not in ("fstring", "unpack")


def lower(info: SourceInfo) -> Function:
    lowerer = Lowerer(info)
    try:
        return lowerer.lower_function()
    except UnsupportedSyntaxError as exc:
        # a library's function (statistics.mean): what it is and what to do
        # first, not how to rewrite the library's code
        module = library_module(info.func) if info.func is not None else None
        if module is None:
            raise
        raise library_function_error(info.func, module, exc) from exc
    finally:
        # its helpers point back at it: without them, reference counting frees
        # the lowerer and the syntax tree now, not the cyclic collector later
        lowerer.nested = lowerer.withs = None
