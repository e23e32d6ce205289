"""10. Stalling and bloating the grader.

Every limit holds whatever the runner does: the deadline is checked before each message is
read or served, requests and bytes are counted per check, and every value that reaches the
grader is bounded before it is converted. The check fails with its cause; the grader's own
memory does not grow with what the runner sends; classmates' checks are unaffected.
"""

import json
import resource
import subprocess
import sys
from dataclasses import dataclass

import pytest

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.grading import grade
from mlpcourse.grader.limits import Limits

from ..helpers import (
    STUBS,
    TOTAL,
    appended,
    chapter_points,
    edit_function,
    max_points,
    outcome,
    submission,
)
from .hostile import LOOP

pytestmark = pytest.mark.attack("stalling or bloating the grader")


#: The runner's own pipe ends: ``python -I -c BOOT LIB SUBMISSION IN OUT``.
PIPES = "import sys, os\nreader, writer = int(sys.argv[3]), int(sys.argv[4])\n"
#: A prebuilt request the grader must decode (50,000 items) before refusing it.
FLOOD = (
    PIPES + "import json, struct, signal, fcntl\n"
    "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
    "try:\n    fcntl.fcntl(writer, 1031, 1 << 20)\nexcept OSError:\n    pass\n"
    "os.set_blocking(reader, False)\n"
    "header = json.dumps({'op': 'call', 'target': {'l': [0] * 50_000}}).encode()\n"
    "message = struct.pack('<II', len(header), 0) + header\n"
    "while True:\n    os.write(writer, message)\n"
    "    try:\n        os.read(reader, 1 << 20)\n    except BlockingIOError:\n        pass\n"
)


@dataclass(frozen=True)
class Stall:
    module: str
    function: str
    body: str
    expect: tuple[str, ...]  # one of these in the attacked check's message
    #: Where a budget, not the clock, must stop the attack, the clock is given a margin that
    #: a busy machine keeps (the budget ends it in a few seconds on a quiet one).
    check_timeout: float = 4.0


STALLS = {
    "malformed requests flooded, SIGALRM ignored": Stall(
        "activations", "sigmoid", FLOOD, ("did not finish within",)
    ),
    "malformed requests flooded at import": Stall(
        "activations", "", FLOOD.replace("\n", "\n"), ("did not finish within",)
    ),
    "a grader function called without end": Stall(
        "feedforward",
        "feedforward",
        "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "while True:\n    g(np.zeros((1, 1)))",
        ("more than 20000 requests",),
        check_timeout=300.0,
    ),
    "a 64 MB array to feedforward's g": Stall(
        "feedforward",
        "feedforward",
        "return g(np.zeros((1, 8_000_000)))",
        ("entries",),
    ),
    "32 MB arrays sent again and again, the refusals swallowed": Stall(
        "feedforward",
        "feedforward",
        "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "big = np.zeros((1, 4_000_000))\n"
        "while True:\n    try:\n        g(big)\n    except Exception:\n        pass",
        ("MiB sent to the grader",),
        check_timeout=300.0,
    ),
    "a (1, 63,000,000) bool array to the check's update_mini_batch": Stall(
        "network",
        "Network.sgd",
        "self.update_mini_batch(np.zeros((1, 63_000_000), dtype=bool), y, lr)\nreturn []",
        ("entries in one message", "must return a list"),
    ),
    "a header of a million tiny items": Stall(
        "activations",
        "sigmoid",
        PIPES + "import json, struct\n"
        "header = json.dumps({'op': 'call', 'target': {'l': [[0]] * 400_000}}).encode()\n"
        "os.write(writer, struct.pack('<II', len(header), 0) + header)\n" + LOOP,
        ("broke the grading protocol", "did not finish within"),
    ),
}


@pytest.mark.parametrize("attack", STALLS, ids=list(STALLS))
def test_the_grader_cannot_be_stalled_or_bloated(attack, tmp_path):
    stall = STALLS[attack]
    if stall.function:
        edit = edit_function(stall.function, stall.body)
    else:
        edit = appended(stall.body)
    student = submission(tmp_path, **{stall.module: edit})
    other = "gradient_descent"
    attacked = [c.id for c in CHECKS if c.module == stall.module]
    if stall.function:
        attacked = [f"{stall.module}::{stall.function.rpartition('.')[2]}"]
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    limits = Limits(
        check_timeout=stall.check_timeout, timeout=stall.check_timeout * 8, memory_mb=1024
    )
    report = grade(student, limits, modules=[stall.module, other], only=[*attacked, *_ids(other)])
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before) / 1024
    results = outcome(report)
    for check_id in attacked:
        passed, message = results[check_id]
        assert not passed, f"{attack}: {check_id} passed"
        assert any(e in message for e in stall.expect), message
    assert chapter_points(report, other) == max_points(other)
    # A 63 MB array turned into Python ints is gigabytes: nothing near that reaches the grader.
    assert grown < 600, f"the trusted grader grew by {grown:.0f} MiB"


def _ids(module: str) -> list[str]:
    return [c.id for c in CHECKS if c.module == module]


def test_one_student_cannot_cost_the_class_its_grades(tmp_path):
    """A submission that stalls every chapter is bounded; classmates get their grades, the CSV."""
    every_module_floods = {m: appended(FLOOD) for m in EXERCISE_MODULES}
    classroom = tmp_path / "class"
    submission(classroom, "ada")
    submission(classroom, "bob", base=STUBS)
    submission(classroom, "mallory", **every_module_floods)
    csv_file = tmp_path / "grades.csv"
    # Limits far above what ada and bob need on a loaded machine; mallory meets the
    # submission's bound (45 s), which ends every chapter she has not finished.
    limits = ["--check-timeout", "120", "--timeout", "240", "--student-timeout", "45"]
    subprocess.run(
        [sys.executable, "-m", "mlpcourse.cli", "grade", str(classroom), "--all"]
        + ["--csv", str(csv_file), "--json-dir", str(tmp_path / "json"), "--jobs", "2", *limits],
        check=True,
        capture_output=True,
    )
    reports = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "json").glob("*.json")}
    assert reports["ada"]["score"] == TOTAL and "incomplete" not in reports["ada"]
    assert reports["bob"]["score"] == 0 and len(reports["bob"]["tests"]) == len(CHECKS)
    mallory = reports["mallory"]
    assert [t["id"] for t in mallory["tests"]] == [c.id for c in CHECKS]
    assert mallory["score"] == 0
    labels = {t["diagnosis"] for t in mallory["tests"]}
    # Time runs out first on a busy machine; on a quiet one the flood may meet its budget first.
    assert labels <= {"timed out", "timed out at import", "asked too much of the grader"}, labels
    bounds = ("for the whole submission were used up", "did not finish within", "asked too much")
    assert all(any(b in t["message"] for b in bounds) for t in mallory["tests"]), mallory
    lines = csv_file.read_text().splitlines()
    assert len(lines) == 4 and lines[1].startswith("ada,")


def test_a_grading_worker_killed_from_outside_keeps_what_finished(tmp_path, monkeypatch):
    """The class process kills a worker past the submission's bound: the report says so."""
    from mlpcourse.grader import class_run

    later = {m: appended(FLOOD) for m in EXERCISE_MODULES[2:]}
    student = submission(tmp_path, "slow", **later)  # 3 s a chapter after the second
    limits = Limits(check_timeout=3, timeout=20, student_timeout=12)
    # As if the trusted worker itself hung: the class process ends it 8 s in, from outside.
    monkeypatch.setattr(class_run, "KILL_MARGIN", 8 - limits.student_timeout)
    report = class_run.grade_in_worker(student, limits, sandbox=True)
    assert [t["id"] for t in report["tests"]] == [c.id for c in CHECKS]
    assert "were used up" in report["incomplete"], report["incomplete"]
    reasons = {t["message"] for t in report["tests"] if not t["passed"]}
    assert any("whole submission were used up" in r for r in reasons), reasons
    first = [t for t in report["tests"] if t["chapter"] in ("01-neuron", "02-activations")]
    assert all(t["passed"] for t in first), [t["message"] for t in first]


def test_a_grading_worker_over_its_memory_is_reported_alone(tmp_path):
    """A worker that cannot stay within the grader's memory ends; its student is reported."""
    from mlpcourse.grader import class_run

    student = submission(tmp_path, "heavy")
    report = class_run.grade_in_worker(student, Limits(grader_memory_mb=48), sandbox=True)
    assert [t["id"] for t in report["tests"]] == [c.id for c in CHECKS]
    assert report["score"] == 0
    assert "48 MiB" in report["incomplete"], report["incomplete"]
