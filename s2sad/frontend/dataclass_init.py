"""The ``__init__`` that :mod:`dataclasses` writes, as source s2sad can read.

:mod:`dataclasses` makes a class's ``__init__`` with ``exec``, so it has no
source.  What it does follows from the class's fields: each parameter is
stored in its attribute (a field left out of the parameters gets its
default), then ``__post_init__`` runs with the ``InitVar`` parameters.  This
module writes that function out as source (registered like
:func:`~s2sad.frontend.source.from_source`'s), once per class, so that
building a dataclass inside a differentiated function is inlined as building
any other object is.
"""
from __future__ import annotations

import dataclasses
import inspect
import weakref


#: class -> the readable twin of its generated ``__init__``
_TWINS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _init_owner(cls):
    """The class of ``cls``'s MRO whose ``__init__`` it runs, when
    :mod:`dataclasses` wrote that ``__init__`` (None otherwise)."""
    owner = next((c for c in cls.__mro__ if "__init__" in c.__dict__), None)
    init = owner.__dict__["__init__"] if owner is not None else None
    if owner is None or "__dataclass_fields__" not in owner.__dict__ or \
            getattr(getattr(init, "__code__", None), "co_filename", None) != "<string>":
        return None
    return owner


def readable_init(cls):
    """A function that does what ``cls.__init__`` does, with source, for a
    class whose ``__init__`` :mod:`dataclasses` wrote (None otherwise;
    :class:`NotReadable` when it cannot be written out)."""
    cls = _init_owner(cls)
    if cls is None:
        return None
    try:
        return _TWINS[cls]
    except KeyError:
        pass
    twin = _TWINS[cls] = _write_init(cls)
    return twin


def _write_init(cls):
    from .source import from_source  # (source imports the frontend's parts, this among them)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    signature = inspect.signature(cls.__init__)
    namespace = {}
    params, body = [], []
    star = False
    for name, p in signature.parameters.items():
        if p.kind == p.KEYWORD_ONLY and not star:
            params.append("*")
            star = True
        text = name
        if p.default is not p.empty:
            field = fields.get(name)
            if field is not None and field.default_factory is not dataclasses.MISSING:
                raise _factory_error(cls, name)
            namespace[f"_default_{name}"] = p.default
            text += f"=_default_{name}"
        params.append(text)
    for name, field in fields.items():
        if field.init:
            body.append(f"    self.{name} = {name}")
        elif field.default_factory is not dataclasses.MISSING:
            raise _factory_error(cls, name)
        elif field.default is not dataclasses.MISSING:
            namespace[f"_default_{name}"] = field.default
            body.append(f"    self.{name} = _default_{name}")
    if hasattr(cls, "__post_init__"):
        extra = [n for n in list(signature.parameters)[1:] if n not in fields]  # InitVars
        body.append(f"    self.__post_init__({', '.join(extra)})")
    source = f"def __init__({', '.join(params)}):\n" + ("\n".join(body) or "    pass") + "\n"
    return from_source(source, "__init__", globals=namespace)


class NotReadable(Exception):
    """Why a dataclass's ``__init__`` cannot be written out: ``args`` are the
    message and the hint of the error the caller raises where it is built."""


def _factory_error(cls, name):
    return NotReadable(
        f"cannot differentiate building the dataclass {cls.__name__}: its field {name!r} "
        "has a default_factory",
        "build the object outside the function and pass it in, or give the field a "
        "plain default")
