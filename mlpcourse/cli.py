"""The ``mlpcourse`` command.

mlpcourse check [CHAPTER]              students: grade your own package
mlpcourse grade PATH [--json]          grade one submission (PATH holds mlpcourse/)
mlpcourse grade DIR --all --csv F      grade a class: one sub-folder per student
        [--shard i/N]                  … or one N-th of it (see mlpcourse.course.classes)
mlpcourse merge J1 J2 … --csv F        join the shards' JSON folders into one CSV and folder
mlpcourse report JSON_DIR --html F     the class report: scores, pass rates, diagnoses
mlpcourse release                      instructors: regenerate the exercise modules
mlpcourse export PLATFORM TARGET       gradescope, prairielearn or github-classroom
mlpcourse collect CLASS_DIR            nbgrader: the class's checkouts into grading/submitted/
mlpcourse student-edition TARGET       the course as students receive it

Grading runs student code under bubblewrap (apt-get install bubblewrap);
--no-sandbox runs it unconfined, for code you trust only.
"""

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from mlpcourse import chapters
from mlpcourse.chapters import BY_MODULE, CHAPTERS
from mlpcourse.course import class_commands, classes
from mlpcourse.course.platforms import command as platforms
from mlpcourse.course.release import write_stubs
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
from mlpcourse.scoreboard import class_table, next_step, print_report, shown

ROOT = PACKAGE_DIR.parent


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


def _add_grade(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("grade", help=grade_command.__doc__)
    p.add_argument("path", type=Path)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--all", action="store_true", help="PATH holds one folder per student")
    p.add_argument("--csv", type=Path, help="with --all: write one row per student")
    p.add_argument("--json-dir", type=Path, help="with --all: folder for one JSON per student")
    p.add_argument("--shard", help="with --all: grade shard i of N (i/N), by name hash")
    p.add_argument("--jobs", type=int, default=0, help="with --all: parallel workers (CPUs)")
    p.add_argument(
        "--format",
        choices=("text", "json", "github-classroom"),
        default="text",
        help="json: as --json; github-classroom: the runner result, base64 on one line",
    )
    p.add_argument(
        "--runner-user",
        metavar="NAME",
        help="if bubblewrap cannot start, run student code as this unprivileged user (as root)",
    )
    _add_limits(p)


def _add_check(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("check", help=check_command.__doc__)
    p.add_argument("chapter", nargs="?", help="e.g. 02-activations, 02 or activations")
    _add_limits(p)


def _add_release(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("release", help=release.__doc__)
    p.add_argument("--solutions", type=Path, default=REFERENCE_DIR)
    p.add_argument("--package", type=Path, default=PACKAGE_DIR)
    p.add_argument("--modules-only", action="store_true", help="skip the notebooks")


def _add_collect(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("collect", help=collect_command.__doc__)
    p.add_argument("class_dir", type=Path, help="one checkout per student, named by student id")
    p.add_argument("--course", type=Path, default=ROOT, help="the course root (nbgrader_config.py)")


def _add_student_edition(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("student-edition", help=student_edition_command.__doc__)
    p.add_argument("target", type=Path)


def _add_export(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("export", help=platforms.export_command.__doc__)
    p.add_argument("platform", choices=platforms.PLATFORMS)
    p.add_argument("target", type=Path, help="gradescope: OUT.zip; the others: a folder")
    p.add_argument(
        "--image",
        default=platforms.prairielearn.DEFAULT_IMAGE,
        help="prairielearn: the grading image (Python 3.11+, numpy, rich; bubblewrap ideally)",
    )
    p.add_argument("--timeout", type=int, default=120, help="prairielearn: seconds (at most 600)")
    p.add_argument(
        "--install",
        default=platforms.github_classroom.DEFAULT_INSTALL,
        help="github-classroom: what the workflow pip-installs the course from",
    )


def _add_merge(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("merge", help=class_commands.merge_command.__doc__)
    p.add_argument("json_dirs", type=Path, nargs="+", help="the shards' JSON folders")
    p.add_argument("--csv", type=Path, help="write one row per student (as grade --all --csv)")
    p.add_argument("--json-dir", type=Path, help="folder for the merged JSON reports")
    p.add_argument(
        "--class", dest="class_dir", type=Path, help="the class folder: report missing students"
    )


def _add_report(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("report", help=class_commands.report_command.__doc__)
    p.add_argument("json_dir", type=Path, help="a folder of JSON reports (grade --all, merge)")
    p.add_argument("--html", type=Path, help="write the self-contained HTML page here")
    p.add_argument("--md", type=Path, help="write the Markdown version here")
    p.add_argument("--title", default="Class report")
    p.add_argument(
        "--book-url",
        default="",
        help="where the book's pages are, e.g. https://example.org/course/book/ (links are "
        "relative to the report otherwise)",
    )


#: Every command: its name, what runs it, and what adds its arguments.
COMMANDS = {
    "grade": (grade_command, _add_grade),
    "check": (check_command, _add_check),
    "release": (release, _add_release),
    "collect": (collect_command, _add_collect),
    "student-edition": (student_edition_command, _add_student_edition),
    "export": (platforms.export_command, _add_export),
    "merge": (class_commands.merge_command, _add_merge),
    "report": (class_commands.report_command, _add_report),
}


def parser() -> argparse.ArgumentParser:
    """The ``mlpcourse`` command line, from :data:`COMMANDS`."""
    top = argparse.ArgumentParser(
        prog="mlpcourse", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = top.add_subparsers(dest="command", required=True)
    for name, (run, add) in COMMANDS.items():
        add(commands)
        commands.choices[name].set_defaults(run=run)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run ``mlpcourse`` with ``argv`` (default: the process's arguments)."""
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
