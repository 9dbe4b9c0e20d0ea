"""Random well-formed programs that alias, view and mutate memory, as Python source.

The memory-model fuzzer (``test_memory_fuzz.py``) differentiates these.  A
program is a function ``f`` of float scalars (``x0, ...``) and float arrays of
shape (4,) (``a0, ...``), preceded in its module by the mutating helpers it
calls.  Names have a *kind*: a scalar, an array of shape (4,), (3,), (2,) or
(2, 2), a list of scalars, or a loop index.  The grammar::

    program   := helper* "def f(" params "):" start stmt* write? return
    start     := (b "=" a ".copy()" | a "* 1.0" | "np.sin(" a ")")*      (copies to write)
               | b "= np.zeros(4)"  b "[1:3] =" x0          (when no array is passed)
    helper    := "def _scale_into(buf, v): buf *= v"
               | "def _set0(buf, v): buf[0] = v"
               | "def _axpy(buf, src, v): buf += v * src"
               | "def _push(lst, v): lst.append(v)"
    stmt      := scalar | owner | alias | view | write | list | rebind | if | for
    scalar    := s "=" sexpr | s "+=" sexpr                       (new or existing)
    owner     := b "=" ( arr ".copy()" | "np.zeros(" n | "(2, 2)" ")" | "np.zeros_like(" arr ")"
                       | fresh-aexpr )
               | b "= np.empty_like(" arr ")" followed at once by a full write
                 (np.copyto(b, e) or np.multiply(e, e, out=b))
    alias     := z "=" arr | z "= np.asarray(" arr ")" | z "=" z "=" (fresh | arr ".copy()")
    view      := v "=" view-expr [write through v]
    view-expr := arr "[" basic-slice "]" | arr ".T" | arr ".reshape(2, 2)" | arr ".reshape(4)"
               | arr ".ravel()" | arr "[" r "]" | arr "[:, " c "]" | "np.asarray(" arr ")"
               | arr ".reshape(2, 2)" ("[" r "]" | "[:, " c "]" | ".T")
                 (reshape and ravel of contiguous arrays only: elsewhere NumPy copies)
    write     := target op expr                         op in =, +=, -=, *=, /=
               | arr augop expr                         (in place on the whole array)
               | "np.copyto(" dst ", " expr ")"
               | "np.multiply(" e ", " e ", out=" dst ")" | "np.add(" e ", " e ", out=" dst ")"
               | arr ".fill(" sexpr ")" | "np.put(" arr ", [i, j], " expr ")"
               | "np.add.at(" arr ", [i, j, k], " expr ")"   (repeated indices)
               | "_scale_into(" dst ", " sexpr ")" | "_set0(" arr ", " sexpr ")"
               | "_axpy(" dst ", " e ", " sexpr ")"
    target    := arr "[" k "]" | arr "[" r ", " c "]" | arr "[" basic-slice "]"
               | arr "[:, " c "]"                       (k may be a loop index)
    dst       := arr | arr "[" basic-slice "]"          (a view made on the spot)
    list      := L "= [" sexpr, ... "]" | L ".append(" sexpr ")" | "_push(" L ", " sexpr ")"
               | s "=" L ".pop()" | L ".reverse()" | L "[" k "] =" sexpr
    rebind    := arr "=" fresh-aexpr                    (the name stops aliasing)
    if        := "if" sexpr (">" | "<") c ":" stmt+ ["else:" stmt+]
    for       := "for" i "in range(" K "):" stmt+ | "for" i "in (0, ..., K - 1,):" stmt+
    return    := "return" sexpr | "return" sexpr ", " arr | "return" arr

Expressions (``sexpr`` of scalars, ``aexpr`` of a given shape) are built
from ``np.sin``, ``np.cos``, ``np.tanh``, ``np.arctan``, ``exp`` of a bounded
argument, ``log(e * e + 1)``, ``sqrt(e * e + 1)``, ``+``, ``-``, ``*``,
``/ (1 + e * e)``, ``** 2``, reductions (``np.sum``, ``np.mean``, ``np.dot``),
element reads of arrays (``b[k]``, ``m[r, c]``) and lists (``L[k]``), and reads
of slices made on the spot.  A divisor is always ``1.0 + e * e``.

The generator tracks, for every array name, the memory it stands for (which
names share a buffer), whether it may be written and whether it is contiguous,
so that every program it emits is one whose aliasing is decided statically by
the rules of issue 12:

* the caller's arrays are never written: a parameter array, its aliases and its
  views are read only (a parameter *rebound* to a fresh array may be written);
  ``check_grads`` runs the plain function on its own copy of the arguments,
  and a write into a parameter is covered by ``tests/frontend/test_memory_model.py``;
* inside an ``if`` or ``for`` block, new names (aliases, views, written
  through at once) are local to the block, and an outer array name is rebound
  (to a fresh array) only when no other name shares its buffer: which names
  share memory never depends on the path taken;
* a list changes length only outside ``if`` blocks (``append`` in a ``for``
  with a known trip count is fine), so every ``L[k]`` is in range;
* ``reshape`` and ``ravel`` are applied only where they return views;
* every program writes into an array at least once, and its return reads every
  array written at the top level (``np.sum(b * b)``, ...), so writes are seen.

So an S2sadError on any of these programs is a failure.  With
``ambiguous=True`` the generator may also emit a *branch-dependent alias*
(``if t: z = y`` / ``else: z = w``, then writes through ``z``): Python defines
it, but an analysis may refuse it; such programs carry the label in
``Program.may_refuse`` and the lines involved in ``Program.ambiguous_lines``.

:meth:`Program.source` renders the module; ``instrument=True`` renders each
test ``e > c`` as ``_rec(e - c) > 0`` (as ``programs.py`` does), to see
whether a branch flips within the finite-difference steps.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import List, Optional, Tuple

import numpy as np

from .programs import Test

SIZE = 4
SCALAR_UNARY = ["np.sin", "np.cos", "np.tanh", "np.arctan", "math.sin", "math.cos",
                "math.tanh", "math.atan"]
ARRAY_UNARY = ["np.sin", "np.cos", "np.tanh", "np.arctan"]
SCALAR_WRAPPED = ["np.exp(np.sin({0}))", "np.log({0} * {0} + 1.0)", "np.sqrt({0} * {0} + 1.0)",
                  "math.exp(math.cos({0}))", "math.sqrt(1.0 + {0} * {0})"]
ARRAY_WRAPPED = ["np.exp(np.sin({0}))", "np.log({0} * {0} + 1.0)", "np.sqrt({0} * {0} + 1.0)",
                 "np.exp(np.tanh({0}))"]
BINARY = ["({0} + {1})", "({0} - {1})", "({0} * {1})", "({0} / (1.0 + {1} * {1}))"]
AUG_OPS = ["+=", "-=", "*=", "/="]
# the tags of statements that write into an array
WRITES = {f"{w} {op}" for w in ("element", "slice", "array") for op in
          ["=", "+=", "-=", "*=", "/="]} | {
    "np.copyto", "np.multiply out=", "np.add out=", "fill", "np.put", "np.add.at",
    "_scale_into", "_set0", "_axpy"}
ELEMENT_OPS = ["=", "+=", "-=", "*=", "/="]

HELPERS = {
    "_scale_into": "def _scale_into(buf, v):\n    buf *= v\n",
    "_set0": "def _set0(buf, v):\n    buf[0] = v\n",
    "_axpy": "def _axpy(buf, src, v):\n    buf += v * src\n",
    "_push": "def _push(lst, v):\n    lst.append(v)\n",
}

# basic slices of a 1-D array of each length: (text, length, keeps contiguity)
SLICES = {
    4: [("0:2", 2, True), ("1:3", 2, True), ("2:", 2, True), ("::2", 2, False),
        ("1::2", 2, False), ("1:", 3, True), (":3", 3, True), (":", 4, True)],
    3: [("1:", 2, True), (":2", 2, True), ("::2", 2, False), (":", 3, True)],
    2: [(":", 2, True)],
}


# ---------------------------------------------------------------------------
# The program
# ---------------------------------------------------------------------------
@dataclass
class Line:
    """One simple statement; ``tags`` say which constructs it uses (for the
    coverage test), ``ambiguous`` that it is part of a branch-dependent alias."""
    text: str
    tags: Tuple[str, ...] = ()
    ambiguous: bool = False


@dataclass
class IfStmt:
    test: Test
    then: List
    orelse: List
    ambiguous: bool = False


@dataclass
class ForStmt:
    var: str
    count: int
    body: List


@dataclass
class Return:
    value: str


@dataclass
class Program:
    scalars: List[str]
    arrays: List[str]
    body: List = field(default_factory=list)
    helpers: List[str] = field(default_factory=list)
    may_refuse: List[str] = field(default_factory=list)
    name: str = "f"
    ambiguous_lines: List[int] = field(default_factory=list)

    @property
    def params(self):
        return self.scalars + self.arrays

    def source(self, instrument=False) -> str:
        lines = []
        for h in sorted(set(self.helpers)):
            lines += HELPERS[h].rstrip("\n").split("\n")
            lines.append("")
            lines.append("")
        lines.append(f"def {self.name}({', '.join(self.params)}):")
        amb = []
        _render(self.body, 1, lines, instrument, amb)
        if not instrument:
            self.ambiguous_lines = amb
        return "\n".join(lines) + "\n"

    def tags(self):
        return _tags(self.body)


def _tags(stmts):
    """The constructs ``stmts`` use (Line tags, "if", "for")."""
    found = set()
    for s in stmts:
        if isinstance(s, Line):
            found.update(s.tags)
        elif isinstance(s, IfStmt):
            found.add("if")
            found |= _tags(s.then) | _tags(s.orelse)
        elif isinstance(s, ForStmt):
            found.add("for")
            found |= _tags(s.body)
    return found


def _render(stmts, depth, lines, instrument, amb):
    pad = "    " * depth
    if not stmts:
        lines.append(f"{pad}pass")
    for s in stmts:
        if isinstance(s, Line):
            lines.append(f"{pad}{s.text}")
            if s.ambiguous:
                amb.append(len(lines))
        elif isinstance(s, Return):
            lines.append(f"{pad}return {s.value}")
        elif isinstance(s, IfStmt):
            lines.append(f"{pad}if {s.test.render(instrument)}:")
            if s.ambiguous:
                amb.append(len(lines))
            _render(s.then, depth + 1, lines, instrument, amb)
            if s.orelse:
                lines.append(f"{pad}else:")
                _render(s.orelse, depth + 1, lines, instrument, amb)
        elif isinstance(s, ForStmt):
            # every other loop over a tuple: no op between the statement before
            # the loop and the loop itself (range(K) is a call of its own)
            over = f"range({s.count})" if s.count % 2 else \
                "(" + ", ".join(map(str, range(s.count))) + ",)"
            lines.append(f"{pad}for {s.var} in {over}:")
            _render(s.body, depth + 1, lines, instrument, amb)


# ---------------------------------------------------------------------------
# What the generator knows about each name
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Var:
    name: str
    kind: str  # "s" scalar, "a" array, "l" list of scalars, "i" loop index, "h" hidden
    shape: Tuple[int, ...] = ()
    buf: int = 0  # arrays: the memory; two names with one buf are one array (or views)
    writable: bool = False  # arrays: not the caller's memory
    contig: bool = True  # arrays: C-contiguous (so reshape and ravel are views)
    length: int = 0  # lists: elements known to be there
    bound: int = 0  # loop indices: range(bound)
    ambiguous: bool = False  # arrays: stands for one of two buffers, by a branch


def _set(env, var):
    """env with ``var`` replacing the entry of its name (or appended)."""
    for k, v in enumerate(env):
        if v.name == var.name:
            env[k] = var
            return
    env.append(var)


@dataclass
class Ctx:
    depth: int = 0
    top: bool = True
    in_if: bool = False


class Generator:
    """Draws a program; ``choose(list)``, ``integer(lo, hi)`` (inclusive) and
    ``real()`` (a float constant) make every choice (hypothesis ``draw`` calls in
    :func:`program_strategy`, or a ``random.Random``)."""

    def __init__(self, choose, integer, real, ambiguous=False):
        self.choose = choose
        self.integer = integer
        self.real = real
        self.ambiguous = ambiguous
        self.counter = 0
        self.buffers = 0
        self.helpers = []
        self.may_refuse = []

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def new_buffer(self):
        self.buffers += 1
        return self.buffers

    def chance(self, n):
        """True one time in n."""
        return self.integer(1, n) == 1

    # -- names --------------------------------------------------------------------
    @staticmethod
    def arrays(env, shape=None, writable=None):
        return [v for v in env if v.kind == "a" and (shape is None or v.shape == shape)
                and (writable is None or v.writable == writable)]

    @staticmethod
    def shares(env, var):
        """Another name (visible, or hidden behind a branch-dependent alias)
        stands for var's memory."""
        return any(v.buf == var.buf and v.name != var.name for v in env
                   if v.kind in ("a", "h")) or var.ambiguous

    # -- expressions --------------------------------------------------------------
    def index(self, env, n):
        """An index into a dimension of length n: a constant or a loop index
        whose range fits."""
        loops = [v.name for v in env if v.kind == "i" and v.bound <= n]
        if loops and self.chance(2):
            return self.choose(loops)
        return str(self.integer(0, n - 1))

    def element_read(self, env):
        v = self.choose(self.arrays(env))
        if len(v.shape) == 1:
            return f"{v.name}[{self.index(env, v.shape[0])}]"
        return f"{v.name}[{self.index(env, 2)}, {self.index(env, 2)}]"

    def scalar_leaf(self, env):
        names = [v.name for v in env if v.kind in ("s", "i")]
        lists = [v for v in env if v.kind == "l" and v.length > 0]
        r = self.integer(0, 5)
        if r == 0 or (not names and r < 3):
            return repr(self.real())
        if r <= 2 and names:
            return self.choose(names)
        if r == 3 and lists:
            lst = self.choose(lists)
            return f"{lst.name}[{self.index(env, lst.length)}]"
        return self.element_read(env)

    def array_reads(self, env, shape):
        """Expressions reading an array of this shape: names, and views made on
        the spot of names of other shapes."""
        out = [v.name for v in self.arrays(env, shape)]
        for v in self.arrays(env):
            if len(v.shape) == 1 and len(shape) == 1:
                out += [f"{v.name}[{s}]" for s, n, _ in SLICES[v.shape[0]]
                        if n == shape[0] and s != ":"]
            if v.shape == (4,) and shape == (2, 2):
                out.append(f"{v.name}.reshape(2, 2)")
            if v.shape == (2, 2) and shape == (4,):
                out.append(f"{v.name}.reshape(4)")
            if v.shape == (2, 2) and shape == (2,):
                out += [f"{v.name}[{self.integer(0, 1)}]", f"{v.name}[:, {self.integer(0, 1)}]"]
            if v.shape == (2, 2) and shape == (2, 2):
                out.append(f"{v.name}.T")
        return out

    def expr(self, env, shape, depth, fresh=False):
        """An expression of ``shape`` (None: a scalar).  ``fresh``: a new array,
        never a bare name or a view."""
        if not fresh and (depth <= 0 or self.chance(3)):
            if shape is None:
                return self.scalar_leaf(env)
            return self.choose(self.array_reads(env, shape))
        depth = max(depth, 1)
        forms = ["unary", "wrapped", "binary", "binary", "power"]
        if shape is None:
            forms += ["reduce", "reduce", "reduce"]
        else:
            forms += ["broadcast", "broadcast"]
        form = self.choose(forms)
        if form == "unary":
            f = self.choose(SCALAR_UNARY if shape is None else ARRAY_UNARY)
            return f"{f}({self.expr(env, shape, depth - 1)})"
        if form == "wrapped":
            w = self.choose(SCALAR_WRAPPED if shape is None else ARRAY_WRAPPED)
            return w.format(self.expr(env, shape, depth - 1))
        if form == "power":
            return f"({self.expr(env, shape, depth - 1)}) ** 2"
        if form == "binary":
            return self.choose(BINARY).format(self.expr(env, shape, depth - 1),
                                              self.expr(env, shape, depth - 1))
        if form == "broadcast":
            b = self.choose(BINARY)
            parts = [self.expr(env, shape, depth - 1), self.expr(env, None, depth - 1)]
            if self.chance(2) and not b.startswith("({0} /"):
                parts.reverse()
            return b.format(*parts)
        # reductions
        r = self.choose(["sum", "mean", "dot", "element"])
        if r == "element":
            return self.element_read(env)
        shape = self.choose([(4,), (3,), (2,), (2, 2)] if r != "dot" else [(4,), (3,), (2,)])
        a = self.expr(env, shape, depth - 1)
        if r == "dot":
            return f"np.dot({a}, {self.expr(env, shape, depth - 1)})"
        return f"np.{r}({a})"

    def value_for(self, env, shape, depth=2):
        """What may be stored into memory of ``shape``: a scalar (broadcast) or
        an array of that shape."""
        if shape == () or self.chance(2):
            return self.expr(env, None, depth)
        return self.expr(env, shape, depth)

    # -- targets ------------------------------------------------------------------
    def subscript_target(self, env, var):
        """(text, shape) of an element or basic slice of ``var`` to write."""
        n = var.name
        if len(var.shape) == 1:
            if self.chance(2):
                return f"{n}[{self.index(env, var.shape[0])}]", ()
            s, m, _ = self.choose(SLICES[var.shape[0]])
            return f"{n}[{s}]", (m,)
        r = self.integer(0, 3)
        if r == 0:
            return f"{n}[{self.index(env, 2)}, {self.index(env, 2)}]", ()
        if r == 1:
            return f"{n}[{self.index(env, 2)}]", (2,)
        if r == 2:
            return f"{n}[:, {self.integer(0, 1)}]", (2,)
        return f"{n}[:]", (2, 2)

    def destination(self, env, var):
        """(text, shape): ``var`` or a basic-slice view of it made on the spot."""
        if len(var.shape) == 1 and var.shape[0] > 2 and self.chance(3):
            s, m, _ = self.choose([x for x in SLICES[var.shape[0]] if x[1] >= 2])
            return f"{var.name}[{s}]", (m,)
        return var.name, var.shape

    # -- statements ---------------------------------------------------------------
    def write(self, env, var):
        """A statement that writes into ``var``'s memory: (text, tags, ambiguous)."""
        amb = var.ambiguous
        what = self.choose(["subscript", "subscript", "subscript", "inplace", "copyto",
                            "out", "fill", "put", "add.at", "helper"])
        if what in ("put", "add.at") and len(var.shape) != 1:
            what = "subscript"
        if what == "subscript":
            target, shape = self.subscript_target(env, var)
            op = self.choose(ELEMENT_OPS)
            value = self.value_for(env, shape)
            if op == "/=":
                value = f"(1.0 + {value} * {value})"
            tag = "element" if shape == () else "slice"
            return f"{target} {op} {value}", (f"{tag} {op}",), amb
        if what == "inplace":
            op = self.choose(AUG_OPS)
            value = self.value_for(env, var.shape)
            if op == "/=":
                value = f"(1.0 + {value} * {value})"
            return f"{var.name} {op} {value}", (f"array {op}",), amb
        if what == "copyto":
            dst, shape = self.destination(env, var)
            return f"np.copyto({dst}, {self.value_for(env, shape)})", ("np.copyto",), amb
        if what == "out":
            dst, shape = self.destination(env, var)
            ufunc = self.choose(["np.multiply", "np.add"])
            if self.chance(2):  # in place: the destination is an operand
                return (f"{ufunc}({dst}, {self.value_for(env, shape)}, out={dst})",
                        (f"{ufunc} out=",), amb)
            return (f"{ufunc}({self.expr(env, shape, 2)}, {self.value_for(env, shape)}, "
                    f"out={dst})", (f"{ufunc} out=",), amb)
        if what == "fill":
            return f"{var.name}.fill({self.expr(env, None, 2)})", ("fill",), amb
        if what == "put":
            n = var.shape[0]
            i = self.integer(0, n - 1)
            j = self.choose([k for k in range(n) if k != i])
            vals = self.value_for(env, (2,))
            return f"np.put({var.name}, [{i}, {j}], {vals})", ("np.put",), amb
        if what == "add.at":
            n = var.shape[0]
            idx = [self.integer(0, n - 1) for _ in range(3)]
            if self.chance(2):
                idx[2] = idx[0]  # repeated: add.at accumulates
            vals = self.value_for(env, (3,))
            return f"np.add.at({var.name}, {idx}, {vals})", ("np.add.at",), amb
        helper = self.choose(["_scale_into", "_set0", "_axpy"])
        self.helpers.append(helper)
        if helper == "_set0":
            return f"_set0({var.name}, {self.expr(env, None, 2)})", ("_set0",), amb
        dst, shape = self.destination(env, var)
        if helper == "_scale_into":
            return f"_scale_into({dst}, {self.expr(env, None, 2)})", ("_scale_into",), amb
        return (f"_axpy({dst}, {self.expr(env, shape, 2)}, {self.expr(env, None, 1)})",
                ("_axpy",), amb)

    def view(self, env, base):
        """(expression, Var fields) of a view of ``base`` (or None)."""
        options = []
        if len(base.shape) == 1:
            for s, m, keeps in SLICES[base.shape[0]]:
                options.append((f"{base.name}[{s}]", (m,), base.contig and keeps, "basic slice"))
            options.append((f"{base.name}.T", base.shape, base.contig, ".T"))
            if base.contig:
                options.append((f"{base.name}.ravel()", base.shape, True, ".ravel()"))
                if base.shape == (4,):  # (three times: the way to 2-D arrays)
                    options += [(f"{base.name}.reshape(2, 2)", (2, 2), True, ".reshape")] * 3
                    r = self.integer(0, 1)  # views of a view, in one expression
                    options += [(f"{base.name}.reshape(2, 2)[{r}]", (2,), True, "row"),
                                (f"{base.name}.reshape(2, 2)[:, {r}]", (2,), False, "column"),
                                (f"{base.name}.reshape(2, 2).T", (2, 2), False, ".T")]
        else:
            options.append((f"{base.name}.T", (2, 2), False, ".T"))
            r = self.integer(0, 1)
            options.append((f"{base.name}[{r}]", (2,), base.contig, "row"))
            options.append((f"{base.name}[:, {r}]", (2,), False, "column"))
            if base.contig:
                options.append((f"{base.name}.ravel()", (4,), True, ".ravel()"))
                options.append((f"{base.name}.reshape(4)", (4,), True, ".reshape"))
        options.append((f"np.asarray({base.name})", base.shape, base.contig, "np.asarray"))
        return self.choose(options)

    def statement(self, local, ctx, budget):
        """One statement (a list: a few come in pairs); updates ``local``."""
        writable = self.arrays(local, writable=True)
        lists = [v for v in local if v.kind == "l"]
        # inside a block new names are local to it: only views and aliases
        # written through at once are worth making there
        kinds = ["scalar", "owner", "alias", "view", "view"] if ctx.top else \
            ["scalar", "alias", "view", "view"]
        if writable:
            kinds += ["write"] * (6 if ctx.top else 8)
        if lists:
            kinds += ["list"] * 3
        elif ctx.top:
            kinds += ["list"]
        if ctx.top:
            kinds += ["rebind"]
        if ctx.depth < 2:
            kinds += ["if", "for", "for"]
        what = self.choose(kinds)
        if what == "scalar":
            olds = [v for v in local if v.kind == "s"]
            if olds and self.chance(2):
                v = self.choose(olds)
                op = self.choose(["=", "+="])
                return [Line(f"{v.name} {op} {self.expr(local, None, 2)}", ("scalar",))]
            name = self.fresh("s")
            line = Line(f"{name} = {self.expr(local, None, 2)}", ("scalar",))
            _set(local, Var(name, "s"))
            return [line]
        if what == "owner":
            name = self.fresh("b")
            src = self.choose(self.arrays(local))
            r = self.integer(0, 4)
            buf = self.new_buffer()
            if r == 0:
                line, shape = Line(f"{name} = {src.name}.copy()", (".copy()",)), src.shape
            elif r == 1:
                shape = self.choose([(4,), (3,), (2,), (2, 2)])
                dims = str(shape[0]) if len(shape) == 1 else "(2, 2)"
                line = Line(f"{name} = np.zeros({dims})", ("np.zeros",))
            elif r == 2:
                line, shape = Line(f"{name} = np.zeros_like({src.name})", ("np.zeros_like",)), \
                    src.shape
            elif r == 3:  # np.empty_like, then a write of every element
                shape = src.shape
                if self.chance(2):
                    fill = Line(f"np.copyto({name}, {self.expr(local, shape, 2, fresh=True)})",
                                ("np.copyto",))
                else:
                    fill = Line(f"np.multiply({self.expr(local, shape, 2)}, "
                                f"{self.value_for(local, shape)}, out={name})",
                                ("np.multiply out=",))
                _set(local, Var(name, "a", shape, buf, True, True))
                return [Line(f"{name} = np.empty_like({src.name})", ("np.empty_like",)), fill]
            else:
                shape = self.choose([v.shape for v in self.arrays(local)])
                line = Line(f"{name} = {self.expr(local, shape, 2, fresh=True)}", ("fresh",))
            _set(local, Var(name, "a", shape, buf, True, True))
            return [line]
        if what == "alias":
            src = self.choose(writable if writable and not self.chance(4) else
                              self.arrays(local))
            r = self.integer(0, 3) if ctx.top else 0
            if r <= 1:
                name = self.fresh("z")
                text = f"{name} = {src.name}" if r == 0 else f"{name} = np.asarray({src.name})"
                var = replace(src, name=name)
                _set(local, var)
                out = [Line(text, ("alias" if r == 0 else "np.asarray",),
                            ambiguous=src.ambiguous)]
                if var.writable and (not ctx.top or self.chance(2)):  # and write through it
                    text, tags, amb = self.write(local, var)
                    out.append(Line(text, tags, ambiguous=amb))
                return out
            a, b = self.fresh("z"), self.fresh("z")
            buf = self.new_buffer()
            if r == 2:
                shape = src.shape
                text = f"{a} = {b} = {src.name}.copy()"
            else:
                shape = self.choose([v.shape for v in self.arrays(local)])
                text = f"{a} = {b} = {self.expr(local, shape, 2, fresh=True)}"
            _set(local, Var(a, "a", shape, buf, True, True))
            _set(local, Var(b, "a", shape, buf, True, True))
            return [Line(text, ("chained",))]
        if what == "view":
            bases = self.arrays(local)
            if writable and not self.chance(5):  # mostly views to write through
                bases = writable
            square = [v for v in bases if len(v.shape) == 2]
            base = self.choose(square if square and self.chance(2) else bases)
            text, shape, contig, tag = self.view(local, base)
            name = self.fresh("v")
            var = Var(name, "a", shape, base.buf, base.writable, contig,
                      ambiguous=base.ambiguous)
            _set(local, var)
            out = [Line(f"{name} = {text}", (tag,), ambiguous=base.ambiguous)]
            if var.writable and (not ctx.top or self.chance(2)):  # and write through it
                text, tags, amb = self.write(local, var)
                out.append(Line(text, tags, ambiguous=amb))
            return out
        if what == "write":
            var = self.choose(writable)
            text, tags, amb = self.write(local, var)
            return [Line(text, tags, ambiguous=amb)]
        if what == "list":
            if not lists:
                name = self.fresh("L")
                n = self.integer(1, 3)
                items = ", ".join(self.expr(local, None, 2) for _ in range(n))
                _set(local, Var(name, "l", length=n))
                return [Line(f"{name} = [{items}]", ("list",))]
            lst = self.choose(lists)
            ops = ["reverse", "store"]
            if not ctx.in_if:
                ops += ["append", "append", "_push"]
            if ctx.top and lst.length >= 2:
                ops += ["pop", "pop"]
            op = self.choose(ops)
            if op == "store" and not lst.length:
                op = "reverse"
            if op == "reverse":
                return [Line(f"{lst.name}.reverse()", ("list.reverse",))]
            if op == "store":
                return [Line(f"{lst.name}[{self.index(local, lst.length)}] = "
                             f"{self.expr(local, None, 2)}", ("list store",))]
            if op == "pop":
                name = self.fresh("s")
                _set(local, replace(lst, length=lst.length - 1))
                _set(local, Var(name, "s"))
                return [Line(f"{name} = {lst.name}.pop()", ("list.pop",))]
            item = self.expr(local, None, 2)  # before the list grows
            _set(local, replace(lst, length=lst.length + 1))
            if op == "_push":
                self.helpers.append("_push")
                return [Line(f"_push({lst.name}, {item})", ("_push",))]
            return [Line(f"{lst.name}.append({item})", ("list.append",))]
        if what == "rebind":
            var = self.choose([v for v in self.arrays(local) if not v.ambiguous])
            buf = self.new_buffer()
            text = f"{var.name} = {self.expr(local, var.shape, 2, fresh=True)}"
            _set(local, replace(var, buf=buf, writable=True, contig=True))
            return [Line(text, ("rebind",))]
        if what == "if":
            if ctx.top and self.ambiguous and self.chance(3):
                found = self.branch_alias(local, ctx, budget)
                if found:
                    return found
            test = Test(self.expr(local, None, 2), round(self.real() / 2, 2),
                        self.choose([">", "<"]))
            inner = Ctx(ctx.depth + 1, False, True)
            then = self.block(local, inner, budget)
            orelse = self.block(local, inner, budget) if self.chance(2) else []
            return [IfStmt(test, then, orelse)]
        # for
        var = self.fresh("i")
        count = self.integer(1, 3)
        inner_env = local + [Var(var, "i", bound=count)]
        before = {v.name: v.length for v in local if v.kind == "l"}
        body = self.block(inner_env, Ctx(ctx.depth + 1, False, ctx.in_if), budget,
                          keep=True)
        for v in inner_env:  # appends in the body happen `count` times
            if v.kind == "l" and v.name in before:
                grown = v.length - before[v.name]
                _set(local, replace(v, length=before[v.name] + count * grown))
        return [ForStmt(var, count, body)]

    def branch_alias(self, local, ctx, budget):
        """``if t: z = y`` / ``else: z = w`` with y and w distinct writable
        arrays of one shape; later writes through z (may be refused)."""
        by_shape = {}
        for v in self.arrays(local, writable=True):
            by_shape.setdefault(v.shape, []).append(v)
        pairs = [(a, b) for vs in by_shape.values() for a in vs for b in vs
                 if a.buf != b.buf and not a.ambiguous and not b.ambiguous]
        if not pairs:
            return None
        y, w = self.choose(pairs)
        z = self.fresh("z")
        test = Test(self.expr(local, None, 2), round(self.real() / 2, 2),
                    self.choose([">", "<"]))
        inner = Ctx(ctx.depth + 1, False, True)
        then = [Line(f"{z} = {y.name}", ("branch alias",), ambiguous=True)]
        then += self.block(local, inner, budget)
        orelse = [Line(f"{z} = {w.name}", ("branch alias",), ambiguous=True)]
        orelse += self.block(local, inner, budget)
        _set(local, Var(z, "a", y.shape, y.buf, True, y.contig and w.contig, ambiguous=True))
        _set(local, Var(self.fresh("_hidden"), "h", w.shape, w.buf))
        self.may_refuse.append("branch-dependent alias")
        return [IfStmt(test, then, orelse, ambiguous=True)]

    def block(self, env, ctx, budget, keep=False):
        """Statements; at top level (or with ``keep``) ``env`` is updated in
        place, otherwise names bound in the block stay local to it."""
        local = list(env)
        stmts = []
        n = self.integer(1, 6 if ctx.top else 3)
        for _ in range(n):
            if budget[0] <= 0:
                break
            budget[0] -= 1
            stmts += self.block_statement(local, ctx, budget)
        if ctx.top or keep:
            env[:] = local
        return stmts

    def block_statement(self, local, ctx, budget):
        if ctx.top:
            return self.statement(local, ctx, budget)
        # inside a block: rebind only what no other name shares (scalars; a
        # unique, writable array to a fresh one); new names are local
        if self.chance(6):
            unique = [v for v in self.arrays(local, writable=True) if not self.shares(local, v)]
            if unique:
                var = self.choose(unique)
                text = f"{var.name} = {self.expr(local, var.shape, 2, fresh=True)}"
                _set(local, replace(var, buf=self.new_buffer(), contig=True))
                return [Line(text, ("rebind in a block",))]
        return self.statement(local, ctx, budget)

    def result(self, env):
        """The return: reads every array of the top level (so each write is seen)
        and some scalars and list elements."""
        terms = []
        for v in env:
            if v.kind == "a" and (v.writable or self.chance(3)):
                form = self.choose(["np.sum({0} * {0})", "np.sum(np.sin({0}))", "np.sum({0})",
                                    "np.mean(np.cos({0}))"])
                terms.append(form.format(v.name))
            elif v.kind == "s" and self.chance(2):
                terms.append(v.name)
            elif v.kind == "l" and v.length > 0:
                terms.append(f"{v.name}[{self.integer(0, v.length - 1)}]")
        if not terms:
            terms.append(self.expr(env, None, 2))
        value = " + ".join(terms)
        r = self.integer(0, 5)
        owners = [v for v in self.arrays(env, writable=True) if not v.ambiguous]
        if r == 0 and owners:
            return f"{value}, {self.choose(owners).name}"
        if r == 1 and owners:
            return self.choose(owners).name
        return value

    def program(self):
        ns = self.integer(1, 2)
        na = self.integer(0, 2)
        p = Program([f"x{i}" for i in range(ns)], [f"a{i}" for i in range(na)])
        env = [Var(n, "s") for n in p.scalars]
        env += [Var(n, "a", (SIZE,), self.new_buffer(), False, True) for n in p.arrays]
        body = []
        if not p.arrays:  # an array to work on
            b = self.fresh("b")
            body.append(Line(f"{b} = np.zeros({SIZE})", ("np.zeros",)))
            body.append(Line(f"{b}[1:3] = {p.scalars[0]}", ("slice =",)))
            env.append(Var(b, "a", (SIZE,), self.new_buffer(), True, True))
        for a in p.arrays:  # the caller's arrays are read only: copies to write into
            if not self.chance(3):
                b = self.fresh("b")
                text = self.choose([f"{a}.copy()", f"{a} * 1.0", f"np.sin({a})"])
                body.append(Line(f"{b} = {text}", (".copy()" if "copy" in text else "fresh",)))
                env.append(Var(b, "a", (SIZE,), self.new_buffer(), True, True))
        budget = [self.integer(4, 12)]
        body += self.block(env, Ctx(), budget)
        if not any(t in WRITES for t in _tags(body)):  # at least one write
            writable = self.arrays(env, writable=True)
            if not writable:
                body += self.statement(env, Ctx(depth=2), [0])  # an owner or an alias
                writable = self.arrays(env, writable=True)
            for _ in range(self.integer(1, 2)):
                if writable:
                    text, tags, amb = self.write(env, self.choose(writable))
                    body.append(Line(text, tags, ambiguous=amb))
        body.append(Return(self.result(env)))
        p.body = body
        p.helpers = sorted(set(self.helpers))
        p.may_refuse = sorted(set(self.may_refuse))
        p.source()  # fills ambiguous_lines
        return p


def program_strategy(ambiguous=False):
    from hypothesis import strategies as st

    @st.composite
    def programs(draw):
        gen = Generator(lambda xs: draw(st.sampled_from(xs)),
                        lambda lo, hi: draw(st.integers(lo, hi)),
                        lambda: draw(st.sampled_from([0.5, -0.5, 1.5, 2.0, -1.25, 0.3, 3.0,
                                                      -2.0, 0.1, 1.0])),
                        ambiguous=ambiguous)
        prog = gen.program()
        args = []
        for _ in prog.scalars:
            args.append(draw(st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)))
        for _ in prog.arrays:
            args.append(np.array([draw(st.floats(-2.0, 2.0, allow_nan=False))
                                  for _ in range(SIZE)]))
        return prog, tuple(args)

    return programs()


# ---------------------------------------------------------------------------
# Running a program
# ---------------------------------------------------------------------------
def namespace():
    return {"np": np, "math": math}


def compile_program(prog: Program, instrument=False):
    """The program's ``f`` (``s2sad.from_source``: its helpers are in the same
    text), and with ``instrument`` the list its tests record their margins into."""
    import s2sad
    ns = namespace()
    margins: Optional[list] = None
    if instrument:
        margins = []

        def _rec(m):
            margins.append(float(m))
            return m

        ns["_rec"] = _rec
    fn = s2sad.from_source(prog.source(instrument), name=prog.name, globals=ns)
    return fn, margins


def copies(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def branch_trace(instrumented, margins, args):
    """The signs of every test the program evaluates at ``args`` (and the
    output); the program runs on copies of the arguments."""
    del margins[:]
    out = instrumented(*copies(args))
    return tuple(m > 0 for m in margins), out
