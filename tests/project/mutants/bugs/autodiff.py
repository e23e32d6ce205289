"""Plausible mistakes of chapter 07 automatic differentiation: each Value operation, backward, network_gradients."""

from .. import bug

B = bug
BUGS = [
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
