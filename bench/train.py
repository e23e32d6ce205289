"""Training speed: the reference Network against PyTorch, scikit-learn and a per-example loop.

    .venv/bin/python bench/train.py [--digits-epochs 10] [--mnist-epochs 3]
                                    [--mnist-examples 60000] [--threads 1]

Needs the ``bench`` extra (``pip install -e '.[bench]'``: torch, scikit-learn).
Two cases, each trained by every contender from the same initial weights on
the same mini-batches (drawn by ``minibatches`` from one seeded generator):

- ``[64, 30, 10]``, batches of 10, on the 8×8 digits (80% train, 20% test);
- ``[784, 100, 10]``, batches of 100, on MNIST-shaped random data (pixels
  uniform in [0, 1], labels from a random linear teacher so accuracy means
  something; 60,000 training and 10,000 test examples by default).

Contenders: the reference ``Network`` (float64, ``update_mini_batch`` per
batch with the arguments checked once, as ``sgd`` does); the limit, a minimal
NumPy loop doing the same vectorised step inline; PyTorch on the CPU with the
same quadratic cost and plain SGD, in float64 and in float32; scikit-learn's
``MLPClassifier(solver="sgd")`` (no momentum, no regularisation; its own
softmax output and log-loss, fed the same batches in the same order); the
per-example loop of ``per_example.py``.
An epoch's time is the wall time of its training steps, batch gathering
included and evaluation excluded; the contenders take turns, one epoch each,
so that a change in the machine's load falls on all of them. The table gives
the median over the epochs and each contender's time divided by the
reference's (above 1: ours is faster), and the ratios measured in the run:
ours / the limit, PyTorch / ours, scikit-learn / ours, per-example / ours.
Every library runs on one thread by default (``--threads 0``: each library's
own default, one thread per core): on a machine whose cores are busy with
other work, spinning BLAS and OpenMP threads slow every contender several
times over, and unevenly (see ``bench/README.md``). Then
``mlpcourse.gradcheck.check_gradient`` is timed against
``torch.autograd.gradcheck`` on the digits network.

Prints a markdown table with the machine, versions and date. Not a test:
timings depend on the machine and on whatever else runs on it (the load
average is printed before and after).
"""

import argparse
import contextlib
import datetime
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np
from per_example import PerExampleNetwork

from mlpcourse.data import load_digits, one_hot, train_test_split
from mlpcourse.gradcheck import check_gradient
from mlpcourse.implementation import load
from mlpcourse.validation import checked_once

try:
    import sklearn
    import threadpoolctl
    import torch
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
except ImportError as error:  # pragma: no cover - a message, not a feature
    sys.exit(f"bench/train.py needs the bench extra (pip install -e '.[bench]'): {error}")

REF = load("reference")


def timed(step) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


class Case:
    """One benchmark: the data, the architecture, the batches of every epoch."""

    def __init__(self, name, sizes, batch_size, lr, x_train, labels_train, x_test, labels_test):
        self.name, self.sizes, self.batch_size, self.lr = name, sizes, batch_size, lr
        self.x, self.labels = x_train, labels_train
        self.y = one_hot(labels_train, sizes[-1])
        self.x_test, self.labels_test = x_test, labels_test

    def batches(self, epochs, seed=0):
        rng = np.random.default_rng(seed)
        m = self.x.shape[1]
        return [REF.gradient_descent.minibatches(m, self.batch_size, rng) for _ in range(epochs)]


def reference_trainer(case):
    """The steps of an epoch of ``Network.sgd``: its arguments checked once, then each batch."""
    net = REF.network.Network(case.sizes, seed=0)
    x, y, lr = case.x, case.y, case.lr

    def epoch(batches):
        with checked_once():  # as sgd trains: its record (an evaluation) is not timed
            for batch in batches:
                net.update_mini_batch(x[:, batch], y[:, batch], lr)

    return epoch, lambda: net.evaluate(case.x_test, case.labels_test)


def minimal_loop_trainer(case):
    """The limit: the same vectorised step as the reference, written inline in one loop.

    The same stable σ and BP1–BP4 for one hidden layer; no function
    boundaries, no argument checks.
    """
    net = REF.network.Network(case.sizes, seed=0)
    (w2, w3), (b2, b3) = net.weights, net.biases
    x, y, lr = case.x, case.y, case.lr

    def sigma(z):
        return np.exp(np.minimum(z, 0.0)) / (1.0 + np.exp(-np.abs(z)))

    def epoch(batches):
        nonlocal w2, w3, b2, b3
        for batch in batches:
            xb, yb, m = x[:, batch], y[:, batch], len(batch)
            a2 = sigma(w2 @ xb + b2)
            a3 = sigma(w3 @ a2 + b3)
            d3 = (a3 - yb) * a3 * (1 - a3)
            d2 = (w3.T @ d3) * a2 * (1 - a2)
            w3, b3 = w3 - lr * (d3 @ a2.T) / m, b3 - lr * d3.sum(axis=1, keepdims=True) / m
            w2, b2 = w2 - lr * (d2 @ xb.T) / m, b2 - lr * d2.sum(axis=1, keepdims=True) / m

    def accuracy():
        out = sigma(w3 @ sigma(w2 @ case.x_test + b2) + b3)
        return float(np.mean(np.argmax(out, axis=0) == case.labels_test))

    return epoch, accuracy


def torch_trainer(case, dtype):
    net = REF.network.Network(case.sizes, seed=0)
    layers = []
    for w, b in zip(net.weights, net.biases):
        linear = torch.nn.Linear(w.shape[1], w.shape[0], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b[:, 0]))
        layers += [linear, torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=case.lr)
    # PyTorch's layout: one example per row.
    x = torch.from_numpy(np.ascontiguousarray(case.x.T)).to(dtype)
    y = torch.from_numpy(np.ascontiguousarray(case.y.T)).to(dtype)

    def epoch(batches):
        for batch in batches:
            index = torch.from_numpy(batch)
            xb, yb = x[index], y[index]
            optimizer.zero_grad(set_to_none=True)
            cost = 0.5 * ((model(xb) - yb) ** 2).sum() / len(batch)
            cost.backward()
            optimizer.step()

    def accuracy():
        with torch.no_grad():
            out = model(torch.from_numpy(np.ascontiguousarray(case.x_test.T)).to(dtype))
        return float((out.argmax(dim=1).numpy() == case.labels_test).mean())

    return epoch, accuracy


def sklearn_trainer(case, lr=0.5):
    net = REF.network.Network(case.sizes, seed=0)
    clf = MLPClassifier(
        hidden_layer_sizes=tuple(case.sizes[1:-1]),
        activation="logistic",
        solver="sgd",
        batch_size=case.batch_size,
        learning_rate="constant",
        learning_rate_init=lr,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        max_iter=1,
        shuffle=False,  # it cuts the examples in the order given: our batches
        warm_start=True,
        tol=0.0,
        random_state=0,
    )
    x, labels = case.x.T, case.labels  # scikit-learn's layout: one example per row

    def quietly(fit, *args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.filterwarnings("ignore", "Got `batch_size`", UserWarning)
            fit(*args, **kwargs)

    # One step on one example of each class sets the model up; then our weights.
    first = [np.flatnonzero(labels == c)[0] for c in range(case.sizes[-1])]
    quietly(clf.partial_fit, x[first], labels[first], classes=np.arange(case.sizes[-1]))
    clf.coefs_ = [w.T.copy() for w in net.weights]
    clf.intercepts_ = [b[:, 0].copy() for b in net.biases]

    def epoch(batches):
        order = np.concatenate(batches)
        quietly(clf.fit, x[order], labels[order])

    return epoch, lambda: float(clf.score(case.x_test.T, case.labels_test))


def per_example_trainer(case):
    net0 = REF.network.Network(case.sizes, seed=0)
    net = PerExampleNetwork(net0.weights, net0.biases)
    pairs = [(case.x[:, [i]], case.y[:, [i]]) for i in range(case.x.shape[1])]

    def epoch(batches):
        for batch in batches:
            net.update_mini_batch([pairs[i] for i in batch], case.lr)

    def accuracy():
        return net.evaluate([(case.x_test[:, [i]], k) for i, k in enumerate(case.labels_test)])

    return epoch, accuracy


def digits_case():
    x, labels = load_digits()
    split = train_test_split(x, labels, seed=0)
    return Case("digits [64, 30, 10], batch 10", [64, 30, 10], 10, 2.0, *split)


def mnist_shaped_case(m_train, m_test=10_000):
    rng = np.random.default_rng(1)
    x = np.asfortranarray(rng.random((784, m_train + m_test)))  # as load_mnist lays it out
    teacher = rng.standard_normal((10, 784))
    scores = teacher @ (x - 0.5)
    labels = np.argmax(scores, axis=0)
    return Case(
        f"MNIST-shaped random [784, 100, 10], batch 100 ({m_train:,} examples)",
        [784, 100, 10],
        100,
        3.0,
        np.asfortranarray(x[:, :m_train]),
        labels[:m_train],
        np.asfortranarray(x[:, m_train:]),
        labels[m_train:],
    )


def bench_case(case, epochs, loop_epochs):
    """Time every contender, epoch by epoch in turn, so that they share the machine's mood."""
    print(f"  {case.name}", file=sys.stderr, flush=True)
    contenders = [
        ("mlpcourse reference (NumPy, float64)", reference_trainer(case), epochs),
        ("minimal NumPy loop (the limit)", minimal_loop_trainer(case), epochs),
        ("PyTorch, float64", torch_trainer(case, torch.float64), epochs),
        ("PyTorch, float32", torch_trainer(case, torch.float32), epochs),
        ('scikit-learn MLPClassifier(solver="sgd") ¹', sklearn_trainer(case), epochs),
        ("per-example loop (Nielsen style)", per_example_trainer(case), loop_epochs),
    ]
    times = {name: [] for name, _, _ in contenders}
    for k, batches in enumerate(case.batches(max(epochs, loop_epochs))):
        print(f"    epoch {k + 1}", file=sys.stderr, flush=True)
        for name, (epoch, _), count in contenders:
            if k < count:
                times[name].append(timed(lambda: epoch(batches)))
    ours = statistics.median(times[contenders[0][0]])
    median = {name: statistics.median(t) for name, t in times.items()}
    names = [name for name, _, _ in contenders]
    ratios = [
        f"ours / the limit {ours / median[names[1]]:.2f}",
        f"PyTorch float64 / ours {median[names[2]] / ours:.2f}",
        f"scikit-learn / ours {median[names[4]] / ours:.2f}",
        f"per-example / ours {median[names[5]] / ours:.2f}",
    ]
    lines = [
        f"\n**{case.name}**, learning rate {case.lr:g} ({len(case.labels_test):,} test examples)\n",
        "ratios measured in this run: " + "; ".join(ratios) + "\n",
        "| implementation | time / ours | epoch time (median) | epochs timed | test accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (_, accuracy), _ in contenders:
        lines.append(
            f"| {name} | {median[name] / ours:.2f} | {median[name] * 1e3:,.1f} ms "
            f"| {len(times[name])} | {accuracy():.2%} |"
        )
    return lines


def bench_gradcheck(repeats):
    """check_gradient against torch.autograd.gradcheck on [64, 30, 10], 10 digits."""
    print("  gradient checks", file=sys.stderr, flush=True)
    x, labels = load_digits()
    x, y = x[:, :10], one_hot(labels[:10])
    net = REF.network.Network([64, 30, 10], seed=0)
    params = [*net.weights, *net.biases]
    k = len(net.weights)
    sigmoid, cost = REF.activations.sigmoid, REF.gradient_descent.quadratic_cost

    def f(*p):
        return cost(REF.feedforward.feedforward(p[:k], p[k:], x, sigmoid)[1][-1], y)

    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def ft(*p):
        a = xt
        for w, b in zip(p[:k], p[k:]):
            a = torch.sigmoid(w @ a + b)
        return 0.5 * ((a - yt) ** 2).sum() / x.shape[1]

    def ours(max_coordinates):
        def run():
            grad_w, grad_b = net.backprop(x, y)
            check_gradient(f, params, [*grad_w, *grad_b], max_coordinates=max_coordinates)

        return run

    def theirs(fast_mode):
        def run():
            tensors = [torch.tensor(p, requires_grad=True) for p in params]
            assert torch.autograd.gradcheck(ft, tensors, fast_mode=fast_mode)

        return run

    size = sum(p.size for p in params)
    runs = [
        (f"mlpcourse `check_gradient`, every coordinate ({size:,})", ours(10**9)),
        ("`torch.autograd.gradcheck` (full)", theirs(False)),
        ("mlpcourse `check_gradient`, 6 random directions (default)", ours(400)),
        ("`torch.autograd.gradcheck(fast_mode=True)`", theirs(True)),
    ]
    lines = [
        f"\n**Gradient check** of [64, 30, 10] on 10 digits ({size:,} parameters), float64\n",
        f"| check | time (median of {repeats}) |",
        "|---|---:|",
    ]
    for name, run in runs:
        median = statistics.median(timed(run) for _ in range(repeats))
        lines.append(f"| {name} | {median * 1e3:,.1f} ms |")
    return lines


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def blas() -> str:
    infos = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    numpy_own = [i for i in infos if "numpy" in i["filepath"]]
    if not infos:
        return "unknown BLAS"
    info = (numpy_own or infos)[0]
    return (
        f"{info['internal_api']} {info['version']} ({info.get('architecture')} kernels, "
        f"{info['num_threads']} threads)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digits-epochs", type=int, default=10, help="epochs timed on digits")
    parser.add_argument("--mnist-epochs", type=int, default=3, help="epochs timed, MNIST-shaped")
    parser.add_argument("--loop-epochs", type=int, default=None, help="for the per-example loop")
    parser.add_argument("--mnist-examples", type=int, default=60_000)
    parser.add_argument("--gradcheck-repeats", type=int, default=3)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS and PyTorch threads (default 1; 0: each library's own default, the cores)",
    )
    args = parser.parse_args()
    if args.threads:
        threadpoolctl.threadpool_limits(args.threads)
        torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    started = datetime.datetime.now(datetime.UTC)
    lines = []
    digits = digits_case()
    lines += bench_case(digits, args.digits_epochs, args.loop_epochs or args.digits_epochs)
    mnist = mnist_shaped_case(args.mnist_examples)
    lines += bench_case(mnist, args.mnist_epochs, args.loop_epochs or args.mnist_epochs)
    lines += bench_gradcheck(args.gradcheck_repeats)
    load_after = os.getloadavg()
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    header = [
        f"## Training speed, {started:%Y-%m-%d %H:%M} UTC\n",
        f"- machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.machine()}; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after",
        f"- Python {platform.python_version()}, NumPy {np.__version__} with {blas()}"
        + (f", OPENBLAS_CORETYPE={coretype}" if coretype else ""),
        f"- PyTorch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"scikit-learn {sklearn.__version__}",
    ]
    footer = [
        "",
        "¹ scikit-learn has no quadratic cost: its output layer is a softmax trained on "
        "the log-loss (learning rate 0.5); same hidden layer, initial weights and batches.",
    ]
    print("\n".join(header + lines + footer))


if __name__ == "__main__":
    main()
