"""Randomly generated programs (fixed seeds) round-trip through SSA.

Two generators: small-integer programs with nested if/elif/else, for/while
loops with else parts, break/continue/return at any depth, swaps, walrus tests,
starred unpacking, comprehensions and list/array writes; and programs over
NumPy arrays that alias, copy, swap and write in place (``u = v`` then
``u += 1``), checking results, which results are the caller's very objects,
and the caller's arrays after the call.  Failing seeds found bugs in the
lowering of loop else parts and in the emitter's ``elif`` folding.
"""
import random

import numpy as np
import pytest

import s2sad
from s2sad.compiler import ssa_ir
from s2sad.ir import verify

VARS = ["a", "b", "c", "d"]


class Gen:
    """Random straight-line/branch/loop programs over small ints."""

    def __init__(self, rng):
        self.r = rng
        self.loopvars = 0

    def atom(self, scope):
        if self.r.random() < 0.6:
            return self.r.choice(scope)
        return str(self.r.randint(-3, 5))

    def expr(self, scope, depth=0):
        if depth > 1 or self.r.random() < 0.4:
            return self.atom(scope)
        op = self.r.choice(["+", "-", "*", "%7+", "max", "ifexp", "and", "or"])
        a, b = self.expr(scope, depth + 1), self.expr(scope, depth + 1)
        if op == "%7+":
            return f"({a} % 7 + {b})"
        if op == "max":
            return f"max({a}, {b})"
        if op == "ifexp":
            return f"({a} if {self.cond(scope)} else {b})"
        if op in ("and", "or"):
            return f"({a} {op} {b})"
        return f"({a} {op} {b}) % 1000"

    def cond(self, scope):
        a, b = self.atom(scope), self.atom(scope)
        op = self.r.choice(["<", ">", "==", "!=", "<="])
        if self.r.random() < 0.2:
            return f"{a} {op} {b} < {self.atom(scope)}"
        if self.r.random() < 0.2:
            return f"({a} {op} {b} or {self.atom(scope)} > 2)"
        return f"{a} {op} {b}"

    def block(self, scope, indent, depth, in_loop):
        lines = []
        for _ in range(self.r.randint(1, 4)):
            lines += self.stmt(scope, indent, depth, in_loop)
        return lines

    def stmt(self, scope, indent, depth, in_loop):
        pad = "    " * indent
        r = self.r.random()
        v = self.r.choice(VARS)
        if depth < 3 and r < 0.15:
            lines = [f"{pad}if {self.cond(scope)}:"] + self.block(scope, indent + 1, depth + 1, in_loop)
            if self.r.random() < 0.5:
                if self.r.random() < 0.3:
                    lines += [f"{pad}elif {self.cond(scope)}:"] + \
                        self.block(scope, indent + 1, depth + 1, in_loop)
                lines += [f"{pad}else:"] + self.block(scope, indent + 1, depth + 1, in_loop)
            return lines
        if depth < 3 and r < 0.25:
            lv = f"i{self.loopvars}"
            self.loopvars += 1
            lines = [f"{pad}for {lv} in range({self.r.randint(0, 4)}):"]
            lines += self.block(scope + [lv], indent + 1, depth + 1, True)
            if self.r.random() < 0.2:
                lines += [f"{pad}else:"] + self.block(scope, indent + 1, depth + 1, in_loop)
            return lines
        if depth < 3 and r < 0.32:
            k = f"k{self.loopvars}"
            self.loopvars += 1
            lines = [f"{pad}{k} = 0",
                     f"{pad}while {k} < {self.r.randint(1, 4)} and {self.cond(scope)}:",
                     f"{pad}    {k} += 1"]
            lines += self.block(scope, indent + 1, depth + 1, True)
            if self.r.random() < 0.2:
                lines += [f"{pad}else:"] + self.block(scope, indent + 1, depth + 1, in_loop)
            return lines
        if in_loop and r < 0.38:
            return [f"{pad}if {self.cond(scope)}:",
                    f"{pad}    {self.r.choice(['break', 'continue'])}"]
        if r < 0.41:
            return [f"{pad}if {self.cond(scope)}:", f"{pad}    return {self.r.choice(VARS)}, lst"]
        if r < 0.5:
            w = self.r.choice(VARS)
            return [f"{pad}{v}, {w} = {self.expr(scope)}, {self.expr(scope)}"]
        if r < 0.55:
            w = self.r.choice(VARS)
            return [f"{pad}{v}, {w} = {w}, {v}"]
        if r < 0.62:
            return [f"{pad}{v} {self.r.choice(['+=', '-=', '*='])} {self.atom(scope)}",
                    f"{pad}{v} %= 1000"]
        if r < 0.68:
            return [f"{pad}lst.append({self.expr(scope)})"]
        if r < 0.72:
            return [f"{pad}arr[{self.atom(scope)} % 3] += {self.atom(scope)}"]
        if r < 0.75:
            w = self.r.choice(VARS)
            return [f"{pad}{v} = {w} = {self.expr(scope)}"]
        if r < 0.77:
            return [f"{pad}{v} = lst[-1] if lst else {self.atom(scope)}"]
        if r < 0.79:
            return [f"{pad}arr[{self.atom(scope)} % 3] = {self.expr(scope)}"]
        if r < 0.81:
            return [f"{pad}m = lst", f"{pad}m.append({self.atom(scope)})"]
        if r < 0.83:
            w = self.r.choice(VARS)
            return [f"{pad}{v} = sum([{w} * 2 for {w} in lst if {w} > {self.atom(scope)}]) % 1000"]
        if r < 0.85 and depth < 3:
            return [f"{pad}if ({v} := {self.expr(scope)}) > 2:"] + self.block(scope, indent + 1, depth + 1, in_loop)
        if r < 0.87:
            w = self.r.choice(VARS)
            return [f"{pad}{v}, *rest = [{self.atom(scope)}, {w}, {self.atom(scope)}]",
                    f"{pad}{w} = (rest[0] + len(rest)) % 1000"]
        if r < 0.89 and depth < 3:
            w = self.r.choice(VARS)
            return [f"{pad}for {w} in lst[:3]:"] + self.block(scope, indent + 1, depth + 1, True)
        if r < 0.9 and depth < 3:
            k = f"k{self.loopvars}"
            self.loopvars += 1
            lines = [f"{pad}{k} = 0",
                     f"{pad}while ({v} := {k} + {self.atom(scope)}) < 3 and {k} < 4:",
                     f"{pad}    {k} += 1"]
            lines += self.block(scope, indent + 1, depth + 1, True)
            if self.r.random() < 0.4:
                lines += [f"{pad}else:"] + self.block(scope, indent + 1, depth + 1, in_loop)
            return lines
        if r < 0.91:
            return [f"{pad}{v} = {self.atom(scope)} if {self.cond(scope)} else {self.atom(scope)}"]
        return [f"{pad}{v} = {self.expr(scope)}"]

    def function(self, name):
        scope = ["x", "n"] + VARS
        lines = [f"def {name}(x, n, arr):", "    lst = []"]
        for v in VARS:
            lines.append(f"    {v} = {self.atom(['x', 'n'])}")
        lines += self.block(scope, 1, 0, False)
        lines += self.block(scope, 1, 0, False)
        lines.append("    return a, b, c, d, lst")
        return "\n".join(lines) + "\n"


def int_program(seed):
    return Gen(random.Random(seed)).function(f"f{seed}")


AV = ["u", "v", "w"]
SV = ["s", "t"]

class GenArr:
    def __init__(self, rng):
        self.r = rng
        self.k = 0

    def arr(self):
        return self.r.choice(AV + ["x"])

    def sc(self):
        return self.r.choice(SV + ["1.0", "2.0", "-0.5", "n"])

    def cond(self):
        c = self.r.random()
        if c < 0.4:
            return f"{self.sc()} < {self.sc()}"
        if c < 0.7:
            return f"{self.arr()}[0] > {self.sc()}"
        return f"{self.arr()}.sum() > {self.sc()}"

    def block(self, ind, depth, in_loop):
        out = []
        for _ in range(self.r.randint(1, 4)):
            out += self.stmt(ind, depth, in_loop)
        return out

    def stmt(self, ind, depth, in_loop):
        p = "    " * ind
        r = self.r.random()
        a, b = self.r.choice(AV), self.arr()
        if depth < 3 and r < 0.12:
            out = [f"{p}if {self.cond()}:"] + self.block(ind + 1, depth + 1, in_loop)
            if self.r.random() < 0.5:
                out += [f"{p}else:"] + self.block(ind + 1, depth + 1, in_loop)
            return out
        if depth < 3 and r < 0.22:
            i = f"i{self.k}"; self.k += 1
            return [f"{p}for {i} in range({self.r.randint(0, 3)}):",
                    f"{p}    s = s + {i}"] + self.block(ind + 1, depth + 1, True)
        if in_loop and r < 0.26:
            return [f"{p}if {self.cond()}:", f"{p}    {self.r.choice(['break', 'continue'])}"]
        if r < 0.28:
            return [f"{p}if {self.cond()}:", f"{p}    return {self.arr()}, s"]
        if r < 0.36:
            return [f"{p}{a} = {b}"]  # alias
        if r < 0.44:
            return [f"{p}{a} = {b}.copy()"]
        if r < 0.52:
            return [f"{p}{a} += {self.r.choice([self.sc(), self.arr()])}"]  # in place
        if r < 0.6:
            return [f"{p}{a} = {a} * {self.sc()} + {self.arr()}"]
        if r < 0.68:
            return [f"{p}{a}[{self.r.choice(['0', '1', '-1', 'n % 3'])}] = {self.sc()}"]
        if r < 0.74:
            return [f"{p}{a}[1:] *= {self.sc()}"]
        if r < 0.8:
            c = self.r.choice(AV)
            return [f"{p}{a}, {c} = {c}, {a}"]
        if r < 0.86:
            return [f"{p}{self.r.choice(SV)} = {self.arr()}[{self.r.choice(['0', '2'])}] + {self.sc()}"]
        if r < 0.9:
            return [f"{p}lst.append({self.arr()})"]
        if r < 0.94:
            return [f"{p}{a} = np.maximum({self.arr()}, {self.sc()})"]
        return [f"{p}{self.r.choice(SV)} = {self.sc()} * 2 - {self.sc()}"]

    def function(self, name):
        out = [f"def {name}(x, y, n):", "    lst = []", "    s = 0.0", "    t = 1.0",
               "    u = x", "    v = y", "    w = x.copy()"]
        out += self.block(1, 0, False) + self.block(1, 0, False)
        out.append("    return u, v, w, x, y, s, t, lst")
        return "\n".join(out) + "\n"

def array_program(seed):
    return GenArr(random.Random(seed)).function(f"g{seed}")


INT_INPUTS = [(0, 1), (3, -2), (-1, 4), (2, 2)]
ARRAY_INPUTS = [(np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 4.0]), 1),
                (np.array([-1.0, 0.0, 2.0]), np.array([3.0, 1.0, -2.0]), 2)]


def outcome(f, args):
    try:
        return "ok", f(*args)
    except Exception as exc:  # noqa: BLE001 -- compared below
        return "raised", type(exc)


def plain(v):
    if isinstance(v, np.ndarray):
        return ("array", v.tolist())
    if isinstance(v, (list, tuple)):
        return [plain(e) for e in v]
    return v


@pytest.mark.parametrize("seed", range(0, 300, 2))
def test_random_int_program(seed):
    src = int_program(seed)
    f = s2sad.from_source(src)
    verify(ssa_ir(f))
    g = s2sad.ssa_function(f)
    for x, n in INT_INPUTS:
        a1, a2 = np.zeros(3, int), np.zeros(3, int)
        assert outcome(g, (x, n, a2)) == outcome(f, (x, n, a1)), src + s2sad.ssa_source(f)
        assert a1.tolist() == a2.tolist(), src


@pytest.mark.parametrize("seed", range(1, 400, 4))
def test_random_array_program(seed):
    src = array_program(seed)
    f = s2sad.from_source(src, globals={"np": np})
    verify(ssa_ir(f))
    g = s2sad.ssa_function(f)
    with np.errstate(all="ignore"):
        for x, y, n in ARRAY_INPUTS:
            results = []
            for fn in (f, g):
                args = [x.copy(), y.copy(), n]
                kind, r = outcome(fn, args)
                same = [tuple(e is a for a in args[:2]) for e in r] if kind == "ok" else None
                results.append((kind, plain(r), same, plain(args)))
            assert results[1] == results[0], src + s2sad.ssa_source(f)
