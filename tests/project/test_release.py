"""The exercise modules are generated from solutions/ and never drift from it."""

import ast
import re
import shutil

import pytest

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.course.release import make_stub, stub_sources, write_stubs
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR


def test_committed_stubs_are_what_release_writes():
    generated = stub_sources(REFERENCE_DIR)
    assert sorted(generated) == sorted(f"{name}.py" for name in EXERCISE_MODULES)
    for name, text in generated.items():
        committed = (PACKAGE_DIR / name).read_text(encoding="utf-8")
        assert committed == text, f"mlpcourse/{name} differs from its source: run `make release`"


def test_release_is_idempotent(tmp_path):
    shutil.copytree(PACKAGE_DIR, tmp_path / "mlpcourse")
    for name in stub_sources(REFERENCE_DIR):
        (tmp_path / "mlpcourse" / name).unlink()
    first = write_stubs(REFERENCE_DIR, tmp_path / "mlpcourse")
    snapshot = {p: p.read_bytes() for p in (tmp_path / "mlpcourse").glob("*.py")}
    assert len(first) == len(EXERCISE_MODULES)
    assert write_stubs(REFERENCE_DIR, tmp_path / "mlpcourse") == []
    assert snapshot == {p: p.read_bytes() for p in (tmp_path / "mlpcourse").glob("*.py")}


def _api(tree: ast.Module) -> dict[str, tuple]:
    """Every function's and class's signature and docstring, by dotted name.

    Functions defined inside a function body (a ``Value``'s local rule
    ``_backward``, written in the solution) are its code, not its API.
    """
    api = {}

    def visit(node, prefix=""):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.ClassDef):
                name = prefix + child.name
                signature = ast.dump(child.args) if isinstance(child, ast.FunctionDef) else ""
                api[name] = (signature, ast.get_docstring(child))
                if isinstance(child, ast.ClassDef):
                    visit(child, name + ".")

    visit(tree)
    return api


@pytest.mark.parametrize("module", EXERCISE_MODULES)
def test_stub_keeps_signatures_and_docstrings_but_no_solution(module):
    source = (REFERENCE_DIR / f"{module}.py").read_text(encoding="utf-8")
    stub = (PACKAGE_DIR / f"{module}.py").read_text(encoding="utf-8")
    assert _api(ast.parse(stub)) == _api(ast.parse(source))
    assert "BEGIN SOLUTION" not in stub and "END SOLUTION" not in stub
    regions = source.count("### BEGIN SOLUTION")
    assert regions > 0
    assert len(re.findall(r"^\s+raise NotImplementedError\(", stub, re.M)) == regions
    assert stub.count("# YOUR CODE HERE") == regions


def test_stub_names_the_function_and_file():
    source = (
        "class A:\n    def f(self):\n"
        "        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n"
    )
    stub = make_stub(source, "m.py")
    assert 'raise NotImplementedError("write A.f in mlpcourse/m.py")' in stub
    assert "return 1" not in stub
    namespace = {}
    exec(compile(stub, "m.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="A.f"):
        namespace["A"]().f()


@pytest.mark.parametrize(
    "source, problem",
    [
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "never closed"),
        ("def f():\n    return 1\n    ### END SOLUTION\n", "without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
    ],
)
def test_unbalanced_markers_are_an_error_with_a_line_number(source, problem):
    with pytest.raises(ValueError, match=f"m.py:\\d+: .*{problem}"):
        make_stub(source, "m.py")
