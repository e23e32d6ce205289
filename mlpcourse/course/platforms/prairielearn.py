"""PrairieLearn: a question for the external grader, and the grading run inside it.

``mlpcourse export prairielearn DIR`` writes a question folder: ``info.json``
(external grading on), ``question.html`` (one upload for the exercise files) and
``tests/`` (the grader's entrypoint ``grade.sh`` and the course source).
PrairieLearn copies ``tests/`` to ``/grade/tests`` and the student's files to
``/grade/student``, and runs the entrypoint, which runs :func:`main`: it
writes ``/grade/results/results.json`` and always exits 0.
"""

import argparse
import json
import shutil
import sys
import uuid
from pathlib import Path

from mlpcourse.course.platforms.results import grade_upload, test_name, write_json
from mlpcourse.course.platforms.source import copy_course
from mlpcourse.course.platforms.upload import file_names
from mlpcourse.grader.inert import inert
from mlpcourse.grader.sandbox import SandboxUnavailable

#: PrairieLearn's Python grader image; any image with Python 3.11+, numpy and rich will do.
DEFAULT_IMAGE = "prairielearn/grader-python"
ENTRYPOINT = "/grade/tests/grade.sh"
MAX_TIMEOUT = 600
#: PrairieLearn refuses results over 1 MB; messages are cut well before.
MAX_BYTES = 1_000_000
#: Where bubblewrap cannot start in the grading container, student code runs as this user.
RUNNER_USER = "nobody"

GRADE_SH = """#!/bin/bash
# PrairieLearn's external grader runs this as root. MLPCOURSE_PYTHON: the Python to use.
chmod -R go-rwx /grade/tests /grade/serverFilesCourse 2>/dev/null
cd /grade/tests/course || exit 0
"${MLPCOURSE_PYTHON:-python3}" -m mlpcourse.course.platforms.prairielearn "$@"
exit 0
"""

QUESTION_HTML = """<pl-question-panel>
  <p>Upload the files of your <code>mlpcourse/</code> folder. They are graded with the
  course's checks: each function is compared with finite-difference gradients.</p>
</pl-question-panel>

<pl-file-upload file-names="{names}"></pl-file-upload>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


def info_json(image: str, timeout: int, title: str, question_id: str | None = None) -> dict:
    """The question's ``info.json``, graded externally by ``image`` within ``timeout`` s.

    ``question_id``: the question's uuid (a new one when None).
    """
    if not 1 <= timeout <= MAX_TIMEOUT:
        raise ValueError(f"timeout must be an integer from 1 to {MAX_TIMEOUT} s, got {timeout}")
    return {
        "uuid": question_id or str(uuid.uuid4()),
        "title": title,
        "topic": "Backpropagation",
        "tags": ["mlpcourse"],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": image,
            "entrypoint": ENTRYPOINT,
            "timeout": int(timeout),
        },
    }


def results_json(report: dict, isolation: str = "") -> dict:
    """PrairieLearn's ``results.json`` for a grade report: ``score`` in [0, 1], one test each."""
    tests = [
        {
            "name": inert(test_name(test)),
            "description": inert(", ".join(test["functions"])),
            "points": float(test["points"]),
            "max_points": float(test["max_points"]),
            "message": inert(test["message"]) or "passed",
            "output": "" if test["passed"] else inert(test["message"]),
        }
        for test in report["tests"]
    ]
    earned, maximum = sum(t["points"] for t in tests), sum(t["max_points"] for t in tests)
    score = min(max(earned / maximum, 0.0), 1.0) if maximum else 0.0
    return bounded(
        {
            "gradable": True,
            "score": score,
            "message": f"{earned:g} / {maximum:g} points.",
            "output": f"Student code ran isolated by: {isolation}." if isolation else "",
            "tests": tests,
        }
    )


def not_gradable(message: str, problems: list[str] | None = None) -> dict:
    """The result for an upload that cannot be graded: ``gradable`` false, and why.

    ``problems``: what is wrong with the upload, one string each, as PrairieLearn's
    ``format_errors`` (shown next to the file upload).
    """
    message = inert(message, keep="\n")  # it may quote the upload (file names, errors)
    results = {"gradable": False, "score": 0.0, "message": message, "output": message}
    if problems:
        results["format_errors"] = [inert(problem)[:1000] for problem in problems[:20]]
    return bounded(results)


def bounded(results: dict, limit: int = MAX_BYTES) -> dict:
    """``results`` cut to fit ``limit`` bytes of JSON: long texts shortened, then dropped."""
    for keep in (4000, 500, 0):
        if len(json.dumps(results, allow_nan=False).encode()) <= limit:
            return results
        for part in [results, *results.get("tests", [])]:
            for key in ("message", "output"):
                if isinstance(part.get(key), str) and len(part[key]) > keep:
                    part[key] = part[key][:keep] + ("…" if keep else "")
    return results


def main(argv: list[str] | None = None) -> int:
    """Grade ``ROOT/student`` and write ``ROOT/results/results.json``; always 0."""
    parser = argparse.ArgumentParser(prog="grade.sh", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("/grade"))
    parser.add_argument("--runner-user", default=RUNNER_USER)
    args = parser.parse_args(argv)
    results = args.root / "results" / "results.json"
    try:
        report, isolation, problems = grade_upload(
            args.root / "student", args.runner_user, strict=True
        )
        if problems:
            outcome = not_gradable("The upload cannot be graded: " + " ".join(problems), problems)
        else:
            outcome = results_json(report, isolation)
    except SandboxUnavailable as error:
        outcome = not_gradable(f"The grader could not run student code safely here: {error}")
    except Exception as error:  # noqa: BLE001 - PrairieLearn needs a result whatever happened
        outcome = not_gradable(f"The grader failed: {type(error).__name__}: {error}")
    write_json(results, outcome)
    return 0


def _earlier_export(target: Path) -> str:
    """The uuid of the question exported earlier into ``target``; raises if it is not one."""
    try:
        question_id = json.loads((target / "info.json").read_text())["uuid"]
        is_ours = __name__ in (target / "tests" / "grade.sh").read_text()
    except (OSError, ValueError, KeyError, TypeError):
        question_id, is_ours = None, False
    if not (isinstance(question_id, str) and is_ours):
        raise FileExistsError(
            f"the question folder must be new, empty or an earlier export, got {target}"
        )
    return question_id


def export(target: Path, image: str = DEFAULT_IMAGE, timeout: int = 120) -> list[Path]:
    """Write the question folder ``target``; returns the files written.

    Exporting again into a folder of an earlier export updates it and keeps
    its uuid, so PrairieLearn sees the same question (and its submissions).
    """
    question_id = None
    if target.exists() and any(target.iterdir()):
        question_id = _earlier_export(target)
        shutil.rmtree(target / "tests")
    info = info_json(image, timeout, "Neural networks: the exercise modules", question_id)
    (target / "tests").mkdir(parents=True, exist_ok=True)
    (target / "info.json").write_text(json.dumps(info, indent=2) + "\n")
    (target / "question.html").write_text(QUESTION_HTML.format(names=", ".join(file_names())))
    (target / "tests" / "grade.sh").write_text(GRADE_SH)
    (target / "tests" / "grade.sh").chmod(0o755)
    written = copy_course(target / "tests" / "course")
    return [target / "info.json", target / "question.html", target / "tests" / "grade.sh", *written]


if __name__ == "__main__":
    sys.exit(main())
