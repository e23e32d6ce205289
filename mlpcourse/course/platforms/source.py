"""The instructor's course source, as a platform's grader needs it.

What is copied: the ``mlpcourse`` package, the reference modules of
``solutions/mlpcourse/``, ``pyproject.toml``, ``requirements.txt`` and a
``requirements-grading.txt`` naming only what grading needs (installed with
``requirements.txt`` as constraints). Nothing else: no notebooks, book or
tests.
"""

import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

from mlpcourse.course.implementation import PACKAGE_DIR, REFERENCE_DIR

ROOT = PACKAGE_DIR.parent
SKIPPED = ("__pycache__", "*.pyc", ".ipynb_checkpoints")


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


def copy_course(target: Path, root: Path = ROOT) -> list[Path]:
    """Copy the course source into ``target``; returns the files written."""
    written = []
    for path, name in course_files(root):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / name)
        written.append(target / name)
    (target / "requirements-grading.txt").write_text(grading_requirements(root))
    return [*written, target / "requirements-grading.txt"]
