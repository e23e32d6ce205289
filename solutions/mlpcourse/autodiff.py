"""Reverse-mode automatic differentiation, one number at a time: a graph of ``Value``s.

A ``Value`` holds one number ``data`` and remembers how it was made: its
``parents`` (the values it was computed from) and the operation ``op``. Every
operation builds a new node of the computational graph, and sets its local rule
``_backward``. With 𝓛 the value at the end of the graph (the loss) and
``c = f(a, b)`` a node, ``c.grad`` is ∂𝓛/∂c, and ``c._backward()`` adds the
chain rule's share of each parent,

    a.grad += ∂c/∂a · c.grad,    b.grad += ∂c/∂b · c.grad,

*adding*, because a value used by several nodes collects one term from each
(the multivariable chain rule). ``loss.backward()`` sets ∂𝓛/∂𝓛 = 1 and calls
every node's rule once, each after every node that uses it: backpropagation.

    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = a * b + a
    >>> c.backward()
    >>> a.grad, b.grad  # ∂c/∂a = b + 1, ∂c/∂b = a
    (-2.0, 2.0)
"""

import math
import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from mlpcourse.validation import require_layers, require_matrix

#: The activations ``network_gradients`` knows, each a method of ``Value``.
ACTIVATIONS = ("sigmoid", "tanh", "relu")


class Value:
    """One scalar of a computational graph.

    Attributes:
        data: the number (a float).
        grad: ∂𝓛/∂(this value), 0.0 until ``backward`` fills it in.
        parents: the ``Value``s this one was computed from (a tuple; empty for a leaf).
        op: the operation that made it ("+", "*", "exp", ...; "" for a leaf).
        _backward: its local rule, a function of no argument that adds
            ∂self/∂p · self.grad into each parent p's ``grad`` (nothing, for a leaf).
    """

    def __init__(self, data: float, parents: Sequence["Value"] = (), op: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.op = op
        self._backward = lambda: None  # a leaf has no parent to pass anything to

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}, op={self.op!r})"

    # ---- the operations: each returns a new node and sets its local rule ------------------

    def __add__(self, other: "Value | float") -> "Value":
        """c = a + b. Local rule: ∂c/∂a = ∂c/∂b = 1, so add distributes:

        a.grad += c.grad,    b.grad += c.grad.
        """
        other = other if isinstance(other, Value) else Value(other)
        ### BEGIN SOLUTION
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __mul__(self, other: "Value | float") -> "Value":
        """c = a · b. Local rule: ∂c/∂a = b and ∂c/∂b = a, so multiply swaps:

        a.grad += b · c.grad,    b.grad += a · c.grad.
        """
        other = other if isinstance(other, Value) else Value(other)
        ### BEGIN SOLUTION
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def __pow__(self, n: float) -> "Value":
        """c = aⁿ for a number n (not a Value). Local rule: ∂c/∂a = n aⁿ⁻¹:

        a.grad += n · aⁿ⁻¹ · c.grad.
        """
        if isinstance(n, Value) or not isinstance(n, numbers.Real):
            raise TypeError(f"the exponent must be a number (int or float); got {type(n).__name__}")
        ### BEGIN SOLUTION
        out = Value(self.data**n, (self,), f"**{n:g}")

        def _backward():
            self.grad += n * self.data ** (n - 1) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def exp(self) -> "Value":
        """c = eᵃ. Local rule: ∂c/∂a = eᵃ, which is c itself:

        a.grad += c · c.grad.
        """
        ### BEGIN SOLUTION
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def log(self) -> "Value":
        """c = ln a, for a > 0. Local rule: ∂c/∂a = 1/a:

        a.grad += c.grad / a.
        """
        ### BEGIN SOLUTION
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += out.grad / self.data

        out._backward = _backward
        return out
        ### END SOLUTION

    def sigmoid(self) -> "Value":
        """c = σ(a) = 1 / (1 + e⁻ᵃ). Local rule: ∂c/∂a = σ(a)(1 − σ(a)) = c (1 − c):

            a.grad += c (1 − c) · c.grad.

        Hint: ``math.exp(-a)`` overflows (OverflowError) for a ≈ −1000: take
        σ(a) = eᵃ / (1 + eᵃ) for a < 0, as in chapter 02.
        """
        ### BEGIN SOLUTION
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            e = math.exp(self.data)
            s = e / (1.0 + e)
        out = Value(s, (self,), "σ")

        def _backward():
            self.grad += out.data * (1.0 - out.data) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def tanh(self) -> "Value":
        """c = tanh a. Local rule: ∂c/∂a = 1 − tanh² a = 1 − c²:

        a.grad += (1 − c²) · c.grad.
        """
        ### BEGIN SOLUTION
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1.0 - out.data**2) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    def relu(self) -> "Value":
        """c = max(a, 0). Local rule: ∂c/∂a = 1 for a > 0 and 0 for a < 0, so max routes:

            a.grad += c.grad if a > 0 (and nothing if a < 0).

        At the kink a = 0 either 0 or 1 is accepted.
        """
        ### BEGIN SOLUTION
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad

        out._backward = _backward
        return out
        ### END SOLUTION

    # ---- given: the other operations, written through the ones above ---------------------

    def __neg__(self) -> "Value":  # −a = a · (−1)
        return self * -1.0

    def __sub__(self, other: "Value | float") -> "Value":  # a − b = a + (−b)
        return self + (-other)

    def __truediv__(self, other: "Value | float") -> "Value":  # a / b = a · b⁻¹
        return self * other**-1

    def __radd__(self, other: float) -> "Value":  # 2 + a
        return self + other

    def __rmul__(self, other: float) -> "Value":  # 2 · a
        return self * other

    def __rsub__(self, other: float) -> "Value":  # 2 − a
        return other + (-self)

    def __rtruediv__(self, other: float) -> "Value":  # 2 / a
        return other * self**-1

    # ---- the reverse sweep ----------------------------------------------------------------

    def backward(self) -> None:
        """Fill in ∂self/∂v as ``v.grad`` for every value v that self depends on.

        1. Sort the graph: every value reachable through ``parents``, each
           once, in a topological order (each value after its parents). Use
           a loop and a list as a stack, not recursion: a chain of 10,000
           values must work.
        2. Seed: ``self.grad = 1.0`` (∂self/∂self = 1).
        3. Sweep: call each value's ``_backward()`` in the reverse order, so
           that a value passes its gradient on only once every value that
           uses it has added its share.

        Call it once, on a graph whose gradients are all 0.0.
        """
        ### BEGIN SOLUTION
        order: list[Value] = []
        visited = {self}
        stack = [(self, iter(self.parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited:
                    visited.add(parent)
                    stack.append((parent, iter(parent.parents)))
                    break
            else:  # every parent is in the order: the node comes after them
                stack.pop()
                order.append(node)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        ### END SOLUTION


def network_gradients(
    weights: Sequence[NDArray],
    biases: Sequence[NDArray],
    x: NDArray,
    y: NDArray,
    activation: str = "sigmoid",
) -> tuple[list[NDArray[np.float64]], list[NDArray[np.float64]]]:
    """The gradients of the batch cost, by building it out of ``Value``s and calling backward.

    Make one ``Value`` per weight and bias, then for each example (column)
    i of x compute, one number at a time,

        z^[l]_j = Σ_k w^[l]_jk a^[l-1]_k + b^[l]_j,    a^[l]_j = g(z^[l]_j),

    from a^[1] = x_i, with g the method named by ``activation`` ("sigmoid",
    "tanh" or "relu"), and the loss of the batch

        𝓛 = (1/m) Σ_i ½ ‖a^[L]_i − y_i‖².

    Then ``backward()`` from 𝓛 and read each weight's and bias's ``grad``.
    Returns ``(grad_w, grad_b)``: lists of float64 arrays shaped like
    ``weights`` and ``biases``, the same numbers as ``Network.backprop``.
    """
    require_layers(weights, biases, x)
    require_matrix("y", y, rows=weights[-1].shape[0], cols=x.shape[1])
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}; got {activation!r}")
    ### BEGIN SOLUTION
    w = [[[Value(v) for v in row] for row in layer.tolist()] for layer in weights]
    b = [[Value(row[0]) for row in layer.tolist()] for layer in biases]
    m = x.shape[1]
    total = Value(0.0)
    for i in range(m):
        a = x[:, i].tolist()
        for w_l, b_l in zip(w, b):
            z = [sum((w_jk * a_k for w_jk, a_k in zip(row, a)), b_j) for row, b_j in zip(w_l, b_l)]
            a = [getattr(z_j, activation)() for z_j in z]
        total = total + 0.5 * sum((a_j - y_j) ** 2 for a_j, y_j in zip(a, y[:, i].tolist()))
    loss = total / m
    loss.backward()
    grad_w = [np.array([[v.grad for v in row] for row in layer]) for layer in w]
    grad_b = [np.array([[v.grad] for v in layer]) for layer in b]
    return grad_w, grad_b
    ### END SOLUTION
