"""PrairieLearn: the grading run inside the external grader, and its ``results.json``.

The question's entrypoint ``grade.sh`` (written by ``mlpcourse export
prairielearn``, :mod:`mlpcourse.course.platforms.prairielearn`) runs
:func:`main`: the student's files in ``/grade/student`` are graded and
``/grade/results/results.json`` written; it always exits 0.
"""

import argparse
import json
import sys
from pathlib import Path

from mlpcourse.grader.inert import inert
from mlpcourse.grader.platforms.results import grade_upload, test_name, write_json
from mlpcourse.grader.support import SandboxUnavailable

#: PrairieLearn refuses results over 1 MB; messages are cut well before.
MAX_BYTES = 1_000_000


#: Where bubblewrap cannot start in the grading container, student code runs as this user.
RUNNER_USER = "nobody"


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


if __name__ == "__main__":
    sys.exit(main())
