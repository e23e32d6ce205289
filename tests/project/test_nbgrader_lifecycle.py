"""nbgrader end to end: release, collect, autograde, feedback, export.

Seven students hand in chapter 02: complete work, partial work, untouched
stubs, a notebook whose graded cells were deleted or edited, a function that
would kill the kernel, an endless loop, and stubs with notebook cells that
redefine the graded cells' function. The gradebook must hold exactly the
points each one earned: the code points come from the trusted grader, run on
the submitted mlpcourse/, and no cell of a notebook runs.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.course.submissions import collect, release_notebooks
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR

from .mutants import Variant

ROOT = REFERENCE_DIR.parent.parent
CHAPTER = "02-activations"

STUDENTS = {
    # student: (edits of the reference activations.py, expected automatic points of 8)
    "ada": ([], 8.0),
    "bob": (
        [
            ("sigmoid", "return 1 / (1 + np.exp(-z))"),
            (
                "relu_prime",
                'raise NotImplementedError("write relu_prime in mlpcourse/activations.py")',
            ),
        ],
        5.0,
    ),
    "cy": (None, 0.0),  # the stubs, untouched
    "dan": ([], 6.0),  # deletes the sigmoid cell (2 points), edits the relu cell (restored)
    "eve": (
        [
            ("sigmoid_prime", "import os\nos._exit(1)"),
            ("tanh", "hog = []\nwhile True:\n    hog.append(np.ones(10**7))"),
        ],
        5.0,
    ),
    "fay": ([("sigmoid_prime", "while True:\n    pass")], 6.0),
    # The notebook route: the stubs, and cells that redefine graded() and patch the
    # checks in the kernel. No cell of the notebook runs when grading: 0 points.
    "gus": (None, 0.0),
}
FORGERY = (
    "import mlpcourse.notebook, mlpcourse.grader.checks as checks\n"
    "def graded(check_id):\n    print('✓ full marks')\n"
    "mlpcourse.notebook.graded = graded\n"
    "for c in checks.CHECKS:\n    object.__setattr__(c, 'run', lambda impl: None)\n"
)


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "MLPCOURSE_TIME_LIMIT": "5",
    }
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )


def checkout(class_dir: Path, student: str, edits, notebook: Path) -> None:
    """A student's checkout: their notebook and their mlpcourse/."""
    folder = class_dir / student
    (folder / "exercises" / CHAPTER).mkdir(parents=True)
    (folder / "mlpcourse").mkdir()
    for module in EXERCISE_MODULES:
        shutil.copy(PACKAGE_DIR / f"{module}.py", folder / "mlpcourse")
    if edits is not None:
        text = (REFERENCE_DIR / "activations.py").read_text()
        for function, body in edits:
            text = Variant(f"activations::{function}", function, body, "").apply(text)
        (folder / "mlpcourse" / "activations.py").write_text(text)
    cells = json.loads(notebook.read_text())
    if student == "dan":
        cells["cells"] = [
            c
            for c in cells["cells"]
            if c["metadata"].get("nbgrader", {}).get("grade_id") != "test-sigmoid"
        ]
        for c in cells["cells"]:
            if c["metadata"].get("nbgrader", {}).get("grade_id") == "test-relu":
                c["source"] = "pass  # full marks please"
    if student == "gus":
        at = next(
            i
            for i, c in enumerate(cells["cells"])
            if c["metadata"].get("nbgrader", {}).get("grade_id") == "test-sigmoid"
        )
        forged = {"cell_type": "code", "metadata": {}, "source": FORGERY, "outputs": []}
        cells["cells"].insert(at, {**forged, "execution_count": None})
    (folder / "exercises" / CHAPTER / notebook.name).write_text(json.dumps(cells))


@pytest.mark.attack("the notebook route")
def test_release_collect_autograde_feedback_export(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / CHAPTER, course / "solutions" / CHAPTER)
    release_notebooks(course)
    (notebook,) = (course / "exercises" / CHAPTER).glob("*.ipynb")

    class_dir = tmp_path / "class"
    for student, (edits, _) in STUDENTS.items():
        checkout(class_dir, student, edits, notebook)
    assert collect(class_dir, course) == [(s, CHAPTER) for s in sorted(STUDENTS)]
    assert (course / "grading/submitted/eve" / CHAPTER / "mlpcourse/activations.py").is_file()

    result = nbgrader(course, "autograde", CHAPTER, "--create", "--force")
    assert result.returncode == 0, result.stdout + result.stderr
    with Gradebook(f"sqlite:///{course}/grading/gradebook.db") as gradebook:
        scores = {s: gradebook.find_submission(CHAPTER, s).code_score for s in STUDENTS}
        max_score = gradebook.find_assignment(CHAPTER).max_score
    assert scores == {s: points for s, (_, points) in STUDENTS.items()}
    assert max_score == 10.0  # 8 automatic points, 2 for the written question

    result = nbgrader(course, "generate_feedback", CHAPTER, "--force")
    assert result.returncode == 0, result.stdout + result.stderr
    for student in STUDENTS:
        (page,) = (course / "grading/feedback" / student / CHAPTER).glob("*.html")
        assert "activations::sigmoid" in page.read_text()

    result = nbgrader(course, "export", "--to", str(tmp_path / "grades.csv"))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {r["student_id"]: r for r in csv.DictReader((tmp_path / "grades.csv").open())}
    assert {s: float(rows[s]["raw_score"]) for s in STUDENTS} == scores
    assert all(float(rows[s]["max_score"]) == 10.0 for s in STUDENTS)
