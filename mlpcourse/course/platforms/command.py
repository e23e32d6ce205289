"""The ``mlpcourse export PLATFORM TARGET`` command and the ``grade`` output formats."""

import argparse
import json
import sys

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


def print_formatted(report: dict, form: str) -> bool:
    """Print ``report`` in the machine format ``form``; False for ``text`` (the scoreboard)."""
    if form == "github-classroom":
        print(github_result.encoded(report))
    elif form == "json":
        print(json.dumps(report))
    else:
        return False
    return True
