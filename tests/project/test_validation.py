"""Bad input gets an error naming the argument, the expected and the actual shape."""

import numpy as np
import pytest

from mlpcourse.implementation import load

ref = load("reference")


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: ref.neuron.weighted_input(np.ones(3), np.ones((3, 2)), 0.0),
            r"w must .*\(any, 1\).*\(3,\)",
        ),
        (
            lambda: ref.neuron.weighted_input(np.ones((3, 1)), np.ones((2, 2)), 0.0),
            r"x must .*\(3, any\).*\(2, 2\)",
        ),
        (
            lambda: ref.neuron.weighted_input(np.ones((3, 1)), np.ones((3, 2)), np.ones(2)),
            r"b must be a number",
        ),
        (
            lambda: ref.gradient_descent.quadratic_cost(np.ones((2, 3)), np.ones((3, 2))),
            r"a and y .*\(2, 3\) and \(3, 2\)",
        ),
        (
            lambda: ref.gradient_descent.gd_step([np.ones(2)], [np.ones(2), np.ones(2)], 0.1),
            r"same length; got 1 and 2",
        ),
        (
            lambda: ref.gradient_descent.minibatches(0, 2, np.random.default_rng()),
            r"m must be a positive integer; got 0",
        ),
        (
            lambda: ref.backprop_equations.hidden_error(
                np.ones((2, 3)), np.ones((3, 4)), np.ones((3, 4)), np.tanh
            ),
            r"delta_next must .*\(2, any\).*\(3, 4\)",
        ),
        (
            lambda: ref.feedforward.feedforward(
                [np.ones((2, 3))], [np.ones((3, 1))], np.ones((3, 1)), np.tanh
            ),
            r"biases\[0\] must .*\(2, 1\).*\(3, 1\)",
        ),
        (
            lambda: ref.network.Network([3, 2]).backprop(np.ones((2, 5)), np.ones((2, 5))),
            r"x must .*\(3, any\).*\(2, 5\)",
        ),
        (
            lambda: ref.network.Network([3, 2], activation="softmax"),
            r"activation must be one of .*'softmax'",
        ),
        (lambda: ref.network.Network([3]), r"at least 2 layers"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
