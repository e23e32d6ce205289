"""7. Denial of service: loops, sleeps, signals, fork bombs, floods of output or memory."""

import resource
import time
from dataclasses import dataclass

import pytest

from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.grading import grade

from ..helpers import (
    LIMITS,
    STALLING,
    chapter_points,
    edit_function,
    max_points,
    outcome,
    submission,
)
from .hostile import LOOP, PEER, SIGMOID, assert_returned, sgd_then

pytestmark = pytest.mark.attack("denial of service")


TIMEOUT = "did not finish within"


@dataclass(frozen=True)
class Denial:
    body: str  # the attacked function's body
    expect: str | tuple[str, ...] | None  # in the message (None: the check passes all the same)
    check: str = "activations::sigmoid"


DENIALS = {
    "an endless loop": Denial(LOOP, f"sigmoid {TIMEOUT}"),
    "a loop that swallows every exception": Denial(
        "while True:\n    try:\n        while True:\n            pass\n"
        "    except BaseException:\n        pass",
        f"sigmoid {TIMEOUT}",
    ),
    "SIGALRM ignored, then a loop": Denial(
        "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n" + LOOP, TIMEOUT
    ),
    "SIGTERM, SIGINT and SIGHUP ignored, then a loop": Denial(
        "import signal\n"
        "for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
        "    signal.signal(s, signal.SIG_IGN)\n" + LOOP,
        TIMEOUT,
    ),
    "a very long sleep": Denial("import time\ntime.sleep(10**6)", TIMEOUT),
    "signal.pause": Denial("import signal\nsignal.pause()", TIMEOUT),
    "SIGSTOP to itself": Denial("import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)", TIMEOUT),
    "a fork bomb": Denial(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        TIMEOUT,
    ),
    "100 MB printed on stdout": Denial("print('x' * 10**8)\n" + SIGMOID, None),
    "100 MB written to stderr": Denial(
        "import sys\nsys.stderr.write('x' * 10**8)\n" + SIGMOID, None
    ),
    "an exception with a 10 MB message": Denial("raise RuntimeError('x' * 10**7)", "RuntimeError"),
    "a 500 MB array returned": Denial("return np.zeros((8000, 8000))", "while running sigmoid"),
    # The memory limit stops it, or on a loaded machine the time limit first: contained either way.
    "memory allocated without end": Denial(
        "hog = []\nwhile True:\n    hog.append(np.ones(10**7))", ("MemoryError", TIMEOUT)
    ),
    "/tmp filled with one large file": Denial(
        "with open('/tmp/big', 'wb') as file:\n    for _ in range(200):\n"
        "        file.write(b'x' * 2**20)\n" + SIGMOID,
        "[Errno 27] File too large",
    ),
    "200 MB written outside /tmp (/, /dev/shm, /work)": Denial(
        "for i, folder in enumerate(['/', '/dev/shm', '/work', '/opt']):\n"
        "    with open(f'{folder}/big{i}', 'wb') as file:\n"
        "        for _ in range(50):\n            file.write(b'x' * 2**20)\n" + SIGMOID,
        "[Errno ",
    ),
    "infinite recursion": Denial(
        "def down(n):\n    return down(n + 1)\nreturn down(0)", "Recursion"
    ),
    "deep recursion past the C stack": Denial(
        "import sys\nsys.setrecursionlimit(10**7)\n"
        "def down(n):\n    return down(n + 1)\nreturn down(0)",
        (TIMEOUT, "SIGSEGV", "calls itself without end"),  # whichever limit it meets first
    ),
    "a list nested 100,000 deep": Denial(
        "value = []\nfor _ in range(100_000):\n    value = [value]\nreturn value",
        "nested too deeply to send",
    ),
    "a list of a million floats": Denial("return [0.5] * 10**6", "broke the grading protocol"),
    "half a protocol message, then a loop": Denial(
        PEER
        + "import os, struct\nos.write(peer.writer, struct.pack('<II', 1000, 0) + b'{')\n"
        + LOOP,
        TIMEOUT,
    ),
    "every descriptor closed": Denial(
        "import os\nos.closerange(0, 256)\n" + SIGMOID, "while running sigmoid"
    ),
    "a 1 MB value in the grader's message (sgd's records)": Denial(
        sgd_then("history = [dict(r, epoch=['x' * 60_000] * 20) for r in history]"),
        "record 1 says epoch",
        "network::sgd",
    ),
    "the grader made to allocate gigabytes (reference minibatches)": Denial(
        "minibatches(10**8, 10**8, np.random.default_rng(0))\nreturn []",
        "larger than the grader computes with",
        "network::sgd",
    ),
    # Chapter 07: the reference's backward runs on a mirror of the student's graph, read
    # through the wire; a graph too wide to send, or a cycle, must not stall or bloat it.
    # The runner's alarm usually ends this one while its answer is being encoded; the
    # wire's limits and the grader's bound on the graph stop it otherwise.
    "the grader made to read a Value with 300,000 parents (reference backward)": Denial(
        "root = Value(0.0, [Value(float(i)) for i in range(300_000)], 'fan')\n"
        "root.backward()\nreturn [], []",
        (TIMEOUT, "ProtocolError", "MiB limit", "more than 200000 Values"),
        "autodiff::network_gradients",
    ),
    "a cycle in the graph the reference sweeps (reference backward)": Denial(
        "a = Value(1.0)\nb = a * 2.0\na.parents = (b,)\nb.backward()\nreturn None",
        "must return a pair",
        "autodiff::network_gradients",
    ),
}


@pytest.mark.parametrize("attack", DENIALS, ids=list(DENIALS))
def test_denial_of_service_is_contained(attack, tmp_path):
    denial = DENIALS[attack]
    expect = (denial.expect,) if isinstance(denial.expect, str) else denial.expect or ()
    limits = STALLING if any(TIMEOUT in e for e in expect) else LIMITS  # is time the point?
    module, function = denial.check.split("::")
    name = "Network." + function if module == "network" else function
    student = submission(tmp_path, **{module: edit_function(name, denial.body)})
    other = "gradient_descent"
    only = [denial.check, *(c.id for c in CHECKS if c.module == other)]
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    report = grade(student, limits, modules=[module, other], only=only)
    elapsed = time.monotonic() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before) / 1024
    results = outcome(report)
    passed, message = results[denial.check]
    if denial.expect is None:
        assert passed, message
    else:
        assert not passed, f"{attack}: {denial.check} passed"
        assert any(e in message for e in expect), message
    assert len(message) < 20_000, f"a message of {len(message)} characters"
    assert_returned(elapsed, limits)
    assert chapter_points(report, other) == max_points(other), [
        (t["id"], t["message"]) for t in report["tests"] if not t["passed"]
    ]
    assert grown < limits.memory_mb, (
        f"the trusted grader grew by {grown:.0f} MiB for this submission, over the "
        f"{limits.memory_mb} MiB a runner may use"
    )
