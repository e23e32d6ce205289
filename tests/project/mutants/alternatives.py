"""Correct ways to write each function: each must get full points."""

from . import alternative

A = alternative
ALTERNATIVES = [
    A("activations::sigmoid", "sigmoid", "return 0.5 * (1.0 + np.tanh(0.5 * z))", "through tanh"),
    A(
        "activations::sigmoid",
        "sigmoid",
        "return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))",
        "clipped",
    ),
    A("activations::sigmoid", "sigmoid", "return np.exp(-np.logaddexp(0.0, -z))", "logaddexp"),
    A(
        "activations::sigmoid",
        "sigmoid",
        "out = np.empty_like(z)\npos = z >= 0\nout[pos] = 1 / (1 + np.exp(-z[pos]))\n"
        "e = np.exp(z[~pos])\nout[~pos] = e / (1 + e)\nreturn out",
        "masks",
    ),
    A(
        "activations::sigmoid_prime",
        "sigmoid_prime",
        "e = np.exp(-np.abs(z))\nreturn e / (1 + e) ** 2",
        "exp",
    ),
    A(
        "activations::sigmoid_prime",
        "sigmoid_prime",
        "return sigmoid(z) * sigmoid(-z)",
        "σ(z)σ(−z)",
    ),
    A("activations::relu", "relu", "return np.where(z > 0, z, 0.0)", "where"),
    A("activations::relu", "relu", "return z * (z > 0)", "mask product"),
    A("activations::relu_prime", "relu_prime", "return (z >= 0).astype(float)", "1 at the kink"),
    A("activations::relu_prime", "relu_prime", "return np.heaviside(z, 1.0)", "heaviside"),
    A("activations::tanh", "tanh", "return 2 * sigmoid(2 * z) - 1", "through sigmoid"),
    A(
        "activations::tanh_prime",
        "tanh_prime",
        "return 1.0 / np.cosh(np.clip(z, -300, 300)) ** 2",
        "sech²",
    ),
    A("activations::tanh_prime", "tanh_prime", "t = tanh(z)\nreturn (1 - t) * (1 + t)", "factored"),
    A(
        "neuron::weighted_input",
        "weighted_input",
        'return np.einsum("ni,nm->im", w, x) + b',
        "einsum",
    ),
    A(
        "neuron::weighted_input",
        "weighted_input",
        "z = np.zeros((1, x.shape[1]))\nfor i in range(x.shape[1]):\n"
        "    for k in range(x.shape[0]):\n        z[0, i] += w[k, 0] * x[k, i]\n    z[0, i] += b\nreturn z",
        "loops",
    ),
    A("neuron::neuron", "neuron", "z = w.T @ x + b\nreturn g(z)", "inline"),
    A(
        "neuron::logistic_regression",
        "logistic_regression",
        "return sigmoid(weighted_input(w, x, b))",
        "composed",
    ),
    A(
        "neuron::logistic_gradients",
        "logistic_gradients",
        "n, m = x.shape\ndw = np.zeros((n, 1))\ndb = 0.0\nfor i in range(m):\n"
        "    a = sigmoid(w[:, 0] @ x[:, i] + b)\n    dw[:, 0] += (a - y[0, i]) * x[:, i] / m\n"
        "    db += (a - y[0, i]) / m\nreturn dw, db",
        "per-example loop",
    ),
    A(
        "neuron::logistic_gradients",
        "logistic_gradients",
        "e = logistic_regression(w, x, b) - y\nreturn np.mean(x * e, axis=1, keepdims=True), "
        "np.mean(e, axis=1, keepdims=True)",
        "broadcast means, db as (1, 1)",
    ),
    A(
        "feedforward::feedforward",
        "feedforward",
        "zs, activations = [], [x]\nfor l in range(len(weights)):\n"
        '    zs.append(np.einsum("jk,km->jm", weights[l], activations[l]) + biases[l])\n'
        "    activations.append(g(zs[l]))\nreturn zs, activations",
        "indices and einsum",
    ),
    A(
        "gradient_descent::quadratic_cost",
        "quadratic_cost",
        "return float(np.mean(0.5 * np.sum((a - y) ** 2, axis=0)))",
        "mean of per-example costs",
    ),
    A(
        "gradient_descent::quadratic_cost",
        "quadratic_cost",
        "return 0.5 * np.linalg.norm(a - y) ** 2 / a.shape[1]",
        "norm",
    ),
    A(
        "gradient_descent::gd_step",
        "gd_step",
        "new = []\nfor p, g in zip(params, grads):\n    new.append(p - lr * g)\nreturn new",
        "loop",
    ),
    A(
        "gradient_descent::minibatches",
        "minibatches",
        "order = np.arange(m)\nrng.shuffle(order)\nreturn [order[k : k + batch_size] for k in range(0, m, batch_size)]",
        "shuffle in place",
    ),
    A(
        "gradient_descent::minibatches",
        "minibatches",
        "order = rng.choice(m, size=m, replace=False)\n"
        "return np.split(order, range(batch_size, m, batch_size))",
        "choice and split",
    ),
    A(
        "backprop_equations::output_error",
        "output_error",
        "return np.multiply(grad_a, activation_prime(z))",
        "multiply",
    ),
    A(
        "backprop_equations::hidden_error",
        "hidden_error",
        'return np.einsum("kj,km->jm", w_next, delta_next) * activation_prime(z)',
        "einsum",
    ),
    A(
        "backprop_equations::bias_gradient",
        "bias_gradient",
        "return delta.sum(axis=1).reshape(-1, 1) / delta.shape[1]",
        "sum and reshape",
    ),
    A(
        "backprop_equations::weight_gradient",
        "weight_gradient",
        "m = delta.shape[1]\nreturn sum(np.outer(delta[:, i], a_prev[:, i]) for i in range(m)) / m",
        "outer products",
    ),
    A(
        "backprop_equations::weight_gradient",
        "weight_gradient",
        'return np.einsum("jm,km->jk", delta, a_prev) / delta.shape[1]',
        "einsum",
    ),
    A(
        "network::backprop",
        "Network.backprop",
        """
        m = x.shape[1]
        grad_w = [np.zeros(w.shape) for w in self.weights]
        grad_b = [np.zeros(b.shape) for b in self.biases]
        for i in range(m):
            xi, yi = x[:, i : i + 1], y[:, i : i + 1]
            zs, activations = feedforward(self.weights, self.biases, xi, self.activation)
            delta = output_error(self.cost_gradient(activations[-1], yi), zs[-1], self.activation_prime)
            grad_w[-1] += delta @ activations[-2].T / m
            grad_b[-1] += delta / m
            for l in range(2, len(self.sizes)):
                delta = hidden_error(self.weights[-l + 1], delta, zs[-l], self.activation_prime)
                grad_w[-l] += delta @ activations[-l - 1].T / m
                grad_b[-l] += delta / m
        return grad_w, grad_b
        """,
        "per-example loop, Nielsen's negative indices",
    ),
    A(
        "network::backprop",
        "Network.backprop",
        """
        a, zs, activations = x, [], [x]
        for w, b in zip(self.weights, self.biases):
            zs.append(w @ a + b)
            a = self.activation(zs[-1])
            activations.append(a)
        delta = (a - y) * self.activation_prime(zs[-1])
        grad_w, grad_b = [], []
        for l in range(len(self.weights) - 1, -1, -1):
            grad_w.insert(0, delta @ activations[l].T / x.shape[1])
            grad_b.insert(0, delta.mean(axis=1, keepdims=True))
            if l > 0:
                delta = (self.weights[l].T @ delta) * self.activation_prime(zs[l - 1])
        return grad_w, grad_b
        """,
        "everything inline",
    ),
    A(
        "network::update_mini_batch",
        "Network.update_mini_batch",
        "grad_w, grad_b = self.backprop(x, y)\n"
        "self.weights = [w - lr * g for w, g in zip(self.weights, grad_w)]\n"
        "self.biases = [b - lr * g for b, g in zip(self.biases, grad_b)]",
        "comprehensions",
    ),
    A(
        "network::sgd",
        "Network.sgd",
        "for epoch in range(epochs):\n    batches = minibatches(x.shape[1], batch_size, rng)\n"
        "    for k in range(len(batches)):\n"
        "        self.update_mini_batch(x[:, batches[k]], y[:, batches[k]], lr)\n"
        "    history.append(self.epoch_record(epoch + 1, x, y, test))",
        "index loop",
    ),
    # Absolute imports of the package inside a student module resolve to the student's
    # code (or the grader's stand-ins), never to the installed stubs.
    A(
        "activations::sigmoid_prime",
        "sigmoid_prime",
        "from mlpcourse.activations import sigmoid as s\nreturn s(z) * (1 - s(z))",
        "absolute from-import",
    ),
    A(
        "activations::tanh_prime",
        "tanh_prime",
        "import mlpcourse.activations as act\nreturn 1 - act.tanh(z) ** 2",
        "import mlpcourse.x as y",
    ),
    A(
        "activations::relu_prime",
        "relu_prime",
        "from mlpcourse import activations\nreturn (activations.relu(z) > 0).astype(float)",
        "from mlpcourse import module",
    ),
    A(
        "neuron::logistic_regression",
        "logistic_regression",
        "from mlpcourse.activations import sigmoid as g\nfrom mlpcourse.neuron import weighted_input as z\nreturn g(z(w, x, b))",
        "absolute imports of two modules",
    ),
    A(
        "network::update_mini_batch",
        "Network.update_mini_batch",
        "import mlpcourse.gradient_descent as gd\ngrad_w, grad_b = self.backprop(x, y)\nself.weights = gd.gd_step(self.weights, grad_w, lr)\nself.biases = gd.gd_step(self.biases, grad_b, lr)",
        "absolute import of gd_step",
    ),
    A(
        "network::backprop",
        "Network.backprop",
        "import mlpcourse.backprop_equations as bp\nfrom mlpcourse.feedforward import feedforward as forward\nzs, acts = forward(self.weights, self.biases, x, self.activation)\ndelta = bp.output_error(self.cost_gradient(acts[-1], y), zs[-1], self.activation_prime)\ngw, gb = [], []\nfor i in reversed(range(len(self.weights))):\n    if i < len(self.weights) - 1:\n        delta = bp.hidden_error(self.weights[i + 1], delta, zs[i], self.activation_prime)\n    gw.insert(0, bp.weight_gradient(delta, acts[i]))\n    gb.insert(0, bp.bias_gradient(delta))\nreturn gw, gb",
        "absolute imports of the BP equations",
    ),
]
# 07 automatic differentiation
ALTERNATIVES += [
    A(
        "autodiff::add",
        "Value.__add__",
        """
        out = Value(self.data + other.data, (self, other), "add")

        def _backward():
            self.grad = self.grad + 1.0 * out.grad
            other.grad = other.grad + 1.0 * out.grad

        out._backward = _backward
        return out
        """,
        "explicit sums",
    ),
    A(
        "autodiff::pow",
        "Value.__pow__",
        """
        out = Value(math.pow(self.data, n), [self], "pow")
        out._backward = lambda: setattr(
            self, "grad", self.grad + n * math.pow(self.data, n - 1) * out.grad
        )
        return out
        """,
        "math.pow, a lambda, parents as a list",
    ),
    A(
        "autodiff::sigmoid",
        "Value.sigmoid",
        """
        out = Value(0.5 * (1.0 + math.tanh(0.5 * self.data)), (self,), "sigmoid")

        def _backward():
            s = out.data
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out
        """,
        "through tanh",
    ),
    A(
        "autodiff::tanh",
        "Value.tanh",
        """
        x = self.data
        e = math.exp(-2 * abs(x))
        t = math.copysign((1 - e) / (1 + e), x)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out
        """,
        "through e^(-2|a|)",
    ),
    A(
        "autodiff::relu",
        "Value.relu",
        """
        out = Value(self.data if self.data > 0 else 0.0, (self,), "ReLU")

        def _backward():
            if out.data > 0:
                self.grad += out.grad

        out._backward = _backward
        return out
        """,
        "routes through an if",
    ),
    A(
        "autodiff::backward",
        "Value.backward",
        """
        users, seen, todo = {}, {self}, [self]
        while todo:
            node = todo.pop()
            for parent in node.parents:
                users[parent] = users.get(parent, 0) + 1
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        self.grad = 1.0
        ready = [self]
        while ready:
            node = ready.pop()
            node._backward()
            for parent in node.parents:
                users[parent] -= 1
                if users[parent] == 0:
                    ready.append(parent)
        """,
        "Kahn's algorithm: a node once every user is done",
    ),
    A(
        "autodiff::backward",
        "Value.backward",
        """
        order, visited, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((parent, False) for parent in node.parents)
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
        """,
        "a stack of (node, expanded) pairs",
    ),
    A(
        "autodiff::network_gradients",
        "network_gradients",
        """
        g = np.vectorize(lambda v: getattr(v, activation)())
        w = [np.array([[Value(v) for v in row] for row in layer.tolist()]) for layer in weights]
        b = [np.array([[Value(row[0])] for row in layer.tolist()]) for layer in biases]
        a = np.array([[Value(v) for v in row] for row in x.tolist()])
        for w_l, b_l in zip(w, b):
            a = g(w_l @ a + b_l)
        loss = ((a - y) ** 2).sum() * (0.5 / x.shape[1])
        loss.backward()
        grads = np.vectorize(lambda v: v.grad, otypes=[float])
        return [grads(p) for p in w], [grads(p) for p in b]
        """,
        "numpy arrays of Values, the whole batch at once",
    ),
]
