"""The intermediate representation: three-address SSA with structured control flow.

Everything between the front end and the emitter is a transformation of these
objects.  The shape follows MLIR's ``scf`` dialect:

* a :class:`Value` is defined exactly once, by one op (or as a parameter, a loop
  item or a region argument) and is never reassigned;
* an :class:`Operand` is a :class:`Value`, a :class:`Const`, a :class:`Global`
  (a free name resolved to an object) or :data:`UNDEF` (a variable that has no
  value on some path, as Python's unbound locals);
* :class:`Prim` applies one primitive operation to operands;
* :class:`If`, :class:`For` and :class:`While` own :class:`Block` regions.  A block
  ends by *yielding* operands; the op's ``results`` receive them.  Loops carry
  values explicitly: ``args`` are defined at the top of every iteration, start
  as ``inits`` and take the body's yields for the next iteration.  ``break`` is
  the loop's ``brk`` operand (evaluated at the end of the body); ``continue`` and
  ``return`` are rewritten into flags by the front end.

Storage (which Python variable holds which value) is not part of the IR: the
emitter chooses it, so passes only ever reason about values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union


class Value:
    """An SSA value.  ``hint`` is the user's variable name or a description."""

    __slots__ = ("hint", "user", "type", "__weakref__")

    def __init__(self, hint: str = "t", user: bool = False, type: Any = None):
        self.hint = hint
        self.user = user  # True when the hint is a name the user wrote
        self.type = type  # filled in by analyses; None means unknown

    def __repr__(self):
        return f"<Value {self.hint}@{id(self) & 0xFFFF:x}>"


class Const:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return (isinstance(other, Const) and type(self.value) is type(other.value)
                and _same(self.value, other.value))

    def __hash__(self):
        try:
            return hash((type(self.value), self.value))
        except TypeError:
            return id(self.value)

    def __repr__(self):
        return f"Const({self.value!r})"


def _same(a, b):
    try:
        return bool(a == b) and not (isinstance(a, float) and a != a)
    except Exception:
        return a is b


class Global:
    """A free name of the user's function, resolved to the object it denotes."""

    __slots__ = ("name", "obj", "root")

    def __init__(self, name: str, obj: Any, root: Any = None):
        self.name = name  # dotted for module attributes: "np.sin"
        self.obj = obj
        self.root = obj if root is None and "." not in name else root  # what the first part names

    def __eq__(self, other):
        return isinstance(other, Global) and self.obj is other.obj and self.name == other.name

    def __hash__(self):
        return hash((self.name, id(self.obj)))

    def __repr__(self):
        return f"Global({self.name})"


class _Undef:
    """The value of a variable on a path where Python would say it is unbound."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "UNDEF"


UNDEF = _Undef()

MISSING = object()  # the object of a free name bound nowhere (resolved at call time: an error)

Operand = Union[Value, Const, Global, _Undef]


@dataclass
class Loc:
    """Where an op came from: enough to print ``file:line:col`` and the line."""

    filename: str
    lineno: int
    col: int
    text: str  # the whole source line (or statement), stripped


# ---------------------------------------------------------------------------
# Index templates for subscripts: the structure of ``x[1:n, None, ...]`` with
# leaves that point at the op's operands by position.
#   ("val", k)                        operand k
#   ("slice", k_lo, k_hi, k_step)     each a position or None
#   ("tuple", (template, ...))
# ---------------------------------------------------------------------------
IndexTemplate = Tuple


def shift_index(template, k):
    """An index template with its operand positions moved ``k`` places on."""
    kind = template[0]
    if kind == "val":
        return ("val", template[1] + k)
    if kind == "slice":
        return ("slice",) + tuple(None if p is None else p + k for p in template[1:])
    return ("tuple", tuple(shift_index(t, k) for t in template[1]))


class Op:
    __slots__ = ()
    results: List[Value]
    loc: Optional[Loc]

    def operands(self) -> List[Operand]:
        """Operands read by the op itself (not by its regions)."""
        raise NotImplementedError

    def replace_operands(self, fn) -> None:
        raise NotImplementedError

    def blocks(self) -> List["Block"]:
        return []

    def defined_here(self) -> List[Value]:
        """Values this op defines at the top of its regions (loop items, args)."""
        return []


class Prim(Op):
    """One primitive operation.

    kinds and their operands:
      binop    (a, b)              attrs op: '+', '*', '@', ...
      unary    (a,)                attrs op: '-', '+', 'not', '~'
      compare  (a, b)              attrs op: '<', '==', 'is', 'in', ...
      call     (func, *args)       attrs kw: names of the trailing keyword args,
                                   star: positions (in args) passed with ``*``,
                                   dstar: positions passed with ``**``
      getattr  (obj,)              attrs attr
      getitem  (obj, *idx)         attrs index: IndexTemplate over positions 1..
      setitem  (obj, value, *idx)  result: obj after the write (same object)
      setattr  (obj, value)        attrs attr; result: obj after the write
      build    (*items)            attrs type: tuple/list/set/dict; star: positions
      unpack   (seq,)              several results; attrs star: position or None
      copy     (a,)
      fstring  (*values)           attrs parts: str | (position, conversion, spec)
      raise    (exc,) or ()        no results
    """

    # slots, not a dataclass's dict: primitives are made by the ten thousand
    __slots__ = ("kind", "args", "results", "attrs", "loc")

    def __init__(self, kind: str, args: List[Operand], results: Optional[List[Value]] = None,
                 attrs: Optional[Dict[str, Any]] = None, loc: Optional[Loc] = None):
        self.kind = kind
        self.args = args
        self.results = [] if results is None else results
        self.attrs = {} if attrs is None else attrs
        self.loc = loc

    def operands(self):
        return list(self.args)

    def replace_operands(self, fn):
        self.args = [fn(a) for a in self.args]

    @property
    def result(self) -> Value:
        assert len(self.results) == 1, self
        return self.results[0]

    def __repr__(self):
        return f"Prim({self.kind}, {self.args}, {self.attrs}) -> {self.results}"


@dataclass(eq=False)
class Block:
    ops: List[Op] = field(default_factory=list)
    yields: List[Operand] = field(default_factory=list)

    def walk(self) -> Iterator[Op]:
        """Every op of this block and of the regions nested in it, in order."""
        for op in self.ops:
            yield op
            if type(op) is not Prim:  # (a primitive has no regions)
                for b in op.blocks():
                    yield from b.walk()


@dataclass(eq=False)
class If(Op):
    cond: Operand
    then: Block
    orelse: Block
    results: List[Value] = field(default_factory=list)
    loc: Optional[Loc] = None

    def operands(self):
        return [self.cond]

    def replace_operands(self, fn):
        self.cond = fn(self.cond)

    def blocks(self):
        return [self.then, self.orelse]


@dataclass(eq=False)
class For(Op):
    """``for item in iter`` carrying ``args`` (initially ``inits``).

    The body yields the next values of ``args``; ``brk``, if set, is an operand
    of the body: when true the loop stops after this iteration (``break``).
    """

    iter: Operand
    item: Value
    args: List[Value]
    inits: List[Operand]
    body: Block
    results: List[Value] = field(default_factory=list)
    brk: Optional[Operand] = None
    loc: Optional[Loc] = None

    def operands(self):
        return [self.iter] + list(self.inits)

    def replace_operands(self, fn):
        self.iter = fn(self.iter)
        self.inits = [fn(a) for a in self.inits]

    def blocks(self):
        return [self.body]

    def defined_here(self):
        return [self.item] + list(self.args)


@dataclass(eq=False)
class While(Op):
    """``while`` carrying ``args``: ``cond`` yields one operand, the test."""

    args: List[Value]
    inits: List[Operand]
    cond: Block
    body: Block
    results: List[Value] = field(default_factory=list)
    brk: Optional[Operand] = None
    loc: Optional[Loc] = None

    def operands(self):
        return list(self.inits)

    def replace_operands(self, fn):
        self.inits = [fn(a) for a in self.inits]

    def blocks(self):
        return [self.cond, self.body]

    def defined_here(self):
        return list(self.args)


@dataclass(eq=False)
class Param:
    value: Value
    kind: str = "positional"  # positional | vararg | kwonly | kwarg
    default: Optional[Operand] = None
    posonly: bool = False


@dataclass(eq=False)
class Function:
    name: str
    params: List[Param]
    body: Block  # yields exactly one operand: the return value
    filename: str = "<unknown>"
    firstlineno: int = 1
    docstring: Optional[str] = None
    source: str = ""

    def walk(self) -> Iterator[Op]:
        return self.body.walk()

    @property
    def param_values(self) -> List[Value]:
        return [p.value for p in self.params]


def is_value(x) -> bool:
    return isinstance(x, Value)


def region_operands(op: Op) -> List[Operand]:
    """Operands read by an op's own fields that live inside its regions."""
    if isinstance(op, (For, While)) and op.brk is not None:
        return [op.brk]
    return []
