"""Property-based fuzzing: random programs differentiated in both modes.

Each example is a random well-formed program (``programs.py``) at a random
point.  Its forward and reverse derivatives (generated, optimized by the
passes, compiled) must agree with finite differences and with each other
(``s2sad.check_grads``: every Jacobian entry, and the dot-product test), and
return the program's value.  Points where a branch or a trip count changes
within the finite-difference steps are skipped (the function jumps there).

Runs ``S2SAD_FUZZ_EXAMPLES`` examples (default 120) with a fixed seed, so CI
sees the same programs every time; ``S2SAD_FUZZ_EXAMPLES=5000 pytest
tests/fuzz`` searches further (``S2SAD_FUZZ_SEED`` picks another sequence,
``S2SAD_FUZZ_SHRINK=0`` reports a failure without minutes of shrinking).
``test_the_passes_change_no_value`` (a quarter as many examples) compares the
derivative code with and without the passes: the floats must be the same.
Every counterexample found becomes a test in ``test_regressions.py``.
"""
import os

import numpy as np
from hypothesis import HealthCheck, Phase, assume, given, note, seed, settings

import s2sad
from s2sad.check import fd_steps

from .programs import branch_trace, compile_program, program_strategy

EXAMPLES = int(os.environ.get("S2SAD_FUZZ_EXAMPLES", "120"))
SEED = int(os.environ.get("S2SAD_FUZZ_SEED", "20240607"))
EPS = 1e-3  # check_grads's default step
LIMIT = 1e4  # values and derivatives beyond this are poorly conditioned for the check
# S2SAD_FUZZ_SHRINK=0: report the first failing program as drawn (shrinking one
# takes minutes)
PHASES = tuple(Phase) if os.environ.get("S2SAD_FUZZ_SHRINK", "1") != "0" else \
    (Phase.explicit, Phase.reuse, Phase.generate)


def _flat(out):
    if isinstance(out, tuple):
        return np.concatenate([np.ravel(np.asarray(o, dtype=float)) for o in out])
    return np.ravel(np.asarray(out, dtype=float))


def smooth_near(prog, args):
    """True when every finite-difference point check_grads evaluates takes the
    branches (and trip counts) the point itself takes, and values are finite
    and moderate."""
    inst, margins = compile_program(prog, instrument=True)
    try:
        with np.errstate(all="ignore"):
            base, out = branch_trace(inst, margins, args)
    except (ArithmeticError, ValueError):  # overflow, then math.cos(inf)
        return False
    y = _flat(out)
    if not np.all(np.isfinite(y)) or np.max(np.abs(y), initial=0.0) > LIMIT:
        return False
    if base and min(abs(m) for m in margins) < 1e-6:
        return False
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


def check_program(prog, args, order=1):
    """What every example must satisfy."""
    src = prog.source()
    f, _ = compile_program(prog)
    expected = f(*args)
    # the values the derivative code returns are the program's
    tangents = [np.ones_like(a) if isinstance(a, np.ndarray) else 1.0 for a in args]
    y, _ = s2sad.jvp(f, args, tangents)
    np.testing.assert_allclose(_flat(y), _flat(expected), rtol=1e-12, atol=1e-12,
                               err_msg=f"jvp's value differs from the program's:\n{src}")
    y2, _ = s2sad.vjp(f, *args)
    np.testing.assert_allclose(_flat(y2), _flat(expected), rtol=1e-12, atol=1e-12)
    s2sad.check_grads(f, args, modes=("fwd", "rev"), order=order, rtol=1e-5, atol=1e-6)


def known_bug(prog):
    """Why the program would hit a bug that test_regressions.py already holds
    (outside the passes), or None.  Such programs are skipped, so the fuzzer
    keeps looking for new ones."""
    from .programs import ForStmt, IfStmt, Return, WhileStmt

    def walk(stmts, depth):
        for s in stmts:
            inner = depth + isinstance(s, (ForStmt, WhileStmt, IfStmt))
            for b in (getattr(s, "then", None), getattr(s, "orelse", None),
                      getattr(s, "body", None)):
                if b:
                    found = walk(b, inner)
                    if found:
                        return found
        return None

    return walk(prog.body, 0)


def _well_conditioned(f, args):
    """Derivatives that finite differences can check: finite and moderate (a
    program that squares its way to 1e30 inside and back down through atan has
    derivatives no step size resolves)."""
    try:
        with np.errstate(all="ignore"):
            tangents = [np.ones_like(a) if isinstance(a, np.ndarray) else 1.0 for a in args]
            _, t = s2sad.jvp(f, args, tangents)
    except Exception:
        return True  # an error is for the check to report
    t = _flat(t)
    return bool(np.all(np.isfinite(t)) and np.max(np.abs(t), initial=0.0) <= 1e6)


def _stable(fn, *args, **kwargs):
    """Run fn; an error raised in generated code (whose file name changes with
    every compilation) is re-raised from here, so hypothesis sees one failure
    while it shrinks, not a flaky one."""
    try:
        return fn(*args, **kwargs)
    except AssertionError:
        raise
    except Exception as e:
        import traceback
        text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    raise AssertionError(text)  # outside the handler: no chained exception either


@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, database=None, report_multiple_bugs=False,
          phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
@given(program_strategy())
def test_random_programs(case):
    prog, args = case
    note(prog.source())
    note(f"args = {args!r}")
    assume(known_bug(prog) is None)
    assume(smooth_near(prog, args))
    f, _ = compile_program(prog)
    scalar = not isinstance(f(*args), (tuple, np.ndarray))
    assume(_well_conditioned(f, args))
    src = prog.source()
    # hvp of a loop-carried array read by subscript: a known bug (test_regressions.py)
    second = scalar and not ("[" in src and ("for " in src or "while " in src))
    _stable(check_program, prog, args, order=2 if second else 1)


def _derivatives(prog, args, optimize):
    """jvp and vjp of a fresh copy of the program, with or without the passes."""
    import s2sad.passes.pipeline as pipeline
    f, _ = compile_program(prog)
    saved = pipeline.optimize
    if not optimize:
        pipeline.optimize = lambda out, *a, **k: out
    try:
        tangents = [np.full(np.shape(a), 0.5) if isinstance(a, np.ndarray) else 0.5
                    for a in args]
        y, t = s2sad.jvp(f, args, tangents)
        out, vjp_fn = s2sad.vjp(f, *args)
        ct = tuple(np.ones_like(o) if isinstance(o, np.ndarray) else 1.0 for o in out) \
            if isinstance(out, tuple) else \
            (np.ones_like(out) if isinstance(out, np.ndarray) else 1.0)
        cts = vjp_fn(ct)
    finally:
        pipeline.optimize = saved
    return [_flat(y), _flat(t), _flat(out)] + [_flat(c) for c in cts if c is not None]


@seed(SEED + 1)
@settings(max_examples=max(EXAMPLES // 4, 10), deadline=None, database=None,
          report_multiple_bugs=False, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.data_too_large])
@given(program_strategy())
def test_the_passes_change_no_value(case):
    """CSE, folding and copy propagation never change a number: the derivative
    code computes the same floats with and without them (finite differences
    could not see a change below their tolerance)."""
    prog, args = case
    note(prog.source())
    assume(known_bug(prog) is None)
    f, _ = compile_program(prog)
    try:
        with np.errstate(all="ignore"):
            y = _flat(f(*args))
    except (ArithmeticError, ValueError):
        assume(False)
    assume(np.all(np.isfinite(y)))
    with np.errstate(all="ignore"):
        try:
            plain = _derivatives(prog, args, optimize=False)
        except Exception:
            assume(False)  # a bug without the passes: test_random_programs's business
        # the code without the passes computes the program's value (else the bug is
        # elsewhere: (-2.0) ** n, see test_regressions.py)
        assume(np.allclose(plain[0], y, rtol=1e-12, atol=0.0, equal_nan=True))
        optimized = _stable(_derivatives, prog, args, optimize=True)
    for a, b in zip(plain, optimized):
        np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-300, equal_nan=True,
                                   err_msg=prog.source())


def test_the_generator_covers_every_construct():
    """A sanity check of the generator itself: over a few hundred drawn
    programs every construct appears."""
    import random

    from .programs import Generator

    rnd = random.Random(0)
    seen = set()
    for _ in range(300):
        gen = Generator(rnd.choice, rnd.randint, lambda: rnd.choice([0.5, -1.5, 2.0]))
        src = gen.program().source()
        compile(src, "<fuzz>", "exec")
        for word in ("if ", "for ", "while ", "else:", "np.sum(", "math.", "np.exp(",
                     "np.log(", "np.sqrt(", " / (1.0 + ", "** 2", ", ", "np.dot("):
            if word in src:
                seen.add(word)
        if src.count("return") > 1:
            seen.add("early return")
    assert len(seen) == 14, seen

