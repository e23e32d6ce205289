"""Helpers shared by the platform modules: writing result files, grading an upload."""

import json
import os
import sys
import tempfile
from pathlib import Path

from mlpcourse.grader.cases import course_cases
from mlpcourse.grader.grading import grade
from mlpcourse.grader.platforms.upload import gather
from mlpcourse.grader.sandbox import choose_isolation, describe_isolation


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` atomically, as strict JSON (a NaN raises ValueError)."""
    text = json.dumps(data, indent=1, allow_nan=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".results-")
    with os.fdopen(handle, "w") as file:
        file.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def grade_upload(
    upload: Path, runner_user: str | None, strict: bool = False
) -> tuple[dict | None, str, list[str]]:
    """Grade what was uploaded to ``upload``: ``(report, isolation in words, problems)``.

    ``strict``: an upload with problems is not graded (the report is None).
    The cases are drawn from the course secret the export carries
    (:func:`~mlpcourse.grader.cases.course_cases`). Raises
    :class:`~mlpcourse.grader.sandbox.SandboxUnavailable` when neither
    bubblewrap nor ``runner_user`` can run student code here, and
    :class:`~mlpcourse.grader.cases.SecretError` when the secret cannot be used.
    """
    isolation = choose_isolation(runner_user)
    cases = course_cases()
    with tempfile.TemporaryDirectory(prefix="mlpcourse-upload-") as private:
        problems = gather(upload, Path(private))
        if strict and problems:
            return None, describe_isolation(isolation), problems
        report = grade(Path(private), sandbox=isolation, cases=cases)
    print(f"isolation: {describe_isolation(isolation)}", file=sys.stderr)
    return report, describe_isolation(isolation), problems


def test_name(test: dict) -> str:
    """``02-activations: activations.sigmoid_prime``"""
    functions = ", ".join(f.removeprefix("mlpcourse.") for f in test["functions"])
    return f"{test['chapter']}: {functions}"
