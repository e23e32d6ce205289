"""Plausible mistakes: each must lose the points of its own check, and only those."""

from . import bug

B = bug
BUGS = [
    # 02 activations
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
    # 01 neuron
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
    # 03 feedforward
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
    # 04 gradient descent
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
    # 05 the four equations
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
    # 06 the algorithm
    B(
        "network::backprop",
        "Network.backprop",
        """
        zs, activations = feedforward(self.weights, self.biases, x, self.activation)
        grad_w = [None] * len(self.weights)
        grad_b = [None] * len(self.biases)
        delta = output_error(self.cost_gradient(activations[-1], y), zs[-1], self.activation_prime)
        for i in reversed(range(len(self.weights))):
            if i < len(self.weights) - 1:
                delta = hidden_error(self.weights[i + 1], delta, activations[i + 1], self.activation_prime)
            grad_w[i] = weight_gradient(delta, activations[i])
            grad_b[i] = bias_gradient(delta)
        return grad_w, grad_b
        """,
        "σ'(a) instead of σ'(z) in hidden layers",
    ),
    B(
        "network::backprop",
        "Network.backprop",
        """
        zs, activations = feedforward(self.weights, self.biases, x, self.activation)
        grad_w = [None] * len(self.weights)
        grad_b = [None] * len(self.biases)
        delta = output_error(self.cost_gradient(activations[-1], y), zs[-1], self.activation_prime)
        for i in reversed(range(len(self.weights))):
            if i < len(self.weights) - 1:
                delta = hidden_error(self.weights[i + 1], delta, zs[i], self.activation_prime)
            grad_w[i] = weight_gradient(delta, activations[i + 1])
            grad_b[i] = bias_gradient(delta)
        return grad_w, grad_b
        """,
        "a of the same layer instead of the previous one",
    ),
    B(
        "network::backprop",
        "Network.backprop",
        """
        zs, activations = feedforward(self.weights, self.biases, x, self.activation)
        grad_w = [None] * len(self.weights)
        grad_b = [None] * len(self.biases)
        delta = output_error(self.cost_gradient(activations[-1], y), zs[-1], self.activation_prime)
        for i in reversed(range(len(self.weights))):
            if i < len(self.weights) - 1:
                delta = hidden_error(self.weights[i + 1], delta, zs[i], self.activation_prime)
            grad_w[i] = weight_gradient(delta, activations[i]) * x.shape[1]
            grad_b[i] = bias_gradient(delta) * x.shape[1]
        return grad_w, grad_b
        """,
        "sums instead of means",
    ),
    B(
        "network::backprop",
        "Network.backprop",
        """
        zs, activations = feedforward(self.weights, self.biases, x, self.activation)
        output = output_error(self.cost_gradient(activations[-1], y), zs[-1], self.activation_prime)
        grad_w = [weight_gradient(output, a) if a.shape[0] == self.sizes[-2] else
                  np.zeros((self.sizes[i + 1], self.sizes[i]))
                  for i, a in enumerate(activations[:-1])]
        grad_b = [bias_gradient(output) if i == len(self.weights) - 1 else
                  np.zeros((self.sizes[i + 1], 1)) for i in range(len(self.weights))]
        return grad_w, grad_b
        """,
        "only the output layer",
    ),
    B(
        "network::backprop",
        "Network.backprop",
        """
        params = [*self.weights, *self.biases]
        grads = []
        h = 1e-6
        for p in params:
            g = np.zeros_like(p)
            for index in np.ndindex(p.shape):
                old = p[index]
                p[index] = old + h
                plus = self.cost(self.feedforward(x), y)
                p[index] = old - h
                minus = self.cost(self.feedforward(x), y)
                p[index] = old
                g[index] = (plus - minus) / (2 * h)
            grads.append(g)
        return grads[: len(self.weights)], grads[len(self.weights) :]
        """,
        "finite differences, not backpropagation",
    ),
    B(
        "network::update_mini_batch",
        "Network.update_mini_batch",
        "grad_w, grad_b = self.backprop(x, y)\n"
        "self.weights = gd_step(self.weights, grad_w, -lr)\nself.biases = gd_step(self.biases, grad_b, -lr)",
        "ascent",
    ),
    B(
        "network::update_mini_batch",
        "Network.update_mini_batch",
        """
        params = [p.copy() for p in [*self.weights, *self.biases]]
        steps = []
        for p in params:
            g = np.zeros_like(p)
            for index in np.ndindex(p.shape):
                old = p[index]
                p[index] = old + 1e-6
                self.weights, self.biases = params[: len(self.weights)], params[len(self.weights) :]
                plus = self.cost(self.feedforward(x), y)
                p[index] = old - 1e-6
                minus = self.cost(self.feedforward(x), y)
                p[index] = old
                g[index] = (plus - minus) / 2e-6
            steps.append(p - lr * g)
        self.weights, self.biases = steps[: len(self.weights)], steps[len(self.weights) :]
        """,
        "finite differences, not backpropagation",
    ),
    B(
        "network::update_mini_batch",
        "Network.update_mini_batch",
        """
        a = x
        for w, b in zip(self.weights, self.biases):
            a = self.activation(w @ a + b)
        params = [*self.weights, *self.biases]
        self.weights = [w - lr * 1e-3 * np.sign(w) for w in self.weights]
        self.biases = [b - lr * 1e-3 * np.sign(b) for b in self.biases]
        """,
        "a step that is not the gradient",
    ),
    B(
        "network::update_mini_batch",
        "Network.update_mini_batch",
        "grad_w, grad_b = self.backprop(x, y)\nm = x.shape[1]\n"
        "self.weights = gd_step(self.weights, grad_w, lr / m)\nself.biases = gd_step(self.biases, grad_b, lr / m)",
        "divides by m again",
    ),
    B(
        "network::update_mini_batch",
        "Network.update_mini_batch",
        "grad_w, grad_b = self.backprop(x, y)\nself.weights = gd_step(self.weights, grad_w, lr)",
        "biases never updated",
    ),
    B(
        "network::update_mini_batch",
        "Network.update_mini_batch",
        "grad_w, grad_b = self.backprop(x, y)\n"
        "self.weights = gd_step(self.weights, grad_b, lr)\nself.biases = gd_step(self.biases, grad_w, lr)",
        "swapped gradients",
    ),
    B(
        "network::sgd",
        "Network.sgd",
        "m = x.shape[1]\nbatches = minibatches(m, batch_size, rng)\nfor epoch in range(1, epochs + 1):\n"
        "    for batch in batches:\n        self.update_mini_batch(x[:, batch], y[:, batch], lr)\n"
        "    history.append(self.epoch_record(epoch, x, y, test))",
        "shuffles once",
    ),
    B(
        "network::sgd",
        "Network.sgd",
        "m = x.shape[1]\nfor epoch in range(1, epochs + 1):\n"
        "    for batch in minibatches(m, batch_size, np.random.default_rng()):\n"
        "        self.update_mini_batch(x[:, batch], y[:, batch], lr)\n"
        "    history.append(self.epoch_record(epoch, x, y, test))",
        "ignores rng",
    ),
    B(
        "network::sgd",
        "Network.sgd",
        "m = x.shape[1]\nfor epoch in range(1, epochs + 1):\n"
        "    for batch in minibatches(m, batch_size, rng):\n"
        "        if len(batch) == batch_size:\n"
        "            self.update_mini_batch(x[:, batch], y[:, batch], lr)\n"
        "    history.append(self.epoch_record(epoch, x, y, test))",
        "drops the last partial batch",
    ),
    B(
        "network::sgd",
        "Network.sgd",
        "m = x.shape[1]\nfor epoch in range(1, epochs + 1):\n"
        "    for k in range(0, m, batch_size):\n"
        "        self.update_mini_batch(x[:, k : k + batch_size], y[:, k : k + batch_size], lr)\n"
        "    history.append(self.epoch_record(epoch, x, y, test))",
        "no shuffle",
    ),
    B(
        "network::sgd",
        "Network.sgd",
        "m = x.shape[1]\nfor epoch in range(1, epochs + 1):\n"
        "    for batch in minibatches(m, batch_size, rng):\n"
        "        self.update_mini_batch(x[:, batch], y[:, : len(batch)], lr)\n"
        "    history.append(self.epoch_record(epoch, x, y, test))",
        "y not shuffled with x",
    ),
    B(
        "network::sgd",
        "Network.sgd",
        "m = x.shape[1]\nfor epoch in range(1, epochs + 1):\n"
        "    for batch in minibatches(m, batch_size, rng):\n"
        "        self.update_mini_batch(x[:, batch], y[:, batch], lr)\n"
        "history.append(self.epoch_record(epochs, x, y, test))",
        "one record in all",
    ),
]
# 07 automatic differentiation: each Value operation, backward, network_gradients
AD = [
    B(
        "autodiff::add",
        "Value.__add__",
        """
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad = out.grad
            other.grad = out.grad

        out._backward = _backward
        return out
        """,
        "overwritten, not accumulated",
    ),
    B(
        "autodiff::add",
        "Value.__add__",
        """
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0
            other.grad += 1.0

        out._backward = _backward
        return out
        """,
        "not multiplied by out.grad",
    ),
    B(
        "autodiff::add",
        "Value.__add__",
        """
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad

        out._backward = _backward
        return out
        """,
        "second operand forgotten",
    ),
    B(
        "autodiff::add",
        "Value.__add__",
        """
        out = Value(self.data + other.data)

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out
        """,
        "no parents",
    ),
    B(
        "autodiff::mul",
        "Value.__mul__",
        """
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += self.data * out.grad
            other.grad += other.data * out.grad

        out._backward = _backward
        return out
        """,
        "factors not swapped",
    ),
    B(
        "autodiff::mul",
        "Value.__mul__",
        """
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            a, b = self.grad, other.grad
            self.grad = a + other.data * out.grad
            other.grad = b + self.data * out.grad

        out._backward = _backward
        return out
        """,
        "a value used twice: the second update replaces the first",
    ),
    B(
        "autodiff::pow",
        "Value.__pow__",
        """
        out = Value(self.data**n, (self,), f"**{n}")

        def _backward():
            self.grad += n * self.data**n * out.grad

        out._backward = _backward
        return out
        """,
        "n·x^n",
    ),
    B(
        "autodiff::pow",
        "Value.__pow__",
        """
        out = Value(self.data**n, (self,), f"**{n}")

        def _backward():
            self.grad += self.data ** (n - 1) * out.grad

        out._backward = _backward
        return out
        """,
        "the factor n missing",
    ),
    B(
        "autodiff::exp",
        "Value.exp",
        """
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += self.data * out.grad

        out._backward = _backward
        return out
        """,
        "a instead of e^a",
    ),
    B(
        "autodiff::exp",
        "Value.exp",
        """
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.grad

        out._backward = _backward
        return out
        """,
        "the local derivative missing",
    ),
    B(
        "autodiff::log",
        "Value.log",
        """
        out = Value(math.log(self.data), (self,), "log")

        def _backward():
            self.grad += self.data * out.grad

        out._backward = _backward
        return out
        """,
        "a instead of 1/a",
    ),
    B(
        "autodiff::sigmoid",
        "Value.sigmoid",
        """
        out = Value(1 / (1 + math.exp(-self.data)), (self,), "σ")

        def _backward():
            self.grad += out.data * (1 - out.data) * out.grad

        out._backward = _backward
        return out
        """,
        "overflows for a = -1000",
    ),
    B(
        "autodiff::sigmoid",
        "Value.sigmoid",
        """
        s = 0.5 * (1 + math.tanh(0.5 * self.data))
        out = Value(s, (self,), "σ")

        def _backward():
            self.grad += self.data * (1 - self.data) * out.grad

        out._backward = _backward
        return out
        """,
        "a(1 − a)",
    ),
    B(
        "autodiff::sigmoid",
        "Value.sigmoid",
        """
        def s(t):
            return 0.5 * (1 + math.tanh(0.5 * t))

        out = Value(s(self.data), (self,), "σ")

        def _backward():
            self.grad += s(out.data) * (1 - s(out.data)) * out.grad

        out._backward = _backward
        return out
        """,
        "σ' at σ(a)",
    ),
    B(
        "autodiff::tanh",
        "Value.tanh",
        """
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1 - out.data) * out.grad

        out._backward = _backward
        return out
        """,
        "1 − tanh",
    ),
    B(
        "autodiff::tanh",
        "Value.tanh",
        """
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1 - self.data**2) * out.grad

        out._backward = _backward
        return out
        """,
        "1 − a²",
    ),
    B(
        "autodiff::relu",
        "Value.relu",
        """
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out
        """,
        "relu(a), not its slope",
    ),
    B(
        "autodiff::relu",
        "Value.relu",
        """
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward():
            self.grad += 1.0 if self.data > 0 else 0.0

        out._backward = _backward
        return out
        """,
        "not multiplied by out.grad",
    ),
    B(
        "autodiff::backward",
        "Value.backward",
        """
        order, visited, stack = [], {self}, [(self, iter(self.parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited:
                    visited.add(parent)
                    stack.append((parent, iter(parent.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
        for node in reversed(order):
            node._backward()
        """,
        "seed missing",
    ),
    B(
        "autodiff::backward",
        "Value.backward",
        """
        order, visited, stack = [], {self}, [(self, iter(self.parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited:
                    visited.add(parent)
                    stack.append((parent, iter(parent.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
        for node in reversed(order):
            node._backward()
        self.grad = 1.0
        """,
        "seed after the sweep",
    ),
    B(
        "autodiff::backward",
        "Value.backward",
        """
        order = []

        def visit(node):
            for parent in node.parents:
                visit(parent)
            order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        """,
        "no visited set: a node visited twice",
    ),
    B(
        "autodiff::backward",
        "Value.backward",
        """
        order, visited = [], set()

        def visit(node):
            if node not in visited:
                visited.add(node)
                for parent in node.parents:
                    visit(parent)
                order.append(node)

        visit(self)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        """,
        "recursion",
    ),
    B(
        "autodiff::backward",
        "Value.backward",
        """
        order, visited, stack = [], {self}, [(self, iter(self.parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited:
                    visited.add(parent)
                    stack.append((parent, iter(parent.parents)))
                    break
            else:
                stack.pop()
                order.append(node)
        self.grad = 1.0
        for node in order:
            node._backward()
        """,
        "topological order, not reversed",
    ),
    B(
        "autodiff::backward",
        "Value.backward",
        """
        order, visited, queue = [], {self}, [self]
        while queue:
            node = queue.pop(0)
            order.append(node)
            for parent in node.parents:
                if parent not in visited:
                    visited.add(parent)
                    queue.append(parent)
        self.grad = 1.0
        for node in order:
            node._backward()
        """,
        "breadth-first order: a node visited before its children",
    ),
    B(
        "autodiff::network_gradients",
        "network_gradients",
        """
        w = [[[Value(v) for v in row] for row in layer.tolist()] for layer in weights]
        b = [[Value(row[0]) for row in layer.tolist()] for layer in biases]
        loss = Value(0.0)
        for i in range(x.shape[1]):
            a = x[:, i].tolist()
            for w_l, b_l in zip(w, b):
                z = [sum((w_jk * a_k for w_jk, a_k in zip(row, a)), b_j) for row, b_j in zip(w_l, b_l)]
                a = [getattr(z_j, activation)() for z_j in z]
            loss = loss + 0.5 * sum((a_j - y_j) ** 2 for a_j, y_j in zip(a, y[:, i].tolist()))
        loss.backward()
        return [np.array([[v.grad for v in row] for row in layer]) for layer in w], [
            np.array([[v.grad] for v in layer]) for layer in b
        ]
        """,
        "sum instead of mean",
    ),
    B(
        "autodiff::network_gradients",
        "network_gradients",
        """
        w = [[[Value(v) for v in row] for row in layer.tolist()] for layer in weights]
        b = [[Value(row[0]) for row in layer.tolist()] for layer in biases]
        loss = Value(0.0)
        for i in range(x.shape[1]):
            a = x[:, i].tolist()
            for w_l, b_l in zip(w, b):
                z = [sum((w_jk * a_k for w_jk, a_k in zip(row, a)), b_j) for row, b_j in zip(w_l, b_l)]
                a = [getattr(z_j, activation)() for z_j in z]
            loss = loss + sum((a_j - y_j) ** 2 for a_j, y_j in zip(a, y[:, i].tolist()))
        loss = loss / x.shape[1]
        loss.backward()
        return [np.array([[v.grad for v in row] for row in layer]) for layer in w], [
            np.array([[v.grad] for v in layer]) for layer in b
        ]
        """,
        "the ½ missing",
    ),
    B(
        "autodiff::network_gradients",
        "network_gradients",
        """
        w = [[[Value(v) for v in row] for row in layer.tolist()] for layer in weights]
        b = [[Value(row[0]) for row in layer.tolist()] for layer in biases]
        loss = Value(0.0)
        for i in range(x.shape[1]):
            a = x[:, i].tolist()
            for w_l, b_l in zip(w, b):
                z = [sum((w_jk * a_k for w_jk, a_k in zip(row, a)), b_j) for row, b_j in zip(w_l, b_l)]
                a = [z_j.sigmoid() for z_j in z]
            loss = loss + 0.5 * sum((a_j - y_j) ** 2 for a_j, y_j in zip(a, y[:, i].tolist()))
        loss = loss / x.shape[1]
        loss.backward()
        return [np.array([[v.grad for v in row] for row in layer]) for layer in w], [
            np.array([[v.grad] for v in layer]) for layer in b
        ]
        """,
        "activation ignored",
    ),
    B(
        "autodiff::network_gradients",
        "network_gradients",
        """
        w = [np.array([[Value(v) for v in row] for row in layer.tolist()]) for layer in weights]
        b = [np.array([[Value(row[0])] for row in layer.tolist()]) for layer in biases]
        loss = Value(0.0)
        for i in range(x.shape[1]):
            a = x[:, i : i + 1]
            for w_l, b_l in zip(w, b):
                a = np.vectorize(lambda v: getattr(v, activation)())(w_l @ a + b_l)
            loss = loss + 0.5 * sum(((a - y[:, i : i + 1]) ** 2).ravel())
        loss = loss / x.shape[1]
        loss.backward()
        return w, b
        """,
        "the Values returned, not their gradients",
    ),
]
BUGS += AD
