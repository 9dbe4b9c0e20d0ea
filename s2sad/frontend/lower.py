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
"""
from __future__ import annotations

import keyword
from typing import Dict, List, Optional

import gast

from ..errors import UnsupportedSyntaxError, SourceError
from ..ir.nodes import (Block, Const, For, Function, Global, If, Loc, Param, Prim,
                        UNDEF, Value, While)
from ..ir.analysis import is_pure
from ..ir.nodes import MISSING
from .resolve import fold_attribute, resolve
from .source import SourceInfo

BINOPS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/",
          gast.FloorDiv: "//", gast.Mod: "%", gast.Pow: "**", gast.MatMult: "@",
          gast.LShift: "<<", gast.RShift: ">>", gast.BitOr: "|", gast.BitAnd: "&",
          gast.BitXor: "^"}
UNARYOPS = {gast.USub: "-", gast.UAdd: "+", gast.Not: "not", gast.Invert: "~"}
CMPOPS = {gast.Lt: "<", gast.LtE: "<=", gast.Gt: ">", gast.GtE: ">=", gast.Eq: "==",
          gast.NotEq: "!=", gast.Is: "is", gast.IsNot: "is not", gast.In: "in",
          gast.NotIn: "not in"}

# Methods that change their object in place; as statements they define a new
# version of a local variable (so loops carry it and derivatives can see it).
MUTATING_METHODS = {"append", "extend", "insert", "add", "update"}

FLAG_HINTS = {".brk": "brk", ".cont": "cont", ".ret": "ret"}

UNSUPPORTED = {
    "Try": "s2sad cannot differentiate through try/except; check the condition "
           "with an if statement instead",
    "TryStar": "s2sad cannot differentiate through try/except*",
    "With": "move the with-block outside the function you differentiate",
    "AsyncWith": "s2sad cannot transform async code; write a plain function",
    "AsyncFor": "s2sad cannot transform async code; write a plain function",
    "AsyncFunctionDef": "s2sad cannot transform async code; write a plain function",
    "Yield": "generators cannot be differentiated; build and return a list instead",
    "YieldFrom": "generators cannot be differentiated; build and return a list instead",
    "Await": "s2sad cannot transform async code; write a plain function",
    "Global": "pass the value in as an argument and return the new value instead "
              "of writing a global",
    "Nonlocal": "pass the value in as an argument and return the new value instead "
                "of writing to an enclosing function's variable",
    "Delete": "remove the del statement (reassign the name, or let it go out of scope)",
    "ClassDef": "define the class at module level",
    "FunctionDef": "define the helper function at module level (or outside this "
                   "function) and call it",
    "Lambda": "define the lambda with def at module level and call it by name",
    "Import": "import at module level, outside the function",
    "ImportFrom": "import at module level, outside the function",
    "Match": "rewrite the match statement as if/elif",
}


def _hint_name(op: str) -> str:
    return {"+": "sum", "-": "diff", "*": "prod", "/": "quot", "**": "pow", "@": "mm"}.get(op, "t")


class Lowerer:
    def __init__(self, info: SourceInfo):
        self.info = info
        self.env: Dict[str, object] = {}
        self.block: Optional[Block] = None
        self.dead: Optional[str] = None  # None, "exit" (break/continue/return) or "raise"
        self.loc: Optional[Loc] = None
        self.hints: Dict[str, str] = dict(FLAG_HINTS)
        self.comp_counter = 0
        self.local_defs = {}  # nested functions, inlined where called
        self.inlining = []
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
        results = [Value(hint, user) for _ in range(nresults)]
        op = Prim(kind, list(args), results, attrs, self.loc)
        self.block.ops.append(op)
        return op

    def hint_for(self, name):
        return self.hints.get(name, name)

    def short(self, operand) -> Optional[str]:
        """A short name for an operand, used to name temporaries after it."""
        if isinstance(operand, Value) and operand.user and len(operand.hint) <= 8:
            return operand.hint
        if isinstance(operand, Const) and isinstance(operand.value, int) and \
                not isinstance(operand.value, bool) and 0 <= operand.value < 100:
            return str(operand.value)
        return None

    # -- entry ---------------------------------------------------------------
    def lower_function(self) -> Function:
        node = self.info.node
        if isinstance(node, gast.AsyncFunctionDef):
            raise self.error(node, "async functions are not supported",
                             UNSUPPORTED["AsyncFunctionDef"])
        self.locals = _local_names(node)
        self.ret_hint = "y" if "y" not in self.locals else "out"
        self.hints[".retval"] = self.ret_hint
        params = self.lower_params(node)
        body = list(node.body)
        doc = None
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
                and isinstance(body[0].value.value, str):
            doc = body[0].value.value
            body = body[1:]
        if not body or not _always_exits(body):
            synthetic = gast.Return(value=None)
            last = node.body[-1] if node.body else node
            gast.copy_location(synthetic, last)
            synthetic.end_lineno = getattr(last, "end_lineno", None)
            body.append(synthetic)
        self.block = Block()
        self.env[".ret"] = Const(False)
        self.lower_stmts(body)
        self.block.yields = [self.env.get(".retval", Const(None))]
        func = self.info.func
        return Function(node.name if node.name != "<lambda>" else "lambda_",
                        params, self.block, self.info.filename,
                        node.lineno + self.info.line_offset, doc)

    def lower_params(self, node):
        args = node.args
        func = self.info.func
        if func is None:
            # Read from a file without running it: evaluate the defaults' source.
            from .source import default_value
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
            rest = stmts[i + 1:]
            if isinstance(s, gast.If) and rest:
                body_exits, else_exits = _always_exits(s.body), _always_exits(s.orelse)
                if body_exits or else_exits:
                    self.set_loc(s)
                    body = s.body if body_exits else s.body + rest
                    orelse = s.orelse if else_exits else s.orelse + rest
                    self.lower_if(s.test, body, orelse)
                    return
            self.lower_stmt(s)
            flags = _exits(s)
            if flags and rest and not self.dead:
                stop = self.flag_test(flags)
                if isinstance(stop, Const):
                    if stop.value:
                        return
                    continue
                self.branch(stop, lambda: None, lambda: self.lower_stmts(rest))
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
            raise self.error(s, f"'{_describe(s)}' is not supported by s2sad",
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

    def stmt_FunctionDef(self, s):
        """A nested function is inlined where it is called, reading the enclosing
        variables as they are at the call, as Python's closures do."""
        if s.decorator_list or s.args.vararg or s.args.kwarg or s.args.kwonlyargs or \
                s.args.posonlyargs or not _only_called(self.info.node, s.name):
            raise self.error(s, "'def (nested function)' is supported only when it is "
                                "called directly and has plain parameters",
                             UNSUPPORTED["FunctionDef"])
        defaults = [self.expr(d) for d in s.args.defaults]
        self.local_defs[s.name] = (s, defaults)

    def inline_local(self, node, hint):
        fdef, defaults = self.local_defs[node.func.id]
        if fdef.name in self.inlining:
            raise self.error(node, f"the nested function {fdef.name!r} calls itself",
                             "define a recursive function at module level")
        if any(isinstance(a, gast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            raise self.error(node, "cannot call a nested function with *args or **kwargs",
                             "pass the arguments one by one")
        names = [a.id for a in fdef.args.args]
        bound = dict(zip(names, [self.expr(a) for a in node.args]))
        for k in node.keywords:
            bound[k.arg] = self.expr(k.value)
        for name, d in zip(names[len(names) - len(defaults):], defaults):
            bound.setdefault(name, d)
        missing = [n for n in names if n not in bound]
        if missing:
            raise self.error(node, f"{fdef.name}() is missing arguments: {', '.join(missing)}",
                             "pass every argument")
        saved = (self.env, set(self.locals), self.dead, self.hints.get(".retval"))
        env = {k: v for k, v in self.env.items() if not k.startswith(".")}
        env.update(bound)
        env[".ret"] = Const(False)
        self.env, self.dead = env, None
        self.locals |= _local_names(fdef)
        self.hints[".retval"] = hint or f"{fdef.name}_out"
        body = list(fdef.body)
        if not _always_exits(body):
            synthetic = gast.Return(value=None)
            gast.copy_location(synthetic, body[-1])
            body.append(synthetic)
        self.inlining.append(fdef.name)
        try:
            self.lower_stmts(body)
            result = self.env.get(".retval", Const(None))
        finally:
            self.inlining.pop()
            self.env, self.locals, self.dead, self.hints[".retval"] = saved
        return result

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
            op = self.emit("callmethod", [obj] + args, self.hint_for(name),
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
            vals = [self.expr(e, _target_hint(t)) for e, t in zip(s.value.elts, s.targets[0].elts)]
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
                            op=op, index=_shift(template, 2)).result
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
            r = Value(self.hint_for(k), user=not k.startswith(".") or k == ".retval")
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
        names = [n for n in _assigned_names(body) if n in self.locals or n.startswith(".")]
        if _contains_return(body):
            names += [".ret", ".retval"]
        names += list(extra)
        return list(dict.fromkeys(names))

    def stmt_For(self, s):
        it = self.expr(s.iter)
        target_names = _assigned_names([gast.Assign(targets=[s.target], value=None)])
        extra = [".brk"] if s.orelse and _exits_loop(s.body) else []
        carried = self.loop_carried(s.body, extra)
        carried = list(dict.fromkeys(target_names + carried))
        item_hint = s.target.id if isinstance(s.target, gast.Name) else "item"
        item = Value(item_hint, user=isinstance(s.target, gast.Name))

        def bind_target():
            self.assign(s.target, item, copy=False)

        outer_brk = self.env.get(".brk")
        op = self.lower_loop(carried, s.body, lambda args: For(it, item, args, [], Block(), loc=self.loc),
                             bind_target)
        if s.orelse:
            self.after_loop_else(s.orelse, outer_brk, _contains_return(s.body))

    def stmt_While(self, s):
        if any(isinstance(n, gast.NamedExpr) for n in gast.walk(s.test)):
            return self.lower_while_walrus(s)
        extra = [".brk"] if s.orelse and _exits_loop(s.body) else []
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
            self.after_loop_else(s.orelse, outer_brk, _contains_return(s.body))

    def lower_while_walrus(self, s):
        """``while (k := f()) > 0: body`` assigns in its test, and ``k`` after the
        loop is the value of the test that failed, which a While region cannot
        yield.  Lowered as ``while True: if not test: [else part]; break`` then
        the body (the else part behind a flag when it breaks or continues an
        enclosing loop)."""
        def node(cls, **fields):
            n = cls(**fields)
            gast.copy_location(n, s)
            return n

        orelse = list(s.orelse)
        after = []
        if {"break", "continue"} & set().union(*[_exits(x) for x in orelse]):
            flag = f".welse{self.comp_counter}"
            self.comp_counter += 1
            self.hints[flag] = "exhausted"
            self.locals.add(flag)

            def set_flag(value):
                return node(gast.Assign, targets=[node(gast.Name, id=flag, ctx=gast.Store(),
                                                       annotation=None, type_comment=None)],
                            value=node(gast.Constant, value=value, kind=None),
                            type_comment=None)

            self.lower_stmt(set_flag(False))
            after = [node(gast.If, test=node(gast.Name, id=flag, ctx=gast.Load(),
                                             annotation=None, type_comment=None),
                          body=orelse, orelse=[])]
            orelse = [set_flag(True)]
        guard = node(gast.If, test=s.test, body=[node(gast.Pass)],
                     orelse=orelse + [node(gast.Break)])
        loop = node(gast.While, test=node(gast.Constant, value=True, kind=None),
                    body=[guard] + list(s.body), orelse=[])
        self.lower_stmts([loop] + after)

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

    def lower_loop(self, carried, body, make, bind_target=None, cond_fn=None):
        loc = self.loc
        outer_env, outer_block = self.env, self.block
        inits, args = [], []
        for n in carried:
            if n == ".brk":
                init = Const(False)  # this loop's own flag, not an enclosing loop's
            else:
                init = outer_env.get(n, Const(False) if n == ".ret" else UNDEF)
            inits.append(init)
            args.append(Value(self.hint_for(n), user=not n.startswith(".") or n == ".retval"))
        op = make(args)
        op.inits = inits
        op.loc = loc
        loop_env = dict(outer_env)
        for n, a in zip(carried, args):
            loop_env[n] = a
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
        self.block.ops.append(op)
        return op

    # -- assignment ----------------------------------------------------------
    def assign(self, target, value, copy=True):
        if isinstance(target, gast.Name):
            if copy and (not isinstance(value, Value) or
                         any(value is v for v in self.env.values())):
                value = self.emit("copy", [value], self.hint_for(target.id),
                                  user=not target.id.startswith(".")).result
            elif isinstance(value, Value) and not value.user:
                value.hint, value.user = target.id, True
            self.env[target.id] = value
        elif isinstance(target, (gast.Tuple, gast.List)):
            elts = target.elts
            star = [i for i, e in enumerate(elts) if isinstance(e, gast.Starred)]
            hints = [_target_hint(e.value if isinstance(e, gast.Starred) else e) or "t"
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
                            index=_shift(template, 2)).result
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

    # -- expressions ---------------------------------------------------------
    def load_name(self, node):
        name = node.id
        if name in self.env:
            return self.env[name]
        if name in self.locals:
            raise self.error(node, f"local variable '{name}' is read before it is assigned",
                             f"assign '{name}' before this line (Python would raise "
                             "UnboundLocalError here)", cls=SourceError)
        g = resolve(name, self.info)
        return g

    def expr(self, node, hint=None):
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            name = type(node).__name__
            raise self.error(node, f"'{_describe(node)}' is not supported by s2sad",
                             UNSUPPORTED.get(name, "rewrite the expression with simpler "
                                                   "operations"))
        return method(node, hint)

    def expr_Constant(self, node, hint):
        return Const(node.value)

    def expr_Name(self, node, hint):
        return self.load_name(node)

    def expr_NamedExpr(self, node, hint):
        v = self.expr(node.value, node.target.id)
        self.assign(node.target, v)
        return self.env[node.target.id]

    def expr_Attribute(self, node, hint):
        base = self.expr(node.value)
        if isinstance(base, Global) and base.obj is not MISSING:
            folded = fold_attribute(base, node.attr)
            if folded is not None:
                return folded
        s = self.short(base)
        h = hint or (f"{s}_{node.attr}" if s else node.attr)
        return self.emit("getattr", [base], h, user=hint is not None, attr=node.attr).result

    def expr_BinOp(self, node, hint):
        a = self.expr(node.left)
        b = self.expr(node.right)
        op = BINOPS[type(node.op)]
        if hint is None:
            sa, sb = self.short(a), self.short(b)
            hint = f"{sa}_{sb}" if sa and sb and op in "*@" else "t"
            if op == "**" and sa and sb:
                hint = f"{sa}_pow_{sb}"
            user = False
        else:
            user = True
        return self.emit("binop", [a, b], hint, user=user, op=op).result

    def expr_UnaryOp(self, node, hint):
        a = self.expr(node.operand)
        op = UNARYOPS[type(node.op)]
        if isinstance(a, Const) and op == "-" and isinstance(a.value, (int, float)) \
                and not isinstance(a.value, bool):
            return Const(-a.value)
        s = self.short(a)
        h = hint or (f"neg_{s}" if s and op == "-" else f"not_{s}" if s and op == "not" else "t")
        return self.emit("unary", [a], h, user=hint is not None, op=op).result

    def expr_Compare(self, node, hint):
        left = self.expr(node.left)
        ops, comparators = node.ops, node.comparators

        def compare(a, i):
            b = self.expr(comparators[i])
            last = i == len(ops) - 1
            res = self.emit("compare", [a, b], hint if (last and hint) else "c",
                            user=bool(last and hint), op=CMPOPS[type(ops[i])]).result
            return res, b

        res, right = compare(left, 0)
        for i in range(1, len(ops)):
            prev = right
            holder = {}

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
        self.hints[key] = hint or "c"
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
        self.hints[key] = hint or "t"

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

    def call_args(self, node):
        args, star, dstar, kw = [], [], [], []
        for a in node.args:
            if isinstance(a, gast.Starred):
                star.append(len(args))
                args.append(self.expr(a.value))
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
        if isinstance(f, gast.Name) and f.id in self.local_defs:
            return self.inline_local(node, hint)
        if isinstance(f, gast.Attribute):
            base = self.expr(f.value)
            folded = fold_attribute(base, f.attr) if isinstance(base, Global) and \
                base.obj is not MISSING else None
            if folded is None:
                args, attrs = self.call_args(node)
                s = self.short(base)
                h = hint or (f"{s}_{f.attr}" if s else f.attr)
                return self.emit("callmethod", [base] + args, h, user=hint is not None,
                                 method=f.attr, **_shift_attrs(attrs, 1)).result
            func = folded
        else:
            func = self.expr(f)
        args, attrs = self.call_args(node)
        if hint is None:
            fname = func.name.rsplit(".", 1)[-1] if isinstance(func, Global) else "t"
            shorts = [self.short(a) for a in args]
            if isinstance(func, Global) and args and all(shorts) and len(args) <= 2 and \
                    not attrs:
                h = "_".join([fname] + shorts)
            else:
                h = fname if isinstance(func, Global) else "t"
            user = False
        else:
            h, user = hint, True
        return self.emit("call", [func] + args, h, user=user, **_shift_attrs(attrs, 1)).result

    def index(self, node):
        """Lower a subscript's index; returns (operands, template)."""
        args = []

        def walk(n):
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
                return ("tuple", tuple(walk(e) for e in n.elts))
            if isinstance(n, gast.Tuple) and not any(isinstance(e, gast.Starred) for e in n.elts):
                return ("tuple", tuple(walk(e) for e in n.elts))
            args.append(self.expr(n))
            return ("val", len(args) - 1)

        template = walk(node)
        return args, template

    def expr_Subscript(self, node, hint):
        base = self.expr(node.value)
        idx_args, template = self.index(node.slice)
        if hint is None:
            s = self.short(base)
            si = self.short(idx_args[0]) if len(idx_args) == 1 and template[0] == "val" else None
            h = f"{s}_{si}" if s and si else (f"{s}_item" if s else "t")
            key = idx_args[0] if len(idx_args) == 1 and template[0] == "val" else None
            if isinstance(key, Const) and isinstance(key.value, str) and key.value.isidentifier() \
                    and not keyword.iskeyword(key.value):
                h = key.value  # params["W1"] is W1
        else:
            h = hint
        return self.emit("getitem", [base] + idx_args, h, user=hint is not None,
                         index=_shift(template, 1)).result

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
        name = f".comp{self.comp_counter}"
        self.comp_counter += 1
        self.locals.add(name)
        self.hints[name] = hint or {"list": "elems", "set": "elems", "dict": "d"}[kind]
        acc = self.emit("build", [], self.hints[name], user=hint is not None, type=kind).result
        acc_name = gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)
        if kind == "dict":
            inner = gast.Assign(targets=[gast.Subscript(
                value=acc_name, slice=node.key, ctx=gast.Store())], value=node.value,
                type_comment=None)
        else:
            method = "append" if kind == "list" else "add"
            call = gast.Call(func=gast.Attribute(value=acc_name, attr=method, ctx=gast.Load()),
                             args=[node.elt], keywords=[])
            inner = gast.Expr(value=call)
        stmt = inner
        for gen in reversed(node.generators):
            if getattr(gen, "is_async", 0):
                raise self.error(node, "async comprehensions are not supported",
                                 UNSUPPORTED["AsyncFor"])
            for cond in reversed(gen.ifs):
                stmt = gast.If(test=cond, body=[stmt], orelse=[])
            stmt = gast.For(target=gen.target, iter=gen.iter, body=[stmt], orelse=[],
                            type_comment=None)
        for n in gast.walk(stmt):
            if not hasattr(n, "lineno") or n.lineno is None:
                gast.copy_location(n, node)
        # The first iterable is evaluated in the enclosing scope; the targets do
        # not leak out of the comprehension.
        targets = set()
        for gen in node.generators:
            targets.update(_assigned_names([gast.Assign(targets=[gen.target], value=None)]))
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

    def lower_stmt_nested(self, stmt):
        method = getattr(self, "stmt_" + type(stmt).__name__)
        method(stmt)

    def expr_ListComp(self, node, hint):
        return self.comprehension(node, hint, "list")

    def expr_GeneratorExp(self, node, hint):
        return self.comprehension(node, hint, "list")

    def expr_SetComp(self, node, hint):
        return self.comprehension(node, hint, "set")

    def expr_DictComp(self, node, hint):
        return self.comprehension(node, hint, "dict")

    def expr_Starred(self, node, hint):
        raise self.error(node, "a starred expression is only supported inside a call, "
                               "a list, a tuple or a set",
                         "build the sequence first (tuple(xs)) and use it")


# ---------------------------------------------------------------------------
# AST queries
# ---------------------------------------------------------------------------
def _describe(node):
    names = {"Try": "try", "TryStar": "try", "With": "with", "AsyncWith": "async with",
             "AsyncFor": "async for", "Yield": "yield", "YieldFrom": "yield from",
             "Await": "await", "Global": "global", "Nonlocal": "nonlocal", "Delete": "del",
             "ClassDef": "class", "FunctionDef": "def (nested function)", "Lambda": "lambda",
             "Import": "import", "ImportFrom": "from ... import", "Match": "match",
             "AsyncFunctionDef": "async def"}
    return names.get(type(node).__name__, type(node).__name__)


def _target_hint(t):
    return t.id if isinstance(t, gast.Name) else None


def _shift(template, k):
    kind = template[0]
    if kind == "val":
        return ("val", template[1] + k)
    if kind == "slice":
        return ("slice",) + tuple(None if p is None else p + k for p in template[1:])
    return ("tuple", tuple(_shift(t, k) for t in template[1]))


def _shift_attrs(attrs, k):
    out = dict(attrs)
    for key in ("star", "dstar"):
        if key in out:
            out[key] = tuple(p + k for p in out[key])
    return out


def _is_pure(op):
    # f-strings and unpacking keep their place in the statement
    return is_pure(op) and op.kind not in ("fstring", "unpack")


def _local_names(fdef):
    names = set()
    a = fdef.args
    for p in list(a.posonlyargs) + list(a.args) + list(a.kwonlyargs):
        names.add(p.id)
    for p in (a.vararg, a.kwarg):
        if p is not None:
            names.add(p.id)
    # ``xs.append(v)`` and ``xs[i] = v`` make a new version of a local ``xs``
    # but do not make ``xs`` local (``np.add(a, b, out=c)`` reads the global
    # ``np``; ``TABLE[k] = v`` writes into the global ``TABLE``).
    names.update(_assigned_names(fdef.body, mutations=False))
    return names


def _assigned_names(stmts, mutations=True):
    """Names written by the statements, in order of first write (not descending
    into comprehensions, whose targets are their own)."""
    out = []

    def target(t):
        if isinstance(t, gast.Name):
            out.append(t.id)
        elif isinstance(t, (gast.Tuple, gast.List)):
            for e in t.elts:
                target(e)
        elif isinstance(t, gast.Starred):
            target(t.value)
        elif mutations and isinstance(t, (gast.Subscript, gast.Attribute)):
            base = t.value
            while isinstance(base, (gast.Subscript, gast.Attribute)):
                base = base.value
            if isinstance(base, gast.Name):
                out.append(base.id)

    def visit(n):
        if isinstance(n, (gast.Assign,)):
            for t in n.targets:
                target(t)
        elif isinstance(n, (gast.AugAssign, gast.AnnAssign)):
            target(n.target)
        elif isinstance(n, gast.For):
            target(n.target)
        elif isinstance(n, gast.NamedExpr):
            target(n.target)
        elif mutations and isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                n.func.attr in MUTATING_METHODS and isinstance(n.func.value, gast.Name):
            out.append(n.func.value.id)
        if isinstance(n, (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)):
            for gen in n.generators:
                visit(gen.iter)
                for c in gen.ifs:
                    visit(c)
            for field in ("elt", "key", "value"):
                if hasattr(n, field):
                    visit(getattr(n, field))
            return
        if isinstance(n, (gast.FunctionDef, gast.Lambda, gast.ClassDef)):
            return
        for child in gast.iter_child_nodes(n):
            visit(child)

    for s in stmts:
        visit(s)
    # comprehension internals named '.compN' are carried too
    return list(dict.fromkeys(out))


def _only_called(fdef, name):
    """Whether every use of ``name`` in the function is a direct call."""
    called = set()
    for n in gast.walk(fdef):
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id == name:
            called.add(id(n.func))
    return all(id(n) in called for n in gast.walk(fdef)
               if isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load))


def _always_exits(stmts):
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (gast.Return, gast.Break, gast.Continue, gast.Raise)):
        return True
    if isinstance(last, gast.If):
        return _always_exits(last.body) and _always_exits(last.orelse)
    return any(isinstance(s, (gast.Return, gast.Break, gast.Continue, gast.Raise))
               for s in stmts)


def _exits(stmt):
    """Which of break / continue / return may leave the statement early."""
    flags = set()

    def visit(n, in_loop):
        if isinstance(n, gast.Return):
            flags.add("return")
        elif isinstance(n, gast.Break) and not in_loop:
            flags.add("break")
        elif isinstance(n, gast.Continue) and not in_loop:
            flags.add("continue")
        if isinstance(n, (gast.FunctionDef, gast.Lambda, gast.ClassDef)):
            return
        for child in gast.iter_child_nodes(n):
            # break/continue in a loop's body are its own; in its else part they
            # belong to the enclosing loop
            visit(child, in_loop or isinstance(n, (gast.For, gast.While)) and
                  any(child is c for c in n.body))

    if isinstance(stmt, (gast.For, gast.While)):
        for child in stmt.body:
            visit(child, True)
        for child in stmt.orelse:
            visit(child, False)
        return flags
    visit(stmt, False)
    return flags


def _exits_loop(body):
    flags = set()
    for s in body:
        flags |= _exits(s)
    return "break" in flags or "return" in flags


def _contains_return(stmts):
    return any(isinstance(n, gast.Return) for s in stmts for n in gast.walk(s))


def lower(info: SourceInfo) -> Function:
    return Lowerer(info).lower_function()
