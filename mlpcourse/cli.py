"""The ``mlpcourse`` command.

mlpcourse check [CHAPTER]              students: grade your own package
mlpcourse grade PATH [--json]          grade one submission (PATH holds mlpcourse/)
mlpcourse grade DIR --all --csv F      grade a class: one sub-folder per student
        [--shard i/N]                  … or one N-th of it (see mlpcourse.course.classes)
mlpcourse merge J1 J2 … --csv F        join the shards' JSON folders into one CSV and folder
mlpcourse report JSON_DIR --html F     the class report: scores, pass rates, diagnoses
mlpcourse release                      instructors: regenerate the exercise modules
mlpcourse export PLATFORM TARGET       gradescope, prairielearn or github-classroom

Grading runs student code under bubblewrap (apt-get install bubblewrap);
--no-sandbox runs it unconfined, for code you trust only.
"""

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from mlpcourse import chapters
from mlpcourse import config as course_config
from mlpcourse.chapters import BY_MODULE, CHAPTERS
from mlpcourse.course import classes
from mlpcourse.course.class_commands import add_class_commands
from mlpcourse.course.platforms import command as platforms
from mlpcourse.course.release import write_stubs
from mlpcourse.course.sections import section_for
from mlpcourse.course.submissions import collect, release_notebooks, student_edition
from mlpcourse.grader import class_run
from mlpcourse.grader.bubblewrap import check_sandbox
from mlpcourse.grader.cases import PUBLISHED, Cases, SecretError, course_cases
from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.grading import grade
from mlpcourse.grader.inert import inert
from mlpcourse.grader.limits import DEFAULT, Limits
from mlpcourse.grader.sandbox import Isolation, check_isolation, choose_isolation
from mlpcourse.grader.support import SandboxUnavailable
from mlpcourse.grader.wording import count
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR

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


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(
        check_timeout=args.check_timeout,
        timeout=args.timeout,
        student_timeout=args.student_timeout,
        memory_mb=args.memory,
    )


def _sandbox(args: argparse.Namespace) -> Isolation:
    """Whether to sandbox; warns when --no-sandbox was asked for."""
    if args.no_sandbox:
        print(
            "mlpcourse: --no-sandbox: student code runs unconfined, with your rights. "
            "Use it for code you trust only.",
            file=sys.stderr,
        )
    return False if args.no_sandbox else getattr(args, "isolation", True)


def grade_class(
    args: argparse.Namespace, cases: Cases = PUBLISHED, console: Console | None = None
) -> int:
    """Grade every student folder of ``args.path`` (:mod:`mlpcourse.grader.class_run`)."""
    root = args.path
    students = classes.students(root, args.shard)
    json_dir = args.json_dir or (args.csv.with_suffix("") if args.csv else root / ".grades")
    with Progress(console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task("grading", total=len(students))
        reports = class_run.grade_class(
            students,
            json_dir,
            _limits(args),
            _sandbox(args),
            cases,
            jobs=args.jobs,
            on_report=lambda _: progress.advance(task),
        )
        progress.update(task, completed=len(students))
    rows = classes.rows(reports)
    if args.csv:
        classes.write_atomically(args.csv, classes.csv_text(rows))
    if args.json:
        print(json.dumps(reports))
    else:
        console = console or Console()
        console.print(class_table(rows, f"{len(rows)} submissions in {root}"))
        console.print(
            shown(f"JSON reports in {json_dir}" + (f"; CSV in {args.csv}" if args.csv else ""))
        )
    return 0


def class_table(rows: list[dict], title: str) -> Table:
    """The class's scores: one row per student (their folder name is student text)."""
    table = Table(title=shown(title))
    columns = [c.name for c in course_config.load().graded_chapters()] + ["total"]
    for column in ("student", *columns):
        table.add_column(column)
    for row in rows:
        table.add_row(shown(row["student"]), *(f"{row[c]:g}" for c in columns))
    return table


def grade_command(args: argparse.Namespace) -> int:
    """Grade one submission, or with --all every sub-folder of PATH."""
    if args.shard is not None:
        try:
            args.shard = classes.parse_shard(args.shard)
        except ValueError as error:
            print(f"mlpcourse grade: {error}", file=sys.stderr)
            return 2
        if not args.all:
            print("mlpcourse grade: --shard grades part of a class: add --all", file=sys.stderr)
            return 2
    if not args.path.is_dir():
        print(f"mlpcourse grade: {inert(args.path)} is not a folder", file=sys.stderr)
        return 2
    if not args.no_sandbox:
        try:
            args.isolation = choose_isolation(args.runner_user)
            handed_in = classes.students(args.path, args.shard) if args.all else [args.path]
            check_isolation(args.isolation, *handed_in)
        except SandboxUnavailable as error:
            why = inert(error, keep="\n")  # it may name a student's folder
            print(f"mlpcourse grade: {why}", file=sys.stderr)
            return 3
    try:
        cases = course_cases()  # hidden cases, drawn from the course secret
    except SecretError as error:
        print(f"mlpcourse grade: {error}", file=sys.stderr)
        return 2
    if args.all:
        return grade_class(args, cases)
    report = grade(args.path, _limits(args), sandbox=_sandbox(args), cases=cases)
    if not platforms.print_formatted(report, "json" if args.json else args.format):
        print_report(Console(), report, f"mlpcourse grade {args.path}")
    return 0


def check_command(args: argparse.Namespace) -> int:
    """Run the graded checks on your own package, all chapters or one."""
    modules = [c.module for c in chapters.named(args.chapter or "")]
    if not modules:
        print(
            f"mlpcourse check: no chapter {args.chapter!r}; one of {[c.name for c in CHAPTERS]}",
            file=sys.stderr,
        )
        return 2
    try:
        check_sandbox()
        sandbox = not args.no_sandbox
    except SandboxUnavailable:
        sandbox = False  # a student's own laptop (macOS): their code, their machine
    console = Console()

    def chapter_done(module: str, results: dict) -> None:
        earned = sum(c.points for c in CHECKS if c.id in results and results[c.id][0])
        total = sum(c.points for c in CHECKS if c.module == module)
        mark = "[green]✓[/]" if earned == total else "[red]✗[/]"
        console.print(f"{mark} {BY_MODULE[module].name}: {earned:g}/{count(total, 'point')}")

    with console.status("checking your code…"):
        report = grade(
            PACKAGE_DIR.parent,
            _limits(args),
            use_reference=False,
            modules=modules,
            sandbox=sandbox,
            on_chapter=chapter_done,
            cases=PUBLISHED,
        )
    print_report(console, report, "your mlpcourse package")
    console.print(next_step(report, everything=len(modules) == len(CHAPTERS)), soft_wrap=True)
    return 0


def release(args: argparse.Namespace) -> int:
    """Regenerate the exercise modules and the exercise notebooks from solutions/."""
    if not args.solutions.is_dir():
        print(f"mlpcourse release: no reference solutions at {args.solutions}", file=sys.stderr)
        return 2
    changed = write_stubs(args.solutions, args.package)
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(changed)} exercise module(s) changed")
    if not args.modules_only:
        release_notebooks(ROOT)
        print("exercises/ regenerated by nbgrader generate_assignment")
    return 0


def collect_command(args: argparse.Namespace) -> int:
    """Gather a folder of student checkouts into grading/submitted/ for nbgrader."""
    copied = collect(args.class_dir, args.course)
    print(f"{len(copied)} chapter submissions from {len({s for s, _ in copied})} students")
    return 0


def student_edition_command(args: argparse.Namespace) -> int:
    """Write the course as students receive it: no solutions, no answers."""
    if args.target.exists() and any(args.target.iterdir()):
        print(f"mlpcourse student-edition: {args.target} is not empty", file=sys.stderr)
        return 2
    files = student_edition(ROOT, args.target)
    print(f"{len(files)} files written to {args.target}")
    return 0


def _add_limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT.timeout, help="seconds for a chapter's checks"
    )
    parser.add_argument(
        "--check-timeout", type=float, default=DEFAULT.check_timeout, help="seconds per check"
    )
    parser.add_argument(
        "--student-timeout",
        type=float,
        default=DEFAULT.student_timeout,
        help="seconds for a whole submission",
    )
    parser.add_argument(
        "--memory", type=int, default=DEFAULT.memory_mb, help="MiB of memory per process"
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student code without bubblewrap (only for code you trust)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mlpcourse", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("grade", help=grade_command.__doc__)
    p.add_argument("path", type=Path)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--all", action="store_true", help="PATH holds one folder per student")
    p.add_argument("--csv", type=Path, help="with --all: write one row per student")
    p.add_argument("--json-dir", type=Path, help="with --all: folder for one JSON per student")
    p.add_argument("--shard", help="with --all: grade shard i of N (i/N), by name hash")
    p.add_argument("--jobs", type=int, default=0, help="with --all: parallel workers (CPUs)")
    platforms.add_grade_options(p)
    _add_limits(p)
    p.set_defaults(run=grade_command)

    p = commands.add_parser("check", help=check_command.__doc__)
    p.add_argument("chapter", nargs="?", help="e.g. 02-activations, 02 or activations")
    _add_limits(p)
    p.set_defaults(run=check_command)

    p = commands.add_parser("release", help=release.__doc__)
    p.add_argument("--solutions", type=Path, default=REFERENCE_DIR)
    p.add_argument("--package", type=Path, default=PACKAGE_DIR)
    p.add_argument("--modules-only", action="store_true", help="skip the notebooks")
    p.set_defaults(run=release)

    p = commands.add_parser("collect", help=collect_command.__doc__)
    p.add_argument("class_dir", type=Path, help="one checkout per student, named by student id")
    p.add_argument("--course", type=Path, default=ROOT, help="the course root (nbgrader_config.py)")
    p.set_defaults(run=collect_command)

    p = commands.add_parser("student-edition", help=student_edition_command.__doc__)
    p.add_argument("target", type=Path)
    p.set_defaults(run=student_edition_command)

    platforms.add_export(commands)
    add_class_commands(commands)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
