"""Plausible mistakes of chapter 03 feedforward."""

from .. import bug

B = bug
BUGS = [
    B(
        "feedforward::feedforward",
        "feedforward",
        "zs, activations = [], []\na = x\nfor w, b in zip(weights, biases):\n"
        "    zs.append(w @ a + b)\n    a = g(zs[-1])\n    activations.append(a)\n"
        "return zs, activations",
        "x not in activations",
    ),
    B(
        "feedforward::feedforward",
        "feedforward",
        "zs, activations = [], [x]\nfor w, b in zip(weights, biases):\n"
        "    z = w @ activations[-1] + b\n    zs.append(g(z))\n    activations.append(g(z))\n"
        "return zs, activations",
        "stores a as z",
    ),
    B(
        "feedforward::feedforward",
        "feedforward",
        "zs, activations = [], [x]\nfor w, b in zip(weights, biases):\n"
        "    zs.append(w @ activations[-1])\n    activations.append(g(zs[-1]))\n"
        "return zs, activations",
        "biases forgotten",
    ),
    B(
        "feedforward::feedforward",
        "feedforward",
        "zs, activations = [], [x]\nfor w, b in zip(weights, biases):\n"
        "    zs.append(w @ x + b)\n    activations.append(g(zs[-1]))\nreturn zs, activations",
        "x fed to every layer",
    ),
    B(
        "feedforward::feedforward",
        "feedforward",
        "zs, activations = [], [x]\nfor w, b in zip(weights, biases):\n"
        "    zs.append(w @ activations[-1] + b)\n    activations.append(g(zs[-1]))\n"
        "return activations, zs",
        "swapped results",
    ),
    B(
        "feedforward::feedforward",
        "feedforward",
        "zs, activations = [], [x]\nfor w, b in zip(weights, biases):\n"
        "    zs.append(w @ activations[-1] + b)\n    activations.append(zs[-1])\n"
        "activations[-1] = g(zs[-1])\nreturn zs, activations",
        "g only on the output layer",
    ),
]
