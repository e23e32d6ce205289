"""Plausible mistakes of chapter 05 the four equations."""

from .. import bug

B = bug
BUGS = [
    B("backprop_equations::output_error", "output_error", "return grad_a", "missing σ'(z)"),
    B(
        "backprop_equations::output_error",
        "output_error",
        "return grad_a @ activation_prime(z).T",
        "matmul",
    ),
    B(
        "backprop_equations::output_error",
        "output_error",
        "return grad_a * activation_prime(z) / z.shape[1]",
        "divided by m",
    ),
    B(
        "backprop_equations::output_error",
        "output_error",
        "return grad_a * activation_prime(1 / (1 + np.exp(-z)))",
        "σ'(a)",
    ),
    B(
        "backprop_equations::hidden_error",
        "hidden_error",
        "return (w_next @ delta_next) * activation_prime(z)",
        "no transpose",
    ),
    B(
        "backprop_equations::hidden_error",
        "hidden_error",
        "return w_next.T @ delta_next",
        "missing σ'",
    ),
    B(
        "backprop_equations::hidden_error",
        "hidden_error",
        "return (w_next.T @ delta_next) * activation_prime(w_next.T @ delta_next)",
        "σ' of the wrong thing",
    ),
    B(
        "backprop_equations::hidden_error",
        "hidden_error",
        "return (w_next.T @ delta_next) + activation_prime(z)",
        "+ instead of ⊙",
    ),
    B(
        "backprop_equations::bias_gradient",
        "bias_gradient",
        "return np.sum(delta, axis=1, keepdims=True)",
        "sum",
    ),
    B("backprop_equations::bias_gradient", "bias_gradient", "return np.mean(delta, axis=1)", "1-d"),
    B(
        "backprop_equations::bias_gradient",
        "bias_gradient",
        "return np.mean(delta, axis=0, keepdims=True).T",
        "axis",
    ),
    B("backprop_equations::weight_gradient", "weight_gradient", "return delta @ a_prev.T", "sum"),
    B(
        "backprop_equations::weight_gradient",
        "weight_gradient",
        "return a_prev @ delta.T / delta.shape[1]",
        "transposed",
    ),
    B(
        "backprop_equations::weight_gradient",
        "weight_gradient",
        "return delta @ delta.T / delta.shape[1]",
        "δδᵀ",
    ),
]
