"""How long grading takes, sandbox included: one submission, the stubs, and a class of 20.

    .venv/bin/python bench/grading.py [--class-size 20] [--repeat 3]

Prints wall times (median of the repeats) and the machine. Not a test: the
figures go in bench/README.md.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.grading import grade
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--class-size", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        klass = Path(tmp) / "class"
        for i in range(args.class_size):
            shutil.copytree(REFERENCE_DIR, klass / f"student{i:02d}" / "mlpcourse")
        one = klass / "student00"
        stubs = Path(tmp) / "stubs"
        shutil.copytree(PACKAGE_DIR, stubs / "mlpcourse")
        single = [timed(lambda: grade(one)) for _ in range(args.repeat)]
        empty = [timed(lambda: grade(stubs)) for _ in range(args.repeat)]
        command = [sys.executable, "-m", "mlpcourse.cli", "grade", str(klass), "--all"]
        command += ["--csv", str(Path(tmp) / "grades.csv")]

        def whole_class() -> None:
            shutil.rmtree(Path(tmp) / "grades", ignore_errors=True)  # no resuming
            subprocess.run(command, check=True, capture_output=True)

        whole = [timed(whole_class) for _ in range(args.repeat)]
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"| what | wall time (median of {args.repeat}) |")
    print("|---|---|")
    total = f"{sum(check.points for check in CHECKS):g}"
    print(f"| one complete submission ({total}/{total}) | {statistics.median(single):.2f} s |")
    print(f"| the stubs (0/{total}) | {statistics.median(empty):.2f} s |")
    print(f"| a class of {args.class_size} (`--all`) | {statistics.median(whole):.1f} s |")


if __name__ == "__main__":
    main()
