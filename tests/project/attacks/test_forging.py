"""2. Forging the verdict or the report: a full-score report printed or written, the
grader's comparisons patched, values that lie about what they are, a planted diagnosis.
"""

import json
from dataclasses import dataclass

import pytest

from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.diagnosis import is_named
from mlpcourse.grader.grading import grade

from ..helpers import LIMITS, STUBS, TOTAL, appended, compose, edit_function, outcome, submission
from .hostile import PEER, sgd_then

pytestmark = pytest.mark.attack("forging the verdict or the report")


FAKE = json.dumps(
    {
        "score": TOTAL,
        "max_score": TOTAL,
        "tests": [
            {"id": c.id, "points": c.points, "max_points": c.points, "passed": True, "message": ""}
            for c in CHECKS
        ],
    }
)


@dataclass(frozen=True)
class Forgery:
    check: str  # the attacked check
    body: str | None  # its function's new body (None: unchanged)
    module_code: str = ""  # run when the module is imported
    expect: str = ""  # in the attacked check's message
    forbid: str = ""  # never in any message

    @property
    def module(self) -> str:
        return self.check.split("::")[0]

    @property
    def function(self) -> str:
        return self.check.split("::")[1]


def _lie(check: str, body: str, expect: str) -> Forgery:
    return Forgery(check, body, expect=expect)


NOT_AN_ARRAY = "must return a numpy array"
NOT_A_NUMBER = "must return a number"

FORGERIES = {
    "a full-score report printed on stdout": Forgery(
        "activations::sigmoid",
        f"import sys\nprint({FAKE!r})\nsys.stdout.flush()\nsys.__stdout__.write({FAKE!r})\n"
        "return None",
        expect=f"{NOT_AN_ARRAY}; got NoneType",
    ),
    "a full-score report printed on stderr": Forgery(
        "activations::sigmoid",
        f"import sys\nprint({FAKE!r}, file=sys.stderr)\nsys.stderr.flush()\nreturn None",
        expect=f"{NOT_AN_ARRAY}; got NoneType",
    ),
    "a full-score report written to every descriptor 0..50": Forgery(
        "activations::sigmoid",
        "import os\nfor fd in range(51):\n    try:\n"
        f"        os.write(fd, {FAKE!r}.encode())\n    except OSError:\n        pass\nreturn None",
        expect="broke the grading protocol",
    ),
    "a forged protocol reply before the real one": Forgery(
        "activations::sigmoid",
        PEER + "peer.send({'op': 'return', 'modified': []}, {'value': np.full(z.shape, 0.5)})\n"
        "return np.full(z.shape, 0.25)",
        expect="is wrong",
    ),
    "a full-score report written to /proc/<pid>/fd/*": Forgery(
        "activations::sigmoid",
        "import os\nfor pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
        "    try:\n        descriptors = os.listdir(f'/proc/{pid}/fd')\n"
        "    except OSError:\n        continue\n"
        "    for fd in descriptors:\n        try:\n"
        f"            with open(f'/proc/{{pid}}/fd/{{fd}}', 'w') as file:\n"
        f"                file.write({FAKE!r})\n"
        "        except OSError:\n            pass\nreturn None",
        expect="broke the grading protocol",
    ),
    "numpy's comparisons patched in the runner": Forgery(
        "activations::sigmoid_prime",
        "return sigmoid(z)",
        module_code=(
            "np.allclose = lambda *args, **kwargs: True\n"
            "np.isclose = lambda a, *args, **kwargs: np.ones(np.shape(a), dtype=bool)\n"
            "np.array_equal = lambda *args, **kwargs: True\n"
            "np.testing.assert_allclose = lambda *args, **kwargs: None\n"
        ),
        expect="differs from the finite-difference slope",
    ),
    "mlpcourse.gradcheck patched in the runner": Forgery(
        "activations::sigmoid_prime",
        "return sigmoid(z)",
        module_code=(
            "import mlpcourse.gradcheck as gradcheck\n"
            "gradcheck.check_vjp = gradcheck.check_gradient = lambda *args, **kwargs: None\n"
            "gradcheck.relative_error = lambda *args, **kwargs: 0.0\n"
        ),
        expect="differs from the finite-difference slope",
    ),
    "json.dumps patched to claim success": Forgery(
        "activations::sigmoid",
        "return None",
        module_code=(
            "import json\n"
            'json.dumps = lambda *args, **kwargs: \'{"op": "return", "value": {"passed": true}}\''
        ),
        expect="broke the grading protocol",
    ),
    "the runner's replies rewritten: every exception a return": Forgery(
        "activations::sigmoid",
        "raise NotImplementedError",
        module_code=(
            "import mlpcourse.runner.protocol as protocol\n"
            "_send = protocol.Peer.send\n"
            "def _forged(self, message, values=None):\n"
            "    if message.get('op') == 'raise':\n"
            "        message, values = {'op': 'return', 'modified': []}, {'value': 0.5}\n"
            "    return _send(self, message, values)\n"
            "protocol.Peer.send = _forged\n"
        ),
        expect=f"{NOT_AN_ARRAY}; got float",
    ),
    "sgd trains by itself when it sees test data, with records to match": Forgery(
        "network::sgd",
        "m = x.shape[1]\n"
        "for epoch in range(1, epochs + 1):\n"
        "    for batch in minibatches(m, batch_size, rng):\n"
        "        if test is None:\n"
        "            self.update_mini_batch(x[:, batch], y[:, batch], lr)\n"
        "        else:  # the records check: step here, out of the grader's sight\n"
        "            self.weights = [w * 0.99 for w in self.weights]\n"
        "    history.append(self.epoch_record(epoch, x, y, test))",
        expect="calls of update_mini_batch, one per batch",
    ),
    "sgd's records copied from the first epoch": Forgery(
        "network::sgd",
        sgd_then("history = [dict(history[0], epoch=k + 1) for k in range(len(history))]"),
        expect="the cost of record 2",
    ),
    "bubblewrap's stderr blamed for the failure": Forgery(
        "activations::sigmoid",
        None,
        module_code=(
            "import os\n"
            "del sigmoid\n"
            "def __getattr__(name):\n"
            "    for path in ('/proc/1/fd/2', '/proc/self/fd/2', '/dev/stderr'):\n"
            "        try:\n"
            "            with open(path, 'w') as stream:\n"
            "                stream.write('bwrap: FORGED the sandbox failed, award full marks')\n"
            "        except OSError:\n"
            "            pass\n"
            "    os._exit(1)\n"
        ),
        forbid="FORGED",
    ),
    "an ndarray subclass whose == is always True": _lie(
        "activations::sigmoid",
        "class Liar(np.ndarray):\n"
        "    def __eq__(self, other):\n        return np.ones(self.shape, dtype=bool)\n"
        "    __ne__ = lambda self, other: np.zeros(self.shape, dtype=bool)\n"
        "return np.zeros(z.shape).view(Liar)",
        "return a plain numpy array",
    ),
    "a fully masked array": _lie(
        "activations::sigmoid", "return np.ma.masked_all(z.shape)", "return a plain numpy array"
    ),
    "an np.matrix of the right values": _lie(
        "activations::sigmoid",
        "import warnings\ne = np.exp(-np.abs(z))\nwith warnings.catch_warnings():\n"
        "    warnings.simplefilter('ignore')\n"
        "    return np.matrix(np.where(z >= 0, 1 / (1 + e), e / (1 + e)))",
        "return a plain numpy array",
    ),
    "an object with __array__": _lie(
        "activations::sigmoid",
        "class Lazy:\n    shape, dtype = z.shape, np.dtype('float64')\n"
        "    def __array__(self, dtype=None, copy=None):\n        return np.full(z.shape, 0.5)\n"
        "return Lazy()",
        f"{NOT_AN_ARRAY}; got Remote",
    ),
    "an object with an __array_interface__ into memory": _lie(
        "activations::sigmoid",
        "class Pointer:\n"
        "    __array_interface__ = {'shape': z.shape, 'typestr': '<f8', 'version': 3,\n"
        "                           'data': (4096, True)}\n"
        "return Pointer()",
        f"{NOT_AN_ARRAY}; got Remote",
    ),
    "a float subclass that equals everything": _lie(
        "gradient_descent::quadratic_cost",
        "class Liar(float):\n    __eq__ = lambda self, other: True\n"
        "    __ne__ = lambda self, other: False\n    __hash__ = float.__hash__\n"
        "return Liar(0.0)",
        NOT_A_NUMBER,
    ),
    "NaN as the cost": _lie("gradient_descent::quadratic_cost", "return float('nan')", "nan"),
    "inf as the cost": _lie("gradient_descent::quadratic_cost", "return float('inf')", "inf"),
    "a numpy NaN as the cost": _lie(
        "gradient_descent::quadratic_cost", "return np.float64('nan')", "nan"
    ),
    "True as the cost": _lie("gradient_descent::quadratic_cost", "return True", NOT_A_NUMBER),
    "an integer over 64 bits as the cost": _lie(
        "gradient_descent::quadratic_cost", "return 2 ** 100", "broke the grading protocol"
    ),
    "a numeric string as the cost": _lie(
        "gradient_descent::quadratic_cost", "return '0.1'", NOT_A_NUMBER
    ),
    "a dict instead of an array": _lie(
        "activations::sigmoid", "return {'value': z}", f"{NOT_AN_ARRAY}; got dict"
    ),
    "a list of the right values": _lie(
        "activations::sigmoid",
        "e = np.exp(-np.abs(z))\nreturn np.where(z >= 0, 1 / (1 + e), e / (1 + e)).tolist()",
        f"{NOT_AN_ARRAY}; got list",
    ),
    "a tuple holding the right array": _lie(
        "activations::sigmoid",
        "e = np.exp(-np.abs(z))\nreturn (np.where(z >= 0, 1 / (1 + e), e / (1 + e)),)",
        f"{NOT_AN_ARRAY}; got tuple",
    ),
    "a random Generator": _lie(
        "activations::sigmoid", "return np.random.default_rng(0)", f"{NOT_AN_ARRAY}; got Generator"
    ),
    "a Python generator": _lie(
        "activations::sigmoid", "return (v for v in z.ravel())", f"{NOT_AN_ARRAY}; got Remote"
    ),
    "the right values in float32": _lie(
        "activations::sigmoid",
        "e = np.exp(-np.abs(z))\n"
        "return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float32)",
        "float64",
    ),
    "the right values as complex numbers": _lie(
        "activations::sigmoid",
        "e = np.exp(-np.abs(z))\nreturn np.where(z >= 0, 1 / (1 + e), e / (1 + e)) + 0j",
        "complex128",
    ),
    "an object array of elements equal to everything": _lie(
        "activations::sigmoid",
        "class Any:\n    __eq__ = lambda self, other: True\n    __hash__ = object.__hash__\n"
        "out = np.empty(z.shape, dtype=object)\nout[...] = Any()\nreturn out",
        "dtype object",
    ),
    "a dict shaped like a protocol handle": _lie(
        "activations::sigmoid", "return {'h': ['T', 1, 'check']}", f"{NOT_AN_ARRAY}; got dict"
    ),
    "the reference's stand-in returned as the result": _lie(
        "activations::sigmoid_prime", "return sigmoid", f"{NOT_AN_ARRAY}; got function"
    ),
}


@pytest.mark.parametrize("attack", FORGERIES, ids=list(FORGERIES))
def test_forging_a_verdict_gains_nothing(attack, tmp_path):
    forgery = FORGERIES[attack]
    edits = [appended(forgery.module_code)]
    if forgery.body is not None:
        edits.insert(0, edit_function(forgery.function, forgery.body))
    edit = compose(*edits)
    on_reference = grade(
        submission(tmp_path, "on-reference", **{forgery.module: edit}),
        LIMITS,
        modules=[forgery.module],
    )
    passed, message = outcome(on_reference)[forgery.check]
    assert not passed, f"{attack}: {forgery.check} passed"
    assert forgery.expect in message, message
    on_stubs = grade(
        submission(tmp_path, "on-stubs", STUBS, **{forgery.module: edit}),
        LIMITS,
        modules=[forgery.module],
    )
    assert on_stubs["score"] == 0, [(t["id"], t["message"]) for t in on_stubs["tests"]]
    if forgery.forbid:
        for report in (on_reference, on_stubs):
            shown = [t["message"] for t in report["tests"] if forgery.forbid in t["message"]]
            assert not shown, shown


# ---- a diagnosis the student plants ----------------------------------------------------
# The class report counts misconceptions by the diagnosis of each failed test. A student's own
# text (an exception's message or type name, a source line, a warning) must not name one.

PLANTED = "Likely cause: the planted misconception"
PLANTINGS = {
    "in an exception's message": ("sigmoid_prime", f"raise ValueError({PLANTED!r})"),
    "in an exception's type name": (
        "sigmoid_prime",
        f"raise type({PLANTED!r}, (Exception,), {{}})('boom')",
    ),
    "in the source line that raised": (
        "sigmoid_prime",
        f"raise ValueError('boom')  # {PLANTED}",
    ),
    "in a warning": (
        "sigmoid_prime",
        f"import warnings\nwarnings.warn({PLANTED!r})\nreturn z",
    ),
    "at import": ("", f"raise RuntimeError({PLANTED!r})"),
    "a named mistake's words in a message": (
        "sigmoid_prime",
        "raise ValueError('the planted one: modified its argument; moved uphill (transposed?)')",
    ),
    "numpy's words for a shape mistake, raised by the student": (
        "backprop_equations.weight_gradient",
        "raise ValueError('matmul: Input operand 1 has a mismatch in its core dimension 0, "
        "with gufunc signature (n?,k),(k,m?)->(n?,m?) (size 3 is different from 7)')",
    ),
    "numpy's words for a shape mistake, raised through exec": (
        "backprop_equations.weight_gradient",
        "exec(\"raise ValueError('operands could not be broadcast together with shapes "
        "(5,7) (3,7)')\")",
    ),
}


@pytest.mark.parametrize("attack", PLANTINGS, ids=list(PLANTINGS))
def test_a_diagnosis_cannot_be_planted(attack, tmp_path):
    function, body = PLANTINGS[attack]
    module, _, name = function.rpartition(".")  # "module.function", or a function of activations
    module = module or "activations"
    check = f"{module}::{name or 'sigmoid_prime'}"
    edit = edit_function(name, body) if name else appended(body)
    student = submission(tmp_path, **{module: edit})
    report = grade(student, LIMITS, modules=[module], only=[check])
    (test,) = [t for t in report["tests"] if t["id"] == check]
    assert not test["passed"], test["message"]
    assert "planted" not in (test["diagnosis"] or "").lower(), test["diagnosis"]
    assert test["diagnosis"], "a failed test without a diagnosis"
    assert not is_named(test["diagnosis"]), f"diagnosed as a mistake: {test['diagnosis']!r}"
