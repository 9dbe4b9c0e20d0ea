"""The :mod:`operator` module: its arithmetic functions have the rules of the
operators they stand for (``operator.mul(x, y)`` is ``x * y``), the very same
rule functions; comparisons and the bitwise and logical ones carry no
derivative.  ``operator.getitem(a, i)`` is a subscript: the front end lowers it
to ``a[i]`` (:mod:`s2sad.frontend.expressions`), whose rules are structural.
The in-place forms (``operator.iadd``) are not differentiated: they may write
into their first argument.
"""
import operator

from . import core
from .registry import defjvp, defpartials, defvjp, lookup, nondifferentiable

L = "operator"

for _fn, _partials in ((operator.add, core.add), (operator.sub, core.sub),
                       (operator.mul, core.mul), (operator.truediv, core.div),
                       (operator.pow, core.power), (operator.mod, core.mod),
                       (operator.neg, core.neg), (operator.pos, core.pos),
                       (operator.abs, core.abs_)):
    defpartials(_fn, library=L)(_partials)

defjvp(operator.matmul, library=L)(core.matmul)
defvjp(operator.matmul, library=L)(lookup("binop:@").vjp)

nondifferentiable(operator.floordiv, operator.lt, operator.le, operator.eq, operator.ne,
                  operator.ge, operator.gt, operator.not_, operator.truth, operator.is_,
                  operator.is_not, operator.contains, operator.index, operator.invert,
                  operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift,
                  operator.countOf, operator.indexOf, operator.length_hint, library=L)
