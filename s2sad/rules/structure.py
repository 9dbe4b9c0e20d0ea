"""The structural primitives: copies, literals (``build``), unpacking,
subscripts, attributes, element and attribute writes, and the list methods the
transforms know.

Their facts are declared here, once, in the same registry as every other
primitive's: which are pure, which write into their first operand.  Their
derivative rules work on structure rather than numbers (an index template, a
list of entry adjoints, a dict of attribute adjoints), so they build IR; they
live in :mod:`s2sad.ad.structure` and are attached to these same entries.
"""
import warnings

from .registry import structural

PURE = ("binop", "unary", "compare", "getattr", "getitem", "build", "copy", "fstring",
        "unpack")
WRITES = ("setitem", "augsetitem", "setattr", "augsetattr")

for _kind in PURE:
    structural(_kind).pure = True
for _kind in WRITES:
    structural(_kind).writes = True

#: Methods that change the object they are called on, as the front end sees a
#: statement ``xs.append(v)``: the name ``xs`` is then written.
MUTATING_METHODS = frozenset({"append", "extend", "insert", "add", "update"})

#: List methods whose effects stay inside the list.
LIST_METHODS = frozenset({"append", "pop", "extend", "insert", "clear", "reverse", "sort",
                          "remove"})

#: The ops that bracket a kept with-block (s2sad/frontend/contexts.py): no
#: results, no effect on values, never moved or dropped.
CONTEXT_OPS = frozenset({"with_enter", "with_exit"})

#: Calls inside a kept with-block that configure it, replayed in the with-block
#: reverse mode puts around the adjoint of the block.
CONFIGURING = (warnings.simplefilter, warnings.filterwarnings)


def is_context_op(op) -> bool:
    return getattr(op, "kind", None) in CONTEXT_OPS


def configures(op) -> bool:
    """A call that sets up a kept with-block (``warnings.simplefilter("ignore")``)."""
    if getattr(op, "kind", None) != "call" or not op.args:
        return False
    obj = getattr(op.args[0], "obj", None)
    return any(obj is c for c in CONFIGURING)
