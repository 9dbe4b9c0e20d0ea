"""Python's memory model made explicit: aliases, views and writes as values.

In Python two names can be one object (``z = y``, ``a = b = np.zeros(3)``), a
basic slice, ``.T``, ``.reshape`` or ``np.asarray`` is a *view* that shares its
base's memory, and a write through any of them (``z[0] = v``, ``v *= 2``,
``y.sort()``, ``np.copyto(w, v)``, ``out=w``, a helper that fills its argument,
a method that appends to ``self.items``) changes what every other name sees.
The front end gives each write a new SSA value for the name written; this pass
gives the new version to every other name and view of the same object, so that
the IR the derivative transforms read is in pure value semantics:

* each mutable value (array, list, dict, object) belongs to a *root* (one
  Python object) at a *path* of view steps from it;
* a write through a view is made into a copy of the view and written back
  along its path (``y[1:3] = v``), and every other live name of the root is
  derived again from the root's new version (``z = y``, ``w = y.T``);
* writes of NumPy calls become values: ``np.copyto(w, v)`` and ``out=w`` are
  ``w[...] = v``, ``a.fill(v)`` is ``a[...] = v``, ``a.sort()`` is
  ``a = np.sort(a)``, ``np.put`` and ``np.add.at`` are calls of runtime
  helpers that return the changed array;
* a user function that writes into its arguments (or returns a view of one)
  is inlined, so its writes reach the caller's names;
* an object created in the function (``Stack()``) is kept as its attributes,
  one value each, with its ``__init__`` and methods inlined; an object passed
  in is read from lazily and its attributes are written into the IR's values,
  never into the caller's object;
* an argument is never written: its first write goes into a private copy.

Where the analysis cannot tell what a write touches (a name that is one of two
arrays depending on a branch, ``r = x[i]`` that is a view or a number, an
array held in a container and written through another name), compilation
fails with an error naming the line; it never guesses.

A function that writes nothing is returned unchanged.
"""
from __future__ import annotations

from typing import Dict, List, Optional

from ...ir.nodes import Block, Function, Prim, Value
from .calls import Calls
from .flow import Flow
from .model import (Frame, Ref, Root, State, forget_effects, has_effects,  # noqa: F401
                    written_operands)
from .values import Values
from .writes import Writes


class Memory(Flow, Calls, Writes, Values):
    """One function made explicit (see the package's docstring)."""

    def __init__(self, fn: Function, param_kinds, lower):
        self.fn = fn
        self.lower = lower
        self.refs: Dict[Value, Ref] = {}
        self.kinds: Dict[Value, object] = {}
        self.defs: Dict[Value, Prim] = {}
        self.frame_of: Dict[Value, Frame] = {}
        self.arrayness_memo: Dict[Value, object] = {}
        self.sources: Dict[Value, tuple] = {}  # loop-carried values, If results
        self.readers: Dict[Value, list] = {}  # the ops that read each value
        self.unsettled = set()  # carried values whose arrayness changes around the loop
        self.global_roots: Dict[int, Root] = {}
        self.state = State()
        self.out: Optional[Block] = None
        self.frame: Optional[Frame] = None
        self.changed = False
        self.written = set()
        self.write_sites: List = []  # (root, op, ref) of each write, in walk order
        self.inlining: List = []
        self.param_kinds = param_kinds
        self.merged: List[Root] = []
        self.frames: List[Frame] = []

    # -- entry ---------------------------------------------------------------
    def run(self) -> Function:
        fn = self.fn
        self.enter(fn, self.param_kinds)
        for p in fn.params:
            self.param_root(p.value)
        body = self.block(fn.body)
        self.check_returned(fn.body.yields[0], body)
        if not self.changed:
            return fn
        return Function(fn.name, list(fn.params), body, fn.filename, fn.firstlineno,
                        fn.docstring, fn.source)


def functionalize(fn: Function, param_kinds, lower) -> Function:
    """``fn`` in value semantics (see the module's docstring); ``fn`` itself is
    returned when it writes nothing."""
    if not has_effects(fn, lower):
        return fn
    return Memory(fn, param_kinds, lower).run()
