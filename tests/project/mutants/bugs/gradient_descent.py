"""Plausible mistakes of chapter 04 gradient descent."""

from .. import bug

B = bug
BUGS = [
    B(
        "gradient_descent::quadratic_cost",
        "quadratic_cost",
        "return float(0.5 * np.sum((a - y) ** 2))",
        "sum",
    ),
    B(
        "gradient_descent::quadratic_cost",
        "quadratic_cost",
        "return float(np.sum((a - y) ** 2) / a.shape[1])",
        "no ½",
    ),
    B(
        "gradient_descent::quadratic_cost",
        "quadratic_cost",
        "return float(0.5 * np.mean((a - y) ** 2))",
        "mean over every entry",
    ),
    B(
        "gradient_descent::quadratic_cost_gradient",
        "quadratic_cost_gradient",
        "return (a - y) / a.shape[1]",
        "batch mean",
    ),
    B(
        "gradient_descent::quadratic_cost_gradient",
        "quadratic_cost_gradient",
        "return y - a",
        "sign",
    ),
    B(
        "gradient_descent::quadratic_cost_gradient",
        "quadratic_cost_gradient",
        "return 2 * (a - y)",
        "factor 2",
    ),
    B(
        "gradient_descent::gd_step",
        "gd_step",
        "for p, g in zip(params, grads):\n    p -= lr * g\nreturn list(params)",
        "in place",
    ),
    B(
        "gradient_descent::gd_step",
        "gd_step",
        "return [p + lr * g for p, g in zip(params, grads)]",
        "ascent",
    ),
    B(
        "gradient_descent::gd_step",
        "gd_step",
        "return [p - g for p, g in zip(params, grads)]",
        "no lr",
    ),
    B(
        "gradient_descent::minibatches",
        "minibatches",
        "order = np.arange(m)\nreturn [order[k : k + batch_size] for k in range(0, m, batch_size)]",
        "no shuffle",
    ),
    B(
        "gradient_descent::minibatches",
        "minibatches",
        "order = rng.permutation(m)\n"
        "return [order[k : k + batch_size] for k in range(0, m - batch_size + 1, batch_size)]",
        "drops the last partial batch",
    ),
    B(
        "gradient_descent::minibatches",
        "minibatches",
        "order = np.random.permutation(m)\n"
        "return [order[k : k + batch_size] for k in range(0, m, batch_size)]",
        "global random state",
    ),
    B(
        "gradient_descent::minibatches",
        "minibatches",
        "order = rng.integers(0, m, m)\n"
        "return [order[k : k + batch_size] for k in range(0, m, batch_size)]",
        "with replacement",
    ),
    B(
        "gradient_descent::minibatches",
        "minibatches",
        "order = np.random.default_rng(0).permutation(m)\n"
        "return [order[k : k + batch_size] for k in range(0, m, batch_size)]",
        "fixed seed",
    ),
]
