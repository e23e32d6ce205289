"""Checks for chapter 2, activation functions: values, derivatives, stability."""

import numpy as np

from mlpcourse.gradcheck import GradientCheckError, check_vjp
from mlpcourse.grader.cases import Cases

from . import definitions as d
from . import graded
from .tools import assert_array, assert_close, away_from_kinks, call


def points(cases: Cases) -> dict[str, np.ndarray]:
    """Test points: several shapes, away from ReLU's kink at 0, never exactly 0.

    The row and the matrix are drawn; the vector is fixed, as are the large |z| of LARGE.
    """
    for attempt in range(100):
        rng = cases.rng(2) if attempt == 0 else cases.rng(2, attempt)
        row, matrix = 3.0 * rng.standard_normal((1, 7)), 2.0 * rng.standard_normal((4, 3))
        if away_from_kinks(row) and away_from_kinks(matrix):
            break
    return {
        "a row (1, 7)": row,
        "a matrix (4, 3)": matrix,
        "a vector (5,)": np.array([-6.5, -1.25, 0.3, 2.0, 8.0]),
    }


LARGE = np.array([[-1000.0, -745.5, -50.0, -1.0, 1.0, 50.0, 745.5, 1000.0]])


def _value_causes(name: str, z: np.ndarray) -> dict:
    """The classic wrong activations, as values at z."""
    sigmoid, tanh = (lambda v: d.elementwise(d.sigmoid, v)), (lambda v: d.elementwise(d.tanh, v))
    return {
        "sigmoid": {
            "σ(−z): the sign in the exponent is wrong; σ(z) = 1/(1 + e^(−z))": sigmoid(-z),
            "a step (0 or 1), not the smooth sigmoid": (z > 0).astype(np.float64),
        },
        "relu": {
            "|z|, not max(z, 0)": np.abs(z),
            "min(z, 0), not max(z, 0)": np.minimum(z, 0.0),
            "z itself: negative values must become 0": z,
        },
        "tanh": {
            "tanh(z/2) instead of tanh(z)": tanh(z / 2),
            "σ(z) instead of tanh(z)": sigmoid(z),
        },
    }[name]


def _check_values(impl, cases: Cases, name: str, definition) -> None:
    function = getattr(impl.activations, name)
    for label, z in points(cases).items():
        value = call(function, f"{name}(z) for {label}", z=z)
        assert_close(
            f"{name}(z) for {label}",
            value,
            d.elementwise(definition, z),
            causes=_value_causes(name, z),
        )
    value = call(function, f"{name}(z) for z = {LARGE.ravel().tolist()}", z=LARGE)
    assert_close(f"{name}(z) for large |z|", value, d.elementwise(definition, LARGE))


def _check_derivative(impl, cases: Cases, name: str, derivative: str, definition) -> None:
    prime = getattr(impl.activations, derivative)
    for label, z in {**points(cases), f"z = {LARGE.ravel().tolist()}": LARGE}.items():
        value = call(prime, f"{derivative}(z) for {label}", z=z)
        assert_array(f"{derivative}(z) for {label}", value, z.shape)
        try:
            check_vjp(
                lambda z: d.elementwise(definition, z),
                [z],
                lambda u: [u * value],
                names=["z"],
                rtol=1e-6,
                seed=cases.seed(0),
            )
        except GradientCheckError as error:
            raise AssertionError(
                f"{derivative}(z) for {label} differs from the finite-difference slope of "
                f"{name}: {error}{_derivative_hint(name, z, value)}"
            ) from None


def _derivative_hint(name: str, z: np.ndarray, value: np.ndarray) -> str:
    """Name the mistake when the output is the derivative taken at the wrong place."""
    g = d.ACTIVATIONS[name]
    a = d.elementwise(g, z)
    candidates = {
        "sigmoid": {
            "looks like σ'(a) = σ(a)(1 − σ(a)) with a = σ(z), instead of σ'(z)": d.elementwise(g, a)
            * (1 - d.elementwise(g, a)),
            "looks like z(1 − z) instead of σ(z)(1 − σ(z))": z * (1 - z),
            "looks like σ(z) instead of σ(z)(1 − σ(z))": a,
            "looks like σ(z)(1 + σ(z)): the sign is wrong, σ'(z) = σ(z)(1 − σ(z))": a * (1 + a),
        },
        "tanh": {
            "looks like 1 − z² instead of 1 − tanh²(z)": 1 - z**2,
            "looks like 1 − tanh(z) instead of 1 − tanh²(z)": 1 - a,
        },
        "relu": {
            "looks like relu(z) instead of its derivative": a,
            "looks like −1 for negative z: ReLU is flat there, its slope is 0": np.sign(z),
        },
    }[name]
    for hint, candidate in candidates.items():
        if np.allclose(value, candidate, rtol=1e-9, atol=1e-12):
            return f". Likely cause: {hint}"
    return ""


@graded(2)
def check_sigmoid(impl, cases: Cases) -> None:
    """σ(z) on several shapes, and at ±1000 with no overflow warning and no nan."""
    _check_values(impl, cases, "sigmoid", d.sigmoid)


@graded(2)
def check_sigmoid_prime(impl, cases: Cases) -> None:
    """σ'(z) against the finite-difference slope of σ."""
    _check_derivative(impl, cases, "sigmoid", "sigmoid_prime", d.sigmoid)
    assert_close(
        "sigmoid_prime(0)",
        call(impl.activations.sigmoid_prime, "sigmoid_prime(0)", z=np.zeros((1, 1))),
        [[0.25]],
    )


@graded(1)
def check_relu(impl, cases: Cases) -> None:
    """max(z, 0), including at exactly 0."""
    _check_values(impl, cases, "relu", d.relu)
    assert_close(
        "relu(0)", call(impl.activations.relu, "relu(z)", z=np.zeros((2, 2))), np.zeros((2, 2))
    )


@graded(1)
def check_relu_prime(impl, cases: Cases) -> None:
    """The slope of ReLU away from its kink; 0 or 1 at the kink."""
    _check_derivative(impl, cases, "relu", "relu_prime", d.relu)
    at_kink = call(impl.activations.relu_prime, "relu_prime(z)", z=np.zeros((1, 3)))
    assert_array("relu_prime(0)", at_kink, (1, 3))
    if not np.all((at_kink == 0) | (at_kink == 1)):
        raise AssertionError(f"relu_prime(0) must be 0 or 1; got {at_kink.ravel().tolist()}")


@graded(1)
def check_tanh(impl, cases: Cases) -> None:
    """tanh(z) on several shapes and finite for |z| = 1000."""
    _check_values(impl, cases, "tanh", d.tanh)


@graded(1)
def check_tanh_prime(impl, cases: Cases) -> None:
    """tanh'(z) against the finite-difference slope of tanh."""
    _check_derivative(impl, cases, "tanh", "tanh_prime", d.tanh)
