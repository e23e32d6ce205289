"""What the project's grading tests share: submissions, their outcome, and the limits.

A submission is the reference (or the stubs) with some modules edited: one function's
body replaced, code appended, or a mutant (:class:`tests.project.mutants.Variant`)
applied. It is graded as in class, by sandboxed runners, under limits that keep a
margin a loaded machine keeps.
"""

import textwrap
from collections.abc import Callable
from functools import reduce
from pathlib import Path

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.limits import Limits
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR

from .mutants import Variant

ROOT = REFERENCE_DIR.parent.parent
#: The student edition's modules: every exercise raises NotImplementedError.
STUBS = PACKAGE_DIR
#: The course's points, every chapter.
TOTAL = sum(c.points for c in CHECKS)

# Time limits a loaded machine keeps. A check takes well under a second on a quiet machine;
# with both cores of a 2-core machine busy, the slowest (network::backprop) took 3.8 s and
# writing 100 MB to stderr 2 s (a loaded CI runner once took over 4 s: the old 4 s limit broke).
#: For submissions that must pass, or fail for a reason other than time: a limit no honest
#: check comes near, free when it passes.
LIMITS = Limits(timeout=120, check_timeout=30, memory_mb=1024)
#: Where time is the point (a loop, a sleep): the attacked check must end with "did not
#: finish", and the checks graded beside it (activations, neuron, gradient_descent: under 0.7 s
#: each, runner start included, with both cores busy) keep the grader's default 10 s, a margin
#: over 10x.
STALLING = Limits(memory_mb=1024)


# ---- submissions ----------------------------------------------------------------------------


def edit_function(function: str, body: str) -> Callable[[str], str]:
    """Replace the body of ``function`` in a reference module (its solution) or a stub."""

    def edit(text: str) -> str:
        if "### BEGIN SOLUTION" in text:
            return Variant("", function, body, "").apply(text)
        lines = text.splitlines()
        name = function.rsplit(".", 1)[-1]
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"def {name}("))
        stop = next(i for i in range(start, len(lines)) if "raise NotImplementedError(" in lines[i])
        indent = lines[stop][: len(lines[stop]) - len(lines[stop].lstrip())]
        new = textwrap.indent(textwrap.dedent(body).strip("\n"), indent).splitlines()
        return "\n".join(lines[:stop] + new + lines[stop + 1 :]) + "\n"

    return edit


def appended(code: str) -> Callable[[str], str]:
    """Add module-level code at the end of a module."""
    return lambda text: text + "\n" + textwrap.dedent(code).strip("\n") + "\n"


def compose(*edits: Callable[[str], str]) -> Callable[[str], str]:
    return lambda text: reduce(lambda t, e: e(t), edits, text)


def submission(tmp_path: Path, name: str = "student", base: Path = REFERENCE_DIR, **edits) -> Path:
    """A student folder holding mlpcourse/ with the modules of ``base``, some edited.

    ``edits`` maps a module to a function of its text, or to a Variant.
    """
    folder = tmp_path / name / "mlpcourse"
    folder.mkdir(parents=True)
    for module in EXERCISE_MODULES:
        text = (base / f"{module}.py").read_text()
        edit = edits.get(module)
        if isinstance(edit, Variant):
            text = edit.apply(text)
        elif edit is not None:
            text = edit(text)
        (folder / f"{module}.py").write_text(text)
    return tmp_path / name


# ---- reports --------------------------------------------------------------------------------


def outcome(report: dict) -> dict[str, tuple[bool, str]]:
    """Each check of a report: whether it passed, and its message."""
    return {t["id"]: (t["passed"], t["message"]) for t in report["tests"]}


def chapter_points(report: dict, module: str) -> float:
    return sum(t["points"] for t in report["tests"] if t["id"].startswith(f"{module}::"))


def max_points(module: str) -> float:
    return sum(c.points for c in CHECKS if c.module == module)
