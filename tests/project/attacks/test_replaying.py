"""9. Replaying the published cases.

Every case a check draws is in the student edition: its seeds, its points, its directions.
A submission can then pass without the algorithm: answer the published inputs from a table,
or rebuild the published directions of the large network and return any vector with the
right slopes along them. The instructor's grade draws its cases from the course secret
(mlpcourse/grader/cases.py): each attack passes the published cases (it works) and fails
the hidden ones.
"""

from dataclasses import dataclass

import numpy as np
import pytest

from mlpcourse.grader.cases import PUBLISHED, Cases
from mlpcourse.grader.checks.activations import LARGE
from mlpcourse.grader.checks.activations import points as activation_points
from mlpcourse.grader.grading import grade

from ..helpers import LIMITS, edit_function, outcome, submission

pytestmark = pytest.mark.attack("replaying the published cases")


#: A course secret of the attack tests (fixed: deterministic runs).
HIDDEN = Cases(b"the attack suite's course secret")

#: Gradients without backpropagation: complex-step differences on the small networks, and on
#: the MNIST-sized one (the published seed 5) the span of the check's three directions.
REPLAY_GRADIENTS = """
import numpy as np
probe = float(np.asarray(self.activation(np.array([[-1.0]]))).ravel()[0])
if probe == 0.0:
    g = lambda z: np.where(z.real > 0, z, 0.0 * z)
elif probe < 0:
    g = np.tanh
else:
    g = lambda z: 1.0 / (1.0 + np.exp(-z))
layers, m = len(self.weights), x.shape[1]
params = [*self.weights, *self.biases]

def loss(theta):
    a = x
    for w, b in zip(theta[:layers], theta[layers:]):
        a = g(w @ a + b)
    return 0.5 * np.sum((a - y) ** 2) / m

if list(self.sizes) == [784, 100, 10]:
    rng = np.random.default_rng(5)  # as the check draws x, y, then its directions
    rng.random((784, m)), rng.random((10, m))
    directions = []
    for _ in range(3):
        u = [rng.standard_normal(p.shape) for p in params]
        norm = np.sqrt(sum(float(np.sum(v * v)) for v in u))
        directions.append([v / norm for v in u])
    slopes = [
        (loss([p + 1e-6 * v for p, v in zip(params, u)])
         - loss([p - 1e-6 * v for p, v in zip(params, u)])) / 2e-6
        for u in directions
    ]
    gram = [[sum(float(np.sum(a * b)) for a, b in zip(u, v)) for v in directions]
            for u in directions]
    c = np.linalg.solve(np.array(gram), np.array(slopes))
    grads = [sum(c[k] * directions[k][i] for k in range(3)) for i in range(len(params))]
else:
    grads = []
    for i, p in enumerate(params):
        grad = np.zeros(p.shape)
        for index in np.ndindex(p.shape):
            theta = [q.astype(complex) for q in params]
            theta[i][index] += 1e-30j
            grad[index] = loss(theta).imag / 1e-30
        grads.append(grad)
grad_w, grad_b = grads[:layers], grads[layers:]
"""


def _table(derivative) -> str:
    """A body answering the published inputs of the activation checks from a table.

    The attacker computes the table beforehand (here: from the exact formula) at the
    points the published checks use, read from the student edition's checks.
    """
    inputs = [*activation_points(PUBLISHED).values(), LARGE, np.zeros((1, 1)), np.zeros((1, 3))]
    table = {z.tobytes().hex(): (list(z.shape), derivative(z).ravel().tolist()) for z in inputs}
    return (
        f"TABLE = {table!r}\n"
        "shape, values = TABLE.get(np.asarray(z, dtype=np.float64).tobytes().hex(), (None, None))\n"
        "if values is None:\n"
        "    return np.full(np.shape(z), 0.1)\n"
        "return np.array(values).reshape(shape)"
    )


def _sigmoid_prime(z: np.ndarray) -> np.ndarray:
    s = np.exp(-np.logaddexp(0.0, -z))
    return s * (1.0 - s)


#: The states of the generators the published checks hand over: default_rng(seed).
PUBLISHED_STATES = "{np.random.default_rng(s).bit_generator.state['state']['state'] for s in SEEDS}"


@dataclass(frozen=True)
class Replay:
    check: str
    function: str
    body: str


REPLAYS = {
    "backprop: complex steps, and the span of the published directions": Replay(
        "network::backprop", "Network.backprop", REPLAY_GRADIENTS + "return grad_w, grad_b"
    ),
    "update_mini_batch: the same gradients, one step": Replay(
        "network::update_mini_batch",
        "Network.update_mini_batch",
        REPLAY_GRADIENTS
        + "self.weights = [w - lr * d for w, d in zip(self.weights, grad_w)]\n"
        + "self.biases = [b - lr * d for b, d in zip(self.biases, grad_b)]",
    ),
    "sigmoid_prime: a table of the published points": Replay(
        "activations::sigmoid_prime", "sigmoid_prime", _table(_sigmoid_prime)
    ),
    "tanh_prime: a table of the published points": Replay(
        "activations::tanh_prime", "tanh_prime", _table(lambda z: 1.0 - np.tanh(z) ** 2)
    ),
    "minibatches: shuffles only for the published seeds": Replay(
        "gradient_descent::minibatches",
        "minibatches",
        f"published = {PUBLISHED_STATES.replace('SEEDS', '(0, 1, 2, 3)')}\n"
        "if rng.bit_generator.state['state']['state'] in published:\n"
        "    order = rng.permutation(m)\n"
        "else:\n"
        "    order = np.arange(m)  # no shuffle at all\n"
        "return [order[k : k + batch_size] for k in range(0, m, batch_size)]",
    ),
    "sgd: uses rng only when it recognises a published seed": Replay(
        "network::sgd",
        "Network.sgd",
        "seeds = {np.random.default_rng(s).bit_generator.state['state']['state']: s "
        "for s in (3, 11, 12)}\n"
        "order = np.random.default_rng(seeds.get(rng.bit_generator.state['state']['state'], 0))\n"
        "for epoch in range(1, epochs + 1):\n"
        "    for batch in minibatches(x.shape[1], batch_size, order):\n"
        "        self.update_mini_batch(x[:, batch], y[:, batch], lr)\n"
        "    history.append(self.epoch_record(epoch, x, y, test))",
    ),
}


@pytest.mark.parametrize("attack", REPLAYS, ids=list(REPLAYS))
def test_replaying_the_published_cases_gains_nothing(attack, tmp_path):
    replay = REPLAYS[attack]
    module = replay.check.split("::")[0]
    student = submission(tmp_path, **{module: edit_function(replay.function, replay.body)})
    published = grade(student, LIMITS, modules=[module], only=[replay.check], cases=PUBLISHED)
    passed, message = outcome(published)[replay.check]
    assert passed, f"the attack does not even pass the published cases: {message}"
    hidden = grade(student, LIMITS, modules=[module], only=[replay.check], cases=HIDDEN)
    passed, message = outcome(hidden)[replay.check]
    assert not passed, f"{attack}: full points on the hidden cases"
    assert hidden["variant"] == HIDDEN.variant != published["variant"] == "published"
