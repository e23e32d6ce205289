"""What the exercise notebooks call: your implementation, self-checks, graded cells.

Your exercise modules are looked for in ``./mlpcourse`` beside the notebook
(how a submission is laid out) and otherwise in the installed ``mlpcourse``
package (your checkout). The self-check and graded cells run the same checks
as ``mlpcourse check``, with your code in a separate sandboxed process, so an
endless loop or a crash fails that cell only. They are for your own
information: the grade your teacher records is computed by the grader from
the files you hand in, never from what ran in this notebook.
"""

import contextlib
import os
import re
import resource
import signal
from pathlib import Path

from mlpcourse.grader import reference
from mlpcourse.grader.bubblewrap import check_sandbox
from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.grading import grade
from mlpcourse.grader.limits import DEFAULT
from mlpcourse.grader.support import SandboxUnavailable
from mlpcourse.grader.wording import count
from mlpcourse.implementation import PACKAGE_DIR, Implementation, load


def exercise_folder() -> Path:
    """The folder of exercise modules this notebook works with."""
    beside = Path.cwd() / "mlpcourse"
    return beside if (beside / "network.py").is_file() else PACKAGE_DIR


def student() -> Implementation:
    """Your exercise modules, freshly imported (run again after editing them)."""
    return load(exercise_folder())


#: Seconds for exploration code (an endless loop stops there); the grader's own per check.
TIME_LIMIT = DEFAULT.check_timeout
#: Extra memory exploration code may take before it gets a MemoryError, in MiB.
MEMORY_LIMIT_MB = DEFAULT.memory_mb


class TookTooLong(Exception):
    """Raised inside an ``explore`` block that runs past its time."""


class ExitRefused(Exception):
    """Raised instead of leaving the kernel when explored code calls ``os._exit``."""


def _refuse_exit(status=0):
    raise ExitRefused(f"os._exit({status}) called")


def _used_address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def explore(seconds: float | None = None):
    """Run exploration code on your functions without risking the notebook.

    A ``NotImplementedError`` becomes one line saying which function to
    write; code still running after ``seconds`` (an endless loop?) is
    stopped; allocating without bound gives a MemoryError rather than a dead
    kernel, and so does ``os._exit``. Your graded cells run elsewhere anyway.
    """
    seconds = TIME_LIMIT if seconds is None else seconds

    def stop(signum, frame):
        raise TookTooLong

    previous_handler = signal.signal(signal.SIGALRM, stop)
    previous_limit = resource.getrlimit(resource.RLIMIT_AS)
    previous_exit = os._exit
    try:
        ceiling = _used_address_space() + MEMORY_LIMIT_MB * 2**20
        if previous_limit[1] == resource.RLIM_INFINITY or ceiling < previous_limit[1]:
            resource.setrlimit(resource.RLIMIT_AS, (ceiling, previous_limit[1]))
    except (OSError, ValueError):
        pass  # no /proc or no rlimits here: explore without the memory guard
    os._exit = _refuse_exit
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except NotImplementedError as error:
        match = re.search(r"write (\S+) in (\S+)", str(error))
        where = f"{match.group(1)} in {match.group(2)}" if match else str(error)
        print(f"Not written yet: open {where}, write it, save, and run this cell again.")
    except TookTooLong:
        print(f"Stopped after {seconds:g} s: does one of your functions loop forever?")
    except MemoryError:
        print("Stopped: your code asked for more memory than this notebook allows.")
    except (ExitRefused, SystemExit) as error:
        print(f"Stopped: your code tried to end the Python process ({error}).")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        os._exit = previous_exit
        resource.setrlimit(resource.RLIMIT_AS, previous_limit)


def _run(check_ids: list[str]) -> dict[str, tuple[bool, str]]:
    modules = sorted({c.module for c in CHECKS if c.id in check_ids})
    try:
        check_sandbox()
        sandbox = True
    except SandboxUnavailable:
        sandbox = False  # your own code on your own machine (macOS has no bubblewrap)
    report = grade(
        exercise_folder().parent,
        use_reference=reference.available(),
        modules=modules,
        only=check_ids,
        sandbox=sandbox,
    )
    return {t["id"]: (t["passed"], t["message"]) for t in report["tests"]}


def self_check(module: str) -> None:
    """Run the graded checks of one exercise module and print ✓/✗ with messages."""
    checks = [c for c in CHECKS if c.module == module]
    results = _run([c.id for c in checks])
    earned = 0.0
    for check in checks:
        passed, message = results[check.id]
        earned += check.points if passed else 0.0
        name = ", ".join(check.functions)
        points = check.points if passed else 0.0
        print(f"{'✓' if passed else '✗'} {name:28} {points:g}/{check.points:g}")
        if not passed:
            print(f"    {message}")
    print(f"{earned:g} / {count(sum(c.points for c in checks), 'point')}")


def graded(check_id: str) -> None:
    """The body of an autograded cell: raise with the check's message unless it passes."""
    passed, message = _run([check_id])[check_id]
    if not passed:
        raise AssertionError(message)
    check = next(c for c in CHECKS if c.id == check_id)
    print(f"✓ {', '.join(check.functions)}: {count(check.points, 'point')}")
