"""A rule function (``partials``, ``jvp``, ``vjp``) as IR, ready to be inlined:
lowered like user code, once per rule function, and shared (never changed)."""
from __future__ import annotations

from ..frontend import to_ir
from ..passes.dce import dce


def rule_template(rule, which: str):
    """The rule function ``which`` ('partials', 'jvp', 'vjp') of ``rule`` as IR."""
    fn = rule.lowered.get(which)  # (lowered once: read without the lock from then on)
    if fn is not None:
        return fn
    with rule.lock:
        fn = rule.lowered.get(which)
        if fn is None:
            fn = rule.lowered[which] = dce(to_ir(getattr(rule, which)))
        return fn
