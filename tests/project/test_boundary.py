"""The trust boundary shows in the layout, and the runner's side holds no answer key."""

import ast
from pathlib import Path

from mlpcourse.grader.support import SUPPORT, support_library
from mlpcourse.implementation import PACKAGE_DIR


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


def test_the_runner_imports_nothing_from_the_grader_or_the_course():
    for path in (PACKAGE_DIR / "runner").rglob("*.py"):
        for name in imported_names(path):
            assert not name.startswith(("mlpcourse.grader", "mlpcourse.course", "..")), (path, name)
            assert "solutions" not in name, (path, name)


def test_what_the_exercise_modules_import_is_support_code_only():
    for name in SUPPORT:
        if name.endswith(".py"):
            for imported in imported_names(PACKAGE_DIR / name):
                assert not imported.startswith(("mlpcourse.grader", "mlpcourse.course")), imported


def test_the_sandbox_library_holds_no_checks_no_reference_and_no_grader():
    library = support_library() / "mlpcourse"
    files = {p.relative_to(library).as_posix() for p in library.rglob("*") if p.is_file()}
    assert not any(f.startswith(("grader", "course", "checks")) for f in files), files
    assert "runner/serve.py" in files and "gradcheck.py" in files
    for path in library.rglob("*.py"):
        text = path.read_text()
        assert "### BEGIN SOLUTION" not in text and "solutions/mlpcourse" not in text, path
