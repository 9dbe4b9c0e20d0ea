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

    def target(t):
        if isinstance(t, gast.Name):
            out.append(t.id)
        elif isinstance(t, (gast.Tuple, gast.List)):
            for e in t.elts:
                target(e)
        elif isinstance(t, gast.Starred):
            target(t.value)
        elif mutations and isinstance(t, (gast.Subscript, gast.Attribute)):
            base = t.value
            while isinstance(base, (gast.Subscript, gast.Attribute)):
                base = base.value
            if isinstance(base, gast.Name):
                out.append(base.id)

    def visit(n):
        if isinstance(n, (gast.Assign,)):
            for t in n.targets:
                target(t)
        elif isinstance(n, (gast.AugAssign, gast.AnnAssign)):
            target(n.target)
        elif isinstance(n, gast.For):
            target(n.target)
        elif isinstance(n, gast.NamedExpr):
            target(n.target)
        elif mutations and isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                n.func.attr in MUTATING_METHODS and isinstance(n.func.value, gast.Name):
            out.append(n.func.value.id)
        if isinstance(n, (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)):
            for gen in n.generators:
                visit(gen.iter)
                for c in gen.ifs:
                    visit(c)
            for field in ("elt", "key", "value"):
                if hasattr(n, field):
                    visit(getattr(n, field))
            return
        if isinstance(n, gast.FunctionDef):
            out.append(n.name)  # a nested def binds its name (frontend/inline.py)
        if isinstance(n, (gast.FunctionDef, gast.Lambda, gast.ClassDef)):
            return
        for child in gast.iter_child_nodes(n):
            visit(child)

    for s in stmts:
        visit(s)
    # comprehension internals named '.compN' are carried too
    return list(dict.fromkeys(out))


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

    def visit(n, in_loop):
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
                visit(child, inner)

    if isinstance(stmt, (gast.For, gast.While)):
        for child in stmt.body:
            visit(child, True)
        for child in stmt.orelse:
            visit(child, False)
        return flags
    visit(stmt, False)
    return flags


def exits_loop(body):
    flags = set()
    for s in body:
        flags |= exits(s)
    return "break" in flags or "return" in flags


def contains_return(stmts):
    return any(isinstance(n, gast.Return) for s in stmts for n in gast.walk(s))
