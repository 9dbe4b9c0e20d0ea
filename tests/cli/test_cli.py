"""The command line: ``s2sad ssa FILE.py[:NAME]``, and the file loader under it
(functions are read from a file without running the file)."""
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import s2sad
from s2sad.cli import main, parse_target
from s2sad.errors import (FunctionNotFoundError, ModuleLoadError, S2sadError,
                          SourceFileError, SourceSyntaxError, UnsupportedSyntaxError)
from s2sad.frontend.source import FileFunction, file_source_infos
from s2sad.files import ssa_source_of_info

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "textbook.py"

TEXTBOOK_SSA = """\
def f(x1, x2):
    # return np.log(x1) + x1 * x2 - np.sin(x2)
    log_x1 = np.log(x1)
    x1_x2 = x1 * x2
    sin_x2 = np.sin(x2)
    t = log_x1 + x1_x2
    y = t - sin_x2
    return y
"""


def write(tmp_path, text, name="mod.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def run_main(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def console_script():
    """The installed ``s2sad`` script of this interpreter's environment."""
    bindir = Path(sys.executable).parent
    for name in ("s2sad", "s2sad.exe"):
        if (bindir / name).exists():
            return [str(bindir / name)]
    found = shutil.which("s2sad")
    if found is None:
        pytest.skip("the s2sad console script is not installed (pip install .)")
    return [found]


def run_cli(argv, prefix=None, cwd=ROOT):
    cmd = (prefix or console_script()) + [str(a) for a in argv]
    proc = subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


# ---------------------------------------------------------------------------
# s2sad ssa on the sample
# ---------------------------------------------------------------------------
def test_ssa_sample_all_functions(capsys):
    code, out, err = run_main(capsys, "ssa", SAMPLE)
    assert (code, err) == (0, "")
    assert out.startswith(TEXTBOOK_SSA + "\n")
    assert "\ndef g(x):\n" in out and "\ndef F(x1, x2):\n" in out


def test_ssa_sample_named_function(capsys):
    code, out, _ = run_main(capsys, "ssa", f"{SAMPLE}:f")
    assert (code, out) == (0, TEXTBOOK_SSA)


def test_ssa_matches_the_library_on_the_imported_function(capsys):
    sys.path.insert(0, str(SAMPLE.parent))
    try:
        import textbook
    finally:
        sys.path.remove(str(SAMPLE.parent))
    _, out, _ = run_main(capsys, "ssa", f"{SAMPLE}:f")
    assert out == s2sad.ssa_source(textbook.f)


def test_console_script_on_sample():
    code, out, err = run_cli(["ssa", "samples/textbook.py:f"])
    assert (code, out, err) == (0, TEXTBOOK_SSA, "")


def test_python_dash_m():
    code, out, err = run_cli(["ssa", "samples/textbook.py:f"], prefix=[sys.executable, "-m", "s2sad"])
    assert (code, out, err) == (0, TEXTBOOK_SSA, "")


def test_several_functions_are_separated_by_a_blank_line(tmp_path, capsys):
    path = write(tmp_path, """\
        def a(x):
            return x + 1

        def b(x):
            return x * 2
        """)
    code, out, _ = run_main(capsys, "ssa", path)
    assert code == 0
    assert out == ("def a(x):\n    # return x + 1\n    y = x + 1\n    return y\n\n"
                   "def b(x):\n    # return x * 2\n    y = x * 2\n    return y\n")
    _, only_b, _ = run_main(capsys, "ssa", f"{path}:b")
    assert only_b == out.split("\n\n")[1]
    _, both, _ = run_main(capsys, "ssa", f"{path}:b,a")
    assert both.startswith("def b(x):") and "\n\ndef a(x):" in both


# ---------------------------------------------------------------------------
# help and usage errors (exit 2)
# ---------------------------------------------------------------------------
def test_help_shows_examples(capsys):
    code, out, _ = run_main(capsys, "--help")
    assert code == 0
    assert "examples:" in out and "s2sad ssa samples/textbook.py" in out
    code, out, _ = run_main(capsys, "ssa", "--help")
    assert code == 0 and "FILE.py[:NAME]" in out


def test_version(capsys):
    code, out, _ = run_main(capsys, "--version")
    assert code == 0 and s2sad.__version__ in out


@pytest.mark.parametrize("argv", [
    [],                                   # no command
    ["frobnicate"],                       # unknown command
    ["ssa"],                              # no file
    ["ssa", "samples/textbook.py:1f"],    # not a function name
    ["ssa", "samples/textbook.py:"],      # empty name
    ["ssa", "--no-such-option", "samples/textbook.py"],
])
def test_usage_errors_exit_2(capsys, argv):
    code, out, err = run_main(capsys, *argv)
    assert code == 2
    assert out == ""
    assert "usage:" in err and "Traceback" not in err


def test_usage_error_exit_2_from_console_script():
    code, _, err = run_cli(["ssa"])
    assert code == 2 and "usage:" in err


def test_parse_target():
    t = parse_target("dir/m.py:f")
    assert (t.path, t.names) == ("dir/m.py", ["f"])
    t = parse_target("m.py:f,g")
    assert t.names == ["f", "g"]
    t = parse_target("m.py")
    assert (t.path, t.names) == ("m.py", None)
    t = parse_target(r"C:\code\m.py")  # a drive colon is part of the path
    assert (t.path, t.names) == (r"C:\code\m.py", None)


# ---------------------------------------------------------------------------
# errors in the input (exit 1, message on stderr, no traceback)
# ---------------------------------------------------------------------------
UNSUPPORTED = """\
    import numpy as np

    def g(x):
        try:
            return np.sin(x)
        except ValueError:
            return 0.0
    """


def test_unsupported_construct_reports_file_line_and_caret(tmp_path, capsys):
    path = write(tmp_path, UNSUPPORTED)
    code, out, err = run_main(capsys, "ssa", path)
    assert code == 1
    assert out == ""
    assert f"{path}:4:5:" in err
    lines = err.splitlines()
    i = next(k for k, line in enumerate(lines) if line.strip() == "try:")
    assert lines[i + 1].strip() == "^"
    assert lines[i + 1].index("^") == lines[i].index("try")
    assert "Traceback" not in err


def test_unsupported_construct_from_console_script(tmp_path):
    path = write(tmp_path, UNSUPPORTED)
    code, out, err = run_cli(["ssa", f"{path}:g"])
    assert code == 1 and out == ""
    assert f"{path}:4:5:" in err and "^" in err
    assert "Traceback" not in err


def test_good_functions_print_even_when_another_fails(tmp_path, capsys):
    path = write(tmp_path, textwrap.dedent(UNSUPPORTED) + "\ndef ok(x):\n    return x\n")
    code, out, err = run_main(capsys, "ssa", path)
    assert code == 1
    assert out.startswith("def ok(x):")
    assert f"{path}:4:5:" in err


def test_syntax_error(tmp_path, capsys):
    path = write(tmp_path, "def f(x):\n    return x +* 2\n")
    code, out, err = run_main(capsys, "ssa", path)
    assert code == 1 and out == ""
    assert f"{path}:2:" in err and "return x +* 2" in err and "^" in err
    assert "Traceback" not in err


def test_missing_file(tmp_path, capsys):
    code, out, err = run_main(capsys, "ssa", tmp_path / "nope.py")
    assert code == 1 and out == ""
    assert "nope.py: no such file" in err and "Traceback" not in err


def test_directory_instead_of_file(tmp_path, capsys):
    code, _, err = run_main(capsys, "ssa", tmp_path)
    assert code == 1 and "is a directory" in err


def test_unknown_function_name(capsys):
    code, out, err = run_main(capsys, "ssa", "samples/textbook.py:h")
    assert code == 1 and out == ""
    assert "no top-level function 'h'" in err and "its top-level functions: f, g, F" in err


def test_file_without_functions(tmp_path, capsys):
    path = write(tmp_path, "N = 1\n")
    code, _, err = run_main(capsys, "ssa", path)
    assert code == 1 and "defines no top-level function" in err


def test_failing_import(tmp_path, capsys):
    path = write(tmp_path, "import no_such_module_s2sad_test\n\ndef f(x):\n    return x\n")
    code, _, err = run_main(capsys, "ssa", path)
    assert code == 1
    assert f"{path}:1:1:" in err and "no_such_module_s2sad_test" in err
    assert "Traceback" not in err


def test_default_that_needs_running_the_file(tmp_path, capsys):
    path = write(tmp_path, """\
        import numpy as np
        W = np.ones(3)

        def f(x, w=W):
            return x * w
        """)
    code, _, err = run_main(capsys, "ssa", path)
    assert code == 1
    assert f"{path}:4:12:" in err and "'W'" in err and "^" in err


# ---------------------------------------------------------------------------
# the file is never run
# ---------------------------------------------------------------------------
NOT_RUN = """\
    import math
    import numpy as np

    print("executed")
    open({marker!r}, "w").write("executed")
    raise SystemExit("executed")

    def f(x):
        return math.sqrt(x) * np.cos(x)

    if __name__ == "__main__":
        print("executed")
    """


def test_top_level_code_is_never_executed(tmp_path, capsys):
    marker = tmp_path / "marker"
    path = write(tmp_path, NOT_RUN.format(marker=str(marker)))
    code, out, err = run_main(capsys, "ssa", path)
    assert (code, err) == (0, "")
    assert out.startswith("def f(x):")
    assert "math.sqrt(x)" in out and "np.cos(x)" in out
    assert "executed" not in out
    assert not marker.exists()


def test_top_level_code_is_never_executed_console_script(tmp_path):
    marker = tmp_path / "marker"
    path = write(tmp_path, NOT_RUN.format(marker=str(marker)))
    code, out, err = run_cli(["ssa", path])
    assert (code, err) == (0, "")
    assert out.startswith("def f(x):") and "executed" not in out
    assert not marker.exists()


# ---------------------------------------------------------------------------
# the loader: globals, placeholders, defaults
# ---------------------------------------------------------------------------
MODULE = """\
    import math
    import numpy as np
    from numpy import sin as S

    N = 3
    COEFFS = (1.0, 2.0)
    A, B = 1, 2.5
    X: float = -0.5
    Y = np.zeros(3)
    Z = 1
    Z = Z + 1

    def helper(x, k=N, *, c=COEFFS, z=np.pi, d=None):
        return x * k + c[0] + z

    class K:
        pass

    def poly(x, n=N):
        s = 0.0
        for i in range(n):
            s = s + COEFFS[i % 2] * x ** i + helper(x)
        return s
    """


def test_globals_of_a_file(tmp_path):
    import math
    import numpy as np
    path = write(tmp_path, MODULE)
    infos = file_source_infos(path)
    assert list(infos) == ["helper", "poly"]
    g = infos["poly"].globals
    assert infos["helper"].globals is g
    assert g["math"] is math and g["np"] is np and g["S"] is np.sin
    assert (g["N"], g["COEFFS"], g["A"], g["B"], g["X"]) == (3, (1.0, 2.0), 1, 2.5, -0.5)
    assert "Y" not in g  # not a literal: unbound, never computed
    assert "Z" not in g  # later rebound to a non-literal
    assert "K" not in g
    assert g["__name__"] == "mod" and g["__file__"] == str(path)
    for name, info in infos.items():
        assert info.func is None and info.node.name == name
        assert info.filename == str(path) and info.line_offset == 0


def test_functions_of_the_file_are_placeholders(tmp_path):
    path = write(tmp_path, MODULE)
    infos = file_source_infos(path)
    placeholder = infos["poly"].globals["helper"]
    assert isinstance(placeholder, FileFunction)
    assert placeholder.name == "helper" and placeholder.info is infos["helper"]
    assert "helper" in repr(placeholder)
    with pytest.raises(S2sadError):
        placeholder(1.0)


def test_names_selects_functions(tmp_path):
    path = write(tmp_path, MODULE)
    assert list(file_source_infos(path, ["poly"])) == ["poly"]
    assert list(file_source_infos(path, "helper")) == ["helper"]
    with pytest.raises(FunctionNotFoundError, match="'nope'"):
        file_source_infos(path, ["nope"])


def test_defaults_come_from_the_source(tmp_path, capsys):
    path = write(tmp_path, MODULE)
    infos = file_source_infos(path)
    helper = ssa_source_of_info(infos["helper"])
    assert helper.startswith(
        "def helper(x, k=3, *, c=(1.0, 2.0), z=3.141592653589793, d=None):")
    poly = ssa_source_of_info(infos["poly"])
    assert poly.startswith("def poly(x, n=3):")
    assert "helper(x)" in poly


def test_relative_imports_inside_a_package(tmp_path, capsys):
    pkg = tmp_path / "pkg_s2sad_cli_test"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "util.py").write_text("def twice(x):\n    return 2 * x\n")
    path = write(pkg / "sub", "from ..util import twice\n\ndef f(x):\n    return twice(x)\n")
    saved = list(sys.path)
    code, out, err = run_main(capsys, "ssa", path)
    assert sys.path == saved
    assert (code, err) == (0, "")
    assert "twice(x)" in out
    assert file_source_infos(path)["f"].globals["__name__"] == "pkg_s2sad_cli_test.sub.mod"


def test_sibling_module_import(tmp_path, capsys):
    write(tmp_path, "SCALE = 2.0\n", name="sibling_s2sad_cli_test.py")
    path = write(tmp_path, "import sibling_s2sad_cli_test as sib\n\ndef f(x):\n    return sib.SCALE * x\n")
    code, out, _ = run_main(capsys, "ssa", path)
    assert code == 0 and "sib.SCALE * x" in out


@pytest.mark.parametrize("text, cls", [
    ("def f(x):\n    return x +* 2\n", SourceSyntaxError),
    ("import no_such_module_s2sad_test\n", ModuleLoadError),
])
def test_loader_errors_are_s2sad_errors(tmp_path, text, cls):
    path = write(tmp_path, text)
    with pytest.raises(cls) as info:
        file_source_infos(path)
    assert isinstance(info.value, S2sadError)
    assert info.value.filename == str(path) and info.value.lineno is not None


def test_missing_file_is_an_s2sad_error(tmp_path):
    with pytest.raises(SourceFileError):
        file_source_infos(tmp_path / "missing.py")


def test_unbound_default_is_unsupported(tmp_path):
    path = write(tmp_path, "def f(x, w=W):\n    return x\n")
    info = file_source_infos(path)["f"]
    with pytest.raises(UnsupportedSyntaxError) as exc:
        ssa_source_of_info(info)
    assert (exc.value.lineno, exc.value.col) == (1, 11)


def test_coding_cookie(tmp_path, capsys):
    path = tmp_path / "latin.py"
    path.write_bytes("# -*- coding: latin-1 -*-\ndef f(x):\n    # caf\xe9\n    return x\n"
                     .encode("latin-1"))
    code, out, _ = run_main(capsys, "ssa", path)
    assert code == 0 and out.startswith("def f(x):")


def test_pathlike_and_str_paths(tmp_path):
    path = write(tmp_path, "def f(x):\n    return x\n")
    assert list(file_source_infos(path)) == list(file_source_infos(os.fspath(path))) == ["f"]
