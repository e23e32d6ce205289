"""Plausible mistakes of chapter 02 activations."""

from .. import bug

B = bug
BUGS = [
    B("activations::sigmoid", "sigmoid", "return 1 / (1 + np.exp(-z))", "overflows for z = -1000"),
    B(
        "activations::sigmoid",
        "sigmoid",
        "return 1 / (1 + np.exp(z))",
        "wrong sign in the exponent",
    ),
    B("activations::sigmoid", "sigmoid", "return np.ravel(0.5 * (1 + np.tanh(z / 2)))", "flattens"),
    B("activations::sigmoid", "sigmoid", "return (z > 0).astype(float)", "a step, not a sigmoid"),
    B(
        "activations::sigmoid_prime",
        "sigmoid_prime",
        "s = sigmoid(sigmoid(z))\nreturn s * (1 - s)",
        "σ'(a)",
    ),
    B("activations::sigmoid_prime", "sigmoid_prime", "return z * (1 - z)", "z(1 − z)"),
    B("activations::sigmoid_prime", "sigmoid_prime", "return sigmoid(z)", "σ(z)"),
    B(
        "activations::sigmoid_prime",
        "sigmoid_prime",
        "return sigmoid(z) * (1 + sigmoid(z))",
        "sign",
    ),
    B("activations::relu", "relu", "return np.abs(z)", "absolute value"),
    B("activations::relu", "relu", "z[z < 0] = 0\nreturn z", "modifies its argument"),
    B("activations::relu", "relu", "return np.maximum(z, 0).astype(int)", "integers"),
    B("activations::relu_prime", "relu_prime", "return np.maximum(z, 0.0)", "relu, not its slope"),
    B("activations::relu_prime", "relu_prime", "return np.sign(z)", "-1 for negative z"),
    B("activations::relu_prime", "relu_prime", "return np.heaviside(z, 0.5)", "0.5 at the kink"),
    B(
        "activations::tanh",
        "tanh",
        "return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))",
        "overflow",
    ),
    B("activations::tanh", "tanh", "return np.tanh(z).T", "transposed"),
    B("activations::tanh", "tanh", "return 2 * sigmoid(z) - 1", "tanh(z/2), not tanh(z)"),
    B("activations::tanh_prime", "tanh_prime", "return 1 - z**2", "1 − z²"),
    B("activations::tanh_prime", "tanh_prime", "return 1 - np.tanh(z)", "1 − tanh"),
    B("activations::tanh_prime", "tanh_prime", "return 1 / np.cosh(z) ** 2", "cosh overflows"),
]
