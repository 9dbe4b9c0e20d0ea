"""Argument kinds read from a function's parameter annotations.

``def f(x: float, v: np.ndarray, n: int)`` compiles, without example
arguments, for the kinds that ``f(2.0, np.ones(3), 4)`` would give: the
annotations are read from the parsed source (the gast node of a
:class:`~s2sad.frontend.source.SourceInfo`), never evaluated, so a file read
without running it and a live function give the same kinds, and
``from __future__ import annotations`` or string annotations change nothing.

Names are looked up in the function's closure, globals and builtins (for a
file: the names its imports bind).  A name that is not bound (an import under
``if TYPE_CHECKING:``) is read by its usual spelling: ``np``, ``numpy``,
``npt``, ``ndarray``, ``NDArray``.

Recognised, each as :func:`~s2sad.ir.kinds.kind_of_object` names a value of
that type: ``float``, ``int``, ``bool``, ``complex``, ``str`` and NumPy's
scalar types (``np.float64``: ``"float"``); ``np.ndarray``, ``NDArray``,
``npt.NDArray[np.float64]``, ``np.ndarray[tuple[int, int], np.dtype[X]]``
(the rank, when the shape names it); ``Annotated[T, ...]`` as ``T``; a
``Union`` or ``|`` whose members all have one kind.  Everything else, and
``Optional[T]``, ``ArrayLike``, ``Any``, containers (``list[float]``) and
classes, is the generic kind None: an annotation never gives a kind the
argument might not have.
"""
from __future__ import annotations

import builtins
import types
import typing
from typing import Any, Callable, Optional, Sequence, Tuple

import gast
import numpy as np

from ..errors import S2sadError
from ..ir.kinds import ranked
from .source import FileFunction, SourceInfo, get_source_info

_UNKNOWN = object()  # an annotation (or part of one) that names nothing known

_SCALAR_KINDS = {float: "float", int: "int", bool: "bool", complex: "complex", str: "str"}
# NumPy's abstract scalar classes, most specific first (np.bool_ is no np.integer)
_NUMPY_SCALAR_KINDS = ((np.bool_, "bool"), (np.integer, "int"), (np.floating, "float"),
                       (np.complexfloating, "complex"))
_ARRAY_OF = {"float": "array", "int": "intarray", "bool": "intarray", "complex": "carray"}

# what an unbound name usually means in an annotation (imports under TYPE_CHECKING)
_NDARRAY_ALIAS = object()  # numpy.typing.NDArray, a generic alias of np.ndarray
_NUMPY_TYPING = types.ModuleType("numpy.typing")
_NUMPY_TYPING.NDArray = _NDARRAY_ALIAS
_USUAL_MEANINGS = {"np": np, "numpy": np, "npt": _NUMPY_TYPING, "ndarray": np.ndarray,
                   "NDArray": _NDARRAY_ALIAS}


def annotated_kinds(func, n: int, unannotated=None) -> Tuple[Optional[str], ...]:
    """The kinds of the ``n`` positional parameters of ``func`` (a function, a
    bound method or a :class:`FileFunction`) that their annotations name;
    ``unannotated`` for the others, and for all when the source cannot be read
    (the compiler then says why, if it cannot either)."""
    try:
        info = func.info if isinstance(func, FileFunction) else get_source_info(func)
    except (S2sadError, AttributeError, TypeError):  # no source: nothing annotated
        return (unannotated,) * n
    kinds = parameter_kinds(info)
    if len(kinds) != n:  # not the parameters the compiler sees (a generated wrapper)
        return (unannotated,) * n
    return tuple(unannotated if k is None else k for k in kinds)


def parameter_kinds(info: SourceInfo) -> Tuple[Optional[str], ...]:
    """The kind each positional parameter's annotation names (None: generic),
    the object a bound method is bound to left out."""
    args = info.node.args
    positional = list(args.posonlyargs) + list(args.args)
    if info.bound:
        positional = positional[1:]
    lookup = _lookup_in(info)
    return tuple(None if a.annotation is None else annotation_kind(a.annotation, lookup)
                 for a in positional)


def annotation_kind(node, lookup: Callable[[str], Any]) -> Optional[str]:
    """The kind an annotation (a gast expression) names, None if it names no
    single kind.  ``lookup(name)`` is what a name is bound to, or ``_UNKNOWN``."""
    node = _parsed_string(node)
    if isinstance(node, gast.BinOp) and isinstance(node.op, gast.BitOr):
        return _one_kind([annotation_kind(node.left, lookup),
                          annotation_kind(node.right, lookup)])
    if isinstance(node, gast.Subscript):
        head = _resolve(node.value, lookup)
        items = _items(node.slice)
        if head is typing.Annotated and items:
            return annotation_kind(items[0], lookup)
        if head is typing.Union:
            return _one_kind([annotation_kind(item, lookup) for item in items])
        if _is_ndarray(head):
            return _subscripted_array_kind(head, items, lookup)
        return None  # Optional[T], list[float], a user generic...
    return _object_kind(_resolve(node, lookup))


def _lookup_in(info: SourceInfo) -> Callable[[str], Any]:
    def lookup(name):
        for scope in (info.closure, info.globals):
            if name in scope:
                return scope[name]
        return getattr(builtins, name, _USUAL_MEANINGS.get(name, _UNKNOWN))
    return lookup


def _parsed_string(node):
    """A string annotation (``x: "np.ndarray"``) as the expression it holds."""
    if isinstance(node, gast.Constant) and isinstance(node.value, str):
        try:
            body = gast.parse(node.value.strip()).body
        except SyntaxError:
            return node
        if len(body) == 1 and isinstance(body[0], gast.Expr):
            return body[0].value
    return node


def _items(node) -> Sequence:
    return list(node.elts) if isinstance(node, gast.Tuple) else [node]


def _resolve(node, lookup):
    """The object a name or a dotted name of modules stands for; only modules'
    attributes are read, so no user code runs."""
    node = _parsed_string(node)
    if isinstance(node, gast.Name):
        return lookup(node.id)
    if isinstance(node, gast.Attribute):
        base = _resolve(node.value, lookup)
        if isinstance(base, types.ModuleType):
            return getattr(base, node.attr, _UNKNOWN)
    if isinstance(node, gast.Constant) and node.value is None:
        return None
    return _UNKNOWN


def _one_kind(kinds):
    """The kind of a union: that of its members if they all have the same one."""
    first = kinds[0]
    return first if first is not None and all(k == first for k in kinds) else None


def _unaliased(obj):
    """What a ``type X = ...`` alias stands for (NumPy >= 2.5 defines
    ``NDArray`` so); anything else as it is."""
    while type(obj).__name__ == "TypeAliasType" and hasattr(obj, "__value__"):
        obj = obj.__value__
    return obj


def _is_ndarray(obj) -> bool:
    obj = _unaliased(obj)
    return obj is np.ndarray or obj is _NDARRAY_ALIAS or \
        typing.get_origin(obj) is np.ndarray or \
        typing.get_origin(_unaliased(typing.get_origin(obj))) is np.ndarray


def _scalar_kind(obj) -> Optional[str]:
    if not isinstance(obj, type):
        return None
    if obj in _SCALAR_KINDS:  # the type itself: a subclass of int may be an enum
        return _SCALAR_KINDS[obj]
    return next((kind for cls, kind in _NUMPY_SCALAR_KINDS if issubclass(obj, cls)), None)


def _object_kind(obj) -> Optional[str]:
    """The kind of the values of a type that an annotation resolved to: a
    scalar type, ``np.ndarray`` or an alias of it (``NDArray[np.float64]``
    bound to a name of the module)."""
    if _is_ndarray(obj):
        args = typing.get_args(_unaliased(obj))
        dtype = _UNKNOWN
        if len(args) == 2 and typing.get_origin(args[1]) is np.dtype:
            dtype = typing.get_args(args[1])[0]
        elif len(args) == 1 and typing.get_origin(obj) is not np.ndarray:
            dtype = args[0]  # NDArray[X] of an alias NDArray: X is the scalar type
        return _array_kind(dtype)
    return _scalar_kind(obj)


def _subscripted_array_kind(head, items, lookup) -> Optional[str]:
    """``NDArray[X]`` (the dtype's scalar type) or ``np.ndarray[shape,
    np.dtype[X]]``."""
    if _unaliased(head) is not np.ndarray:  # NDArray: an alias whose one parameter is the scalar type
        return _array_kind(_resolve(items[0], lookup)) if len(items) == 1 else None
    if len(items) != 2:
        return _array_kind(_UNKNOWN)
    shape, dtype = items
    scalar = _UNKNOWN
    if isinstance(dtype, gast.Subscript) and _resolve(dtype.value, lookup) is np.dtype:
        scalar = _resolve(dtype.slice, lookup)
    kind = _array_kind(scalar)
    rank = _rank(shape, lookup)
    return kind if kind is None else ranked(kind, rank)


def _rank(shape, lookup) -> Optional[int]:
    """The rank a shape annotation names (``tuple[int, int]``: 2), None for any
    other (``tuple[int, ...]``, ``Any``, the empty shape of a 0-d array)."""
    shape = _parsed_string(shape)
    if not isinstance(shape, gast.Subscript) or \
            _resolve(shape.value, lookup) not in (tuple, typing.Tuple):
        return None
    dims = _items(shape.slice)
    if not dims or any(isinstance(d, gast.Constant) and d.value is Ellipsis for d in dims):
        return None
    return len(dims)


def _array_kind(scalar) -> Optional[str]:
    """The kind of an array of ``scalar`` values; an unknown or generic
    scalar type (``Any``, a type variable) is taken to be floating, as for a
    plain ``np.ndarray``."""
    if scalar is _UNKNOWN or scalar is typing.Any or isinstance(scalar, typing.TypeVar):
        return "array"
    return _ARRAY_OF.get(_scalar_kind(scalar))
