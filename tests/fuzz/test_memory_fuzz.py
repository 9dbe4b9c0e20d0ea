"""Property-based fuzzing of the memory model: aliases, views, mutation.

Each example is a random program of ``memory_programs.py`` (aliases by
assignment and chained assignment, basic-slice / ``.T`` / ``.reshape`` /
``.ravel()`` / ``np.asarray`` views, element and slice writes with every
augmented operator, mutating NumPy calls and list methods, calls of mutating
helpers, inside straight-line code, ``if`` and ``for``) at a random point.  It
must satisfy (:func:`check_program`):

* ``jvp`` and ``vjp`` return the program's value;
* ``s2sad.check_grads`` in both modes: every Jacobian entry against finite
  differences, and the dot-product test;
* the caller's arguments are unchanged after every call.

Every construct the generator emits is one issue 12 requires to work, so an
S2sadError is a failure, except in ``test_random_ambiguous_programs``, whose
programs may alias one of two arrays depending on a branch: there the error
must name a line at or after that branch (and a wrong number is never fine).
Points where a branch changes within the finite-difference steps are skipped.

Runs ``S2SAD_MEMORY_FUZZ_EXAMPLES`` examples (default 150) with a fixed seed
(``S2SAD_MEMORY_FUZZ_SEED``), so CI sees the same programs every time;
``S2SAD_MEMORY_FUZZ_EXAMPLES=5000`` searches further.  ``S2SAD_FUZZ_SHRINK=0``
(shared with test_fuzz.py) reports the first failing program as drawn, without
minutes of shrinking.
"""
import os
import re

import numpy as np
from hypothesis import HealthCheck, Phase, assume, given, note, seed, settings

import s2sad
from s2sad.check import fd_steps
from s2sad.errors import S2sadError

from .memory_programs import (Generator, branch_trace, compile_program, copies,
                              program_strategy)

EXAMPLES = int(os.environ.get("S2SAD_MEMORY_FUZZ_EXAMPLES", "150"))
SEED = int(os.environ.get("S2SAD_MEMORY_FUZZ_SEED", "20240612"))
EPS = 1e-3  # check_grads's default step
LIMIT = 1e4  # values beyond this are poorly conditioned for the check
PHASES = tuple(Phase) if os.environ.get("S2SAD_FUZZ_SHRINK", "1") != "0" else \
    (Phase.explicit, Phase.reuse, Phase.generate)
SETTINGS = dict(deadline=None, database=None, report_multiple_bugs=False, phases=PHASES,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])


def _flat(out):
    if isinstance(out, tuple):
        return np.concatenate([np.ravel(np.asarray(o, dtype=float)) for o in out])
    return np.ravel(np.asarray(out, dtype=float))


def smooth_near(prog, args):
    """True when every finite-difference point check_grads evaluates takes the
    branches the point itself takes, and values are finite and moderate."""
    inst, margins = compile_program(prog, instrument=True)
    try:
        with np.errstate(all="ignore"):
            base, out = branch_trace(inst, margins, args)
    except (ArithmeticError, ValueError):
        return False
    y = _flat(out)
    if not np.all(np.isfinite(y)) or np.max(np.abs(y), initial=0.0) > LIMIT:
        return False
    if base and min(abs(m) for m in margins) < 1e-6:
        return False
    if not base:
        return True  # no test evaluated: nothing can flip
    for i, a in enumerate(args):
        size = a.size if isinstance(a, np.ndarray) else 1
        for k in range(size):
            h = fd_steps(a, k, EPS)
            for t in (h, -h, h / 2, -h / 2):
                moved = list(args)
                if isinstance(a, np.ndarray):
                    b = a.copy()
                    b[k] += t
                    moved[i] = b
                else:
                    moved[i] = a + t
                try:
                    with np.errstate(all="ignore"):
                        trace, _ = branch_trace(inst, margins, moved)
                except (ArithmeticError, ValueError):
                    return False
                if trace != base:
                    return False
    return True


def _well_conditioned(f, args):
    """Derivatives finite differences can check (finite, moderate, and the same
    at two step sizes: a program that grows to 1e10 inside and comes back
    through cos is too rough for them), by the plain function's own finite
    differences: s2sad's are what is tested."""
    with np.errstate(all="ignore"):
        y0 = _flat(f(*copies(args)))
        for i, a in enumerate(args):
            size = a.size if isinstance(a, np.ndarray) else 1
            for k in range(size):
                slopes = []
                for h in (fd_steps(a, k, EPS), fd_steps(a, k, EPS) / 16):
                    moved = list(copies(args))
                    if isinstance(a, np.ndarray):
                        moved[i][k] += h
                    else:
                        moved[i] = a + h
                    d = (_flat(f(*moved)) - y0) / h
                    if not np.all(np.isfinite(d)) or np.max(np.abs(d), initial=0.0) > 1e5:
                        return False
                    slopes.append(d)
                if not np.allclose(slopes[0], slopes[1], rtol=0.2, atol=1e-2):
                    return False
    return True


def _assert_unchanged(args, saved, src, what):
    for k, (a, s) in enumerate(zip(args, saved)):
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, s), (
                f"{what} wrote into the caller's argument {k}: {a!r} afterwards, was {s!r}\n"
                f"{src}")


def check_program(prog, args):
    """What every example must satisfy."""
    src = prog.source()
    f, _ = compile_program(prog)
    expected = _flat(f(*copies(args)))
    saved = copies(args)
    tangents = [np.ones_like(a) if isinstance(a, np.ndarray) else 1.0 for a in args]
    y, _ = s2sad.jvp(f, args, tangents)
    _assert_unchanged(args, saved, src, "jvp")
    np.testing.assert_allclose(_flat(y), expected, rtol=1e-12, atol=1e-12,
                               err_msg=f"jvp's value differs from the program's:\n{src}")
    y2, vjp_fn = s2sad.vjp(f, *args)
    _assert_unchanged(args, saved, src, "vjp")
    np.testing.assert_allclose(_flat(y2), expected, rtol=1e-12, atol=1e-12,
                               err_msg=f"vjp's value differs from the program's:\n{src}")
    ct = tuple(np.ones_like(o) if isinstance(o, np.ndarray) else 1.0 for o in y2) \
        if isinstance(y2, tuple) else \
        (np.ones_like(y2) if isinstance(y2, np.ndarray) else 1.0)
    vjp_fn(ct)
    _assert_unchanged(args, saved, src, "vjp_fn")
    s2sad.check_grads(f, args, modes=("fwd", "rev"), rtol=1e-5, atol=1e-6)
    _assert_unchanged(args, saved, src, "check_grads")


def _stable(fn, *args, **kwargs):
    """Run fn; an error raised in generated code (whose file name changes with
    every compilation) is re-raised from here as one AssertionError, so
    hypothesis sees one failure while it shrinks, not a flaky one."""
    try:
        return fn(*args, **kwargs)
    except AssertionError:
        raise
    except Exception as e:
        import traceback
        text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    raise AssertionError(text)


def _example(prog, args):
    """The filters every example goes through; False: skip it."""
    if not smooth_near(prog, args):
        return False
    f, _ = compile_program(prog)
    return _well_conditioned(f, args)


@seed(SEED)
@settings(max_examples=EXAMPLES, **SETTINGS)
@given(program_strategy())
def test_random_memory_programs(case):
    prog, args = case
    note(prog.source())
    note(f"args = {args!r}")
    assert not prog.may_refuse  # this generator emits only what must work
    assume(_example(prog, args))
    _stable(check_program, prog, args)


def _named_lines(text):
    return {int(n) for n in re.findall(r":(\d+)(?::\d+)?:", text)} | \
        {int(n) for n in re.findall(r"line (\d+)", text)}


@seed(SEED + 1)
@settings(max_examples=max(EXAMPLES // 5, 10), **SETTINGS)
@given(program_strategy(ambiguous=True))
def test_random_ambiguous_programs(case):
    """With branch-dependent aliases too: the exact derivatives, or an
    S2sadError naming a line from the branch on (for a program labelled
    ``may_refuse``); never a wrong number."""
    prog, args = case
    src = prog.source()
    note(src)
    note(f"args = {args!r}")
    assume(_example(prog, args))
    try:
        check_program(prog, args)
        return
    except S2sadError as e:
        error = e
    except AssertionError:
        raise
    except Exception:
        _stable(check_program, prog, args)  # re-raised as one AssertionError
    if not prog.may_refuse:
        _stable(check_program, prog, args)
    first = min(prog.ambiguous_lines)
    assert any(n >= first for n in _named_lines(str(error))), (
        f"s2sad refused a program with a {prog.may_refuse[0]} at line {first}, but its "
        f"error names no line from there on:\n{error}\n{src}")


# ---------------------------------------------------------------------------
# The generator itself (these run the plain programs only)
# ---------------------------------------------------------------------------
def _random_programs(n, ambiguous=False, seed_=0):
    import random
    rnd = random.Random(seed_)
    for _ in range(n):
        gen = Generator(rnd.choice, rnd.randint,
                        lambda: rnd.choice([0.5, -1.5, 2.0, 0.3]), ambiguous=ambiguous)
        prog = gen.program()
        args = tuple([rnd.uniform(-2, 2) for _ in prog.scalars] +
                     [np.array([rnd.uniform(-2, 2) for _ in range(4)]) for _ in prog.arrays])
        yield prog, args


CONSTRUCTS = {
    "alias", "chained", "np.asarray", "basic slice", ".T", ".reshape", ".ravel()", "row",
    "column", "element =", "element +=", "element -=", "element *=", "element /=",
    "slice =", "slice +=", "slice -=", "slice *=", "slice /=", "array +=", "array -=",
    "array *=", "array /=", "np.copyto", "np.multiply out=", "np.add out=", "fill", "np.put",
    "np.add.at", "_scale_into", "_set0", "_axpy", "_push", "list", "list.append",
    "list.pop", "list.reverse", "list store", "rebind", "rebind in a block", ".copy()",
    "np.zeros", "np.zeros_like", "np.empty_like", "fresh", "scalar", "if", "for",
}


def test_the_generator_covers_every_construct():
    seen = set()
    for prog, _ in _random_programs(400):
        compile(prog.source(), "<fuzz>", "exec")
        compile(prog.source(instrument=True), "<fuzz>", "exec")
        seen |= prog.tags()
    assert CONSTRUCTS <= seen, sorted(CONSTRUCTS - seen)


def test_the_programs_run_and_leave_their_arguments_alone():
    """Every generated program runs in plain Python (floating-point overflow
    aside) and never writes into its arguments: the generator's bookkeeping of
    which memory may be written is right."""
    ran = 0
    for prog, args in _random_programs(400, ambiguous=True, seed_=1):
        f, _ = compile_program(prog)
        saved = copies(args)
        with np.errstate(all="ignore"):
            try:
                f(*args)
            except ArithmeticError:
                continue
            except ValueError as e:  # math.cos(inf) after an overflow
                if "math domain error" in str(e):
                    continue
                raise AssertionError(f"ValueError: {e}\n{prog.source()}") from None
            except Exception as e:  # an IndexError, a shape mismatch: a generator bug
                raise AssertionError(f"{type(e).__name__}: {e}\n{prog.source()}") from None
        ran += 1
        for a, s in zip(args, saved):
            if isinstance(a, np.ndarray):
                assert np.array_equal(a, s, equal_nan=True), prog.source()
    assert ran > 350


def test_views_in_the_programs_are_views():
    """The generator's claims about NumPy: these views write through."""
    b = np.arange(4.0)
    for make in (lambda b: b[1:3], lambda b: b[::2], lambda b: b.T, lambda b: b.ravel(),
                 lambda b: b.reshape(2, 2), lambda b: np.asarray(b),
                 lambda b: b.reshape(2, 2)[1], lambda b: b.reshape(2, 2)[:, 1],
                 lambda b: b.reshape(2, 2).T, lambda b: b.reshape(2, 2).ravel(),
                 lambda b: b[1:].ravel(), lambda b: b.reshape(2, 2).reshape(4)):
        assert np.shares_memory(make(b), b)
