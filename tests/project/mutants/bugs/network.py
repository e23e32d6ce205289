"""Plausible mistakes of chapter 06 the algorithm."""

from .. import bug

B = bug
BUGS = [
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
