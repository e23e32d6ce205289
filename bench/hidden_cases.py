"""Hidden cases over many secrets: correct code always passes, every bug always fails.

    .venv/bin/python bench/hidden_cases.py [--secrets 200] [--jobs 2] [--seed 0] [--first 0]

For each of ``--secrets`` course secrets (made from ``--seed``, so a run can be
repeated, or continued from ``--first``), grades the reference (every chapter),
each correct alternative and each bug of the mutant catalogue
(tests/project/mutants; their own chapter), as ``mlpcourse grade`` does but
without the sandbox (this is the instructor's own code) and in ``--jobs``
processes. Prints the false rejects (a correct
submission losing a point), the false accepts (a bug passing its check), the
diagnoses of ``DIAGNOSES`` (tests/project/mutants/diagnoses.py) that a secret lost,
and, per check, the worst error any correct submission reached as a fraction
of the check's tolerance (its margin: tolerance / worst error). Not a test:
the figures go in bench/README.md.
"""

import argparse
import hashlib
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlpcourse import gradcheck  # noqa: E402
from mlpcourse.chapters import EXERCISE_MODULES  # noqa: E402
from mlpcourse.grader.cases import Cases  # noqa: E402
from mlpcourse.grader.checks import CHECKS  # noqa: E402
from mlpcourse.grader.grading import grade  # noqa: E402
from mlpcourse.grader.limits import Limits  # noqa: E402
from tests.project.mutants import Variant  # noqa: E402
from tests.project.mutants.alternatives import ALTERNATIVES  # noqa: E402
from tests.project.mutants.bugs import BUGS  # noqa: E402
from tests.project.mutants.diagnoses import DIAGNOSES  # noqa: E402
from tests.project.mutants.submissions import write_submission  # noqa: E402

# ---- the worst error of a passing comparison, per check (this process's own record) --------

_current = threading.local()
#: check id → the largest error / tolerance seen in a comparison of correct code.
_worst: dict[str, float] = {}


def _record(ratio: float) -> None:
    check = getattr(_current, "check", None)
    if check is not None and np.isfinite(ratio):
        _worst[check] = max(_worst.get(check, 0.0), float(ratio))


def _instrument() -> None:
    """Wrap the checks and their comparisons so that each passing comparison is recorded."""
    from mlpcourse.grader.checks import tools

    for check in CHECKS:
        object.__setattr__(check, "run", _tracked(check.run, check.id))
    recorded_assert_close = _recording_assert_close(tools.assert_close)
    recorded_check_gradient = _recording_check_gradient(gradcheck.check_gradient)
    recorded_relative_error = _recording_relative_error(gradcheck.relative_error)
    gradcheck.check_gradient = recorded_check_gradient
    gradcheck.numerical_gradient = _keeping_numerical_gradient(gradcheck.numerical_gradient)
    gradcheck.directional_derivative = _keeping_slopes(gradcheck.directional_derivative)
    for name, module in list(sys.modules.items()):
        if name.startswith("mlpcourse.grader.checks."):
            if hasattr(module, "assert_close"):
                module.assert_close = recorded_assert_close
            if hasattr(module, "check_gradient"):
                module.check_gradient = recorded_check_gradient
            if name.endswith(".network"):
                module.relative_error = recorded_relative_error


def _tracked(run, check_id: str):
    """A check's ``run``, with its id as the current check while it runs."""

    def tracked_run(impl, cases):
        _current.check = check_id
        try:
            return run(impl, cases)
        finally:
            _current.check = None

    return tracked_run


def _recording_assert_close(assert_close):
    """``assert_close``, then its worst entry as error / tolerance (either bound passes)."""

    def recorded_assert_close(label, actual, expected, rtol=1e-9, atol=1e-12, **options):
        assert_close(label, actual, expected, rtol=rtol, atol=atol, **options)
        a = np.asarray(actual, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
        ratio = np.minimum(gradcheck.relative_error(a, e) / rtol, np.abs(a - e) / atol)
        _record(float(np.max(ratio, initial=0.0)))

    return recorded_assert_close


def _keeping_numerical_gradient(numerical_gradient):
    """``numerical_gradient``, its result kept for the check_gradient that asked for it."""

    def kept_numerical_gradient(*arguments, **options):
        _current.numeric = numerical_gradient(*arguments, **options)
        return _current.numeric

    return kept_numerical_gradient


def _keeping_slopes(directional_derivative):
    """``directional_derivative``, each slope kept for the check_gradient that asked for it."""

    def kept_directional_derivative(*arguments, **options):
        slope = directional_derivative(*arguments, **options)
        getattr(_current, "slopes", []).append(slope)
        return slope

    return kept_directional_derivative


def _recording_check_gradient(check_gradient):
    """``check_gradient``, then its worst entry as error / tolerance (either bound passes)."""

    def recorded_check_gradient(
        f, arrays, gradients, *, rtol=1e-6, atol=None, h=1e-6, directions=6, seed=0, **options
    ):
        _current.numeric, _current.slopes = None, []
        result = check_gradient(
            f,
            arrays,
            gradients,
            rtol=rtol,
            atol=atol,
            h=h,
            directions=directions,
            seed=seed,
            **options,
        )
        arrays = [np.array(x, dtype=np.float64) for x in arrays]
        gradients = [np.asarray(g, dtype=np.float64) for g in gradients]
        if atol is None:  # check_gradient's own default: the differences' rounding error
            value = float(np.asarray(f(*[x.copy() for x in arrays])).reshape(()))
            atol = 10 * gradcheck.EPS * (abs(value) + 1.0) / h
        if result.method == "coordinates":
            pairs = list(zip(gradients, _current.numeric))
        else:
            pairs = _direction_pairs(arrays, gradients, seed, _current.slopes)
        for a, n in pairs:
            ratio = np.minimum(gradcheck.relative_error(a, n) / rtol, np.abs(a - n) / atol)
            _record(float(np.max(ratio, initial=0.0)))
        return result

    return recorded_check_gradient


def _direction_pairs(arrays: list, gradients: list, seed: int, slopes: list) -> list[tuple]:
    """(Σ_j (∂f/∂θ_j) v_j, slope) along each direction v check_gradient drew from ``seed``."""
    rng, pairs = np.random.default_rng(seed), []
    for slope in slopes:
        vs = [rng.standard_normal(x.shape) for x in arrays]
        norm = np.sqrt(sum(np.sum(v * v) for v in vs))
        analytic = sum(float(np.sum(g * v / norm)) for g, v in zip(gradients, vs))
        pairs.append((np.array(analytic), np.array(slope)))
    return pairs


def _recording_relative_error(relative_error):
    """``relative_error`` for the large network's slopes, recording error / tolerance."""

    def recorded_relative_error(analytic, numeric):
        error = relative_error(analytic, numeric)
        atol = 10 * gradcheck.EPS / 1e-6  # the least the check allows: 10 ε (|L| + 1) / h
        absolute = np.abs(np.asarray(analytic) - np.asarray(numeric))
        _record(float(np.max(np.minimum(error / 1e-6, absolute / atol))))
        return error

    return recorded_relative_error


# ---- one secret ------------------------------------------------------------------------------


def secret(seed: int, index: int) -> bytes:
    return hashlib.sha256(f"bench/hidden_cases.py {seed} {index}".encode()).digest()


def variants() -> list[tuple[str, str, Variant | None]]:
    """``(kind, name, variant)``: the reference (variant None), the alternatives, the bugs."""
    found = [("reference", "reference", None)]
    found += [("alternative", f"{v.check}: {v.description}", v) for v in ALTERNATIVES]
    found += [("bug", f"{v.check}: {v.description}", v) for v in BUGS]
    return found


def write_all(folder: Path) -> list[Path]:
    """One submission folder per variant, in the order of :func:`variants`."""
    from tests.project.mutants.submissions import planted

    paths = []
    for index, (_, _, variant) in enumerate(variants()):
        edits = [] if variant is None else [planted(variant)]
        paths.append(write_submission(folder / f"v{index:03d}", edits))
    return paths


#: Failures that say the machine was slow, not that a value was wrong.
TIMING = ("did not finish within", " and took ", "were used up")
#: Generous limits: the machine may be loaded (the large network keeps its own 3 s).
LIMITS = Limits(timeout=600, check_timeout=60)


def _failures(path: str, modules: list[str], cases: Cases, own: str | None) -> tuple[dict, int]:
    """``{check id: message}`` of the failed checks, and the retries it took.

    A grading whose failures (but the bug's own check) all say the machine was slow
    is graded again, up to 3 more times.
    """
    for retry in range(4):
        report = grade(Path(path), LIMITS, modules=modules, jobs=1, sandbox=False, cases=cases)
        failed = {t["id"]: t["message"] for t in report["tests"] if not t["passed"]}
        others = [m for check, m in failed.items() if check != own]
        if not others or not all(any(t in m for t in TIMING) for m in others):
            return failed, retry
    return failed, retry


def grade_one_secret(key: bytes, paths: list[str]) -> dict:
    """Grade every variant on the cases of ``key``: the failures, and the worst ratios."""
    cases = Cases(key)
    rejects, accepts, lost, retries = [], [], [], 0
    _worst.clear()
    for (kind, name, variant), path in zip(variants(), paths):
        modules = list(EXERCISE_MODULES) if variant is None else [variant.module]
        own = variant.check if kind == "bug" else None
        recorded = dict(_worst)
        failed, retried = _failures(path, modules, cases, own)
        retries += retried
        if kind == "bug":  # a bug's comparisons say nothing of the margins
            _worst.clear()
            _worst.update(recorded)
            if variant.check not in failed:
                accepts.append(name)
            elif set(failed) != {variant.check}:
                rejects.append(f"{name} (collateral: {sorted(set(failed) - {variant.check})})")
            key_ = (variant.check, variant.description)
            if key_ in DIAGNOSES and DIAGNOSES[key_] not in failed.get(variant.check, ""):
                lost.append(f"{name}: {failed.get(variant.check, '')[:300]}")
        elif failed:
            rejects.append(f"{name}: {next(iter(failed.values()))[:300]}")
    return {
        "variant": cases.variant,
        "rejects": rejects,
        "accepts": accepts,
        "lost": lost,
        "retries": retries,
        "worst": dict(_worst),
    }


def _worker_init() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    _instrument()


class Tally:
    """What the secrets graded so far showed."""

    def __init__(self, secrets: int, jobs: int) -> None:
        self.secrets, self.jobs, self.done = secrets, jobs, 0
        self.rejects, self.accepts, self.lost = [], [], []
        self.worst: dict[str, float] = {}
        self.seen: set[str] = set()
        self.started = time.perf_counter()
        self.retries = 0

    def add(self, result: dict) -> None:
        self.done += 1
        self.retries += result["retries"]
        self.seen.add(result["variant"])
        for kind in ("rejects", "accepts", "lost"):
            found = [f"[{result['variant']}] {x}" for x in result[kind]]
            getattr(self, kind).extend(found)
            for line in found:
                print(
                    f"{kind[:-1] if kind != 'lost' else 'diagnosis lost'}: {line}", file=sys.stderr
                )
        for check, ratio in result["worst"].items():
            self.worst[check] = max(self.worst.get(check, 0.0), ratio)

    def show(self, file=sys.stdout) -> None:
        listed = variants()
        kinds = {k: sum(1 for kind, _, _ in listed if kind == k) for k in ("alternative", "bug")}
        elapsed = time.perf_counter() - self.started
        gradings = self.done * (len(EXERCISE_MODULES) + kinds["alternative"] + kinds["bug"])
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        lines = [
            f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}",
            f"{self.done} secrets ({len(self.seen)} distinct variants) × (the reference, "
            f"{kinds['alternative']} correct alternatives, {kinds['bug']} bugs): {gradings} "
            f"chapter gradings in {elapsed / 60:.1f} min with {self.jobs} processes, no sandbox"
            + (f" ({(cpu.ru_utime + cpu.ru_stime) / 60:.0f} CPU min)" if cpu.ru_utime else ""),
            f"gradings repeated because the machine was slow (a timeout): {self.retries}",
            f"false rejects: {len(self.rejects)}",
            f"false accepts: {len(self.accepts)} (of {self.done * kinds['bug']} bug gradings)",
            f"diagnoses lost: {len(self.lost)} (of {self.done * len(DIAGNOSES)})",
            *(f"  {line}" for line in [*self.rejects, *self.accepts, *self.lost][:40]),
            "",
            "| check | worst error / tolerance (correct code) | margin |",
            "|---|---:|---:|",
        ]
        for check in CHECKS:
            ratio = self.worst.get(check.id)
            if ratio is None:
                lines.append(f"| {check.id} | (no tolerance: exact or structural) | |")
            else:
                margin = f"{1 / ratio:,.0f}×" if ratio > 0 else "exact"
                lines.append(f"| {check.id} | {ratio:.2e} | {margin} |")
        print("\n".join(lines), file=file, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--secrets", type=int, default=200, help="course secrets (default 200)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="processes")
    parser.add_argument("--seed", type=int, default=0, help="which secrets (default 0)")
    parser.add_argument("--first", type=int, default=0, help="the first secret's index (0)")
    parser.add_argument("--every", type=int, default=20, help="interim figures (on stderr)")
    args = parser.parse_args()
    tally = Tally(args.secrets, args.jobs)
    with tempfile.TemporaryDirectory(prefix="mlpcourse-hidden-") as scratch:
        paths = [str(p) for p in write_all(Path(scratch))]
        with ProcessPoolExecutor(max_workers=args.jobs, initializer=_worker_init) as pool:
            futures = [
                pool.submit(grade_one_secret, secret(args.seed, i), paths)
                for i in range(args.first, args.first + args.secrets)
            ]
            for future in as_completed(futures):
                tally.add(future.result())
                elapsed = time.perf_counter() - tally.started
                print(
                    f"{tally.done}/{args.secrets} secrets, {elapsed / 60:.1f} min: "
                    f"{len(tally.rejects)} false rejects, {len(tally.accepts)} false accepts",
                    file=sys.stderr,
                    flush=True,
                )
                if tally.done % args.every == 0 and tally.done < args.secrets:
                    tally.show(sys.stderr)
    tally.show()


if __name__ == "__main__":
    main()
