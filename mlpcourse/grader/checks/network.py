"""Checks for chapter 6, the backpropagation algorithm and mini-batch SGD."""

import functools
from types import SimpleNamespace

import numpy as np

from mlpcourse.gradcheck import (
    EPS,
    GradientCheckError,
    check_gradient,
    directional_derivative,
    numerical_gradient,
    relative_error,
)
from mlpcourse.grader.cases import Cases
from mlpcourse.grader.remote import time_limit
from mlpcourse.grader.wording import plain
from mlpcourse.runner.protocol import RemoteError

from . import definitions as d
from . import graded
from .tools import (
    assert_array,
    assert_close,
    away_from_kinks,
    batch_hints,
    call,
    numerical_slope,
    random_network,
)

#: (layer sizes, m, activation); the last is large enough for directional checks.
NETWORKS = [
    ([3, 5, 4, 2], 7, "sigmoid"),
    ([4, 3], 6, "sigmoid"),
    ([2, 6, 5, 3, 2], 5, "tanh"),
    ([3, 7, 4], 8, "relu"),
    ([12, 30, 20, 6], 4, "sigmoid"),
]


#: gd_step's complaint when a step mixes up the gradients.
SWAPPED = {"must have the same shape": "weights updated with grad_b, or biases with grad_w"}


def _setup(impl, cases: Cases, sizes, m, activation, seed):
    """A student Network holding the check's own parameters, and a batch (x, y).

    The parameters come from here, not from the student's constructor, and
    every z of the batch is away from ReLU's kink.
    """
    net = impl.network.Network(sizes, activation=activation, seed=seed)
    for attempt in range(100):
        weights, biases = random_network(sizes, cases.rng(seed * 100 + attempt))
        rng = cases.rng(seed, attempt)
        x = rng.standard_normal((sizes[0], m))
        y = rng.random((sizes[-1], m))
        zs, _ = d.forward(weights, biases, x, d.ACTIVATIONS[activation])
        if all(away_from_kinks(z) for z in zs):
            net.weights, net.biases = weights, biases
            return net, x, y, weights, biases
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
def check_backprop(impl, cases: Cases) -> None:
    """backprop's gradients against finite differences of the batch-mean loss."""
    verify_large = _run_on_a_large_network(impl, cases, "backprop")  # first: differences fail fast
    for seed, (sizes, m, activation) in enumerate(NETWORKS):
        net, x, y, weights, biases = _setup(impl, cases, sizes, m, activation, seed)
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
        _check_shapes(label, weights, biases, grad_w, grad_b)
        loss = _mean_loss(x, y, activation, layers)
        params = [*weights, *biases]
        try:
            check_gradient(
                loss,
                params,
                [*grad_w, *grad_b],
                names=_names(layers),
                hints=batch_hints(m),
                seed=cases.seed(0),
            )
        except GradientCheckError as error:
            hint = _output_layer_hint(x, y, activation, weights, biases, grad_b)
            raise AssertionError(
                f"{label}: {error}{hint or _locate(loss, params, grad_w, grad_b)}"
            ) from None
    verify_large()


def _check_shapes(label, weights, biases, grad_w, grad_b) -> None:
    """Each gradient has its parameter's shape; a wrong one is most often a layer index."""
    for kind, params, gradients in (("grad_w", weights, grad_w), ("grad_b", biases, grad_b)):
        for i, (p, g) in enumerate(zip(params, gradients)):
            if type(g) is np.ndarray and g.shape != p.shape:
                raise AssertionError(
                    f"{label}: {kind}[{i}] has shape {g.shape}, not {p.shape} like "
                    f"{'weights' if kind == 'grad_w' else 'biases'}[{i}]. Likely cause: an "
                    "off-by-one layer index: for weights[i] (w^[i+2]) BP4 pairs δ of zs[i] "
                    "with activations[i] (a^[i+1])"
                )


def _output_layer_hint(x, y, activation, weights, biases, grad_b) -> str:
    """Name σ'(a) used for σ'(z), seen in the output layer's bias gradient."""
    g = d.ACTIVATIONS[activation]
    zs, activations = d.forward(weights, biases, x, g)
    slope = numerical_slope(g)
    residual = np.array(
        [[a - t for a, t in zip(row_a, row_y)] for row_a, row_y in zip(activations[-1], y)]
    )
    at_a = np.mean(residual * slope(activations[-1]), axis=1, keepdims=True)
    got = grad_b[-1]
    if type(got) is np.ndarray and got.shape == at_a.shape:
        if np.allclose(got, at_a, rtol=1e-6, atol=1e-10):
            return (
                ". Likely cause: σ'(a) instead of σ'(z): the derivative of the activation "
                "is taken at z^[l] (zs), not at a^[l] = σ(z^[l]) (BP1, BP2)"
            )
    return ""


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
            ". The output layer's gradients are right, so BP1 and BP3/BP4 work there. "
            "Likely cause: in the hidden layers, how δ moves back a layer (BP2: σ'(z), "
            "not σ'(a)) or which z and a each layer uses"
        )
    return ""


def _run_on_a_large_network(impl, cases: Cases, method: str):
    """Backpropagation: one forward and one backward pass, not one pass per parameter.

    ``method`` ("backprop" or "update_mini_batch", with lr = 1) runs on an
    MNIST-sized network (79,510 parameters), where finite differences need
    159,021 forward passes. The verdict counts work, not seconds, so that a
    busy machine fails nobody: at most 20 calls of the activation per layer
    and example (finite differences make thousands); the check's own time limit
    only stops code far too slow, with the same diagnosis. The gradients
    (for update_mini_batch: the step taken) must still be right, which random
    directional derivatives of the loss confirm: the returned function checks
    them, called after the small networks have given their finer diagnoses.
    """
    large = _large_case(cases.shared())  # its directions never leave the grader
    sizes, m, weights, biases, x, y = (getattr(large, k) for k in "sizes m w b x y".split())
    net = impl.network.Network(sizes, seed=5)
    net.weights, net.biases = weights, biases
    layers = len(sizes) - 1
    allowed = 2 * 10 * layers * m  # generous: per example, or a again in the backward pass
    calls = 0
    activation = net.activation

    def counting_activation(z):
        nonlocal calls
        calls += 1
        if calls > allowed:  # finite differences: stopped here, not by a budget or the clock
            raise RuntimeError(f"more than {allowed} calls of the activation")
        return activation(z)

    net.activation = counting_activation
    label = f"{method} on Network({sizes})"
    why = "backpropagation needs one forward and one backward pass, not finite differences"
    too_many = f"{label} called the activation more than {allowed} times: {why}"
    arguments = {"x": x, "y": y} if method == "backprop" else {"x": x, "y": y, "lr": 1.0}
    function = getattr(net, method)
    try:
        with time_limit(function, None, f"{label} did not finish within the check's time: {why}"):
            result = call(function, label, SWAPPED, **arguments)
    except RemoteError:
        if calls > allowed:
            raise AssertionError(too_many) from None
        raise
    if calls > allowed:
        raise AssertionError(too_many)
    after = [*net.weights, *net.biases] if method == "update_mini_batch" else None

    def verify() -> None:
        _verify_large(label, method, result, after, large)

    return verify


@functools.lru_cache(maxsize=4)
def _large_case(cases: Cases) -> SimpleNamespace:
    """The MNIST-sized network, its batch, and the loss's slopes along 3 random directions.

    The slopes take 7 forward passes of the lecture's definitions (about 0.3 s):
    computed once per cases, for backprop and update_mini_batch and for every
    submission a process grades (the cases are :meth:`~mlpcourse.grader.cases.Cases.shared`:
    the same for every submission graded with one secret). ``atol`` is the
    differences' own rounding error, 10 ε (|L| + 1) / h as in gradcheck: a slope
    along a direction nearly orthogonal to the gradient is tiny, and its
    relative error is then that of the rounding, not of the gradient.
    """
    sizes, m = [784, 100, 10], 16
    weights, biases = random_network(sizes, cases.rng(5))
    rng = cases.rng(5)
    x, y = rng.random((sizes[0], m)), rng.random((sizes[-1], m))
    layers = len(sizes) - 1

    def loss(*theta):
        _, activations = d.forward(list(theta[:layers]), list(theta[layers:]), x, d.sigmoid)
        return d.mean(d.quadratic_losses(activations[-1], y))

    params = [*weights, *biases]
    directions = []
    for _ in range(3):
        u = [rng.standard_normal(p.shape) for p in params]
        norm = np.sqrt(sum(float(np.sum(v * v)) for v in u))
        directions.append([v / norm for v in u])
    slopes = [directional_derivative(loss, params, u) for u in directions]
    atol = 10 * EPS * (abs(loss(*params)) + 1.0) / 1e-6
    return SimpleNamespace(
        sizes=sizes,
        m=m,
        w=weights,
        b=biases,
        x=x,
        y=y,
        directions=directions,
        slopes=slopes,
        atol=atol,
    )


def _verify_large(label, method, result, after, large) -> None:
    params = [*large.w, *large.b]
    layers = len(params) // 2
    if method == "backprop":
        if not (isinstance(result, tuple) and len(result) == 2):
            raise AssertionError(f"{label} must return a pair (grad_w, grad_b)")
        gradients = [*result[0], *result[1]]
    else:
        gradients = [
            old - assert_array(f"{label}: {name}", new, old.shape)
            for name, old, new in zip(_names(layers), params, after)
        ]
    if len(gradients) != len(params):
        raise AssertionError(f"{label}: expected {len(params)} gradients; got {len(gradients)}")
    for name, p, g in zip(_names(layers), params, gradients):
        assert_array(f"{label}: the gradient of {name}", g, p.shape)

    for k, (u, numeric) in enumerate(zip(large.directions, large.slopes)):
        analytic = sum(float(np.sum(g * v)) for g, v in zip(gradients, u))
        if relative_error(analytic, numeric) > 1e-6 and abs(analytic - numeric) > large.atol:
            hint = {large.m: ". Likely cause: a sum instead of a mean over the batch"}.get(
                round(analytic / numeric) if numeric else None, ""
            )
            raise AssertionError(
                f"{label}: wrong gradient along random direction {k}: the derivative is "
                f"{plain(analytic)}, finite differences give {plain(numeric)} (relative error "
                f"{relative_error(analytic, numeric):.2e}){hint}"
            )


@graded(2, "Network.update_mini_batch")
def check_update_mini_batch(impl, cases: Cases) -> None:
    """One step θ ← θ − α ∂L/∂θ on the batch, for two learning rates; backprop, not differences."""
    verify_large = _run_on_a_large_network(impl, cases, "update_mini_batch")
    for lr in (0.5, 3.0):
        sizes, m, activation = [3, 4, 2], 5, "sigmoid"
        net, x, y, weights, biases = _setup(impl, cases, sizes, m, activation, 0)
        before = [*weights, *biases]
        gradients = numerical_gradient(_mean_loss(x, y, activation, 2), before)
        label = f"update_mini_batch(x, y, lr={lr}) on Network({sizes})"
        call(
            net.update_mini_batch,
            label,
            SWAPPED,
            x=x,
            y=y,
            lr=lr,
        )
        after = [*net.weights, *net.biases]
        for name, old, new, grad in zip(_names(2), before, after, gradients):
            assert_array(f"{label}: {name}", new, old.shape)
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
    verify_large()


@graded(3, "Network.sgd")
def check_sgd(impl, cases: Cases) -> None:
    """A fresh shuffle each epoch, every example once per epoch, the last partial batch kept."""
    run = SimpleNamespace(sizes=[2, 3, 2], m=23, batch_size=5, epochs=3, lr=0.7)
    batches = _sgd_batches(impl, cases, run, 11)
    if batches[0] == batches[1] or batches[1] == batches[2]:
        raise AssertionError("sgd: the batches must be shuffled afresh every epoch")
    if _sgd_batches(impl, cases, run, 11) != batches:
        raise AssertionError("sgd: the shuffling must come from rng (same seed, same batches)")
    if _sgd_batches(impl, cases, run, 12) == batches:
        raise AssertionError("sgd: the shuffling must come from rng (another seed, other batches)")
    _check_records(impl, cases)


def _sgd_batches(impl, cases: Cases, run: SimpleNamespace, seed: int) -> list[list[list[int]]]:
    """The examples of each mini-batch of each epoch of sgd, with rng = ``cases.rng(seed)``.

    Example i is the column (i, 0) of x, with (1000 + i, 1) in y, so that a batch
    shows which examples it holds. The student's ``update_mini_batch`` is
    replaced by one that records each batch and its α; the calls must number
    epochs × ⌈m / batch_size⌉, each with α = lr.
    """
    net = impl.network.Network(run.sizes, seed=0)
    x = np.vstack([np.arange(run.m, dtype=np.float64), np.zeros(run.m)])
    y = np.vstack([np.arange(run.m, dtype=np.float64) + 1000, np.ones(run.m)])
    seen: list[tuple[list[int], float]] = []
    net.update_mini_batch = _recorder(seen)
    label = (
        f"sgd(x, y, epochs={run.epochs}, batch_size={run.batch_size}, lr={run.lr}) with m = {run.m}"
    )
    history = call(
        net.sgd,
        label,
        x=x,
        y=y,
        epochs=run.epochs,
        batch_size=run.batch_size,
        lr=run.lr,
        rng=cases.rng(seed),
    )
    _check_history(label, history, run.epochs)
    _check_calls(label, seen, run)
    return [_epoch_batches(label, seen, run, e) for e in range(run.epochs)]


def _recorder(seen: list):
    """An ``update_mini_batch(x_batch, y_batch, rate)`` that appends (example ids, rate) to seen.

    It checks that y's columns are those of the same examples as x's.
    """

    def update_mini_batch(x_batch, y_batch, rate):
        ids = np.asarray(x_batch)[0].astype(int).tolist()
        if np.asarray(y_batch)[0].astype(int).tolist() != [i + 1000 for i in ids]:
            raise AssertionError("sgd: the columns of y in a batch must match those of x")
        seen.append((ids, rate))

    return update_mini_batch


def _check_calls(label: str, seen: list, run: SimpleNamespace) -> None:
    """update_mini_batch ran epochs × ⌈m / batch_size⌉ times (the last batch kept), with α = lr."""
    m, batch_size, epochs, lr = run.m, run.batch_size, run.epochs, run.lr
    per_epoch = -(-m // batch_size)
    if len(seen) != epochs * per_epoch:
        hint = ""
        if len(seen) == epochs * (m // batch_size):
            hint = ". Likely cause: the last, smaller batch of each epoch is dropped"
        raise AssertionError(
            f"{label}: expected {epochs} × {per_epoch} = {epochs * per_epoch} calls of "
            f"update_mini_batch (the last batch of each epoch has {m % batch_size}); "
            f"got {len(seen)}{hint}"
        )
    if any(rate != lr for _, rate in seen):
        raise AssertionError(f"{label}: update_mini_batch must get lr = {lr}")


def _epoch_batches(label: str, seen: list, run: SimpleNamespace, e: int) -> list[list[int]]:
    """The batches of epoch ``e``: ⌊m / batch_size⌋ full ones, then the rest, every example once."""
    m, batch_size = run.m, run.batch_size
    per_epoch = -(-m // batch_size)
    batches = [ids for ids, _ in seen[e * per_epoch : (e + 1) * per_epoch]]
    sizes_seen = [len(b) for b in batches]
    expected = [batch_size] * (m // batch_size) + [m % batch_size]
    if sizes_seen != expected:
        raise AssertionError(
            f"{label}: epoch {e + 1} had batch sizes {sizes_seen}; expected {expected}"
        )
    if sorted(sum(batches, [])) != list(range(m)):
        raise AssertionError(f"{label}: epoch {e + 1} did not use every example exactly once")
    return batches


def _check_history(label: str, history, epochs: int) -> None:
    """``sgd`` returns one record per epoch."""
    if not isinstance(history, list) or len(history) != epochs:
        hint = ""
        if isinstance(history, list) and len(history) == 1:
            hint = ". Likely cause: the record is kept once, after the loop, not every epoch"
        raise AssertionError(f"{label} must return a list of {epochs} records, one per epoch{hint}")


def _check_records(impl, cases: Cases) -> None:
    """Each epoch's record holds the cost and accuracy of the parameters after that epoch.

    ``update_mini_batch`` is replaced by one that sets new parameters from the
    check's own generator, so the records can be recomputed here, from the
    parameters each epoch really ended with.
    """
    sizes, m, batch_size, epochs = [3, 4, 3], 11, 4, 3
    rng = cases.rng(21)
    x, x_test = rng.standard_normal((3, m)), rng.standard_normal((3, 7))
    y, labels_test = rng.random((3, m)), rng.integers(0, 3, 7)
    net = impl.network.Network(sizes, seed=0)
    draws = cases.rng(22)
    ended: list[tuple[list, list]] = []

    def update_mini_batch(x_batch, y_batch, lr):
        weights, biases = random_network(sizes, np.random.default_rng(int(draws.integers(2**31))))
        net.weights, net.biases = weights, biases
        ended.append((weights, biases))

    net.update_mini_batch = update_mini_batch
    label = f"sgd(x, y, epochs={epochs}, batch_size={batch_size}, lr=1.0, test=(x_test, labels))"
    history = call(
        net.sgd,
        label,
        x=x,
        y=y,
        epochs=epochs,
        batch_size=batch_size,
        lr=1.0,
        rng=cases.rng(3),
        test=(x_test, labels_test),
    )
    _check_history(label, history, epochs)
    per_epoch = -(-m // batch_size)
    if len(ended) != epochs * per_epoch:
        raise AssertionError(
            f"{label}: expected {epochs * per_epoch} calls of update_mini_batch, one per batch; "
            f"got {len(ended)}"
        )
    for e, record in enumerate(history):
        if not isinstance(record, dict) or not {"epoch", "cost", "accuracy"} <= set(record):
            raise AssertionError(
                f"{label}: record {e + 1} must be a dict with epoch, cost and accuracy; "
                f"got {record!r:.100}"
            )
        weights, biases = ended[(e + 1) * per_epoch - 1]
        _, activations = d.forward(weights, biases, x, d.sigmoid)
        cost = d.mean(d.quadratic_losses(activations[-1], y))
        _, test_activations = d.forward(weights, biases, x_test, d.sigmoid)
        accuracy = float(np.mean(np.argmax(test_activations[-1], axis=0) == labels_test))
        if record["epoch"] != e + 1:
            raise AssertionError(f"{label}: record {e + 1} says epoch {record['epoch']!r:.40}")
        where = f" of record {e + 1} (the parameters after epoch {e + 1})"
        assert_close(f"{label}: the cost{where}", record["cost"], cost, rtol=1e-7)
        assert_close(f"{label}: the accuracy{where}", record["accuracy"], accuracy, rtol=1e-9)
