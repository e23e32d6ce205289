"""GitHub Classroom: a grade report as the version-1 runner result.

``mlpcourse grade PATH --format github-classroom`` prints :func:`encoded`:
the runner result as base64 on one line (no wrapping), what the
``autograding-grading-reporter`` action reads from the step's results.
"""

import base64
import json

from mlpcourse.grader.inert import inert

#: Characters of each test's message at most: the result travels in an environment variable.
MAX_MESSAGE = 300


def runner_result(report: dict) -> dict:
    """The version-1 runner result for a grade report: one test per check, scores as numbers."""
    tests = []
    for test in report["tests"]:
        module = test["functions"][0].removeprefix("mlpcourse.").split(".")[0]
        message = inert(test["message"]) or "passed"
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        tests.append(
            {
                "name": inert(test["id"]),
                "status": "pass" if test["passed"] else "fail",
                "score": float(test["points"]),
                "message": message,
                "test_code": f"mlpcourse grade . ({test['id']})",
                "filename": f"mlpcourse/{module}.py",
                "line_no": 0,
                "duration": 0,
            }
        )
    return {
        "version": 1,
        "status": "pass" if all(t["status"] == "pass" for t in tests) else "fail",
        "max_score": float(report["max_score"]),
        "tests": tests,
    }


def encoded(report: dict) -> str:
    """The runner result as base64 of its JSON, on one line."""
    text = json.dumps(runner_result(report), allow_nan=False, separators=(",", ":"))
    return base64.b64encode(text.encode()).decode("ascii")
