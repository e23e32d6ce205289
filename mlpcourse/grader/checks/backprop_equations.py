"""Checks for chapter 5: each backpropagation equation is the gradient of a real loss.

For a network with the quadratic cost, the checks compute by finite
differences δ^[l] = ∂(Σ_i L_i)/∂z^[l] (per example), ∂L/∂b^[l] and ∂L/∂w^[l]
(batch means), and compare them with the student's BP1-BP4 applied to the
true quantities of the layer.
"""

import functools

import numpy as np

from mlpcourse.gradcheck import GradientCheckError, check_gradient, numerical_gradient
from mlpcourse.grader.cases import Cases

from . import definitions as d
from . import graded
from .tools import (
    away_from_kinks,
    batch_hints,
    call,
    numerical_slope,
    per_example_hints,
    random_network,
)

#: (layer sizes, m, activation): non-square layers, m different from every n_l.
NETWORKS = [([3, 5, 4, 2], 7, "sigmoid"), ([2, 4, 6, 3], 5, "tanh"), ([4, 6, 3, 2], 9, "relu")]


class Case:
    """A network, a batch, and its loss seen from any layer's z, w or b."""

    def __init__(self, sizes: list[int], m: int, activation: str, seed: int, cases: Cases) -> None:
        self.label = f"network {sizes}, {activation}, m = {m}"
        self._deltas: dict[int, np.ndarray] = {}
        self.m = m
        self.g = d.ACTIVATIONS[activation]
        self.g_prime = numerical_slope(self.g)
        for attempt in range(100):
            rng = cases.rng(seed, attempt)
            self.weights, self.biases = random_network(sizes, cases.rng(seed * 100 + attempt))
            self.x = rng.standard_normal((sizes[0], m))
            self.y = rng.random((sizes[-1], m))
            self.zs, self.activations = d.forward(self.weights, self.biases, self.x, self.g)
            if all(away_from_kinks(z, 1e-3) for z in self.zs):
                break

    def loss_sum_from(self, i: int):
        """z^[i+2] ↦ Σ_i L_i, the rest of the network run forward from that layer."""

        def loss(z):
            a = d.elementwise(self.g, z)
            for w, b in zip(self.weights[i + 1 :], self.biases[i + 1 :]):
                a = d.elementwise(self.g, d.layer(w, a, b))
            return sum(d.quadratic_losses(a, self.y))

        return loss

    def delta(self, i: int) -> np.ndarray:
        """δ of layer i+2 by finite differences: one column per example."""
        if i not in self._deltas:
            self._deltas[i] = numerical_gradient(self.loss_sum_from(i), [self.zs[i]])[0]
        return self._deltas[i].copy()

    def mean_loss_of(self, i: int):
        """(w^[i+2], b^[i+2]) ↦ L, the batch-mean loss."""

        def loss(w, b):
            weights = self.weights[:i] + [w] + self.weights[i + 1 :]
            biases = self.biases[:i] + [b] + self.biases[i + 1 :]
            _, activations = d.forward(weights, biases, self.x, self.g)
            return d.mean(d.quadratic_losses(activations[-1], self.y))

        return loss


@functools.lru_cache(maxsize=4)
def cases_of(cases: Cases) -> list[Case]:
    """The networks of the checks, drawn from ``cases`` (each δ computed once, when asked)."""
    return [Case(sizes, m, name, seed, cases) for seed, (sizes, m, name) in enumerate(NETWORKS)]


def _gradcheck(
    label: str, f, arrays, gradients, names, hints=None, mistakes=None, shapes=None
) -> None:
    """Check a gradient; name a mistake from ``mistakes`` (values) or ``shapes`` (shapes)."""
    got = gradients[0]
    if type(got) is np.ndarray and got.shape != np.shape(arrays[0]):
        for shape, cause in (shapes or {}).items():
            if got.shape == shape:
                raise AssertionError(
                    f"{label}: the result must have the shape of {names[0]}, "
                    f"{np.shape(arrays[0])}; got {got.shape}. Likely cause: {cause}"
                )
    try:
        check_gradient(f, arrays, gradients, names=names, hints=hints)
    except GradientCheckError as error:
        for cause, candidate in (mistakes or {}).items():
            if np.shape(candidate) == np.shape(gradients[0]) and np.allclose(
                gradients[0], candidate, rtol=1e-7, atol=1e-12
            ):
                raise AssertionError(f"{label}: {error}. Likely cause: {cause}") from None
        raise AssertionError(f"{label}: {error}") from None


@graded(2)
def check_output_error(impl, cases: Cases) -> None:
    """BP1: δ^[L] = ∇_a L ⊙ σ'(z^[L]) is ∂(Σ_i L_i)/∂z^[L]."""
    for case in cases_of(cases):
        last = len(case.zs) - 1
        grad_a = numerical_gradient(
            lambda a: sum(d.quadratic_losses(a, case.y)), [case.activations[-1]]
        )[0]
        label = f"output_error for the {case.label}"
        delta = call(
            impl.backprop_equations.output_error,
            label,
            grad_a=grad_a,
            z=case.zs[last],
            activation_prime=case.g_prime,
        )
        z, a = case.zs[last], case.activations[-1]
        n = z.shape[0]
        shapes = {(n, n): "⊙ is elementwise: grad_a * σ'(z), not a matrix product"}
        mistakes = {
            "σ'(a) instead of σ'(z): pass z^[L] to activation_prime": grad_a * case.g_prime(a),
            "a missing σ'(z^[L]) factor": grad_a,
            "a missing ∇_a L factor": case.g_prime(z),
        }
        _gradcheck(
            label,
            case.loss_sum_from(last),
            [z],
            [delta],
            ["z^[L]"],
            per_example_hints(case.m),
            mistakes,
            shapes,
        )


@graded(3)
def check_hidden_error(impl, cases: Cases) -> None:
    """BP2: δ^[l] = ((w^[l+1])ᵀ δ^[l+1]) ⊙ σ'(z^[l]) is ∂(Σ_i L_i)/∂z^[l], every hidden l."""
    for case in cases_of(cases):
        for i in reversed(range(len(case.zs) - 1)):
            label = f"hidden_error for layer {i + 2} of the {case.label}"
            w_next, delta_next = case.weights[i + 1], case.delta(i + 1)
            delta = call(
                impl.backprop_equations.hidden_error,
                label,
                {"matmul": "BP2 takes (w^[l+1])ᵀ δ^[l+1]: w_next.T @ delta_next"},
                w_next=w_next,
                delta_next=delta_next,
                z=case.zs[i],
                activation_prime=case.g_prime,
            )
            back = w_next.T @ delta_next
            mistakes = {
                "σ'(a) instead of σ'(z): pass z^[l] to activation_prime": back
                * case.g_prime(case.activations[i + 1]),
                "a missing σ'(z^[l]) factor": back,
                "+ instead of ⊙: BP2 multiplies elementwise": back + case.g_prime(case.zs[i]),
                "σ' taken of (w^[l+1])ᵀ δ^[l+1], not of z^[l]": back * case.g_prime(back),
            }
            _gradcheck(
                label,
                case.loss_sum_from(i),
                [case.zs[i]],
                [delta],
                [f"z^[{i + 2}]"],
                per_example_hints(case.m),
                mistakes,
            )


@graded(2)
def check_bias_gradient(impl, cases: Cases) -> None:
    """BP3: the batch mean of δ^[l] is ∂L/∂b^[l]."""
    for case in cases_of(cases):
        for i in range(len(case.zs)):
            label = f"bias_gradient for layer {i + 2} of the {case.label}"
            grad_b = call(impl.backprop_equations.bias_gradient, label, delta=case.delta(i))
            loss = case.mean_loss_of(i)
            n = case.biases[i].shape[0]
            shapes = {
                (n,): "keep the column shape (n_l, 1): keepdims=True",
                (case.m, 1): "the mean over the wrong axis: average over the examples, axis=1",
                (1, n): "the mean over the wrong axis, or transposed: (n_l, 1) is wanted",
            }
            _gradcheck(
                label,
                lambda b: loss(case.weights[i], b),
                [case.biases[i]],
                [grad_b],
                [f"b^[{i + 2}]"],
                batch_hints(case.m),
                shapes=shapes,
            )


@graded(2)
def check_weight_gradient(impl, cases: Cases) -> None:
    """BP4: the batch mean of δ^[l] (a^[l-1])ᵀ is ∂L/∂w^[l]."""
    for case in cases_of(cases):
        for i in range(len(case.zs)):
            label = f"weight_gradient for layer {i + 2} of the {case.label}"
            grad_w = call(
                impl.backprop_equations.weight_gradient,
                label,
                delta=case.delta(i),
                a_prev=case.activations[i],
            )
            loss = case.mean_loss_of(i)
            n, n_prev = case.weights[i].shape
            shapes = {
                (n, n): "δ δᵀ: BP4 pairs δ^[l] with a^[l−1], delta @ a_prev.T",
                (n_prev, n_prev): "a^[l−1] (a^[l−1])ᵀ: BP4 pairs δ^[l] with a^[l−1]",
            }
            _gradcheck(
                label,
                lambda w: loss(w, case.biases[i]),
                [case.weights[i]],
                [grad_w],
                [f"w^[{i + 2}]"],
                batch_hints(case.m),
                shapes=shapes,
            )
