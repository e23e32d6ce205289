"""Plausible mistakes of chapter 01 neuron."""

from .. import bug

B = bug
BUGS = [
    B("neuron::weighted_input", "weighted_input", "return w @ x + b", "no transpose"),
    B("neuron::weighted_input", "weighted_input", "return x.T @ w + b", "(m, 1) instead of (1, m)"),
    B("neuron::weighted_input", "weighted_input", "return w.T @ x", "bias forgotten"),
    B("neuron::weighted_input", "weighted_input", "return w.T @ x - b", "threshold sign"),
    B("neuron::neuron", "neuron", "return weighted_input(w, x, b)", "g forgotten"),
    B("neuron::neuron", "neuron", "return weighted_input(w, g(x), b)", "g on the inputs"),
    B(
        "neuron::logistic_regression",
        "logistic_regression",
        "return 1 / (1 + np.exp(-(w.T @ x + b)))",
        "overflow",
    ),
    B(
        "neuron::logistic_regression",
        "logistic_regression",
        "return sigmoid(w.T @ x - b)",
        "minus b",
    ),
    B(
        "neuron::logistic_gradients",
        "logistic_gradients",
        "e = logistic_regression(w, x, b) - y\nreturn x @ e.T, float(np.sum(e))",
        "sums instead of means",
    ),
    B(
        "neuron::logistic_gradients",
        "logistic_gradients",
        "e = y - logistic_regression(w, x, b)\nreturn x @ e.T / x.shape[1], float(np.mean(e))",
        "sign",
    ),
    B(
        "neuron::logistic_gradients",
        "logistic_gradients",
        "e = logistic_regression(w, x, b) - y\nreturn e @ x.T / x.shape[1], float(np.mean(e))",
        "transposed dw",
    ),
    B(
        "neuron::logistic_gradients",
        "logistic_gradients",
        "a = logistic_regression(w, x, b)\ne = (a - y) * a * (1 - a)\n"
        "return x @ e.T / x.shape[1], float(np.mean(e))",
        "quadratic-cost gradient",
    ),
]
