"""The ``mlpcourse`` command: ``mlpcourse release`` (instructors)."""

import argparse
import sys
from pathlib import Path

from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR
from mlpcourse.release import write_stubs


def release(args: argparse.Namespace) -> int:
    """Regenerate the exercise modules in mlpcourse/ from solutions/mlpcourse/."""
    if not args.solutions.is_dir():
        print(f"mlpcourse release: no reference solutions at {args.solutions}", file=sys.stderr)
        return 2
    changed = write_stubs(args.solutions, args.package)
    for path in changed:
        print(f"wrote {path}")
    print(f"{len(changed)} exercise module(s) changed")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlpcourse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("release", help=release.__doc__)
    p.add_argument("--solutions", type=Path, default=REFERENCE_DIR)
    p.add_argument("--package", type=Path, default=PACKAGE_DIR)
    p.set_defaults(run=release)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
