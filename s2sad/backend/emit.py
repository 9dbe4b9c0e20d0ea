"""IR → Python source.

Three steps:

1. **Storage** (:mod:`.storage`).  SSA values are assigned to Python
   variables.  Values joined by control flow (a loop's init, argument, yield
   and result; an ``If``'s yields and result) share one variable when their
   live ranges do not interfere and they stand for the same user variable;
   otherwise the emitter writes a copy.  In-place writes (``x[i] = v``,
   ``x += v``, ``xs.append(v)``) always keep their object's variable, as Python
   does.
2. **Expressions.**  Each op becomes one ``ast`` statement.  Temporaries used
   once are folded into their user (``inline=True``; always for the test of an
   ``if``/``while`` and the iterable of a ``for``) when no write or side effect
   lies between.
3. **Text.**  Statements are unparsed one by one with :func:`unparse` (the
   standard library's ``ast.unparse``) and indented by hand, which lets the
   emitter put the user's source line as a comment above each group of lines.
"""
from __future__ import annotations

import ast
import math
from collections import defaultdict
from typing import Dict, List, Optional, Set

from ..ir.nodes import (MISSING, Block, Const, For, Function, Global, If, Prim, UNDEF,
                        Value, While)
from ..ir.analysis import count_uses, is_pure
from ..rules.structure import CONTEXT_OPS
from .copies import copy_sources
from .storage import Storage


def unparse(node: ast.AST) -> str:
    """Python source for an ``ast`` node.

    The design card names ``astunparse``, but its last release (1.6.3) emits
    invalid code for NumPy subscripts on Python >= 3.9 (``x[1:3, None]`` becomes
    ``x[(1:3, None)]``) and parenthesises every sub-expression; the standard
    library's ``ast.unparse`` is its maintained successor.
    """
    try:  # only statements' line numbers are read (for type comments)
        if isinstance(node, ast.stmt) and not hasattr(node, "lineno"):
            node.lineno = 1
        return ast.unparse(node)
    except AttributeError:
        return ast.unparse(ast.fix_missing_locations(node))


def _negated(e: ast.expr) -> ast.expr:
    """``-e`` of a product of numbers or arrays, written ``-a * b`` rather than
    ``-(a * b)``: the minus goes on its first factor, which gives the same
    number (a product's sign is its factors'), and ``--a`` is ``a``.  Only
    for derivative code (ad/builder.py marks it): a user's operands may be
    objects whose negation and product do not commute so."""
    if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Mult, ast.Div)):
        return ast.BinOp(_negated(e.left), e.op, e.right)
    if isinstance(e, ast.UnaryOp) and isinstance(e.op, ast.USub):
        return e.operand
    return ast.UnaryOp(_MINUS, e)


# one context and one operator object for every node, as ast.parse shares its
# own (nodes are built by the ten thousand, and unparse reads an operator's
# class only)
_LOAD, _STORE = ast.Load(), ast.Store()
_MINUS = ast.USub()

_BINOPS = {"+": ast.Add(), "-": ast.Sub(), "*": ast.Mult(), "/": ast.Div(),
           "//": ast.FloorDiv(), "%": ast.Mod(), "**": ast.Pow(), "@": ast.MatMult(),
           "<<": ast.LShift(), ">>": ast.RShift(), "|": ast.BitOr(), "&": ast.BitAnd(),
           "^": ast.BitXor()}
_AUGMENTED = {type(op): symbol for symbol, op in _BINOPS.items()}  # ast.Add -> "+"
_UNARY = {"-": _MINUS, "+": ast.UAdd(), "not": ast.Not(), "~": ast.Invert()}
_CMP = {"<": ast.Lt(), "<=": ast.LtE(), ">": ast.Gt(), ">=": ast.GtE(), "==": ast.Eq(),
        "!=": ast.NotEq(), "is": ast.Is(), "is not": ast.IsNot(), "in": ast.In(),
        "not in": ast.NotIn()}

# ---------------------------------------------------------------------------
# Code generation
# ---------------------------------------------------------------------------
class Emitter:
    def __init__(self, fn: Function, name: Optional[str] = None, inline: bool = False,
                 comments: bool = True, keep=frozenset()):
        self.fn = fn
        self.keep = keep  # values that keep their own line even when used once
        self.fname = name or fn.name
        self.inline = inline
        self.comments = comments
        self.namespace: Dict[str, object] = {}
        self.global_names: Dict[tuple, str] = {}
        self.uses = count_uses(fn)
        reserved = self._collect_globals(fn)
        self.storage = Storage(fn, reserved, merge_names=inline, uses=self.uses)
        self.copy_sources = copy_sources(fn, self.storage)
        self.inlined: Dict[Value, ast.expr] = {}
        self.folded_ops: Dict[Value, Prim] = {}  # each folded value's op (for reads)
        self._first_use: Dict[int, tuple] = {}  # id(block) -> (block, where values are read)
        self._region_use: Dict[int, Set] = {}  # id(op) -> what its regions read
        self.lines: List[str] = []
        self.const_count = 0
        self.last_comment = None

    # -- globals and constants ----------------------------------------------
    def _collect_globals(self, fn):
        roots, objects = _global_roots(fn)
        reserved = set()
        fixed = {self.fname} | {p.value.hint for p in fn.params}  # may not be shadowed
        for root, keys in roots.items():
            k = 0
            for key in keys:
                if root == self.fname and getattr(objects[key], "stands_for", None) == root:
                    self.global_names[key] = root  # a recursive derivative calls itself
                    continue
                name = root if k == 0 else f"{root}_{k}"
                while name in fixed:
                    k += 1
                    name = f"{root}_{k}"
                k += 1
                self.global_names[key] = name
                obj = objects[key]
                if obj is not MISSING:
                    self.namespace[name] = obj
                reserved.add(name)
        return reserved

    def global_expr(self, g: Global) -> ast.expr:
        parts = g.name.split(".")
        key = (parts[0], id(g.root) if g.root is not None else id(g.obj))
        node: ast.expr = ast.Name(self.global_names[key], _LOAD)
        for p in parts[1:]:
            node = ast.Attribute(node, p, _LOAD)
        return node

    def const_expr(self, value) -> ast.expr:
        if type(value) is float and 0.0 < value < math.inf or type(value) is int and value >= 0:
            return ast.Constant(value)  # the usual constant, as below
        if _is_literal(value):
            if isinstance(value, tuple):
                return ast.Tuple([self.const_expr(v) for v in value], _LOAD)
            if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
                return self.bind_const(value)
            if value is Ellipsis:
                return ast.Constant(...)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and \
                    (value < 0 or (value == 0 and math.copysign(1.0, value) < 0)):
                # -2.0 as an operator, so that unparse writes (-2.0) ** n, not -2.0 ** n
                return ast.UnaryOp(_MINUS, ast.Constant(-value))
            if isinstance(value, complex) and value.real == 0 and value.imag < 0 and \
                    math.copysign(1.0, value.real) < 0:
                return ast.UnaryOp(_MINUS, ast.Constant(-value))  # -1j, not (-0-1j)
            return ast.Constant(value)
        return self.bind_const(value)

    def bind_const(self, value):
        for k, v in self.namespace.items():
            if v is value and k.startswith("const"):
                return ast.Name(k, _LOAD)
        name = f"const_{self.const_count}" if self.const_count else "const"
        self.const_count += 1
        self.namespace[name] = value
        return ast.Name(name, _LOAD)

    # -- operands -------------------------------------------------------------
    def operand(self, a) -> ast.expr:
        if isinstance(a, Value):
            folded = self.inlined.pop(a, None)
            if folded is not None:
                return folded
            if a in self.storage.alias_global:
                return self.global_expr(self.storage.alias_global[a])
            return ast.Name(self.storage.name(a), _LOAD)
        if isinstance(a, Const):
            return self.const_expr(a.value)
        if isinstance(a, Global):
            return self.global_expr(a)
        if a is UNDEF:
            raise ValueError("an undefined value reached the emitter")
        raise TypeError(f"not an operand: {a!r}")

    def target(self, v: Value) -> ast.expr:
        return ast.Name(self.storage.name(v), _STORE)

    # -- expressions of primitives --------------------------------------------
    def index_expr(self, template, args) -> ast.expr:
        kind = template[0]
        if kind == "val":
            return self.operand(args[template[1]])
        if kind == "slice":
            parts = [None if p is None else self.operand(args[p]) for p in template[1:]]
            return ast.Slice(*parts)
        return ast.Tuple([self.index_expr(t, args) for t in template[1]], _LOAD)

    def call_args(self, op, first):
        args = op.args
        kw = op.attrs.get("kw", ())
        star = set(op.attrs.get("star", ()))
        dstar = set(op.attrs.get("dstar", ()))
        nkw = len(kw)
        positional = list(range(first, len(args) - nkw))
        pos_nodes, keywords = [], []
        for i in positional:
            if i in dstar:
                continue
            node = self.operand(args[i])
            pos_nodes.append(ast.Starred(node, _LOAD) if i in star else node)
        for i in positional:
            if i in dstar:
                keywords.append(ast.keyword(None, self.operand(args[i])))
        for name, a in zip(kw, args[len(args) - nkw:]):
            keywords.append(ast.keyword(name, self.operand(a)))
        return pos_nodes, keywords

    def expr(self, op: Prim) -> ast.expr:
        k, a = op.kind, op.args
        if k == "binop":
            o = op.attrs["op"]
            if o in ("or", "and"):
                return ast.BoolOp(ast.Or() if o == "or" else ast.And(),
                                  [self.operand(a[0]), self.operand(a[1])])
            return ast.BinOp(self.operand(a[0]), _BINOPS[o], self.operand(a[1]))
        if k == "unary" and op.attrs.get("product"):  # derivative code's -(u * v)
            return _negated(self.operand(a[0]))
        if k == "unary":
            return ast.UnaryOp(_UNARY[op.attrs["op"]], self.operand(a[0]))
        if k == "compare":
            return ast.Compare(self.operand(a[0]), [_CMP[op.attrs["op"]]], [self.operand(a[1])])
        if k == "call":
            func = self.operand(a[0])
            pos, kws = self.call_args(op, 1)
            return ast.Call(func, pos, kws)
        if k == "callmethod":
            obj = self.operand(a[0])
            pos, kws = self.call_args(op, 1)
            return ast.Call(ast.Attribute(obj, op.attrs["method"], _LOAD), pos, kws)
        if k == "getattr":
            return ast.Attribute(self.operand(a[0]), op.attrs["attr"], _LOAD)
        if k == "getitem":
            return ast.Subscript(self.operand(a[0]), self.index_expr(op.attrs["index"], a),
                                 _LOAD)
        if k == "build":
            t = op.attrs["type"]
            star = set(op.attrs.get("star", ()))
            if t == "dict":
                dstar = set(op.attrs.get("dstar", ()))
                keys, values = [], []
                i = 0
                while i < len(a):
                    if i in dstar:
                        keys.append(None)
                        values.append(self.operand(a[i]))
                        i += 1
                    else:
                        keys.append(self.operand(a[i]))
                        values.append(self.operand(a[i + 1]))
                        i += 2
                return ast.Dict(keys, values)
            elts = [ast.Starred(self.operand(x), _LOAD) if i in star else self.operand(x)
                    for i, x in enumerate(a)]
            if t == "tuple":
                return ast.Tuple(elts, _LOAD)
            if t == "list":
                return ast.List(elts, _LOAD)
            if not elts:
                return ast.Call(ast.Name("set", _LOAD), [], [])
            return ast.Set(elts)
        if k == "copy":
            return self.operand(a[0])
        if k == "fstring":
            def joined(parts):
                values = []
                for part in parts:
                    if isinstance(part, str):
                        values.append(ast.Constant(part))
                        continue
                    pos, conv, spec = part
                    value = self.operand(a[pos])  # before the spec's operands
                    if isinstance(spec, str):
                        fs = ast.JoinedStr([ast.Constant(spec)]) if spec else None
                    else:
                        fs = joined(spec) if spec else None
                    values.append(ast.FormattedValue(value, conv if conv is not None else -1,
                                                     fs))
                return ast.JoinedStr(values)

            return joined(op.attrs["parts"])
        raise NotImplementedError(f"no expression for primitive {k}")

    # -- statements -----------------------------------------------------------
    def emit_prim(self, op: Prim, indent: int):
        """Write op's statement.  Most are ``x = e`` or ``x += e``, written as
        the variable and the operator before the unparsed value (the text
        unparse gives the statement, without building its nodes)."""
        k, a = op.kind, op.args
        if k == "raise":
            self.write(ast.Raise(self.operand(a[0]) if a else None, None), indent)
            return
        if k in ("setitem", "augsetitem", "setattr", "augsetattr"):
            base = self.operand(a[0])
            value = self.operand(a[1])
            if k.endswith("item"):
                tgt = ast.Subscript(base, self.index_expr(op.attrs["index"], a), _STORE)
            else:
                tgt = ast.Attribute(base, op.attrs["attr"], _STORE)
            self.write(ast.Assign([tgt], value) if k.startswith("set") else
                       ast.AugAssign(tgt, _BINOPS[op.attrs["op"]], value), indent)
            return
        if k == "binop" and op.attrs.get("inplace") and isinstance(a[0], Value) \
                and self.storage.find(a[0]) is self.storage.find(op.results[0]):
            value = unparse(self.operand(a[1]))
            self.write_text(f"{self.storage.name(op.results[0])} {op.attrs['op']}= {value}",
                            indent)
            return
        if op.attrs.get("mutates"):
            self.write(ast.Expr(self.expr(op)), indent)
            return
        if k == "unpack":
            star = op.attrs.get("star")
            elts = []
            for i, r in enumerate(op.results):
                t = self.target(r) if self.uses.get(r) else ast.Name("_", _STORE)
                elts.append(ast.Starred(t, _STORE) if i == star else t)
            self.write(ast.Assign([ast.Tuple(elts, _STORE)], self.operand(a[0])), indent)
            return
        value = self.expr(op)
        if not op.results or (not self.uses.get(op.results[0]) and k in ("call", "callmethod")):
            self.write(ast.Expr(value), indent)
            return
        name = self.storage.name(op.results[0])
        if not (isinstance(value, ast.Name) and value.id == name):  # a copy into its own variable
            self.write_text(name + " = " + unparse(value), indent)

    def can_inline(self, op: Prim, block: Block, position: int, header: bool) -> bool:
        """Whether op's single result, read once and not a user's variable,
        may be folded into its use."""
        r = op.results[0]
        if op.kind in ("unpack", "copy") or r in self.storage.alias_global or r in self.keep:
            return False
        if r not in self.storage.foldable and not self._next_use_only(op, block, position):
            # (op has one result: it is pure exactly when the storage calls that foldable)
            return False
        if not self.storage.alone(r):
            return False
        if not (self.inline or header):
            return False
        return True

    def _next_use_only(self, op, block, position) -> bool:
        """A call with effects may fold into the very next statement when nothing
        else folded there would now run before it (``x, y = tape.pop()``)."""
        if op.kind not in ("call", "callmethod") or position + 1 >= len(block.ops):
            return False
        nxt = block.ops[position + 1]
        if not isinstance(nxt, Prim) or not any(a is op.results[0] for a in nxt.args):
            return False
        return not any(isinstance(a, Value) and a in self.inlined for a in nxt.args)

    def find_use(self, block: Block, start: int, v: Value):
        """Position of the op in ``block`` (from ``start``) whose own operands use v
        (None when an op's regions read it first)."""
        cached = self._first_use.get(id(block))
        if cached is None or cached[0] is not block:
            cached = self._first_use[id(block)] = (block, self._first_uses(block))
        j = cached[1].get(v)
        if j is None:
            return len(block.ops) if any(y is v for y in block.yields) else None
        if (j if j >= 0 else ~j) >= start:
            return j if j >= 0 else None
        return self._scan_use(block, start, v)  # read before start too

    def _first_uses(self, block: Block) -> dict:
        """For each value read in ``block``, where first: the position of the op
        that reads it itself, or ``~position`` of the op whose regions do."""
        first: dict = {}
        for j, op in enumerate(block.ops):
            if isinstance(op, Prim):  # (no regions)
                for x in op.args:
                    if isinstance(x, Value) and x not in first:
                        first[x] = j
                continue
            for x in op.operands():
                if isinstance(x, Value) and x not in first:
                    first[x] = j
            for x in self._region_uses(op):
                if x not in first:
                    first[x] = ~j
        return first

    def _region_uses(self, op) -> Set:
        """Every value read anywhere inside an op's regions."""
        out = self._region_use.get(id(op))
        if out is None:
            out = set()
            for b in op.blocks():
                out.update(y for y in b.yields if isinstance(y, Value))
                for inner in b.ops:
                    out.update(x for x in inner.operands() if isinstance(x, Value))
                    if isinstance(inner, (For, While)) and isinstance(inner.brk, Value):
                        out.add(inner.brk)
                    if not isinstance(inner, Prim):
                        out |= self._region_uses(inner)
            self._region_use[id(op)] = out
        return out

    def _scan_use(self, block: Block, start: int, v: Value):
        for j in range(start, len(block.ops)):
            op = block.ops[j]
            if any(x is v for x in op.operands()):
                return j
            for b in op.blocks():
                if _uses_in(b, v):
                    return None
        if any(y is v for y in block.yields):
            return len(block.ops)
        return None

    def reads(self, op: Prim) -> Set:
        """Storage roots an op's expression reads (through folded operands)."""
        acc, todo = set(), [op]
        while todo:
            for a in todo.pop().args:
                if isinstance(a, Value):
                    acc.add(self.storage.find(a))
                    folded = self.folded_ops.get(a)
                    if folded is not None:
                        todo.append(folded)
        return acc

    def emit_block(self, block: Block, indent: int, yields_to=None, header_yields=False,
                   owner=None):
        """Emit a block; ``yields_to`` is a list of values receiving the yields.

        Inside a compound statement the source-line comments start afresh, unless
        the statement and its body come from one line (a comprehension)."""
        ops = block.ops
        if owner is not None:
            first = next((o for o in block.walk() if o.loc is not None), None)
            if owner.loc is None or first is None or first.loc.text != owner.loc.text:
                self.last_comment = None
        opened = []  # kept with-blocks open in this block: where each header is
        for i, op in enumerate(ops):
            if isinstance(op, Prim):
                if op.kind in CONTEXT_OPS:
                    indent = self.emit_context(op, indent, opened)
                    continue
                # decide whether to fold this op into a later use
                if len(op.results) == 1 and self._fold(op, block, i, header_yields):
                    continue
                if self.comments and op.loc is not None and op.loc.text and \
                        op.loc.text != self.last_comment:
                    self.lines.append("    " * indent + "# " + op.loc.text)
                    self.last_comment = op.loc.text
                self.emit_prim(op, indent)
            elif isinstance(op, If):
                self.emit_if(op, indent)
            elif isinstance(op, For):
                self.emit_for(op, indent)
            elif isinstance(op, While):
                self.emit_while(op, indent)
        while opened:  # a with-block whose body raises ends with the block
            indent = self.close_context(indent, opened)
        if yields_to is not None:
            self.parallel_copy(list(zip(yields_to, block.yields)), indent)

    def _fold(self, op: Prim, block: Block, i: int, header_yields: bool) -> bool:
        """Fold op's result into its later use when it may (then True)."""
        ops = block.ops
        r = op.results[0]
        if self.uses.get(r) != 1 or r.user:
            return False
        j = self.find_use(block, i + 1, r)
        if j is None or not (j < len(ops) or header_yields):
            return False
        header = j < len(ops) and not isinstance(ops[j], Prim) or j == len(ops) and header_yields
        if not self.can_inline(op, block, i, header):
            return False
        # what the expression reads is asked only where something could
        # overwrite it: statements between, or a for-loop's carried values
        if j > i + 1 or (j < len(ops) and isinstance(ops[j], For)):
            reads = self.reads(op)
            if not self._safe_between(ops, i, j, reads) or \
                    (j < len(ops) and self._loop_inits_clobber(op, ops[j], reads)):
                return False
        self.folded_ops[r] = op
        self.inlined[r] = self.expr(op)
        return True

    def emit_context(self, op: Prim, indent: int, opened) -> int:
        """``with_enter`` opens a with-statement (the indentation grows),
        ``with_exit`` closes it; one with nothing inside is left out."""
        if op.kind == "with_exit":
            return self.close_context(indent, opened) if opened else indent
        attrs = {k: v for k, v in op.attrs.items() if k in ("kw", "star", "dstar")}
        call = self.expr(Prim("call", list(op.args), [], attrs))
        self.lines.append("    " * indent + f"with {unparse(call)}:")
        opened.append(len(self.lines))
        self.last_comment = None
        return indent + 1

    def close_context(self, indent: int, opened) -> int:
        start = opened.pop()
        if not _has_code(self.lines[start:]):
            del self.lines[start - 1:]
        return indent - 1

    def _loop_inits_clobber(self, op, loop, reads) -> bool:
        """Whether a for-loop's carried values, assigned just before its header,
        overwrite a variable that op (folded into the header's iterable) reads."""
        if not isinstance(loop, For) or loop.iter is not op.results[0]:
            return False
        return any(self.storage.find(a) in reads
                   for a, init in zip(loop.args, loop.inits)
                   if init is not UNDEF and not (isinstance(init, Value) and
                                                 self.storage.find(init) is self.storage.find(a)))

    def _safe_between(self, ops, i, j, reads) -> bool:
        """Whether an op at i that reads ``reads`` may move down to j."""
        find, pure = self.storage.find, self.storage.foldable
        for k in range(i + 1, j):
            mid = ops[k]
            results = mid.results
            # (an op of one result is pure exactly when the storage calls it foldable)
            if not (len(results) == 1 and results[0] in pure) and not is_pure(mid) and \
                    not (isinstance(mid, Prim) and (mid.kind == "copy" or mid.attrs.get("scalar"))):
                return False  # (a scalar x += v only rebinds x)
            for r in results:
                if find(r) in reads:
                    return False
        return True

    def write(self, stmt: ast.stmt, indent: int):
        self.write_text(_statement_text(stmt), indent)

    def write_text(self, text: str, indent: int):
        if text.isprintable() and text:  # one line (no line break is printable): the usual case
            self.lines.append("    " * indent + text)
            return
        for line in text.splitlines():
            self.lines.append("    " * indent + line)

    def parallel_copy(self, pairs, indent):
        """Assign each destination value's variable from its source, all at once."""
        moves = []
        # a variable left unbound here (UNDEF: a loop's early-return value before
        # it is set) that a copy reads later, before it is set: bind it to None
        unbound = list(dict.fromkeys(self.storage.name(d) for d, s in pairs if s is UNDEF and
                                     self.storage.find(d) in self.copy_sources))
        for dst, src in pairs:
            if src is UNDEF:
                continue
            if isinstance(src, Value) and src not in self.inlined and \
                    src not in self.storage.alias_global and \
                    self.storage.find(src) is self.storage.find(dst):
                continue
            moves.append((dst, src))
        if not moves:
            self._bind_none(unbound, indent)
            return
        dst_names = {self.storage.name(d) for d, _ in moves}
        srcs = [s for _, s in moves]
        conflict = any(isinstance(s, Value) and s not in self.inlined and
                       self.storage.name(s) in dst_names for s in srcs) and len(moves) > 1
        if conflict:
            tgt = ast.Tuple([self.target(d) for d, _ in moves], _STORE)
            val = ast.Tuple([self.operand(s) for s in srcs], _LOAD)
            self.write(ast.Assign([tgt], val), indent)
        else:
            for d, s in moves:
                self.write(ast.Assign([self.target(d)], self.operand(s)), indent)
        self._bind_none(unbound, indent)

    def _bind_none(self, names, indent):
        for name in names:
            self.lines.append("    " * indent + f"{name} = None")

    def emit_if(self, op: If, indent: int):
        cond = self.operand(op.cond)
        start = len(self.lines)
        self.lines.append(None)  # header placeholder
        self.emit_block(op.then, indent + 1, op.results, owner=op)
        then_lines = self.lines[start + 1:]
        del self.lines[start + 1:]
        self.emit_block(op.orelse, indent + 1, op.results, owner=op)
        else_lines = self.lines[start + 1:]
        del self.lines[start:]
        pad = "    " * indent
        if not _has_code(then_lines) and _has_code(else_lines):
            self.lines.append(pad + "if " + unparse(_negate(cond)) + ":")
            self.lines.extend(else_lines)
            return
        self.lines.append(pad + "if " + unparse(cond) + ":")
        self.lines.extend(then_lines if _has_code(then_lines) else then_lines + [pad + "    pass"])
        if _has_code(else_lines):
            if len(else_lines) >= 1 and _is_single_if(else_lines, indent + 1):
                self.lines.append(pad + "el" + else_lines[0].strip())
                self.lines.extend(line[4:] for line in else_lines[1:])
            else:
                self.lines.append(pad + "else:")
                self.lines.extend(else_lines)

    def emit_for(self, op: For, indent: int):
        self.parallel_copy(list(zip(op.args, op.inits)), indent)
        it = self.operand(op.iter)
        body = op.body
        first = body.ops[0] if body.ops else None
        # (the item's variable, not written, may hold other values at other times)
        if isinstance(first, Prim) and first.kind == "unpack" and first.args[0] is op.item and \
                self.uses.get(op.item) == 1:
            star = first.attrs.get("star")
            elts = []
            for i, r in enumerate(first.results):
                t = self.target(r) if self.uses.get(r) or r.user else ast.Name("_", _STORE)
                elts.append(ast.Starred(t, _STORE) if i == star else t)
            target = ast.Tuple(elts, _STORE)
            pad = "    " * indent
            self.lines.append(pad + f"for {unparse(target)[1:-1] if len(elts) > 1 else unparse(target)} in {unparse(it)}:")
            start = len(self.lines)
            self.emit_block(Block(body.ops[1:], body.yields), indent + 1, op.args, owner=op)
            self._loop_tail(op, indent, start)
            return
        item = self.target(op.item) if self.uses.get(op.item) or op.item.user or \
            len(self.storage.group(op.item)) > 1 else ast.Name("_", _STORE)
        pad = "    " * indent
        self.lines.append(pad + f"for {unparse(item)} in {unparse(it)}:")
        start = len(self.lines)
        self.emit_block(op.body, indent + 1, op.args, owner=op)
        self._loop_tail(op, indent, start)

    def _loop_tail(self, op, indent, start):
        pad = "    " * indent
        if op.brk is not None:
            self.lines.append(pad + f"    if {unparse(self.operand(op.brk))}:")
            self.lines.append(pad + "        break")
        if not _has_code(self.lines[start:]):
            self.lines.append(pad + "    pass")
        self.parallel_copy(list(zip(op.results, op.args)), indent)

    def emit_while(self, op: While, indent: int):
        self.parallel_copy(list(zip(op.args, op.inits)), indent)
        pad = "    " * indent
        header = len(self.lines)
        self.lines.append(None)
        self.emit_block(op.cond, indent + 1, header_yields=True)
        cond_lines = self.lines[header + 1:]
        cond = self.operand(op.cond.yields[0])
        if not _has_code(cond_lines):
            del self.lines[header + 1:]
            self.lines[header] = pad + f"while {unparse(cond)}:"
        else:
            self.lines[header] = pad + "while True:"
            self.lines.append(pad + f"    if {unparse(_negate(cond))}:")
            self.lines.append(pad + "        break")
        start = len(self.lines)
        self.emit_block(op.body, indent + 1, op.args, owner=op)
        if op.brk is not None:
            self.lines.append(pad + f"    if {unparse(self.operand(op.brk))}:")
            self.lines.append(pad + "        break")
        if not _has_code(self.lines[start:]) and not _has_code(cond_lines):
            self.lines.append(pad + "    pass")
        self.parallel_copy(list(zip(op.results, op.args)), indent)

    # -- the function -----------------------------------------------------------
    def signature(self) -> str:
        fn = self.fn
        args = ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                             kw_defaults=[], kwarg=None, defaults=[])
        for p in fn.params:
            name = self.storage.name(p.value)
            a = ast.arg(name)
            if p.kind == "positional":
                (args.posonlyargs if p.posonly else args.args).append(a)
                # Python's defaults belong to the last positional parameters: one
                # without a default (an adjoint after ``k=2.0``) ends the run before it
                args.defaults = [] if p.default is None else \
                    args.defaults + [self.operand(p.default)]
            elif p.kind == "vararg":
                args.vararg = a
            elif p.kind == "kwonly":
                args.kwonlyargs.append(a)
                args.kw_defaults.append(None if p.default is None else self.operand(p.default))
            else:
                args.kwarg = a
        return unparse(args)

    def emit(self) -> str:
        self.lines = []
        header = f"def {self.fname}({self.signature()}):"
        if self.fn.docstring:
            self.lines.append("    " + repr(self.fn.docstring))
        self.emit_block(self.fn.body, 1, header_yields=True)
        ret = self.fn.body.yields[0] if self.fn.body.yields else Const(None)
        ret_node = self.operand(ret)
        if isinstance(ret_node, ast.Tuple) and ret_node.elts:
            # ``return a, b`` rather than ``return (a, b)``
            parts = ", ".join(unparse(e) for e in ret_node.elts)
            if len(ret_node.elts) == 1:
                parts = f"({parts},)"
            self.lines.append("    return " + parts)
        else:
            self.write(ast.Return(ret_node), 1)
        return "\n".join([header] + self.lines) + "\n"


def _global_operands(fn):
    """The Global operands of ``fn`` in the order the code reads them:
    parameters' defaults, then each block's yields and its ops' operands."""
    for p in fn.params:
        if isinstance(p.default, Global):
            yield p.default
    yield from _globals_in(fn.body)


def _globals_in(block):
    for y in block.yields:
        if isinstance(y, Global):
            yield y
    for op in block.ops:
        for a in op.operands():
            if isinstance(a, Global):
                yield a
        if isinstance(op, (For, While)) and isinstance(op.brk, Global):
            yield op.brk
        for b in op.blocks():
            yield from _globals_in(b)


def _global_roots(fn: Function):
    """The first names of the function's globals, each with the distinct objects
    it stands for (``(name, id)`` keys, in the order they are first read), and
    the object of each key."""
    roots: Dict[str, list] = defaultdict(list)
    objects: Dict[tuple, object] = {}
    for a in _global_operands(fn):
        root = a.name.split(".")[0]
        key = (root, id(a.root) if a.root is not None else id(a.obj))
        if key not in objects:
            roots[root].append(key)
            objects[key] = a.root if a.root is not None else a.obj
    return roots, objects


def _statement_text(stmt: ast.stmt) -> str:
    # ``x = e`` and ``x += e`` to a variable: the name and the operator as
    # unparse writes them, before the unparsed value (the same text; near a third
    # of unparse's work in a long function went into those two nodes)
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id + " = " + unparse(stmt.value)
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        return f"{stmt.target.id} {_AUGMENTED[type(stmt.op)]}= {unparse(stmt.value)}"
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
            isinstance(stmt.targets[0], ast.Tuple) and len(stmt.targets[0].elts) > 1:
        # a, b = t  (Python 3.9's unparse writes (a, b) = t)
        value = stmt.value
        rhs = ", ".join(unparse(e) for e in value.elts) \
            if isinstance(value, ast.Tuple) and len(value.elts) > 1 else unparse(value)
        return ", ".join(unparse(e) for e in stmt.targets[0].elts) + " = " + rhs
    return unparse(stmt)


def _uses_in(block, v):
    if any(y is v for y in block.yields):
        return True
    for op in block.ops:
        if any(x is v for x in op.operands()):
            return True
        if isinstance(op, (For, While)) and op.brk is v:
            return True
        for b in op.blocks():
            if _uses_in(b, v):
                return True
    return False


def _has_code(lines):
    return any(line is not None and line.strip() and not line.strip().startswith("#")
               for line in lines)


def _is_single_if(lines, indent):
    """True when the lines are exactly one if-statement (to write ``elif``)."""
    code = [l for l in lines if l.strip() and not l.strip().startswith("#")]
    pad = "    " * indent
    if not code or not code[0].startswith(pad + "if "):
        return False
    if lines[0] is not code[0]:
        return False
    tops = [l for l in code if not l.startswith(pad + " ")]
    # one if, then only its own elif/else parts (a second if is another statement)
    return all(l.startswith(pad + "elif ") or l.startswith(pad + "else:") for l in tops[1:])


def _negate(cond: ast.expr) -> ast.expr:
    if isinstance(cond, ast.UnaryOp) and isinstance(cond.op, ast.Not):
        return cond.operand
    if isinstance(cond, ast.Compare) and len(cond.ops) == 1:
        flip = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt,
                ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
                ast.In: ast.NotIn, ast.NotIn: ast.In}
        t = type(cond.ops[0])
        if t in (ast.Is, ast.IsNot, ast.In, ast.NotIn):
            return ast.Compare(cond.left, [flip[t]()], cond.comparators)
    return ast.UnaryOp(ast.Not(), cond)


def _is_literal(value) -> bool:
    if value is None or value is Ellipsis or isinstance(value, (bool, int, float, complex, str, bytes)):
        return type(value) in (type(None), type(Ellipsis), bool, int, float, complex, str, bytes)
    if type(value) is tuple:
        return all(_is_literal(v) for v in value)
    return False


def emit_function(fn: Function, name: Optional[str] = None, inline: bool = False,
                  comments: bool = True, keep=frozenset(), lists=None):
    """Python source for ``fn`` and the namespace its free names need.

    With ``inline``, temporaries used once are folded into their use, except
    the values in ``keep``.  A dict ``lists`` is filled with the variables
    that the function's top-level empty lists (its tapes) live in, by name:
    what the Numba target makes into arrays.
    """
    em = Emitter(fn, name, inline, comments, keep)
    src = em.emit()
    if lists is not None:  # the empty lists the function starts with (its tapes), by name
        lists.update({em.storage.name(op.results[0]): op.results[0] for op in fn.body.ops
                      if isinstance(op, Prim) and op.kind == "build" and not op.args and
                      op.attrs.get("type") == "list" and len(op.results) == 1})
    return src, em.namespace
