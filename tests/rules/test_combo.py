"""The systematic rule test (autograd's ``combo_check``): every registered rule,
over the shapes, axes and broadcasting pairs that apply, in every mode, against
finite differences.

The specs are in ``combo_specs.py`` (one or more per rule; a rule of a
user-facing library without one fails :func:`test_every_rule_has_a_spec`).  A
spec yields configurations (shapes, ``axis``/``keepdims``, pairs); each
configuration ``f`` is checked in these modes:

``fwd``
    ``s2sad.jvp`` along a random tangent ``v`` against a central difference.
``rev``
    ``s2sad.vjp`` with a random cotangent ``w`` against the finite-difference
    gradient of ``<w, f>``, coordinate by coordinate, and the dot-product test
    ``<J v, w> = <v, J^T w>`` against ``jvp``.
``fwd2``
    forward over reverse: ``s2sad.hvp`` of ``g = sum(W * sin(f))`` (a nonlinear
    wrapper: linear rules are exercised at second order too) against a central
    difference of ``s2sad.grad(g)`` along ``v``.
``rev2``
    reverse over reverse: ``s2sad.vjp(s2sad.grad(g))`` with cotangent ``v``
    (``H^T v = H v``) against the same difference.
``cfwd``, ``crev`` (specs marked ``complex``)
    ``fwd`` and ``rev`` at complex arguments along complex directions; reverse
    mode under the bilinear pairing ``Re sum(a * b)`` (JAX's convention: the
    gradient of a real ``f`` of ``z = x + iy`` is ``df/dx - i df/dy``).

Cost.  By default each configuration runs one mode, in a rotation that gives
every spec every mode (a spec with fewer configurations than modes runs
several modes per configuration), except that a spec of a nondifferentiable
rule (``floor``, comparisons: the rest of the template carries the derivative)
runs one of the two second-order modes, alternately; ``S2SAD_COMBO=full`` runs
every mode on every configuration (about four times as long).  Functions are
built and compiled once per configuration, and the finite-difference
evaluations are cached between modes.

Failures.  ``KNOWN_FAILURES`` maps test ids (patterns, ``*`` any text: the
configuration's id, ``-``, the mode; ``runtime:<helper>`` for the runtime
helpers) to the reason; they are strict xfails, so a fix shows up as XPASS and
the entry must go.  The table holds the failures of the full sweep, so that
``S2SAD_COMBO=full`` passes too; an entry that names no test fails
:func:`test_every_known_failure_names_a_test`.  Reasons starting with "WRONG"
are derivatives that came out as a wrong number, not as an error.
"""
import os
import re
import zlib

import numpy as np
import pytest

import s2sad
from s2sad.rules import all_rules, lookup

from .cases import CASES, CPLX, LINALG_CASES
from .checks import case_id
from .combo_specs import (AXIS, BROADCAST, CASES_FAMILY, ELEM, GLOBALS, REDUCE, SCALAR,
                          SHAPES, SPECS, key_of)

FULL = os.environ.get("S2SAD_COMBO", "") == "full"
REAL_MODES = ("fwd", "rev", "fwd2", "rev2")
COMPLEX_MODES = ("cfwd", "crev")
H1, H2 = 1e-6, 1e-5  # steps of the first- and second-order differences
RTOL, ATOL = 1e-5, 1e-6
NAMES = "xyz"

# test id (a pattern: "*" is any text) -> "reason: short repro".  "WRONG" first:
# derivatives that come out as a wrong number rather than an error.
KNOWN_FAILURES = {
    # reverse over reverse of writes into a list of lists: the memory pass, run on
    # the gradient code, cannot yet tell a row's adjoint from the matrix's
    "list of lists written [()+()]-rev2": "second reverse sweep over nested list writes",
    "runtime:copy_adjoint": "second reverse sweep over nested list writes",
}

# test id (a pattern, as in KNOWN_FAILURES) -> why finite differences cannot check it
UNCHECKABLE = {
    "x * np.uint16(x * 10) [3]-*2": "uint16 of a negative float wraps to ~65000: the second "
                                      "derivative is ~1e9, beyond a central difference",
}

# The runtime helpers (the "runtime" library) are what generated derivative code
# calls; their rules are what second derivatives run on.  Each one is covered by
# a configuration whose gradient code calls it: that configuration's forward
# over reverse and reverse over reverse differentiate the helper
# (test_runtime_helper_is_exercised_at_second_order checks the call is there).
RUNTIME_COVERAGE = {
    "add_any": "np.divmod(x, y) [()+()]",
    "along_axis": "np.average(x, weights=y) [2x3,2x3]",
    "cov_factor": "np.cov(x) [4]",
    "cov_rows": "np.cov(x) [4]",
    "cov_rows_adjoint": "np.cov(x) [4]",
    "diff_parts": "np.diff(x, prepend=0.0) [2x4]",
    "median_weights": "np.median(x) [2x3]",
    "meshgrid_adjoint": "np.meshgrid(x)[0] * 2.0 [3]",
    "unique_first": "np.unique(x) [2x3]",
    "add_at": "np.add.at(x, ...) [3]",
    "array_adjoint": "np.array(x) [2x3]",
    "broadcast_like": "np.polyval(x, 0.5) [3]",
    "c_": "np.c_[x, y] [3+3]",
    "convolve_adjoint": "np.convolve(x, y) [5,3]",
    "diff_adjoint": "np.diff(x) [2x4]",
    "dict_entry": "dict [()+()]",
    "entry_cleared": "dict.copy() [()]",
    "copy_adjoint": "list of lists written [()+()]",
    "dot_adjoint": "np.dot(x, y) [3,3]",
    "einsum_adjoint": "np.einsum('i,j', x, y) [2,3]",
    "expand_reduced": "np.prod(x) [3 axis=0]",
    "extremum_index": "max([x, y, x * y]) [()+()]",
    "gradient_adjoint": "np.gradient(x) [5]",
    "hstack_axis": "np.hstack([x, y]) [3,2]",
    "index_adjoint": "np.frexp(x) [3]",
    "index_range": "np.r_[y, 0.0:x:4j] [()+2]",
    "inner_adjoint": "np.inner(x, y) [3,3]",
    "interp_segments": "np.interp(x, y, z) [5,s,4]",
    "inverse_permutation": "np.transpose(x) [2x3x4]",
    "item_adjoint": "x.item(1) * x.item(-1) [3]",
    "kron_adjoint": "np.kron(x, y) [3,2]",
    "like_sequence": "list(x) [2x3]",
    "matmul_left_adjoint": "x @ np.eye(3) [3]",
    "matmul_right_adjoint": "x @ y [3,3]",
    "matrix_power_adjoint": "np.linalg.matrix_power(x, 3) [3x3]",
    "multi_dot_adjoint": "np.linalg.multi_dot([x, y, z]) [2x3,3x4,4x2]",
    "norm_gradient": "np.linalg.norm(x) [4]",
    "outer_columns": "np.linalg.lstsq(x, y) [5x3,5]",
    "outer_like": "np.linalg.solve(x, y) [3x3,3]",
    "permuted": "sorted([x, y], key=abs)[0] [()+()]",
    "polygamma": "sc.psi(x) [3]",
    "prod_others": "np.prod(x) [3 axis=0]",
    "put": "np.put(x, ...) [3]",
    "put_value_adjoint": "np.put(x, ...) [3]",
    "r_": "np.r_[x, y] [3+2]",
    "range_weights": "np.r_[y, 0.0:x:4j] [()+2]",
    "real_eig": "np.linalg.eigvals(x) [3x3]",
    "reduced_count": "np.mean(x) [2x3 axis=1]",
    "repeat_like": "sum(x) [3]",
    "residual_adjoint": "np.linalg.lstsq(x, y) [5x3,5]",
    "reverse_cumsum": "np.cumsum(x) [2x3 axis=1]",
    "select_adjoint": "np.select([x > 0], [y]) [3,s]",
    "selection_adjoint": "np.diag(x) [3]",
    "solve_like": "np.linalg.solve(np.eye(3) * 2.0, x) [3x2]",
    "sort_order": "sorted([x, y], key=abs)[0] [()+()]",
    "spread": "np.sum(x) [2x3 axis=1]",
    "starred_adjoint": "a, *b = x [3]",
    "subtract_at": "np.subtract.at(x, ...) [3]",
    "tensordot_adjoint": "np.tensordot(x, y) [2x3x4,3x4x2]",
    "tie_weights": "np.max(x) [2x3 axis=1]",
    "trapezoid_adjoint": "np.trapezoid(x) [5]",
    "unbroadcast": "np.add(x, y) [3+2x3]",
    "unconcatenate": "np.append(x, y) [2x3,3]",
    "unpacked_adjoint": "a, b, c = x [3]",
    "unpermuted": "sorted([x, y], key=abs)[0] [()+()]",
    "unstack": "np.stack([x, y]) [2x3,2x3]",
    "unzipped_adjoint": "for a, b in zip(*x) [2x3]",
    "zipped_adjoint": "list(enumerate(x, start=1)) [2x3]",
    "iterated_adjoint": "list(iter(x)) [2x3]",
    "reversed_adjoint": "list(reversed(x)) [3]",
    "items_again": "sorted(zip(x, y)) [3+3]",
    "vector_norm_gradient": "np.linalg.vector_norm(x) [2x3]",
    "with_entry": "list.pop [()+()]",
    "without": "list.pop [()+()]",
    "written_adjoint": "x[[0, 1]] += ... [3]",
    "zeros_like_value": "for a, b in zip([x, y], [y, x]) [()+()]",
    "log_or_zero": "x ** y [2x3+3]",
    "scaled_power": "x ** y [2x3+3]",
}
# helpers no first-order derivative code calls, so that second order cannot reach
# them (their rules run at third order, or in code the harness does not make)
_THIRD = "only in the rules of other helpers (third order)"
RUNTIME_NOT_REACHED = {
    "sign": "nondifferentiable: abs's partial (its derivative is 0 where it exists)",
    "piecewise_masks": "nondifferentiable: the masks of np.piecewise (tests/rules/"
                       "test_numpy_fixes.py checks np.piecewise at second order)",
    "item_of": "forward-mode code only (the tangent of x.item()): reached by reverse "
               "over forward, which the harness does not run",
    "matrix_power_tangent": "forward-mode code only (np.linalg.matrix_power's tangent): "
                            "tests/rules/test_helper_second_order.py differentiates it",
    "multi_dot_tangent": "forward-mode code only (np.linalg.multi_dot's tangent): "
                         "tests/rules/test_helper_second_order.py differentiates it",
    "residuals_like": "forward-mode code only (np.linalg.lstsq's tangent): "
                      "tests/rules/test_helper_second_order.py differentiates it",
    "attribute_adjoint": "the adjoint of a named tuple's field, which no configuration "
                         "reads: tests/ad/test_probe5_fixes.py differentiates it again",
    "attribute_entry": "the tangent of a named tuple's field, which no configuration "
                       "reads: tests/ad/test_probe5_fixes.py differentiates it again",
    "enumerated_tangents": "forward-mode code only (enumerate's tangent): "
                           "tests/ad/test_iterator_builtins.py differentiates it again",
    "item_zeros": "nondifferentiable zeros, forward-mode code only (a zip's sequence "
                  "with no tangent)",
    "zipped_adjoint_transpose": _THIRD,
    "detached": "emitted by s2sad/derived.py for jacfwd/jacrev differentiated again",
    "jacobian_basis": "emitted by s2sad/derived.py for jacfwd/jacrev differentiated again",
    "jacobian_columns": "emitted by s2sad/derived.py (jacfwd differentiated again)",
    "jacobian_rows": "emitted by s2sad/derived.py (jacrev differentiated again)",
    "jacobian_columns_adjoint": _THIRD, "jacobian_rows_adjoint": _THIRD,
    "embed_like": _THIRD, "part_like": _THIRD, "written_adjoint_transpose": _THIRD,
    "unzipped_entry": _THIRD, "concatenate_pieces": _THIRD, "gradient_of": _THIRD,
    "matmul_like": _THIRD, "norm_gradient_tangent": _THIRD, "prod_others_tangent": _THIRD,
    "vector_norm_gradient_tangent": _THIRD,
    "matrix_power_second": _THIRD,
    "no_derivative": "raises: rules call it where a derivative does not exist",
    "gradient_matrix": "nondifferentiable weights inside np.gradient's rules",
    "diff_join": _THIRD, "meshgrid_lift": _THIRD, "convolve_apply": _THIRD,
    "einsum_subscripts": "a nondifferentiable check of einsum's sublist form, primal code only",
    "is_view": "a nondifferentiable test the memory pass emits for writes through views",
    # list and tuple values the harness does not make: tests/ad/test_list_arithmetic.py
    # checks them at second order
    "repeated_adjoint": "xs * n of a list (tests/ad/test_list_arithmetic.py)",
    "sum_adjoints": "a + b of a list and a value of unknown kind "
                    "(tests/ad/test_list_arithmetic.py)",
    "product_adjoints": "xs * n of a list and a value of unknown kind "
                        "(tests/ad/test_list_arithmetic.py)",
    "slice_write_adjoints": "xs[i:j] = v of a list (tests/ad/test_list_arithmetic.py)",
}


# ---------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------
class Config:
    def __init__(self, spec, label, expr, makers):
        self.spec, self.label, self.expr, self.makers = spec, label, expr, makers
        self.id = label if spec.family == CASES_FAMILY else f"{spec.name} [{label}]"

    def __repr__(self):
        return self.id


def shape_label(shapes):
    return "+".join("x".join(map(str, s)) if s else "()" for s in shapes)


def axis_options(ndim, keepdims):
    axes = [None]
    if ndim:
        axes += list(range(ndim)) + [-1]
    if ndim == 3:  # (reductions: -3 is the tuples' business)
        axes += [(0, 2), (1, 2), (0, 1, 2), (-1, 0)] if keepdims else [-3]
    elif ndim == 2 and keepdims:
        axes += [(0, 1)]
    out = []
    for axis in axes:
        for keep in ((False, True) if keepdims else (False,)):
            parts = ([] if axis is None else [f"axis={axis}"]) + (["keepdims=True"] if keep else [])
            out.append(", ".join(parts))
    return out


def configurations(spec):
    if spec.family == CASES_FAMILY:
        cases = [c for c in CASES + LINALG_CASES if key_of(c[0]) == key_of(spec.primitive)]
        return [Config(spec, case_id(c), c[1], c[2]) for c in cases]
    n = len(spec.domains)
    if spec.family == ELEM:
        shape_sets = [(s,) * n for s in SHAPES] + (BROADCAST if n == 2 else [])
    elif spec.family == SCALAR:
        shape_sets = [((),) * n]
    elif spec.family in (REDUCE, AXIS):
        out = []
        for shape in SHAPES:
            for ax in axis_options(len(shape), spec.family == REDUCE):
                expr = spec.template.format(ax=", " + ax if ax else "")
                label = shape_label([shape]) + (" " + ax if ax else "")
                out.append(Config(spec, label, expr, [spec.domains[0](*shape)]))
        return out
    else:
        shape_sets = spec.family
    return [Config(spec, shape_label(shapes), spec.template,
                   [d(*s) for d, s in zip(spec.domains, shapes)]) for shapes in shape_sets]


def rotation(n_configs, modes):
    """Which modes each configuration runs: every configuration one, from a
    cycle that has the first-order modes three times for each second-order one
    (which costs four times as much) and is shifted each round (so that no mode keeps to one kind
    of configuration); every mode at least one configuration."""
    if FULL or not n_configs:
        return [list(modes) for _ in range(n_configs)]
    first = [m for m in modes if m not in ("fwd2", "rev2")]
    second = [m for m in modes if m in ("fwd2", "rev2")]
    cycle = list(first)
    for extra in second:
        cycle += first + [extra]
    m = len(cycle)
    picked = [[cycle[(k + k // m) % m]] for k in range(n_configs)]
    for j, mode in enumerate(modes):
        if mode not in {p for ps in picked for p in ps}:
            picked[j % n_configs].append(mode)
    return picked


def matches(pattern, test_id):
    """Whether a KNOWN_FAILURES or UNCHECKABLE key names the test: ``*`` is any
    text, everything else (brackets included) stands for itself."""
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), test_id) is not None


def known(test_id):
    """The marks of a test KNOWN_FAILURES names (a strict xfail) or UNCHECKABLE
    names (a skip)."""
    return ([pytest.mark.skip(reason=r)
             for p, r in UNCHECKABLE.items() if matches(p, test_id)] +
            [pytest.mark.xfail(strict=True, reason=r)
             for p, r in KNOWN_FAILURES.items() if matches(p, test_id)])[:1]


CONFIGS = []
PARAMS = []
ALL_IDS = set()  # every configuration in every mode (what S2SAD_COMBO=full runs)
_seen = set()
_nondiff = 0
for _spec in SPECS:
    _configs = configurations(_spec)
    _modes = _spec.modes or REAL_MODES + (COMPLEX_MODES if _spec.complex else ())
    _rotated = _modes
    if not FULL and getattr(lookup(_spec.primitive), "nondiff", False) and \
            {"fwd2", "rev2"} <= set(_modes):
        # no derivative: one second-order mode by default (they alternate)
        _nondiff += 1
        _rotated = tuple(m for m in _modes if m != ("rev2", "fwd2")[_nondiff % 2])
    for _cfg, _picked in zip(_configs, rotation(len(_configs), _rotated)):
        while _cfg.id in _seen:
            _cfg.id += "'"
        _seen.add(_cfg.id)
        CONFIGS.append(_cfg)
        ALL_IDS.update(f"{_cfg.id}-{m}" for m in _modes)
        for _mode in _picked:
            _id = f"{_cfg.id}-{_mode}"
            PARAMS.append(pytest.param(_cfg, _mode, id=_id, marks=known(_id)))


# ---------------------------------------------------------------------------
# Values: leaves, random directions, finite differences
# ---------------------------------------------------------------------------
def inexact(x):
    return isinstance(x, (float, complex, np.inexact)) or (
        isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.inexact))


def leaf_paths(x, path=()):
    """The positions of the floating (or complex) leaves of an output."""
    if isinstance(x, (tuple, list)):
        return [p for i, v in enumerate(x) for p in leaf_paths(v, path + (i,))]
    return [path] if inexact(x) else []


def at(x, path):
    for i in path:
        x = x[i]
    return x


def flat(x, paths):
    parts = [np.ravel(np.asarray(at(x, p))) for p in paths]
    return np.concatenate(parts) if parts else np.zeros(0)


def random_like(x, rng, paths=None, path=()):
    """Random values with the structure of ``x`` (zeros at integer leaves)."""
    if isinstance(x, (tuple, list)):
        parts = [random_like(v, rng, paths, path + (i,)) for i, v in enumerate(x)]
        return tuple(parts) if isinstance(x, tuple) else parts
    if paths is not None and path not in paths:
        return 0.0 if np.ndim(x) == 0 else np.zeros(np.shape(x))
    cplx = np.iscomplexobj(x)
    r = rng.normal(size=np.shape(x)) + (1j * rng.normal(size=np.shape(x)) if cplx else 0)
    if isinstance(x, np.ndarray):
        return np.asarray(r)
    return complex(r) if cplx else float(r)


def shifted(args, direction, h):
    return [a + h * d if isinstance(a, np.ndarray) else type(a)(a + h * d)
            for a, d in zip(args, direction)]


def pair(a, b):
    """The bilinear real pairing ``Re sum(a * b)``."""
    return float(np.real(np.sum(np.asarray(a) * np.asarray(b))))


def close(got, want, rtol=RTOL, atol=ATOL):
    got, want = np.asarray(got), np.asarray(want)
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    return got.shape == want.shape and np.allclose(got, want, rtol=rtol, atol=atol * scale)


def define(name, body):
    params = ", ".join(NAMES[:body[1]])
    lines = body[0].split("\n")
    source = f"def {name}({params}):\n" + "".join(f"    {line}\n" for line in lines)
    return s2sad.from_source(source, globals=dict(GLOBALS, **body[2]))


class State:
    """One configuration at real or complex arguments: the functions, the
    arguments, the random directions and the cached differences."""

    def __init__(self, cfg, cplx):
        rng = np.random.default_rng(zlib.crc32(cfg.id.encode()) + cplx)
        makers = [CPLX(m) for m in cfg.makers] if cplx else cfg.makers
        self.args = [m(rng) for m in makers]
        n = len(self.args)
        name = "combo_" + re.sub(r"\W+", "_", cfg.id).strip("_")[:50]
        expr = cfg.expr if re.search(r"(^|\n)return ", cfg.expr) else "return " + cfg.expr
        self.f = define(name, (expr, n, {}))
        self.value = self.f(*self.args)
        self.paths = leaf_paths(self.value)
        assert self.paths, f"{cfg.id}: the function has no floating-point output"
        self.h = cfg.spec.step or H1
        if cfg.spec.step:  # along the grid of the arguments
            self.v = [np.sign(random_like(a, rng)) for a in self.args]
        else:
            self.v = [random_like(a, rng) for a in self.args]
        self.w = random_like(self.value, rng, self.paths)
        self.n = n
        self.cplx = cplx
        self._fd = {}
        self._g = (name, expr, rng)

    @property
    def g(self):
        """g = sum(W * sin(f)) (its real part), for the second-order modes."""
        if isinstance(self._g, tuple):
            name, expr, rng = self._g
            n = self.n
            weights = {f"W{i}": random_like(at(self.value, p), rng)
                       for i, p in enumerate(self.paths)}
            terms = []
            for i, p in enumerate(self.paths):
                term = f"W{i} * np.sin(r{''.join(f'[{j}]' for j in p)})"
                cplx_out = np.iscomplexobj(at(self.value, p))
                terms.append(f"np.sum(np.real({term}))" if cplx_out else f"np.sum({term})")
            terms = " + ".join(terms)
            head, _, last = expr.rpartition("return ")
            self._g = define(name + "_g", (f"{head}r = {last}\nreturn {terms}", n, weights))
        return self._g

    @property
    def grad_g(self):
        if "grad_g" not in self._fd:
            self._fd["grad_g"] = s2sad.grad(self.g, tuple(range(self.n)))
        return self._fd["grad_g"]

    def fd(self, direction):
        """Central difference of f along ``direction`` (flattened leaves)."""
        key = id(direction)
        if key not in self._fd:
            plus = flat(self.f(*shifted(self.args, direction, self.h)), self.paths)
            minus = flat(self.f(*shifted(self.args, direction, -self.h)), self.paths)
            self._fd[key] = (direction, (plus - minus) / (2 * self.h))
        return self._fd[key][1]

    def gradient(self, args):
        """grad(g) at ``args``, by the compiled code the second-order modes
        differentiate (``s2sad.vjp``'s: ``s2sad.grad`` compiles its own)."""
        return s2sad.vjp(self.g, *args)[1](1.0)

    def fd_grad(self):
        """Central difference of grad(g) along v."""
        if "grad" not in self._fd:
            plus = self.gradient(shifted(self.args, self.v, H2))
            minus = self.gradient(shifted(self.args, self.v, -H2))
            self._fd["grad"] = [(np.asarray(p) - np.asarray(m)) / (2 * H2)
                                for p, m in zip(plus, minus)]
        return self._fd["grad"]

    def fd_gradient(self, i):
        """The finite-difference gradient of <w, f> with respect to argument i
        (for a complex argument: d/dx - i d/dy)."""
        a = self.args[i]
        wf = flat(self.w, self.paths)
        out = np.zeros(np.shape(a), dtype=complex if self.cplx else float)
        units = (1.0, 1j) if self.cplx else (1.0,)
        for k in range(np.size(a)):
            for unit in units:
                e = [np.zeros(np.shape(b)) if isinstance(b, np.ndarray) else 0.0
                     for b in self.args]
                if isinstance(a, np.ndarray):
                    e[i] = np.zeros(a.shape, dtype=complex if self.cplx else float)
                    e[i].flat[k] = unit
                else:
                    e[i] = unit
                plus = flat(self.f(*shifted(self.args, e, self.h)), self.paths)
                minus = flat(self.f(*shifted(self.args, e, -self.h)), self.paths)
                d = pair(wf, (plus - minus) / (2 * self.h))
                out.flat[k] += d if unit == 1.0 else -1j * d
        return out if isinstance(a, np.ndarray) else out.item()


_STATES = {}


def state(cfg, cplx=False):
    key = (cfg.id, cplx)
    if key not in _STATES:
        _STATES[key] = State(cfg, cplx)
    return _STATES[key]


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------
def check_forward(cfg, cplx=False):
    st = state(cfg, cplx)
    out, out_dot = s2sad.jvp(st.f, tuple(st.args), tuple(st.v))
    assert close(flat(out, st.paths), flat(st.value, st.paths), 1e-12, 1e-12), \
        f"{cfg.id}: jvp's value differs from f's"
    jv, fd = flat(out_dot, st.paths), st.fd(st.v)
    assert close(jv, fd), f"{cfg.id}: forward mode\n jvp = {jv}\n  fd = {fd}"
    return jv


def check_reverse(cfg, cplx=False):
    st = state(cfg, cplx)
    out, vjp_fn = s2sad.vjp(st.f, *st.args)
    assert close(flat(out, st.paths), flat(st.value, st.paths), 1e-12, 1e-12), \
        f"{cfg.id}: vjp's value differs from f's"
    grads = vjp_fn(st.w)
    assert len(grads) == st.n
    for i, (a, g) in enumerate(zip(st.args, grads)):
        assert g is not None, f"{cfg.id}: no adjoint for argument {i}"
        assert np.shape(g) == np.shape(a), \
            f"{cfg.id}: adjoint {i} has shape {np.shape(g)}, the argument {np.shape(a)}"
        want = st.fd_gradient(i)
        assert close(g, want), f"{cfg.id}: reverse mode, argument {i}\n vjp = {g}\n  fd = {want}"
    # the two modes are transposes of each other
    _, out_dot = s2sad.jvp(st.f, tuple(st.args), tuple(st.v))
    lhs = pair(flat(out_dot, st.paths), flat(st.w, st.paths))
    rhs = sum(pair(t, g) for t, g in zip(st.v, grads))
    assert np.isclose(lhs, rhs, rtol=1e-9, atol=1e-9 * max(1.0, abs(lhs))), \
        f"{cfg.id}: <J v, w> = {lhs} but <v, J^T w> = {rhs}"


def check_forward_over_reverse(cfg):
    st = state(cfg)
    hv = s2sad.hvp(st.g, tuple(st.args), tuple(st.v))
    hv = hv if st.n > 1 else (hv,)
    for i, (got, want) in enumerate(zip(hv, st.fd_grad())):
        assert close(got, want), \
            f"{cfg.id}: forward over reverse, argument {i}\n hvp = {got}\n  fd = {want}"


def check_reverse_over_reverse(cfg):
    st = state(cfg)
    _, vjp_fn = s2sad.vjp(st.grad_g, *st.args)
    hv = vjp_fn(tuple(st.v))
    for i, (got, want) in enumerate(zip(hv, st.fd_grad())):
        assert close(got, want), \
            f"{cfg.id}: reverse over reverse, argument {i}\n vjp = {got}\n  fd = {want}"


CHECKS = {
    "fwd": check_forward, "rev": check_reverse,
    "fwd2": check_forward_over_reverse, "rev2": check_reverse_over_reverse,
    "cfwd": lambda cfg: check_forward(cfg, True), "crev": lambda cfg: check_reverse(cfg, True),
}


@pytest.mark.parametrize("cfg, mode", PARAMS)
def test_rule(cfg, mode):
    CHECKS[mode](cfg)


# ---------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------
def shipped_rules():
    """The rules s2sad registers (not the runtime helpers', not those other tests
    register as a user would)."""
    return [r for r in all_rules() if r.library not in ("runtime", "user")]


def test_every_rule_has_a_spec():
    specified = {key_of(s.primitive) for s in SPECS}
    missing = [f"{r.library}.{r.name}" for r in shipped_rules()
               if key_of(r.primitive) not in specified]
    assert missing == [], "rules without a spec in tests/rules/combo_specs.py"


def test_every_spec_is_a_registered_rule_with_configurations():
    registered = {key_of(r.primitive) for r in all_rules()}
    assert [s.name for s in SPECS if key_of(s.primitive) not in registered] == []
    assert [s.name for s in SPECS if not configurations(s)] == []


def test_elementwise_rules_sweep_the_shapes():
    """A rule declared by its partials is elementwise: its spec sweeps shapes and
    broadcasting (not only the few cases of cases.py)."""
    swept = {key_of(s.primitive) for s in SPECS if s.family != CASES_FAMILY}
    assert [f"{r.library}.{r.name}" for r in shipped_rules()
            if r.partials is not None and key_of(r.primitive) not in swept] == []


def test_the_rotation_gives_every_spec_every_mode():
    for spec in SPECS:
        modes = set(spec.modes or REAL_MODES + (COMPLEX_MODES if spec.complex else ()))
        picked = {p.values[1] for p in PARAMS if p.values[0].spec is spec}
        if not FULL and getattr(lookup(spec.primitive), "nondiff", False) and \
                {"fwd2", "rev2"} <= modes:
            assert len(modes - picked) == 1 and modes - picked <= {"fwd2", "rev2"}, spec.name
        else:
            assert picked == modes, spec.name


@pytest.mark.parametrize("helper", [pytest.param(h, marks=known("runtime:" + h))
                                    for h in sorted(RUNTIME_COVERAGE)])
def test_runtime_helper_is_exercised_at_second_order(helper):
    """The runtime helpers' rules are exercised through second order: the
    gradient code of the configuration named calls the helper, and forward over
    reverse and reverse over reverse of that configuration differentiate it."""
    cfg = next((c for c in CONFIGS if c.id == RUNTIME_COVERAGE[helper]), None)
    assert cfg is not None, f"RUNTIME_COVERAGE[{helper!r}] names no configuration"
    st = state(cfg)
    source = s2sad.derivative_source(st.g, "reverse", tuple(range(st.n)), st.args)
    assert re.search(rf"\b{helper}\(", source), source
    check_forward_over_reverse(cfg)
    check_reverse_over_reverse(cfg)


def test_every_known_failure_names_a_test():
    names = ALL_IDS | {"runtime:" + h for h in RUNTIME_COVERAGE}
    assert [p for p in list(KNOWN_FAILURES) + list(UNCHECKABLE)
            if not any(matches(p, n) for n in names)] == [], \
        "KNOWN_FAILURES or UNCHECKABLE entries that match no test: delete them"


def test_every_runtime_helper_is_covered():
    helpers = sorted(r.name for r in all_rules() if r.library == "runtime")
    assert [h for h in helpers if h not in RUNTIME_COVERAGE and h not in RUNTIME_NOT_REACHED] \
        == [], "add the helper to RUNTIME_COVERAGE (or, with the reason, RUNTIME_NOT_REACHED)"
    assert [h for h in list(RUNTIME_COVERAGE) + list(RUNTIME_NOT_REACHED) if h not in helpers] \
        == []
