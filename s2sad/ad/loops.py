"""Loops over a dict's views and over ``zip(*seqs)`` rewritten into the loops
the transforms know, once the kinds say what is iterated.  Changes the function
it is given: the transforms run it on their own copy of the primal.

* ``for k, v in d.items()`` becomes ``for k in d: v = d[k]``, ``for v in
  d.values()`` becomes ``for k in d: v = d[k]`` and ``for k in d.keys()``
  becomes ``for k in d`` (when ``d`` is known to be a dict).  The value is read
  when the iteration starts, as the view reads it; a loop that writes into
  ``d`` reads the version it carries.  An entry's tangent and adjoint are then
  those of a subscript, keyed by the entry's key, whatever order the keys of a
  tangent or a cotangent dict come in.
* ``zip(*[xs, ys])`` with a literal list or tuple of sequences becomes
  ``zip(xs, ys)``.
* ``d.items()``, ``d.values()`` and ``d.keys()`` read other than by a loop
  (``sum(d.values())``, ``enumerate(d.items())``) become the lists
  ``[d[k] for k in d]`` (of pairs, of keys) when nothing writes into ``d``.
* ``d.copy()`` of a dict or a list is marked ``container`` (its rule is not
  ``np.copy``'s).
"""
from __future__ import annotations

from ..ir.analysis import count_uses, is_mutation
from ..ir.nodes import Block, Const, For, Function, Global, If, Prim, Value, While

_VIEWS = ("items", "values", "keys")


def rewrite_loops(fn: Function, kinds) -> bool:
    """Rewrite the loops of ``fn`` in place; whether anything changed."""
    if not any(_may_rewrite(op) for op in fn.body.walk()):
        return False  # a function of arithmetic alone: spare the analyses below
    defs = {}  # value -> (block, op) defining it
    blocks = [fn.body]
    while blocks:
        block = blocks.pop()
        for op in block.ops:
            for r in op.results:
                defs[r] = (block, op)
            blocks.extend(op.blocks())
    uses = count_uses(fn)
    changed = False

    def visit(block: Block):
        nonlocal changed
        for op in list(block.ops):
            if isinstance(op, Prim) and _starred_literal_zip(op, defs):
                made = defs[op.args[1]][1]
                op.args = [op.args[0]] + list(made.args)
                op.attrs.pop("star")
                changed = True
            if isinstance(op, Prim) and op.kind == "callmethod" and \
                    op.attrs.get("method") == "copy" and len(op.args) == 1 and \
                    kinds.get(op.args[0]) in ("dict", "list", None):
                # d.copy() of a dict: rules/methods.py (of an entry of a list
                # written through, which may be one: "maybe")
                op.attrs["container"] = True if kinds.get(op.args[0]) else "maybe"
            if _dict_get(op, kinds):
                i = block.ops.index(op)
                block.ops[i:i + 1] = _as_lookup(op)
                changed = True
                continue
            if isinstance(op, For):
                changed |= _dict_loop(fn, op, defs, uses, kinds)
            for b in op.blocks():
                visit(b)

    visit(fn.body)
    for view in [op for op in fn.body.walk() if _dict_view(op, kinds)]:
        # d.values() read other than by a loop (sum(d.values()), enumerate(d.items())):
        # a list of the entries, as [d[k] for k in d], when nothing writes into d
        block = defs[view.results[0]][0]
        if not _aliases_written(fn, view.args[0], kinds, everywhere=True):
            block.ops[block.ops.index(view):block.ops.index(view) + 1] = _as_list(view)
            changed = True
    return changed


def _may_rewrite(op) -> bool:
    """Whether ``op`` is of the ops rewritten here: a for loop, a method call, a
    call with ``*``."""
    return isinstance(op, For) or isinstance(op, Prim) and (
        op.kind == "callmethod" or op.kind == "call" and bool(op.attrs.get("star")))


def _dict_get(op, kinds) -> bool:
    """``d.get(key)`` or ``d.get(key, default)`` of a value known to be a dict."""
    return isinstance(op, Prim) and op.kind == "callmethod" and \
        op.attrs.get("method") == "get" and len(op.args) in (2, 3) and \
        not op.attrs.get("kw") and not op.attrs.get("star") and \
        kinds.get(op.args[0]) == "dict" and len(op.results) == 1


def _as_lookup(get):
    """``d[key] if key in d else default``, what ``d.get(key, default)`` is,
    as an If whose branches each differentiate as they are."""
    d, key = get.args[0], get.args[1]
    default = get.args[2] if len(get.args) == 3 else Const(None)
    found = Prim("compare", [key, d], [Value("found")], {"op": "in"}, get.loc)
    entry = Prim("getitem", [d, key], [Value(get.results[0].hint, get.results[0].user)],
                 {"index": ("val", 1)}, get.loc)
    return [found, If(found.results[0], Block([entry], [entry.results[0]]),
                      Block([], [default]), list(get.results), get.loc)]


def _dict_view(op, kinds) -> bool:
    """``d.items()``, ``d.values()`` or ``d.keys()`` of a value known to be a dict."""
    return isinstance(op, Prim) and op.kind == "callmethod" and \
        op.attrs.get("method") in _VIEWS and len(op.args) == 1 and \
        not op.attrs.get("kw") and kinds.get(op.args[0]) == "dict" and len(op.results) == 1


def _aliases(fn, d, kinds):
    """``d`` and the values that may be the same dict object (names bound to it,
    what branches and loops carry it as), and, to be safe, the dicts made from
    it (the private copy the memory pass makes of an argument that is written
    stands for the argument)."""
    group = {d}
    changed = True
    while changed:
        changed = False
        for op in fn.body.walk():
            pairs = []
            if isinstance(op, Prim) and op.args and (
                    op.kind == "copy" or is_mutation(op) or
                    op.kind == "callmethod" and op.attrs.get("method") == "copy" or
                    op.results and kinds.get(op.results[0]) == "dict"):
                first = op.args[1] if op.kind == "call" and len(op.args) > 1 else op.args[0]
                pairs = [(first, r) for r in op.results[:1]]
            elif isinstance(op, If):
                pairs = [(y, r) for r, y1, y2 in zip(op.results, op.then.yields,
                                                     op.orelse.yields) for y in (y1, y2)]
            elif isinstance(op, (For, While)):
                pairs = [(x, a) for a, i, y, r in zip(op.args, op.inits, op.body.yields,
                                                      op.results) for x in (i, y)]
                pairs += [(a, r) for a, r in zip(op.args, op.results)]
            for a, b in pairs:
                if (a in group) != (b in group) and isinstance(a, Value) and isinstance(b, Value):
                    group |= {a, b}
                    changed = True
    return group


def _aliases_written(fn, d, kinds, everywhere=False, ops=()) -> bool:
    """Whether anything writes into the dict ``d`` (in ``ops``, or anywhere)."""
    group = _aliases(fn, d, kinds)
    where = fn.body.walk() if everywhere else (o for op in ops for o in [op] + [
        inner for b in op.blocks() for inner in b.walk()])
    return any(is_mutation(op) and op.args and op.args[0] in group for op in where)


def _as_list(view):
    """The ops of ``[d[k] for k in d]`` (``[(k, d[k]) ...]``, ``[k ...]``) giving
    ``view``'s result."""
    d, method, loc = view.args[0], view.attrs["method"], view.loc
    start = Prim("build", [], [Value(method)], {"type": "list"}, loc)
    acc, key = Value(method), Value("key")
    body = Block()
    entry = key
    if method != "keys":
        read = Prim("getitem", [d, key], [Value("value")], {"index": ("val", 1)}, loc)
        body.ops.append(read)
        entry = read.results[0]
        if method == "items":
            pair = Prim("build", [key, entry], [Value("item")], {"type": "tuple"}, loc)
            body.ops.append(pair)
            entry = pair.results[0]
    grown = Prim("callmethod", [acc, entry], [Value(method)],
                 {"method": "append", "mutates": True}, loc)
    body.ops.append(grown)
    body.yields = [grown.results[0]]
    loop = For(d, key, [acc], [start.results[0]], body, [view.results[0]], None, loc)
    return [start, loop]


def _starred_literal_zip(op, defs) -> bool:
    if not (op.kind == "call" and isinstance(op.args[0], Global) and op.args[0].obj is zip):
        return False
    if op.attrs.get("star") != (1,) or len(op.args) != 2 or op.attrs.get("kw"):
        return False
    found = defs.get(op.args[1])
    made = found[1] if found else None
    return isinstance(made, Prim) and made.kind == "build" and \
        made.attrs.get("type") in ("list", "tuple") and not made.attrs.get("star")


def _dict_loop(fn, op: For, defs, uses, kinds) -> bool:
    it = op.iter
    found = defs.get(it) if isinstance(it, Value) else None
    if found is None:
        return False
    where, made = found
    if not (isinstance(made, Prim) and made.kind == "callmethod" and
            made.attrs.get("method") in _VIEWS and len(made.args) == 1 and
            not made.attrs.get("kw") and kinds.get(made.args[0]) == "dict"):
        return False
    view = made.attrs["method"]
    d = made.args[0]
    if where is not None and made in where.ops and op in where.ops:
        between = where.ops[where.ops.index(made) + 1:where.ops.index(op)]
    else:
        between = None
    if between is None or _aliases_written(fn, d, kinds, ops=between):
        return False  # the view would see writes into d made before the loop: left alone
    if uses.get(it, 0) == 1:
        where.ops.remove(made)  # the view is read by this loop only
    op.iter = d
    if view == "keys":
        return True
    # the dict as this iteration sees it: the version the loop carries, if it writes it
    current = next((a for a, init in zip(op.args, op.inits) if init is d), d)
    item = op.item
    body = op.body
    first = next((o for o in body.ops if isinstance(o, Prim) and item in o.args), None)
    if view == "items" and uses.get(item, 0) == 1 and first is not None and \
            first.kind == "unpack" and first.attrs.get("star") is None and \
            len(first.results) == 2 and first.args == [item]:
        # for k, v in d.items(): the key is the loop's item, the value d[k]
        key, value = first.results
        op.item = key
        at = body.ops.index(first)
        body.ops[at] = Prim("getitem", [current, key], [value], {"index": ("val", 1)},
                            first.loc)
        return True
    key = Value("key")
    op.item = key
    read = Prim("getitem", [current, key], [item if view == "values" else Value("value")],
                {"index": ("val", 1)}, op.loc)
    new = [read]
    if view == "items":
        new.append(Prim("build", [key, read.results[0]], [item], {"type": "tuple"}, op.loc))
    body.ops[:0] = new
    return True
