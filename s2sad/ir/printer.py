"""IR as text: every op, operand and attribute, with values numbered in the
order they are defined (``%3:x``).  Two functions print the same exactly when
they have the same structure, which is how tests check that a transform left
its input alone."""
from __future__ import annotations

from typing import Dict, List

from .nodes import Block, For, Function, Global, If, Prim, Value, While


def format_function(fn: Function) -> str:
    names: Dict[Value, str] = {}
    lines: List[str] = []

    def define(v: Value) -> str:
        if v not in names:
            names[v] = f"%{len(names)}:{v.hint}{'' if v.user else '?'}"
        return names[v]

    def show(a) -> str:
        if isinstance(a, Value):
            return names.get(a) or f"<undefined {a.hint}>"
        if isinstance(a, Global):
            return f"@{a.name}"
        return repr(a)

    def block(b: Block, indent: str):
        for op in b.ops:
            if isinstance(op, Prim):
                args = ", ".join(show(a) for a in op.args)
                res = ", ".join(define(r) for r in op.results)
                attrs = "" if not op.attrs else " " + repr(sorted(op.attrs.items(), key=str))
                lines.append(f"{indent}{res} = {op.kind}({args}){attrs}")
            elif isinstance(op, If):
                lines.append(f"{indent}if {show(op.cond)}:")
                block(op.then, indent + "  ")
                lines.append(f"{indent}else:")
                block(op.orelse, indent + "  ")
                lines.append(f"{indent}-> {', '.join(define(r) for r in op.results)}")
            elif isinstance(op, For):
                carried = ", ".join(f"{define(a)} = {show(i)}" for a, i in zip(op.args, op.inits))
                lines.append(f"{indent}for {define(op.item)} in {show(op.iter)} [{carried}]:")
                block(op.body, indent + "  ")
                lines.append(f"{indent}break if {show(op.brk)} -> "
                             f"{', '.join(define(r) for r in op.results)}")
            elif isinstance(op, While):
                carried = ", ".join(f"{define(a)} = {show(i)}" for a, i in zip(op.args, op.inits))
                lines.append(f"{indent}while [{carried}]:")
                block(op.cond, indent + "  ")
                lines.append(f"{indent}do:")
                block(op.body, indent + "  ")
                lines.append(f"{indent}break if {show(op.brk)} -> "
                             f"{', '.join(define(r) for r in op.results)}")
            lines.append(f"{indent}  @ {op.loc.lineno}:{op.loc.col}" if op.loc else f"{indent}  @ -")
        lines.append(f"{indent}yield {', '.join(show(a) for a in b.yields)}")

    params = ", ".join(f"{p.kind} {define(p.value)}" + (f"={show(p.default)}" if p.default is not None else "")
                       for p in fn.params)
    lines.append(f"def {fn.name}({params}):  # {fn.filename}:{fn.firstlineno}")
    block(fn.body, "  ")
    return "\n".join(lines)
