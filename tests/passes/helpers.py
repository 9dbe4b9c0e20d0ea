"""Building IR from source text, running it, and counting its ops, for the
pass tests."""
import math

import numpy as np

import s2sad
from s2sad.ir.kinds import infer_kinds, kind_of_object
from s2sad.compiler import ssa_ir
from s2sad.backend.compile import compile_function
from s2sad.backend.emit import emit_function
from s2sad.ir.nodes import Prim
from s2sad.ir.verify import verify


def ir(source, **names):
    """The SSA IR of the function ``source`` defines (np and math are bound)."""
    g = {"np": np, "math": math}
    g.update(names)
    return ssa_ir(s2sad.from_source(source, globals=g))


def kinds(fn, *args):
    """Kinds of fn's values for example arguments."""
    params = [p for p in fn.params if p.kind == "positional"]
    return infer_kinds(fn, {p.value: kind_of_object(a) for p, a in zip(params, args)})


def source(fn):
    return emit_function(verify(fn), inline=True)[0]


def run(fn, *args):
    src, ns = emit_function(verify(fn), inline=True)
    return compile_function(src, fn.name, ns, "test")(*args)


def prims(fn, kind=None, op=None):
    """The primitives of fn (of one kind / operator)."""
    return [o for o in fn.walk() if isinstance(o, Prim) and (kind is None or o.kind == kind)
            and (op is None or o.attrs.get("op") == op)]


def calls(fn, obj):
    return [o for o in prims(fn, "call") if getattr(o.args[0], "obj", None) is obj]
