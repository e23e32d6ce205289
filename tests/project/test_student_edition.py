"""The student edition holds no answer, its README is for students, and `mlpcourse check` works."""

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mlpcourse import config
from mlpcourse.course.submissions import (
    STUDENT_README,
    chapters,
    student_edition,
    student_readme,
)
from mlpcourse.implementation import REFERENCE_DIR

ROOT = REFERENCE_DIR.parent.parent


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("edition")
    student_edition(ROOT, target)
    return target


def solution_lines() -> set[str]:
    """Every line of every solution region and written answer (but short generic ones)."""
    lines = set()
    for path in REFERENCE_DIR.glob("*.py"):
        for region in re.findall(
            r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", path.read_text(), re.S
        ):
            lines |= {line.strip() for line in region.splitlines() if len(line.strip()) >= 24}
    for chapter in chapters(ROOT):
        for notebook_path in (ROOT / "solutions" / chapter).glob("*.ipynb"):
            for cell in nbformat.read(notebook_path, as_version=4).cells:
                meta = cell.metadata.get("nbgrader", {})
                if meta.get("solution"):
                    lines |= {
                        line.strip() for line in cell.source.splitlines() if len(line.strip()) >= 16
                    }
    return lines


def test_no_answer_leaks(edition):
    files = [p for p in edition.rglob("*") if p.is_file()]
    assert not (edition / "solutions").exists() and not (edition / "tests" / "project").exists()
    assert not (edition / "docs").exists(), "the instructor's pictures (a class report)"
    assert (edition / "mlpcourse" / "network.py").is_file() and (edition / "exercises").is_dir()
    secrets = solution_lines()
    assert len(secrets) > 30
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        leaked = [line for line in secrets if line in text]
        assert not leaked, f"{path.relative_to(edition)} contains answers: {leaked[:3]}"


def test_the_readme_comes_from_its_template(edition):
    """The edition's README is the template's, for the course's method; the instructors' is not."""
    text = (edition / "README.md").read_text()
    assert text == student_readme(ROOT, config.load(ROOT).submission)
    assert not (edition / STUDENT_README).exists(), "the template, with every method's part"
    instructors = (ROOT / "README.md").read_text()
    assert "make book" in instructors and "make book" not in text
    assert "make student-edition" in (ROOT / STUDENT_README).read_text()
    assert "student-edition" not in text and "<!--" not in text


@pytest.mark.parametrize("method", config.METHODS)
def test_each_method_reads_its_own_way_of_handing_in(method):
    text = student_readme(ROOT, method)
    assert text.startswith("# mlpcourse") and "<!--" not in text and "for:" not in text
    assert text.count("## Handing in") == 1
    assert ("git push" in text) == (method == "git")
    assert ("nbgrader submit" in text) == (method == "nbgrader")


def test_the_readme_and_the_book_give_the_same_commands():
    """The students' guide is the book's page Exercises: the README's commands must be its own."""
    book = (ROOT / "book" / "exercises.md").read_text()
    for method in config.METHODS:
        text = student_readme(ROOT, method)
        start = text.index("## Getting started")
        block = re.search(r"```bash\n(.*?)```", text[start:], re.S).group(1)
        commands = re.findall(r"\bmake \w+(?: CHAPTER=\d\d)?", block)
        assert {"make install", "make lab", "make check", "make test"} <= set(commands)
        missing = [command for command in commands if command not in book]
        assert not missing, f"in the README but not on the page Exercises: {missing}"


def test_check_works_in_the_edition(edition):
    env = {**os.environ, "PYTHONPATH": str(edition), "COLUMNS": "200"}
    where = subprocess.run(
        [sys.executable, "-c", "import mlpcourse; print(mlpcourse.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        cwd=edition,
    )
    assert where.stdout.startswith(str(edition))
    result = subprocess.run(
        [sys.executable, "-m", "mlpcourse.cli", "check", "activations"],
        env=env,
        capture_output=True,
        text=True,
        cwd=edition,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "score 0 / 8" in result.stdout
        and "write sigmoid in mlpcourse/activations.py" in result.stdout
    )
