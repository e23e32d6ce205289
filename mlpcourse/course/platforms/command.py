"""The ``mlpcourse export PLATFORM TARGET`` command and the ``grade`` output formats."""

import argparse
import json
import sys
from pathlib import Path

from mlpcourse.course.platforms import github_classroom, gradescope, prairielearn
from mlpcourse.grader.platforms import github_classroom as github_result

PLATFORMS = ("gradescope", "prairielearn", "github-classroom")


def export_command(args: argparse.Namespace) -> int:
    """Write what a platform needs: an autograder zip, a question folder or a workflow."""
    try:
        if args.platform == "gradescope":
            written = gradescope.export(args.target)
            print(f"{args.target}: {len(written)} files; upload it as the Gradescope autograder")
        elif args.platform == "prairielearn":
            files = prairielearn.export(args.target, image=args.image, timeout=args.timeout)
            print(f"{len(files)} files written to the question folder {args.target}")
        else:
            files = github_classroom.export(args.target, install=args.install)
            print("\n".join(f"wrote {path}" for path in files))
    except (ValueError, FileExistsError, FileNotFoundError) as error:
        print(f"mlpcourse export {args.platform}: {error}", file=sys.stderr)
        return 2
    return 0


def add_export(commands: argparse._SubParsersAction) -> None:
    """Add the ``export`` command to the CLI's sub-commands."""
    p = commands.add_parser("export", help=export_command.__doc__)
    p.add_argument("platform", choices=PLATFORMS)
    p.add_argument("target", type=Path, help="gradescope: OUT.zip; the others: a folder")
    p.add_argument(
        "--image",
        default=prairielearn.DEFAULT_IMAGE,
        help="prairielearn: the grading image (Python 3.11+, numpy, rich; bubblewrap ideally)",
    )
    p.add_argument("--timeout", type=int, default=120, help="prairielearn: seconds (at most 600)")
    p.add_argument(
        "--install",
        default=github_classroom.DEFAULT_INSTALL,
        help="github-classroom: what the workflow pip-installs the course from",
    )
    p.set_defaults(run=export_command)


def add_grade_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--format`` and ``--runner-user`` to ``mlpcourse grade``."""
    parser.add_argument(
        "--format",
        choices=("text", "json", "github-classroom"),
        default="text",
        help="json: as --json; github-classroom: the runner result, base64 on one line",
    )
    parser.add_argument(
        "--runner-user",
        metavar="NAME",
        help="if bubblewrap cannot start, run student code as this unprivileged user (as root)",
    )


def print_formatted(report: dict, form: str) -> bool:
    """Print ``report`` in the machine format ``form``; False for ``text`` (the scoreboard)."""
    if form == "github-classroom":
        print(github_result.encoded(report))
    elif form == "json":
        print(json.dumps(report))
    else:
        return False
    return True
