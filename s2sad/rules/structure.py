"""The structural primitives: copies, literals (``build``), unpacking,
subscripts, attributes, element and attribute writes, and the list methods the
transforms know.

Their facts are declared here, once, in the same registry as every other
primitive's: which are pure, which write into their first operand.  Their
derivative rules work on structure rather than numbers (an index template, a
list of entry adjoints, a dict of attribute adjoints), so they build IR; they
live in :mod:`s2sad.ad.structure` and are attached to these same entries.
"""
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
