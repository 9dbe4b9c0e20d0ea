"""Function values, resolved and inlined where they are called.

The IR has no closures.  A lambda, a nested ``def``, and a call of the user's
own helper that takes or returns a function are lowered in place at each
call (see :mod:`.functions` for the values involved): the body reads the
variables of the frame the function was made in as they are at the call, as
Python's late-binding closures do.  Calls of NumPy and math functions held by
a name resolve to the function's rule.  ``map``, ``filter``, ``sorted``,
``min``/``max`` with ``key=`` and ``functools.reduce`` with a function value
become loops (:mod:`.higher_order`).
"""
import dataclasses
import functools
import types

import gast

from ..errors import UnsupportedSyntaxError, at_location
from ..ir.nodes import Const, Global, Value
from ..rules.registry import lookup
from .functions import (NOT_HANDLED, Closure, Frame, Partial, Poison, StaticSeq, constant,
                        defines_functions, fold_compare, function_locals, is_callable_static,
                        is_compile_time, is_function_object, is_static, merge_static,
                        same_value)
from .higher_order import HigherOrder
from .source import FileFunction, default_value, get_source_info, see_through
from .syntax import UNSUPPORTED, always_exits, local_names

USES = ("call it, pass it to your own functions, or to map, filter, sorted, min, max "
        "or functools.reduce")


class NestedFunctions(HigherOrder):
    """The function values of the function a :class:`~.lower.Lowerer` lowers,
    and the inlining of their calls in the lowerer's current block."""

    def __init__(self, lowerer):
        self.lowerer = lowerer
        self.root = lowerer.info  # the function being lowered
        self.frame = Frame(lowerer.info, ())
        self.inlining = []  # the functions being inlined, innermost last
        self.makes_functions = {}  # helper -> whether it makes function values
        self.consumed = {}
        self.through = None  # "functools.partial(base, y=...)": the call being bound

    # -- making function values ---------------------------------------------------------
    def define(self, s):
        """A nested ``def``: its defaults are evaluated here, its body at each call."""
        low = self.lowerer
        if s.decorator_list:
            raise low.error(s.decorator_list[0], "a decorated nested function is not "
                                                 "supported", UNSUPPORTED["FunctionDef"])
        low.locals.add(s.name)
        low.env[s.name] = self.make(s, s.name)

    def make_lambda(self, node, hint):
        """A lambda, named after the variable it is assigned to (``hint``; one
        returned is named after the function that returns it)."""
        return self.make(node, None if hint == self.lowerer.ret_hint else hint)

    def make(self, node, fname):
        low = self.lowerer
        a = node.args
        if a.vararg or a.kwarg:
            lam = isinstance(node, gast.Lambda)
            raise low.error(node, f"a {'lambda' if lam else 'nested function'} with *args "
                                  "or **kwargs is not supported",
                            UNSUPPORTED["Lambda"] if lam else
                            "give it plain parameters, or define it at module level")
        defaults = [low.expr(d) for d in a.defaults]
        kwdefaults = {p.id: low.expr(d) for p, d in zip(a.kwonlyargs, a.kw_defaults)
                      if d is not None}
        return Closure(node, self.frame, defaults, kwdefaults, fname)

    def assign(self, target, value):
        """Bind a function value to a name (no copy: it is a constant); unpack a
        tuple of them.  Returns whether it did."""
        if isinstance(target, gast.Name) and is_static(value):
            if isinstance(value, Closure) and value.name is None:
                value.name = target.id
            if isinstance(value, Poison) and value.name is None:
                value = Poison(target.id, value.loc, value.why, value.hint)
            self.lowerer.env[target.id] = value
            return True
        if isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, StaticSeq):
            if value.kind == "dict" or len(value.items) != len(target.elts) or \
                    any(isinstance(e, gast.Starred) for e in target.elts):
                raise self.lowerer.error(target, "cannot unpack this container of "
                                                 "functions here",
                                         "unpack a list or tuple into as many names")
            for t, v in zip(target.elts, value.items):
                self.lowerer.assign(t, v, copy=False)
            return True
        return False

    def container(self, kind, items, keys=None):
        """A list/tuple/dict literal: kept as its entries when one is a function."""
        if not any(is_static(v) for v in items):
            return None
        return StaticSeq(kind, items, keys)

    # -- guards ---------------------------------------------------------------------------
    def refuse(self, node, v, what=None):
        low = self.lowerer
        if isinstance(v, Poison):
            raise low.error(node, v.message(), v.hint)
        kind = "a list of functions" if isinstance(v, StaticSeq) else "a function value"
        raise low.error(node, f"{kind} cannot be used {what or 'here'}", USES)

    def check_operands(self, args):
        """Called for every op the lowerer emits: no function value may reach the IR."""
        for a in args:
            if is_compile_time(a):
                low = self.lowerer
                if isinstance(a, Poison):
                    raise at_location(UnsupportedSyntaxError, a.message(), low.loc, a.hint)
                kind = "a list of functions" if isinstance(a, StaticSeq) else \
                    "a function value"
                raise at_location(UnsupportedSyntaxError, f"{kind} cannot be used here "
                                  "(s2sad resolves functions when it compiles, so they "
                                  "cannot be stored, compared or passed to code it does "
                                  "not read)", low.loc, USES)

    def check_result(self, node, value):
        """The differentiated function may not return a function."""
        if is_static(value) or is_compile_time(value):
            if isinstance(value, Poison):
                self.refuse(node, value)
            raise self.lowerer.error(node, "the function returns a function; s2sad "
                                           "differentiates functions that return numbers, "
                                           "arrays or containers of them",
                                     "differentiate the returned function itself, or "
                                     "call it here and return its result")

    # -- merges -----------------------------------------------------------------------------
    def merge(self, name, a, b):
        """The value after a branch of a name one of whose paths holds a
        function value (None when neither does)."""
        if not (is_static(a) or is_static(b)):
            return None
        return merge_static(name, a, b, self.lowerer.loc)

    def loop_static(self, carried, inits, yields):
        """The carried names whose value is a function on entry or after an
        iteration: a loop cannot carry those."""
        return [n for n, i, y in zip(carried, inits, yields) if is_static(i) or is_static(y)]

    def enter_loop_static(self, env, static, loc):
        """Inside the loop, a static name is the function from before the loop
        in the first iteration and another one later: reading it before it is
        set again is an error."""
        for n in static:
            env[n] = Poison(n, loc, "it is set again in the loop, so it changes "
                                    "from one iteration to the next",
                            "set it before each use in the loop body")

    def leave_loop_static(self, env, static, outer_env, body_env, loc):
        for n in static:
            before, after = outer_env.get(n), body_env.get(n)
            if before is not None and same_value(before, after):
                env[n] = before
            elif before is None and self.made_here(after):
                # def g(...) in the loop body: the same function in every
                # iteration (it reads the variables when it is called)
                env[n] = after
            else:
                env[n] = Poison(n, loc, "it is set in a loop, and which function it "
                                        "holds after the loop depends on how many times "
                                        "the loop ran",
                                "call it inside the loop, or set it after the loop")

    def made_here(self, v):
        """A closure of this frame whose defaults are constants: the same
        function wherever in the frame it is made."""
        return isinstance(v, Closure) and v.frame is self.frame and \
            all(not isinstance(d, Value) for d in list(v.defaults) + list(v.kwdefaults.values()))

    def fold_compare(self, op, a, b):
        """A comparison known when compiling: of a function value, or of two
        constants in an inlined call (``get_activation("tanh")``); the
        function's own comparisons of constants are left to the passes."""
        if self.inlining or is_static(a) or is_static(b):
            return fold_compare(op, a, b)
        return None

    # -- parameters with a function as default ------------------------------------------
    def static_parameters(self, params):
        """``def f(x, reduce=np.sum)``: the default is resolved when compiling,
        and the generated code checks that no other function is passed."""
        low = self.lowerer
        used = None  # (the whole function read only when a default is a function)
        for p in params:
            d = p.default
            if not (isinstance(d, Const) and is_function_object(d.value)):
                continue
            if used is None:
                used = used_as_functions(low.info.node, low.info.globals)
            if p.value.hint not in used:
                continue
            g = constant(d.value, low.info)
            pname = p.value.hint
            same = low.emit("compare", [p.value, g], "c", op="is").result
            msg = (f"s2sad compiled {low.info.node.name}() with {pname}={g.name}, its "
                   f"default: functions are resolved when s2sad compiles. To pass "
                   f"another function, differentiate a function that calls "
                   f"{low.info.node.name}(..., {pname}=that_function)")

            def fail(msg=msg):
                exc = low.emit("call", [Global("TypeError", TypeError), Const(msg)],
                               "error").result
                low.emit("raise", [exc], nresults=0)
                low.dead = "raise"

            low.branch(same, lambda: None, fail)
            low.env[pname] = g

    # -- calls -----------------------------------------------------------------------------
    def call(self, node, func, args, attrs, hint):
        """Lower a call whose callee or arguments are function values; returns
        NOT_HANDLED for any other call."""
        if isinstance(func, (Poison, StaticSeq)):
            self.refuse(node.func, func, "as a function")
        if isinstance(func, Closure):
            return self.call_closure(node, func, args, attrs, hint)
        if isinstance(func, Global) and isinstance(func.obj, functools.partial):
            info = self.lowerer.info  # a partial object defined at module level
            func = Partial(constant(func.obj.func, info),
                           [constant(a, info) for a in func.obj.args],
                           {k: constant(v, info) for k, v in func.obj.keywords.items()})
        if isinstance(func, Partial):
            return self.call_partial(node, func, args, attrs, hint)
        if isinstance(func, Global) and func.obj is functools.partial and args and \
                is_callable_static(args[0]) and not attrs.get("star") and \
                not attrs.get("dstar"):
            kw = attrs.get("kw", ())
            npos = len(args) - len(kw)
            return Partial(args[0], args[1:npos], dict(zip(kw, args[npos:])))
        if isinstance(func, Global):
            done = self.builtin(node, func.obj, args, attrs, hint)
            if done is not NOT_HANDLED:
                return done
            helper = self.helper(func.obj)
            if helper is not None and (any(is_static(a) for a in args) or (
                    self.handles_functions(helper) and not self.recursive(helper))):
                return self.inline_helper(node, helper, args, attrs, hint)
        for a, n in zip(args, argument_nodes(node)):
            if is_compile_time(a):
                self.refuse(n, a, "as an argument of this call")
        return NOT_HANDLED

    def call_partial(self, node, p, args, attrs, hint):
        """``g(*args)`` where ``g = functools.partial(fn, *pargs, **pkw)``."""
        if attrs.get("star") or attrs.get("dstar"):
            raise self.lowerer.error(node, "cannot call a partial function with *args or "
                                           "**kwargs here", "pass the arguments one by one")
        kw = attrs.get("kw", ())
        npos = len(args) - len(kw)
        keywords = dict(p.keywords)
        keywords.update(zip(kw, args[npos:]))
        full = p.args + list(args[:npos]) + list(keywords.values())
        full_attrs = {"kw": tuple(keywords)} if keywords else {}
        outer, self.through = self.through, partial_label(p)
        try:
            done = self.call(node, p.fn, full, full_attrs, hint)
        finally:
            self.through = outer
        if done is not NOT_HANDLED:
            return done
        outer, self.through = self.through, partial_label(p)
        try:  # at the call's own column, said as the partial it is called through
            return self.lowerer.emit_call(node, "call", [p.fn] + full, hint or "t",
                                          hint is not None, **full_attrs)
        finally:
            self.through = outer

    def helper(self, obj):
        """The user's own function a call calls, if s2sad can inline it."""
        f = see_through(obj)
        if isinstance(f, FileFunction):
            return f
        if not isinstance(f, types.FunctionType) or \
                (f.__module__ or "").startswith(("numpy", "s2sad.", "scipy")):
            return None
        if lookup(obj) is not None or lookup(f) is not None:
            return None  # it has a rule of its own
        return f

    def recursive(self, f):
        """Whether ``f`` is being lowered already (it calls itself): with no
        function argument, the call is an ordinary one."""
        if isinstance(f, FileFunction):
            return f.info is self.root or any(x is f for x in self.inlining)
        root = self.root.func
        return any(x is f for x in self.inlining) or f is root or \
            (root is not None and see_through(root) is f)

    def handles_functions(self, f):
        """Whether the helper ``f`` makes or returns a function, or calls one of
        its parameters (``def run(x, transform=None)``): its calls are inlined,
        so that those are known when compiling."""
        if f not in self.makes_functions:
            try:
                info = f.info if isinstance(f, FileFunction) else get_source_info(f)
                self.makes_functions[f] = defines_functions(info.node, info.globals)
            except Exception:
                self.makes_functions[f] = False
        return self.makes_functions[f]

    def bind(self, node, label, params, args, attrs, defaults, kwdefaults, kwonly=()):
        """The value of each parameter at the call ``node``."""
        low = self.lowerer
        if attrs.get("star") or attrs.get("dstar"):
            raise low.error(node, f"cannot call {label}() with *args or **kwargs here",
                            "pass the arguments one by one")
        kw = attrs.get("kw", ())
        npos = len(args) - len(kw)
        if npos > len(params):
            raise low.error(node, f"{label}() takes {len(params)} positional arguments "
                                  f"but {npos} were given", "pass as many as it takes")
        through = f" (called as {self.through})" if self.through else ""
        bound = dict(zip(params, args[:npos]))
        for k, v in zip(kw, args[npos:]):
            if k not in params and k not in kwonly:
                raise low.error(node, f"{label}() got an unexpected keyword argument "
                                      f"{k!r}{through}", "pass the arguments it takes")
            if k in bound:  # Python's TypeError
                hint = "pass each argument once"
                if self.through:
                    hint = (f"functools.partial fixed {k} by keyword, and the call's "
                            f"positional arguments fill {label}'s parameters from the "
                            f"first ({', '.join(params[:npos])}): pass the others by "
                            f"keyword, or fix {k} by position")
                raise low.error(node, f"{label}() got multiple values for argument "
                                      f"{k!r}{through}", hint)
            bound[k] = v
        for p, d in zip(params[len(params) - len(defaults):], defaults):
            bound.setdefault(p, d)
        for p, d in kwdefaults.items():
            bound.setdefault(p, d)
        missing = [p for p in list(params) + list(kwonly) if p not in bound]
        if missing:
            raise low.error(node, f"{label}() is missing arguments: "
                                  f"{', '.join(missing)}{through}", "pass every argument")
        for p, v in bound.items():
            if isinstance(v, Closure) and v.name is None:
                v.name = p  # a lambda passed as fn is named fn in what it computes
        return bound

    def call_closure(self, node, clo, args, attrs, hint):
        low = self.lowerer
        if any(n is clo.node for n in self.inlining):
            raise low.error(node, f"the nested function {clo.label!r} calls itself",
                            "define a recursive function at module level")
        kwonly = [p.id for p in clo.node.args.kwonlyargs]
        bound = self.bind(node, clo.label, clo.params, args, attrs, clo.defaults,
                          clo.kwdefaults, kwonly)
        home = clo.frame
        captured, home_locals = (low.env, low.locals) if home is self.frame else \
            (home.env, home.locals)
        env = {k: v for k, v in captured.items() if not k.startswith(".")}
        env.update(bound)
        frame = Frame(home.info, home_locals | function_locals(clo.node))
        return self.run(clo.node, frame, env, clo.body(), clo.label, hint)

    def inline_helper(self, node, f, args, attrs, hint):
        """A call of the user's module-level function ``f`` that takes or
        returns a function: its body is lowered here, in its own globals."""
        low = self.lowerer
        if any(x is f for x in self.inlining):
            raise low.error(node, f"{f.__name__}() calls itself with a function value "
                                  "(s2sad inlines functions that take or return functions)",
                            "pass the function to a non-recursive helper, or write the "
                            "recursion as a loop")
        if isinstance(f, FileFunction):
            info = f.info
            dvals = [default_value(info, d) for d in info.node.args.defaults]
            kwvals = {a.id: default_value(info, d) for a, d in
                      zip(info.node.args.kwonlyargs, info.node.args.kw_defaults)
                      if d is not None}
        else:
            info = get_source_info(f)
            dvals = list(f.__defaults__ or ())
            kwvals = dict(f.__kwdefaults__ or {})
        # what its body reads of free names is read by the function being lowered
        info = dataclasses.replace(info, bindings=self.root.bindings)
        fdef = info.node
        a = fdef.args
        if a.vararg or a.kwarg:
            raise low.error(node, f"cannot inline {fdef.name}(), which takes *args or "
                                  "**kwargs, to pass it a function",
                            "give it plain parameters")
        params = [p.id for p in list(a.posonlyargs) + list(a.args)]
        defaults = [constant(d, info) for d in dvals]
        kwdefaults = {k: constant(v, info) for k, v in kwvals.items()}
        bound = self.bind(node, fdef.name, params, args, attrs, defaults, kwdefaults,
                          [p.id for p in a.kwonlyargs])
        body = list(fdef.body)
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant):
            body = body[1:]  # the docstring
        frame = Frame(info, local_names(fdef))
        return self.run(f, frame, dict(bound), body, fdef.name, hint)

    def run(self, key, frame, env, body, label, hint):
        """Lower ``body`` as the invocation ``frame`` with variables ``env``;
        returns what it returns."""
        low = self.lowerer
        if not body or not always_exits(body):
            synthetic = gast.Return(value=None)
            gast.copy_location(synthetic, body[-1] if body else low.info.node)
            body = body + [synthetic]
        caller = self.frame
        saved = (low.env, low.locals, low.dead, low.info, low.ret_hint, low.loc,
                 low.names.hints.get(".retval"))
        caller.env, caller.locals = low.env, low.locals
        out = hint or f"{label}_out"
        env[".ret"] = Const(False)
        low.env, low.locals, low.dead, low.info = env, set(frame.locals), None, frame.info
        low.ret_hint = low.names.hints[".retval"] = out
        self.frame = frame
        self.inlining.append(key)
        try:
            low.lower_stmts(body)
            result = low.env.get(".retval", Const(None))
            if isinstance(result, Closure) and result.name is None:
                result.name = label  # make_poly(2.0)(x) computes make_poly_out
            frame.env, frame.locals = low.env, low.locals
        finally:
            self.inlining.pop()
            self.frame = caller
            (low.env, low.locals, low.dead, low.info, low.ret_hint, low.loc,
             low.names.hints[".retval"]) = saved
        return result

    # -- containers of functions --------------------------------------------------------
    def subscript(self, node, base, idx_args, template):
        """``fns[0]``, ``table["sin"]``: an entry of a container of functions."""
        if not isinstance(base, StaticSeq):
            if isinstance(base, (Poison, Closure)):
                self.refuse(node.value, base, "as a container")
            return None
        key = idx_args[0] if len(idx_args) == 1 and template[0] == "val" else None
        if not isinstance(key, Const):
            raise self.lowerer.error(node.slice, "a container of functions can only be "
                                                 "indexed by a constant",
                                     "iterate over it with a for loop, or index it "
                                     "with a literal")
        try:
            if base.kind == "dict":
                return base.items[[k.value for k in base.keys].index(key.value)]
            return base.items[key.value]
        except (ValueError, IndexError, TypeError):
            raise self.lowerer.error(node, f"{key.value!r} is not in this container of "
                                           "functions", "index it with one of its keys")

    def method(self, node, base, attr):
        """``table.items()`` / ``.values()`` / ``.keys()`` of a dict of functions."""
        if not is_compile_time(base):
            return None
        if isinstance(base, StaticSeq) and base.kind == "dict" and not node.args and \
                not node.keywords and attr in ("items", "values", "keys"):
            if attr == "keys":
                return StaticSeq("list", list(base.keys))
            if attr == "values":
                return StaticSeq("list", list(base.items))
            return StaticSeq("list", [StaticSeq("tuple", [k, v])
                                      for k, v in zip(base.keys, base.items)])
        self.refuse(node.func, base, f"with .{attr}()")

    def iterate(self, s, it):
        """A for loop over a container of functions is unrolled; returns whether
        it was."""
        if not is_compile_time(it):
            return False
        if not isinstance(it, StaticSeq):
            self.refuse(s.iter, it, "as the iterable of a for loop")
        self.unroll(s, it)
        return True

    def unroll(self, s, seq):
        """``for fn in [np.sin, lambda t: t * t]: ...``: one copy of the body per
        entry (the function differs from one iteration to the next)."""
        low = self.lowerer
        items = list(seq.keys) if seq.kind == "dict" else list(seq.items)
        outer_brk, outer_cont = low.env.get(".brk"), low.env.get(".cont")
        low.env[".brk"] = Const(False)

        def iteration(k):
            if k == len(items):
                return
            low.env[".cont"] = Const(False)
            low.assign(s.target, items[k], copy=False)
            low.lower_stmts(s.body)
            low.dead = None
            stop = low.flag_test({"break", "return"})
            if isinstance(stop, Const):
                if not stop.value:
                    iteration(k + 1)
                return
            low.branch(stop, lambda: None, lambda: iteration(k + 1))

        iteration(0)
        low.dead = None
        for flag, outer in ((".cont", outer_cont),):
            if outer is None:
                low.env.pop(flag, None)
            else:
                low.env[flag] = outer
        if s.orelse:
            low.after_loop_else(s.orelse, outer_brk, any(
                isinstance(n, gast.Return) for b in s.body for n in gast.walk(b)))
        elif outer_brk is None:
            low.env.pop(".brk", None)
        else:
            low.env[".brk"] = outer_brk


def used_as_functions(fnode, globals_):
    """The names a function calls, passes as ``key=``, passes to map, filter
    or reduce, or passes to one of the user's own functions."""
    out = set()
    for n in gast.walk(fnode):
        if not isinstance(n, gast.Call):
            continue
        f = n.func
        if isinstance(f, gast.Name):
            out.add(f.id)
        callee = f.id if isinstance(f, gast.Name) else f.attr if isinstance(
            f, gast.Attribute) else None
        args = [k.value for k in n.keywords if k.arg == "key"]
        if callee in ("map", "filter", "reduce") and n.args:
            args.append(n.args[0])
        obj = globals_.get(callee) if isinstance(f, gast.Name) else None
        if isinstance(obj, types.FunctionType) and \
                not (obj.__module__ or "").startswith(("numpy", "s2sad")):
            args.extend(n.args)
            args.extend(k.value for k in n.keywords)
        out.update(a.id for a in args if isinstance(a, gast.Name))
    return out


def argument_nodes(node):
    """The nodes of a call's arguments, in the order of ``call_args``' operands."""
    pos = [a.value if isinstance(a, gast.Starred) else a for a in node.args]
    return pos + [k.value for k in node.keywords if k.arg is None] + \
        [k.value for k in node.keywords if k.arg is not None]


def partial_label(p):
    """``functools.partial(base, 2.0, y=...)``: a partial in messages."""
    fn = p.fn
    name = getattr(fn, "label", None) or getattr(fn, "name", None) or \
        getattr(getattr(fn, "obj", None), "__name__", None) or "f"
    parts = [name] + ["..."] * len(p.args) + [f"{k}=..." for k in p.keywords]
    return f"functools.partial({', '.join(parts)})"
