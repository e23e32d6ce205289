"""Gradescope: the autograder zip, and the grading run inside it.

``mlpcourse export gradescope OUT.zip`` writes ``setup.sh`` and
``run_autograder`` at the zip's root and the course source under ``course/``.
Gradescope unpacks it into ``/autograder/source``, runs ``setup.sh`` once
(install Python, bubblewrap and the dependencies; create the runner user;
make the source readable by root only), then ``run_autograder`` for each
submission, which runs :func:`main`: the upload in ``/autograder/submission``
is graded and ``/autograder/results/results.json`` written. The zip carries
the course secret (``course/grading/secret``, mode 0600, root's only after
``setup.sh``): the grade draws the hidden cases, as the instructor's own does.
"""

import argparse
import math
import stat
import sys
import time
import zipfile
from pathlib import Path

from mlpcourse.course.platforms.results import grade_upload, test_name, write_json
from mlpcourse.course.platforms.source import (
    SECRET_NAME,
    course_files,
    grading_requirements,
    secret_text,
)
from mlpcourse.grader.cases import SecretError
from mlpcourse.grader.inert import inert
from mlpcourse.grader.sandbox import SandboxUnavailable

#: The unprivileged user ``setup.sh`` creates, for containers where bubblewrap cannot start.
RUNNER_USER = "mlprunner"
VISIBILITY = "visible"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder image (Ubuntu 24.04 base image:
# the course needs Python 3.11 or later). MLPCOURSE_SETUP_OFFLINE=1 skips the installs.
set -euo pipefail
SOURCE="${MLPCOURSE_SOURCE:-/autograder/source}"
VENV="${MLPCOURSE_VENV:-/opt/mlpcourse-venv}"

install() {
    apt-get update
    apt-get install -y --no-install-recommends python3 python3-venv bubblewrap
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -c "$SOURCE/course/requirements.txt" \\
        -r "$SOURCE/course/requirements-grading.txt"
}

secure() {
    # Where bubblewrap cannot start, student code runs as this user, who cannot read the source.
    id -u RUNNER >/dev/null 2>&1 ||
        useradd --system --no-create-home --shell /usr/sbin/nologin RUNNER
    chown -R root:root "$SOURCE"
    chmod -R go-rwx "$SOURCE"
}

if [ "${MLPCOURSE_SETUP_OFFLINE:-0}" != 1 ]; then install; fi
secure
""".replace("RUNNER", RUNNER_USER)

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission, as root. MLPCOURSE_PYTHON: the Python to use.
cd /autograder/source/course || exit 1
exec "${MLPCOURSE_PYTHON:-${MLPCOURSE_VENV:-/opt/mlpcourse-venv}/bin/python}" \\
    -m mlpcourse.course.platforms.gradescope "$@"
"""


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


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def export(target: Path) -> list[str]:
    """Write the autograder zip to ``target``; returns the names in it."""
    if target.suffix != ".zip":
        raise ValueError(f"the autograder must be a .zip file, got {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        _add(archive, "setup.sh", SETUP_SH.encode(), mode=0o755)
        _add(archive, "run_autograder", RUN_AUTOGRADER.encode(), mode=0o755)
        for path, name in course_files():
            _add(archive, f"course/{name}", path.read_bytes())
        _add(archive, "course/requirements-grading.txt", grading_requirements().encode())
        _add(archive, f"course/{SECRET_NAME}", secret_text(), mode=0o600)
        return archive.namelist()


if __name__ == "__main__":
    sys.exit(main())
