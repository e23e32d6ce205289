"""Finite-difference gradient checks: is an analytic gradient the true one?

The numerical derivative is the central difference

    ∂f/∂θ_j ≈ (f(θ + h e_j) − f(θ − h e_j)) / 2h,

whose error is O(h²) from truncation plus O(ε|f|/h) from rounding, in float64.
Analytic and numerical values a and n are compared by their relative error
|a − n| / max(|a| + |n|, tiny), with an absolute floor for values that are
both tiny (a correct formula may round e^-50 to zero).

Small inputs are checked one coordinate at a time; large ones along a few
random directions v, comparing Σ_j (∂f/∂θ_j) v_j with (f(θ + hv) − f(θ − hv)) / 2h.
Arrays passed in are never modified: ``f`` always sees fresh copies.

Functions with array values are checked through a vector-Jacobian product:
for a random upstream array u, the gradient of the scalar Σ u ⊙ f(θ) is what
backpropagation would pass down.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

EPS = np.finfo(np.float64).eps
TINY = 1e-300


class GradientCheckError(AssertionError):
    """An analytic gradient that disagrees with finite differences."""


@dataclass(frozen=True)
class GradcheckResult:
    """What a passing check measured: the largest relative error and how it looked."""

    max_relative_error: float
    method: str  # "coordinates" or "directions"
    evaluations: int


def relative_error(analytic, numeric) -> np.ndarray:
    """|a − n| / max(|a| + |n|, tiny), elementwise."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), TINY)


def _as_float_arrays(arrays: Sequence) -> list[np.ndarray]:
    return [np.array(x, dtype=np.float64) for x in arrays]


def _evaluate(f: Callable, arrays: Sequence[np.ndarray]) -> float:
    value = f(*[x.copy() for x in arrays])
    value = np.asarray(value, dtype=np.float64)
    if value.size != 1:
        raise ValueError(f"f must return a single number; got shape {value.shape}")
    return float(value.reshape(()))


def numerical_gradient(f: Callable, arrays: Sequence, h: float = 1e-6) -> list[np.ndarray]:
    """Central-difference gradient of the scalar f(*arrays) with respect to each array."""
    arrays = _as_float_arrays(arrays)
    gradients = []
    for k, x in enumerate(arrays):
        grad = np.zeros_like(x)
        for index in np.ndindex(x.shape):
            shifted = [a.copy() for a in arrays]
            shifted[k][index] = x[index] + h
            plus = _evaluate(f, shifted)
            shifted[k][index] = x[index] - h
            minus = _evaluate(f, shifted)
            grad[index] = (plus - minus) / (2 * h)
        gradients.append(grad)
    return gradients


def directional_derivative(
    f: Callable, arrays: Sequence, directions: Sequence, h: float = 1e-6
) -> float:
    """Central difference of f along the directions v: (f(θ + hv) − f(θ − hv)) / 2h."""
    arrays = _as_float_arrays(arrays)
    plus = _evaluate(f, [x + h * v for x, v in zip(arrays, directions)])
    minus = _evaluate(f, [x - h * v for x, v in zip(arrays, directions)])
    return (plus - minus) / (2 * h)


def diagnose(
    analytic, numeric, hints: Mapping[float, str] | None = None, atol: float = 0.0
) -> str | None:
    """A likely cause when ``analytic`` is a simple distortion of ``numeric``.

    Recognises a transposed matrix, a sign error, a gradient that is zero, and
    a constant factor; ``hints`` names known factors, e.g. {m: "a sum instead
    of a mean over the batch"}. ``atol``: the numerical values' own error (the
    rounding error of the differences), which a factor multiplies.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        if a.ndim == 2 and a.T.shape == n.shape and np.allclose(a.T, n, rtol=1e-5, atol=1e-9):
            return "the gradient is transposed"
        return None
    scale = float(np.max(np.abs(n))) if n.size else 0.0
    if scale == 0.0:
        return None
    if np.max(np.abs(a)) <= 1e-12 * scale:
        return "the gradient is zero everywhere: a term is missing"
    if (
        a.ndim == 2
        and a.shape[0] == a.shape[1]
        and np.allclose(a.T, n, rtol=1e-5, atol=1e-9 * scale)
    ):
        return "the gradient is transposed"
    factor = float(np.vdot(a, n) / np.vdot(n, n))
    if np.allclose(a, factor * n, rtol=1e-5, atol=max(1e-9 * scale, abs(factor) * atol)):
        for known, hint in (hints or {}).items():
            if np.isclose(factor, known, rtol=1e-4):
                return hint
        if np.isclose(factor, -1.0, rtol=1e-4):
            return "the sign is wrong"
        return f"the gradient is {factor:.6g} times the true one"
    return None


def _describe(name: str, index: tuple, a: float, n: float) -> str:
    where = f"{name}[{', '.join(map(str, index))}]" if index else name
    error = relative_error(a, n)
    return f"{where}: analytic {a:.10g}, numerical {n:.10g} (relative error {error:.2e})"


def check_gradient(
    f: Callable,
    arrays: Sequence,
    gradients: Sequence,
    *,
    names: Sequence[str] | None = None,
    rtol: float = 1e-6,
    atol: float | None = None,
    h: float = 1e-6,
    max_coordinates: int = 400,
    directions: int = 6,
    seed: int = 0,
    hints: Mapping[float, str] | None = None,
) -> GradcheckResult:
    """Check that ``gradients[k]`` is ∂f/∂arrays[k] for the scalar function f(*arrays).

    An entry passes when its relative error is at most ``rtol`` or its
    absolute error at most ``atol`` (default: ten times the rounding error of
    a central difference, 10 ε (|f| + 1) / h). With at most ``max_coordinates``
    entries in all, every coordinate is checked; otherwise ``directions``
    random directions are. Raises :class:`GradientCheckError` naming the
    entry, both values and, where it can tell, the likely mistake.
    """
    arrays = _as_float_arrays(arrays)
    names = list(names) if names is not None else [f"arrays[{k}]" for k in range(len(arrays))]
    analytic = _analytic_gradients(f, arrays, gradients, names, h)
    value = _evaluate(f, arrays)
    if atol is None:
        atol = 10 * EPS * (abs(value) + 1.0) / h
    if sum(x.size for x in arrays) <= max_coordinates:
        return _check_coordinates(f, arrays, analytic, names, rtol, atol, h, hints)
    return _check_directions(f, arrays, analytic, names, rtol, atol, h, directions, seed)


def _analytic_gradients(
    f: Callable, arrays: list[np.ndarray], gradients: Sequence, names: list[str], h: float
) -> list[np.ndarray]:
    """The gradients as float64 arrays, once there is one per array, of its shape, all finite.

    A gradient of the wrong shape is compared with the numerical one, to name a
    transposed matrix.
    """
    if len(gradients) != len(arrays):
        raise GradientCheckError(
            f"expected {len(arrays)} gradients ({', '.join(names)}); got {len(gradients)}"
        )
    analytic = []
    for k, (name, x, g) in enumerate(zip(names, arrays, gradients)):
        g = np.asarray(g, dtype=np.float64)
        if g.shape != x.shape:
            numeric = numerical_gradient(f, arrays, h)[k]
            cause = diagnose(g, numeric)
            raise GradientCheckError(
                f"the gradient of {name} must have the shape of {name}, {x.shape}; got {g.shape}"
                + (f". Likely cause: {cause}" if cause else "")
            )
        if not np.all(np.isfinite(g)):
            raise GradientCheckError(f"the gradient of {name} has non-finite entries (nan or inf)")
        analytic.append(g)
    return analytic


def _check_coordinates(
    f: Callable,
    arrays: list[np.ndarray],
    analytic: list[np.ndarray],
    names: list[str],
    rtol: float,
    atol: float,
    h: float,
    hints: Mapping[float, str] | None,
) -> GradcheckResult:
    """Compare every entry a_j of the gradients with its central difference n_j.

    Raises on the worst entry with |a_j − n_j| > atol and relative error > rtol;
    else returns the largest relative error of the entries beyond ``atol``.
    """
    numeric = numerical_gradient(f, arrays, h)
    worst = 0.0
    for name, a, n in zip(names, analytic, numeric):
        error = relative_error(a, n)
        bad = (error > rtol) & (np.abs(a - n) > atol)
        if np.any(bad):
            index = np.unravel_index(np.argmax(np.where(bad, error, -1.0)), a.shape)
            cause = diagnose(a, n, hints, atol)
            raise GradientCheckError(
                f"wrong gradient of {name} at "
                + _describe(name, tuple(int(i) for i in index), a[index], n[index])
                + (f". Likely cause: {cause}" if cause else "")
            )
        within = np.where(np.abs(a - n) > atol, error, 0.0)
        worst = max(worst, float(np.max(within, initial=0.0)))
    size = sum(x.size for x in arrays)
    return GradcheckResult(worst, "coordinates", 2 * size + 1)


def _check_directions(
    f: Callable,
    arrays: list[np.ndarray],
    analytic: list[np.ndarray],
    names: list[str],
    rtol: float,
    atol: float,
    h: float,
    directions: int,
    seed: int,
) -> GradcheckResult:
    """Compare Σ_j (∂f/∂θ_j) v_j with the central difference of f along v, for random unit v.

    The directions are drawn from ``seed``; raises on the first one that disagrees
    beyond both ``rtol`` and ``atol``, else returns the largest relative error beyond ``atol``.
    """
    rng = np.random.default_rng(seed)
    worst = 0.0
    for d in range(directions):
        vs = [rng.standard_normal(x.shape) for x in arrays]
        norm = np.sqrt(sum(np.sum(v * v) for v in vs))
        vs = [v / norm for v in vs]
        a = float(sum(np.sum(g * v) for g, v in zip(analytic, vs)))
        n = directional_derivative(f, arrays, vs, h)
        error = float(relative_error(a, n))
        if error > rtol and abs(a - n) > atol:
            raise GradientCheckError(
                f"wrong gradient of {', '.join(names)} along random direction {d}: "
                + _describe("derivative", (), a, n)
            )
        worst = max(worst, error if abs(a - n) > atol else 0.0)
    return GradcheckResult(worst, "directions", 2 * directions + 1)


def check_vjp(
    f: Callable,
    arrays: Sequence,
    vjp: Callable[[np.ndarray], Sequence],
    *,
    seed: int = 0,
    **options,
) -> GradcheckResult:
    """Check an array-valued f(*arrays) through a vector-Jacobian product.

    For a random upstream array u shaped like f's value, ``vjp(u)`` must return
    the gradients of Σ u ⊙ f(*arrays) with respect to each array, the way
    backpropagation passes u down. Options are those of :func:`check_gradient`.
    """
    arrays = _as_float_arrays(arrays)
    shape = np.shape(f(*[x.copy() for x in arrays]))
    upstream = np.random.default_rng(seed).standard_normal(shape)
    return check_gradient(
        lambda *xs: np.sum(upstream * f(*xs)),
        arrays,
        vjp(upstream.copy()),
        seed=seed,
        **options,
    )
