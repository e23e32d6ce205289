"""6b. The runner user (no bubblewrap): what one runner leaves for the next, the network.

Without bubblewrap, a root grader runs each runner as one unprivileged user. Runners of that
user must not pass anything on: not to the next chapter's, not to the next student's. Each
case runs twice in a simulated container (tests/project/containers.py): as root, where new
namespaces are allowed, and without CAP_SYS_ADMIN (Docker's default, likely Gradescope's),
where they are refused and the grader falls back (see mlpcourse/grader/sandbox.py).
What a runner user can read (the course, a classmate) is tried in test_platforms.py.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mlpcourse.chapters import EXERCISE_MODULES

from ..containers import PYTHON, jailed
from ..helpers import LIMITS, ROOT, TOTAL, appended, edit_function, outcome, submission
from .hostile import SIGMOID, hidden_marker, processes_named

pytestmark = pytest.mark.attack("the runner user (no bubblewrap)")


#: At import, once per runner process: look for what an earlier runner left, then leave some.
LEAVE_AND_LOOK = """
def _leave_and_look():
    import builtins, ctypes, glob, os, time
    if getattr(builtins, MARKER, False):
        return
    setattr(builtins, MARKER, True)
    folders = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock", os.environ["HOME"],
               os.environ["TMPDIR"]]
    libc = ctypes.CDLL(None, use_errno=True)
    found = [p for f in folders for p in glob.glob(f"{f}/{MARKER}*")]
    found += glob.glob(f"/tmp/*/{MARKER}*") + glob.glob(f"/tmp/*/*/{MARKER}*")  # a home
    if libc.shmget(KEY, 64, 0) >= 0:
        found.append("a System V shared memory segment")
    if found:
        raise RuntimeError("found what a runner before left: " + ", ".join(sorted(found))[:500])
    mine = f"{MARKER}-{os.getpid()}"
    for folder in folders:
        try:
            open(f"{folder}/{mine}", "w").write("for the next runner")
        except OSError:
            pass
    try:
        os.makedirs(f"/tmp/{mine}-folder/{MARKER}-inside")
    except OSError:
        pass
    libc.shmget(KEY, 64, 0o1000 | 0o600)  # IPC_CREAT
    if os.fork() == 0:  # a daemon that writes on after its runner has stopped
        try:
            os.setsid()
            if os.fork() == 0:
                for n in range(50):
                    for folder in folders[:4]:
                        try:
                            open(f"{folder}/{mine}-late-{n}", "w").close()
                        except OSError:
                            pass
                    time.sleep(0.02)
        finally:
            os._exit(0)


_leave_and_look()
"""

#: In sigmoid: a connection to the test's server, on the grader's own machine.
CONNECT = """
import socket
try:
    with socket.create_connection(("127.0.0.1", PORT), timeout=10) as connection:
        connection.sendall(MARKER.encode())
except OSError:
    pass
else:
    raise RuntimeError("connected to a server on the grader's machine")
"""

RUNNER_USER_MODES = {
    "namespaces": (),
    "namespaces refused (no CAP_SYS_ADMIN)": ("--cap-drop", "CAP_SYS_ADMIN"),
}
#: What the grader says on stderr where the kernel refuses the namespaces.
REFUSED = "the network is open and /tmp, /var/tmp and /dev/shm are shared, emptied of its files"
needs_runner_user = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("bwrap") is None,
    reason="the runner user is simulated as root, with bubblewrap",
)


def _run_as_runner_user(machine: dict, course: Path, folder: Path, mode: str, *more: str):
    """``mlpcourse grade folder --json ... --runner-user nobody`` in a simulated container, in
    a course only root can read."""
    command = f"{PYTHON} -m mlpcourse.cli grade {folder} --json "
    command += f"--timeout {LIMITS.timeout:g} --check-timeout {LIMITS.check_timeout:g} "
    command += " ".join(more) + " --runner-user nobody"
    result = jailed(
        machine,
        {},
        command,
        bwrap=False,
        cwd=str(course),
        options=RUNNER_USER_MODES[mode],
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    if mode == "namespaces":
        assert REFUSED not in result.stderr, result.stderr[-2000:]
    else:
        assert REFUSED in result.stderr and "Operation not permitted" in result.stderr
    return json.loads(result.stdout), result.stderr


def _left_on_the_host(marker: str) -> list[str]:
    folders = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock"]
    found = [str(p) for f in folders for p in Path(f).glob(f"{marker}*")]
    found += [str(p) for f in folders for p in Path(f).glob(f"*/{marker}*")]
    key = str(int(marker[3:], 16) % 2**31)
    shm = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return found + [f"shm key {key}" for row in shm if row.split()[0] == key]


def _remove_left(marker: str) -> None:
    for _ in range(50):  # an unconfined daemon writes for one second
        if not processes_named(marker):
            break
        time.sleep(0.1)
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        for path in Path(folder).glob(f"{marker}*"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    key = int(marker[3:], 16) % 2**31
    subprocess.run(["ipcrm", "-M", str(key)], capture_output=True)


@needs_runner_user
@pytest.mark.parametrize("mode", RUNNER_USER_MODES)
def test_runner_user_leaves_nothing_for_the_next_runner(mode, machine, private_course, tmp_path):
    """Files in /tmp, /var/tmp, /dev/shm, /run/lock, $HOME and $TMPDIR, a folder, a System V
    segment, and a daemon (setsid, double fork) that writes on after its runner stopped: each
    runner of two students' six chapters looks for what the runners before left."""
    marker = hidden_marker()
    code = LEAVE_AND_LOOK.replace("MARKER", repr(marker))
    code = code.replace("KEY", str(int(marker[3:], 16) % 2**31))
    klass = tmp_path / "class"
    for name in ("ann", "bob"):
        submission(klass, name, **{module: appended(code) for module in EXERCISE_MODULES})
    try:
        one_by_one = ("--all", "--jobs", "1")
        reports, _ = _run_as_runner_user(machine, private_course, klass, mode, *one_by_one)
        for name, report in reports.items():
            failed = [(t["id"], t["message"]) for t in report["tests"] if not t["passed"]]
            assert report["score"] == TOTAL, (name, failed[:3])
        assert not _left_on_the_host(marker)
        if mode == "namespaces":  # without isolation the attack works: runners share /tmp
            command = [sys.executable, "-m", "mlpcourse.cli", "grade", str(klass / "ann")]
            command += ["--json", "--no-sandbox"]
            unconfined = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
            messages = [t["message"] for t in json.loads(unconfined.stdout)["tests"]]
            assert any("found what a runner before left" in m for m in messages), messages
    finally:
        _remove_left(marker)


@needs_runner_user
@pytest.mark.parametrize("mode", RUNNER_USER_MODES)
def test_runner_user_has_no_network(mode, machine, private_course, tmp_path):
    """A connection to a server on 127.0.0.1: refused where the kernel allows new namespaces.

    Where it refuses them (as a Docker container does), the grader cannot block the network:
    it says so on stderr (and in each report that names the isolation), the platform's own
    settings must block outbound traffic, and the connection succeeds, as documented."""
    marker = hidden_marker()
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    received: list[bytes] = []
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(30)  # sent on connecting: a margin for a busy machine
                try:
                    received.append(connection.recv(100))
                except OSError:
                    received.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    body = CONNECT.replace("PORT", str(port)).replace("MARKER", repr(marker)) + SIGMOID
    student = submission(tmp_path, activations=edit_function("sigmoid", body))
    try:
        report, stderr = _run_as_runner_user(machine, private_course, student, mode)
    finally:
        done.set()
        thread.join()
        server.close()
    passed, message = outcome(report)["activations::sigmoid"]
    if mode == "namespaces":
        assert passed, message
        assert not received, received
    else:  # the documented fallback: the network stays open, and the grader says so
        assert not passed and "connected to a server" in message, message
        assert marker.encode() in received
        assert "block outbound traffic" in stderr, stderr
