"""``mlpcourse merge`` and ``mlpcourse report``: a class graded in shards, joined and reported.

``merge`` exits 0 when every report was joined cleanly (identical duplicates
are kept once and listed), and 1 when it found a conflict (a student graded
differently in two shards: neither report is picked, the student's merged
report is an ``error`` naming the folders) or, given ``--class``, a student
no shard graded (an ``error`` report too), or reports graded on different
cases (shards whose machines had different course secrets: give them all the
same one). Either way it writes everything it could and lists the problems on
stderr: nobody is silently dropped.
"""

import argparse
import sys

from mlpcourse.course import classes
from mlpcourse.course.report import write_report
from mlpcourse.grader.inert import inert


def merge_command(args: argparse.Namespace) -> int:
    """Join the JSON folders of several shards into one CSV (and one JSON folder)."""
    for folder in args.json_dirs:
        if not folder.is_dir():
            print(f"mlpcourse merge: {folder} is not a folder of JSON reports", file=sys.stderr)
            return 2
    if args.class_dir is not None and not args.class_dir.is_dir():
        print(f"mlpcourse merge: --class {args.class_dir} is not a folder", file=sys.stderr)
        return 2
    if args.csv is None and args.json_dir is None:
        print("mlpcourse merge: nothing to write: give --csv and/or --json-dir", file=sys.stderr)
        return 2
    expected = None
    if args.class_dir is not None:
        expected = [p.name for p in classes.students(args.class_dir)]
    merged = classes.merge(args.json_dirs, expected)
    if args.json_dir is not None:
        classes.write_reports(args.json_dir, merged.reports, merged.manifest)
    if args.csv is not None:
        classes.write_atomically(args.csv, classes.csv_text(classes.rows(merged.reports)))
    # Student names are folder names: student text, shown inert.
    for student, folders in merged.duplicates.items():
        print(
            inert(f"duplicate (identical, kept once): {student} in {', '.join(folders)}"),
            file=sys.stderr,
        )
    for student, folders in merged.conflicts.items():
        print(
            inert(f"CONFLICT: {student} has different reports in {', '.join(folders)}: none kept, ")
            + "grade this student again",
            file=sys.stderr,
        )
    for student in merged.missing:
        print(inert(f"MISSING: {student} (in {args.class_dir}) has no report"), file=sys.stderr)
    variants = sorted({r["variant"] for r in merged.reports.values() if "variant" in r})
    if len(variants) > 1:
        print(
            f"VARIANTS: the reports were graded on different cases ({', '.join(variants)}): "
            "give every shard the same course secret (MLPCOURSE_SECRET) and grade again",
            file=sys.stderr,
        )
    print(
        f"merged {len(merged.reports)} students from {len(args.json_dirs)} folders: "
        f"{len(merged.duplicates)} duplicates, {len(merged.conflicts)} conflicts, "
        f"{len(merged.missing)} missing",
        file=sys.stderr,
    )
    return 0 if merged.clean and len(variants) <= 1 else 1


def report_command(args: argparse.Namespace) -> int:
    """Write the class report (HTML and/or Markdown) from a folder of JSON reports."""
    if not args.json_dir.is_dir():
        print(f"mlpcourse report: {args.json_dir} is not a folder of JSON reports", file=sys.stderr)
        return 2
    if args.html is None and args.md is None:
        print("mlpcourse report: nothing to write: give --html and/or --md", file=sys.stderr)
        return 2
    summary = write_report(args.json_dir, args.html, args.md, args.title, args.book_url)
    written = " and ".join(str(p) for p in (args.html, args.md) if p is not None)
    print(f"{len(summary.students)} students reported in {written}", file=sys.stderr)
    return 0
