"""The grader: the JSON contract, broken submissions, class grading, the check command.

Each submission is the reference with one module edited; grading is done as
in class, by sandboxed runners. Time limits keep a margin a loaded machine
keeps; only where time is the point (an endless loop) are they the
grader's default. The hostile submissions are in tests/project/attacks/.
"""

import json
import shutil
import subprocess
import sys

import pytest

from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.grading import grade
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR

from .helpers import LIMITS, STALLING, outcome, submission
from .mutants import Variant

STALLED = f"did not finish within {STALLING.check_timeout:g} s"


def in_function(check: str, function: str, body: str) -> Variant:
    return Variant(check, function, body, "attack")


def test_report_follows_the_contract(tmp_path):
    report = grade(submission(tmp_path), LIMITS)
    assert set(report) == {"score", "max_score", "tests", "variant"}  # variant: additive
    assert report["variant"] == "published"
    assert report["score"] == report["max_score"] == sum(c.points for c in CHECKS)
    assert [t["id"] for t in report["tests"]] == [c.id for c in CHECKS]
    for test, check in zip(report["tests"], CHECKS):
        assert set(test) == {
            "id",
            "chapter",
            "functions",
            "points",
            "max_points",
            "passed",
            "message",
            "diagnosis",
        }
        assert test["diagnosis"] is None
        assert test["chapter"] == check.chapter and test["max_points"] == check.points
        assert all(f.startswith("mlpcourse.") for f in test["functions"])
    assert "mlpcourse.network.Network.backprop" in {
        f for t in report["tests"] for f in t["functions"]
    }


def test_cli_json_and_exit_status(tmp_path):
    stubs = tmp_path / "stubs"
    shutil.copytree(PACKAGE_DIR, stubs / "mlpcourse")
    command = [sys.executable, "-m", "mlpcourse.cli", "grade", str(stubs), "--json"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["score"] == 0 and report["max_score"] == sum(c.points for c in CHECKS)
    assert all("NotImplementedError" in t["message"] for t in report["tests"])
    missing = [sys.executable, "-m", "mlpcourse.cli", "grade", str(tmp_path / "nobody")]
    assert subprocess.run(missing, capture_output=True).returncode == 2


def test_missing_file_fails_its_chapter_only(tmp_path):
    student = submission(tmp_path)
    (student / "mlpcourse" / "feedforward.py").unlink()
    results = outcome(grade(student, LIMITS, modules=["feedforward", "gradient_descent"]))
    assert results["feedforward::feedforward"][0] is False
    assert "mlpcourse/feedforward.py is missing" in results["feedforward::feedforward"][1]
    assert all(passed for id_, (passed, _) in results.items() if id_.startswith("gradient_"))


ATTACKS = {
    "endless loop": (
        "activations",
        in_function("activations::sigmoid", "sigmoid", "while True:\n    pass"),
        {"activations::sigmoid": f"sigmoid {STALLED}"},
    ),
    "unbounded allocation": (
        "activations",
        in_function(
            "activations::relu", "relu", "hog = []\nwhile True:\n    hog.append(np.empty(10**7))"
        ),
        {"activations::relu": "MemoryError"},
    ),
    "sys.exit in a function": (
        "activations",
        in_function("activations::tanh", "tanh", "import sys\nsys.exit(0)"),
        {"activations::tanh": "sys.exit(0)"},
    ),
    "os._exit in a function": (
        "activations",
        in_function("activations::tanh_prime", "tanh_prime", "import os\nos._exit(3)"),
        {"activations::tanh_prime": "exited with status 3 (sys.exit or os._exit?), while running"},
    ),
    "a C-level crash in a function": (
        "activations",
        in_function(
            "activations::relu_prime",
            "relu_prime",
            "import signal\nsignal.raise_signal(signal.SIGSEGV)",
        ),
        {"activations::relu_prime": "SIGSEGV"},
    ),
    "megabytes printed": (
        "activations",
        lambda text: text.replace(
            "    e = np.exp(-np.abs(z))", "    print('x' * 10**7)\n    e = np.exp(-np.abs(z))"
        ),
        {},
    ),
    "numpy's global state changed": (
        "activations",
        lambda text: (
            text + "\nnp.seterr(all='raise')\nnp.random.seed(1)\nnp.set_printoptions(precision=1)\n"
        ),
        {},
    ),
    "files deleted in its working folder": (
        "activations",
        lambda text: text.replace(
            "    e = np.exp(-np.abs(z))",
            "    import os\n    for f in os.listdir('.'):\n"
            "        if os.path.isfile(f):\n            os.remove(f)\n"
            "    e = np.exp(-np.abs(z))",
        ),
        {},
    ),
    "raise at import": (
        "neuron",
        lambda text: text + "\nraise RuntimeError('boom')\n",
        {c.id: "RuntimeError: boom" for c in CHECKS if c.module == "neuron"},
    ),
    "sys.exit at import": (
        "neuron",
        lambda text: text + "\nimport sys\nsys.exit(2)\n",
        {c.id: "sys.exit(2)" for c in CHECKS if c.module == "neuron"},
    ),
    "os._exit at import": (
        "neuron",
        lambda text: text + "\nimport os\nos._exit(4)\n",
        {
            c.id: "importing mlpcourse/neuron.py failed: the process exited with status 4"
            for c in CHECKS
            if c.module == "neuron"
        },
    ),
    "endless loop at import": (
        "neuron",
        lambda text: text + "\nwhile True:\n    pass\n",
        {c.id: STALLED for c in CHECKS if c.module == "neuron"},
    ),
    "syntax error": (
        "neuron",
        lambda text: text.replace("return w.T @ x + b", "return w.T @ x +"),
        {c.id: "SyntaxError" for c in CHECKS if c.module == "neuron"},
    ),
}


@pytest.mark.parametrize("attack", ATTACKS, ids=list(ATTACKS))
def test_a_broken_submission_loses_only_what_it_broke(attack, tmp_path):
    module, edit, expected = ATTACKS[attack]
    stalls = any(STALLED in message for message in expected.values())
    limits = STALLING if stalls else LIMITS
    other = "gradient_descent"
    report = grade(submission(tmp_path, **{module: edit}), limits, modules=[module, other])
    results = outcome(report)
    for check_id, (passed, message) in results.items():
        if check_id in expected:
            assert not passed and expected[check_id] in message, (check_id, message)
        else:
            assert passed, (check_id, message)
    assert report["max_score"] == sum(c.points for c in CHECKS if c.module in (module, other))


WRONG_SIGMOID_PRIME = "return sigmoid(z)"
TAMPERING = {
    "np.allclose patched": "np.allclose = lambda *args, **kwargs: True\nnp.isclose = np.allclose",
    "the checker patched": (
        "import mlpcourse.gradcheck\nmlpcourse.gradcheck.check_vjp = lambda *args, **kwargs: None"
    ),
    "a check replaced": (
        "try:\n    import mlpcourse.grader.checks as checks\n"
        "    for c in checks.CHECKS:\n        object.__setattr__(c, 'run', lambda impl: None)\n"
        "except ImportError:\n    pass"
    ),
}


@pytest.mark.parametrize("attack", TAMPERING, ids=list(TAMPERING))
def test_tampering_inside_the_runner_changes_no_verdict(attack, tmp_path):
    edit = Variant("activations::sigmoid_prime", "sigmoid_prime", WRONG_SIGMOID_PRIME, "")

    def tamper(text):
        return edit.apply(text) + "\n" + TAMPERING[attack] + "\n"

    results = outcome(
        grade(submission(tmp_path, activations=tamper), LIMITS, modules=["activations"])
    )
    assert not results["activations::sigmoid_prime"][0]
    assert all(
        passed for id_, (passed, _) in results.items() if id_ != "activations::sigmoid_prime"
    )


def test_editing_tests_and_checks_in_the_submission_gains_nothing(tmp_path):
    student = tmp_path / "student"
    shutil.copytree(
        PACKAGE_DIR, student / "mlpcourse", ignore=shutil.ignore_patterns("__pycache__")
    )
    (student / "tests" / "graded").mkdir(parents=True)
    (student / "tests" / "graded" / "test_graded.py").write_text("def test_graded():\n    pass\n")
    for path in (student / "mlpcourse" / "checks").glob("*.py"):
        path.write_text(path.read_text().replace("raise AssertionError", "return None  #"))
    (student / "mlpcourse" / "gradcheck.py").write_text("def check_gradient(*a, **k):\n    pass\n")
    report = grade(student, LIMITS, modules=["activations"])
    assert report["score"] == 0


def test_fake_results_are_ignored(tmp_path):
    fake = {"event": "result", "passed": True, "message": ""}
    lines = [json.dumps({**fake, "id": c.id, "nonce": ""}) for c in CHECKS]
    forge = (
        "import sys, os\n"
        f"FAKE = {chr(10).join(lines)!r}\n"
        "print(FAKE)\nsys.__stdout__.write(FAKE)\n"
        "open('results.jsonl', 'w').write(FAKE)\n"
        "for fd in range(3, 20):\n"
        "    try:\n        os.write(fd, FAKE.encode())\n    except OSError:\n        pass\n"
    )
    student = tmp_path / "student"
    shutil.copytree(
        PACKAGE_DIR, student / "mlpcourse", ignore=shutil.ignore_patterns("__pycache__")
    )
    stub = student / "mlpcourse" / "activations.py"
    stub.write_text(stub.read_text() + "\n" + forge)
    (student / "results.jsonl").write_text(forge)
    assert grade(student, LIMITS, modules=["activations"])["score"] == 0


READ_REFERENCE = {
    "open the reference file": (
        f"exec(open({str(REFERENCE_DIR / 'activations.py')!r}).read().split('def sigmoid')[0])\n"
        "return 0.5 * (1 + np.tanh(z / 2))"
    ),
    "load the reference": (
        "from mlpcourse.implementation import load\nreturn load('reference').activations.sigmoid(z)"
    ),
    "find it in sys.modules": (
        "import sys\n"
        "ref = [m for n, m in list(sys.modules.items())\n"
        "       if n.endswith('.activations') and n != __name__]\n"
        "return ref[0].sigmoid(z)"
    ),
}


@pytest.mark.parametrize("attack", READ_REFERENCE, ids=list(READ_REFERENCE))
def test_reading_the_reference_fails(attack, tmp_path):
    edit = Variant("activations::sigmoid", "sigmoid", READ_REFERENCE[attack], "")
    results = outcome(
        grade(submission(tmp_path, activations=edit), LIMITS, modules=["activations"])
    )
    assert not results["activations::sigmoid"][0], results["activations::sigmoid"]


def test_class_grading_csv_json_and_idempotence(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    submission(klass, "ada")
    submission(
        klass,
        "bob",
        activations=Variant(
            "activations::sigmoid_prime", "sigmoid_prime", "return z * (1 - z)", ""
        ),
        neuron=lambda text: text + "\nimport os\nos._exit(1)\n",
    )
    shutil.copytree(
        PACKAGE_DIR, klass / "cy" / "mlpcourse", ignore=shutil.ignore_patterns("__pycache__")
    )
    (klass / "dan").mkdir()  # nothing handed in
    csv_path = tmp_path / "grades.csv"
    command = [
        sys.executable,
        "-m",
        "mlpcourse.cli",
        "grade",
        str(klass),
        "--all",
        "--csv",
        str(csv_path),
        "--jobs",
        "2",
    ]
    first = subprocess.run(command, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    rows = csv_path.read_text().splitlines()
    header = rows[0].split(",")
    chapters = sorted({c.chapter for c in CHECKS})
    assert header[: len(chapters) + 2] == ["student", *chapters, "total"]
    column = len(chapters) + 1  # the total
    table = {row.split(",")[0]: row.split(",") for row in rows[1:]}
    assert sorted(table) == ["ada", "bob", "cy", "dan"]
    total = sum(c.points for c in CHECKS)
    assert float(table["ada"][column]) == total
    neuron_points = sum(c.points for c in CHECKS if c.module == "neuron")
    lost = neuron_points + 2.0  # the neuron chapter, and sigmoid_prime
    assert float(table["bob"][column]) == total - lost
    assert float(table["cy"][column]) == 0 and float(table["dan"][column]) == 0
    reports = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "grades").glob("*.json")}
    assert sorted(reports) == ["ada", "bob", "cy", "dan"]
    assert reports["ada"]["score"] == total
    snapshot = (
        csv_path.read_bytes(),
        {p.name: p.read_bytes() for p in (tmp_path / "grades").iterdir()},
    )
    second = subprocess.run(command, capture_output=True, text=True)
    assert second.returncode == 0
    assert snapshot == (
        csv_path.read_bytes(),
        {p.name: p.read_bytes() for p in (tmp_path / "grades").iterdir()},
    )


def test_check_command_shows_a_scoreboard(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mlpcourse.cli", "check", "02"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "✗" in result.stdout and "activations.sigmoid_prime" in result.stdout
    assert "write sigmoid_prime in mlpcourse/activations.py" in result.stdout
    assert "score 0 / 8" in result.stdout


def test_grade_refuses_to_run_without_bubblewrap(tmp_path):
    stubs = tmp_path / "stubs"
    shutil.copytree(PACKAGE_DIR, stubs / "mlpcourse", ignore=shutil.ignore_patterns("__pycache__"))
    command = [sys.executable, "-m", "mlpcourse.cli", "grade", str(stubs), "--json"]
    no_bwrap = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    refused = subprocess.run(command, capture_output=True, text=True, env=no_bwrap)
    assert refused.returncode == 3 and refused.stdout == ""
    assert "apt-get install bubblewrap" in refused.stderr and "--no-sandbox" in refused.stderr
    unconfined = subprocess.run(
        [*command, "--no-sandbox"], capture_output=True, text=True, env=no_bwrap
    )
    assert unconfined.returncode == 0, unconfined.stderr
    assert "--no-sandbox" in unconfined.stderr and "trust" in unconfined.stderr
    assert json.loads(unconfined.stdout)["score"] == 0


def test_the_next_step_names_the_section_to_read():
    """A failed function sends the student to its section of the book, by its heading."""
    from mlpcourse.cli import next_step

    failed = {
        "id": "activations::sigmoid_prime",
        "chapter": "02-activations",
        "functions": ["mlpcourse.activations.sigmoid_prime"],
        "passed": False,
        "message": "sigmoid_prime(z) differs. Likely cause: looks like z(1 − z)",
        "diagnosis": "looks like z(1 − z)",
    }
    text = next_step({"tests": [failed], "max_score": 2.0}, everything=False)
    assert text.startswith("Next: fix sigmoid_prime in mlpcourse/activations.py.")
    assert "The section “The sigmoid” of chapter 02-activations explains it" in text


def test_a_teacher_can_leave_the_chapters_beyond_the_lecture_out_of_the_grade(
    monkeypatch, tmp_path
):
    """course.toml's grading.beyond_the_lecture: the report, the CSV row, the class report and
    the three platforms' result files follow."""
    from mlpcourse import config
    from mlpcourse.chapters import CHAPTERS
    from mlpcourse.course import class_summary, classes
    from mlpcourse.grader.checks import CHECKS
    from mlpcourse.grader.platforms import github_classroom, gradescope, prairielearn

    BEYOND_THE_LECTURE = {c.module for c in CHAPTERS if c.beyond_the_lecture}
    lecture = sum(c.points for c in CHECKS if c.module not in BEYOND_THE_LECTURE)
    (tmp_path / "course.toml").write_text("[grading]\nbeyond_the_lecture = false\n")
    assert config.load(tmp_path).graded_modules() == [
        m for m in config.load().graded_modules() if m not in BEYOND_THE_LECTURE
    ]
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "course.toml").write_text("[grading]\nbeyond_the_lecture = 'no'\n")
    with pytest.raises(ValueError, match="grading.beyond_the_lecture must be true or false"):
        config.load(tmp_path / "bad")
    monkeypatch.setattr(config, "load", lambda root=None: config.CourseConfig())
    everything = grade(REFERENCE_DIR.parent, LIMITS, modules=None, only=None)
    assert everything["max_score"] == sum(c.points for c in CHECKS) > lecture
    assert "07-autodiff" in classes.row("ann", everything)
    summary = class_summary.summarize({"ann": everything})
    assert "07-autodiff" in [c.chapter for c in summary.chapters]
    monkeypatch.setattr(
        config, "load", lambda root=None: config.CourseConfig(beyond_the_lecture=False)
    )
    without = grade(REFERENCE_DIR.parent, LIMITS)
    assert without["max_score"] == without["score"] == lecture
    assert not [t for t in without["tests"] if t["chapter"] == "07-autodiff"]
    row = classes.row("ann", everything)  # even a report graded with chapter 07 in it
    assert "07-autodiff" not in row and row["06-backprop-algorithm"] > 0
    summary = class_summary.summarize({"ann": everything})
    assert [c.chapter for c in summary.chapters] == [
        c.name for c in CHAPTERS if not c.beyond_the_lecture
    ]
    assert {f.check.split("::")[0] for f in summary.functions} == {
        c.module for c in CHAPTERS if not c.beyond_the_lecture
    }
    assert gradescope.results_json(without, 1.0)["score"] == lecture
    assert len(gradescope.results_json(without, 1.0)["tests"]) == len(without["tests"])
    assert prairielearn.results_json(without)["score"] == 1.0
    assert github_classroom.runner_result(without)["max_score"] == lecture


def test_the_grader_multiplies_matrices_on_one_blas_thread():
    """Chapters grade in threads and fork runners; OpenBLAS's fork handler waits for its own
    threads, which may be busy for another chapter's thread: the grader hung so. One BLAS
    thread hands nothing over."""
    from threadpoolctl import threadpool_info

    report = grade(REFERENCE_DIR.parent, LIMITS, modules=["neuron", "activations"])
    assert report["score"] == report["max_score"] > 0
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas), blas
