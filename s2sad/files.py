"""Entry points for functions given as :class:`~s2sad.frontend.source.SourceInfo`,
such as the top-level functions of a file read without running it
(:func:`~s2sad.frontend.source.file_source_infos`); the command line uses them.

They mirror :mod:`s2sad.api`, which takes function objects.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

from .backend import emit_function
from .compiler import lowered
from .frontend.source import FileFunction, SourceInfo, file_source_infos

__all__ = ["FileFunction", "file_source_infos", "ssa_ir_of_info", "ssa_source_of_info",
           "file_ssa_sources"]


def ssa_ir_of_info(info: SourceInfo):
    """The function lowered to SSA, cleaned up and verified (shared: do not change it)."""
    return lowered(FileFunction(info.node.name, info))


def ssa_source_of_info(info: SourceInfo) -> str:
    """The function as three-address Python, one primitive per line."""
    src, _ = emit_function(ssa_ir_of_info(info))
    return src


def file_ssa_sources(path, names: Optional[Sequence[str]] = None) -> Dict[str, str]:
    """``{name: ssa source}`` for top-level functions of a file (default: all),
    read without running the file."""
    return {name: ssa_source_of_info(info)
            for name, info in file_source_infos(path, names).items()}
