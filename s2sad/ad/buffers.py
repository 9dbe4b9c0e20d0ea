"""Adjoints written in place: ``v_bar[i] += g`` for the adjoint of a read ``v[i]``.

The reverse sweep adds the adjoint of an entry read into the adjoint of the
whole array.  Into a *buffer*, an array this derivative made (zeros, a sum of
adjoints, what an earlier in-place addition left), it adds in place, in O(1)
per entry; any other adjoint (the caller's ``y_bar``, one shared with another
value) first becomes a buffer by the out-of-place sum.  A list's adjoint is a
buffer too when the derivative made it (``zeros_like_value``, a copy): its
entry ``k`` is replaced by ``add_any(xs_bar[k], g)``, which leaves the entry's
own object alone (entries may be shared, and of any kind).  A loop's reverse
carries a buffer when it starts with one.  ``copy_before_writes`` copies a
buffer that is read again after the write, so sharing stays safe.
"""
from __future__ import annotations

from ..ir.nodes import Const, Global, Value, shift_index
from .builder import Zero, is_zero, np_global, runtime_global
from .complexity import real_cotangent
from .structure import copy_of_adjoint, index_object


_BUFFER_KINDS = ("array", "carray", "list")


def _one_entry(template, args, kinds) -> bool:
    """The index names one entry of a list: an int."""
    if template[0] != "val":
        return False
    a = args[template[1] - 1]
    return isinstance(a, Const) and type(a.value) is int or \
        isinstance(a, Value) and kinds.get(a) == "int"


class Buffers:
    """The in-place half of :class:`~s2sad.ad.reverse.Reverse`'s bookkeeping
    (``self.buffers``: the adjoint values known to be buffers)."""

    def new_slot(self, v, slot, scope):
        """A loop's reverse carries ``slot``, the adjoint of the outer ``v``: an
        array to write into when it starts as one (zeros, or one before the loop)."""
        self.produced.add(slot)
        if self.kinds.get(v) == "list":
            self.list_slots.add(slot)
        outer = scope.parent.get(v)
        if outer is not None and self.kinds.get(v) in _BUFFER_KINDS:
            self.want_buffer(outer)
        if self.is_buffer(outer) or outer is None and self.kinds.get(v) in _BUFFER_KINDS:
            self.buffers.add(slot)

    def want_buffer(self, g):
        """Make ``g``, a reverse loop's carried array adjoint, a buffer to write
        into: the loop then starts from one (a copy, once, before the loop, if
        what it starts from is not one: :meth:`buffer_init`) and yields one."""
        if isinstance(g, Value) and g in self.carried_slots:
            self.buffers.add(g)
            self.wanted.add(g)

    def buffer_init(self, slot, init):
        """Where a reverse loop's carried adjoint ``slot`` starts: a buffer when
        the loop writes into it."""
        if slot not in self.buffers or self.is_buffer(init):
            return init
        self.want_buffer(init)  # an enclosing loop's carried adjoint: a buffer too
        if self.is_buffer(init):
            return init
        if slot in self.list_slots:  # a list's adjoint may be a tuple: list() copies both
            return self.b.call(Global("list", list), [init], hint=slot.hint)
        return self.b.call(np_global("copy"), [init], hint=slot.hint)  # a copy to write into

    def is_buffer(self, g) -> bool:
        if not isinstance(g, Value):
            return False
        if g in self.buffers:
            return True
        made = self.b.defs.get(g)
        return made is not None and made.kind == "call" and (
            made.args[0] == np_global("zeros_like") or
            made.args[0] == runtime_global("zeros_like_value") and len(made.args) == 2 and
            self.kinds.get(made.args[1]) == "list")

    def add_at(self, v, g, index_args, template, entry_kind=None):
        """Add ``g``, the adjoint of ``v[index]`` (of kind ``entry_kind``), to the
        adjoint of ``v``: in place, into an array the derivative made, when
        ``v`` is an array, the index a basic one (ints and slices name each
        entry once) and ``v[index]`` one entry.  (An adjoint of a slice may be of
        another dtype than the buffer, NumPy 2.5's ``eig`` types real results
        complex: out of place, NumPy promotes it.)"""
        cur = self.bar(v)
        if not (isinstance(v, Value) and v in self.active) or g is None or is_zero(g):
            return
        g = real_cotangent(self, v, g)
        if not isinstance(cur, list) and self.kinds.get(v) == "list" and \
                _one_entry(template, index_args, self.kinds):
            self.add_at_list_entry(v, g, cur, index_args, template)
            return
        if isinstance(cur, list) or entry_kind not in ("float", "complex") or \
                not self.basic_index(v, template, index_args):
            cur = None
        elif cur is None:
            cur = self.b.materialize(Zero(v), hint=v.hint + "_bar")
        else:
            self.want_buffer(cur)
        if not self.is_buffer(cur):
            self.accumulate(v, self.b.call(runtime_global("index_adjoint"), [g, v, self.index_of(
                template, index_args)], hint=v.hint + "_bar"))
            new = self.bar(v)
            if new is not None and self.kinds.get(v) in ("array", "carray"):
                self.buffers.add(new)  # zeros with g added, or a sum: a fresh array
            return
        new = self.b.value("augsetitem", [cur, g] + list(index_args), v.hint + "_bar",
                           index=shift_index(template, 1), op="+")
        new.user = v.user
        self.buffers.add(new)
        self.produced.add(new)
        self.set_bar(v, new)

    def add_at_list_entry(self, v, g, cur, index_args, template):
        """``xs_bar[k] = add_any(xs_bar[k], g)``: O(1), into a list this
        derivative made (zeros of ``xs``'s entries, or a copy of an adjoint)."""
        if cur is None:
            cur = self.b.materialize(Zero(v), hint=v.hint + "_bar")
        elif not self.is_buffer(cur):
            self.want_buffer(cur)
            if not self.is_buffer(cur):
                cur = copy_of_adjoint(self, v, cur)
        entry = self.b.value("getitem", [cur] + list(index_args), v.hint + "_bar_entry",
                             index=template)
        total = self.b.call(runtime_global("add_any"), [entry, g], hint=v.hint + "_bar_entry")
        new = self.b.value("setitem", [cur, total] + list(index_args), v.hint + "_bar",
                           index=shift_index(template, 1))
        new.user = v.user
        self.buffers.add(new)
        self.produced.add(new)
        self.set_bar(v, new)

    def basic_index(self, v, template, args) -> bool:
        if self.kinds.get(v) not in ("array", "carray"):
            return False
        parts = template[1] if template[0] == "tuple" else [template]
        for part in parts:
            if part[0] == "tuple":
                return False
            positions = part[1:] if part[0] == "slice" else part[1:2]
            for pos in positions:
                a = None if pos is None else args[pos - 1]
                if pos is None or isinstance(a, Const) and (
                        type(a.value) is int or a.value is None and part[0] == "slice"):
                    continue
                if not (isinstance(a, Value) and self.kinds.get(a) == "int"):
                    return False
        return True

    def index_of(self, template, args):
        return index_object(self, shift_index(template, -1), list(args))
