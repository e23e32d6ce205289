"""3. Self-calls, imports and forged stand-ins: a graded function never reaches the
reference of itself, however it calls, imports or forges its way there.
"""

from dataclasses import dataclass, field

import pytest

from mlpcourse.grader.grading import grade

from ..helpers import LIMITS, appended, compose, edit_function, outcome, submission
from .hostile import PEER

pytestmark = pytest.mark.attack("self-calls and imports")


PERMISSION = "is not computed by the grader"


@dataclass(frozen=True)
class Reach:
    edits: dict[str, list[tuple[str, str]]]  # module → (function, body) replaced
    expect: dict[str, str | None]  # check id → in its message (None: the check passes)
    module_code: dict[str, str] = field(default_factory=dict)


def _one(body: str, expect: str, check: str = "activations::sigmoid") -> Reach:
    module, function = check.split("::")
    name = "Network." + function if module == "network" else function
    return Reach({module: [(name, body)]}, {check: expect})


SELF_CALLS = {
    "sigmoid calls sigmoid": _one("return sigmoid(z)", "RecursionError"),
    "sigmoid imports itself by name": _one(
        "from mlpcourse.activations import sigmoid as own\nreturn own(z)", "RecursionError"
    ),
    "sigmoid imports its module": _one(
        "import mlpcourse.activations as own\nreturn own.sigmoid(z)", "RecursionError"
    ),
    "sigmoid through importlib.import_module": _one(
        "import importlib\nreturn importlib.import_module('mlpcourse.activations').sigmoid(z)",
        "RecursionError",
    ),
    "sigmoid through a relative import": _one(
        "from . import activations as own\nreturn own.sigmoid(z)", "RecursionError"
    ),
    "sigmoid through __import__": _one(
        "own = __import__('mlpcourse.activations', fromlist=['sigmoid'])\nreturn own.sigmoid(z)",
        "RecursionError",
    ),
    "sigmoid re-imports its module afresh": _one(
        "import importlib, sys\nsys.modules.pop('mlpcourse.activations', None)\n"
        "return importlib.import_module('mlpcourse.activations').sigmoid(z)",
        "RecursionError",
    ),
    "sigmoid imports past the runner's importer": _one(
        "import importlib, sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != 'StudentModules']\n"
        "sys.modules.pop('mlpcourse.activations', None)\n"
        "return importlib.import_module('mlpcourse.activations').sigmoid(z)",
        "ModuleNotFoundError",
    ),
    "sigmoid through tanh and tanh through sigmoid": Reach(
        {
            "activations": [
                ("sigmoid", "return 0.5 * (1.0 + tanh(z / 2.0))"),
                ("tanh", "return 2.0 * sigmoid(2.0 * z) - 1.0"),
            ]
        },
        {"activations::sigmoid": "RecursionError", "activations::tanh": "RecursionError"},
    ),
    "relu through relu_prime (relu_prime may use relu)": Reach(
        {
            "activations": [
                ("relu", "return z * relu_prime(z)"),
                ("relu_prime", "return (relu(z) > 0).astype(np.float64)"),
            ]
        },
        {"activations::relu": "RecursionError", "activations::relu_prime": None},
    ),
    "sigmoid through the neuron chapter's logistic_regression": Reach(
        {
            "activations": [
                (
                    "sigmoid",
                    "from mlpcourse.neuron import logistic_regression\n"
                    "row = np.reshape(z, (1, -1))\n"
                    "return logistic_regression(np.ones((1, 1)), row, 0.0).reshape(z.shape)",
                )
            ]
        },
        {"activations::sigmoid": "RecursionError", "neuron::logistic_regression": None},
    ),
    "a reference handle forged through the runner's peer": _one(
        PEER
        + "return peer.call({'h': ['R', 'activations.sigmoid', 'sigmoid']}, (z,), {})['value']",
        PERMISSION,
    ),
    "the peer taken from a stand-in's closure": _one(
        "from mlpcourse.runner.serve import RunnerPeer\n"
        "peer = next(c.cell_contents for c in sigmoid.__closure__\n"
        "            if isinstance(c.cell_contents, RunnerPeer))\n"
        "handle = {'h': ['R', 'activations.sigmoid_prime', 'sigmoid_prime']}\n"
        "return peer.call(handle, (z,), {})['value']",
        PERMISSION,
        "activations::sigmoid_prime",
    ),
    "a stand-in re-aimed at the graded function": _one(
        "for cell in sigmoid.__closure__:\n"
        "    if isinstance(cell.cell_contents, dict):\n"
        "        cell.cell_contents['h'][1] = 'activations.sigmoid_prime'\n"
        "return sigmoid(z)",
        PERMISSION,
        "activations::sigmoid_prime",
    ),
    "the runner's reference_function asked for the graded function": _one(
        PEER + "return peer.reference_function('activations.sigmoid')(z)", PERMISSION
    ),
    "the module reloaded with the graded function as a stand-in": _one(
        PEER + "import sys\n"
        "peer._serve_load({'module': 'activations', 'proxies': ['activations.sigmoid']}, [])\n"
        "return sys.modules['mlpcourse.activations'].sigmoid(z)",
        PERMISSION,
    ),
    "a forged handle to the grader's own objects": _one(
        PEER + "for key in range(1, 20):\n"
        "    peer.call({'h': ['T', key, 'check']}, (z,), {})\n"
        "return None",
        "never gave out",
    ),
    "the grader asked for an attribute of the reference": _one(
        PEER + "target = {'h': ['R', 'activations.sigmoid', 'sigmoid']}\n"
        "return peer.request('getattr', target=target, name='__globals__')['value']",
        "unknown request",
    ),
    "logistic_regression forges its own handle": _one(
        PEER + "handle = {'h': ['R', 'neuron.logistic_regression', 'lr']}\n"
        "return peer.call(handle, (w, x, b), {})['value']",
        PERMISSION,
        "neuron::logistic_regression",
    ),
    "update_mini_batch forges its own handle": _one(
        PEER + "handle = {'h': ['R', 'network.Network.update_mini_batch', 'u']}\n"
        "return peer.call(handle, (self, x, y, lr), {})['value']",
        PERMISSION,
        "network::update_mini_batch",
    ),
    "the graded name looked up as the collaborator's stand-in": Reach(
        {"activations": [("sigmoid_prime", "raise NotImplementedError")]},
        {"activations::sigmoid_prime": "must be your own function"},
        {
            "activations": (
                "del sigmoid_prime\n"
                "def __getattr__(name):\n"
                "    if name == 'sigmoid_prime':\n"
                "        return globals()['sigmoid']\n"
                "    raise AttributeError(name)\n"
            )
        },
    ),
}


@pytest.mark.parametrize("attack", SELF_CALLS, ids=list(SELF_CALLS))
def test_a_graded_function_never_reaches_the_reference_of_itself(attack, tmp_path):
    reach = SELF_CALLS[attack]
    edits = {}
    for module, functions in reach.edits.items():
        steps = [edit_function(f, body) for f, body in functions]
        if module in reach.module_code:
            steps.append(appended(reach.module_code[module]))
        edits[module] = compose(*steps)
    modules = sorted({check.split("::")[0] for check in reach.expect})
    report = grade(submission(tmp_path, **edits), LIMITS, modules=modules, only=list(reach.expect))
    results = outcome(report)
    for check_id, expect in reach.expect.items():
        passed, message = results[check_id]
        if expect is None:
            assert passed, (check_id, message)
        else:
            assert not passed, f"{attack}: {check_id} passed"
            assert expect in message, (check_id, message)
