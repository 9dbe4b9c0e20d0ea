"""Methods that take their shape as separate arguments (``x.reshape(2, 3)``)
rewritten to take one tuple (``x.reshape((2, 3))``), as the NumPy function their
rule is written for does.  Changes the block it is given: the transforms run it
on their own copy of the primal."""
from ..ir.nodes import Prim, Value
from ..rules.methods import SHAPE_VARARGS


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
        new_ops.append(op)
        for b in op.blocks():
            normalize_methods(b)
    block.ops = new_ops
