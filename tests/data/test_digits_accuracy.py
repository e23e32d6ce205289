"""The reference network learns the real digits: at least 97% on a held-out 20%.

A [64, 30, 10] sigmoid network with the quadratic cost, trained by mini-batch
SGD (50 epochs, batches of 10, learning rate 2) on a seeded 80% of the 1,797
digits, classifies at least 97% of the other 20% (359 images) correctly: at
most 10 mistakes. (It makes 7-8 with these seeds.)
"""

import numpy as np
import pytest

from mlpcourse.data import load_digits, one_hot, train_test_split
from mlpcourse.implementation import load


@pytest.fixture(scope="module")
def digits():
    x, labels = load_digits()
    return train_test_split(x, labels, test_fraction=0.2, seed=0)


@pytest.mark.parametrize("seed", [0, 1])
def test_reference_reaches_97_percent_on_digits(digits, seed):
    ref = load("reference")
    x_train, labels_train, x_test, labels_test = digits
    net = ref.network.Network([64, 30, 10], activation="sigmoid", cost="quadratic", seed=seed)
    history = net.sgd(
        x_train,
        one_hot(labels_train),
        epochs=50,
        batch_size=10,
        lr=2.0,
        rng=np.random.default_rng(seed),
        test=(x_test, labels_test),
    )
    assert len(history) == 50
    assert history[-1]["cost"] < history[0]["cost"]
    accuracy = net.evaluate(x_test, labels_test)
    assert accuracy == history[-1]["accuracy"]
    assert accuracy >= 0.97, f"test accuracy {accuracy:.4f} after 50 epochs"
