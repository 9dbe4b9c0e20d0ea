"""The README's table of supported NumPy functions is the registry's.

Refresh it with ``python -m s2sad.rules.table --write-readme``.
"""
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from s2sad.rules import table

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def test_readme_section_is_the_generated_table():
    text = README.read_text(encoding="utf-8")
    section = table.readme_section(text)
    assert section is not None, "README.md has no <!-- numpy-table --> section"
    heading = text.index("## Supported NumPy functions")
    assert heading < text.index(table.BEGIN)
    made_with = re.search(r"with NumPy (\d+\.\d+)", section)
    here = ".".join(np.__version__.split(".")[:2])
    if made_with and made_with.group(1) != here:
        pytest.skip(f"the README table was generated with NumPy {made_with.group(1)}, "
                    f"this is NumPy {here} (other functions exist)")
    assert section == table.markdown(), \
        "README.md's NumPy table is stale: run python -m s2sad.rules.table --write-readme"


def test_table_counts_and_lists_every_rule_with_both_modes():
    md = table.markdown()
    count = int(md.split(" ", 1)[0])
    assert count == len(table.rules()) >= 150
    rows = [line for line in md.splitlines() if line.startswith("| `np.")]
    assert len(rows) == count
    for name in ("`np.sum`", "`np.einsum`", "`np.linalg.svd`", "`np.linalg.norm`",
                 "`np.where`", "`np.clip`"):
        assert any(row.startswith(f"| {name} ") for row in rows), name
    assert "`np.abs`" in md  # aliases are listed with their function


def test_entry_point_prints_and_writes(tmp_path):
    env_cmd = [sys.executable, "-m", "s2sad.rules.table"]
    out = subprocess.run(env_cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out == table.markdown()
    readme = tmp_path / "README.md"
    readme.write_text(f"# t\n\n{table.BEGIN}\nold\n{table.END}\nafter\n", encoding="utf-8")
    subprocess.run(env_cmd + ["--write-readme", "--readme", str(readme)], cwd=ROOT, check=True,
                   capture_output=True)
    text = readme.read_text(encoding="utf-8")
    assert table.readme_section(text) == table.markdown() and text.endswith("after\n")
