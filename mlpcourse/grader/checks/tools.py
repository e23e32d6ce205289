"""What the graded checks share: comparing values, watching arguments, test data."""

from collections.abc import Callable

import numpy as np

from mlpcourse.gradcheck import relative_error
from mlpcourse.grader import shapes
from mlpcourse.grader.inert import inert
from mlpcourse.grader.wording import count, plain
from mlpcourse.runner.protocol import RemoteError, Unsupported


def call(function, label: str, on_error: dict[str, str] | None = None, **arguments):
    """``function(**arguments)`` (positionally, in order), checking that no argument changed.

    ``function`` runs in the runner, on copies of the arguments; the runner
    reports which of its copies the call modified, and such a call fails.
    ``label`` describes the call in messages; ``on_error`` maps a text of the
    student's exception to its likely cause. Numerical warnings (overflow,
    division by zero, invalid values; underflow to 0 is fine) fail the call
    too, so that an overflow is reported where it happens.
    """
    names = list(arguments)
    try:
        result, modified = function.call_reporting(list(arguments.values()))
    except RemoteError as error:
        if error.kind.endswith("Warning"):
            hint = ""
            if "overflow" in error.message and "cosh" in error.message:
                hint = (
                    ". Likely cause: cosh(z) overflows for large |z|: write tanh'(z) as "
                    "1 − tanh²(z)"
                )
            elif "overflow" in error.message and "exp" in error.message:
                hint = (
                    ". Likely cause: e^(−z) overflows for large negative z (and e^z for "
                    "large positive z): compute σ so that only e^(−|z|) is ever taken "
                    "(chapter 02-activations, the stable sigmoid)"
                )
            raise AssertionError(
                f"{label} gave a warning: {error.kind}: {error.message}{hint}"
            ) from None
        explained = shapes.explain(error, arguments)  # a product of the wrong shapes
        if explained:
            error.message = explained
            raise
        for text, cause in (on_error or {}).items():
            if text in error.message:
                error.message += f". Likely cause: {cause}"
                break
        raise
    for index in modified:
        if 0 <= index < len(names):
            raise AssertionError(
                f"{label} modified its argument {names[index]}: functions must leave their "
                "arguments as they were (use `x = x - ...`, not `x -= ...`)"
            )
    return result


def assert_array(label: str, value, shape: tuple) -> np.ndarray:
    """``value`` is a float array of ``shape`` with finite entries."""
    if type(value) is not np.ndarray:
        raise AssertionError(f"{label} must return a numpy array; got {shown(value)}")
    if value.shape != shape:
        hint = ""
        if value.shape == shape[::-1] and len(shape) == 2:
            hint = " (transposed?)"
        elif value.ndim == 1 and len(shape) == 2:
            hint = " (keep the 2-d shape, e.g. keepdims=True or reshape)"
        raise AssertionError(f"{label} must return shape {shape}; got {value.shape}{hint}")
    if value.dtype != np.float64:
        raise AssertionError(f"{label} must return float64 numbers; got dtype {value.dtype}")
    if not np.all(np.isfinite(value)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(value))[0])
        raise AssertionError(f"{label} returned {value[bad]} at index {bad}")
    return value


def assert_close(
    label: str,
    actual,
    expected,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    where: str = "",
    causes: dict | None = None,
) -> None:
    """``actual`` equals ``expected`` to ``rtol`` (relative) or ``atol`` (absolute).

    ``causes`` maps a classic mistake to the value it would give: a wrong
    ``actual`` equal to one of them names that mistake.
    """
    expected = np.asarray(expected, dtype=np.float64)
    if expected.ndim:
        actual = assert_array(label, actual, expected.shape)
    else:
        actual = number(label, actual)
    error = relative_error(actual, expected)
    bad = ~((error <= rtol) | (np.abs(actual - expected) <= atol))
    if np.any(bad):
        badness = np.where(bad, np.nan_to_num(error, nan=np.inf), -1.0)
        index = tuple(int(i) for i in np.unravel_index(np.argmax(badness), bad.shape))
        at = ""
        if index:
            wrong = int(np.sum(bad))
            at = f" at {count(wrong, 'entry', 'entries')} of {bad.size}"
            at += f", the worst at index {index}"
        raise AssertionError(
            f"{label} is wrong{at}{where}: got {plain(actual[index])}, "
            f"expected {plain(expected[index])}{likely_cause(actual, causes)}"
        )


def likely_cause(actual, causes: dict | None) -> str:
    """``. Likely cause: …`` for the first mistake in ``causes`` whose value ``actual`` is."""
    for cause, value in (causes or {}).items():
        value = np.asarray(value, dtype=np.float64)
        if (
            type(actual) is np.ndarray
            and actual.shape == value.shape
            and np.allclose(actual, value, rtol=1e-7, atol=1e-12)
        ):
            return f". Likely cause: {cause}"
    return ""


def number(label: str, value) -> np.ndarray:
    """``value`` is one finite float (a Python float, a float64, or an array of one entry)."""
    if type(value) is np.ndarray and value.size == 1 and value.dtype == np.float64:
        value = float(value.reshape(()))
    if type(value) not in (float, int) or type(value) is bool:
        raise AssertionError(f"{label} must return a number; got {shown(value)}")
    if not np.isfinite(value):
        raise AssertionError(f"{label} returned {value}")
    return np.array(float(value))


def shown(value) -> str:
    """What a returned value is, in a few words: its type, and its shape for arrays.

    The runner describes a value it could not send (:class:`Unsupported`): that
    description is student text, shown :func:`inert`.
    """
    if type(value) is np.ndarray:
        return f"an array of shape {value.shape}, dtype {value.dtype}"
    return type(value).__name__ if not isinstance(value, Unsupported) else inert(repr(value))


def random_network(
    sizes: list[int], rng: np.random.Generator
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights and biases of a network with layer sizes ``sizes``, layer 2 first, drawn from rng."""
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


def per_example_hints(m: int) -> dict[float, str] | None:
    """The likely causes of a per-example error δ off by m or 1/m."""
    if m == 1:
        return None
    return {
        1 / m: f"δ divided by m = {m}: δ is per example (one column each); the mean over the "
        "batch comes only in BP3 and BP4",
        m: f"δ multiplied by m = {m}: δ is per example, not a sum over the batch",
    }


def batch_hints(m: int) -> dict[float, str] | None:
    """The likely causes of a batch gradient off by m or 1/m."""
    if m == 1:
        return None
    return {
        m: f"m = {m} times too large: a sum instead of a mean over the batch",
        1 / m: f"m = {m} times too small: divided by m once too often",
    }
