"""What the graded checks share: comparing values, watching arguments, test data."""

import copy
import warnings
from collections.abc import Callable

import numpy as np

from mlpcourse.gradcheck import relative_error


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=True)
        )
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return a is b or a == b


def call(function: Callable, label: str, **arguments):
    """``function(**arguments)`` (positionally, in order), checking that no argument changed.

    The function gets copies, so the checks' own data survive whatever it
    does; a copy that comes back changed fails the call. ``label`` describes
    the call in messages. Numerical warnings (overflow, division by zero,
    invalid values; underflow to 0 is fine) fail the call too, so that an
    overflow is reported where it happens.
    """
    copies = copy.deepcopy(arguments)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
                result = function(*copies.values())
    except Warning as warning:
        raise AssertionError(
            f"{label} gave a warning: {type(warning).__name__}: {warning}"
        ) from None
    for name, value in arguments.items():
        if isinstance(value, np.random.Generator) or callable(value):
            continue  # drawing from a generator is what it is for
        if not _same(value, copies[name]):
            raise AssertionError(
                f"{label} modified its argument {name}: functions must leave their "
                "arguments as they were (use `x = x - ...`, not `x -= ...`)"
            )
    return result


def assert_array(label: str, value, shape: tuple) -> np.ndarray:
    """``value`` is a float array of ``shape`` with finite entries."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{label} must return a numpy array; got {type(value).__name__}")
    if value.shape != shape:
        hint = ""
        if value.shape == shape[::-1] and len(shape) == 2:
            hint = " (transposed?)"
        elif value.ndim == 1 and len(shape) == 2:
            hint = " (keep the 2-d shape, e.g. keepdims=True or reshape)"
        raise AssertionError(f"{label} must return shape {shape}; got {value.shape}{hint}")
    if not np.issubdtype(value.dtype, np.floating):
        raise AssertionError(f"{label} must return floats; got dtype {value.dtype}")
    if not np.all(np.isfinite(value)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
        raise AssertionError(f"{label} returned {value[bad]} at index {bad}")
    return value


def assert_close(
    label: str, actual, expected, rtol: float = 1e-9, atol: float = 1e-12, where: str = ""
) -> None:
    """``actual`` equals ``expected`` to ``rtol`` (relative) or ``atol`` (absolute)."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = assert_array(label, actual, expected.shape) if expected.ndim else np.asarray(actual)
    if actual.shape != expected.shape:
        raise AssertionError(f"{label} must return a number; got shape {actual.shape}")
    error = relative_error(actual, expected)
    bad = (error > rtol) & (np.abs(actual - expected) > atol)
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        at = f" at index {index}" if index else ""
        raise AssertionError(
            f"{label} is wrong{at}{where}: got {actual[index]!r}, expected {expected[index]!r}"
        )


def random_network(sizes: list[int], seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights and biases of a network with layer sizes ``sizes``, layer 2 first."""
    rng = np.random.default_rng(seed)
    weights = [
        rng.standard_normal((n, n_prev)) / np.sqrt(n_prev) for n_prev, n in zip(sizes, sizes[1:])
    ]
    biases = [0.5 * rng.standard_normal((n, 1)) for n in sizes[1:]]
    return weights, biases


def away_from_kinks(z: np.ndarray, margin: float = 1e-3) -> bool:
    """No entry of z within ``margin`` of 0, where ReLU has its kink."""
    return bool(np.min(np.abs(z)) > margin)


def numerical_slope(g: Callable[[float], float], h: float = 1e-6) -> Callable:
    """g' by central differences, elementwise on arrays: (g(z + h) − g(z − h)) / 2h."""

    def slope(z):
        z = np.asarray(z, dtype=np.float64)
        out = np.empty_like(z)
        for index in np.ndindex(z.shape):
            out[index] = (g(float(z[index]) + h) - g(float(z[index]) - h)) / (2 * h)
        return out

    return slope


def batch_hints(m: int) -> dict[float, str] | None:
    """The likely causes of a batch gradient off by m or 1/m."""
    if m == 1:
        return None
    return {
        m: f"m = {m} times too large: a sum instead of a mean over the batch",
        1 / m: f"m = {m} times too small: divided by m once too often",
    }
