"""Every sample runs; the transpiled sample is fresh and runs without s2sad."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"

EXPECTED = {
    "textbook.py": ["f(2, 5) = 11.652", "df/dx1 = 5.500, df/dx2 = 1.716", "g'(2) = -18.259",
                    "x1-column of the Jacobian = (2.0907, 0.5000)"],
    "root_finder.py": ["d/da by reverse mode = 0.0718144897"],
    "newton.py": ["(1.0000000000, 1.0000000000)"],
    "ode_sensitivity.py": ["dy/dr by forward mode = 0.08538301   (exact 0.08538301)"],
    "logistic_regression.py": ["training accuracy"],
    "mlp.py": ["training accuracy"],
    "njit_simulation.py": ["agree to 1e-6: True"],
    "scipy_bfgs.py": ["converged: True", "gives the same fit: True"],
    "scipy_newton_cg.py": ["agrees with SciPy's rosen_hess_prod: True", "converged: True"],
}
NEEDS_NUMBA = {"njit_simulation.py"}
NEEDS_SCIPY = {"scipy_bfgs.py", "scipy_newton_cg.py"}


def run(args, **kw):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable] + args, capture_output=True, text=True,
                          timeout=300, env=env, cwd=ROOT, **kw)


def test_every_sample_is_listed():
    assert sorted(p.name for p in SAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_runs(name):
    if name in NEEDS_NUMBA:
        pytest.importorskip("numba")
    if name in NEEDS_SCIPY:
        pytest.importorskip("scipy")
    proc = run([str(SAMPLES / name)])
    assert proc.returncode == 0, proc.stderr
    for text in EXPECTED[name]:
        assert text in proc.stdout, proc.stdout


def test_generated_module_is_fresh(monkeypatch):
    from s2sad.transpile import transpile_file
    monkeypatch.chdir(ROOT)  # the module names its source by this relative path
    generated = SAMPLES / "generated" / "textbook_derivatives.py"
    assert generated.read_text() == transpile_file("samples/textbook.py"), (
        "samples/generated/textbook_derivatives.py is stale: regenerate it with "
        "`s2sad transpile samples/textbook.py -o samples/generated/textbook_derivatives.py`")


def test_generated_numba_module_is_fresh(monkeypatch):
    pytest.importorskip("numba")
    from s2sad.transpile import transpile_file
    monkeypatch.chdir(ROOT)
    generated = SAMPLES / "generated" / "njit_simulation_derivatives.py"
    text = transpile_file("samples/njit_simulation.py", mode="reverse", argnums=0,
                          backend="numba")
    assert generated.read_text() == text, (
        "samples/generated/njit_simulation_derivatives.py is stale: regenerate it with "
        "`s2sad transpile samples/njit_simulation.py --mode reverse --argnums 0 "
        "--backend numba -o samples/generated/njit_simulation_derivatives.py`")
    assert "@numba.njit(cache=True, fastmath=True)\ndef simulate_vjp(" in text


BLOCK_S2SAD = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "s2sad" or name.startswith("s2sad."):
            raise ImportError("s2sad is not installed here")
sys.meta_path.insert(0, Block())
sys.path.insert(0, {folder!r})
import textbook_derivatives as d
_, dx1 = d.f_jvp(2.0, 5.0, 1.0, 0.0)
bars = d.f_vjp(2.0, 5.0, 1.0)
print(round(dx1, 3), round(bars[0], 3), round(bars[1], 3))
_, (t1, t2) = d.F_jvp(2.0, 3.0, 1.0, 0.0)
print(round(t1, 4), round(t2, 4), round(d.g_vjp(2.0, 1.0)[0], 3))
"""


def test_generated_module_runs_without_s2sad():
    code = BLOCK_S2SAD.format(folder=str(SAMPLES / "generated"))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["5.5", "5.5", "1.716", "2.0907", "0.5", "-18.259"]
