"""Whole student submissions built from the reference: planted mistakes, stubs, hostile code.

A plan is a list of edits; :func:`write_submission` writes ``<folder>/mlpcourse/``
with the exercise modules of the reference, each edited by the plan.
The class-report tests and ``bench/class_at_scale.py`` build classes with it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.grader.checks import CHECKS
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR

from . import Variant


@dataclass(frozen=True)
class Edit:
    """One change to a submission, and the checks it must fail."""

    module: str
    change: Callable[[str], str]
    fails: tuple[str, ...]
    label: str  # a word for what it is: the bug's description, "stub", "crash at import"…


def planted(variant: Variant) -> Edit:
    """A bug of the mutant catalogue: fails its own check only."""
    return Edit(variant.module, variant.apply, (variant.check,), variant.description)


def stub(module: str) -> Edit:
    """The module as released (every function a stub): fails all its checks."""
    text = (PACKAGE_DIR / f"{module}.py").read_text()
    return Edit(module, lambda _: text, _checks_of(module), "stub")


def at_import(module: str, code: str, label: str) -> Edit:
    """Module-level code appended to a module (a crash or a loop at import)."""
    return Edit(module, lambda text: f"{text}\n{code}\n", _checks_of(module), label)


def in_function(check: str, function: str, body: str, label: str) -> Edit:
    """A function's body replaced (a crash or an endless loop): fails its own check."""
    variant = Variant(check, function, body, label)
    return Edit(variant.module, variant.apply, (check,), label)


def crash_at_import(module: str) -> Edit:
    return at_import(module, 'raise RuntimeError("half-finished edit")', "crash at import")


def endless_loop(check: str, function: str) -> Edit:
    return in_function(check, function, "while True:\n    pass", "endless loop")


def write_submission(folder: Path, edits: list[Edit]) -> Path:
    """``folder/mlpcourse/`` with the reference's modules, edited in order."""
    package = folder / "mlpcourse"
    package.mkdir(parents=True)
    for module in EXERCISE_MODULES:
        text = (REFERENCE_DIR / f"{module}.py").read_text()
        for edit in edits:
            if edit.module == module:
                text = edit.change(text)
        (package / f"{module}.py").write_text(text)
    return folder


def failing(edits: list[Edit]) -> set[str]:
    """The check ids a submission with these edits must fail."""
    return {check for edit in edits for check in edit.fails}


def _checks_of(module: str) -> tuple[str, ...]:
    return tuple(c.id for c in CHECKS if c.module == module)
