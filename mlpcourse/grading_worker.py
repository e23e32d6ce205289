"""One grading process: the checks of one chapter on one student's module.

Started by :mod:`mlpcourse.grading` with its settings as JSON on standard
input. It reads every file it needs, installs the guards of
:mod:`mlpcourse.sandbox`, imports the student's module, then runs the checks
one by one, appending one JSON line per event to the results file opened
before any student code ran:

    {"nonce": ..., "event": "imported"}
    {"nonce": ..., "event": "start", "id": ...}
    {"nonce": ..., "event": "result", "id": ..., "passed": ..., "message": ...}

Lines without the grader's nonce are ignored, so printing a fake result
does nothing. A check that hangs is stopped by a timer; one that kills the
process is recorded by the parent, which starts a new worker for the rest.
"""

import json
import os
import signal
import sys
import traceback
from pathlib import Path

import numpy as np

from mlpcourse import sandbox
from mlpcourse.checks import CHECKS
from mlpcourse.graft import implementation_for
from mlpcourse.implementation import REFERENCE_DIR, from_sources, read_sources

TESTS_DIR = REFERENCE_DIR.parent.parent / "tests"


class CheckTimeout(BaseException):
    """Raised by the timer inside a check that runs too long."""


def describe(error: BaseException, student_files: set[str]) -> str:
    """A one-paragraph message: the exception and where in the student's code it came from."""
    if isinstance(error, AssertionError):
        return str(error) or "assertion failed"
    where = ""
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        if frame.filename in student_files:
            where = f" (in {frame.name}, {Path(frame.filename).name} line {frame.lineno})"
            break
    text = f"{type(error).__name__}: {error}".strip()
    if isinstance(error, SystemExit):
        text = f"the code called sys.exit({error.code!r})"
    return text + where


def main() -> None:
    settings = json.loads(sys.stdin.read())
    nonce = settings["nonce"]
    results = open(settings["results"], "a", encoding="utf-8", buffering=1)  # noqa: SIM115

    def emit(event: str, **fields) -> None:
        results.write(json.dumps({"nonce": nonce, "event": event, **fields}) + "\n")

    module = settings["module"]
    # The check functions are held here before any student code runs.
    checks = [(c, c.run) for c in CHECKS if c.id in settings["checks"]]
    student_dir = Path(settings["student"])
    student_file = student_dir / f"{module}.py"
    try:
        if settings["reference"]:
            reference_sources = read_sources("reference")
            student_sources = dict(reference_sources)
            student_sources[module] = (str(student_file), student_file.read_text(encoding="utf-8"))
        else:
            reference_sources = None
            student_sources = read_sources(student_dir)
    except FileNotFoundError as error:
        for check, _ in checks:
            emit("result", id=check.id, passed=False, message=f"missing file: {error.filename}")
        return
    except (OSError, UnicodeDecodeError) as error:
        for check, _ in checks:
            emit("result", id=check.id, passed=False, message=f"could not read the module: {error}")
        return
    student_files = {filename for filename, _ in student_sources.values()}

    sandbox.install_audit_hook([REFERENCE_DIR, TESTS_DIR], Path.cwd())
    clean = sandbox.fingerprint()
    np_defaults = np.geterr()

    try:
        student = from_sources(student_sources, student_dir)
    except BaseException as error:  # noqa: BLE001 - anything the import did is the student's
        message = f"importing mlpcourse/{module}.py failed: {describe(error, student_files)}"
        for check, _ in checks:
            emit("result", id=check.id, passed=False, message=message)
        return
    emit("imported")

    def on_timer(signum, frame):
        raise CheckTimeout

    timeout = float(settings["check_timeout"])
    for check, run in checks:
        emit("start", id=check.id)
        np.seterr(**np_defaults)
        signal.signal(signal.SIGALRM, on_timer)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            run(implementation_for(check, student, reference_sources))
            passed, message = True, ""
        except CheckTimeout:
            passed, message = False, f"took longer than {timeout:g} s (an endless loop?)"
        except BaseException as error:  # noqa: BLE001
            passed, message = False, describe(error, student_files)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        tampered = sandbox.changes(clean)
        if tampered:
            emit("tampered", names=tampered[:10])
            return
        emit("result", id=check.id, passed=passed, message=message)


if __name__ == "__main__":
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - students' prints go nowhere
    main()
    os._exit(0)
