"""The lecture's definitions, one number at a time: what the checks trust.

Written with ``math`` and plain loops straight from the scalar formulas of the
lecture, slow but easy to verify by eye, and independent of the exercise
modules being checked. Derivatives are never written here: the checks get
them from these definitions by finite differences.
"""

import math
import operator

import numpy as np


def sigmoid(z: float) -> float:
    """σ(z) = 1 / (1 + e^{-z}), evaluated without overflow."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    return math.exp(z) / (1.0 + math.exp(z))


def relu(z: float) -> float:
    """max(z, 0)."""
    return max(z, 0.0)


def tanh(z: float) -> float:
    """(e^z − e^{-z}) / (e^z + e^{-z})."""
    return math.tanh(z)


ACTIVATIONS = {"sigmoid": sigmoid, "relu": relu, "tanh": tanh}


def elementwise(g, z: np.ndarray) -> np.ndarray:
    """g applied to every entry of z."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    for index in np.ndindex(z.shape):
        out[index] = g(float(z[index]))
    return out


def layer(w: np.ndarray, a_prev: np.ndarray, b: np.ndarray) -> np.ndarray:
    """z_j = Σ_k w_jk a_k + b_j, for every example (column) of a_prev."""
    rows, columns = w.tolist(), a_prev.T.tolist()
    z = [
        [sum(map(operator.mul, row, column)) + float(b[j, 0]) for column in columns]
        for j, row in enumerate(rows)
    ]
    return np.array(z, dtype=np.float64).reshape(w.shape[0], a_prev.shape[1])


def forward(weights, biases, x, g) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """All z^[l] and a^[l] of a network: a^[1] = x, a^[l] = g(z^[l]), z^[l] from ``layer``."""
    z_by_layer, a_by_layer = [], [np.asarray(x, dtype=np.float64)]
    for l in range(len(weights)):
        z_by_layer.append(layer(weights[l], a_by_layer[l], biases[l]))
        a_by_layer.append(elementwise(g, z_by_layer[l]))
    return z_by_layer, a_by_layer


def quadratic_losses(a: np.ndarray, y: np.ndarray) -> list[float]:
    """L_i = ½ Σ_j (a_ji − y_ji)² for each example i."""
    return [
        0.5 * sum((a[j, i] - y[j, i]) ** 2 for j in range(a.shape[0])) for i in range(a.shape[1])
    ]


def cross_entropy_losses(z: np.ndarray, y: np.ndarray) -> list[float]:
    """L_i = −[y_i log σ(z_i) + (1 − y_i) log(1 − σ(z_i))] for a row of z, without overflow.

    Written as log(1 + e^{z}) − y z, which is the same number.
    """
    losses = []
    for i in range(z.shape[1]):
        zi = float(z[0, i])
        softplus = max(zi, 0.0) + math.log1p(math.exp(-abs(zi)))
        losses.append(softplus - float(y[0, i]) * zi)
    return losses


def mean(values: list[float]) -> float:
    """(1/m) Σ_i values_i."""
    return sum(values) / len(values)
