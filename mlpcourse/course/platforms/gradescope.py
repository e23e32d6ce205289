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

import stat
import zipfile
from pathlib import Path

from mlpcourse.course.platforms.source import (
    SECRET_NAME,
    course_files,
    grading_requirements,
    secret_text,
)
from mlpcourse.grader.platforms.gradescope import RUNNER_USER

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
    -m mlpcourse.grader.platforms.gradescope "$@"
"""


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
