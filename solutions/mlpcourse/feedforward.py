"""The feedforward pass through a network, layer by layer.

Layer 1 is the input layer; the lists ``weights`` and ``biases`` start at
layer 2, so ``weights[0]`` is w^[2] with shape (n_2, n_1) and ``biases[0]`` is
b^[2] with shape (n_2, 1). The input x holds one example per column: (n_1, m).
"""

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from mlpcourse.validation import require_layers


def feedforward(
    weights: Sequence[NDArray],
    biases: Sequence[NDArray],
    x: NDArray,
    g: Callable,
) -> tuple[list[NDArray[np.float64]], list[NDArray[np.float64]]]:
    """Run x through the network and keep every layer's z and a.

    Starting from a^[1] = x, for each layer l = 2, 3, ..., L:

        z^[l] = w^[l] a^[l-1] + b^[l]
        a^[l] = g(z^[l])

    Returns ``(zs, activations)``: ``zs[i]`` is z^[i+2] and ``activations[i]``
    is a^[i+1], so ``activations[0]`` is x itself and ``activations[-1]`` is
    the output. ``len(activations) == len(zs) + 1``.
    """
    require_layers(weights, biases, x)
    ### BEGIN SOLUTION
    zs = []
    activations = [x]
    for w, b in zip(weights, biases):
        z = w @ activations[-1] + b
        zs.append(z)
        activations.append(g(z))
    return zs, activations
    ### END SOLUTION
