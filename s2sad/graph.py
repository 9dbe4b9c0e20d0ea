"""Computational graphs as Graphviz DOT text (the seeds' drawings).

``s2sad.graph(f)`` draws the function's SSA form: one node per input and per
SSA value (primitive results, loop items, loop-carried values, the results of
``if``/``for``/``while``), an edge per data dependency; loop bodies and branches
are clusters.  ``s2sad.graph(f, *args)`` draws the evaluation trace of that call
instead: loops unrolled, only taken branches, one node per row ``vᵢ`` of
:func:`s2sad.trace`, labelled with its value, and with ``mode=`` its tangent
(forward) or adjoint (reverse).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from typing import Dict, List, Optional, Tuple

from .errors import S2sadError
from .ir.nodes import Const, For, Function, Global, If, Prim, Value, While
from .tables.expr import Call, Index, Lit, Name, Sym, render
from .tables.formatting import format_value
from .tables.interpreter import ir_of
from .tables.nodes import Node
from .tables.run import Run, prepare
from .tables.symbolic import symbolic_prim

__all__ = ["graph", "Graph"]

GRAPHVIZ_HELP = (
    "Install Graphviz, which provides `dot` (Debian/Ubuntu: sudo apt-get install graphviz; "
    "Fedora: sudo dnf install graphviz; macOS: brew install graphviz; conda: conda install "
    "-c conda-forge graphviz; Windows and others: https://graphviz.org/download/), or write "
    "the DOT text with .save('graph.dot') and render it elsewhere "
    "(e.g. https://dreampuf.github.io/GraphvizOnline).")


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node_id(index: int) -> str:
    return f"v_m{-index}" if index < 0 else f"v{index}"


class Graph:
    """A computational graph.  ``str(graph)`` and :attr:`dot` give the DOT text;
    :attr:`nodes` the node ids (one per input and per SSA value), :attr:`edges`
    the ``(from, to)`` pairs, :attr:`labels` each node's label."""

    def __init__(self, name: str, nodes: List[str], labels: Dict[str, str],
                 edges: List[Tuple[str, str, str]], clusters, attrs: Dict[str, Dict[str, str]]):
        self.name = name
        self.nodes = nodes
        self.labels = labels
        self._edges = edges
        self._clusters = clusters  # tree: (label, [node ids], [children])
        self._attrs = attrs
        self.dot = self._dot()
        self._svg = None  # drawn once, when a notebook first shows the graph

    @property
    def edges(self) -> List[Tuple[str, str]]:
        return [(a, b) for a, b, _ in self._edges]

    def __str__(self):
        return self.dot

    def __repr__(self):
        return f"<s2sad.Graph of {self.name}: {len(self.nodes)} nodes, {len(self._edges)} edges>"

    def _repr_svg_(self):  # Jupyter
        """The graph drawn by Graphviz as SVG, shown inline by a notebook; None
        (Jupyter then shows the repr) where Graphviz's ``dot`` is missing or
        fails: displaying a graph never raises."""
        if self._svg is None:
            self._svg = svg_of(self.dot)
        return self._svg

    def _dot(self) -> str:
        out = [f"digraph {_quote(self.name)} {{",
               "  rankdir=LR;",
               '  node [shape=ellipse, fontname="Helvetica"];',
               '  edge [fontname="Helvetica", fontsize=10];']
        placed = set()
        counter = [0]

        def node_line(nid, indent):
            attrs = {"label": self.labels[nid]}
            attrs.update(self._attrs.get(nid, {}))
            body = ", ".join(f"{k}={_quote(v)}" for k, v in attrs.items())
            return f"{indent}{nid} [{body}];"

        def cluster(c, indent):
            label, ids, children = c
            counter[0] += 1
            lines = [f"{indent}subgraph cluster_{counter[0]} {{",
                     f"{indent}  label={_quote(label)};",
                     f'{indent}  style=dashed; fontname="Helvetica"; fontsize=10;']
            for nid in ids:
                lines.append(node_line(nid, indent + "  "))
                placed.add(nid)
            for ch in children:
                lines += cluster(ch, indent + "  ")
            lines.append(f"{indent}}}")
            return lines

        cluster_lines = []
        for c in self._clusters:
            cluster_lines += cluster(c, "  ")
        for nid in self.nodes:
            if nid not in placed:
                out.append(node_line(nid, "  "))
        out += cluster_lines
        for a, b, style in self._edges:
            extra = f" [{style}]" if style else ""
            out.append(f"  {a} -> {b}{extra};")
        out.append("}")
        return "\n".join(out) + "\n"

    def save(self, path) -> str:
        """Write the DOT text to ``path``."""
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.dot)
        return os.fspath(path)

    def render(self, path, format: Optional[str] = None) -> str:
        """Draw the graph into ``path`` with Graphviz's ``dot`` program (the format
        from the suffix: .svg, .png, .pdf...; .dot and .gv write the DOT text)."""
        path = os.fspath(path)
        fmt = format or os.path.splitext(path)[1].lstrip(".").lower()
        if not fmt:
            raise S2sadError(f"cannot tell the format of {path!r}: give it a suffix like .svg "
                             "or pass format='svg'")
        if fmt in ("dot", "gv"):
            return self.save(path)
        exe = shutil.which("dot")
        if exe is None:
            raise S2sadError(f"rendering {path} needs Graphviz's `dot` program, which is not on "
                             f"PATH. {GRAPHVIZ_HELP}")
        proc = subprocess.run([exe, f"-T{fmt}", "-o", path], input=self.dot.encode("utf-8"),
                              capture_output=True)
        if proc.returncode != 0:
            raise S2sadError(f"Graphviz's dot could not render {path}: "
                             f"{proc.stderr.decode('utf-8', 'replace').strip()}")
        return path


def svg_of(dot_text: str, timeout: float = 30.0) -> Optional[str]:
    """``dot_text`` drawn as SVG by Graphviz's ``dot`` program (the ``<svg>``
    element, without the XML prologue), or None without Graphviz or when it
    fails.  The Python package ``graphviz`` would run the same program, so it
    adds nothing here."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    try:
        proc = subprocess.run([exe, "-Tsvg"], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    svg = proc.stdout.decode("utf-8", "replace")
    start = svg.find("<svg")
    if proc.returncode != 0 or start < 0:
        return None
    return svg[start:]


def graph(f, *args, mode: Optional[str] = None, argnums=None, tangents=None,
          cotangents=None) -> Graph:
    """The computational graph of ``f`` (see the module's documentation).

    Without ``args``: the SSA form.  With ``args``: the evaluation trace of
    ``f(*args)``, each node labelled with its value; ``mode="forward"`` or
    ``"reverse"`` adds tangents or adjoints (``argnums``, ``tangents`` and
    ``cotangents`` as in :func:`s2sad.trace`).
    """
    if mode not in (None, "forward", "reverse"):
        raise S2sadError(f"s2sad.graph: mode must be None, 'forward' or 'reverse', not {mode!r}")
    if not args:
        if mode is not None:
            raise S2sadError("s2sad.graph: derivatives need a point: pass the arguments "
                             "(s2sad.graph(f, 2.0, 5.0, mode='forward'))")
        fn, name = ir_of(f)
        return _static_graph(fn, name)
    return _trace_graph(f, args, mode, argnums, tangents, cotangents)


# ---------------------------------------------------------------------------
# The SSA form
# ---------------------------------------------------------------------------
def _static_graph(fn: Function, name: str) -> Graph:
    number: Dict[Value, int] = {}
    n = len(fn.params)
    for i, p in enumerate(fn.params):
        number[p.value] = i - (n - 1)
    counter = [1]

    def num(v):
        number[v] = counter[0]
        counter[0] += 1

    def walk(block):
        for op in block.ops:
            if isinstance(op, Prim):
                for r in op.results:
                    num(r)
            elif isinstance(op, For):
                num(op.item)
                for a in op.args:
                    num(a)
                walk(op.body)
                for r in op.results:
                    num(r)
            elif isinstance(op, While):
                for a in op.args:
                    num(a)
                walk(op.cond)
                walk(op.body)
                for r in op.results:
                    num(r)
            elif isinstance(op, If):
                walk(op.then)
                walk(op.orelse)
                for r in op.results:
                    num(r)

    walk(fn.body)

    def expr(a):
        if isinstance(a, Value):
            return Sym(number[a]) if a in number else Name(a.hint)
        if isinstance(a, Const):
            return Lit(a.value)
        if isinstance(a, Global):
            return Name(a.name)
        return Name("undefined")

    nodes, labels, attrs, edges = [], {}, {}, []
    seen_edges = set()

    def add(v, definition, extra=None):
        nid = _node_id(number[v])
        nodes.append(nid)
        labels[nid] = f"{render(Sym(number[v]))} = {definition}"
        if extra:
            attrs[nid] = extra
        return nid

    def edge(a, b, style=""):
        if not isinstance(a, Value) or a not in number:
            return
        key = (_node_id(number[a]), _node_id(number[b]), style)
        if key not in seen_edges:
            seen_edges.add(key)
            edges.append(key)

    for p in fn.params:
        add(p.value, p.value.hint, {"shape": "box"})

    def region(block) -> Tuple[List[str], list]:
        ids, clusters = [], []
        for op in block.ops:
            if isinstance(op, Prim):
                e = symbolic_prim(op, [expr(a) for a in op.args])
                for i, r in enumerate(op.results):
                    d = Index(e, Lit(i)) if op.kind == "unpack" else e
                    ids.append(add(r, render(d)))
                    for a in op.args:
                        edge(a, r)
            elif isinstance(op, For):
                inner = [add(op.item, render(Call("next", [expr(op.iter)])))]
                edge(op.iter, op.item)
                for a, init, y in zip(op.args, op.inits, op.body.yields):
                    inner.append(add(a, f"φ({render(expr(init))}, {render(expr(y))})"))
                    edge(init, a)
                    edge(y, a, 'style="dashed", constraint="false", label="next"')
                body_ids, body_clusters = region(op.body)
                text = (op.loc.text.strip().rstrip(":") if op.loc and op.loc.text else "for")
                clusters.append((text, inner + body_ids, body_clusters))
                for r, a in zip(op.results, op.args):
                    ids.append(add(r, f"{render(expr(a))} after the loop"))
                    edge(a, r)
                if op.brk is not None:
                    for r in op.results:
                        edge(op.brk, r, 'style="dotted"')
            elif isinstance(op, While):
                inner = []
                for a, init, y in zip(op.args, op.inits, op.body.yields):
                    inner.append(add(a, f"φ({render(expr(init))}, {render(expr(y))})"))
                    edge(init, a)
                    edge(y, a, 'style="dashed", constraint="false", label="next"')
                cond_ids, cond_clusters = region(op.cond)
                body_ids, body_clusters = region(op.body)
                text = (op.loc.text.strip().rstrip(":") if op.loc and op.loc.text else "while")
                clusters.append((text, inner + cond_ids + body_ids, cond_clusters + body_clusters))
                test = op.cond.yields[0]
                for r, a in zip(op.results, op.args):
                    ids.append(add(r, f"{render(expr(a))} after the loop"))
                    edge(a, r)
                    edge(test, r, 'style="dotted"')
            elif isinstance(op, If):
                for label, blk in (("then", op.then), ("else", op.orelse)):
                    b_ids, b_clusters = region(blk)
                    if b_ids or b_clusters:
                        clusters.append((f"if {render(expr(op.cond))}: {label}", b_ids,
                                         b_clusters))
                for r, y1, y2 in zip(op.results, op.then.yields, op.orelse.yields):
                    ids.append(add(r, f"φ({render(expr(y1))}, {render(expr(y2))})"))
                    edge(y1, r)
                    edge(y2, r)
                    edge(op.cond, r, 'style="dotted"')
        return ids, clusters

    _, clusters = region(fn.body)
    ret = fn.body.yields[0]
    if isinstance(ret, Value) and ret in number:
        nid = _node_id(number[ret])
        attrs.setdefault(nid, {})["peripheries"] = "2"
        labels[nid] = "y: " + labels[nid]
    return Graph(name, nodes, labels, edges, clusters, attrs)


# ---------------------------------------------------------------------------
# The trace of one call
# ---------------------------------------------------------------------------
def _trace_graph(f, args, mode, argnums, tangents, cotangents) -> Graph:
    fn, name, args, nums, single = prepare(f, args, argnums)
    if mode is None and (tangents is not None or cotangents is not None):
        raise S2sadError("s2sad.graph: tangents/cotangents need mode='forward'/'reverse'")
    run = Run(fn, args, nums, mode)
    if mode == "forward":
        run.seed_tangents(tangents)
    run.execute()
    if mode is not None:
        run.rows(None, cotangents)  # the reverse sweep fills run.adjoints
    adjoints = run.adjoints

    nodes, labels, attrs, edges = [], {}, {}, []
    seen = set()
    tree = {}  # context prefix -> (label, ids, children dict)

    def label_of(node: Node, definition):
        lines = [f"{render(node.sym)} = {definition}", f"= {format_value(node.value)}"]
        if mode == "forward" and node.active:
            lines.append(f"{render(Sym(node.index, 'dot'))} = {format_value(node.dot)}")
        if mode == "reverse" and node.active and id(node) in adjoints:
            lines.append(f"{render(Sym(node.index, 'bar'))} = "
                         f"{format_value(adjoints[id(node)])}")
        return "\n".join(lines)

    for x in run.inputs:
        nid = _node_id(x.index)
        nodes.append(nid)
        labels[nid] = label_of(x, x.param)
        attrs[nid] = {"shape": "box"}
    for node in run.interp.nodes:
        nid = _node_id(node.index)
        nodes.append(nid)
        labels[nid] = label_of(node, render(node.expr))
        if node.context:
            level = tree
            entry = None
            for part in node.context:
                entry = level.setdefault(part, (part, [], {}))
                level = entry[2]
            entry[1].append(nid)
        for r in node.refs:
            if isinstance(r, Node):
                key = (_node_id(r.index), nid, "")
                if key not in seen:
                    seen.add(key)
                    edges.append(key)
    outs = run.output_names()
    for oname, ref in zip(outs, run.outputs):
        if isinstance(ref, Node):
            nid = _node_id(ref.index)
            attrs.setdefault(nid, {})["peripheries"] = "2"
            labels[nid] = f"{oname}: " + labels[nid]

    def to_clusters(level):
        return [(label, ids, to_clusters(children)) for label, ids, children in level.values()]

    return Graph(name, nodes, labels, edges, to_clusters(tree), attrs)
