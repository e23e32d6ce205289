"""Grade a student's exercise modules: every check, verdicts computed here.

Only the student's exercise modules are taken from their folder, copied in as
plain files; checks, support code and the reference are this installation's.
Each chapter gets its own runner (:mod:`.sandbox`); each check loads the
modules afresh with the reference standing in for the graded function's
collaborators (when the reference is here), calls the student's code through
:mod:`.remote` and judges what comes back. A check that times out, crashes
the runner or breaks the protocol fails alone, and a new runner goes on.
A runner whose earlier checks could reach a reference function that this
check may not reach is replaced by a fresh one, so nothing the reference
answered can be kept for later (σ kept for ``tanh = 2σ(2z) − 1``, say).
"""

import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from mlpcourse.grader import reference
from mlpcourse.grader.checks import CHAPTERS, CHECKS, Check
from mlpcourse.grader.limits import DEFAULT, Limits
from mlpcourse.grader.remote import GraderPeer, RemoteImplementation
from mlpcourse.grader.sandbox import Runner, check_sandbox, copy_submission
from mlpcourse.runner.protocol import PeerGone, ProtocolError, RemoteError, Timeout

#: Characters of a report message at most (student text goes into messages).
MAX_MESSAGE = 2000


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


def exercise_folder(path: Path) -> Path:
    """The student's ``mlpcourse/`` folder under ``path`` (or ``path`` itself)."""
    return path / "mlpcourse" if (path / "mlpcourse").is_dir() else path


def describe(error: RemoteError) -> str:
    """The student's exception as one paragraph: what, and where in their files."""
    if error.kind == "SystemExit":
        return error.message
    text = f"{error.kind}: {error.message}" if error.message else error.kind
    if error.kind == "RecursionError":
        text += (
            " — the function calls itself without end. A graded function always runs "
            "your own code, itself included: compute the result, do not call the function"
        )
    for frame in reversed(error.frames):
        if isinstance(frame, list) and len(frame) == 4:
            filename, line, name, source = (str(part)[:200] for part in frame)
            shown = f": {source.strip()}" if source.strip() else ""
            return f"{text} (in {name}, {filename} line {line}{shown})"
    return text


class ChapterGrader:
    """The checks of one chapter on one submission, each in a clean runner state."""

    def __init__(self, submission: Path, limits: Limits, use_reference: bool, sandbox: bool):
        self.submission, self.limits = submission, limits
        self.use_reference, self.sandbox = use_reference, sandbox
        self.runner: Runner | None = None
        self.peer: GraderPeer | None = None
        self.exposed: set[str] = set()
        self.import_failure: str | None = None

    def _start(self) -> None:
        self.stop()
        self.runner = Runner(self.submission, self.limits, self.sandbox)
        self.peer = GraderPeer(self.runner.reader, self.runner.writer)
        self.exposed = set()

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        self.runner = self.peer = None

    def run(self, check: Check) -> tuple[bool, str]:
        if self.import_failure is not None:
            return False, self.import_failure  # the same file fails the same way again
        passed, message = self._run(check)
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        if message.startswith("importing mlpcourse/"):
            self.import_failure = message
        return passed, message

    def _run(self, check: Check) -> tuple[bool, str]:
        graded = f"{check.module}.{check.functions[0]}"
        allowed = reference.collaborators(graded) if self.use_reference else frozenset()
        if self.runner is None or not self.exposed <= allowed:
            self._start()  # what the reference answered before must not serve this check
        self.exposed |= allowed
        peer = self.peer
        peer.reset(allowed)
        peer.deadline = time.monotonic() + self.limits.check_timeout
        try:
            importing = f"importing mlpcourse/{check.module}.py failed"
            try:
                peer.request("load", module=check.module, proxies=sorted(allowed))
            except RemoteError as error:
                return False, f"{importing}: {describe(error)}"
            except Timeout:
                self.stop()
                return False, f"{importing}: it did not end within {self.limits.check_timeout:g} s"
            except PeerGone:
                cause = self.runner.exit_cause()
                self.stop()
                return False, f"{importing}: {cause}"
            check.run(RemoteImplementation(peer))
            return True, ""
        except AssertionError as error:
            return False, str(error) or "assertion failed"
        except RemoteError as error:
            return False, describe(error)
        except Timeout:
            culprit = peer.culprit()
            self.stop()
            return False, (
                f"{culprit} did not return within {self.limits.check_timeout:g} s "
                "(an endless loop, or far too slow?)"
            )
        except PeerGone:
            cause = self.runner.exit_cause()
            culprit = peer.culprit()
            self.stop()
            return False, f"{cause}, while running {culprit}"
        except ProtocolError as error:
            self.stop()
            return False, f"the runner broke the grading protocol ({error}): nothing it said counts"
        except RecursionError:
            self.stop()
            return False, "calls between your code and the grader nested too deeply"
        except Exception as error:  # noqa: BLE001 - what came back made the check itself fail
            return False, f"{type(error).__name__}: {error}"
        finally:
            if self.peer is not None:
                self.peer.deadline = None
                if self.peer.broken:
                    self.stop()


def grade_chapter(
    submission: Path,
    module: str,
    use_reference: bool,
    limits: Limits,
    only: list[str] | None = None,
    sandbox: bool = True,
) -> dict[str, tuple[bool, str]]:
    """``{check id: (passed, message)}`` for the checks of one chapter (or those in ``only``)."""
    checks = [c for c in CHECKS if c.module == module and (only is None or c.id in only)]
    grader = ChapterGrader(submission, limits, use_reference, sandbox)
    results, started = {}, time.monotonic()
    try:
        for check in checks:
            if time.monotonic() - started > limits.timeout:
                results[check.id] = (
                    False,
                    f"not graded: the chapter's {limits.timeout:g} s were used up",
                )
                continue
            results[check.id] = grader.run(check)
    finally:
        grader.stop()
    return results


def grade(
    path: Path,
    limits: Limits | None = None,
    use_reference: bool | None = None,
    modules: list[str] | None = None,
    jobs: int = 0,
    sandbox: bool = True,
    only: list[str] | None = None,
) -> dict:
    """The report of the contract: score, max_score and one entry per check.

    ``use_reference``: compute collaborators with the reference (default: when
    it is installed). ``modules``: grade only these exercise modules.
    ``jobs``: chapters graded at once (default: one per CPU). ``sandbox``:
    run the student's code under bubblewrap (refused if it cannot start).
    ``only``: grade only these check ids (the others are reported not graded).
    """
    limits = limits or DEFAULT
    if sandbox:
        check_sandbox()
    if use_reference is None:
        use_reference = reference.available()
    modules = list(CHAPTERS) if modules is None else modules
    folder = exercise_folder(Path(path))
    outcome: dict[str, tuple[bool, str]] = {}
    with tempfile.TemporaryDirectory(prefix="mlpcourse-submission-") as private:
        submission = Path(private) / "submission"
        refused = copy_submission(folder, submission)
        for check in CHECKS:
            if check.module in refused and check.module in modules:
                outcome[check.id] = (False, refused[check.module])
        pending = [m for m in modules if m not in refused]

        def chapter(module: str) -> dict:
            return grade_chapter(submission, module, use_reference, limits, only, sandbox)

        with ThreadPoolExecutor(max_workers=jobs or os.cpu_count()) as pool:
            for found in pool.map(chapter, pending):
                outcome.update(found)
        shutil.rmtree(submission, ignore_errors=True)
    return report(outcome, modules)


def report(outcome: dict[str, tuple[bool, str]], modules: list[str]) -> dict:
    tests = []
    for check in (c for c in CHECKS if c.module in modules):
        passed, message = outcome.get(check.id, (False, "not graded"))
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
