"""Argument checks that turn a wrong shape into a message naming the argument.

Each ``require_*`` function raises ``ValueError`` (or ``TypeError`` for a
value that is not an array at all) saying which argument, what was expected
and what was given.
"""

import contextlib
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np

#: True inside :func:`checked_once`: the caller has checked its arguments already.
_checked = False


@contextlib.contextmanager
def checked_once():
    """Skip the argument checks of the functions called inside.

    ``Network.sgd`` checks its arguments once, then trains without checking
    them again at every batch, where the checks would cost more time than
    the arithmetic of a small network.
    """
    global _checked
    outer, _checked = _checked, True
    try:
        yield
    finally:
        _checked = outer


def _shape(value) -> tuple:
    try:
        return np.shape(value)
    except ValueError as error:  # ragged nested lists
        raise TypeError(f"could not read the shape of {value!r}: {error}") from None


def require_matrix(name: str, value, rows: int | None = None, cols: int | None = None) -> None:
    """``value`` is a 2-d array with ``rows`` rows and ``cols`` columns (None: any)."""
    if _checked:
        return
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy array; got {type(value).__name__}")
    expected = f"({'any' if rows is None else rows}, {'any' if cols is None else cols})"
    shape = value.shape
    if (
        len(shape) != 2
        or (rows is not None and shape[0] != rows)
        or (cols is not None and shape[1] != cols)
    ):
        raise ValueError(f"{name} must have shape {expected}; got shape {shape}")


def require_column(name: str, value) -> None:
    """``value`` is a column vector of shape (n, 1)."""
    require_matrix(name, value, cols=1)


def require_scalar(name: str, value) -> None:
    """``value`` is a single real number (a float, an int or a 0-d array)."""
    if _checked:
        return
    if isinstance(value, (bool, np.bool_)) or not (
        isinstance(value, Real) or (isinstance(value, np.ndarray) and value.shape == ())
    ):
        raise TypeError(
            f"{name} must be a number; got {type(value).__name__} of shape {_shape(value)}"
        )


def require_positive_int(name: str, value) -> None:
    """``value`` is an integer ≥ 1."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")


def require_same_shape(name_a: str, a, name_b: str, b) -> None:
    """``a`` and ``b`` are arrays of the same shape."""
    if _checked:
        return
    for name, value in ((name_a, a), (name_b, b)):
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{name} must be a numpy array; got {type(value).__name__}")
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}"
        )


def require_layers(weights: Sequence, biases: Sequence, x) -> None:
    """``weights``, ``biases`` and the input ``x`` describe one network.

    w^[l] is (n_l, n_{l-1}) and b^[l] is (n_l, 1), layer 2 first; x is (n_1, m).
    """
    if _checked:
        return
    if len(weights) != len(biases):
        raise ValueError(
            f"weights and biases must list the same layers; got {len(weights)} and {len(biases)}"
        )
    require_matrix("x", x)
    n_prev = x.shape[0]
    for i, (w, b) in enumerate(zip(weights, biases)):
        require_matrix(f"weights[{i}]", w, cols=n_prev)
        require_matrix(f"biases[{i}]", b, rows=w.shape[0], cols=1)
        n_prev = w.shape[0]
