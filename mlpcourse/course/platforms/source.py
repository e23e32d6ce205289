"""The instructor's course source, as a platform's grader needs it.

What is copied: the ``mlpcourse`` package, the reference modules of
``solutions/mlpcourse/``, ``pyproject.toml``, ``requirements.txt`` and a
``requirements-grading.txt`` naming only what grading needs (installed with
``requirements.txt`` as constraints), and the course secret
(``grading/secret``, mode 0600) from which the grader draws the hidden cases.
Nothing else: no notebooks, book or tests.
"""

import os
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

from mlpcourse.grader.cases import SECRET_FILE, course_secret
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR

ROOT = PACKAGE_DIR.parent
SKIPPED = ("__pycache__", "*.pyc", ".ipynb_checkpoints")
#: Where the copy keeps the course secret (as the course does: the grader finds it there).
SECRET_NAME = SECRET_FILE.as_posix()


def course_files(root: Path = ROOT) -> Iterator[tuple[Path, str]]:
    """``(file, its path in the copy)`` for every file a grader needs."""
    reference = root / "solutions" / "mlpcourse"
    if not reference.is_dir():
        raise FileNotFoundError(
            f"the reference solutions are not here ({REFERENCE_DIR}): export from the "
            "instructor's repository"
        )
    for top in (root / "mlpcourse", reference):
        for path in sorted(top.rglob("*")):
            if path.is_file() and not any(path.match(p) for p in SKIPPED):
                if not any(part in ("__pycache__", ".ipynb_checkpoints") for part in path.parts):
                    yield path, path.relative_to(root).as_posix()
    for name in ("pyproject.toml", "requirements.txt"):
        yield root / name, name


def grading_requirements(root: Path = ROOT) -> str:
    """The package's own dependencies, one a line (pinned by ``requirements.txt``)."""
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    return "\n".join(project["dependencies"]) + "\n"


def secret_text(root: Path = ROOT) -> bytes:
    """The course secret as its file holds it (made first if the course has none yet)."""
    secret = course_secret(root)
    if secret is None:  # pragma: no cover - course_files has refused a course without solutions
        raise FileNotFoundError("no course secret: export from the instructor's repository")
    return (secret.hex() + "\n").encode()


def copy_course(target: Path, root: Path = ROOT) -> list[Path]:
    """Copy the course source and its secret into ``target``; returns the files written."""
    written = []
    for path, name in course_files(root):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / name)
        written.append(target / name)
    (target / "requirements-grading.txt").write_text(grading_requirements(root))
    secret = target / SECRET_NAME
    secret.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret.unlink(missing_ok=True)
    handle = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "wb") as file:
        file.write(secret_text(root))
    return [*written, target / "requirements-grading.txt", secret]
