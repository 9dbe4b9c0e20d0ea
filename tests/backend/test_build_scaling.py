"""Building a derivative costs time linear in the function's length.

No test here times anything: each counts the work that a quadratic algorithm
would multiply (interference checks, variables looked at, files parsed) for
functions of n and 4n lines, and checks that the faster algorithms answer what
the plain ones (written out here) answer.
"""
import importlib.util
import math
import random
from collections import defaultdict

import gast
import numpy as np
import pytest

import s2sad
import s2sad.backend.emit as emit
import s2sad.backend.storage as storage
import s2sad.frontend.source as source
import s2sad.ir.analysis as analysis
from s2sad.compiler import compile_derivative, lowered
from s2sad.ir.kinds import kind_of_object
from s2sad.ir.nodes import For, If, Prim, Value, While
from s2sad.rules.registry import _invalidate


# ---------------------------------------------------------------------------
# Generated functions
# ---------------------------------------------------------------------------
def straight_line(n, seed=0, arrays=False):
    """``def f(a0, a1, a2, a3)`` of n assignments mixing math calls and arithmetic
    (NumPy calls every few lines; with ``arrays``, NumPy throughout)."""
    rnd = random.Random(seed)
    names = ["a0", "a1", "a2", "a3"]
    lines = ["def f(a0, a1, a2, a3):"]
    forms = ["math.sin({p}) * {q} + 0.5 * {r}", "{p} * {q} - 0.25 * math.cos({r})",
             "math.tanh({p} + {q}) * 0.5", "{p} / (1.0 + {q} * {q}) + {r}",
             "np.tanh({p}) * {q}", "0.3 * {p} + math.exp(-{q} * {q})"]
    for k in range(4, 4 + n):
        p, q, r = (rnd.choice(names[-12:]) for _ in range(3))
        e = rnd.choice(forms).format(p=p, q=q, r=r)
        lines.append(f"    a{k} = {e.replace('math.', 'np.') if arrays else e}")
        names.append(f"a{k}")
    out = " + ".join(names[-4:])
    lines.append(f"    return np.sum({out})" if arrays else f"    return {out}")
    return "\n".join(lines) + "\n"


def branchy(n, seed=0):
    """n statements with ifs, for-loops and while-loops among the assignments,
    names assigned again and again (for the liveness and coalescing checks)."""
    rnd = random.Random(seed)
    lines = ["def f(x, y):", "    a = x", "    b = y", "    c = x * y"]
    pad = "    "
    for _ in range(n):
        v, p, q = rnd.choice("abc"), rnd.choice("abcxy"), rnd.choice("abcxy")
        c = rnd.random()
        if c < 0.5:
            lines.append(f"{pad}{v} = math.sin({p}) * 0.5 + {q}")
        elif c < 0.65:
            lines += [f"{pad}if {p} > {q}:", f"{pad}    {v} = {p} * 0.9",
                      f"{pad}else:", f"{pad}    {v} = math.cos({q}) + {v}"]
        elif c < 0.8:
            lines += [f"{pad}for i in range(3):", f"{pad}    {v} = {v} * 0.5 + {p} * i",
                      f"{pad}    {q if q in 'abc' else v} = math.tanh({v})"]
        elif c < 0.9:
            lines += [f"{pad}k = 0", f"{pad}while k < 2:",
                      f"{pad}    {v} = {v} + 0.25 * {p}", f"{pad}    k = k + 1"]
        else:
            lines += [f"{pad}t = {p} * {q}", f"{pad}{v} = t + math.exp(-t * t)"]
    lines.append(f"{pad}return a + b * c")
    return "\n".join(lines) + "\n"


_modules = {}


def load(tmp_path, text, name):
    """The function ``f`` of a module written to a file (s2sad reads source)."""
    path = tmp_path / f"{name}.py"
    path.write_text("import math\nimport numpy as np\n\n\n" + text)
    spec = importlib.util.spec_from_file_location(f"_build_scaling_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    _modules[name] = mod  # kept alive: its file and code stay valid
    return mod.f


def build(f, nargs, example=1.0):
    _invalidate()  # nothing cached: the whole build runs
    return compile_derivative(f, "reverse", tuple(range(nargs)),
                              [kind_of_object(example)] * nargs)


# ---------------------------------------------------------------------------
# Work counts for n and 4n lines
# ---------------------------------------------------------------------------
class Counts:
    def __init__(self, monkeypatch):
        self.n = defaultdict(int)
        for owner, name in [(analysis.Liveness, "interfere"), (analysis.Liveness, "span"),
                            (storage.Storage, "compatible"), (storage.Storage, "spans"),
                            (emit.Emitter, "_scan_use")]:
            self._count(monkeypatch, owner, name)

    def _count(self, monkeypatch, owner, name):
        inner = getattr(owner, name)
        counts = self.n

        def counted(*args, **kwargs):
            counts[name] += 1
            return inner(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)


def test_the_emitters_work_grows_linearly_with_the_length(tmp_path, monkeypatch):
    counts = Counts(monkeypatch)
    per_op = {}
    for n in (100, 400):
        counts.n.clear()
        f = load(tmp_path, straight_line(n, seed=n), f"line{n}")
        ops = sum(1 for _ in build(f, 4).ir.walk())
        per_op[n] = {what: max(counts.n[what], 20) / ops
                     for what in ("compatible", "span", "interfere", "spans")}
        assert counts.n["_scan_use"] == 0  # every use found in the table
    for what, small in per_op[100].items():
        # quadratic: 16 times the work for 4 times the lines, 4 times per op
        assert per_op[400][what] <= 2.5 * small, (what, per_op)


def test_each_file_is_parsed_once(tmp_path, monkeypatch):
    text = straight_line(5).replace("def f(", "def g(") + "\n\n" + straight_line(6)
    f = load(tmp_path, text, "two_functions")
    g = _modules["two_functions"].g
    parses = []
    real = source.ast.parse

    def counted(*args, **kwargs):
        parses.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(source.ast, "parse", counted)
    source._FILE_DEFS.clear()
    nodes = [source.get_source_info(h).node for h in (f, g)]
    assert len(parses) == 1
    assert [n.name for n in nodes] == ["f", "g"]


def outer_with_nested():
    scale = 2.0

    def inner(x):
        return math.sin(x) * scale  # a closure, indented

    return inner


class Holder:
    @staticmethod
    def method(x):
        return x * math.cos(x)


@pytest.mark.parametrize("func", [straight_line, outer_with_nested(), Holder.method,
                                  outer_with_nested],
                         ids=["module", "nested", "method", "outer"])
def test_the_node_from_the_files_parse_is_the_one_the_functions_lines_give(func, monkeypatch):
    fast = source.get_source_info(func)
    monkeypatch.setattr(source, "_file_def", lambda f, filename: None)
    slow = source.get_source_info(func)
    assert fast.line_text(fast.node.lineno) == slow.line_text(slow.node.lineno)
    assert fast.line_offset + fast.node.lineno == slow.line_offset + slow.node.lineno
    assert gast.dump(fast.node, include_attributes=True) == \
        gast.dump(_shifted(slow.node, slow.line_offset), include_attributes=True)


def _shifted(node, offset):
    for n in gast.walk(node):
        for attr in ("lineno", "end_lineno"):
            if getattr(n, attr, None) is not None:
                setattr(n, attr, getattr(n, attr) + offset)
    return node


# ---------------------------------------------------------------------------
# The derivative of a long generated function
# ---------------------------------------------------------------------------
def test_gradient_of_a_200_line_function_matches_finite_differences(tmp_path):
    f = load(tmp_path, straight_line(200, seed=7), "line200")
    x = [0.3, -0.7, 1.1, 0.45]
    g = s2sad.grad(f, argnums=(0, 1, 2, 3))(*x)
    h = 1e-6
    for i in range(4):
        up, down = list(x), list(x)
        up[i] += h
        down[i] -= h
        fd = (f(*up) - f(*down)) / (2 * h)
        assert math.isclose(g[i], fd, rel_tol=1e-6, abs_tol=1e-7), (i, g[i], fd)


def test_gradient_of_a_long_array_function_matches_finite_differences(tmp_path):
    f = load(tmp_path, straight_line(80, seed=3, arrays=True), "arrays80")
    rng = np.random.default_rng(0)
    x = [rng.normal(size=3) * 0.5 for _ in range(4)]
    g = s2sad.grad(f, argnums=(0, 1, 2, 3))(*x)
    v = [rng.normal(size=3) for _ in range(4)]
    h = 1e-6
    up = f(*[a + h * d for a, d in zip(x, v)])
    down = f(*[a - h * d for a, d in zip(x, v)])
    fd = (up - down) / (2 * h)
    assert math.isclose(sum(np.dot(gi, vi) for gi, vi in zip(g, v)), fd, rel_tol=1e-6)


# ---------------------------------------------------------------------------
# The fast answers are the plain ones
# ---------------------------------------------------------------------------
class LiveSets:
    """The plain backward data flow: the set of values live right after each
    definition, for every definition (what analysis.Liveness answers without
    building any of these sets)."""

    def __init__(self, fn):
        self.at = defaultdict(set)
        live = self.block(fn.body, set())
        params = {p.value for p in fn.params}
        for p in params:
            self.note(p, live | params)

    def note(self, v, live):
        self.at[v] |= live - {v}

    def block(self, block, live):
        live = set(live) | _values(block.yields)
        for op in reversed(block.ops):
            live = self.op(op, live)
        return live

    def op(self, op, after):
        for r in op.results:
            self.note(r, after | set(op.results))
        live = after - set(op.results)
        if isinstance(op, Prim):
            return live | _values(op.args)
        if isinstance(op, If):
            return self.block(op.then, live) | self.block(op.orelse, live) | _values([op.cond])
        used, defined = set(), set(op.defined_here())
        for b in op.blocks():
            _uses_defs(b, used, defined)
        brk = _values([op.brk])
        around = live | ((used | brk) - defined)
        body_in = self.block(op.body, around | brk)
        if isinstance(op, For):
            for d in [op.item] + op.args:
                self.note(d, body_in | {op.item} | set(op.args) | around)
            return around | _values(op.inits) | _values([op.iter])
        cond_in = self.block(op.cond, body_in | around)
        for d in op.args:
            self.note(d, cond_in | set(op.args) | around)
        return around | _values(op.inits)

    def interfere(self, a, b):
        return b in self.at.get(a, ()) or a in self.at.get(b, ())


def _values(operands):
    return {a for a in operands if isinstance(a, Value)}


def _uses_defs(block, used, defined):
    used |= _values(block.yields)
    for op in block.ops:
        used |= _values(op.operands())
        if isinstance(op, (For, While)):
            used |= _values([op.brk])
        defined |= set(op.results) | set(op.defined_here())
        for b in op.blocks():
            _uses_defs(b, used, defined)


def _all_values(fn):
    out = [p.value for p in fn.params]
    for op in fn.walk():
        out += list(op.defined_here()) + list(op.results)
    return list(dict.fromkeys(out))


def _corpus(tmp_path):
    for seed in range(6):
        f = load(tmp_path, branchy(14, seed), f"branchy{seed}")
        yield lowered(f)
        yield build(f, 2).ir


def test_liveness_answers_what_the_live_sets_say(tmp_path):
    checked = 0
    for fn in _corpus(tmp_path):
        fast, plain = analysis.Liveness(fn), LiveSets(fn)
        values = _all_values(fn)
        for a in values:
            for b in values:
                if a is b:
                    continue
                answer = fast.interfere(a, b)
                assert answer == plain.interfere(a, b), (a, b)
                (fa, la), (fb, lb) = fast.span(a), fast.span(b)
                overlap = fa <= lb and fb <= la
                if answer:
                    assert overlap, (a, b)  # disjoint spans never interfere
                da, db = fast.defs.get(a), fast.defs.get(b)
                if da and db and da[0] == db[0] == "result" and da[2] is db[2]:
                    assert answer == overlap, (a, b)  # exact within a block
                checked += 1
    assert checked > 10000


class PlainStorage(storage.Storage):
    """The coalescing as it was first written: every pair of values of two
    variables checked, every variable of a name looked at."""

    def compatible(self, a, b):
        ga, gb = self.group(a), self.group(b)
        if self.find(a) is self.find(b):
            return True
        if any(v in self.alias_global for v in ga + gb):
            return False
        if len({v.hint for v in ga + gb if v.user}) > 1:
            return False
        if sum(1 for v in ga + gb if v in self.params) > 1:
            return False
        return not any(self.live.interfere(x, y) or y in self.header.get(x, ())
                       for x in ga for y in gb)

    def _first_fit(self, values, limit):
        roots = []
        for v in values:
            r = self.find(v)
            if r in roots:
                continue
            for other in roots:
                if self.compatible(other, v):
                    self.union(other, v)
                    break
            else:
                roots.append(r)
            roots = list(dict.fromkeys(self.find(x) for x in roots))


def test_the_variables_are_those_the_plain_coalescing_chooses(tmp_path):
    for k, fn in enumerate(_corpus(tmp_path)):
        fast = storage.Storage(fn, set(), merge_names=True, uses=analysis.count_uses(fn))
        plain = PlainStorage(fn, set(), merge_names=True, uses=analysis.count_uses(fn))
        values = list(fast.order)
        assert {frozenset(fast.group(v)) for v in values} == \
            {frozenset(plain.group(v)) for v in values}, k


# ---------------------------------------------------------------------------
# verify keeps one scope for the whole function: what a region defines is
# visible in it and not after it
# ---------------------------------------------------------------------------
def _ir_with_branch_value(use_after, in_cond=False):
    from s2sad.ir.nodes import Block, Const, Function, Param, While
    x = Value("x", True)
    inner, out = Value("inner"), Value("out")
    if in_cond:  # a while-loop's condition defines inner, its body reads it
        arg, nxt, test = Value("a"), Value("nxt"), Value("test")
        cond = Block([Prim("compare", [arg, Const(1.0)], [test], {"op": "<"}),
                      Prim("binop", [arg, Const(2.0)], [inner], {"op": "*"})], [test])
        body = Block([Prim("binop", [inner, Const(1.0)], [nxt], {"op": "+"})], [nxt])
        loop = While([arg], [x], cond, body, [Value("r")])
        ops = [loop]
    else:
        then = Block([Prim("binop", [x, Const(2.0)], [inner], {"op": "*"})], [inner])
        ops = [If(x, then, Block([], [x]), [Value("merged")])]
    ops.append(Prim("binop", [inner if use_after else x, Const(1.0)], [out], {"op": "+"}))
    return Function("f", [Param(x)], Block(ops, [out]))


def test_verify_refuses_a_value_read_after_the_region_that_defines_it():
    from s2sad.ir.verify import VerificationError, verify
    verify(_ir_with_branch_value(False))
    verify(_ir_with_branch_value(False, in_cond=True))  # the body sees the condition's values
    for in_cond in (False, True):
        with pytest.raises(VerificationError, match="not defined"):
            verify(_ir_with_branch_value(True, in_cond))
