"""A network trained one example at a time, in the style of Nielsen's ``network.py``.

The baseline the vectorised reference is measured against: each mini-batch is a
list of ``(x, y)`` column pairs, and backpropagation runs once per example, the
gradients summed in Python and averaged for the step. Same cost (quadratic),
activation (sigmoid) and update rule as ``mlpcourse``'s ``Network``; written
for ``bench/train.py``, not part of the course.
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1.0 - s)


class PerExampleNetwork:
    """Weights w^[l] (n_l, n_{l-1}) and biases b^[l] (n_l, 1), layer 2 first."""

    def __init__(self, weights, biases):
        self.weights = [np.array(w, dtype=np.float64) for w in weights]
        self.biases = [np.array(b, dtype=np.float64) for b in biases]

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a

    def update_mini_batch(self, mini_batch, lr):
        """One step on ``mini_batch``, a list of (x, y) columns: backprop per example."""
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        for x, y in mini_batch:
            delta_w, delta_b = self.backprop(x, y)
            nabla_w = [nw + dw for nw, dw in zip(nabla_w, delta_w)]
            nabla_b = [nb + db for nb, db in zip(nabla_b, delta_b)]
        step = lr / len(mini_batch)
        self.weights = [w - step * nw for w, nw in zip(self.weights, nabla_w)]
        self.biases = [b - step * nb for b, nb in zip(self.biases, nabla_b)]

    def backprop(self, x, y):
        """The gradient of ½‖a − y‖² for one example x (n_1, 1), y (n_L, 1)."""
        activation = x
        activations = [x]
        zs = []
        for w, b in zip(self.weights, self.biases):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        nabla_w = [None] * len(self.weights)
        nabla_b = [None] * len(self.biases)
        delta = (activations[-1] - y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = delta @ activations[-2].T
        for layer in range(2, len(self.weights) + 1):
            delta = (self.weights[-layer + 1].T @ delta) * sigmoid_prime(zs[-layer])
            nabla_b[-layer] = delta
            nabla_w[-layer] = delta @ activations[-layer - 1].T
        return nabla_w, nabla_b

    def evaluate(self, pairs):
        """The fraction of (x, label) pairs whose most active output is the label."""
        return float(np.mean([np.argmax(self.feedforward(x)) == label for x, label in pairs]))
