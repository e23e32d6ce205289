"""A class at scale: generate submissions, grade them in shards, merge, report, and project.

    .venv/bin/python bench/class_at_scale.py [--count 1000] [--shards 2] [--jobs 1]
        [--screenshot docs/class-report.png]

Generates ``--count`` submissions from the reference (a fixed mix: complete,
partial with stubs left, one or two classic mistakes of the mutant catalogue
in tests/project/mutants, and a few hostile ones: a crash or ``sys.exit`` at
import, an endless loop, a function that kills its process), grades them with
``mlpcourse grade --all --shard i/N`` in N processes at once (``--jobs``
workers each), merges the shards, writes the class report, and prints the
wall times, submissions per minute per core, and the projected wall time for
1,000 and 10,000 students on 1, 10 and 50 machines like this one. Not a test:
the figures go in bench/README.md.
"""

import argparse
import itertools
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlpcourse.chapters import EXERCISE_MODULES  # noqa: E402
from tests.project.mutants.bugs import BUGS  # noqa: E402
from tests.project.mutants.submissions import (  # noqa: E402
    Edit,
    at_import,
    crash_at_import,
    endless_loop,
    in_function,
    planted,
    stub,
    write_submission,
)

#: The mix of a class: kind → share of the submissions.
MIX = {"complete": 0.30, "partial": 0.20, "one mistake": 0.30, "two mistakes": 0.15}
#: The rest (5%) are hostile, drawn from these.
HOSTILE = (
    lambda rng: crash_at_import(rng.choice(EXERCISE_MODULES)),
    lambda rng: at_import(rng.choice(EXERCISE_MODULES), "import sys\nsys.exit(3)", "sys.exit"),
    lambda rng: endless_loop("activations::relu", "relu"),
    lambda rng: in_function(
        "gradient_descent::gd_step", "gd_step", "import os\nos._exit(9)", "os._exit"
    ),
)


def plan(index: int, rng: random.Random) -> tuple[str, list[Edit]]:
    """The kind and edits of submission ``index``."""
    draw, edges = rng.random(), itertools.accumulate(MIX.values())
    kind = next((k for k, edge in zip(MIX, edges) if draw < edge), "hostile")
    if kind == "hostile":
        return kind, [rng.choice(HOSTILE)(rng)]
    if kind == "complete":
        return kind, []
    if kind == "partial":  # the last chapters are the ones left undone
        left = rng.randint(1, 3)
        return kind, [stub(m) for m in EXERCISE_MODULES[-left:]]
    bugs = rng.sample(BUGS, 1 if kind == "one mistake" else 2)
    while len({b.check for b in bugs}) < len(bugs):
        bugs = rng.sample(BUGS, len(bugs))
    return kind, [planted(b) for b in bugs]


def generate(klass: Path, count: int, seed: int = 0) -> Counter:
    """``count`` submissions in ``klass``; how many of each kind."""
    rng, kinds = random.Random(seed), Counter()
    for index in range(count):
        kind, edits = plan(index, rng)
        kinds[kind] += 1
        write_submission(klass / f"s{index:05d}", edits)
    return kinds


def run(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=False, capture_output=True, env=env)
    return time.perf_counter() - start


def main() -> None:
    """Generate the class, grade it in shards, merge, report, then print the figures."""
    args = arguments()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    cli = [sys.executable, "-m", "mlpcourse.cli"]
    with tempfile.TemporaryDirectory(prefix="mlpcourse-scale-") as scratch:
        work = args.keep or Path(scratch)
        klass = work / "class"
        start = time.perf_counter()
        kinds = generate(klass, args.count)
        generated = time.perf_counter() - start
        graded = grade_in_shards(cli, klass, work, args.shards, args.jobs, env)
        jsons = [str(work / f"shard{i}") for i in range(1, args.shards + 1)]
        merge = [*cli, "merge", *jsons, "--json-dir", str(work / "merged")]
        merged = run([*merge, "--csv", str(work / "grades.csv"), "--class", str(klass)], env)
        report = [*cli, "report", str(work / "merged"), "--html", str(work / "report.html")]
        reported = run(report, env)
        if args.screenshot:
            screenshot(work / "report.html", args.screenshot)
        rows = (work / "grades.csv").read_text().count("\n") - 1
        size = (work / "report.html").stat().st_size
    show(args, kinds, (generated, graded, merged, reported), rows, size)


def arguments() -> argparse.Namespace:
    """The command line's options (see the module's docstring)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="submissions (default 1000)")
    parser.add_argument("--shards", type=int, default=2, help="shards graded at once")
    parser.add_argument("--jobs", type=int, default=1, help="workers per shard")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--screenshot", type=Path, help="save the report's first screen as PNG")
    return parser.parse_args()


def grade_in_shards(
    cli: list[str], klass: Path, work: Path, shards: int, jobs: int, env: dict
) -> float:
    """Grade ``klass`` in ``shards`` processes at once, into work/shard<i>; the wall time."""
    start = time.perf_counter()
    processes = [
        subprocess.Popen(
            [*cli, "grade", str(klass), "--all", "--shard", f"{i}/{shards}"]
            + ["--jobs", str(jobs), "--json-dir", str(work / f"shard{i}")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        for i in range(1, shards + 1)
    ]
    for process in processes:
        process.wait()
    return time.perf_counter() - start


def show(args: argparse.Namespace, kinds: Counter, times: tuple, rows: int, size: int) -> None:
    """The machine, the wall time of each step, the rate per core, and the projections."""
    generated, graded, merged, reported = times
    cores = min(args.shards * args.jobs, os.cpu_count() or 1)
    per_core = args.count / (graded / 60) / cores
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"submissions: {args.count} ({', '.join(f'{n} {k}' for k, n in kinds.items())})")
    print(f"shards: {args.shards} at once, --jobs {args.jobs} each ({cores} cores busy)")
    print()
    print("| step | wall time |")
    print("|---|---:|")
    print(f"| generate {args.count} submissions | {generated:.1f} s |")
    print(f"| grade ({args.shards} shards in parallel) | {graded:.1f} s |")
    print(f"| merge ({rows} rows in the CSV) | {merged:.1f} s |")
    print(f"| class report ({size / 1024:.0f} KiB of HTML) | {reported:.1f} s |")
    print()
    print(f"**{per_core:.1f} submissions per minute per core**")
    print(f"({args.count / graded:.2f} submissions/s on this machine)")
    print()
    print("| students | 1 machine (2 cores) | 10 machines | 50 machines |")
    print("|---:|---:|---:|---:|")
    for students in (1000, 10000):
        cells = [_duration(students / (per_core * 2 * n)) for n in (1, 10, 50)]
        print(f"| {students:,} | {' | '.join(cells)} |")


def screenshot(page: Path, target: Path) -> None:
    """The top of the report page in headless Chromium, 1000 × 1400 CSS pixels."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless"]
        )
        tab = browser.new_page(viewport={"width": 1000, "height": 1400})
        tab.goto(page.resolve().as_uri())
        tab.screenshot(path=str(target))
        browser.close()


def _duration(minutes: float) -> str:
    return f"{minutes:.1f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


if __name__ == "__main__":
    main()
