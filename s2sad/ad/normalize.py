"""Methods that take their shape as separate arguments (``x.reshape(2, 3)``)
rewritten to take one tuple (``x.reshape((2, 3))``), as the NumPy function their
rule is written for does, and calls with more arguments than a rule names
(``max(a, b, c)``) given the extra ones as one tuple (``max(a, b, *rest)``).
Changes the block it is given: the transforms run it on their own copy of the
primal."""
import inspect

from ..ir.nodes import Global, Prim, Value
from ..rules.methods import SHAPE_VARARGS
from ..rules.registry import lookup


def normalize_methods(block):
    """Give shape-taking methods one tuple argument, in place."""
    new_ops = []
    for op in block.ops:
        if isinstance(op, Prim) and op.kind == "callmethod" and \
                op.attrs["method"] in SHAPE_VARARGS and not op.attrs.get("kw") and \
                not op.attrs.get("star") and len(op.args) > 2:
            shape = Prim("build", op.args[1:], [Value("shape")], {"type": "tuple"}, op.loc)
            new_ops.append(shape)
            op.args = [op.args[0], shape.results[0]]
        fixed = _fixed_arity(op)
        if fixed is not None:
            # math.hypot(x, y, z) -> rest = (z,); math.hypot(x, y, *rest), for a rule
            # written as hypot(x, y, *rest): the extra arguments are one tuple
            rest = Prim("build", op.args[1 + fixed:], [Value("rest")], {"type": "tuple"}, op.loc)
            new_ops.append(rest)
            op.args = op.args[:1 + fixed] + [rest.results[0]]
            op.attrs["star"] = (1 + fixed,)
        new_ops.append(op)
        for b in op.blocks():
            normalize_methods(b)
    block.ops = new_ops


def _fixed_arity(op):
    """For a call of a primitive whose rule takes ``*rest``, with more positional
    arguments than the rule's named ones: how many it names (else None)."""
    if not (isinstance(op, Prim) and op.kind == "call" and isinstance(op.args[0], Global)) or \
            op.attrs.get("kw") or op.attrs.get("star") or op.attrs.get("dstar"):
        return None
    rule = lookup(op.args[0].obj)
    fn = rule and (rule.jvp or rule.vjp)
    if fn is None:
        return None
    params = list(inspect.signature(fn).parameters.values())
    if not any(p.kind == p.VAR_POSITIONAL for p in params):
        return None
    fixed = sum(p.kind == p.POSITIONAL_OR_KEYWORD and p.name != "ans" for p in params)
    return fixed if len(op.args) - 1 > fixed else None
