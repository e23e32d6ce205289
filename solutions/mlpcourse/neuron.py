"""One neuron: a weighted input z = wᵀx + b passed through an activation g.

Shapes: the weights w are a column (n, 1), the inputs x hold one example per
column (n, m), the bias b is a number; z and a = g(z) are rows (1, m).
"""

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from mlpcourse.validation import require_column, require_matrix, require_scalar

from .activations import sigmoid


def weighted_input(w: NDArray, x: NDArray, b: float) -> NDArray[np.float64]:
    """The weighted input z = wᵀx + b, one entry per example: shape (1, m)."""
    require_column("w", w)
    require_matrix("x", x, rows=w.shape[0])
    require_scalar("b", b)
    ### BEGIN SOLUTION
    return w.T @ x + b
    ### END SOLUTION


def neuron(w: NDArray, x: NDArray, b: float, g: Callable) -> NDArray[np.float64]:
    """The neuron's output a = g(z) = g(wᵀx + b), shape (1, m)."""
    ### BEGIN SOLUTION
    return g(weighted_input(w, x, b))
    ### END SOLUTION


def logistic_regression(w: NDArray, x: NDArray, b: float) -> NDArray[np.float64]:
    """Logistic regression a = σ(wᵀx + b) = 1 / (1 + exp(−wᵀx − b)), shape (1, m)."""
    ### BEGIN SOLUTION
    return neuron(w, x, b, sigmoid)
    ### END SOLUTION


def logistic_gradients(
    w: NDArray, x: NDArray, b: float, y: NDArray
) -> tuple[NDArray[np.float64], float]:
    """Gradients (∂L/∂w, ∂L/∂b) of the mean cross-entropy loss of logistic regression.

    With a = σ(wᵀx + b) and labels y in {0, 1} of shape (1, m), the loss is
    L = (1/m) Σ_i L_i with L_i = −[y_i log a_i + (1 − y_i) log(1 − a_i)].
    Because ∂L_i/∂z_i = a_i − y_i, the gradients are

        ∂L/∂w = (1/m) x (a − y)ᵀ      shape (n, 1)
        ∂L/∂b = (1/m) Σ_i (a_i − y_i)  a number
    """
    require_matrix("y", y, rows=1, cols=np.shape(x)[-1])
    ### BEGIN SOLUTION
    m = x.shape[1]
    error = logistic_regression(w, x, b) - y
    return x @ error.T / m, float(np.mean(error))
    ### END SOLUTION
