"""mlpcourse.gradcheck accepts true gradients and rejects wrong ones."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlpcourse.gradcheck import (
    GradientCheckError,
    check_gradient,
    check_vjp,
    diagnose,
    numerical_gradient,
    relative_error,
)
from mlpcourse.implementation import load

rng = np.random.default_rng(0)
W = rng.standard_normal((4, 3))
X = rng.standard_normal((3, 5))
U = rng.standard_normal((4, 5))


def f_linear(w, x):
    """Σ u ⊙ (w x): ∂/∂w = u xᵀ, ∂/∂x = wᵀ u."""
    return np.sum(U * (w @ x))


def f_sum_of_terms(x):
    """Σ sin(x) + x²: ∂/∂x = cos(x) + 2x."""
    return np.sum(np.sin(x) + x**2)


def test_numerical_gradient_is_accurate_and_leaves_inputs_alone():
    w, x = W.copy(), X.copy()
    gw, gx = numerical_gradient(f_linear, [w, x])
    assert np.max(relative_error(gw, U @ X.T)) < 1e-8
    assert np.max(relative_error(gx, W.T @ U)) < 1e-8
    assert np.array_equal(w, W) and np.array_equal(x, X)


def test_accepts_true_gradient_coordinatewise_and_directionally():
    exact = [U @ X.T, W.T @ U]
    result = check_gradient(f_linear, [W, X], exact, names=["w", "x"])
    assert result.method == "coordinates" and result.max_relative_error < 1e-7
    result = check_gradient(f_linear, [W, X], exact, max_coordinates=5)
    assert result.method == "directions" and result.max_relative_error < 1e-7


@pytest.mark.parametrize("max_coordinates", [400, 5], ids=["coordinates", "directions"])
@pytest.mark.parametrize(
    "wrong, cause",
    [
        (lambda: [(U @ X.T) * 2.0, W.T @ U], "2 times"),
        (lambda: [-(U @ X.T), W.T @ U], "sign"),
        (lambda: [U @ X.T, W.T @ U * 5], "5 times"),
        (lambda: [np.zeros((4, 3)), W.T @ U], "zero"),
    ],
    ids=["factor", "sign", "factor-second-array", "zero"],
)
def test_rejects_distorted_gradients(wrong, cause, max_coordinates):
    with pytest.raises(GradientCheckError) as error:
        check_gradient(f_linear, [W, X], wrong(), names=["w", "x"], max_coordinates=max_coordinates)
    if max_coordinates == 400:
        assert cause in str(error.value)


def test_rejects_a_transposed_gradient_with_a_diagnosis():
    square = rng.standard_normal((3, 3))
    u = rng.standard_normal((3, 3))
    x = rng.standard_normal((3, 3))
    exact = u @ x.T
    with pytest.raises(GradientCheckError, match="transposed"):
        check_gradient(lambda w: np.sum(u * (w @ x)), [square], [exact.T], names=["w"])
    with pytest.raises(GradientCheckError, match="shape of w.*transposed"):
        check_gradient(f_linear, [W, X], [(U @ X.T).T, W.T @ U], names=["w", "x"])


def test_rejects_a_missing_term_and_names_the_entry():
    x = rng.standard_normal((2, 3))
    with pytest.raises(GradientCheckError, match=r"x\[\d, \d\]: analytic .* numerical"):
        check_gradient(f_sum_of_terms, [x], [np.cos(x)], names=["x"])
    check_gradient(f_sum_of_terms, [x], [np.cos(x) + 2 * x], names=["x"])


def test_rejects_non_finite_and_wrong_count():
    with pytest.raises(GradientCheckError, match="non-finite"):
        check_gradient(f_linear, [W, X], [np.full((4, 3), np.nan), W.T @ U])
    with pytest.raises(GradientCheckError, match="expected 2 gradients"):
        check_gradient(f_linear, [W, X], [U @ X.T])


def test_hints_name_known_factors():
    m = 5
    hint = {m: "a sum instead of a mean"}
    assert diagnose(m * (U @ X.T), U @ X.T, hint) == "a sum instead of a mean"
    assert diagnose(U @ X.T + 1.0, U @ X.T, hint) is None


def test_absolute_floor_accepts_rounded_tiny_gradients():
    # The true gradient e^-50 ≈ 2e-22 of f(x) = e^-50 x; a formula that rounds it to 0 is fine.
    x = np.array([[0.3, -0.2]])
    check_gradient(lambda x: np.exp(-50.0) * np.sum(x), [x], [np.zeros((1, 2))])


def test_function_that_modifies_its_input_does_not_fool_it():
    x = rng.standard_normal((2, 2))

    def f(x):
        value = np.sum(x**2)
        x *= 0.0
        return value

    check_gradient(f, [x], [2 * x])
    with pytest.raises(GradientCheckError):
        check_gradient(f, [x], [x])


def test_vjp_of_an_array_function():
    z = rng.standard_normal((3, 4))
    check_vjp(np.tanh, [z], lambda u: [u * (1 - np.tanh(z) ** 2)], names=["z"])
    with pytest.raises(GradientCheckError, match="wrong gradient of z"):
        check_vjp(np.tanh, [z], lambda u: [u * (1 - np.tanh(z))], names=["z"])


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    n=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
)
def test_accepts_true_gradients_of_random_quadratics(n, seed, scale):
    r = np.random.default_rng(seed)
    a = r.standard_normal((n, n))
    a = scale * (a + a.T)
    b = r.standard_normal((n, 1))
    x = r.standard_normal((n, 1))
    check_gradient(lambda x: (0.5 * x.T @ a @ x + b.T @ x).item(), [x], [a @ x + b])
    if np.max(np.abs(a @ x + b)) > 1e-6:
        with pytest.raises(GradientCheckError):
            check_gradient(lambda x: (0.5 * x.T @ a @ x + b.T @ x).item(), [x], [1.5 * (a @ x + b)])


def test_accepts_the_reference_backprop_on_a_large_network():
    ref = load("reference")
    net = ref.network.Network([30, 40, 20, 10], seed=3)
    r = np.random.default_rng(3)
    x, y = r.standard_normal((30, 8)), r.random((10, 8))
    grad_w, grad_b = net.backprop(x, y)
    layers = len(net.weights)

    def loss(*params):
        zs, activations = ref.feedforward.feedforward(
            list(params[:layers]), list(params[layers:]), x, ref.activations.sigmoid
        )
        return ref.gradient_descent.quadratic_cost(activations[-1], y)

    result = check_gradient(loss, [*net.weights, *net.biases], [*grad_w, *grad_b])
    assert result.method == "directions"
    with pytest.raises(GradientCheckError):
        check_gradient(loss, [*net.weights, *net.biases], [*grad_w[:-1], 8 * grad_w[-1], *grad_b])
