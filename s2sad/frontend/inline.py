"""Nested functions, inlined where they are called.

The IR has no closures.  A nested ``def`` that is only ever called directly
needs none: its body is lowered in place at each call, reading the enclosing
variables as they are at the call, as Python's late-binding closures do.
"""
import gast

from ..ir.nodes import Const
from .syntax import UNSUPPORTED, always_exits, local_names


class NestedFunctions:
    """The nested ``def``s of the function a :class:`~.lower.Lowerer` lowers,
    and the inlining of their calls in the lowerer's current block."""

    def __init__(self, lowerer):
        self.lowerer = lowerer
        self.defs = {}      # name -> (the def, its lowered default values)
        self.inlining = []  # the calls being inlined, innermost last

    def __contains__(self, name):
        return name in self.defs

    def define(self, s):
        """A nested ``def``: its defaults are evaluated here, its body at each call."""
        low = self.lowerer
        if s.decorator_list or s.args.vararg or s.args.kwarg or s.args.kwonlyargs or \
                s.args.posonlyargs or not only_called(low.info.node, s.name):
            raise low.error(s, "'def (nested function)' is supported only when it is "
                               "called directly and has plain parameters",
                            UNSUPPORTED["FunctionDef"])
        defaults = [low.expr(d) for d in s.args.defaults]
        self.defs[s.name] = (s, defaults)

    def inline_call(self, node, hint):
        """Lower the call ``node`` of a nested function; returns its result."""
        fdef, defaults = self.defs[node.func.id]
        bound = self.bind_arguments(node, fdef, defaults)
        low = self.lowerer
        saved = (low.env, set(low.locals), low.dead, low.names.hints.get(".retval"))
        env = {k: v for k, v in low.env.items() if not k.startswith(".")}
        env.update(bound)
        env[".ret"] = Const(False)
        low.env, low.dead = env, None
        low.locals |= local_names(fdef)
        low.names.hints[".retval"] = hint or f"{fdef.name}_out"
        body = list(fdef.body)
        if not always_exits(body):
            synthetic = gast.Return(value=None)
            gast.copy_location(synthetic, body[-1])
            body.append(synthetic)
        self.inlining.append(fdef.name)
        try:
            low.lower_stmts(body)
            result = low.env.get(".retval", Const(None))
        finally:
            self.inlining.pop()
            low.env, low.locals, low.dead, low.names.hints[".retval"] = saved
        return result

    def bind_arguments(self, node, fdef, defaults):
        """The value of each parameter of ``fdef`` at the call ``node``."""
        low = self.lowerer
        if fdef.name in self.inlining:
            raise low.error(node, f"the nested function {fdef.name!r} calls itself",
                            "define a recursive function at module level")
        if any(isinstance(a, gast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            raise low.error(node, "cannot call a nested function with *args or **kwargs",
                            "pass the arguments one by one")
        names = [a.id for a in fdef.args.args]
        bound = dict(zip(names, [low.expr(a) for a in node.args]))
        for k in node.keywords:
            bound[k.arg] = low.expr(k.value)
        for name, d in zip(names[len(names) - len(defaults):], defaults):
            bound.setdefault(name, d)
        missing = [n for n in names if n not in bound]
        if missing:
            raise low.error(node, f"{fdef.name}() is missing arguments: {', '.join(missing)}",
                            "pass every argument")
        return bound


def only_called(fdef, name):
    """Whether every use of ``name`` in the function is a direct call."""
    called = set()
    for n in gast.walk(fdef):
        if isinstance(n, gast.Call) and isinstance(n.func, gast.Name) and n.func.id == name:
            called.add(id(n.func))
    return all(id(n) in called for n in gast.walk(fdef)
               if isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load))
