"""The ``mlpcourse`` command.

mlpcourse check [CHAPTER]              students: grade your own package
mlpcourse grade PATH [--json]          grade one submission (PATH holds mlpcourse/)
mlpcourse grade DIR --all --csv F      grade a class: one sub-folder per student
mlpcourse release                      instructors: regenerate the exercise modules
"""

import argparse
import csv
import io
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from mlpcourse.checks import CHAPTERS
from mlpcourse.grading import Limits, grade
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR
from mlpcourse.release import write_stubs
from mlpcourse.submissions import collect, release_notebooks, student_edition

ROOT = PACKAGE_DIR.parent


def scoreboard(report: dict, title: str) -> Table:
    """A table of the report: one row per check, ✓ or ✗, points and message."""
    table = Table(title=title, show_lines=False)
    for column in ("", "chapter", "function", "points", "message"):
        table.add_column(column, overflow="fold")
    for test in report["tests"]:
        mark = "[green]✓[/]" if test["passed"] else "[red]✗[/]"
        functions = ", ".join(f.removeprefix("mlpcourse.") for f in test["functions"])
        table.add_row(
            mark,
            test["chapter"],
            functions,
            f"{test['points']:g}/{test['max_points']:g}",
            test["message"],
        )
    table.caption = f"score {report['score']:g} / {report['max_score']:g}"
    return table


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(timeout=args.timeout, check_timeout=args.check_timeout, memory_mb=args.memory)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _grade_or_error(path: Path, limits: Limits) -> dict:
    try:
        return grade(path, limits, jobs=1)
    except Exception as error:  # noqa: BLE001 - one broken submission must not stop a class
        return {"error": f"{type(error).__name__}: {error}"}


def grade_class(args: argparse.Namespace) -> int:
    root = args.path
    students = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    json_dir = args.json_dir or (args.csv.with_suffix("") if args.csv else root / ".grades")
    reports: dict[str, dict] = {}
    with (
        Progress(console=Console(stderr=True), transient=False) as progress,
        ProcessPoolExecutor(max_workers=args.jobs or os.cpu_count()) as pool,
    ):
        task = progress.add_task("grading", total=len(students))
        futures = {pool.submit(_grade_or_error, s, _limits(args)): s for s in students}
        for future in as_completed(futures):
            student = futures[future]
            try:
                report = future.result()
            except Exception as error:  # noqa: BLE001
                report = {"error": f"{type(error).__name__}: {error}"}
            reports[student.name] = report
            _write_atomically(json_dir / f"{student.name}.json", json.dumps(report, indent=1))
            progress.advance(task)
    rows = []
    for name in sorted(reports):
        report = reports[name]
        row = {"student": name}
        for chapter in CHAPTERS.values():
            row[chapter] = sum(
                t["points"] for t in report.get("tests", []) if t["chapter"] == chapter
            )
        row["total"] = report.get("score", 0.0)
        row["max"] = report.get("max_score", "")
        row["error"] = report.get("error", "")
        rows.append(row)
    if args.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["student"])
        writer.writeheader()
        writer.writerows(rows)
        _write_atomically(args.csv, buffer.getvalue())
    if args.json:
        print(json.dumps(reports))
    else:
        console = Console()
        table = Table(title=f"{len(rows)} submissions in {root}")
        for column in ("student", *CHAPTERS.values(), "total"):
            table.add_column(column)
        for row in rows:
            table.add_row(row["student"], *(f"{row[c]:g}" for c in (*CHAPTERS.values(), "total")))
        console.print(table)
        console.print(f"JSON reports in {json_dir}" + (f"; CSV in {args.csv}" if args.csv else ""))
    return 0


def grade_command(args: argparse.Namespace) -> int:
    """Grade one submission, or with --all every sub-folder of PATH."""
    if not args.path.is_dir():
        print(f"mlpcourse grade: {args.path} is not a folder", file=sys.stderr)
        return 2
    if args.all:
        return grade_class(args)
    report = grade(args.path, _limits(args))
    if args.json:
        print(json.dumps(report))
    else:
        Console().print(scoreboard(report, f"mlpcourse grade {args.path}"))
    return 0


def check_command(args: argparse.Namespace) -> int:
    """Run the graded checks on your own package, all chapters or one."""
    chapters = list(CHAPTERS)
    if args.chapter:
        wanted = [
            m for m, c in CHAPTERS.items() if args.chapter in (m, c) or c.startswith(args.chapter)
        ]
        if not wanted:
            print(
                f"mlpcourse check: no chapter {args.chapter!r}; one of {list(CHAPTERS.values())}",
                file=sys.stderr,
            )
            return 2
        chapters = wanted
    report = grade(PACKAGE_DIR.parent, _limits(args), reference=False, modules=chapters)
    Console().print(scoreboard(report, "your mlpcourse package"))
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
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per chapter process")
    parser.add_argument("--check-timeout", type=float, default=20.0, help="seconds per check")
    parser.add_argument("--memory", type=int, default=2048, help="MiB of memory per process")


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
    p.add_argument("--jobs", type=int, default=0, help="with --all: parallel workers (CPUs)")
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

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
