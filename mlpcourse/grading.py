"""Grade a student's exercise modules: every check, each chapter in its own process.

Only the student's exercise modules are taken from their folder; checks and
support code are this installation's. In instructor mode (the reference is
here) each function is graded with the reference for everything it calls, so
a bug is charged once. Each chapter runs in a worker process
(:mod:`mlpcourse.grading_worker`) with a time and a memory limit; a check
that hangs or kills its worker fails alone, with the cause as its message,
and a new worker goes on with the remaining checks.
"""

import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from mlpcourse.checks import CHAPTERS, CHECKS, Check
from mlpcourse.implementation import REFERENCE_DIR


@dataclass
class TestResult:
    """One line of the report, as the JSON contract names its fields."""

    id: str
    chapter: str
    functions: list[str]
    points: float
    max_points: float
    passed: bool
    message: str


@dataclass
class Limits:
    """Per chapter: wall time of a worker (s), one check (s), address space (MiB)."""

    timeout: float = 60.0
    check_timeout: float = 20.0
    memory_mb: int = 2048


def exercise_folder(path: Path) -> Path:
    """The student's ``mlpcourse/`` folder under ``path`` (or ``path`` itself)."""
    return path / "mlpcourse" if (path / "mlpcourse").is_dir() else path


def _limit_memory(megabytes: int):
    def apply() -> None:
        os.setsid()
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _run_worker(module: str, pending: list[Check], folder: Path, reference: bool, limits: Limits):
    """One worker process; returns (results by id, id of a check it died in, cause)."""
    nonce = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="mlpcourse-grade-") as private:
        private = Path(private)
        results_file = private / "results.jsonl"
        results_file.touch()
        scratch = private / "scratch"
        scratch.mkdir()
        settings = {
            "nonce": nonce,
            "results": str(results_file),
            "module": module,
            "checks": [c.id for c in pending],
            "student": str(folder),
            "reference": reference,
            "check_timeout": min(limits.check_timeout, limits.timeout),
        }
        env = {
            **os.environ,
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
        }
        with open(private / "stderr", "w+b") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "mlpcourse.grading_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=scratch,
                env=env,
                preexec_fn=_limit_memory(limits.memory_mb),
            )
            try:
                process.communicate(json.dumps(settings).encode(), timeout=limits.timeout)
                cause = _exit_cause(process.returncode)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
                cause = f"took longer than {limits.timeout:g} s (an endless loop?)"
        results, started, imported, tampered = {}, None, False, None
        for line in results_file.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(event, dict) or event.get("nonce") != nonce:
                continue
            kind = event.get("event")
            if kind == "imported":
                imported = True
            elif kind == "start":
                started = event["id"]
            elif kind == "result" and event["id"] not in results:
                results[event["id"]] = (bool(event["passed"]), str(event["message"]))
                started = None
            elif kind == "tampered":
                tampered = event["names"]
    if tampered:
        message = "the code changed the grader or numpy, which voids the chapter: " + ", ".join(
            tampered
        )
        return {c.id: (False, message) for c in pending}, None, None
    if not imported and cause:
        cause = f"importing mlpcourse/{module}.py failed: {cause}"
    return results, started, cause


def _exit_cause(code: int) -> str | None:
    if code == 0:
        return None
    if code < 0:
        name = signal.Signals(-code).name
        hint = " (out of memory?)" if name in ("SIGKILL", "SIGSEGV") else ""
        return f"the process was killed by {name}{hint}"
    return f"the process exited with status {code} (sys.exit or os._exit?)"


def grade_chapter(
    folder: Path, module: str, reference: bool, limits: Limits, only: list[str] | None = None
) -> dict:
    """``{check id: (passed, message)}`` for every check of one chapter (or those in ``only``)."""
    pending = [c for c in CHECKS if c.module == module and (only is None or c.id in only)]
    results: dict[str, tuple[bool, str]] = {}
    while pending:
        found, died_in, cause = _run_worker(module, pending, folder, reference, limits)
        results.update(found)
        if died_in is not None:
            results[died_in] = (False, cause or "the process stopped during this check")
        elif not found:
            for check in pending:
                results[check.id] = (False, cause or "the grading process gave no result")
        pending = [c for c in pending if c.id not in results]
    return results


def grade(
    path: Path,
    limits: Limits | None = None,
    reference: bool | None = None,
    modules: list[str] | None = None,
    jobs: int = 0,
) -> dict:
    """The report of the contract: score, max_score and one entry per check.

    ``reference``: graft each function into the reference (default: when the
    reference is installed). ``modules``: grade only these exercise modules.
    ``jobs``: chapters graded at once (default: one per CPU).
    """
    limits = limits or Limits()
    folder = exercise_folder(Path(path).resolve())
    if reference is None:
        reference = REFERENCE_DIR.is_dir()
    modules = list(CHAPTERS) if modules is None else modules
    outcome = {}
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count()) as pool:
        for found in pool.map(lambda m: grade_chapter(folder, m, reference, limits), modules):
            outcome.update(found)
    tests = []
    for check in (c for c in CHECKS if c.module in modules):
        passed, message = outcome[check.id]
        tests.append(
            TestResult(
                id=check.id,
                chapter=check.chapter,
                functions=check.qualified_functions,
                points=check.points if passed else 0.0,
                max_points=check.points,
                passed=passed,
                message=message,
            )
        )
    return {
        "score": sum(t.points for t in tests),
        "max_score": sum(t.max_points for t in tests),
        "tests": [asdict(t) for t in tests],
    }
