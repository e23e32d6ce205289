"""Gradient descent: the quadratic cost, one descent step, and mini-batches.

Outputs a and targets y hold one example per column: shape (n_L, m).
"""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from mlpcourse.validation import require_positive_int, require_same_shape


def quadratic_cost(a: NDArray, y: NDArray) -> float:
    """The quadratic cost, averaged over the m examples of the batch.

        L = (1/m) Σ_i L_i,   L_i = ½ ‖a_i − y_i‖²

    where a_i and y_i are the i-th columns of a and y.
    """
    require_same_shape("a", a, "y", y)
    ### BEGIN SOLUTION
    m = a.shape[1]
    return float(0.5 * np.sum((a - y) ** 2) / m)
    ### END SOLUTION


def quadratic_cost_gradient(a: NDArray, y: NDArray) -> NDArray[np.float64]:
    """The gradient ∇_a L_i = a_i − y_i of each example's cost, one column each.

    This is per example: not divided by m. (The gradient of the batch mean L
    with respect to a is this divided by m.)
    """
    require_same_shape("a", a, "y", y)
    ### BEGIN SOLUTION
    return a - y
    ### END SOLUTION


def gd_step(
    params: Sequence[NDArray], grads: Sequence[NDArray], lr: float
) -> list[NDArray[np.float64]]:
    """One gradient descent step θ_j ← θ_j − α ∂L/∂θ_j, for every array θ in params.

    Returns a new list of new arrays; ``params`` and its arrays are left as
    they were. ``lr`` is the learning rate α.
    """
    if len(params) != len(grads):
        raise ValueError(
            f"params and grads must have the same length; got {len(params)} and {len(grads)}"
        )
    for i, (p, g) in enumerate(zip(params, grads)):
        require_same_shape(f"params[{i}]", p, f"grads[{i}]", g)
    ### BEGIN SOLUTION
    return [p - lr * g for p, g in zip(params, grads)]
    ### END SOLUTION


def minibatches(m: int, batch_size: int, rng: np.random.Generator) -> list[NDArray[np.intp]]:
    """Split the indices 0, ..., m−1 into mini-batches, in a random order.

    Draw one random permutation of the m indices from ``rng`` and cut it, in
    order, into pieces of ``batch_size``: every index appears exactly once,
    and every batch has ``batch_size`` indices except the last, which may be
    smaller. Example: m=5, batch_size=2 might give [3, 0], [4, 2], [1].
    """
    require_positive_int("m", m)
    require_positive_int("batch_size", batch_size)
    ### BEGIN SOLUTION
    order = rng.permutation(m)
    return [order[k : k + batch_size] for k in range(0, m, batch_size)]
    ### END SOLUTION
