"""Rewrite comprehensions, and while loops that assign in their test, as the
statements the lowering already handles (for, if, while, break), so that
neither needs a lowering of its own.
"""
import gast

from .syntax import exits, target_names


def comprehension_loop(node, acc, kind):
    """The loop that fills the accumulator variable ``acc`` for the
    comprehension ``node``: ``[elt for t in it if c]`` becomes ``for t in it:
    if c: acc.append(elt)`` (``acc.add(elt)`` for a set, ``acc[key] = value``
    for a dict).  New nodes take the comprehension's location."""
    acc_name = gast.Name(id=acc, ctx=gast.Load(), annotation=None, type_comment=None)
    if kind == "dict":
        inner = gast.Assign(targets=[gast.Subscript(
            value=acc_name, slice=node.key, ctx=gast.Store())], value=node.value,
            type_comment=None)
    else:
        method = "append" if kind == "list" else "add"
        call = gast.Call(func=gast.Attribute(value=acc_name, attr=method, ctx=gast.Load()),
                         args=[node.elt], keywords=[])
        inner = gast.Expr(value=call)
    stmt = inner
    for gen in reversed(node.generators):
        for cond in reversed(gen.ifs):
            stmt = gast.If(test=cond, body=[stmt], orelse=[])
        stmt = gast.For(target=gen.target, iter=gen.iter, body=[stmt], orelse=[],
                        type_comment=None)
    for n in gast.walk(stmt):
        if not hasattr(n, "lineno") or n.lineno is None:
            gast.copy_location(n, node)
    return stmt


def setdefault_statement(node, d, k, v):
    """``if k not in d: d[k] = v``, what ``d.setdefault(k, v)`` does before it
    gives ``d[k]`` back (``d``, ``k``, ``v``: the names of its evaluated
    operands).  New nodes take the call's location."""
    def name(n, ctx):
        return gast.Name(id=n, ctx=ctx, annotation=None, type_comment=None)

    stmt = gast.If(
        test=gast.Compare(left=name(k, gast.Load()), ops=[gast.NotIn()],
                          comparators=[name(d, gast.Load())]),
        body=[gast.Assign(targets=[gast.Subscript(value=name(d, gast.Load()),
                                                  slice=name(k, gast.Load()),
                                                  ctx=gast.Store())],
                          value=name(v, gast.Load()), type_comment=None)],
        orelse=[])
    for n in gast.walk(stmt):
        gast.copy_location(n, node)
    return stmt


def comprehension_targets(node):
    """The names the comprehension's ``for`` clauses bind (they do not leak out)."""
    targets = set()
    for gen in node.generators:
        targets.update(target_names(gen.target))
    return targets


def while_else_needs_flag(s):
    """Whether the else part of ``while`` breaks or continues an enclosing loop,
    so that :func:`while_with_walrus` must run it after the loop, behind a flag."""
    return bool({"break", "continue"} & set().union(*[exits(x) for x in s.orelse]))


def while_with_walrus(s, flag=None):
    """``while (k := f()) > 0: body`` assigns in its test, and ``k`` after the
    loop is the value of the test that failed, which a While region cannot
    yield.  Rewritten as ``while True: if not test: [else part]; break`` then
    the body.  With ``flag`` (a variable name; see :func:`while_else_needs_flag`)
    the else part runs after the loop, when the flag is set.

    Returns ``(before, stmts)``: the statements that set up the flag, then the
    loop and what follows it."""
    def node(cls, **fields):
        n = cls(**fields)
        gast.copy_location(n, s)
        return n

    orelse = list(s.orelse)
    before, after = [], []
    if flag is not None:
        def set_flag(value):
            return node(gast.Assign, targets=[node(gast.Name, id=flag, ctx=gast.Store(),
                                                   annotation=None, type_comment=None)],
                        value=node(gast.Constant, value=value, kind=None),
                        type_comment=None)

        before = [set_flag(False)]
        after = [node(gast.If, test=node(gast.Name, id=flag, ctx=gast.Load(),
                                         annotation=None, type_comment=None),
                      body=orelse, orelse=[])]
        orelse = [set_flag(True)]
    guard = node(gast.If, test=s.test, body=[node(gast.Pass)],
                 orelse=orelse + [node(gast.Break)])
    loop = node(gast.While, test=node(gast.Constant, value=True, kind=None),
                body=[guard] + list(s.body), orelse=[])
    return before, [loop] + after
