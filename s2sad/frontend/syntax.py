"""Questions about gast trees, and the messages for syntax s2sad rejects.

The lowering, the comprehension rewrite and the inlining of nested functions
all ask them, so they live apart from each.
"""
import gast

from ..rules.structure import MUTATING_METHODS

# Methods that change their object in place; as statements they define a new
# version of a local variable (so loops carry it and derivatives can see it).

UNSUPPORTED = {
    "Try": "s2sad cannot differentiate through try/except; check the condition "
           "with an if statement instead",
    "TryStar": "s2sad cannot differentiate through try/except*",
    "AsyncWith": "s2sad cannot transform async code; write a plain function",
    "AsyncFor": "s2sad cannot transform async code; write a plain function",
    "AsyncFunctionDef": "s2sad cannot transform async code; write a plain function",
    "Yield": "generators cannot be differentiated; build and return a list instead",
    "YieldFrom": "generators cannot be differentiated; build and return a list instead",
    "Await": "s2sad cannot transform async code; write a plain function",
    "Global": "pass the value in as an argument and return the new value instead "
              "of writing a global",
    "Nonlocal": "pass the value in as an argument and return the new value instead "
                "of writing to an enclosing function's variable",
    "Delete": "remove the del statement (reassign the name, or let it go out of scope)",
    "ClassDef": "define the class at module level",
    "FunctionDef": "define the decorated helper function at module level (or outside "
                   "this function) and call it",
    "Lambda": "give the lambda plain parameters (no *args or **kwargs), or define it "
              "with def at module level",
    "Import": "import at module level, outside the function",
    "ImportFrom": "import at module level, outside the function",
    "Match": "rewrite the match statement as if/elif",
}


def describe(node):
    names = {"Try": "try", "TryStar": "try", "With": "with", "AsyncWith": "async with",
             "AsyncFor": "async for", "Yield": "yield", "YieldFrom": "yield from",
             "Await": "await", "Global": "global", "Nonlocal": "nonlocal", "Delete": "del",
             "ClassDef": "class", "FunctionDef": "def (nested function)", "Lambda": "lambda",
             "Import": "import", "ImportFrom": "from ... import", "Match": "match",
             "AsyncFunctionDef": "async def"}
    return names.get(type(node).__name__, type(node).__name__)


# nodes below which no name is written: leaves and operators
_WRITES_NOTHING = frozenset(
    [gast.Name, gast.Constant] +
    [c for c in vars(gast).values() if isinstance(c, type) and issubclass(
        c, (gast.expr_context, gast.operator, gast.unaryop, gast.cmpop, gast.boolop))])
_ONE_TARGET = frozenset([gast.AugAssign, gast.AnnAssign, gast.For, gast.NamedExpr])
_COMPREHENSIONS = frozenset([gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp])


def local_names(fdef):
    names = set()
    a = fdef.args
    for p in list(a.posonlyargs) + list(a.args) + list(a.kwonlyargs):
        names.add(p.id)
    for p in (a.vararg, a.kwarg):
        if p is not None:
            names.add(p.id)
    # ``xs.append(v)`` and ``xs[i] = v`` make a new version of a local ``xs``
    # but do not make ``xs`` local (``np.add(a, b, out=c)`` reads the global
    # ``np``; ``TABLE[k] = v`` writes into the global ``TABLE``).
    names.update(assigned_names(fdef.body, mutations=False))
    return names


def assigned_names(stmts, mutations=True):
    """Names written by the statements, in order of first write (not descending
    into comprehensions, whose targets are their own)."""
    out = []
    for s in stmts:
        _assigned(s, mutations, out)
    # comprehension internals named '.compN' are carried too
    return list(dict.fromkeys(out))


def _assigned_target(t, mutations, out):
    if isinstance(t, gast.Name):
        out.append(t.id)
    elif isinstance(t, (gast.Tuple, gast.List)):
        for e in t.elts:
            _assigned_target(e, mutations, out)
    elif isinstance(t, gast.Starred):
        _assigned_target(t.value, mutations, out)
    elif mutations and isinstance(t, (gast.Subscript, gast.Attribute)):
        base = t.value
        while isinstance(base, (gast.Subscript, gast.Attribute)):
            base = base.value
        if isinstance(base, gast.Name):
            out.append(base.id)


def _assigned(n, mutations, out):
    # functions of the module, not closures (see _exits)
    t = type(n)
    if t in _WRITES_NOTHING:
        return
    if t is gast.Assign:
        for each in n.targets:
            _assigned_target(each, mutations, out)
    elif t in _ONE_TARGET:
        _assigned_target(n.target, mutations, out)
    elif t is gast.Call:
        f = n.func
        if mutations and type(f) is gast.Attribute and f.attr in MUTATING_METHODS and \
                type(f.value) is gast.Name:
            out.append(f.value.id)
    elif t in _COMPREHENSIONS:
        for gen in n.generators:
            _assigned(gen.iter, mutations, out)
            for c in gen.ifs:
                _assigned(c, mutations, out)
        for field in ("elt", "key", "value"):
            if hasattr(n, field):
                _assigned(getattr(n, field), mutations, out)
        return
    elif t is gast.FunctionDef:
        out.append(n.name)  # a nested def binds its name (frontend/inline.py)
        return
    elif t is gast.Lambda or t is gast.ClassDef:
        return
    for field in n._fields:
        child = getattr(n, field, None)
        if type(child) is list:
            for c in child:
                if isinstance(c, gast.AST):
                    _assigned(c, mutations, out)
        elif isinstance(child, gast.AST):
            _assigned(child, mutations, out)


def target_names(target):
    """The names an assignment target (or a for loop's target) binds."""
    return assigned_names([gast.Assign(targets=[target], value=None)])


def always_exits(stmts):
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (gast.Return, gast.Break, gast.Continue, gast.Raise)):
        return True
    if isinstance(last, gast.If):
        return always_exits(last.body) and always_exits(last.orelse)
    return any(isinstance(s, (gast.Return, gast.Break, gast.Continue, gast.Raise))
               for s in stmts)


_STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


def exits(stmt):
    """Which of break / continue / return may leave the statement early."""
    flags = set()
    if isinstance(stmt, (gast.For, gast.While)):
        for child in stmt.body:
            _exits(child, True, flags)
        for child in stmt.orelse:
            _exits(child, False, flags)
        return flags
    _exits(stmt, False, flags)
    return flags


def _exits(n, in_loop, flags):
    # a function of the module, not a closure: a recursive closure is a
    # reference cycle, garbage only the cyclic collector frees
    if isinstance(n, gast.Return):
        flags.add("return")
    elif isinstance(n, gast.Break) and not in_loop:
        flags.add("break")
    elif isinstance(n, gast.Continue) and not in_loop:
        flags.add("continue")
    if isinstance(n, (gast.FunctionDef, gast.Lambda, gast.ClassDef)):
        return
    # statements only: no expression holds a return, break or continue
    for field in _STATEMENT_LISTS:
        # break/continue in a loop's body are its own; in its else part they
        # belong to the enclosing loop
        inner = in_loop or field == "body" and isinstance(n, (gast.For, gast.While))
        for child in getattr(n, field, None) or ():
            _exits(child, inner, flags)


def exits_loop(body):
    flags = set()
    for s in body:
        flags |= exits(s)
    return "break" in flags or "return" in flags


def contains_return(stmts):
    return any(isinstance(n, gast.Return) for s in stmts for n in gast.walk(s))
