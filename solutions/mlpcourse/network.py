"""A feedforward network trained by backpropagation and mini-batch SGD.

``Network([2, 3, 1])`` has an input layer of 2 neurons, a hidden layer of 3 and
an output layer of 1. Inputs x and targets y hold one example per column.
"""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from mlpcourse.validation import checked_once, require_matrix, require_positive_int

from . import activations as act
from .backprop_equations import bias_gradient, hidden_error, output_error, weight_gradient
from .feedforward import feedforward
from .gradient_descent import gd_step, minibatches, quadratic_cost, quadratic_cost_gradient

ACTIVATIONS = {
    "sigmoid": (act.sigmoid, act.sigmoid_prime),
    "relu": (act.relu, act.relu_prime),
    "tanh": (act.tanh, act.tanh_prime),
}
COSTS = {"quadratic": (quadratic_cost, quadratic_cost_gradient)}


class Network:
    """A network with layer sizes ``sizes = [n_1, n_2, ..., n_L]``.

    Attributes:
        weights: [w^[2], ..., w^[L]], w^[l] of shape (n_l, n_{l-1}).
        biases: [b^[2], ..., b^[L]], b^[l] of shape (n_l, 1).
        activation, activation_prime: g and g', applied elementwise.
        cost: the batch-mean cost L(a, y); cost_gradient: ∇_a L_i per example.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "sigmoid",
        cost: str = "quadratic",
        seed: int = 0,
    ) -> None:
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least 2 layers; got {list(sizes)}")
        for i, n in enumerate(sizes):
            require_positive_int(f"sizes[{i}]", n)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {activation!r}")
        if cost not in COSTS:
            raise ValueError(f"cost must be one of {sorted(COSTS)}; got {cost!r}")
        self.sizes = list(sizes)
        self.seed = seed
        self.activation, self.activation_prime = ACTIVATIONS[activation]
        self.cost, self.cost_gradient = COSTS[cost]
        rng = np.random.default_rng(seed)
        # Gaussian weights with variance 1/n_{l-1} keep z^[l] of order 1.
        self.weights = [
            rng.standard_normal((n, n_prev)) / np.sqrt(n_prev)
            for n_prev, n in zip(self.sizes[:-1], self.sizes[1:])
        ]
        self.biases = [rng.standard_normal((n, 1)) for n in self.sizes[1:]]

    def feedforward(self, x: NDArray) -> NDArray[np.float64]:
        """The output activations a^[L] for the inputs x (n_1, m)."""
        _, activations = feedforward(self.weights, self.biases, x, self.activation)
        return activations[-1]

    def backprop(self, x: NDArray, y: NDArray) -> tuple[list[NDArray], list[NDArray]]:
        """The gradients of the batch cost L = (1/m) Σ_i L_i by backpropagation.

        1. Feedforward: z^[l] = w^[l] a^[l-1] + b^[l] and a^[l] = σ(z^[l]), a^[1] = x.
        2. Output error (BP1): δ^[L] = ∇_a L ⊙ σ'(z^[L]).
        3. Backpropagate (BP2): δ^[l] = ((w^[l+1])ᵀ δ^[l+1]) ⊙ σ'(z^[l]) for l = L−1, ..., 2.
        4. Gradients (BP3, BP4): ∂L/∂b^[l] = δ^[l] and ∂L/∂w^[l] = δ^[l] (a^[l-1])ᵀ,
           averaged over the batch.

        Returns ``(grad_w, grad_b)``, lists shaped like ``weights`` and ``biases``.
        """
        require_matrix("x", x, rows=self.sizes[0])
        require_matrix("y", y, rows=self.sizes[-1], cols=x.shape[1])
        ### BEGIN SOLUTION
        zs, activations = feedforward(self.weights, self.biases, x, self.activation)
        grad_w = [np.empty(0)] * len(self.weights)
        grad_b = [np.empty(0)] * len(self.biases)
        grad_a = self.cost_gradient(activations[-1], y)
        delta = output_error(grad_a, zs[-1], self.activation_prime)
        for i in reversed(range(len(self.weights))):
            if i < len(self.weights) - 1:
                delta = hidden_error(self.weights[i + 1], delta, zs[i], self.activation_prime)
            grad_w[i] = weight_gradient(delta, activations[i])
            grad_b[i] = bias_gradient(delta)
        return grad_w, grad_b
        ### END SOLUTION

    def update_mini_batch(self, x: NDArray, y: NDArray, lr: float) -> None:
        """One gradient descent step on the batch (x, y) with learning rate α = lr.

        Compute the gradients with ``backprop`` and replace ``weights`` and
        ``biases`` by θ − α ∇_θ L (``gd_step``).
        """
        ### BEGIN SOLUTION
        grad_w, grad_b = self.backprop(x, y)
        self.weights = gd_step(self.weights, grad_w, lr)
        self.biases = gd_step(self.biases, grad_b, lr)
        ### END SOLUTION

    def sgd(
        self,
        x: NDArray,
        y: NDArray,
        epochs: int,
        batch_size: int,
        lr: float,
        rng: np.random.Generator | None = None,
        test: tuple[NDArray, NDArray] | None = None,
        *,
        progress: bool = False,
    ) -> list[dict]:
        """Train by mini-batch stochastic gradient descent.

        Each epoch draws fresh mini-batches ``minibatches(m, batch_size, rng)``
        and makes one ``update_mini_batch`` per batch, in order. Without an
        ``rng``, one seeded with the network's seed is used.

        Returns one record per epoch: ``{"epoch": k, "cost": training cost,
        "accuracy": accuracy on test}`` (accuracy is None without ``test``).
        With ``progress=True`` a progress bar (in the terminal or the notebook)
        shows each epoch's record as it comes.
        """
        require_matrix("x", x, rows=self.sizes[0])
        require_matrix("y", y, rows=self.sizes[-1], cols=x.shape[1])
        require_positive_int("epochs", epochs)
        require_positive_int("batch_size", batch_size)
        if rng is None:
            rng = np.random.default_rng(self.seed)
        history = []
        self._progress = None
        if progress:
            from tqdm.auto import tqdm  # here: only a progress bar needs it

            self._progress = tqdm(total=epochs, desc="sgd", unit="epoch")
        with checked_once():  # the arguments are checked above, once, not at every batch
            ### BEGIN SOLUTION
            m = x.shape[1]
            for epoch in range(1, epochs + 1):
                for batch in minibatches(m, batch_size, rng):
                    self.update_mini_batch(x[:, batch], y[:, batch], lr)
                history.append(self.epoch_record(epoch, x, y, test))
            ### END SOLUTION
        if self._progress is not None:
            self._progress.close()
            self._progress = None
        return history

    def epoch_record(self, epoch: int, x: NDArray, y: NDArray, test=None) -> dict:
        """The record ``sgd`` keeps after each epoch: training cost and test accuracy."""
        accuracy = None if test is None else self.evaluate(*test)
        record = {"epoch": epoch, "cost": self.cost(self.feedforward(x), y), "accuracy": accuracy}
        bar = getattr(self, "_progress", None)
        if bar is not None:
            shown = {"cost": f"{record['cost']:.4g}"}
            if accuracy is not None:
                shown["accuracy"] = f"{accuracy:.2%}"
            bar.set_postfix(shown, refresh=False)
            bar.update(1)
        return record

    def evaluate(self, x: NDArray, y: NDArray) -> float:
        """The fraction of examples whose most active output neuron is the right class.

        ``y`` is either one-hot targets (n_L, m) or integer labels (m,).
        """
        labels = y if np.ndim(y) == 1 else np.argmax(y, axis=0)
        return float(np.mean(np.argmax(self.feedforward(x), axis=0) == labels))
