"""Checks for chapter 6, the backpropagation algorithm and mini-batch SGD."""

import time

import numpy as np

from mlpcourse.gradcheck import GradientCheckError, check_gradient, numerical_gradient

from . import definitions as d
from . import graded
from .tools import away_from_kinks, batch_hints, call

#: (layer sizes, m, activation); the last is large enough for directional checks.
NETWORKS = [
    ([3, 5, 4, 2], 7, "sigmoid"),
    ([4, 3], 6, "sigmoid"),
    ([2, 6, 5, 3, 2], 5, "tanh"),
    ([3, 7, 4], 8, "relu"),
    ([12, 30, 20, 6], 4, "sigmoid"),
]


def _setup(impl, sizes, m, activation, seed):
    """A student Network and a batch (x, y) with every z away from ReLU's kink."""
    for attempt in range(100):
        net = impl.network.Network(sizes, activation=activation, seed=seed * 100 + attempt)
        rng = np.random.default_rng([seed, attempt])
        x = rng.standard_normal((sizes[0], m))
        y = rng.random((sizes[-1], m))
        zs, _ = d.forward(net.weights, net.biases, x, d.ACTIVATIONS[activation])
        if all(away_from_kinks(z) for z in zs):
            return net, x, y
    raise RuntimeError("no test point away from the kinks")  # pragma: no cover


def _mean_loss(x, y, activation, layers: int):
    """(w^[2], ..., w^[L], b^[2], ..., b^[L]) ↦ L = (1/m) Σ_i ½‖a_i − y_i‖²."""

    def loss(*params):
        weights, biases = list(params[:layers]), list(params[layers:])
        _, activations = d.forward(weights, biases, x, d.ACTIVATIONS[activation])
        return d.mean(d.quadratic_losses(activations[-1], y))

    return loss


def _names(layers: int) -> list[str]:
    return [f"w^[{i + 2}]" for i in range(layers)] + [f"b^[{i + 2}]" for i in range(layers)]


@graded(5, "Network.backprop")
def check_backprop(impl) -> None:
    """backprop's gradients against finite differences of the batch-mean loss."""
    for seed, (sizes, m, activation) in enumerate(NETWORKS):
        net, x, y = _setup(impl, sizes, m, activation, seed)
        label = f"Network({sizes}, {activation!r}).backprop(x, y) with m = {m}"
        result = call(net.backprop, label, x=x, y=y)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise AssertionError(f"{label} must return a pair (grad_w, grad_b)")
        grad_w, grad_b = result
        layers = len(sizes) - 1
        if len(grad_w) != layers or len(grad_b) != layers:
            raise AssertionError(
                f"{label} must return {layers} weight and {layers} bias gradients "
                f"(layers 2..{layers + 1}); got {len(grad_w)} and {len(grad_b)}"
            )
        loss = _mean_loss(x, y, activation, layers)
        params = [*net.weights, *net.biases]
        try:
            check_gradient(
                loss, params, [*grad_w, *grad_b], names=_names(layers), hints=batch_hints(m)
            )
        except GradientCheckError as error:
            raise AssertionError(
                f"{label}: {error}{_locate(loss, params, grad_w, grad_b)}"
            ) from None
    _check_cost_of_backprop(impl)


def _locate(loss, params, grad_w, grad_b) -> str:
    """Say whether the output layer is right when some other layer is wrong."""
    layers = len(grad_w)
    if layers < 2 or len(params) > 400:
        return ""
    numeric = numerical_gradient(loss, params)
    close = [
        np.shape(g) == n.shape and np.allclose(g, n, rtol=1e-5, atol=1e-9)
        for g, n in zip([*grad_w, *grad_b], numeric)
    ]
    if close[layers - 1] and close[-1] and not all(close):
        return (
            ". The output layer's gradients are right, so BP1 and BP3/BP4 work there: "
            "look at how δ moves back a layer (BP2) and at which z and a each layer uses"
        )
    return ""


def _check_cost_of_backprop(impl) -> None:
    """Backpropagation costs about two forward passes, not one per parameter."""
    sizes, m = [64, 60, 40, 10], 16
    net = impl.network.Network(sizes, seed=5)
    rng = np.random.default_rng(5)
    x, y = rng.random((sizes[0], m)), rng.random((sizes[-1], m))
    calls = 0
    activation = net.activation

    def counting_activation(z):
        nonlocal calls
        calls += 1
        return activation(z)

    def seconds(run) -> float:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    forward = min(seconds(lambda: net.feedforward(x)) for _ in range(3))
    net.activation = counting_activation
    backward = seconds(lambda: net.backprop(x, y))
    if backward < 50 * forward + 0.05:  # a second try, in case the machine was busy
        backward = min(backward, seconds(lambda: net.backprop(x, y)))
    else:
        calls *= 2
    layers = len(sizes) - 1
    if calls > 2 * 10 * layers * m or backward > 50 * forward + 0.05:
        raise AssertionError(
            f"backprop on Network({sizes}) took {backward * 1e3:.1f} ms, a forward pass "
            f"{forward * 1e3:.2f} ms, and called the activation {calls // 2} times per call: "
            "backpropagation needs one forward and one backward pass, not finite differences"
        )


@graded(2, "Network.update_mini_batch")
def check_update_mini_batch(impl) -> None:
    """One step θ ← θ − α ∂L/∂θ on the batch, for two learning rates."""
    for lr in (0.5, 3.0):
        sizes, m, activation = [3, 4, 2], 5, "sigmoid"
        net, x, y = _setup(impl, sizes, m, activation, 0)
        before = [p.copy() for p in [*net.weights, *net.biases]]
        gradients = numerical_gradient(_mean_loss(x, y, activation, 2), before)
        label = f"update_mini_batch(x, y, lr={lr}) on Network({sizes})"
        call(net.update_mini_batch, label, x=x, y=y, lr=lr)
        after = [*net.weights, *net.biases]
        for name, old, new, grad in zip(_names(2), before, after, gradients):
            if np.shape(new) != old.shape:
                raise AssertionError(
                    f"{label}: {name} changed shape from {old.shape} to {np.shape(new)}"
                )
            step = (old - new) / lr
            if np.allclose(step, -grad, rtol=1e-5, atol=1e-9):
                raise AssertionError(f"{label}: {name} moved uphill, θ + α∇ instead of θ − α∇")
            if np.allclose(step, 0.0):
                raise AssertionError(f"{label}: {name} did not change")
            bad = ~np.isclose(step, grad, rtol=1e-5, atol=1e-9)
            if np.any(bad):
                index = tuple(int(k) for k in np.argwhere(bad)[0])
                hint = ""
                for factor, cause in (batch_hints(m) or {}).items():
                    if np.allclose(step, factor * grad, rtol=1e-5, atol=1e-9):
                        hint = f". Likely cause: {cause}"
                raise AssertionError(
                    f"{label}: {name}[{', '.join(map(str, index))}] moved by "
                    f"{-lr * step[index]:.10g}, expected −α ∂L/∂θ = {-lr * grad[index]:.10g}{hint}"
                )


@graded(3, "Network.sgd")
def check_sgd(impl) -> None:
    """A fresh shuffle each epoch, every example once per epoch, the last partial batch kept."""
    sizes, m, batch_size, epochs, lr = [2, 3, 2], 23, 5, 3, 0.7

    def batches_of(seed: int) -> list[list[list[int]]]:
        net = impl.network.Network(sizes, seed=0)
        x = np.vstack([np.arange(m, dtype=np.float64), np.zeros(m)])
        y = np.vstack([np.arange(m, dtype=np.float64) + 1000, np.ones(m)])
        seen: list[tuple[list[int], float]] = []

        def update_mini_batch(x_batch, y_batch, rate):
            ids = np.asarray(x_batch)[0].astype(int).tolist()
            if np.asarray(y_batch)[0].astype(int).tolist() != [i + 1000 for i in ids]:
                raise AssertionError("sgd: the columns of y in a batch must match those of x")
            seen.append((ids, rate))

        net.update_mini_batch = update_mini_batch
        label = f"sgd(x, y, epochs={epochs}, batch_size={batch_size}, lr={lr}) with m = {m}"
        history = call(
            net.sgd,
            label,
            x=x,
            y=y,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            rng=np.random.default_rng(seed),
        )
        if not isinstance(history, list) or len(history) != epochs:
            raise AssertionError(f"{label} must return a list of {epochs} records, one per epoch")
        per_epoch = -(-m // batch_size)
        if len(seen) != epochs * per_epoch:
            raise AssertionError(
                f"{label}: expected {epochs} × {per_epoch} = {epochs * per_epoch} calls of "
                f"update_mini_batch (the last batch of each epoch has {m % batch_size}); "
                f"got {len(seen)}"
            )
        if any(rate != lr for _, rate in seen):
            raise AssertionError(f"{label}: update_mini_batch must get lr = {lr}")
        result = []
        for e in range(epochs):
            batches = [ids for ids, _ in seen[e * per_epoch : (e + 1) * per_epoch]]
            sizes_seen = [len(b) for b in batches]
            expected = [batch_size] * (m // batch_size) + [m % batch_size]
            if sizes_seen != expected:
                raise AssertionError(
                    f"{label}: epoch {e + 1} had batch sizes {sizes_seen}; expected {expected}"
                )
            if sorted(sum(batches, [])) != list(range(m)):
                raise AssertionError(
                    f"{label}: epoch {e + 1} did not use every example exactly once"
                )
            result.append(batches)
        return result

    run = batches_of(11)
    if run[0] == run[1] or run[1] == run[2]:
        raise AssertionError("sgd: the batches must be shuffled afresh every epoch")
    if batches_of(11) != run:
        raise AssertionError("sgd: the shuffling must come from rng (same seed, same batches)")
    if batches_of(12) == run:
        raise AssertionError("sgd: the shuffling must come from rng (another seed, other batches)")
