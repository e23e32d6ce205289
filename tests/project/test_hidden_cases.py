"""Hidden cases: the instructor's grade draws from the course secret, the student's check does not.

The cases themselves (published draws unchanged, hidden ones keyed on the secret
and the submitted files), where the secret lives and how it is kept, which
route grades which cases, and that a report can be reproduced. The attacks they
stop are in attacks/test_replaying.py; correct and
buggy code over many secrets in test_mutants.py and bench/hidden_cases.py.
"""

import json
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from mlpcourse import cli
from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.grader import class_run, nbgrader
from mlpcourse.grader.cases import (
    ENVIRONMENT,
    PUBLISHED,
    Cases,
    SecretError,
    course_cases,
    course_secret,
    parse_secret,
    secret_path,
)
from mlpcourse.grader.grading import grade
from mlpcourse.grader.limits import Limits
from mlpcourse.grader.platforms import results
from mlpcourse.implementation import REFERENCE_DIR

from .mutants import Variant

ROOT = REFERENCE_DIR.parent.parent
#: Tighter than helpers.LIMITS: only the activations chapter is graded here, four times.
REPRODUCIBLE_LIMITS = Limits(timeout=30, check_timeout=4, memory_mb=1024)


# ---- the draws --------------------------------------------------------------------------------


def test_the_published_cases_are_the_seeds_of_the_student_edition():
    for key in [(5,), (2,), (0, 3), (301,)]:
        expected = np.random.default_rng(key[0] if len(key) == 1 else list(key)).random(4)
        assert np.array_equal(PUBLISHED.rng(*key).random(4), expected)
        assert not np.array_equal(Cases(b"a secret").rng(*key).random(4), expected)
    assert PUBLISHED.seed(7) == 7 and PUBLISHED.variant == "published"
    assert PUBLISHED.for_submission(ROOT / "solutions") is PUBLISHED


def test_hidden_cases_depend_on_the_secret_and_the_files(tmp_path):
    one, two = Cases(b"one"), Cases(b"two")
    assert np.array_equal(one.rng(5).random(3), Cases(b"one").rng(5).random(3))
    assert not np.array_equal(one.rng(5).random(3), two.rng(5).random(3))
    assert not np.array_equal(one.rng(5).random(3), one.rng(6).random(3))
    assert one.variant != two.variant and len(one.variant) == 12
    assert one.variant == Cases(b"one").variant
    folder = tmp_path / "mlpcourse"
    folder.mkdir()
    (folder / "activations.py").write_text("x = 1\n")
    first = one.for_submission(folder)
    assert first.variant == one.variant  # the variant names the secret
    assert first == one.for_submission(folder)
    (folder / "activations.py").write_text("x = 1  # changed\n")
    assert one.for_submission(folder) != first
    assert not np.array_equal(one.for_submission(folder).rng(5).random(3), first.rng(5).random(3))


def test_the_secret_never_shows():
    secret = bytes(range(32))
    cases = Cases(secret)
    for text in (repr(cases), str(cases), cases.variant):
        assert secret.hex() not in text and "\\x00\\x01" not in text
    assert cases.variant not in secret.hex()
    with pytest.raises(SecretError):
        Cases(b"")


def test_a_secret_is_hex_or_any_text():
    assert parse_secret("00ff10\n") == b"\x00\xff\x10"
    assert parse_secret("  a passphrase ") == b"a passphrase"
    assert parse_secret(b"abcd") == b"\xab\xcd"
    with pytest.raises(SecretError, match="empty"):
        parse_secret(" \n")


# ---- where the secret lives -------------------------------------------------------------------


@pytest.fixture
def course(tmp_path, monkeypatch) -> Path:
    """A course folder (with solutions/) and no MLPCOURSE_SECRET."""
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    (tmp_path / "course" / "solutions" / "mlpcourse").mkdir(parents=True)
    return tmp_path / "course"


def test_the_secret_is_made_once_readable_by_its_owner_only(course, capsys):
    secret = course_secret(course)
    path = secret_path(course)
    assert path == course / "grading" / "secret" and len(secret) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "made the course's grading secret" in capsys.readouterr().err
    assert course_secret(course) == secret and course_cases(course) == Cases(secret)
    assert capsys.readouterr().err == ""  # made once
    assert path.read_text().strip() == secret.hex()


def test_a_secret_others_can_read_is_refused(course):
    course_secret(course)
    secret_path(course).chmod(0o644)
    with pytest.raises(SecretError, match="can be read by other users.*chmod 600"):
        course_cases(course)
    secret_path(course).chmod(0o600)
    assert course_cases(course).variant != "published"


def test_the_environment_wins_and_the_student_edition_has_no_secret(course, monkeypatch):
    monkeypatch.setenv(ENVIRONMENT, "0a0b")
    assert course_secret(course) == b"\x0a\x0b" and not secret_path(course).exists()
    monkeypatch.setenv(ENVIRONMENT, "")
    with pytest.raises(SecretError, match="set but empty"):
        course_cases(course)
    monkeypatch.delenv(ENVIRONMENT)
    edition = course.parent / "edition"  # no solutions/: the published cases, nothing made
    edition.mkdir()
    assert course_cases(edition) is PUBLISHED and not (edition / "grading").exists()


# ---- which route grades which cases -----------------------------------------------------------


@pytest.fixture
def recorded(monkeypatch) -> list:
    """The cases each call of ``grade`` got, in the modules that call it."""
    calls = []

    def fake_grade(path, *arguments, cases=PUBLISHED, **options):
        calls.append(cases)
        test = {
            "id": "activations::sigmoid",
            "chapter": "02-activations",
            "functions": ["mlpcourse.activations.sigmoid"],
            "points": 2.0,
            "max_points": 2.0,
            "passed": True,
            "message": "",
        }
        return {"score": 2.0, "max_score": 2.0, "tests": [test], "variant": cases.variant}

    for module in (cli, nbgrader, results):
        monkeypatch.setattr(module, "grade", fake_grade)
    monkeypatch.setattr(cli, "check_isolation", lambda *a: None)
    monkeypatch.setattr(cli, "choose_isolation", lambda *a: True)
    monkeypatch.setattr(results, "choose_isolation", lambda *a: True)
    return calls


def test_the_instructor_grades_hidden_cases_the_student_checks_published_ones(recorded, tmp_path):
    hidden = course_cases()  # tests/project/conftest.py sets MLPCOURSE_SECRET
    assert hidden.variant != "published"
    student = tmp_path / "student"
    (student / "mlpcourse").mkdir(parents=True)
    assert cli.main(["grade", str(student), "--json"]) == 0
    assert cli.main(["check", "activations"]) == 0
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('graded("activations::sigmoid")')
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 2}
    notebook.cells.append(cell)
    nbgrader.TrustedVerdicts().preprocess(notebook, {"metadata": {"path": str(student)}})
    results.grade_upload(student, None)
    assert [c.variant for c in recorded] == [hidden.variant, "published"] + [hidden.variant] * 2
    conftest = (ROOT / "tests" / "graded" / "conftest.py").read_text()
    assert "cases=PUBLISHED" in conftest  # pytest tests/graded: the student's own check


def test_a_new_secret_grades_a_class_again(tmp_path):
    """The resume manifest's fingerprint covers the cases: a new secret regrades everybody."""
    student = tmp_path / "student"
    (student / "mlpcourse").mkdir(parents=True)
    prints = {class_run.fingerprint(student, c) for c in (PUBLISHED, Cases(b"one"), Cases(b"two"))}
    assert len(prints) == 3 and class_run.fingerprint(student, Cases(b"one")) in prints


def test_a_bad_secret_stops_grading_with_the_reason(recorded, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(ENVIRONMENT, "")
    assert cli.main(["grade", str(tmp_path), "--json"]) == 2
    assert "MLPCOURSE_SECRET is set but empty" in capsys.readouterr().err
    assert recorded == []


# ---- a report can be reproduced ---------------------------------------------------------------

#: σ'(a) for σ'(z): its message shows drawn values.
SIGMOID_PRIME_BUG = Variant(
    "activations::sigmoid_prime",
    "sigmoid_prime",
    "s = sigmoid(sigmoid(z))\nreturn s * (1 - s)",
    "σ'(a)",
)


def _student(folder: Path, tail: str = "") -> Path:
    (folder / "mlpcourse").mkdir(parents=True)
    for module in EXERCISE_MODULES:
        text = (REFERENCE_DIR / f"{module}.py").read_text()
        if module == "activations":
            text = SIGMOID_PRIME_BUG.apply(text) + tail
        (folder / "mlpcourse" / f"{module}.py").write_text(text)
    return folder


def test_same_secret_and_files_same_report(tmp_path):
    student = _student(tmp_path / "a")
    one, other = Cases(b"reproducible one"), Cases(b"reproducible two")
    first = grade(student, REPRODUCIBLE_LIMITS, modules=["activations"], cases=one)
    again = grade(student, REPRODUCIBLE_LIMITS, modules=["activations"], cases=one)
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert first["variant"] == one.variant
    elsewhere = grade(student, REPRODUCIBLE_LIMITS, modules=["activations"], cases=other)
    assert elsewhere["variant"] == other.variant != first["variant"]
    for report in (first, elsewhere):
        failed = {t["id"] for t in report["tests"] if not t["passed"]}
        assert failed == {"activations::sigmoid_prime"}  # the rest, correct, passes each draw
        (test,) = [t for t in report["tests"] if t["id"] == "activations::sigmoid_prime"]
        assert "looks like σ'(a)" in test["message"]
    assert _message(first) != _message(elsewhere)  # other draws, other numbers
    edited = _student(tmp_path / "b", "# edited\n")
    edited = grade(edited, REPRODUCIBLE_LIMITS, modules=["activations"], cases=one)
    assert edited["variant"] == first["variant"]
    assert _message(edited) != _message(first)  # the files count too
    assert "looks like σ'(a)" in _message(edited)


def _message(report: dict) -> str:
    return next(t["message"] for t in report["tests"] if t["id"] == "activations::sigmoid_prime")


# ---- the student edition ----------------------------------------------------------------------


def test_the_student_edition_never_holds_the_secret(tmp_path, monkeypatch):
    """Even a grading/secret tracked by mistake stays out, and grade there uses no secret."""
    from mlpcourse.course import submissions

    root = tmp_path / "course"
    names = ("README.md", "course.toml", "mlpcourse/x.py", "grading/secret", "grading/x")
    for name in (*names, "mlpcourse/course/student-readme.md"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        source = ROOT / name
        (root / name).write_bytes(source.read_bytes() if source.is_file() else b"00ff\n")
    monkeypatch.setattr(
        submissions,
        "tracked_files",
        lambda _: [Path(p) for p in ("README.md", "mlpcourse/x.py", "grading/secret", "grading/x")],
    )
    written = submissions.student_edition(root, tmp_path / "edition")
    assert not any(p.parts[0] == "grading" for p in written)
    assert not (tmp_path / "edition" / "grading").exists()


def test_grade_in_the_student_edition_draws_the_published_cases(tmp_path):
    from mlpcourse.course.submissions import student_edition

    edition = tmp_path / "edition"
    student_edition(ROOT, edition)
    secrets = [(ROOT / "grading" / "secret")]
    for path in edition.rglob("*"):
        assert path.name != "secret" or path.parent.name != "grading", path
    known = [p.read_text().strip() for p in secrets if p.is_file()]
    for path in (p for p in edition.rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert not any(k.encode() in data for k in known if k), path
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(edition), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "mlpcourse.cli", "grade", ".", "--json", "--no-sandbox"],
        cwd=edition,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["variant"] == "published" and report["score"] == 0
    assert not (edition / "grading").exists()
