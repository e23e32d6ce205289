"""Checks for chapter 4, gradient descent: cost, gradient, step, mini-batches."""

import numpy as np

from mlpcourse.gradcheck import GradientCheckError, check_gradient
from mlpcourse.grader.cases import Cases
from mlpcourse.grader.wording import plain

from . import definitions as d
from . import graded
from .tools import assert_array, assert_close, call, number

#: (n_L outputs, m examples), m ≠ n_L.
SHAPES = [(2, 5), (3, 1), (1, 4), (4, 9)]


def _outputs(n: int, m: int, rng: np.random.Generator):
    return rng.random((n, m)), rng.random((n, m))


@graded(1)
def check_quadratic_cost(impl, cases: Cases) -> None:
    """L = (1/m) Σ_i ½‖a_i − y_i‖²: a mean over the batch."""
    for seed, (n, m) in enumerate(SHAPES):
        a, y = _outputs(n, m, cases.rng(seed))
        label = f"quadratic_cost(a, y) for a {a.shape}"
        value = call(impl.gradient_descent.quadratic_cost, label, a=a, y=y)
        value = float(number(label, value))
        expected = d.mean(d.quadratic_losses(a, y))
        causes = {2.0: "the ½ is missing"}
        if n > 1:
            causes[1 / n] = f"a mean over all {n} × {m} entries, not over the m = {m} examples"
        if m > 1:
            causes |= {m: "a sum instead of a mean over the batch", 2.0 * m: "a sum, and no ½"}
        for factor, cause in causes.items():
            if factor != 1 and np.isclose(value, factor * expected, rtol=1e-9):
                raise AssertionError(
                    f"{label} is {plain(value)}, expected {plain(expected)}. Likely cause: {cause}"
                )
        assert_close(label, np.array(value), np.array(expected))


@graded(2)
def check_quadratic_cost_gradient(impl, cases: Cases) -> None:
    """∇_a L_i = a_i − y_i per example, against finite differences of Σ_i L_i."""
    for seed, (n, m) in enumerate(SHAPES):
        a, y = _outputs(n, m, cases.rng(seed))
        label = f"quadratic_cost_gradient(a, y) for a {a.shape}"
        gradient = call(impl.gradient_descent.quadratic_cost_gradient, label, a=a, y=y)
        assert_array(label, gradient, a.shape)
        try:
            check_gradient(
                lambda a: sum(d.quadratic_losses(a, y)),
                [a],
                [gradient],
                names=["a"],
                seed=cases.seed(0),
                hints={
                    1 / m: f"divided by m = {m}: the gradient is per example, not a batch mean",
                    2.0: "the derivative of ½(a − y)² is (a − y), not 2(a − y)",
                }
                if m > 1
                else None,
            )
        except GradientCheckError as error:
            raise AssertionError(f"{label}: {error}") from None


@graded(2)
def check_gd_step(impl, cases: Cases) -> None:
    """θ − α∇ for every array, as a new list, leaving params untouched."""
    rng = cases.rng(4)
    params = [rng.standard_normal((3, 2)), rng.standard_normal((3, 1)), rng.standard_normal((1, 3))]
    grads = [rng.standard_normal(p.shape) for p in params]
    for lr in (0.1, 2.5):
        label = f"gd_step(params, grads, lr={lr})"
        new = call(impl.gradient_descent.gd_step, label, params=params, grads=grads, lr=lr)
        if not isinstance(new, list) or len(new) != len(params):
            raise AssertionError(
                f"{label} must return a list of {len(params)} arrays; got {new!r:.80}"
            )
        for i, (p, g, q) in enumerate(zip(params, grads, new)):
            assert_array(f"{label}, element {i}", q, p.shape)
            if np.allclose(q, p + lr * g):
                raise AssertionError(f"{label}: element {i} moved uphill, θ + α∇ instead of θ − α∇")
            causes = {"the learning rate α is missing: θ − α∇": p - g}
            assert_close(f"{label}, element {i}", q, p - lr * g, causes=causes)


def _check_partition(label: str, batches, m: int, batch_size: int) -> np.ndarray:
    if not isinstance(batches, (list, tuple)):
        raise AssertionError(
            f"{label} must return a list of index arrays; got {type(batches).__name__}"
        )
    sizes = [int(np.size(b)) for b in batches]
    expected = [batch_size] * (m // batch_size) + ([m % batch_size] if m % batch_size else [])
    if sizes != expected:
        hint = ""
        if m % batch_size and sizes == expected[:-1]:
            hint = (
                ". Likely cause: the last, smaller batch is dropped; keep it (every example once)"
            )
        elif sizes == [batch_size] * len(sizes) and sum(sizes) > m:
            hint = ". Likely cause: the last batch is padded or wraps around; let it be smaller"
        raise AssertionError(f"{label}: batch sizes must be {expected}; got {sizes}{hint}")
    for b in batches:
        if not np.issubdtype(np.asarray(b).dtype, np.integer):
            raise AssertionError(
                f"{label}: batches must hold integer indices; got {np.asarray(b).dtype}"
            )
    order = np.concatenate([np.ravel(b) for b in batches])
    if sorted(order.tolist()) != list(range(m)):
        hint = ""
        if len(set(order.tolist())) < len(order):
            hint = (
                ". Likely cause: indices drawn with replacement; cut one permutation "
                "(rng.permutation) into batches"
            )
        raise AssertionError(
            f"{label}: every index 0..{m - 1} must appear exactly once; "
            f"got {order.tolist()[:20]}{hint}"
        )
    return order


@graded(2)
def check_minibatches(impl, cases: Cases) -> None:
    """Every index once, batches of batch_size with a smaller last one, shuffled by rng."""
    minibatches = impl.gradient_descent.minibatches
    for m, batch_size in ((10, 3), (12, 4), (5, 7), (1, 1), (40, 40)):
        label = f"minibatches({m}, {batch_size}, rng)"
        _check_partition(
            label,
            call(minibatches, label, m=m, batch_size=batch_size, rng=cases.rng(0)),
            m,
            batch_size,
        )
    label = "minibatches(50, 8, rng)"
    first = _check_partition(label, minibatches(50, 8, cases.rng(1)), 50, 8)
    again = _check_partition(label, minibatches(50, 8, cases.rng(1)), 50, 8)
    other = _check_partition(label, minibatches(50, 8, cases.rng(2)), 50, 8)
    if np.array_equal(first, np.arange(50)):
        raise AssertionError(f"{label}: the indices are not shuffled")
    if not np.array_equal(first, again) or np.array_equal(first, other):
        raise AssertionError(
            f"{label}: the order must come from rng "
            "(same seed, same batches; other seed, other batches)"
        )
    rng = cases.rng(3)
    if np.array_equal(
        _check_partition(label, minibatches(50, 8, rng), 50, 8),
        _check_partition(label, minibatches(50, 8, rng), 50, 8),
    ):
        raise AssertionError(
            f"{label}: two calls with the same generator gave the same order: "
            "draw a fresh permutation each call"
        )
