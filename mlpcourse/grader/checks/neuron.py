"""Checks for chapter 1, the neuron and logistic regression."""

import numpy as np

from mlpcourse.gradcheck import GradientCheckError, check_gradient
from mlpcourse.grader.cases import Cases

from . import definitions as d
from . import graded
from .tools import assert_array, assert_close, call, number

#: What a matrix product of the wrong shapes most often means here.
TRANSPOSE = {"matmul": "w is a column (n, 1): wᵀx is w.T @ x"}
#: (n inputs, m examples), with m ≠ n so that a wrong orientation shows.
CASES = [(3, 5), (4, 1), (1, 6), (6, 2)]


def _data(n: int, m: int, rng: np.random.Generator):
    w = rng.standard_normal((n, 1))
    x = rng.standard_normal((n, m))
    b = float(rng.standard_normal())
    y = (rng.random((1, m)) < 0.5).astype(np.float64)
    return w, x, b, y


def _z(w, x, b) -> np.ndarray:
    """z = wᵀx + b from the definition z_i = Σ_k w_k x_ki + b."""
    return d.layer(w.T, x, np.array([[b]]))


@graded(2)
def check_weighted_input(impl, cases: Cases) -> None:
    """z = wᵀx + b, shape (1, m), for several n and m."""
    for seed, (n, m) in enumerate(CASES):
        w, x, b, _ = _data(n, m, cases.rng(seed))
        label = f"weighted_input(w, x, b) with w {w.shape}, x {x.shape}"
        value = call(impl.neuron.weighted_input, label, on_error=TRANSPOSE, w=w, x=x, b=b)
        causes = {
            "the bias b is missing: z = wᵀx + b": _z(w, x, 0.0),
            "b subtracted: the course writes z = wᵀx + b, with b a bias": _z(w, x, -b),
        }
        assert_close(label, value, _z(w, x, b), causes=causes)


@graded(1)
def check_neuron(impl, cases: Cases) -> None:
    """a = g(wᵀx + b) for several activations g."""
    for seed, (n, m) in enumerate(CASES):
        w, x, b, _ = _data(n, m, cases.rng(seed))
        for name, g in d.ACTIVATIONS.items():
            label = f"neuron(w, x, b, {name}) with w {w.shape}, x {x.shape}"
            value = call(
                impl.neuron.neuron, label, w=w, x=x, b=b, g=lambda z, g=g: d.elementwise(g, z)
            )
            causes = {
                "g is not applied: a = g(z), z = wᵀx + b": _z(w, x, b),
                "g applied to the inputs x, not to z": _z(w, d.elementwise(g, x), b),
            }
            assert_close(label, value, d.elementwise(g, _z(w, x, b)), causes=causes)


#: z = wᵀx + b = −1000, 500, 1000: e^(−z) overflows unless σ is computed stably (not drawn:
#: a draw need not reach z < −709).
LARGE_Z = (np.array([[2.0], [-1.0]]), np.array([[-500.0, 300.0, 0.0], [0.0, 100.0, -1000.0]]), 0.0)


@graded(1)
def check_logistic_regression(impl, cases: Cases) -> None:
    """a = σ(wᵀx + b), also when |z| is in the hundreds, and at z = ±1000."""
    drawn = [_data(n, m, cases.rng(seed))[:3] for seed, (n, m) in enumerate(CASES)]
    for w, x, b in drawn:
        for scale in (1.0, 400.0):
            label = f"logistic_regression(w, x, b) with w {w.shape}, x {x.shape}, |w| ~ {scale:g}"
            value = call(impl.neuron.logistic_regression, label, w=scale * w, x=x, b=b)
            causes = {"σ(wᵀx − b): the bias is added, z = wᵀx + b": _z(scale * w, x, -b)}
            causes = {k: d.elementwise(d.sigmoid, v) for k, v in causes.items()}
            expected = d.elementwise(d.sigmoid, _z(scale * w, x, b))
            assert_close(label, value, expected, causes=causes)
    w, x, b = LARGE_Z
    label = f"logistic_regression(w, x, b) with z = {_z(w, x, b).ravel().tolist()}"
    value = call(impl.neuron.logistic_regression, label, w=w, x=x, b=b)
    assert_close(label, value, d.elementwise(d.sigmoid, _z(w, x, b)))


@graded(3)
def check_logistic_gradients(impl, cases: Cases) -> None:
    """(∂L/∂w, ∂L/∂b) of the mean cross-entropy against finite differences."""
    for seed, (n, m) in enumerate(CASES):
        w, x, b, y = _data(n, m, cases.rng(seed))
        label = f"logistic_gradients(w, x, b, y) with w {w.shape}, x {x.shape}"
        result = call(impl.neuron.logistic_gradients, label, w=w, x=x, b=b, y=y)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise AssertionError(
                f"{label} must return a pair (dw, db); got {type(result).__name__}"
            )
        dw, db = result
        assert_array(f"{label}: dw", dw, w.shape)
        db = number(f"{label}: db", db)

        def loss(w, b):
            return d.mean(d.cross_entropy_losses(_z(w, x, float(b)), y))

        try:
            check_gradient(
                loss,
                [w, np.array(b)],
                [dw, db],
                names=["w", "b"],
                seed=cases.seed(0),
                hints={
                    m: f"a sum instead of a mean over the batch (m = {m})",
                    1 / m: f"divided by m = {m} twice",
                }
                if m > 1
                else None,
            )
        except GradientCheckError as error:
            raise AssertionError(f"{label}: {error}") from None
