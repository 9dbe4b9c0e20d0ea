"""``s2sad transpile --backend numba``: a module of ``@numba.njit(cache=True)``
functions that runs without s2sad, agrees with the Python backend and with
finite differences, and compiles nothing on its second import.

The tests that compile with Numba share two subprocesses (a module-scoped
fixture): Numba's compile time is most of this file's time.
"""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from s2sad.cli import main
from s2sad.transpile import transpile_file

needs_numba = pytest.mark.skipif(importlib.util.find_spec("numba") is None,
                                 reason="Numba is not installed")

PROGRAM = '''\
import numpy as np
import numba
from numba import njit
import numba as nb


@numba.njit
def energy(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += w * x[i] ** 2 + np.sin(x[i]) * x[i]
    return s


@njit(fastmath=True, boundscheck=False)
def tuned(x):
    return x * x


@nb.jit(nopython=True, error_model="numpy")
def old_style(x):
    return x + 1.0


def plain(x):
    return 2.0 * x
'''


# what needs no Numba to be read
PLAIN = '''\
import numpy as np


def energy(x, w):
    s = 0.0
    for i in range(x.shape[0]):
        s += w * x[i] ** 2
    return s
'''


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    folder = tmp_path_factory.mktemp("numba_transpile")
    path = folder / "prog.py"
    path.write_text(PROGRAM)
    return path


@pytest.fixture(scope="module")
def plain_program(tmp_path_factory):
    path = tmp_path_factory.mktemp("plain") / "plain.py"
    path.write_text(PLAIN)
    return path


# What the subprocesses run: s2sad cannot be imported (installed or not).
BLOCK_S2SAD = """
import importlib.abc, json, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "s2sad" or name.startswith("s2sad."):
            raise ImportError("s2sad is not installed here")
sys.meta_path.insert(0, Block())
sys.path.insert(0, {folder!r})
import numpy as np
"""

FIRST_RUN = BLOCK_S2SAD + """
import prog_numba as nd, prog_python as pd
x, w = np.array([0.3, -1.2, 2.0, 0.7]), 0.8
xd = np.array([1.0, -0.5, 0.25, 2.0])
vjp, jvp = nd.energy_vjp(x, w, 1.0), nd.energy_jvp(x, w, xd, 0.5)
ref_vjp, ref_jvp = pd.energy_vjp(x, w, 1.0), pd.energy_jvp(x, w, xd, 0.5)
h = 1e-6
fd_x = [(pd.energy(x + h * e, w) - pd.energy(x - h * e, w)) / (2 * h) for e in np.eye(4)]
fd_w = (pd.energy(x, w + h) - pd.energy(x, w - h)) / (2 * h)
print(json.dumps(dict(
    vjp=[list(vjp[0]), vjp[1]], ref_vjp=[list(ref_vjp[0]), ref_vjp[1]],
    jvp=list(jvp), ref_jvp=list(ref_jvp), fd_x=fd_x, fd_w=fd_w,
    misses=[len(nd.energy_vjp.stats.cache_misses), len(nd.energy_jvp.stats.cache_misses)],
    s2sad="s2sad" in sys.modules)))
"""

SECOND_RUN = BLOCK_S2SAD + """
import prog_numba as nd
x, w = np.array([0.3, -1.2, 2.0, 0.7]), 0.8
vjp = nd.energy_vjp(x, w, 1.0)
jvp = nd.energy_jvp(x, w, np.array([1.0, -0.5, 0.25, 2.0]), 0.5)
stats = [nd.energy_vjp.stats, nd.energy_jvp.stats]
print(json.dumps(dict(vjp=[list(vjp[0]), vjp[1]], jvp=list(jvp),
                      hits=[sum(s.cache_hits.values()) for s in stats],
                      misses=[sum(s.cache_misses.values()) for s in stats])))
"""


def _run(code, cache_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["NUMBA_CACHE_DIR"] = str(cache_dir)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=240, env=env, cwd=str(cache_dir))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(program, tmp_path_factory):
    """The transpiled modules, imported in a fresh process, then in another."""
    folder = program.parent
    (folder / "prog_numba.py").write_text(
        transpile_file(str(program), ["energy"], "both", backend="numba"))
    (folder / "prog_python.py").write_text(
        transpile_file(str(program), ["energy"], "both", backend="python"))
    cache = tmp_path_factory.mktemp("numba_cache")
    first = _run(FIRST_RUN.format(folder=str(folder)), cache)
    second = _run(SECOND_RUN.format(folder=str(folder)), cache)
    return first, second


def _close(a, b, tol):
    import numpy as np
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                       rtol=tol, atol=tol)


@needs_numba
def test_module_runs_without_s2sad_and_agrees_with_python(runs):
    first, _ = runs
    assert first["s2sad"] is False
    assert first["misses"] == [1, 1]  # it did compile both
    assert _close(first["vjp"][0], first["ref_vjp"][0], 1e-12)
    assert _close(first["vjp"][1], first["ref_vjp"][1], 1e-12)
    assert _close(first["jvp"], first["ref_jvp"], 1e-12)
    # and both are right: central differences
    assert _close(first["vjp"][0], first["fd_x"], 1e-6)
    assert _close(first["vjp"][1], first["fd_w"], 1e-6)
    xd, wd = [1.0, -0.5, 0.25, 2.0], 0.5
    directional = sum(a * b for a, b in zip(first["fd_x"], xd)) + first["fd_w"] * wd
    assert _close(first["jvp"][1], directional, 1e-6)


@needs_numba
def test_second_import_compiles_nothing(runs):
    first, second = runs
    assert second["hits"] == [1, 1]
    assert second["misses"] == [0, 0]
    assert second["vjp"] == first["vjp"] and second["jvp"] == first["jvp"]


def _decorator_of(text, name):
    lines = text.splitlines()
    at = lines.index(next(ln for ln in lines if ln.startswith(f"def {name}(")))
    return lines[at - 1]


@needs_numba
def test_module_layout(program):
    text = transpile_file(str(program), backend="numba")
    compile(text, "prog_numba.py", "exec")
    head = text.split('"""', 2)[2]
    assert "\nimport numba\n" in head and "s2sad" not in head.split("# ---")[0]
    assert "Numba cannot compile is an" in text.split('"""')[1]  # the docstring says so
    assert "from numba.extending import overload" in text
    assert "@overload(unbroadcast)" in text and "def unbroadcast(" in text
    assert text.index("def unbroadcast(") < text.index("@overload(unbroadcast)")
    assert "reversed(" not in text.split("# --- derivatives ---")[1]  # numba_source ran


@needs_numba
def test_decorator_options_are_carried_to_the_derivatives(program):
    text = transpile_file(str(program), backend="numba")
    tuned = "@numba.njit(cache=True, fastmath=True, boundscheck=False)"
    for name in ("tuned", "tuned_jvp", "tuned_vjp"):
        assert _decorator_of(text, name) == tuned
    for name in ("old_style", "old_style_vjp"):  # nopython is njit's own
        assert _decorator_of(text, name) == "@numba.njit(cache=True, error_model='numpy')"
    for name in ("energy", "energy_vjp", "plain", "plain_jvp"):
        assert _decorator_of(text, name) == "@numba.njit(cache=True)"


@needs_numba
def test_cli_writes_the_numba_module(program, tmp_path, capsys):
    out = tmp_path / "prog_d.py"
    assert main(["transpile", str(program), "--backend", "numba", "--function", "tuned",
                 "-o", str(out)]) == 0
    assert out.read_text() == transpile_file(str(program), ["tuned"], backend="numba")
    assert "@numba.njit(cache=True, fastmath=True, boundscheck=False)" in out.read_text()


@pytest.mark.parametrize("which", ["plain_program", pytest.param("program", marks=needs_numba)])
def test_python_backend_output_is_unchanged(which, request, tmp_path, capsys):
    program = request.getfixturevalue(which)
    default = transpile_file(str(program))
    assert transpile_file(str(program), backend="python") == default
    assert "numba.njit(" not in default.replace("@numba.njit\n", "")
    assert main(["transpile", str(program), "--backend", "python", "-o",
                 str(tmp_path / "a.py")]) == 0
    assert main(["transpile", str(program), "-o", str(tmp_path / "b.py")]) == 0
    assert (tmp_path / "a.py").read_text() == (tmp_path / "b.py").read_text() == default


def test_unknown_backend_is_a_usage_error(plain_program, capsys):
    program = plain_program
    assert main(["transpile", str(program), "--backend", "cuda"]) == 2
    assert "invalid choice: 'cuda'" in capsys.readouterr().err


def test_numba_missing_is_a_one_line_error(plain_program, monkeypatch, capsys):
    program = plain_program
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` fails
    assert main(["transpile", str(program), "--backend", "numba"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("s2sad: error:") and "Numba" in err and "pip install" in err

