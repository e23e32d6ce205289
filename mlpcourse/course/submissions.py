"""Moving work between instructor and students: exercises, submissions, the student edition.

- :func:`release_notebooks` runs ``nbgrader generate_assignment`` for every
  chapter: solutions/<NN-chapter>/ → exercises/<NN-chapter>/.
- :func:`collect` gathers a class's checkouts into nbgrader's
  ``grading/submitted/<student>/<chapter>/`` layout: the chapter's notebook
  and the student's exercise modules in ``mlpcourse/`` beside it.
- :func:`student_edition` writes the course as students receive it, with
  the README of :func:`student_readme`.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from mlpcourse import config
from mlpcourse.chapters import CHAPTERS, EXERCISE_MODULES
from mlpcourse.grader.files import Refused, read_handed_in

#: The template of the student edition's README, in the course folder: every hand-in
#: method's part, marked for :func:`for_students`.
STUDENT_README = Path("mlpcourse/course/student-readme.md")

#: What the student edition leaves out: answers, what is built from them, the instructors' files.
INSTRUCTOR_ONLY = (
    "solutions",
    "grading",
    "tests/project",
    "tests/runner",
    "tests/book",
    "tests/data",
    "bench",
    "docs",
    "book",
    "_config.yml",
    "_toc.yml",
    ".ci",
    STUDENT_README.as_posix(),
)


def chapters(root: Path) -> list[str]:
    """The folders of solutions/ (``01-neuron``, ...), in the order of :mod:`mlpcourse.chapters`."""
    return [c.name for c in CHAPTERS if (root / "solutions" / c.name).is_dir()]


def release_notebooks(root: Path) -> None:
    """Regenerate exercises/ from solutions/ with nbgrader (idempotent)."""
    (root / "grading").mkdir(exist_ok=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for chapter in chapters(root):
        subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", chapter, "--force"],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
        )


def collect(class_dir: Path, root: Path) -> list[tuple[str, str]]:
    """Copy each student's notebooks and modules into grading/submitted/.

    Returns the (student, chapter) pairs copied.
    """
    copied = []
    for checkout in sorted(p for p in class_dir.iterdir() if p.is_dir()):
        for chapter_dir in sorted((checkout / "exercises").glob("[0-9][0-9]-*")):
            notebooks = sorted(chapter_dir.glob("*.ipynb"))
            if not notebooks:
                continue
            target = root / "grading" / "submitted" / checkout.name / chapter_dir.name
            if target.exists():
                shutil.rmtree(target)
            (target / "mlpcourse").mkdir(parents=True)
            handed_in = {notebook: target / notebook.name for notebook in notebooks}
            for module in EXERCISE_MODULES:
                handed_in[checkout / "mlpcourse" / f"{module}.py"] = (
                    target / "mlpcourse" / f"{module}.py"
                )
            for source, destination in handed_in.items():
                shown = str(source.relative_to(checkout))
                try:  # never through a link: one to the instructor's files would copy them
                    destination.write_bytes(read_handed_in(source, shown, limit=16 << 20))
                except Refused as refusal:
                    if source.suffix == ".ipynb" or source.exists() or source.is_symlink():
                        print(f"{checkout.name}: {refusal}", file=sys.stderr)
            copied.append((checkout.name, chapter_dir.name))
    return copied


def tracked_files(root: Path) -> list[Path]:
    """The files of the repository (git's list), relative to ``root``."""
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    return [Path(name) for name in listing.split("\0") if name]


def student_edition(root: Path, target: Path) -> list[Path]:
    """Copy the course without the instructor's files into ``target``; returns the files.

    ``README.md`` is :func:`student_readme` (the instructors' README is not
    copied), and ``Makefile`` keeps the parts for students (:func:`for_students`).
    """
    written = []
    method = config.load(root).submission
    for path in tracked_files(root):
        if any(path.parts[: len(Path(p).parts)] == Path(p).parts for p in INSTRUCTOR_ONLY):
            continue
        if path.name == "nbgrader_config.py" or not (root / path).is_file():
            continue
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.as_posix() == "README.md":
            destination.write_text(student_readme(root, method), encoding="utf-8")
        elif path.as_posix() == "Makefile":
            text = (root / path).read_text(encoding="utf-8")
            destination.write_text(for_students(text, method, path.name), encoding="utf-8")
        else:
            shutil.copy2(root / path, destination)
        written.append(path)
    return written


def student_readme(root: Path, method: str) -> str:
    """The student edition's README for a class that hands in by ``method`` (``course.toml``)."""
    return for_students((root / STUDENT_README).read_text(encoding="utf-8"), method)


_MARK = {"README.md": re.compile(r"^<!-- for: (.+) -->$"), "Makefile": re.compile(r"^# for: (.+)$")}


def for_students(text: str, method: str, name: str = "README.md") -> str:
    """The parts of a README template or Makefile meant for students.

    A line ``<!-- for: instructors -->`` (``# for: instructors`` in a
    Makefile) starts a part for instructors only, ``<!-- for: everyone -->``
    one for all, ``<!-- for: students, git -->`` one for students of a class
    that hands in by ``git`` (the method of ``course.toml``). The marks
    themselves are left out, and so is any other comment line of a README
    (``<!-- tested: … -->`` marks the commands a test runs).
    """
    kept, keep = [], True
    for line in text.splitlines(keepends=True):
        mark = _MARK[name].match(line.strip())
        if mark:
            audience = {word.strip() for word in mark.group(1).split(",")}
            keep = "instructors" not in audience and not (audience & set(config.METHODS) - {method})
            continue
        if name == "README.md" and re.fullmatch(r"<!--.*-->", line.strip()):
            continue
        if keep:
            kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "".join(kept))
