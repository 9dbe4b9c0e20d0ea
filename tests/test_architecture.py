"""The package's shape: one pipeline, one direction.

The import graph is built from every import statement in ``s2sad/`` (module
level and inside functions), read as text, never run.  Each module belongs to
a stage; a module may import only from its own stage or the stages below it.

From the bottom:

* ``base`` — errors, the runtime that generated code imports, pytrees, the version;
* ``rules`` — the registry of every primitive's derivative and facts (purity,
  method aliases).  It sits below the IR because every stage reads its facts and
  it knows nothing of the IR: rule functions are plain Python, which the
  derivative transforms lower;
* ``ir`` — the data structure and the facts every stage asks about it;
* ``frontend`` — Python source → IR;
* ``passes`` — IR → IR clean-ups (the transforms use ``dce`` on their regions);
* ``ad`` — the derivative transforms;
* ``backend`` — IR → Python source → running code;
* ``compiler`` — the driver: lower, transform, optimize, emit, exec, caches;
* ``api`` — the public face;
* ``tools`` — the command line, transpiling, trace tables and graphs, checks,
  and the package's ``__init__``.
"""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "s2sad"

STAGES = ["base", "rules", "ir", "frontend", "passes", "ad", "backend", "compiler", "api",
          "tools"]

#: Function-local imports allowed, each for a reason given in a comment on its line.
MAX_LOCAL_IMPORTS = 5


def stage_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "tools"  # s2sad/__init__.py re-exports the public names
    top = parts[1]
    if top in ("errors", "runtime", "trees", "version"):
        return "base"
    if top in ("rules", "ir", "frontend", "passes", "ad", "backend", "compiler", "api"):
        return top
    if top in ("files", "derived"):
        return "api"
    return "tools"


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_module(name: str) -> bool:
    rel = pathlib.Path(*name.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").exists() or \
        (PACKAGE.parent / rel / "__init__.py").exists()


def _imports():
    """``(importer, imported, local, path, line, text)`` for every import of an
    ``s2sad`` module."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        source = path.read_text()
        lines = source.splitlines()
        tree = ast.parse(source)
        local = set()
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                local.update(id(n) for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom)))
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target == "s2sad" or target.startswith("s2sad."):
                    for alias in node.names:
                        sub = f"{target}.{alias.name}"
                        targets.append(sub if _is_module(sub) else target)
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.split(".")[0] == "s2sad"]
            for target in targets:
                out.append((module, target, id(node) in local, path, node.lineno,
                            lines[node.lineno - 1]))
    return out


IMPORTS = _imports()


def test_the_graph_was_read():
    assert len(IMPORTS) > 50
    assert any(m == "s2sad.compiler" and t == "s2sad.ad.reverse" for m, t, *_ in IMPORTS)


def test_no_cycle():
    graph = {}
    for importer, imported, *_ in IMPORTS:
        if importer != imported:
            graph.setdefault(importer, set()).add(imported)
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_every_edge_goes_down_the_stages():
    bad = [f"{path.name}:{line}: {importer} ({stage_of(importer)}) imports {imported} "
           f"({stage_of(imported)})"
           for importer, imported, _, path, line, _ in IMPORTS
           if STAGES.index(stage_of(imported)) > STAGES.index(stage_of(importer))]
    assert not bad, "imports against the pipeline:\n" + "\n".join(bad)


def test_few_function_local_imports_each_with_a_reason():
    local = sorted({(path, line, text) for _, _, is_local, path, line, text in IMPORTS
                    if is_local})
    unexplained = [f"{p.relative_to(PACKAGE.parent)}:{n}: {t.strip()}"
                   for p, n, t in local if "#" not in t]
    assert not unexplained, "function-local imports need a comment saying why:\n" + \
        "\n".join(unexplained)
    assert len(local) <= MAX_LOCAL_IMPORTS, "\n".join(f"{p.name}:{n}: {t.strip()}"
                                                     for p, n, t in local)


def test_stage_of_knows_every_module():
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    assert {stage_of(m) for m in modules} <= set(STAGES)
    assert stage_of("s2sad.ad.reverse") == "ad" and stage_of("s2sad.cli") == "tools"


def test_size_limits():
    """No file over about 1,000 lines, no class over about 600."""
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        n = source.count("\n")
        if n > 1050:
            too_long.append(f"{path.name}: {n} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                size = node.end_lineno - node.lineno + 1
                if size > 630:
                    too_long.append(f"{path.name}: class {node.name} {size} lines")
    assert not too_long, "\n".join(too_long)
