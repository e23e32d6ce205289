"""An independent oracle: the reference's backprop equals PyTorch's autograd.

For random networks of several depths, activations and batch sizes, the
gradients of the batch-mean quadratic cost computed by
``Network.backprop`` agree with ``torch.autograd`` to 1e-10 relative, in
float64. Needs the optional ``bench`` extra (``pip install -e '.[bench]'``).
"""

import numpy as np
import pytest

from mlpcourse.implementation import load

torch = pytest.importorskip(
    "torch",
    reason="PyTorch is not installed: the oracle test needs the bench extra "
    "(pip install -e '.[bench]')",
)

TORCH_ACTIVATIONS = {"sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh}
CASES = [
    (sizes, activation, m)
    for sizes in ([3, 1], [4, 5, 2], [6, 7, 5, 3], [5, 8, 6, 7, 4])
    for activation in ("sigmoid", "relu", "tanh")
    for m in (1, 7, 32)
]


@pytest.fixture(scope="module")
def ref():
    return load("reference")


def torch_gradients(net, x, y, activation):
    """∂L/∂w and ∂L/∂b by autograd, L = (1/m) Σ_i ½‖a_i − y_i‖², same conventions."""
    g = TORCH_ACTIVATIONS[activation]
    params = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in net.weights]
    params += [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in net.biases]
    ws, bs = params[: len(net.weights)], params[len(net.weights) :]
    a = torch.tensor(x, dtype=torch.float64)
    for w, b in zip(ws, bs):
        a = g(w @ a + b)
    cost = 0.5 * torch.sum((a - torch.tensor(y, dtype=torch.float64)) ** 2) / x.shape[1]
    cost.backward()
    return [w.grad.numpy() for w in ws], [b.grad.numpy() for b in bs]


def away_from_kinks(net, x, margin=1e-3):
    """True when no hidden or output weighted input z lies within ``margin`` of 0."""
    a = x
    for w, b in zip(net.weights, net.biases):
        z = w @ a + b
        if np.min(np.abs(z)) < margin:
            return False
        a = np.maximum(z, 0.0)
    return True


def assert_close(name, ours, theirs, rtol=1e-10):
    scale = max(np.max(np.abs(theirs)), 1e-300)
    error = np.max(np.abs(ours - theirs)) / scale
    assert ours.shape == theirs.shape, f"{name}: shape {ours.shape} vs {theirs.shape}"
    assert error <= rtol, f"{name}: relative difference {error:.2e} from autograd"


@pytest.mark.parametrize(
    "sizes, activation, m", CASES, ids=[f"{'-'.join(map(str, s))}-{g}-m{m}" for s, g, m in CASES]
)
def test_backprop_equals_autograd(ref, sizes, activation, m):
    seed = 1000 * len(sizes) + 10 * m + list(TORCH_ACTIVATIONS).index(activation)
    rng = np.random.default_rng(seed)
    for attempt in range(100):
        net = ref.network.Network(sizes, activation=activation, seed=seed + attempt)
        x = rng.standard_normal((sizes[0], m))
        y = rng.random((sizes[-1], m))
        if activation != "relu" or away_from_kinks(net, x):
            break
    else:
        pytest.fail("found no ReLU test point away from the kink at 0")
    grad_w, grad_b = net.backprop(x, y)
    torch_w, torch_b = torch_gradients(net, x, y, activation)
    assert len(grad_w) == len(torch_w) and len(grad_b) == len(torch_b)
    for i, (ours, theirs) in enumerate(zip(grad_w, torch_w)):
        assert_close(f"grad_w[{i}]", ours, theirs)
    for i, (ours, theirs) in enumerate(zip(grad_b, torch_b)):
        assert_close(f"grad_b[{i}]", ours, theirs)
