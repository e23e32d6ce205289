"""Grade a class: each submission in a grading process of its own, bounded from outside.

One submission must never cost a teacher the class's grades. Each student is
graded by a *worker*: a fresh Python process (``python -m
mlpcourse.grader.class_run``) that runs :func:`~mlpcourse.grader.grading.grade`
and reports each chapter as it finishes, one JSON line at a time. The class
process watches it from outside:

- its wall clock: a worker still running :data:`KILL_MARGIN` seconds after
  the submission's own limit (``Limits.student_timeout``, which the worker
  enforces itself) is killed with its whole process group;
- its memory: the worker's address space is capped at
  ``Limits.grader_memory_mb`` by the kernel, so a submission that makes the
  trusted side allocate too much ends its own worker only.

Either way the student still gets a full report: the chapters that finished
keep their verdicts, every other check fails with the cause, and the report
says why in ``incomplete``. Classmates are graded by other workers, and the
run ends within about (students × per-student bound) / workers.

A re-run resumes: a student whose files (and grader) have not changed since a
complete report keeps the report on disk (:func:`fingerprint`).
"""

import functools
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

from mlpcourse import config
from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.grader.cases import PUBLISHED, Cases
from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.diagnosis import diagnose
from mlpcourse.grader.files import Refused, read_handed_in
from mlpcourse.grader.grading import exercise_folder, grade, report, used_up
from mlpcourse.grader.inert import inert
from mlpcourse.grader.limits import Limits
from mlpcourse.grader.sandbox import Isolation, RunnerUser
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR

#: Seconds a worker may run past the submission's limit (start-up, stopping runners).
KILL_MARGIN = 30.0
#: Characters of a worker's error output kept for the report.
MAX_ERROR = 2000

#: The resume manifest of a reports folder: ``{student: fingerprint}`` of what was graded.
MANIFEST = ".resume"


def write_atomically(path: Path, text: str) -> None:
    """Write ``path`` through a temporary file, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def fingerprint(student: Path, cases: Cases = PUBLISHED) -> str:
    """A hash of what decides a report: the student's exercise modules, the grader, the cases.

    The grader's part covers the checks, the reference and the support code, so
    a changed check, reference or course secret grades everybody again.
    """
    digest = hashlib.sha256(_grader_fingerprint().encode() + cases.variant.encode())
    folder = exercise_folder(student)
    for module in EXERCISE_MODULES:
        digest.update(module.encode() + b"\0")
        try:
            digest.update(read_handed_in(folder / f"{module}.py", module))
        except Refused as refusal:
            digest.update(str(refusal).encode())
    return digest.hexdigest()


@functools.cache
def _grader_fingerprint() -> str:
    digest = hashlib.sha256()
    for folder in (PACKAGE_DIR, REFERENCE_DIR):
        for path in sorted(folder.rglob("*.py")) if folder.is_dir() else []:
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def grade_class(
    students: list[Path],
    json_dir: Path,
    limits: Limits,
    sandbox: Isolation,
    cases: Cases = PUBLISHED,
    jobs: int = 0,
    on_report: Callable[[str], None] | None = None,
) -> dict[str, dict]:
    """``{student folder name: report}`` for every folder in ``students``.

    Each report is also written to ``json_dir/<student>.json`` as soon as it
    is known; ``on_report`` is called with the student's name then. Students
    whose complete report on disk is still current (the manifest) are not
    graded again. ``cases``: what the checks draw from (the course's hidden
    cases for an instructor's grade). ``jobs``: workers at once (default: one per CPU).
    """
    manifest_path = json_dir / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    if type(manifest) is not dict:
        manifest = {}
    reports: dict[str, dict] = {}
    prints = {s.name: fingerprint(s, cases) for s in students}
    todo = []
    for student in students:
        saved = json_dir / f"{student.name}.json"
        if manifest.get(student.name) == prints[student.name] and saved.is_file():
            try:
                reports[student.name] = json.loads(saved.read_text())
                continue
            except ValueError:
                pass
        todo.append(student)
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count()) as pool:
        futures = {pool.submit(grade_in_worker, s, limits, sandbox, cases): s for s in todo}
        for future in as_completed(futures):
            student = futures[future]
            result = future.result()
            reports[student.name] = result
            write_atomically(json_dir / f"{student.name}.json", json.dumps(result, indent=1))
            if "error" not in result and "incomplete" not in result:
                manifest[student.name] = prints[student.name]
                write_atomically(manifest_path, json.dumps(manifest, indent=1, sort_keys=True))
            if on_report is not None:
                on_report(student.name)
    return reports


def grade_in_worker(
    student: Path, limits: Limits, sandbox: Isolation, cases: Cases = PUBLISHED
) -> dict:
    """The report of one submission, graded by a worker process watched from here.

    The order (and the course secret in it) travels on the worker's standard
    input, never on its command line.
    """
    order = {
        "path": str(student),
        "limits": asdict(limits),
        "sandbox": _isolation_spec(sandbox),
        "secret": None if cases.secret is None else cases.secret.hex(),
    }
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mlpcourse.grader.class_run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=environment,
        preexec_fn=_cap_memory(limits.grader_memory_mb),
    )
    bound = limits.student_timeout + KILL_MARGIN
    why = ""
    try:
        out, err = process.communicate(json.dumps(order).encode(), timeout=bound)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        out, err = process.communicate()
        why = used_up(limits, whole=True).removeprefix("not graded: ")
    lines = _lines(out)
    final = next((line["report"] for line in lines if "report" in line), None)
    if type(final) is dict and not why:
        return final
    finished = {}
    for line in lines:
        if type(line.get("results")) is dict:
            finished.update(line["results"])
    if not why:
        why = _crash_cause(process.returncode, err, limits)
    return incomplete_report(finished, why, cases)


def incomplete_report(finished: dict, why: str, cases: Cases = PUBLISHED) -> dict:
    """Every check: the verdicts of the chapters that finished, the others failed with ``why``."""
    outcome = {c.id: (False, f"not graded: {why}") for c in CHECKS}
    for check_id, verdict in finished.items():
        if check_id in outcome and type(verdict) is list and len(verdict) == 2:
            outcome[check_id] = (bool(verdict[0]), str(verdict[1]))
    modules = config.load().graded_modules()
    result = report(outcome, modules)
    for test in result["tests"]:
        test["diagnosis"] = diagnose(test)
    graded = {c.chapter for c in CHECKS if c.id in finished}
    result["incomplete"] = f"{why}; {len(graded)} of {len(modules)} chapters graded before"
    result["variant"] = cases.variant
    return result


#: What a process that ran out of address space prints (Python, the loader, OpenBLAS, C++).
OUT_OF_MEMORY = (
    "MemoryError",
    "failed to map segment",
    "Memory allocation",
    "Cannot allocate memory",
    "bad_alloc",
)


def _crash_cause(code: int | None, err: bytes, limits: Limits) -> str:
    """Why a worker ended without its report, in words."""
    printed = err.decode(errors="replace").strip()
    if any(s in printed for s in OUT_OF_MEMORY) or code in (-signal.SIGKILL, -signal.SIGSEGV):
        return (
            f"grading this submission needed more than the grader's {limits.grader_memory_mb} MiB"
        )
    last = inert(printed.splitlines()[-1][:MAX_ERROR]) if printed else f"exit status {code}"
    return f"the grading process failed ({last})"


def _lines(out: bytes) -> list[dict]:
    found = []
    for raw in out.decode(errors="replace").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if type(line) is dict:
            found.append(line)
    return found


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _cap_memory(megabytes: int) -> Callable[[], None]:
    """Cap the worker's address space (its soft limit: runners set their own, lower, limits)."""

    def cap() -> None:
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        resource.setrlimit(resource.RLIMIT_AS, (megabytes << 20, hard))

    return cap


def _isolation_spec(sandbox: Isolation):
    if isinstance(sandbox, RunnerUser):
        return asdict(sandbox)
    return bool(sandbox)


def _isolation_of(spec) -> Isolation:
    return RunnerUser(**spec) if type(spec) is dict else bool(spec)


def worker() -> None:
    """The worker's side: read the order on stdin, grade, print one JSON line per chapter."""
    order = json.loads(sys.stdin.read())
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # nothing printed on the way can break a line of the channel

    def chapter_done(module: str, results: dict) -> None:
        channel.write(json.dumps({"chapter": module, "results": results}) + "\n")

    result = grade(
        Path(order["path"]),
        Limits(**order["limits"]),
        jobs=1,
        sandbox=_isolation_of(order["sandbox"]),
        on_chapter=chapter_done,
        cases=PUBLISHED if order["secret"] is None else Cases(bytes.fromhex(order["secret"])),
    )
    channel.write(json.dumps({"report": result}) + "\n")
    channel.close()


if __name__ == "__main__":
    worker()
