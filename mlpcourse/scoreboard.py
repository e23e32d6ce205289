"""What the terminal shows: a report as a scoreboard, the next step, a class's table.

Everything here prints student text (messages, folder names); it goes through
:func:`shown` (:func:`~mlpcourse.grader.inert.inert`, then Rich markup escaped).
"""

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlpcourse import config as course_config
from mlpcourse.chapters import BY_MODULE, CHAPTERS
from mlpcourse.course.sections import section_for
from mlpcourse.grader.inert import inert
from mlpcourse.implementation import PACKAGE_DIR

ROOT = PACKAGE_DIR.parent


def shown(text: object) -> str:
    """Any text for the console: :func:`~mlpcourse.grader.inert.inert`, then Rich markup escaped."""
    return escape(inert(text))


def scoreboard(report: dict, title: str) -> Table:
    """A table of the report: one row per check, ✓, ✗ or ⋯ (waiting), and points."""
    table = Table(title=shown(title), show_lines=False)
    for column in ("", "chapter", "function", "points"):
        table.add_column(column)
    for test in report["tests"]:
        table.add_row(
            _mark(test),
            shown(test["chapter"]),
            shown(_function(test)),
            f"{test['points']:g}/{test['max_points']:g}",
        )
    table.caption = f"score {report['score']:g} / {report['max_score']:g}"
    return table


def _mark(test: dict) -> str:
    if test["passed"]:
        return "[green]✓[/]"
    return "[yellow]⋯[/]" if test.get("waiting_on") else "[red]✗[/]"


def _function(test: dict) -> str:
    return ", ".join(f.removeprefix("mlpcourse.") for f in test["functions"])


def print_report(console: Console, report: dict, title: str) -> None:
    """The scoreboard, then one paragraph per function that is not right yet."""
    console.print(scoreboard(report, title))
    for test in report["tests"]:
        if not test["passed"]:
            console.print(
                f"{_mark(test)} [bold]{shown(_function(test))}[/]: {shown(test['message'])}",
                soft_wrap=True,
            )


def next_step(report: dict, everything: bool) -> str:
    """What a student should do next: the first function to write or fix, or how to hand in."""
    failed = [t for t in report["tests"] if not t["passed"]]
    if not failed:
        if everything:
            how = course_config.load().how_to_submit()
            return f"All {report['max_score']:g} points: well done. To hand in your work, {how}."
        later = [c.name for c in CHAPTERS if c.name not in {t["chapter"] for t in report["tests"]}]
        after = [c for c in later if c > max(t["chapter"] for t in report["tests"])]
        then = f" Next: chapter {after[0]} (`mlpcourse check {after[0][:2]}`)." if after else ""
        return f"These chapters are complete.{then}"
    culprit = next((t for t in failed if not t.get("waiting_on")), failed[0])
    module, _, function = culprit["functions"][0].removeprefix("mlpcourse.").partition(".")
    chapter, check_id, diagnosis = culprit["chapter"], culprit["id"], culprit.get("diagnosis")
    if culprit.get("waiting_on"):  # every failure here waits on a function of another chapter
        module, _, function = culprit["waiting_on"][0].partition(".")
        chapter, check_id = BY_MODULE[module].name, f"{module}::{function.rpartition('.')[2]}"
        diagnosis = None
    if culprit["message"].startswith(f"importing mlpcourse/{module}.py failed") or (
        culprit["message"].endswith(f"fix mlpcourse/{module}.py first")
    ):
        return (
            f"Next: make mlpcourse/{module}.py import again (the error above says where); "
            f"then run `mlpcourse check {chapter[:2]}`."
        )
    unwritten = ("NotImplementedError", "which is not written yet")
    verb = "write" if any(text in culprit["message"] for text in unwritten) else "fix"
    notebook = next((ROOT / "exercises" / chapter).glob("*.ipynb"), None)
    where = f", and its notebook {notebook.relative_to(ROOT)}" if notebook else ""
    section = section_for(check_id, diagnosis)
    book = (
        f"The section “{section.title}” of chapter {section.page}"
        if section
        else (f"Chapter {chapter} of the book")
    )
    return (
        f"Next: {verb} {function} in mlpcourse/{module}.py. {book} "
        f"explains it{where}; then run `mlpcourse check {chapter[:2]}` again."
    )


def class_table(rows: list[dict], title: str) -> Table:
    """The class's scores: one row per student (their folder name is student text)."""
    table = Table(title=shown(title))
    columns = [c.name for c in course_config.load().graded_chapters()] + ["total"]
    for column in ("student", *columns):
        table.add_column(column)
    for row in rows:
        table.add_row(shown(row["student"]), *(f"{row[c]:g}" for c in columns))
    return table
