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

import functools
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

from threadpoolctl import threadpool_limits

from mlpcourse import config
from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.grader import reference
from mlpcourse.grader.cases import PUBLISHED, Cases
from mlpcourse.grader.checks import CHECKS, Check
from mlpcourse.grader.diagnosis import diagnose
from mlpcourse.grader.inert import inert
from mlpcourse.grader.limits import DEFAULT, Limits
from mlpcourse.grader.remote import GraderPeer, RemoteImplementation
from mlpcourse.grader.sandbox import Isolation, Runner, check_isolation
from mlpcourse.grader.support import copy_submission
from mlpcourse.runner.protocol import OverBudget, PeerGone, ProtocolError, RemoteError, Timeout

#: Characters of a report message at most (student text goes into messages).
MAX_MESSAGE = 2000
#: Seconds the grader waits past a limit for the runner to say where the student's code was.
REPORT_GRACE = 3.0


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


#: What a report adds where the runner's answers cannot be trusted.
IGNORED = "nothing it said counts"
#: What a report says of a function that calls itself without end.
ENDLESS_RECURSION = (
    "the function calls itself without end. A graded function always runs your own code, "
    "itself included: compute the result, do not call the function"
)


def describe(error: RemoteError, limit: str = f"{DEFAULT.check_timeout:g} s") -> str:
    """The student's exception as one paragraph: what, and where in their files.

    ``error`` comes through :func:`~mlpcourse.grader.remote.plain_error`: its
    texts are already inert.
    """
    if error.kind == "SystemExit":
        return error.message
    text = f"{error.kind}: {error.message}" if error.message else error.kind
    frames = [
        [inert(p)[:200] for p in f] for f in error.frames if isinstance(f, list) and len(f) == 4
    ]
    # The runner sends the innermost 8 frames: all on one line, the function recursed, deeper
    # perhaps than memory allows (then Python reports a MemoryError, or even a SystemError).
    if error.kind == "RecursionError" or (
        len(frames) == 8 and len({tuple(f[:3]) for f in frames}) == 1
    ):
        text += f" — {ENDLESS_RECURSION}"
    if error.kind == "NotImplementedError" and error.message.startswith("write "):
        line = f", line {frames[-1][1]}" if frames else ""
        return f"not written yet (NotImplementedError): {error.message}{line}"
    if error.kind == "OutOfTime":
        if not frames:
            return f"your code did not finish within {limit}"
        filename, _, name, _ = frames[-1]
        what = f"the top-level code of {filename}" if name == "<module>" else name
        return f"{what} did not finish within {limit} (an endless loop?)" + where(frames[-1])
    if frames:
        return text + where(frames[-1])
    return text


def where(frame: list[str]) -> str:
    """`` (in sigmoid, mlpcourse/activations.py line 42: return ...)``"""
    filename, line, name, source = frame
    shown = f": {source.strip()}" if source.strip() else ""
    return f" (in {name}, {filename} line {line}{shown})"


class ChapterGrader:
    """The checks of one chapter on one submission, each in a clean runner state.

    Each check ends at the earliest of three wall-clock limits: its own, its
    chapter's (``chapter_end``) and the submission's (``student_end``, both
    ``time.monotonic()`` values); the runner is killed there, whatever it does.
    """

    #: What the checks draw their cases from.
    cases: Cases = PUBLISHED

    def __init__(
        self,
        submission: Path,
        limits: Limits,
        use_reference: bool,
        sandbox: Isolation,
        chapter_end: float = math.inf,
        student_end: float = math.inf,
    ):
        self.submission, self.limits = submission, limits
        self.use_reference, self.sandbox = use_reference, sandbox
        self.chapter_end, self.student_end = chapter_end, student_end
        #: The limit the running check ends at, in words: "10 s", "the chapter's 60 s".
        self.bound = f"{limits.check_timeout:g} s"
        self.runner: Runner | None = None
        self.peer: GraderPeer | None = None
        self.exposed: set[str] = set()
        self.import_failure: str | None = None
        #: In a student's own check: the collaborators each check's function called.
        self.called: dict[str, set[str]] = {}

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
        message = inert(message)  # student text, whichever way it came into the message
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        if message.startswith("importing mlpcourse/"):
            self.import_failure = message
        return passed, message

    def _run(self, check: Check) -> tuple[bool, str]:
        """One check in the runner: (passed, message), whatever the student's code does."""
        allowed, traced, limit = self._prepare(check)
        try:
            failure = self._load(check, allowed, traced, limit)
            if failure is not None:
                return False, failure
            check.run(RemoteImplementation(self.peer), self.cases)
            return True, ""
        except AssertionError as error:
            self._record_calls(check, traced)
            return False, str(error) or "assertion failed"
        except RemoteError as error:
            return False, self._raised(check, traced, error)
        except (Timeout, OverBudget, PeerGone, ProtocolError, RecursionError) as error:
            return False, self._broken(error)
        except Exception as error:  # noqa: BLE001 - what came back made the check itself fail
            return False, f"{type(error).__name__}: {error}"
        finally:
            if self.peer is not None:
                self.peer.deadline = None
                if self.peer.broken:
                    self.stop()

    def _prepare(self, check: Check) -> tuple[set[str], list[str], float]:
        """A runner fit for ``check``, its deadline set: (collaborators served, traced, seconds).

        The check ends at the earliest of its own limit, its chapter's and the
        submission's; :attr:`bound` names the one that applies.
        """
        graded = f"{check.module}.{check.functions[0]}"
        if self.use_reference:
            allowed, traced = reference.collaborators(graded), []
        else:
            allowed = reference.stood_in_for_students(graded)
            traced = sorted(reference.collaborators(graded) - allowed)
        if self.runner is None or not self.exposed <= allowed:
            self._start()  # what the reference answered before must not serve this check
        self.exposed |= allowed
        self.peer.reset(allowed, self.limits)
        if not self.use_reference:
            self.peer.resolve = reference.LATER_CHAPTERS.__getitem__
        end, self.bound = min(
            (time.monotonic() + self.limits.check_timeout, f"{self.limits.check_timeout:g} s"),
            (self.chapter_end, f"the chapter's {self.limits.timeout:g} s"),
            (self.student_end, f"the {self.limits.student_timeout:g} s for the whole submission"),
        )
        # The runner interrupts the student's code at the limit and says where it was; the
        # grader waits a little longer for that answer (on a busy machine too), then kills it.
        self.peer.check_end, self.peer.deadline = end, end + REPORT_GRACE
        return allowed, traced, max(end - time.monotonic(), 0.0)

    def _load(self, check: Check, allowed: set[str], traced: list[str], limit: float) -> str | None:
        """Import the student's module in the runner; None, or why it failed (the message)."""
        importing = f"importing mlpcourse/{check.module}.py failed"
        try:
            self.peer.request(
                "load",
                module=check.module,
                proxies=sorted(allowed),
                traced=traced,
                seconds=limit,  # the runner names the culprit
            )
        except RemoteError as error:
            if error.kind == "OutOfTime":
                self.peer.broken = True
            return f"{importing}: {describe(error, self.bound)}"
        except Timeout:
            self.stop()
            return f"{importing}: it did not finish within {self.bound}"
        except PeerGone:
            cause = self.runner.exit_cause()
            self.stop()
            return f"{importing}: {cause}"
        return None

    def _raised(self, check: Check, traced: list[str], error: RemoteError) -> str:
        """The message for an exception of the student's code, as the runner reported it."""
        if error.kind != "OutOfTime":
            self._record_calls(check, traced)
            return describe(error, self.bound)
        self.peer.broken = True  # the runner was interrupted mid-call: start afresh
        self._record_stall(check, traced, error)
        if not error.frames:  # interrupted on its way out (of a MemoryError, say)
            return f"{self.peer.culprit()} did not finish within {self.bound}"
        return describe(error, self.bound)

    def _broken(self, error: BaseException) -> str:
        """The message when the runner stalled, overspent, died or broke the protocol."""
        culprit = self.peer.culprit()
        cause = self.runner.exit_cause() if isinstance(error, PeerGone) else ""
        self.stop()
        if isinstance(error, Timeout):
            return (
                f"{culprit} did not finish within {self.bound} (an endless loop, or far too slow?)"
            )
        if isinstance(error, OverBudget):
            return f"{culprit} asked too much of the grader in one check ({error}): " + IGNORED
        if isinstance(error, PeerGone):
            return f"{cause}, while running {culprit}"
        if isinstance(error, ProtocolError):
            return f"the runner broke the grading protocol ({error}): " + IGNORED
        return "calls between your code and the grader nested too deeply"

    def _record_stall(self, check: Check, traced: list[str], error: RemoteError) -> None:
        """Which collaborators time ran out in (a student's own check), from the runner's frames.

        An endless loop in a collaborator is then charged to it alone, as any
        other failure of a collaborator: the check waits on it.
        """
        found = {
            name
            for frame in error.frames
            if isinstance(frame, list) and len(frame) == 4
            for name in traced
            if name.startswith(f"{Path(str(frame[0])).stem}.")
            and name.rpartition(".")[2] == frame[2]
        }
        if found:
            self.called[check.id] = found

    def _record_calls(self, check: Check, traced: list[str]) -> None:
        """Which collaborators the failed check's function called (a student's own check)."""
        if not traced or self.peer is None:
            return
        try:
            found = self.peer.request("called")["value"]
        except (RemoteError, ProtocolError, Timeout, PeerGone):
            return
        if type(found) is list:
            self.called[check.id] = {name for name in found if name in traced}


def grade_chapter(
    submission: Path,
    module: str,
    use_reference: bool,
    limits: Limits,
    only: list[str] | None = None,
    sandbox: Isolation = True,
    called: dict[str, set[str]] | None = None,
    student_end: float = math.inf,
    cases: Cases = PUBLISHED,
) -> dict[str, tuple[bool, str]]:
    """``{check id: (passed, message)}`` for the checks of one chapter (or those in ``only``).

    ``called``, if given, receives for each failed check the collaborators its
    function called (a student's own check, without the reference).
    ``student_end``: when the submission's time runs out (``time.monotonic()``).
    """
    one_blas_thread()
    checks = [c for c in CHECKS if c.module == module and (only is None or c.id in only)]
    chapter_end = time.monotonic() + limits.timeout
    grader = ChapterGrader(submission, limits, use_reference, sandbox, chapter_end, student_end)
    grader.cases = cases
    results = {}
    try:
        for check in checks:
            now = time.monotonic()
            if now >= student_end:
                results[check.id] = (False, used_up(limits, whole=True))
            elif now >= chapter_end:
                results[check.id] = (False, used_up(limits, whole=False))
            else:
                results[check.id] = grader.run(check)
    finally:
        grader.stop()
    if called is not None:
        called.update(grader.called)
    return results


@functools.cache
def one_blas_thread() -> None:
    """BLAS on one thread in the grader's process, for good.

    Chapters are graded in threads, and each starts runners: a fork. OpenBLAS's
    fork handler waits for its own threads, which may be working for another
    chapter's thread, itself waiting for the interpreter lock the forking thread
    holds; the grader then hangs (seen on a busy machine). With one BLAS thread,
    no work is ever handed to OpenBLAS's threads. The grader's matrices are small.
    """
    threadpool_limits(1, user_api="blas")


def used_up(limits: Limits, whole: bool) -> str:
    """Why a check was not run: the chapter's or the submission's time had run out."""
    if whole:
        return f"not graded: the {limits.student_timeout:g} s for the whole submission were used up"
    return f"not graded: the chapter's {limits.timeout:g} s were used up"


def grade(
    path: Path,
    limits: Limits | None = None,
    use_reference: bool | None = None,
    modules: list[str] | None = None,
    jobs: int = 0,
    sandbox: Isolation = True,
    only: list[str] | None = None,
    on_chapter: Callable[[str, dict], None] | None = None,
    cases: Cases = PUBLISHED,
) -> dict:
    """The report of the contract: score, max_score and one entry per check.

    Each entry also has ``diagnosis`` (:func:`~mlpcourse.grader.diagnosis.diagnose`): the
    mistake its message names, a label (``timed out``) for other failures, or ``None``.

    ``use_reference``: collaborators computed by the reference (default: when it
    is here). ``modules``: these chapters only (default: course.toml's). ``jobs``:
    chapters at once (default: CPUs). ``sandbox``: bubblewrap (True), a
    :class:`~mlpcourse.grader.runner_user.RunnerUser`, or unconfined (False).
    ``only``: these check ids only. ``on_chapter(module, {check id: (passed,
    message)})``: as each chapter finishes. ``cases``: published (default) or
    hidden (:mod:`.cases`, keyed also on the files); the report names them
    (``variant``).

    Without the reference (a student's own check), the functions a failed one called
    are graded too, and one that called a failing one is reported as waiting on it
    (``waiting_on``, culprit first), not as a mistake of its own.
    """
    limits = limits or DEFAULT
    if sandbox:
        check_isolation(sandbox, Path(path))
    if use_reference is None:
        use_reference = reference.available()
    if modules is None:  # the chapters the teacher grades (course.toml)
        modules = config.load().graded_modules()
    graded = _checks_to_run(modules, only, use_reference)
    called: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory(prefix="mlpcourse-submission-") as private:
        submission = Path(private) / "submission"
        refused = copy_submission(exercise_folder(Path(path)), submission)
        outcome = {
            c.id: (False, refused[c.module])
            for c in CHECKS
            if c.module in refused and c.id in graded
        }
        grade_one = functools.partial(
            grade_chapter,
            submission,
            use_reference=use_reference,
            limits=limits,
            sandbox=sandbox,
            called=called,
            student_end=time.monotonic() + limits.student_timeout,
            cases=cases.for_submission(submission),
        )
        pending = [m for m in EXERCISE_MODULES if m not in refused]
        outcome |= _run_chapters(grade_one, pending, graded, jobs, on_chapter, modules)
        shutil.rmtree(submission, ignore_errors=True)
    return _completed(report(outcome, modules, only), outcome, called, cases, use_reference)


def _completed(
    result: dict, outcome: dict, called: dict, cases: Cases, use_reference: bool
) -> dict:
    """``result`` with what the contract leaves open: the cases, waits, and diagnoses."""
    result["variant"] = cases.variant
    if not use_reference:
        explain_waiting(result, outcome, called)
    for test in result["tests"]:  # what a class can be counted by
        test["diagnosis"] = diagnose(test)
    return result


def _checks_to_run(modules: list[str], only: list[str] | None, use_reference: bool) -> set[str]:
    """The ids of the checks to run: those asked for and, for a student's own check, the
    checks of the functions they call (their verdicts explain the failures)."""
    wanted = [c for c in CHECKS if c.module in modules and (only is None or c.id in only)]
    graded = {c.id for c in wanted}
    if not use_reference:
        for check in wanted:
            graded |= {CHECK_OF[name] for name in reference.collaborators(_graded_name(check))}
    return graded


def _run_chapters(
    grade_one: Callable[..., dict],
    pending: list[str],
    graded: set[str],
    jobs: int,
    on_chapter: Callable[[str, dict], None] | None,
    reported: list[str],
) -> dict[str, tuple[bool, str]]:
    """The verdicts of the ``graded`` checks of the ``pending`` chapters, ``jobs`` at once.

    ``on_chapter`` hears of each chapter of ``reported`` as it finishes.
    """
    todo = {m: [c.id for c in CHECKS if c.module == m and c.id in graded] for m in pending}
    outcome: dict[str, tuple[bool, str]] = {}
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count()) as pool:
        futures = {pool.submit(grade_one, m, only=ids): m for m, ids in todo.items() if ids}
        for future in as_completed(futures):
            outcome.update(future.result())
            if on_chapter is not None and futures[future] in reported:
                on_chapter(futures[future], future.result())
    return outcome


def _graded_name(check: Check) -> str:
    return f"{check.module}.{check.functions[0]}"


#: The check of each graded function: ``activations.sigmoid`` → ``activations::sigmoid``.
CHECK_OF = {_graded_name(c): c.id for c in CHECKS}


def shown_name(qualified: str) -> str:
    """``sigmoid_prime`` (mlpcourse/activations.py), as students know it."""
    module, _, name = qualified.partition(".")
    return f"{name} (mlpcourse/{module}.py)"


def explain_waiting(result: dict, outcome: dict, called: dict[str, set[str]]) -> None:
    """Report a function that called a failing collaborator as waiting on it, culprit first."""

    def failing(check_id: str) -> bool:
        return check_id in outcome and not outcome[check_id][0]

    def chain(check_id: str, seen: tuple = ()) -> list[str]:
        for name in sorted(called.get(check_id, ())):
            culprit = CHECK_OF[name]
            if failing(culprit) and culprit not in seen:
                return [name, *chain(culprit, (*seen, check_id))]
        return []

    for test in result["tests"]:
        if test["passed"]:
            continue
        waits = chain(test["id"])
        if not waits:
            continue
        root = CHECK_OF[waits[-1]]
        why = outcome[root][1]
        culprit = waits[-1].rpartition(".")[2]
        fix = f"fix {culprit} first"
        if "NotImplementedError" in why:
            state = "is not written yet"
        elif "does not import" in why or why.startswith("importing mlpcourse/"):
            file = f"mlpcourse/{waits[-1].split('.')[0]}.py"
            state, fix = f"is in {file}, which does not import", f"fix {file} first"
        elif "did not finish within" in why:
            state = "does not finish in its own check (an endless loop?)"
        else:
            state = "fails its own check"
        function = test["functions"][0].removeprefix("mlpcourse.").partition(".")[2]
        path = " → ".join(shown_name(n) for n in waits)
        test["message"] = (
            f"{function} is not checked yet: it calls your {path}, which {state}; {fix}"
        )
        test["waiting_on"] = [*reversed(waits)]


def report(
    outcome: dict[str, tuple[bool, str]], modules: list[str], only: list[str] | None = None
) -> dict:
    tests = []
    for check in (c for c in CHECKS if c.module in modules and (only is None or c.id in only)):
        passed, message = outcome.get(check.id, (False, "not graded"))
        tests.append(
            TestResult(
                id=check.id,
                chapter=check.chapter,
                functions=check.qualified_functions,
                points=check.points if passed else 0.0,
                max_points=check.points,
                passed=passed,
                message=inert(message),
            )
        )
    return {
        "score": sum(t.points for t in tests),
        "max_score": sum(t.max_points for t in tests),
        "tests": [asdict(t) for t in tests],
    }
