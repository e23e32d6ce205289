"""Grading on a platform, simulated: each platform's layout built in a temporary folder.

Gradescope and PrairieLearn run their entry point as root in a container:
here an outer bubblewrap (root's own user namespace, so the grader's own
bubblewrap still starts inside) puts the temporary ``/autograder`` or
``/grade`` in place, a copy of ``/etc`` (``setup.sh`` creates its runner
user there) and a ``/root`` holding only the Python in use. A fake ``bwrap``
first on ``PATH`` makes bubblewrap unavailable, as in a container without
user namespaces. Every result file is checked field by field.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

import pytest
import yaml

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.grader import runner_user
from mlpcourse.grader.cases import course_cases, course_secret
from mlpcourse.grader.checks import CHECKS
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR

from .containers import PYTHON, jailed
from .helpers import TOTAL, appended

ROOT = PACKAGE_DIR.parent
GRADESCOPE_RESULTS = "/autograder/results/results.json"
PRAIRIELEARN_RESULTS = "/grade/results/results.json"
#: What a hostile student does at import: forge every result file it can reach, print one.
FORGER = """
import json as _json, os as _os
_forged = {"score": 1000, "gradable": True, "output": "FORGED", "tests": []}
for _path in ("GRADESCOPE", "PRAIRIELEARN", "results.json", "/tmp/results.json"):
    try:
        _os.makedirs(_os.path.dirname(_path) or ".", exist_ok=True)
        with open(_path, "w") as _file:
            _json.dump(_forged, _file)
    except OSError:
        pass
print(_json.dumps(_forged))
""".replace("GRADESCOPE", GRADESCOPE_RESULTS).replace("PRAIRIELEARN", PRAIRIELEARN_RESULTS)

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("bwrap") is None,
    reason="platform simulations run as root, with bubblewrap",
)


# ---- submissions ---------------------------------------------------------------------------


def upload(folder: Path, base: Path = REFERENCE_DIR, loose: bool = False, **edits) -> Path:
    """The exercise modules of ``base`` in ``folder`` (in ``mlpcourse/``, or loose), some edited."""
    target = folder if loose else folder / "mlpcourse"
    target.mkdir(parents=True, exist_ok=True)
    for module in EXERCISE_MODULES:
        text = (base / f"{module}.py").read_text()
        (target / f"{module}.py").write_text(edits[module](text) if module in edits else text)
    return folder


#: A sigmoid that fails if it runs as root or can read the grader's reference, else is right.
SPY = """
def sigmoid(z):
    import os
    if os.getuid() == 0:
        raise RuntimeError("ran as root")
    for path in PATHS:
        try:
            with open(path, "rb") as file:
                file.read()
        except OSError:
            continue
        raise RuntimeError("read " + path)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
"""


def spy(*paths: str):
    return appended(SPY.replace("PATHS", repr(paths)))


# ---- Gradescope -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    command = [sys.executable, "-m", "mlpcourse.cli", "export", "gradescope", str(target)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return target


def run_gradescope(machine, autograder_zip, tmp_path, submission, bwrap=True) -> dict:
    """Gradescope's steps: unpack into source/, setup.sh, then run_autograder; the results."""
    autograder = tmp_path / "autograder"
    (autograder / "results").mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(autograder / "source")
    for name in ("setup.sh", "run_autograder"):
        (autograder / "source" / name).chmod(0o755)
    shutil.copytree(submission, autograder / "submission")
    (autograder / "submission_metadata.json").write_text("{}")
    shutil.copy(autograder / "source" / "run_autograder", autograder / "run_autograder")
    result = jailed(
        machine,
        {"/autograder": autograder},
        "/autograder/source/setup.sh && /autograder/run_autograder",
        bwrap=bwrap,
    )
    assert (autograder / "source").stat().st_mode & 0o077 == 0, "setup.sh left source readable"
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((autograder / "results" / "results.json").read_text())


def check_gradescope(results: dict) -> None:
    """Gradescope's results.json format, field by field."""
    formats = {"text", "html", "simple_format", "md", "ansi"}
    visibilities = {"hidden", "after_due_date", "after_published", "visible"}
    assert isinstance(results["score"], float)
    assert isinstance(results["execution_time"], int) and results["execution_time"] >= 0
    assert isinstance(results["output"], str) and results["output"]
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert results[key] in formats, key
    assert results["visibility"] in visibilities and results["stdout_visibility"] in visibilities
    assert [t["name"].split(": ")[1] for t in results["tests"]] == [
        ", ".join(f.removeprefix("mlpcourse.") for f in c.qualified_functions) for c in CHECKS
    ]
    numbers = [t["number"] for t in results["tests"]]
    assert len(set(numbers)) == len(numbers) == len(CHECKS)
    for test, check in zip(results["tests"], CHECKS):
        assert set(test) <= {
            "score",
            "max_score",
            "status",
            "name",
            "name_format",
            "number",
            "output",
            "output_format",
            "tags",
            "visibility",
            "extra_data",
        }
        assert isinstance(test["score"], float) and test["max_score"] == check.points
        assert test["status"] == ("passed" if test["score"] == test["max_score"] else "failed")
        assert test["score"] in (0.0, test["max_score"])
        assert test["tags"] == [check.chapter] and test["visibility"] in visibilities
        assert test["output_format"] in formats and isinstance(test["output"], str)
        assert test["output"], test
    assert results["score"] == sum(t["score"] for t in results["tests"])
    assert results["extra_data"]["max_score"] == TOTAL


def test_gradescope_zip_holds_the_scripts_and_the_course(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        setup = archive.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert "course/solutions/mlpcourse/network.py" in names
    assert "course/mlpcourse/grader/grading.py" in names
    assert "course/requirements-grading.txt" in names
    assert not any("__pycache__" in n or n.endswith(".ipynb") for n in names)
    assert "apt-get install" in setup and "bubblewrap" in setup and "useradd" in setup
    # The course secret travels with the grader, readable by its owner only (root, after setup).
    assert modes["course/grading/secret"] & 0o777 == 0o600
    with zipfile.ZipFile(autograder_zip) as archive:
        assert archive.read("course/grading/secret").decode().strip() == course_secret().hex()


def test_gradescope_reference_gets_full_marks_under_bubblewrap(machine, autograder_zip, tmp_path):
    results = run_gradescope(machine, autograder_zip, tmp_path, upload(tmp_path / "upload"))
    check_gradescope(results)
    assert results["score"] == TOTAL
    assert all(t["status"] == "passed" for t in results["tests"])
    assert "isolated by: bubblewrap" in results["output"]
    assert results["extra_data"]["variant"] == course_cases().variant != "published"


def test_gradescope_loose_stubs_get_nothing(machine, autograder_zip, tmp_path):
    stubs = upload(tmp_path / "upload", base=PACKAGE_DIR, loose=True)
    results = run_gradescope(machine, autograder_zip, tmp_path, stubs)
    check_gradescope(results)
    assert results["score"] == 0
    assert all("not written yet" in t["output"] for t in results["tests"])


def test_gradescope_loose_files_grade_as_the_folder(machine, autograder_zip, tmp_path):
    edit = {"activations": appended("def relu(z):\n    return z")}
    folder = run_gradescope(
        machine, autograder_zip, tmp_path / "a", upload(tmp_path / "a" / "up", **edit)
    )
    loose = run_gradescope(
        machine, autograder_zip, tmp_path / "b", upload(tmp_path / "b" / "up", loose=True, **edit)
    )
    check_gradescope(loose)
    assert loose["score"] == folder["score"] < TOTAL
    assert [t["status"] for t in loose["tests"]] == [t["status"] for t in folder["tests"]]


@pytest.mark.attack("the platforms' result files")
@pytest.mark.parametrize("bwrap", [True, False], ids=["bubblewrap", "runner user"])
def test_gradescope_forged_results_change_nothing(machine, autograder_zip, tmp_path, bwrap):
    hostile = upload(tmp_path / "upload", activations=appended(FORGER))
    results = run_gradescope(machine, autograder_zip, tmp_path, hostile, bwrap=bwrap)
    check_gradescope(results)
    assert results["score"] == TOTAL and "FORGED" not in json.dumps(results)


@pytest.mark.attack("the runner user (no bubblewrap)")
def test_gradescope_runner_user_cannot_read_the_source(machine, autograder_zip, tmp_path):
    secret = "/autograder/source/course/solutions/mlpcourse/neuron.py"
    attack = spy(secret, "/autograder/source/course/mlpcourse/grader/reference.py")
    hostile = upload(tmp_path / "upload", activations=attack)
    results = run_gradescope(machine, autograder_zip, tmp_path, hostile, bwrap=False)
    check_gradescope(results)
    assert "isolated by: unprivileged user mlprunner" in results["output"]
    sigmoid = next(t for t in results["tests"] if t["name"].endswith("activations.sigmoid"))
    assert sigmoid["status"] == "passed", sigmoid["output"]
    assert results["score"] == TOTAL


def test_gradescope_empty_upload_says_so(machine, autograder_zip, tmp_path):
    (tmp_path / "upload").mkdir()
    results = run_gradescope(machine, autograder_zip, tmp_path, tmp_path / "upload")
    check_gradescope(results)
    assert results["score"] == 0 and "nothing was uploaded" in results["output"]
    assert all("missing from the submission" in t["output"] for t in results["tests"])


# ---- the runner user, from the command line -------------------------------------------------


@pytest.mark.attack("the runner user (no bubblewrap)")
def test_runner_user_runs_unprivileged_and_cannot_read_the_course(
    machine, private_course, tmp_path
):
    secret = private_course / "solutions" / "mlpcourse" / "neuron.py"
    hostile = upload(tmp_path / "student", activations=spy(str(secret)))
    grade = f"{PYTHON} -m mlpcourse.cli grade {hostile} --json --runner-user nobody"
    result = jailed(machine, {}, grade, bwrap=False, cwd=str(private_course))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    sigmoid = next(t for t in report["tests"] if t["id"] == "activations::sigmoid")
    assert sigmoid["passed"], sigmoid["message"]
    assert report["score"] == TOTAL
    # The same attack does work without isolation: the secret is there to read.
    unconfined = f"{PYTHON} -m mlpcourse.cli grade {hostile} --json --no-sandbox"
    result = jailed(machine, {}, unconfined, cwd=str(private_course))
    sigmoid = next(t for t in json.loads(result.stdout)["tests"] if t["id"].endswith("::sigmoid"))
    assert not sigmoid["passed"] and "ran as root" in sigmoid["message"]


@pytest.mark.attack("the runner user (no bubblewrap)")
def test_runner_user_cannot_read_a_classmate(machine, private_course, tmp_path):
    """As the runner user, a student cannot read the class: a readable class is refused."""
    klass = Path(tempfile.mkdtemp(prefix="mlpcourse-class-"))  # outside pytest's private tree
    try:
        classmate = upload(klass / "bea")
        secret = classmate / "mlpcourse" / "network.py"
        upload(klass / "ann", activations=spy(str(secret)))
        for folder in [klass, *klass.rglob("*")]:
            folder.chmod(0o755 if folder.is_dir() else 0o644)  # as a clone often is
        grade = f"{PYTHON} -m mlpcourse.cli grade {klass} --all --json --runner-user "
        readable = jailed(machine, {}, grade + "nobody", bwrap=False, cwd=str(private_course))
        assert readable.returncode == 3, readable.stdout[-2000:]
        assert f"can read the submissions ({klass / 'ann'}" in readable.stderr, readable.stderr
        klass.chmod(0o700)
        private = jailed(machine, {}, grade + "nobody", bwrap=False, cwd=str(private_course))
        assert private.returncode == 0, private.stderr
        reports = json.loads(private.stdout)
        for name in ("ann", "bea"):
            failed = [(t["id"], t["message"]) for t in reports[name]["tests"] if not t["passed"]]
            assert reports[name]["score"] == TOTAL, (name, failed)
    finally:
        shutil.rmtree(klass)


def test_a_probe_as_the_runner_user_waits_for_the_runner_of_a_classmate():
    """A runner starting as the user kills every process of it: a probe must not run beside it.

    (A class run's second worker lost a whole grade so: its probe, killed, said Python could
    not run as the user.)
    """
    user = runner_user.RunnerUser.named("nobody")
    held = runner_user.lock_user(user)  # as a classmate's runner holds it
    probed = threading.Event()

    def probe() -> None:
        try:
            runner_user.readable_as(user, [Path("/")])
        except runner_user.SandboxUnavailable:
            pass  # whether Python runs as nobody here is not the point
        finally:
            probed.set()

    threading.Thread(target=probe, daemon=True).start()
    try:
        assert not probed.wait(2), "the probe ran as the user while a runner held it"
    finally:
        os.close(held)
    assert probed.wait(120), "the probe never ran once the runner was done"


def test_runner_user_refuses_a_readable_course_and_a_missing_user(machine, tmp_path):
    student = upload(tmp_path / "student")
    grade = f"{PYTHON} -m mlpcourse.cli grade {student} --json --runner-user"
    course = Path(tempfile.mkdtemp(prefix="mlpcourse-course-"))  # readable by all, as a clone
    try:
        shutil.copytree(ROOT / "mlpcourse", course / "mlpcourse")
        shutil.copytree(REFERENCE_DIR, course / "solutions" / "mlpcourse")
        for path in [course, *course.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        readable = jailed(machine, {}, f"{grade} nobody", bwrap=False, cwd=str(course))
        assert readable.returncode == 3 and readable.stdout == ""
        assert "can read the grader's files" in readable.stderr and "bwrap" in readable.stderr
        missing = jailed(machine, {}, f"{grade} no-such-user", bwrap=False, cwd=str(course))
        assert missing.returncode == 3 and "no user named 'no-such-user'" in missing.stderr
    finally:
        shutil.rmtree(course)


# ---- PrairieLearn ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def question(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("prairielearn") / "question"
    command = [sys.executable, "-m", "mlpcourse.cli", "export", "prairielearn", str(target)]
    command += ["--image", "example/mlpcourse-grader", "--timeout", "200"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return target


def run_prairielearn(machine, question, tmp_path, student: Path, bwrap=True) -> dict:
    """PrairieLearn's steps: tests/ and the student's files under /grade, then the entrypoint."""
    grade = tmp_path / "grade"
    (grade / "results").mkdir(parents=True)
    (grade / "data").mkdir()
    (grade / "data" / "data.json").write_text("{}")
    (grade / "serverFilesCourse").mkdir()
    shutil.copytree(question / "tests", grade / "tests", symlinks=True)
    shutil.copytree(student, grade / "student", symlinks=True)
    entrypoint = json.loads((question / "info.json").read_text())["externalGradingOptions"]
    result = jailed(machine, {"/grade": grade}, entrypoint["entrypoint"], bwrap=bwrap)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (grade / "results" / "results.json").read_text()
    assert len(text.encode()) <= 1_000_000
    return json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in results.json"))


def check_prairielearn(results: dict) -> None:
    """PrairieLearn's results.json format, field by field."""
    assert isinstance(results["gradable"], bool) and isinstance(results["message"], str)
    assert 0.0 <= results["score"] <= 1.0
    if not results["gradable"]:
        assert results["message"] and results["score"] == 0
        return
    tests = results["tests"]
    assert len(tests) == len(CHECKS)
    for test, check in zip(tests, CHECKS):
        assert set(test) == {"name", "description", "points", "max_points", "message", "output"}
        assert test["max_points"] == check.points and test["points"] in (0.0, check.points)
        assert all(isinstance(test[k], str) for k in ("name", "description", "message", "output"))
    earned = sum(t["points"] for t in tests)
    assert results["score"] == pytest.approx(earned / sum(t["max_points"] for t in tests))


def test_prairielearn_question_files(question):
    info = json.loads((question / "info.json").read_text())
    options = info["externalGradingOptions"]
    assert info["type"] == "v3" and info["gradingMethod"] == "External"
    assert info["singleVariant"] is True and len(info["uuid"]) == 36
    assert isinstance(info["title"], str) and isinstance(info["topic"], str)
    assert options["enabled"] is True and options["image"] == "example/mlpcourse-grader"
    assert isinstance(options["timeout"], int) and options["timeout"] == 200
    assert options["entrypoint"] == "/grade/tests/grade.sh"
    assert (question / "tests" / "grade.sh").stat().st_mode & 0o111
    secret = question / "tests" / "course" / "grading" / "secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert secret.read_text().strip() == course_secret().hex()
    html = (question / "question.html").read_text()
    assert "<pl-file-upload" in html
    assert all(f"{module}.py" in html for module in EXERCISE_MODULES)
    too_long = [sys.executable, "-m", "mlpcourse.cli", "export", "prairielearn"]
    result = subprocess.run(
        [*too_long, str(question.parent / "other"), "--timeout", "900"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2 and "at most" not in result.stdout
    assert "timeout must be an integer from 1 to 600 s, got 900" in result.stderr


def test_prairielearn_export_again_keeps_the_question(tmp_path):
    """A second export updates the question under the same uuid; a foreign folder is refused."""
    from mlpcourse.course.platforms import prairielearn

    target = tmp_path / "question"
    prairielearn.export(target)
    first = json.loads((target / "info.json").read_text())["uuid"]
    (target / "tests" / "course" / "stale.py").write_text("# from an older export\n")
    prairielearn.export(target, timeout=300)
    info = json.loads((target / "info.json").read_text())
    assert info["uuid"] == first and info["externalGradingOptions"]["timeout"] == 300
    assert not (target / "tests" / "course" / "stale.py").exists()
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="new, empty or an earlier export"):
        prairielearn.export(foreign)
    assert (foreign / "todo.txt").read_text() == "mine"


def test_prairielearn_grades_the_hidden_cases(machine, question, tmp_path):
    """A table of the published points passes them, not the cases the question's secret draws."""
    from .attacks.test_replaying import REPLAYS
    from .helpers import edit_function

    table = REPLAYS["sigmoid_prime: a table of the published points"]
    student = upload(tmp_path / "s", activations=edit_function(table.function, table.body))
    results = run_prairielearn(machine, question, tmp_path, student)
    check_prairielearn(results)
    failed = [t["name"] for t in results["tests"] if t["points"] < t["max_points"]]
    assert failed == ["02-activations: activations.sigmoid_prime"], failed


def test_prairielearn_reference_stubs_and_loose_files(machine, question, tmp_path):
    reference = run_prairielearn(
        machine, question, tmp_path / "a", upload(tmp_path / "a" / "s", loose=True)
    )
    check_prairielearn(reference)
    assert reference["gradable"] and reference["score"] == 1.0
    folder = run_prairielearn(machine, question, tmp_path / "b", upload(tmp_path / "b" / "s"))
    assert folder["score"] == 1.0
    stubs = upload(tmp_path / "c" / "s", base=PACKAGE_DIR, loose=True)
    stubs = run_prairielearn(machine, question, tmp_path / "c", stubs)
    check_prairielearn(stubs)
    assert stubs["gradable"] and stubs["score"] == 0.0
    assert all("not written yet" in t["message"] for t in stubs["tests"])


@pytest.mark.attack("the platforms' result files")
def test_prairielearn_forged_results_change_nothing(machine, question, tmp_path):
    hostile = upload(tmp_path / "s", loose=True, activations=appended(FORGER))
    results = run_prairielearn(machine, question, tmp_path, hostile)
    check_prairielearn(results)
    assert results["score"] == 1.0 and "FORGED" not in json.dumps(results)


def _missing(folder: Path) -> None:
    (folder / "network.py").unlink()


def _not_utf8(folder: Path) -> None:
    (folder / "neuron.py").write_bytes(b"def neuron():\n    return '\xff\xfe'\n")


def _directory(folder: Path) -> None:
    (folder / "feedforward.py").unlink()
    (folder / "feedforward.py").mkdir()


def _link(folder: Path) -> None:
    (folder / "activations.py").unlink()
    (folder / "activations.py").symlink_to(REFERENCE_DIR / "activations.py")


def _nothing(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()


@pytest.mark.parametrize(
    "break_it, said",
    [
        (_missing, "network.py is missing"),
        (_not_utf8, "neuron.py is not UTF-8 text"),
        (_directory, "feedforward.py is not a regular file"),
        (_link, "activations.py could not be read (it is a symbolic link)"),
        (_nothing, "nothing was uploaded"),
    ],
    ids=["missing", "not UTF-8", "a directory", "a link", "nothing"],
)
def test_prairielearn_malformed_upload_is_not_gradable(machine, question, tmp_path, break_it, said):
    student = upload(tmp_path / "s", loose=True)
    break_it(student)
    results = run_prairielearn(machine, question, tmp_path, student)
    check_prairielearn(results)
    assert results["gradable"] is False and said in results["message"], results["message"]
    errors = results["format_errors"]  # a string or a list of strings, shown by the upload
    assert isinstance(errors, list) and all(isinstance(e, str) for e in errors)
    assert any(said in error for error in errors), errors


def test_prairielearn_results_fit_in_a_megabyte():
    from mlpcourse.grader.platforms.prairielearn import bounded

    huge = {"gradable": True, "score": 0.0, "message": "x" * 2_000_000, "output": "y"}
    huge["tests"] = [{"name": "t", "message": "z" * 100_000, "output": ""}] * 30
    assert len(json.dumps(bounded(huge)).encode()) <= 1_000_000
    assert huge["message"].startswith("x")


# ---- GitHub Classroom -----------------------------------------------------------------------


def classroom(path: Path, *options: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "mlpcourse.cli", "grade", str(path), *options]
    return subprocess.run(command, capture_output=True, text=True, cwd=path.parent)


def check_classroom(result: dict) -> None:
    """The version-1 runner result, as the grading reporter reads it."""
    assert result["version"] == 1 and result["status"] in ("pass", "fail", "error")
    assert result["max_score"] == TOTAL
    assert [t["name"] for t in result["tests"]] == [c.id for c in CHECKS]
    for test, check in zip(result["tests"], CHECKS):
        assert set(test) == {
            "name",
            "status",
            "score",
            "message",
            "test_code",
            "filename",
            "line_no",
            "duration",
        }
        assert type(test["score"]) is float and test["score"] in (0.0, check.points)
        assert test["status"] == ("pass" if test["score"] == check.points else "fail")
        assert test["filename"] == f"mlpcourse/{check.module}.py"
        assert isinstance(test["line_no"], int) and isinstance(test["duration"], int)
    failed = any(t["status"] != "pass" for t in result["tests"])
    assert result["status"] == ("fail" if failed else "pass")


def decoded(printed: str) -> dict:
    assert printed.endswith("\n") and "\n" not in printed[:-1], "base64 must be one line"
    return json.loads(base64.b64decode(printed.strip(), validate=True))


def test_github_classroom_result_is_base64_on_one_line(tmp_path):
    reference = decoded(classroom(upload(tmp_path / "ref"), "--format", "github-classroom").stdout)
    check_classroom(reference)
    assert sum(t["score"] for t in reference["tests"]) == TOTAL
    stubs = upload(tmp_path / "stubs", base=PACKAGE_DIR)
    result = decoded(classroom(stubs, "--format", "github-classroom").stdout)
    check_classroom(result)
    assert result["status"] == "fail" and sum(t["score"] for t in result["tests"]) == 0
    plain = json.loads(classroom(stubs, "--format", "json").stdout)
    assert plain["score"] == 0 and len(plain["tests"]) == len(CHECKS)


@pytest.mark.attack("the platforms' result files")
def test_github_classroom_forged_output_changes_nothing(tmp_path):
    hostile = upload(tmp_path / "hostile", activations=appended(FORGER))
    result = classroom(hostile, "--format", "github-classroom")
    assert result.returncode == 0, result.stderr
    report = decoded(result.stdout)
    check_classroom(report)
    assert "FORGED" not in json.dumps(report) and not (hostile.parent / "results.json").exists()


def test_github_classroom_workflow_and_instructions(tmp_path):
    command = [sys.executable, "-m", "mlpcourse.cli", "export", "github-classroom", str(tmp_path)]
    command += ["--install", "git+https://example.org/course.git"]
    assert subprocess.run(command, capture_output=True, cwd=ROOT).returncode == 0
    workflow = yaml.safe_load((tmp_path / ".github" / "workflows" / "classroom.yml").read_text())
    assert workflow["permissions"] == {"checks": "write", "actions": "read", "contents": "read"}
    assert list(workflow["jobs"]) == ["run-autograding-tests"]
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    install = next(s["run"] for s in steps if "apt-get" in s.get("run", ""))
    assert "bubblewrap" in install and "git+https://example.org/course.git" in install
    grading = next(s for s in steps if "--format github-classroom" in s.get("run", ""))
    assert grading["continue-on-error"] is True and "$GITHUB_OUTPUT" in grading["run"]
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["if"] == "always()" and reporter["with"]["runners"] == grading["id"]
    variable = f"{grading['id'].upper()}_RESULTS"
    assert reporter["env"] == {variable: f"${{{{ steps.{grading['id']}.outputs.result }}}}"}
    readme = (tmp_path / "README-grading.md").read_text()
    assert "gh classroom clone student-repos" in readme
    assert "mlpcourse grade CLASS --all --csv grades.csv" in readme


def run_classroom_workflow(template: Path, repository: Path) -> dict:
    """The workflow's grading step as the runner executes it, then the reporter's reading.

    The step's script runs in the student's repository with ``GITHUB_OUTPUT``;
    its output ``result`` becomes the reporter's ``<ID>_RESULTS`` variable,
    which the reporter decodes from base64 and sums.
    """
    workflow = yaml.safe_load((template / ".github" / "workflows" / "classroom.yml").read_text())
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    grading = next(s for s in steps if s.get("id") and "run" in s)
    outputs = repository.parent / f"{repository.name}.github-output"
    outputs.write_text("")
    environment = {
        **os.environ,
        "GITHUB_OUTPUT": str(outputs),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    step = subprocess.run(
        ["bash", "-e", "-c", grading["run"]],
        cwd=repository,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert step.returncode == 0, step.stderr
    written = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if line)
    variable = f"{grading['id'].upper()}_RESULTS"
    reporter = steps[-1]
    assert reporter["env"][variable] == f"${{{{ steps.{grading['id']}.outputs.result }}}}"
    result = json.loads(base64.b64decode(written["result"], validate=True))
    check_classroom(result)
    return result


def test_github_classroom_workflow_grades_as_the_runner_would(tmp_path):
    """Reference all points, stubs 0, a forger nothing more, an empty repository 0 and why."""
    template = tmp_path / "template"
    command = [sys.executable, "-m", "mlpcourse.cli", "export", "github-classroom", str(template)]
    subprocess.run([*command, "--install", "mlpcourse"], check=True, capture_output=True)
    cases = {
        "reference": (upload(tmp_path / "reference"), TOTAL),
        "stubs": (upload(tmp_path / "stubs", base=PACKAGE_DIR), 0),
        "forger": (upload(tmp_path / "forger", activations=appended(FORGER)), None),
    }
    empty = tmp_path / "empty"
    empty.mkdir()
    cases["nothing handed in"] = (empty, 0)
    for case, (repository, expected) in cases.items():
        result = run_classroom_workflow(template, repository)
        score = sum(t["score"] for t in result["tests"])
        if expected is not None:
            assert score == expected, case
        assert "FORGED" not in json.dumps(result), case
    messages = " ".join(t["message"] for t in result["tests"])
    assert "missing" in messages, messages[:300]
