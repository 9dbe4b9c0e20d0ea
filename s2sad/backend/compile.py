"""Turn generated source into a running function.

Every generated function gets a unique pseudo-filename registered in
:mod:`linecache`, so tracebacks show the generated lines and
``inspect.getsource`` works on it (generated code can be transformed again).
"""
from __future__ import annotations

import itertools

from ..frontend.source import register_source

_counter = itertools.count()


def compile_function(source: str, name: str, namespace: dict, label: str = "generated"):
    """Execute ``source`` (which defines ``name``) in a copy of ``namespace``."""
    filename = f"<s2sad-{label}-{name}-{next(_counter)}>"
    register_source(filename, source)
    code = compile(source, filename, "exec")
    ns = dict(namespace)
    ns.setdefault("__name__", "s2sad_generated")
    exec(code, ns)
    fn = ns[name]
    fn.__s2sad_source__ = source
    return fn
