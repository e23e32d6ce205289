"""Gradescope: the grading run inside the autograder, and its ``results.json``.

``run_autograder`` (written by ``mlpcourse export gradescope``,
:mod:`mlpcourse.course.platforms.gradescope`) runs :func:`main` for each
submission: the upload in ``/autograder/submission`` is graded with the hidden
cases of the course secret the zip carries, and
``/autograder/results/results.json`` written.
"""

import argparse
import math
import sys
import time
from pathlib import Path

from mlpcourse.grader.cases import SecretError
from mlpcourse.grader.inert import inert
from mlpcourse.grader.platforms.results import grade_upload, test_name, write_json
from mlpcourse.grader.support import SandboxUnavailable

#: The unprivileged user ``setup.sh`` creates, for containers where bubblewrap cannot start.
RUNNER_USER = "mlprunner"


VISIBILITY = "visible"


def results_json(
    report: dict, seconds: float, isolation: str = "", problems: list[str] | None = None
) -> dict:
    """Gradescope's ``results.json`` for a grade report of the contract.

    One test per graded check (``score``, ``max_score``, ``status``, ``name``,
    ``number``, ``output``, ``tags``, ``visibility``); the total ``score`` is
    their sum; the top-level ``output`` sums up and says which isolation ran.
    """
    tests = []
    per_chapter: dict[str, int] = {}
    for test in report["tests"]:
        chapter = test["chapter"]
        per_chapter[chapter] = per_chapter.get(chapter, 0) + 1
        tests.append(
            {
                "name": inert(test_name(test)),
                "name_format": "text",
                "number": f"{int(chapter[:2])}.{per_chapter[chapter]}",
                "score": float(test["points"]),
                "max_score": float(test["max_points"]),
                "status": "passed" if test["passed"] else "failed",
                "output": inert(test["message"]) or "passed",
                "output_format": "text",
                "tags": [chapter],
                "visibility": VISIBILITY,
            }
        )
    score = sum(t["score"] for t in tests)
    maximum = sum(t["max_score"] for t in tests)
    lines = [f"{score:g} / {maximum:g} points."]
    lines += [inert(f"Upload: {problem}") for problem in problems or []]
    if isolation:
        lines.append(f"Student code ran isolated by: {isolation}.")
    return {
        "score": score,
        "execution_time": math.ceil(seconds),
        "output": "\n".join(lines),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": VISIBILITY,
        "stdout_visibility": "hidden",
        "extra_data": {
            "max_score": maximum,
            "isolation": isolation,
            "variant": report.get("variant", ""),
        },
        "tests": tests,
    }


def failure_json(message: str, seconds: float) -> dict:
    """A ``results.json`` for a run that could not grade: no score, and why."""
    return {
        "score": 0.0,
        "execution_time": math.ceil(seconds),
        "output": "The autograder could not grade this submission: " + inert(message, keep="\n"),
        "output_format": "text",
        "visibility": VISIBILITY,
        "stdout_visibility": "hidden",
        "tests": [],
    }


def main(argv: list[str] | None = None) -> int:
    """Grade ``ROOT/submission`` and write ``ROOT/results/results.json``."""
    parser = argparse.ArgumentParser(prog="run_autograder", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    parser.add_argument("--runner-user", default=RUNNER_USER)
    args = parser.parse_args(argv)
    started = time.monotonic()
    results = args.root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.parent.chmod(0o755)  # written by this process only
    try:
        report, isolation, problems = grade_upload(args.root / "submission", args.runner_user)
    except (SandboxUnavailable, SecretError) as error:
        write_json(results, failure_json(str(error), time.monotonic() - started))
        print(f"run_autograder: {error}", file=sys.stderr)
        return 1
    write_json(results, results_json(report, time.monotonic() - started, isolation, problems))
    return 0


if __name__ == "__main__":
    sys.exit(main())
