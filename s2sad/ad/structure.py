"""The derivative rules of the structural primitives, forward and reverse side
by side (ChainRules' ``frule``/``rrule`` pairs; Zygote treats ``getindex`` and
``getproperty`` the same way).

Their operands are structure rather than numbers (an index template, a literal's
entries, an object's attributes), so each rule builds IR with the transform it
is given: ``jvp(fwd, op)`` sets the tangents of ``op``'s results, and
``vjp(rev, op, bars)`` adds the adjoints of its operands from ``bars``, its
results' adjoints.  The rules are attached to the registry entries that hold
these primitives' facts (:mod:`s2sad.rules.structure`); both transforms look
them up there, as they look up ``np.sin``'s.
"""
from __future__ import annotations

from ..ir.kinds import CONTAINER_KINDS, indexed_kind, kind_of_object
from ..ir.nodes import Const, Global, Value, shift_index
from ..rules.registry import structural, structural_rule
from .builder import Zero, is_zero, runtime_global
from .complexity import has_complex
from .iterators import iterated_sources, iterator_builtin


def rule_of(op):
    """The structural rule for ``op``, if it has one: its kind, or for a call of
    a method that changes its object (or ``xs.pop()``), ``method:<name>``."""
    if op.kind == "callmethod":
        method = op.attrs["method"]
        if not (op.attrs.get("mutates") or method == "pop" and len(op.args) == 1):
            return None
        return structural_rule("method:" + method)
    if op.kind == "call" and isinstance(op.args[0], Global) and op.args[0].obj is zip:
        return structural_rule("call:zip")
    return structural_rule(op.kind)


def _packed(rev, ybar):
    return rev.pack(ybar) if isinstance(ybar, list) else ybar


# -- copy ---------------------------------------------------------------------
def copy_jvp(fwd, op):
    fwd.tan[op.result] = fwd.t(op.args[0])


def copy_vjp(rev, op, bars):
    rev.accumulate(op.args[0], bars[0])


# -- literals: (x, y), [x, y], {k: v} -------------------------------------------
def build_jvp(fwd, op):
    tans = [fwd.t(a) for a in op.args]
    if all(is_zero(x) for x in tans) and op.attrs["type"] != "list":
        fwd.tan[op.result] = Zero(op.result)
        return
    if op.attrs["type"] == "dict":
        items = []
        for i in range(0, len(op.args), 2):
            items += [op.args[i], fwd.b.materialize(tans[i + 1])]
    else:
        items = [fwd.b.materialize(x) for x in tans]
    tv = fwd.b.value("build", items, op.result.hint + "_dot", **op.attrs)
    tv.user = op.result.user
    fwd.tan[op.result] = tv


def build_vjp(rev, op, bars):
    ybar = bars[0]
    t = op.attrs["type"]
    if op.attrs.get("star") or op.attrs.get("dstar"):
        raise rev.error(op, "cannot differentiate a starred element in a literal")
    if t == "dict":
        if isinstance(ybar, list):
            ybar = rev.pack(ybar)
        for i in range(0, len(op.args), 2):
            if isinstance(op.args[i + 1], Value) and op.args[i + 1] in rev.active:
                g = rev.b.call(runtime_global("dict_entry"), [ybar, op.args[i]])
                rev.accumulate(op.args[i + 1], g)
        return
    if not isinstance(ybar, list):
        res = rev.b.prim("unpack", [ybar], nresults=len(op.args), star=None)
        for r, a in zip(res.results, op.args):
            r.hint = (a.hint if isinstance(a, Value) else "t") + "_bar"
        ybar = res.results
    for a, g in zip(op.args, ybar):
        rev.accumulate(a, g)


# -- unpacking: a, b = t --------------------------------------------------------
def unpack_jvp(fwd, op):
    td = fwd.t(op.args[0])
    if is_zero(td):
        for r in op.results:
            fwd.tan[r] = Zero(r)
        return
    new = fwd.b.prim("unpack", [td], nresults=len(op.results), **op.attrs)
    for r, tr in zip(op.results, new.results):
        tr.hint, tr.user = r.hint + "_dot", r.user
        fwd.tan[r] = tr


def _arithmetic_result(rev, v) -> bool:
    """Whether ``v`` is made by arithmetic that no tuple or list supports (``-``,
    ``/``, ``**``, ``@``, or ``*`` by a float): a number or an array, whatever
    kinds could not say (derivative code unpacks such arrays: ``a_bar, b_bar = g``)."""
    if not isinstance(v, Value):
        return False
    defs = getattr(rev, "_arithmetic_defs", None)
    if defs is None:
        defs = rev._arithmetic_defs = {r: o for o in rev.fn.body.walk()
                                       if getattr(o, "kind", None) == "binop"
                                       for r in o.results}
    d = defs.get(v)
    if d is None:
        return False
    o = d.attrs.get("op")
    return o in ("-", "/", "**", "@") or o == "*" and any(
        rev.kinds.get(a) in ("float", "array") if isinstance(a, Value) else
        isinstance(a, Const) and isinstance(a.value, float) for a in d.args)


def unpack_vjp(rev, op, bars):
    base, star = op.args[0], op.attrs.get("star")
    if (rev.kinds.get(base) in ("array", "carray") or
            rev.kinds.get(base) is None and _arithmetic_result(rev, base)) and star is None:
        # a, b, c = x for an array x: the adjoint is an array again
        parts = rev.b.value("build", [_packed(rev, b) if b is not None else Const(None)
                                      for b in bars], "parts", type="list")
        rev.accumulate(base, rev.b.call(runtime_global("unpacked_adjoint"), [parts, base],
                                        hint=_hint(base) + "_bar"))
        return
    if rev.kinds.get(base) is None and star is None and isinstance(base, Value):
        # an array or a tuple, known when it runs: the adjoint is of the same kind
        parts = rev.b.value("build", [rev.b.materialize(_packed(rev, b) if b is not None
                                                        else Zero(r))
                                      for r, b in zip(op.results, bars)], "parts", type="list")
        rev.accumulate(base, rev.b.call(runtime_global("unpacked_adjoint"), [parts, base],
                                        hint=_hint(base) + "_bar"))
        return
    if star is not None:
        # a, *mid, b = t: mid's adjoint (a list) spreads over the entries it took
        def part(i):
            b = bars[i]
            return rev.b.materialize(_packed(rev, b) if b is not None else Zero(op.results[i]))
        before = rev.b.value("build", [part(i) for i in range(star)], "t", type="tuple")
        after = rev.b.value("build", [part(i) for i in range(star + 1, len(bars))], "t",
                            type="tuple")
        middle = bars[star]
        middle = _packed(rev, middle) if middle is not None else rev.b.call(
            runtime_global("zeros_like_value"), [op.results[star]])
        joined = rev.b.call(runtime_global("starred_adjoint"), [before, middle, after],
                            hint=_hint(base) + "_bar")
        if rev.kinds.get(base) in ("array", "carray") or \
                rev.kinds.get(base) is None and _arithmetic_result(rev, base):
            # a, *rest = x for an array x: the rows' adjoints make an array again
            joined = rev.b.call(runtime_global("unpacked_adjoint"), [joined, base],
                                hint=_hint(base) + "_bar")
        rev.accumulate(base, joined)
        return
    rev.accumulate(base, [b if b is not None else Zero(r) for r, b in zip(op.results, bars)])


def _hint(v):
    return v.hint if isinstance(v, Value) else "t"


# -- subscripts: x[i] -----------------------------------------------------------
def getitem_jvp(fwd, op):
    td = fwd.t(op.args[0])
    if is_zero(td):
        fwd.tan[op.result] = Zero(op.result)
        return
    tv = fwd.b.value("getitem", [td] + op.args[1:], op.result.hint + "_dot",
                     index=op.attrs["index"])
    tv.user = op.result.user
    fwd.tan[op.result] = tv


def getitem_vjp(rev, op, bars):
    ybar = _packed(rev, bars[0])
    base = op.args[0]
    if not (isinstance(base, Value) and base in rev.active):
        return
    made = rev.defs_outside.get(base)
    template = op.attrs["index"]
    if made is not None and made.kind == "build" and made.attrs.get("type") in ("tuple", "list") \
            and not made.attrs.get("star") and template[0] == "val" and \
            base not in rev.popped and \
            isinstance(op.args[template[1]], Const) and \
            isinstance(op.args[template[1]].value, int) and \
            -len(made.args) <= op.args[template[1]].value < len(made.args):
        # t = (x, y); t[0]: the adjoint of t stays a list of entries [ybar, 0]
        parts = [Zero(a) for a in made.args]
        parts[op.args[template[1]].value] = ybar
        rev.accumulate(base, parts)
        return
    # ybar added at the index: in place into an array the derivative made, or
    # (np.add.at, so that repeated positions add up) into zeros shaped like the base
    rev.add_at(base, ybar, op.args[1:], op.attrs["index"], rev.kinds.get(op.result))


def index_object(rev, template, args):
    """The index of a subscript as a runtime object (slices become slice())."""
    kind = template[0]
    if kind == "val":
        return args[template[1]]
    if kind == "slice":
        parts = [Const(None) if p is None else args[p] for p in template[1:]]
        return rev.b.call(Global("slice", slice), parts, hint="index")
    items = [index_object(rev, t, args) for t in template[1]]
    return rev.b.value("build", items, "index", type="tuple")


# -- attributes: x.T, obj.w ------------------------------------------------------
def getattr_jvp(fwd, op):
    attr = op.attrs["attr"]
    if attr in ("T", "real", "imag"):
        td = fwd.t(op.args[0])
        fwd.tan[op.result] = td if is_zero(td) else fwd.b.value(
            "getattr", [td], op.result.hint + "_dot", attr=attr)
        return
    if fwd.kinds.get(op.args[0]) in ("array", "float", "int"):
        raise fwd.error(op, f"cannot differentiate the attribute read '.{attr}'",
                        "only .T, .real and .imag of arrays carry derivatives")
    # an object's tangent is a dict of its attributes' tangents, a named tuple's
    # a named tuple
    td = fwd.t(op.args[0])
    if is_zero(td):
        fwd.tan[op.result] = td
    elif isinstance(fwd.kinds.get(op.args[0]), tuple):
        fwd.tan[op.result] = fwd.b.call(
            Global("dict.get", dict.get, dict), [td, Const(attr), Const(0.0)],
            hint=op.result.hint + "_dot")
    else:
        fwd.tan[op.result] = fwd.b.call(runtime_global("attribute_entry"), [td, Const(attr)],
                                        hint=op.result.hint + "_dot")


def getattr_vjp(rev, op, bars):
    ybar = _packed(rev, bars[0])
    attr = op.attrs["attr"]
    if attr in ("T", "real"):
        rev.accumulate(op.args[0], rev.b.value("getattr", [ybar], "t", attr=attr))
        return
    if attr == "imag" and (rev.kinds.get(op.args[0]) in ("complex", "carray") or
                           rev.kinds.get(op.args[0]) is None and has_complex(rev)):
        # z.imag: <w, imag(dz)> = Re(-1j w dz) for the real w (rules/complex.py)
        real = rev.b.value("getattr", [ybar], "t", attr="real")
        rev.accumulate(op.args[0], rev.b.binop("*", Const(-1j), real, "t"))
        return
    if rev.kinds.get(op.args[0]) in ("array", "float", "int"):
        raise rev.error(op, f"cannot differentiate the attribute read '.{attr}'",
                        "only .T and .real of arrays carry derivatives")
    base = op.args[0]
    if isinstance(rev.kinds.get(base), tuple):
        # an object's adjoint is a dict of its attributes' adjoints
        g = rev.b.value("build", [Const(attr), ybar], base.hint + "_bar", type="dict")
    else:  # a named tuple's is a named tuple (an unknown object's, a dict)
        g = rev.b.call(runtime_global("attribute_adjoint"), [ybar, base, Const(attr)])
    rev.accumulate(base, g)


# -- element writes: x[i] = v, x[i] += v ----------------------------------------
def setitem_jvp(fwd, op):
    base, value = op.args[0], op.args[1]
    tb, tv = fwd.t(base), fwd.t(value)
    if is_zero(tb) and is_zero(tv):
        fwd.tan[op.result] = Zero(op.result)
        return
    shared = False
    if is_zero(tb):
        fresh = fwd.b.materialize(Zero(base))
    elif fwd.private_tangent(base, tb):
        fresh = tb  # made by a copy just for this array, read by nothing else
    else:
        fresh, shared = tb, True  # in place: place_copies copies it where it is read again
    tv = fwd.b.materialize(tv) if op.kind == "setitem" else tv
    if is_zero(tv):
        if shared:
            fresh = fwd.b.value("callmethod", [tb], base.hint + "_dot", method="copy")
        fwd.tan[op.result] = fresh
        return
    new = fwd.b.prim(op.kind, [fresh, tv] + op.args[2:], base.hint + "_dot", **op.attrs)
    new.result.user = op.result.user
    if shared:
        fwd.tangent_writes.append(new)
    fwd.tan[op.result] = new.result


def setitem_vjp(rev, op, bars):
    if slice_write_vjp(rev, op, bars):  # xs[i:j] = value for a list: its length may change
        return
    ybar = _packed(rev, bars[0])
    base, value = op.args[0], op.args[1]
    idx_args = op.args[2:]
    shifted = op.attrs["index"]
    if op.kind == "augsetitem" and op.attrs["op"] not in ("+", "-"):
        raise rev.error(op, f"cannot differentiate '{op.attrs['op']}=' into an element yet",
                         "write x[i] = x[i] * v instead")
    entry = indexed_kind(rev.kinds.get(base), shifted, op.args, rev.kinds)
    if isinstance(value, Value) and value in rev.active:
        fancy = any(not isinstance(a, Const) and rev.kinds.get(a) not in ("int", "bool")
                    for a in idx_args)
        if fancy and rev.kinds.get(base) not in CONTAINER_KINDS:
            # an index array may repeat a position: only its last write counts
            index = index_object(rev, shifted, [None, None] + list(idx_args))
            part = rev.b.call(runtime_global("written_adjoint"), [ybar, index])
        else:
            part = rev.b.value("getitem", [ybar] + idx_args, "t",
                                index=shift_index(shifted, -1))
        if op.kind == "augsetitem" and op.attrs["op"] == "-":
            part = rev.b.neg(part)
        if entry in ("float", "complex") and rev.kinds.get(value) == entry:
            if isinstance(part, Value):
                rev.kinds[part] = entry  # a number, no view of the adjoint read
            rev.accumulate(value, part)  # one entry, one number: nothing broadcast
        elif rev.kinds.get(base) in ("list", "dict") and shifted[0] == "val":
            rev.accumulate(value, part)  # the entry is the value itself: nothing broadcast
        else:
            rev.contribute(value, part, op.result)
    if isinstance(base, Value) and base in rev.active:
        if op.kind == "augsetitem":
            rev.accumulate(base, ybar)
        else:
            # the overwritten entry's old value had no effect: its adjoint is 0;
            # written in place into an adjoint this derivative made (a buffer:
            # copy_before_writes copies it if it is read again), else into a copy
            # (one entry only: the adjoint of a slice written may be a view of ybar)
            single = entry in ("float", "complex") and rev.kinds.get(base) in ("array", "carray")
            if single and not rev.is_buffer(ybar):
                rev.want_buffer(ybar)
            own = single and rev.is_buffer(ybar)
            if rev.kinds.get(base) in CONTAINER_KINDS and shifted[0] == "val" and \
                    entry not in ("float", "complex", "int", "bool"):
                # the entry may be a list, a dict or an array: its zero has its structure
                cleared = rev.b.call(runtime_global("entry_cleared"),
                                     [ybar, op.args[shifted[1]]], hint=base.hint + "_bar")
                rev.accumulate(base, cleared)
                return
            copied = ybar if own else copy_of_adjoint(rev, base, ybar)
            cleared = rev.b.value("setitem", [copied, Const(0.0)] + idx_args,
                                   base.hint + "_bar", index=shifted)
            if rev.kinds.get(base) in ("array", "carray"):
                rev.buffers.add(cleared)  # a copy of its own, to write into
            rev.accumulate(base, cleared)


def copy_of_adjoint(rev, base, ybar):
    """A copy of ``base``'s adjoint to write into: a list's may be a tuple (the
    adjoints of its entries, packed), which has no ``copy``."""
    made = rev.b.defs.get(ybar) if isinstance(ybar, Value) else None
    if rev.kinds.get(base) == "list" or made is not None and made.kind == "build" and \
            made.attrs.get("type") == "tuple":
        return rev.b.call(Global("list", list), [ybar], hint=_hint(base) + "_bar")
    return rev.b.value("callmethod", [ybar], _hint(base) + "_bar", method="copy")


def slice_write_vjp(rev, op, bars) -> bool:
    """``xs[i:j] = value`` for a list ``xs``: the value's entries take the place
    of the slice's, as many as it has (``slice_write_adjoints`` splits the
    adjoint where they went).  False for any other write."""
    base, value = op.args[0], op.args[1]
    if rev.kinds.get(base) != "list" or op.attrs["index"][0] != "slice":
        return False
    if op.kind == "augsetitem":
        raise rev.error(op, f"cannot differentiate '{op.attrs['op']}=' into a slice of a list",
                        "write xs[i:j] = xs[i:j] + ... instead")
    ybar = rev.pack(bars[0]) if isinstance(bars[0], list) else bars[0]
    index = index_object(rev, op.attrs["index"], list(op.args))
    pair = rev.b.call(runtime_global("slice_write_adjoints"), [ybar, base, index, value],
                      hint="t")
    res = rev.b.prim("unpack", [pair], nresults=2, star=None)
    for x, g in zip((base, value), res.results):
        g.hint = _hint(x) + "_bar"
        if isinstance(x, Value) and x in rev.active:
            rev.accumulate(x, g)
    return True


# -- list methods: xs.append(v), xs.pop() ---------------------------------------
def method_jvp(fwd, op):
    """xs.append(v): the tangent list changes the same way (it was made fresh
    where xs was made, so it is as private as xs)."""
    method = op.attrs["method"]
    base = fwd.b.materialize(fwd.t(op.args[0]))
    args = list(op.args[1:])
    k = 1 if method == "insert" else 0
    args[k] = fwd.b.materialize(fwd.t(args[k]))
    new = fwd.b.prim("callmethod", [base] + args, op.args[0].hint + "_dot", **op.attrs)
    new.result.user = op.result.user
    fwd.tan[op.result] = new.result


def append_vjp(rev, op, bars):
    # A list's adjoint is a list that runs backwards like a stack: what
    # xs.append(v) pushed, its reverse pops (and xs.pop() pushes back).
    ybar = _packed(rev, bars[0])
    lst, v = op.args[0], op.args[1]
    g = rev.b.value("callmethod", [ybar], v.hint + "_bar" if isinstance(v, Value) else "t",
                    method="pop")
    rev.accumulate(v, g)
    rev.accumulate(lst, ybar)


def extend_vjp(rev, op, bars):
    """xs.extend(ys): ys's adjoint comes off the end of the list's adjoint."""
    ybar = _packed(rev, bars[0])
    lst, added = op.args[0], op.args[1]
    g = rev.b.call(runtime_global("extended_adjoint"), [ybar, added],
                   hint=added.hint + "_bar" if isinstance(added, Value) else "t")
    rev.accumulate(added, g)
    rev.accumulate(lst, ybar)


def insert_vjp(rev, op, bars):
    """xs.insert(i, v): v's adjoint comes out of the list's adjoint at i."""
    ybar = _packed(rev, bars[0])
    lst, index, v = op.args[0], op.args[1], op.args[2]
    g = rev.b.call(runtime_global("inserted_adjoint"), [ybar, index],
                   hint=v.hint + "_bar" if isinstance(v, Value) else "t")
    rev.accumulate(v, g)
    rev.accumulate(lst, ybar)


def pop_jvp(fwd, op):
    # the tangent list mirrors the list: pop it too
    if is_zero(fwd.t(op.args[0])):  # a list of zero tangents: so is its entry
        fwd.tan[op.result] = Zero(op.result)
        return
    td = fwd.b.materialize(fwd.t(op.args[0]))
    fwd.tan[op.result] = fwd.b.value("callmethod", [td], op.result.hint + "_dot",
                                     method="pop")


def pop_vjp(rev, op, bars):
    ybar = _packed(rev, bars[0])
    lst = op.args[0]
    if isinstance(lst, Value) and lst in rev.active:
        cur = rev.bar(lst)
        if isinstance(cur, list):  # a list literal's entries: a list to push onto
            cur = rev.b.value("build", [rev.b.materialize(x) for x in cur], "t", type="list")
            rev.set_bar(lst, cur)
        if cur is None:
            cur = rev.b.materialize(Zero(lst))
            rev.set_bar(lst, cur)
        rev.b.prim("callmethod", [cur, rev.b.materialize(
            ybar if ybar is not None else Zero(op.result))], nresults=0, method="append")


# -- zip(xs, ys, ...), zip(*seqs) -------------------------------------------------
def item_zeros(fwd, a):
    """Zeros to iterate over in step with ``a``, which carries no derivative:
    one per item it gives.  An iterator (``reversed(xs)``) cannot be read
    ahead, so its zeros come from the same call over the zeros of its
    arguments; that mirrors it only while nothing else reads it."""
    made = fwd.b.defs.get(a) if isinstance(a, Value) else None
    f = iterator_builtin(made)
    if f is not None and (f is not iter or len(made.args) == 2):
        if fwd.iterator_reads(a) > 1:
            raise fwd.error(made, f"this {f.__name__}(...) is iterated over in more than "
                                  "one place, and a zip(...) differentiated reads it",
                            f"make it a list once (items = list({f.__name__}(...))) and "
                            "read the list")
        zeros = [item_zeros(fwd, x) for x in iterated_sources(made)]
        if f is enumerate:
            return fwd.b.call(runtime_global("enumerated_tangents"), zeros, hint="zeros")
        strict = made.args[len(made.args) - len(made.attrs.get("kw", ())):]  # zip's strict=
        return fwd.b.value("call", [made.args[0]] + zeros + strict, "zeros",
                           **({"kw": made.attrs["kw"]} if strict else {}))
    if fwd.kinds.get(a) in ("array", "carray") if isinstance(a, Value) else \
            isinstance(a, Const) and kind_of_object(a.value) in ("array", "carray"):
        return fwd.b.materialize(Zero(a))
    return fwd.b.call(runtime_global("item_zeros"), [a], hint="zeros")


def zip_jvp(fwd, op):
    """The tangent of ``zip(xs, ys, ...)`` is the zip of the tangents, consumed
    in step with it (in reverse mode a loop over it sends each entry's adjoint
    back to its sequence: :meth:`~s2sad.ad.reverse.Reverse.item_adjoint`).  A
    sequence with no tangent (``range(n)``) gives zeros, one per item: its
    items carry none, whatever their kinds are known to be."""
    star = op.attrs.get("star", ())
    npos = len(op.args) - len(op.attrs.get("kw", ()))
    args = []
    for i, a in enumerate(op.args[1:], 1):
        if i >= npos:
            args.append(a)  # strict=
            continue
        t = fwd.t(a)
        args.append(fwd.b.materialize(t) if i in star or not is_zero(t) else item_zeros(fwd, a))
    tv = fwd.b.value("call", [op.args[0]] + args, op.result.hint + "_dot", **op.attrs)
    tv.user = op.result.user
    fwd.tan[op.result] = tv


def zip_vjp(rev, op, bars):
    """``zip(xs, ys)`` read other than by a for loop (``list(zip(xs, ys))``,
    ``sorted(...)``): its adjoint is the list of its items' adjoints, whose
    entry ``j`` goes back to sequence ``j``."""
    if op.attrs.get("star"):
        raise rev.error(op, "zip(*seqs) is differentiated only as what a for loop iterates "
                            "over", "iterate over it in a for loop (for a, b in zip(*seqs)), "
                                    "or build the list of tuples in such a loop")
    ybar = _packed(rev, bars[0])
    npos = len(op.args) - len(op.attrs.get("kw", ()))
    for j, src in enumerate(op.args[1:npos]):
        if isinstance(src, Value) and src in rev.active:
            rev.accumulate(src, rev.b.call(runtime_global("zipped_adjoint"),
                                           [ybar, Const(j), src], hint=_hint(src) + "_bar"))


def _attach(kind, jvp, vjp=None):
    rule = structural(kind)
    rule.structural_jvp, rule.structural_vjp = jvp, vjp


_attach("copy", copy_jvp, copy_vjp)
_attach("build", build_jvp, build_vjp)
_attach("unpack", unpack_jvp, unpack_vjp)
_attach("getitem", getitem_jvp, getitem_vjp)
_attach("getattr", getattr_jvp, getattr_vjp)
_attach("setitem", setitem_jvp, setitem_vjp)
_attach("augsetitem", setitem_jvp, setitem_vjp)
_attach("method:append", method_jvp, append_vjp)
_attach("method:extend", method_jvp, extend_vjp)
_attach("method:insert", method_jvp, insert_vjp)
_attach("method:pop", pop_jvp, pop_vjp)
_attach("call:zip", zip_jvp, zip_vjp)
