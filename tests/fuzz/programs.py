"""Random well-formed programs for the fuzzer, as Python source.

A program is a function of float scalars (``x0, x1, ...``) and small float
arrays (``a0, ...``, shape (3,)) made of

* straight-line assignments of expressions built from registered primitives
  kept inside their domains: ``np.sin``, ``np.cos``, ``np.tanh``, ``np.arctan``
  (and their ``math`` versions on scalars), ``exp`` of a bounded argument,
  ``log(e * e + 1)``, ``sqrt(e * e + 1)``, ``+``, ``-``, ``*``, ``/ (1 + e * e)``,
  ``** 2``, reductions (``np.sum``, ``np.mean``, ``np.dot``, ``a[k]``);
* ``if`` on a scalar test, ``for i in range(K)``, ``while k < K and test`` (a
  counter and a data-dependent exit), and early ``return`` inside them;
* a return of one value or a tuple.

Inside a block only variables of the enclosing blocks are reassigned (with
their kind), so every variable is bound on every path where it is read.

:meth:`Program.source` renders the program; ``instrument=True`` renders each
test ``e > c`` as ``_rec(e - c) > 0``, which records the margin: comparing
the signs recorded at the point checked and at the points finite differences
evaluate tells whether a branch flips between them (then finite differences
see a jump, and the example says nothing about derivatives).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

SCALAR_UNARY = ["np.sin", "np.cos", "np.tanh", "np.arctan", "math.sin", "math.cos",
                "math.tanh", "math.atan"]
ARRAY_UNARY = ["np.sin", "np.cos", "np.tanh", "np.arctan"]
SCALAR_WRAPPED = ["np.exp(np.sin({0}))", "np.log({0} * {0} + 1.0)", "np.sqrt({0} * {0} + 1.0)",
                  "math.exp(math.cos({0}))", "math.log(1.0 + {0} * {0})",
                  "math.sqrt(1.0 + {0} * {0})", "np.exp(np.tanh({0}))"]
ARRAY_WRAPPED = ["np.exp(np.sin({0}))", "np.log({0} * {0} + 1.0)", "np.sqrt({0} * {0} + 1.0)",
                 "np.exp(np.tanh({0}))"]
BINARY = ["({0} + {1})", "({0} - {1})", "({0} * {1})", "({0} / (1.0 + {1} * {1}))"]
SIZE = 3


@dataclass
class Test:
    """``expr > const`` (or ``<``)."""
    expr: str
    const: float
    op: str = ">"

    def render(self, instrument):
        if instrument:
            return f"_rec({self.expr} - {self.const!r}) {self.op} 0"
        return f"{self.expr} {self.op} {self.const!r}"


@dataclass
class Assign:
    target: str
    expr: str


@dataclass
class Return:
    value: str


@dataclass
class IfStmt:
    test: Test
    then: List
    orelse: List


@dataclass
class ForStmt:
    var: str
    count: int
    body: List


@dataclass
class WhileStmt:
    counter: str
    count: int
    test: Test
    body: List


@dataclass
class Program:
    scalars: List[str]
    arrays: List[str]
    body: List = field(default_factory=list)
    name: str = "f"

    @property
    def params(self):
        return self.scalars + self.arrays

    def source(self, instrument=False) -> str:
        lines = [f"def {self.name}({', '.join(self.params)}):"]
        _render(self.body, 1, lines, instrument)
        return "\n".join(lines) + "\n"


def _render(stmts, depth, lines, instrument):
    pad = "    " * depth
    if not stmts:
        lines.append(f"{pad}pass")
    for s in stmts:
        if isinstance(s, Assign):
            lines.append(f"{pad}{s.target} = {s.expr}")
        elif isinstance(s, Return):
            lines.append(f"{pad}return {s.value}")
        elif isinstance(s, IfStmt):
            lines.append(f"{pad}if {s.test.render(instrument)}:")
            _render(s.then, depth + 1, lines, instrument)
            if s.orelse:
                lines.append(f"{pad}else:")
                _render(s.orelse, depth + 1, lines, instrument)
        elif isinstance(s, ForStmt):
            lines.append(f"{pad}for {s.var} in range({s.count}):")
            _render(s.body, depth + 1, lines, instrument)
        elif isinstance(s, WhileStmt):
            lines.append(f"{pad}{s.counter} = 0")
            lines.append(f"{pad}while {s.counter} < {s.count} and {s.test.render(instrument)}:")
            _render(s.body, depth + 1, lines, instrument)
            lines.append(f"{pad}    {s.counter} = {s.counter} + 1")


class Generator:
    """Draws a program from ``draw`` (a hypothesis ``draw`` or any function
    taking a strategy-like chooser); see :func:`program_strategy`."""

    def __init__(self, choose, integer, real):
        self.choose = choose  # choose(list) -> element
        self.integer = integer  # integer(lo, hi)
        self.real = real  # real() -> a float constant
        self.counter = 0

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    # -- expressions --------------------------------------------------------------
    def leaf(self, env, kind):
        names = [n for n, k in env if k == kind]
        if kind == "s" and (not names or self.integer(0, 4) == 0):
            return repr(self.real())
        return self.choose(names)

    def expr(self, env, kind, depth):
        """An expression of kind "s" (scalar) or "a" (array; env must hold one)."""
        has_arrays = any(k == "a" for _, k in env)
        if depth <= 0 or self.integer(0, 3) == 0:
            return self.leaf(env, kind)
        forms = ["unary", "wrapped", "binary", "binary", "power"]
        if kind == "s" and has_arrays:
            forms += ["reduce", "reduce"]
        if kind == "a":
            forms += ["broadcast"]
        form = self.choose(forms)
        if form == "unary":
            f = self.choose(SCALAR_UNARY if kind == "s" else ARRAY_UNARY)
            return f"{f}({self.expr(env, kind, depth - 1)})"
        if form == "wrapped":
            w = self.choose(SCALAR_WRAPPED if kind == "s" else ARRAY_WRAPPED)
            return w.format(self.expr(env, kind, depth - 1))
        if form == "power":
            return f"({self.expr(env, kind, depth - 1)}) ** 2"
        if form == "binary":
            b = self.choose(BINARY)
            return b.format(self.expr(env, kind, depth - 1), self.expr(env, kind, depth - 1))
        if form == "broadcast":  # array op scalar
            b = self.choose(BINARY)
            parts = [self.expr(env, "a", depth - 1), self.expr(env, "s", depth - 1)]
            if self.integer(0, 1) and not b.startswith("({0} /"):
                parts.reverse()
            return b.format(*parts)
        # reductions of arrays to scalars
        r = self.choose(["np.sum({0})", "np.mean({0})", "np.dot({0}, {1})", "{0}[{k}]"])
        a = self.expr(env, "a", depth - 1)
        if r == "{0}[{k}]":
            name = self.leaf(env, "a")
            return f"{name}[{self.integer(0, SIZE - 1)}]"
        return r.format(a, self.expr(env, "a", depth - 1))

    def test(self, env):
        return Test(self.expr(env, "s", 2), round(self.real() / 2, 2),
                    self.choose([">", "<"]))

    def value(self, env):
        kinds = [k for _, k in env]
        kind = "a" if "a" in kinds and self.integer(0, 2) == 0 else "s"
        return self.expr(env, kind, 3)

    def result(self, env):
        if self.integer(0, 3) == 0:
            return f"{self.value(env)}, {self.value(env)}"
        return self.value(env)

    # -- statements -----------------------------------------------------------------
    def block(self, env, depth, budget, top=False, loop_vars=()):
        """Statements; ``env`` is a list of (name, kind) (mutated at top level)."""
        stmts = []
        local = list(env)
        n = self.integer(1, 3 if not top else 5)
        for _ in range(n):
            if budget[0] <= 0:
                break
            budget[0] -= 1
            what = self.choose(["assign", "assign", "assign", "if", "for", "while"]
                               if depth < 2 else ["assign"])
            if what == "assign":
                reassign = [(nm, k) for nm, k in local if not nm.startswith(("k", "i"))]
                if (not top and reassign) or (top and reassign and self.integer(0, 2) == 0):
                    name, kind = self.choose(reassign)
                else:
                    kind = "a" if any(k == "a" for _, k in local) and self.integer(0, 2) == 0 \
                        else "s"
                    name = None
                value = self.expr(local, kind, 3)
                if name is None:
                    name = self.fresh("v")
                    local.append((name, kind))
                stmts.append(Assign(name, value))
            elif what == "if":
                test = self.test(local)
                then = self.block(local, depth + 1, budget)
                orelse = self.block(local, depth + 1, budget) if self.integer(0, 1) else []
                if self.integer(0, 3) == 0:
                    then.append(Return(self.result(local)))
                stmts.append(IfStmt(test, then, orelse))
            elif what == "for":
                var = self.fresh("i")
                inner = local + [(var, "s")]
                body = self.block(inner, depth + 1, budget)
                if self.integer(0, 5) == 0:
                    body.append(IfStmt(self.test(inner), [Return(self.result(inner))], []))
                stmts.append(ForStmt(var, self.integer(1, 3), body))
            else:
                counter = self.fresh("k")
                inner = local + [(counter, "s")]
                body = self.block(inner, depth + 1, budget)
                stmts.append(WhileStmt(counter, self.integer(1, 4), self.test(local), body))
        if top:
            env[:] = local
        return stmts

    def program(self):
        ns = self.integer(1, 3)
        na = self.integer(0, 2)
        p = Program([f"x{i}" for i in range(ns)], [f"a{i}" for i in range(na)])
        env = [(n, "s") for n in p.scalars] + [(n, "a") for n in p.arrays]
        budget = [self.integer(2, 8)]
        p.body = self.block(env, 0, budget, top=True)
        p.body.append(Return(self.result(env)))
        return p


def program_strategy():
    from hypothesis import strategies as st

    @st.composite
    def programs(draw):
        gen = Generator(lambda xs: draw(st.sampled_from(xs)),
                        lambda lo, hi: draw(st.integers(lo, hi)),
                        lambda: draw(st.sampled_from([0.5, -0.5, 1.5, 2.0, -1.25, 0.3, 3.0,
                                                      -2.0, 0.1, 1.0])))
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
    """The program as a function (``from_source``), and with ``instrument`` the
    list its tests record their margins into."""
    import s2sad
    ns = namespace()
    margins: Optional[list] = None
    if instrument:
        margins = []

        def _rec(m):
            margins.append(float(m))
            return m

        ns["_rec"] = _rec
    fn = s2sad.from_source(prog.source(instrument), globals=ns)
    return fn, margins


def branch_trace(instrumented, margins, args):
    """The signs of every test the program evaluates at ``args`` (and the
    outputs, to see that they are finite)."""
    del margins[:]
    out = instrumented(*args)
    return tuple(m > 0 for m in margins), out
