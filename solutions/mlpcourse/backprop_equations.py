"""The four backpropagation equations, for a batch with one example per column.

δ^[l] = ∂L/∂z^[l] is the error of layer l. Errors are per example (one
column each, not divided by m); the bias and weight gradients are means over
the batch, the gradients of L = (1/m) Σ_i L_i.
"""

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from mlpcourse.validation import require_matrix, require_same_shape


def output_error(grad_a: NDArray, z: NDArray, activation_prime: Callable) -> NDArray[np.float64]:
    """BP1, the error in the output layer: δ^[L] = ∇_a L ⊙ σ'(z^[L]).

    ``grad_a`` is ∇_a L_i for each example (one column each) and ``z`` is
    z^[L]; both have shape (n_L, m). ⊙ is the elementwise (Hadamard) product.
    """
    require_same_shape("grad_a", grad_a, "z", z)
    ### BEGIN SOLUTION
    return grad_a * activation_prime(z)
    ### END SOLUTION


def hidden_error(
    w_next: NDArray, delta_next: NDArray, z: NDArray, activation_prime: Callable
) -> NDArray[np.float64]:
    """BP2, the error of layer l from the next one: δ^[l] = ((w^[l+1])ᵀ δ^[l+1]) ⊙ σ'(z^[l]).

    Shapes: ``w_next`` is w^[l+1] (n_{l+1}, n_l), ``delta_next`` is δ^[l+1]
    (n_{l+1}, m), ``z`` is z^[l] (n_l, m); the result is (n_l, m).
    """
    require_matrix("w_next", w_next)
    require_matrix("delta_next", delta_next, rows=w_next.shape[0])
    require_matrix("z", z, rows=w_next.shape[1], cols=delta_next.shape[1])
    ### BEGIN SOLUTION
    return (w_next.T @ delta_next) * activation_prime(z)
    ### END SOLUTION


def bias_gradient(delta: NDArray) -> NDArray[np.float64]:
    """BP3, ∂L/∂b^[l]_j = δ^[l]_j, averaged over the batch: shape (n_l, 1).

    Each example's gradient is its column of δ^[l], δ^[l]_(i) for example i;
    the batch gradient is their mean (1/m) Σ_i δ^[l]_(i).
    """
    require_matrix("delta", delta)
    ### BEGIN SOLUTION
    m = delta.shape[1]
    return delta.sum(axis=1, keepdims=True) / m
    ### END SOLUTION


def weight_gradient(delta: NDArray, a_prev: NDArray) -> NDArray[np.float64]:
    """BP4, ∂L/∂w^[l]_jk = a^[l-1]_k δ^[l]_j, averaged over the batch.

    ``delta`` is δ^[l] (n_l, m) and ``a_prev`` is a^[l-1] (n_{l-1}, m). For one
    example the gradient is the outer product δ aᵀ; the batch gradient is the
    mean over the m examples, (1/m) δ^[l] (a^[l-1])ᵀ, of shape (n_l, n_{l-1}).
    """
    require_matrix("delta", delta)
    require_matrix("a_prev", a_prev, cols=delta.shape[1])
    ### BEGIN SOLUTION
    m = delta.shape[1]
    return delta @ a_prev.T / m
    ### END SOLUTION
