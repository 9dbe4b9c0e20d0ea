"""Dataclasses built inside a differentiated function: their ``__init__``,
which dataclasses makes with exec, is written out from the fields
(s2sad/frontend/dataclass_init.py) and inlined like any other."""
import dataclasses

import numpy as np
import pytest

import s2sad
from s2sad.errors import NonDifferentiableError


@dataclasses.dataclass
class Params:
    w: float
    b: float = 0.5
    scale: float = dataclasses.field(default=2.0, init=False)

    def __post_init__(self):
        self.wb = self.w * self.b

    def predict(self, x):
        return self.scale * (self.w * x + self.b) + self.wb


class Child(Params):
    pass


@dataclasses.dataclass
class WithFactory:
    xs: list = dataclasses.field(default_factory=list)


def loss(w, x):
    p = Params(w, b=x)
    return p.predict(x) ** 2 + p.wb


def loss_child(w, x):
    p = Child(w)
    return p.predict(x) * w


def loss_arrays(v):
    p = Params(v, np.sum(v))
    return np.sum(p.predict(v))


def uses_factory(x):
    o = WithFactory()
    return x


def differences(f, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i], down[i] = up[i] + h, down[i] - h
    return (f(*up) - f(*down)) / (2 * h)


@pytest.mark.parametrize("f", [loss, loss_child])
def test_a_dataclass_built_inside_both_modes(f):
    args = (0.7, 1.3)
    got = s2sad.grad(f, argnums=(0, 1))(*args)
    assert got == pytest.approx([differences(f, args, 0), differences(f, args, 1)], rel=1e-7)
    _, tangent = s2sad.jvp(f, args, (0.25, -1.0))
    assert tangent == pytest.approx(0.25 * got[0] - got[1], rel=1e-7)


def test_array_fields():
    v = np.array([0.3, -0.2, 0.5])
    got = s2sad.grad(loss_arrays)(v)
    expected = [(loss_arrays(v + 1e-6 * e) - loss_arrays(v - 1e-6 * e)) / 2e-6 for e in np.eye(3)]
    assert np.allclose(got, expected, rtol=1e-7)


def test_a_default_factory_is_a_clear_error():
    with pytest.raises(NonDifferentiableError, match="default_factory") as info:
        s2sad.grad(uses_factory)(0.5)
    assert "test_dataclasses.py" in str(info.value)
