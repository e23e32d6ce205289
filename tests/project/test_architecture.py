"""The house drawn from the imports, and the chapter list read from one place.

Floors, bottom up: the neutral core (the chapter registry, the loader of
exercise modules, the course settings) and the support code the exercises
import; the runner (untrusted: it runs student code); the grader (trusted);
the instructor's tools (``course``); the command line and the notebooks' helper
on top. A floor imports only from the floors below it.
"""

import ast
import tomllib
from pathlib import Path

import yaml

from mlpcourse.chapters import CHAPTERS, EXERCISE_MODULES
from mlpcourse.implementation import PACKAGE_DIR

ROOT = PACKAGE_DIR.parent
CORE = {"mlpcourse.chapters", "mlpcourse.implementation", "mlpcourse.config"}
SUPPORT = {"mlpcourse", "mlpcourse.gradcheck", "mlpcourse.validation", "mlpcourse.data"}
STUDENT = {f"mlpcourse.{m}" for m in EXERCISE_MODULES}
#: Each floor, and the floors it may import from (besides itself).
FLOORS = {
    "core": {"support"},
    "support": set(),
    "student": {"support", "student"},
    "runner": {"core", "support"},
    "grader": {"core", "support", "runner"},
    "course": {"core", "support", "runner", "grader"},
    "top": {"core", "support", "student", "runner", "grader", "course"},
}


def floor(module: str) -> str:
    """The floor ``module`` (``mlpcourse.grader.sandbox``) lives on."""
    if module in CORE:
        return "core"
    if module in SUPPORT:
        return "support"
    if module in STUDENT:
        return "student"
    part = module.split(".")[1]
    return part if part in ("runner", "grader", "course") else "top"


def imports(path: Path, module: str) -> set[str]:
    """The ``mlpcourse`` modules that the file ``path`` (module ``module``) imports."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] == "mlpcourse"}


def package_modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    modules = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def violations(graph: dict[str, set[str]], known: set[str]) -> list[str]:
    """Each import that goes up a floor (or sideways), as ``importer -> imported``."""
    found = []
    for importer, imported in sorted(graph.items()):
        for name in sorted(imported):
            while name not in known and "." in name:
                name = name.rpartition(".")[0]  # ``from pkg import function``
            here, there = floor(importer), floor(name)
            if there != here and there not in FLOORS[here]:
                found.append(f"{importer} ({here}) -> {name} ({there})")
    return found


def test_every_floor_imports_only_from_the_floors_below():
    modules = package_modules()
    graph = {name: imports(path, name) for name, path in modules.items()}
    assert violations(graph, set(modules)) == []


def test_the_rule_catches_an_import_from_above():
    """The check itself can fail: the grader importing the tools, the runner the grader."""
    graph = {
        "mlpcourse.grader.grading": {"mlpcourse.course.classes"},
        "mlpcourse.runner.serve": {"mlpcourse.grader.checks"},
        "mlpcourse.chapters": {"mlpcourse.runner"},
        "mlpcourse.course.report": {"mlpcourse.grader.checks"},
    }
    known = {*graph, "mlpcourse.course.classes", "mlpcourse.grader.checks", "mlpcourse.runner"}
    assert violations(graph, known) == [
        "mlpcourse.chapters (core) -> mlpcourse.runner (runner)",
        "mlpcourse.grader.grading (grader) -> mlpcourse.course.classes (course)",
        "mlpcourse.runner.serve (runner) -> mlpcourse.grader.checks (grader)",
    ]


def test_bench_does_not_import_the_tools_it_measures_from_a_test():
    """bench/ may read the mutant catalogue (test data), but never imports a test module."""
    for path in (ROOT / "bench").glob("*.py"):
        names = imports_any(path)
        assert not [n for n in names if n.startswith("tests.project.test_")], path.name


def imports_any(path: Path) -> set[str]:
    """Every module name ``path`` imports, absolute imports only."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


# ---- the chapter list, read from mlpcourse/chapters.py --------------------------------------


def test_the_book_the_exercises_and_the_solutions_have_the_registered_chapters():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    in_toc = [
        entry["file"].removeprefix("book/")
        for part in toc["parts"]
        for entry in part["chapters"]
        if entry.get("file", "").removeprefix("book/")[:2].isdigit()
    ]
    names = [c.name for c in CHAPTERS]
    assert in_toc == names
    beyond = [p for p in toc["parts"] if p["caption"] == "Beyond the lecture"]
    assert [e["file"] for e in beyond[0]["chapters"]] == [
        f"book/{c.name}" for c in CHAPTERS if c.beyond_the_lecture
    ]
    for folder in ("exercises", "solutions"):
        found = sorted(p.name for p in (ROOT / folder).iterdir() if p.name[:2].isdigit())
        assert found == names, folder
    assert all((ROOT / "solutions" / "mlpcourse" / f"{m}.py").is_file() for m in EXERCISE_MODULES)


def test_the_lint_exceptions_of_the_generated_stubs_name_every_exercise_module():
    """pyproject.toml lets the generated stubs keep their unused imports: all of them, only them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    ignores = config["tool"]["ruff"]["lint"]["per-file-ignores"]
    (pattern,) = [p for p in ignores if p.startswith("mlpcourse/{")]
    assert pattern == "mlpcourse/{" + ",".join(EXERCISE_MODULES) + "}.py"


def test_the_runner_gets_the_chapter_registry_and_nothing_of_the_grader():
    from mlpcourse.grader.support import SUPPORT

    assert "chapters.py" in SUPPORT
    assert not [name for name in SUPPORT if name in ("grader", "course", "implementation.py")]


def test_the_command_line_registers_every_command_in_one_place():
    from mlpcourse import cli

    registering = sorted(
        str(path.relative_to(ROOT))
        for path in PACKAGE_DIR.rglob("*.py")
        if "add_parser(" in path.read_text()
    )
    assert registering == ["mlpcourse/cli.py"]
    commands = cli.parser()._subparsers._group_actions[0].choices
    assert list(commands) == list(cli.COMMANDS)
    assert all(f"mlpcourse {name}" in cli.__doc__ for name in cli.COMMANDS), cli.__doc__


# ---- sizes a reader can take in ------------------------------------------------------------


def long_functions(paths: list[Path], most: int = 60) -> list[str]:
    """``file:function (lines)`` for each function of ``paths`` longer than ``most`` lines."""
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > most:
                    found.append(f"{path.relative_to(ROOT)}:{node.name} ({lines})")
    return found


def test_no_function_is_over_60_lines():
    paths = [p for folder in ("mlpcourse", "bench", "tests") for p in (ROOT / folder).rglob("*.py")]
    assert long_functions(paths) == []
    assert long_functions([ROOT / "mlpcourse" / "cli.py"], most=5), "the rule can fail"


def test_no_test_file_is_over_800_lines_and_the_readme_is_short():
    long_files = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests").rglob("*.py")
        if len(p.read_text(encoding="utf-8").splitlines()) > 800
    ]
    assert long_files == []
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) < 120
