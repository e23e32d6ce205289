"""The exercise notebooks: nbgrader metadata, release drift, both editions run."""

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlpcourse.chapters import CHAPTERS, EXERCISE_MODULES
from mlpcourse.course.submissions import chapters, release_notebooks
from mlpcourse.grader.checks import CHECKS
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR

ROOT = REFERENCE_DIR.parent.parent
CHAPTER_MODULE = {chapter.name: chapter.module for chapter in CHAPTERS}


def source_notebook(chapter: str) -> Path:
    (notebook,) = (ROOT / "solutions" / chapter).glob("*.ipynb")
    return notebook


def grade_cells(notebook) -> dict[str, dict]:
    return {
        c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] | {"cell": c}
        for c in notebook.cells
        if "nbgrader" in c.metadata
    }


def test_every_chapter_has_a_notebook():
    folders = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.name[:2].isdigit())
    assert folders == chapters(ROOT) == sorted(CHAPTER_MODULE)


@pytest.mark.parametrize("chapter", sorted(CHAPTER_MODULE))
def test_nbgrader_metadata(chapter):
    notebook = nbformat.read(source_notebook(chapter), as_version=4)
    nbformat.validate(notebook)
    cells = grade_cells(notebook)
    assert all(meta["schema_version"] == 3 for meta in cells.values())
    tests = {k: v for k, v in cells.items() if v["grade"] and not v["solution"]}
    module = CHAPTER_MODULE[chapter]
    expected = {f"test-{c.id.split('::')[1]}": c for c in CHECKS if c.module == module}
    assert set(tests) == set(expected)
    for grade_id, meta in tests.items():
        assert meta["locked"] and meta["points"] == expected[grade_id].points
        assert f'graded("{expected[grade_id].id}")' in meta["cell"].source
    manual = [v for v in cells.values() if v["grade"] and v["solution"]]
    assert manual and all(v["cell"].cell_type == "markdown" and v["points"] > 0 for v in manual)


def test_committed_exercises_are_what_release_writes(tmp_path):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    for chapter in chapters(ROOT):
        shutil.copytree(ROOT / "solutions" / chapter, tmp_path / "solutions" / chapter)
    release_notebooks(tmp_path)
    generated = sorted(p.relative_to(tmp_path) for p in (tmp_path / "exercises").rglob("*.ipynb"))
    committed = sorted(p.relative_to(ROOT) for p in (ROOT / "exercises").rglob("*.ipynb"))
    assert generated == committed
    for path in generated:
        assert (tmp_path / path).read_bytes() == (ROOT / path).read_bytes(), (
            f"{path} differs from what `make release` writes"
        )
    student = nbformat.read(tmp_path / generated[0], as_version=4)
    assert "YOUR ANSWER HERE" in {c.source for c in student.cells}


def run(notebook_path: Path, folder: Path, env_modules: Path | None) -> nbformat.NotebookNode:
    """Execute a notebook in ``folder``, with ``env_modules`` copied to folder/mlpcourse."""
    folder.mkdir(parents=True, exist_ok=True)
    if env_modules is not None:
        (folder / "mlpcourse").mkdir()
        for module in EXERCISE_MODULES:
            shutil.copy(env_modules / f"{module}.py", folder / "mlpcourse")
    notebook = nbformat.read(notebook_path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    return notebook


def errors(notebook) -> dict[str, str]:
    found = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
                found[grade_id] = f"{output.ename}: {output.evalue}"
    return found


def text(notebook) -> str:
    return "\n".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.output_type == "stream"
    )


@pytest.mark.parametrize("chapter", sorted(CHAPTER_MODULE))
def test_notebook_runs_top_to_bottom_with_the_reference(chapter, tmp_path):
    notebook = run(source_notebook(chapter), tmp_path / chapter, REFERENCE_DIR)
    assert errors(notebook) == {}
    assert "Not written yet" not in text(notebook)
    module = CHAPTER_MODULE[chapter]
    assert text(notebook).count("✓") >= 2 * sum(c.module == module for c in CHECKS)


@pytest.mark.parametrize("chapter", sorted(CHAPTER_MODULE))
def test_exercise_notebook_with_the_stubs_says_what_to_do(chapter, tmp_path):
    (exercise,) = (ROOT / "exercises" / chapter).glob("*.ipynb")
    notebook = run(exercise, tmp_path / chapter, PACKAGE_DIR)
    module = CHAPTER_MODULE[chapter]
    failed = errors(notebook)
    # Only the graded cells fail, each naming the function and file to open.
    assert set(failed) == {f"test-{c.id.split('::')[1]}" for c in CHECKS if c.module == module}
    assert all(f"in mlpcourse/{module}.py" in message for message in failed.values())
    assert "Not written yet: open" in text(notebook) and f"mlpcourse/{module}.py" in text(notebook)


def test_answers_are_not_in_the_exercises():
    for chapter in chapters(ROOT):
        source = nbformat.read(source_notebook(chapter), as_version=4)
        answers = [v["cell"].source for v in grade_cells(source).values() if v["solution"]]
        (exercise,) = (ROOT / "exercises" / chapter).glob("*.ipynb")
        released = json.dumps(json.loads(exercise.read_text()))
        assert all(answer[:60] not in released for answer in answers)
