"""Activation functions g(z) and their derivatives g'(z), applied elementwise.

Every function takes an array ``z`` of any shape (or a number) and returns a
float64 array of the same shape, without modifying ``z``.
"""

import numpy as np
from numpy.typing import ArrayLike, NDArray


def sigmoid(z: ArrayLike) -> NDArray[np.float64]:
    """The logistic sigmoid σ(z) = 1 / (1 + e^{-z}).

    Hint: ``np.exp(-z)`` overflows for z ≈ -1000 (with a RuntimeWarning). Use
    e^{-|z|}, which never overflows: σ(z) = 1 / (1 + e^{-z}) for z ≥ 0 and
    σ(z) = e^{z} / (1 + e^{z}) for z < 0, the same value written two ways.
    """
    z = np.asarray(z, dtype=np.float64)
    ### BEGIN SOLUTION
    # The hint's two forms in one expression, without np.where: the numerator is
    # e^0 = 1 for z ≥ 0 and e^z for z < 0; no exponent is ever positive.
    return np.exp(np.minimum(z, 0.0)) / (1.0 + np.exp(-np.abs(z)))
    ### END SOLUTION


def sigmoid_prime(z: ArrayLike) -> NDArray[np.float64]:
    """The derivative σ'(z) = σ(z) (1 − σ(z)).

    Note that it takes the weighted input z, not the activation a = σ(z).
    """
    z = np.asarray(z, dtype=np.float64)
    ### BEGIN SOLUTION
    # σ(z)(1 − σ(z)) = e^{-|z|} / (1 + e^{-|z|})², the same number without computing σ twice.
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2
    ### END SOLUTION


def relu(z: ArrayLike) -> NDArray[np.float64]:
    """The rectified linear unit g(z) = max(z, 0)."""
    z = np.asarray(z, dtype=np.float64)
    ### BEGIN SOLUTION
    return np.maximum(z, 0.0)
    ### END SOLUTION


def relu_prime(z: ArrayLike) -> NDArray[np.float64]:
    """The derivative g'(z) = 1 for z > 0 and 0 for z < 0.

    ReLU has a kink at z = 0 where no derivative exists; either 0 or 1 is
    accepted there.
    """
    z = np.asarray(z, dtype=np.float64)
    ### BEGIN SOLUTION
    return (z > 0).astype(np.float64)
    ### END SOLUTION


def tanh(z: ArrayLike) -> NDArray[np.float64]:
    """The hyperbolic tangent g(z) = (e^z − e^{-z}) / (e^z + e^{-z}).

    Hint: the formula as written overflows for |z| ≈ 1000; numpy has a
    stable implementation.
    """
    z = np.asarray(z, dtype=np.float64)
    ### BEGIN SOLUTION
    return np.tanh(z)
    ### END SOLUTION


def tanh_prime(z: ArrayLike) -> NDArray[np.float64]:
    """The derivative g'(z) = 1 − tanh²(z)."""
    z = np.asarray(z, dtype=np.float64)
    ### BEGIN SOLUTION
    return 1.0 - np.tanh(z) ** 2
    ### END SOLUTION
