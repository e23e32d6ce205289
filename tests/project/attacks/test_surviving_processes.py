"""5. Processes that outlive grading: daemons, detached subprocesses, threads, forks."""

import textwrap
import time
from dataclasses import dataclass

import pytest

from mlpcourse.grader.grading import grade

from ..helpers import LIMITS, appended, edit_function, outcome, submission
from .hostile import SIGMOID, assert_returned, hidden_marker, processes_named

pytestmark = pytest.mark.attack("surviving processes")


SPAWN = {
    "a daemon: fork, setsid, fork, exec": """
        import os, sys
        r, w = os.pipe()
        child = os.fork()
        if child == 0:
            try:
                os.setsid()
                if os.fork() == 0:
                    os.write(w, b"up")
                    loop = "import time\\nwhile True:\\n    time.sleep(0.2)"
                    os.execv(sys.executable, [sys.executable, "-c", loop, MARKER])
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        os.close(w)
        assert os.read(r, 2) == b"up", "the daemon did not start"
        """,
    "a detached subprocess.Popen": """
        import subprocess, time
        process = subprocess.Popen(["/bin/sh", "-c", "sleep 1000; : " + MARKER],
                                   start_new_session=True)
        time.sleep(0.1)
        assert process.poll() is None, "the subprocess did not start"
        """,
    "a subprocess that ignores every signal it can": """
        import subprocess, sys, time
        code = ("import signal, time\\n"
                "for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT):\\n"
                "    signal.signal(s, signal.SIG_IGN)\\n"
                "while True:\\n    time.sleep(0.2)")
        process = subprocess.Popen([sys.executable, "-c", code, MARKER], start_new_session=True)
        time.sleep(0.3)
        assert process.poll() is None, "the subprocess did not start"
        """,
    "a thread that lives on": """
        import threading, time
        started = threading.Event()
        def live():
            with open(f"/proc/self/task/{threading.get_native_id()}/comm", "w") as comm:
                comm.write(MARKER)
            started.set()
            while True:
                time.sleep(0.2)
        threading.Thread(target=live, daemon=False).start()
        assert started.wait(20), "the thread did not start"
        """,
    "a forked copy of the runner, renamed": """
        import os, time
        r, w = os.pipe()
        if os.fork() == 0:
            try:
                os.setsid()
                with open("/proc/self/comm", "w") as comm:
                    comm.write(MARKER)
                os.write(w, b"up")
                while True:
                    time.sleep(0.2)
            finally:
                os._exit(0)
        os.close(w)
        assert os.read(r, 2) == b"up", "the fork did not start"
        """,
    "a multiprocessing.Process": """
        import multiprocessing, time
        def live(ready):
            with open("/proc/self/comm", "w") as comm:
                comm.write(MARKER)
            ready.set()
            while True:
                time.sleep(0.2)
        ready = multiprocessing.get_context("fork").Event()
        multiprocessing.get_context("fork").Process(target=live, args=(ready,)).start()
        assert ready.wait(20), "the process did not start"
        """,
}


@dataclass(frozen=True)
class Survivor:
    body: str  # run once by sigmoid, which then returns the right values
    at_import: bool = False  # run when the module is imported, not in sigmoid
    then_exit: bool = False  # sigmoid then ends the runner with os._exit(0)


SURVIVORS = {
    **{name: Survivor(code) for name, code in SPAWN.items()},
    "a daemon started at import": Survivor(SPAWN["a daemon: fork, setsid, fork, exec"], True),
    "a daemon, and the runner exits under it": Survivor(
        SPAWN["a daemon: fork, setsid, fork, exec"], then_exit=True
    ),
}


@pytest.mark.parametrize("attack", SURVIVORS, ids=list(SURVIVORS))
def test_no_process_outlives_grading(attack, tmp_path):
    survivor, marker = SURVIVORS[attack], hidden_marker()
    spawn = f"MARKER = {marker!r}\n" + textwrap.dedent(survivor.body).strip("\n")
    if survivor.at_import:
        edit = appended(spawn)
    else:
        once = "if not globals().get('_spawned'):\n    globals()['_spawned'] = True\n"
        once += textwrap.indent(spawn, "    ") + "\n"
        if survivor.then_exit:
            once += "    os._exit(0)\n"
        edit = edit_function("sigmoid", once + SIGMOID)
    student = submission(tmp_path, activations=edit)
    start = time.monotonic()
    results = outcome(grade(student, LIMITS, modules=["activations"]))
    assert_returned(time.monotonic() - start, LIMITS)
    passed, message = results["activations::sigmoid"]
    if survivor.then_exit:
        assert not passed and "ended while your code ran" in message, message
    else:
        assert passed, message
    survivors = processes_named(marker)
    deadline = time.monotonic() + 30  # killed processes take a moment to go, longer when busy
    while survivors and time.monotonic() < deadline:
        time.sleep(0.1)
        survivors = processes_named(marker)
    assert not survivors, f"{attack}: still running after grading: {survivors}"
