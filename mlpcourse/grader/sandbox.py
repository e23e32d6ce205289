"""Start a runner with the student's files: under bubblewrap, with limits, and kill it after.

The runner sees a read-only system (``/usr`` and the Python it needs), the
support code (this package without ``grader`` and ``course``), the student's
exercise modules copied in as plain files, a private ``/tmp`` of bounded size
and nothing else: not the instructor's tree, not ``solutions/``, not ``.git``,
not the home folders, not any other submission. Everything but ``/tmp`` (64 MiB)
and ``/dev/shm`` (1 MiB) is read-only. It has no network, its own
PID, IPC, UTS, user and cgroup namespaces, an empty environment but for a
short allow-list, no capabilities, and rlimits on CPU, memory, open files and
file size; as root, where rlimits do not count processes, a pids cgroup
does. Killing the sandbox's process group ends its PID namespace, so nothing
the student started outlives it.
"""

import atexit
import functools
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlpcourse.grader.files import Refused, read_handed_in
from mlpcourse.grader.limits import Limits
from mlpcourse.runner import EXERCISE_MODULES
from mlpcourse.runner.serve import BOOT

PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: What a runner needs to start: Python and numpy, as the sandbox shows them.
PROBE = "import numpy"
#: The support code the runner gets: what the exercise modules import, and the runner.
SUPPORT = ("__init__.py", "gradcheck.py", "validation.py", "data.py", "data_files", "runner")
ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "MPLCONFIGDIR": "/tmp",
    "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
#: Variables copied from the grader's environment: they keep OpenBLAS correct on some CPUs.
PASSED_THROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
INSTALL_HELP = (
    "Grading runs student code under bubblewrap, which is missing or cannot start here. "
    "Install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; "
    "macOS has none: grade on Linux). On Ubuntu 24.04 unprivileged user namespaces are "
    "restricted by AppArmor: allow them (sysctl kernel.apparmor_restrict_unprivileged_userns=0) "
    "or grade as root. Only for code you trust: --no-sandbox."
)


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create its namespaces on this machine."""


@functools.cache
def support_library() -> Path:
    """A private copy of the support code, readable by the sandbox, removed at exit."""
    root = Path(tempfile.mkdtemp(prefix="mlpcourse-lib-"))
    atexit.register(shutil.rmtree, root, True)
    target = root / "mlpcourse"
    target.mkdir()
    for name in SUPPORT:
        source = PACKAGE_DIR / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / name)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


def copy_submission(folder: Path, into: Path) -> dict[str, str]:
    """Copy the student's exercise modules into ``into`` as plain files.

    Returns ``{module: why it was refused}`` for each module not copied: a
    missing file, a symbolic or hard link, a directory, a FIFO or another
    special file, or a file over 1 MiB (:func:`~mlpcourse.grader.files.read_handed_in`).
    """
    refused = {}
    into.mkdir(parents=True, exist_ok=True)
    for module in EXERCISE_MODULES:
        try:
            data = read_handed_in(folder / f"{module}.py", f"mlpcourse/{module}.py")
        except Refused as refusal:
            refused[module] = str(refusal)
            continue
        (into / f"{module}.py").write_bytes(data)
        (into / f"{module}.py").chmod(0o644)
    into.chmod(0o755)
    return refused


def _bind_system() -> list[str]:
    arguments = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(top)
        if path.is_symlink():
            arguments += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            arguments += ["--ro-bind", top, top]
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    # Package folders added by .pth files (a virtual environment layered on another one).
    prefixes |= {
        os.path.realpath(p)
        for p in sys.path
        if os.path.isdir(p) and os.path.basename(p) in ("site-packages", "dist-packages")
    }
    for prefix in sorted(prefixes):
        if not prefix.startswith("/usr/"):
            arguments += ["--ro-bind", prefix, prefix]
    if Path(sys.prefix) != Path(os.path.realpath(sys.prefix)):
        arguments += ["--symlink", os.path.realpath(sys.prefix), sys.prefix]
    return arguments


def bwrap_command(submission: Path, limits: Limits) -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(INSTALL_HELP)
    return [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--uid",
        "65534",
        "--gid",
        "65534",
        "--dev",
        "/dev",
        "--size",
        str(1 << 20),
        "--tmpfs",
        "/dev/shm",
        "--proc",
        "/proc",
        "--size",
        str(limits.disk_mb << 20),
        "--tmpfs",
        "/tmp",
        *_bind_system(),  # after /tmp: a Python installed under /tmp stays visible
        "--ro-bind",
        str(support_library()),
        "/opt/mlpcourse/lib",
        "--ro-bind",
        str(submission),
        "/opt/mlpcourse/submission",
        "--remount-ro",
        "/dev",
        "--remount-ro",
        "/",
        "--chdir",
        "/tmp",
        "--clearenv",
        *[a for k, v in _environment().items() for a in ("--setenv", k, v)],
    ]


def _environment() -> dict[str, str]:
    passed = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    return {**ENVIRONMENT, **passed}


def _pids_cgroup(limit: int) -> Path | None:
    """A fresh pids cgroup capped at ``limit`` (as root, where rlimits do not count)."""
    if os.geteuid() != 0:
        return None
    for base in (
        Path("/sys/fs/cgroup/pids"),
        Path("/sys/fs/cgroup/unified"),
        Path("/sys/fs/cgroup"),
    ):
        group = base / f"mlpcourse-{secrets.token_hex(6)}"
        try:
            group.mkdir()
        except OSError:
            continue
        try:
            (group / "pids.max").write_text(str(limit))
            return group
        except OSError:
            group.rmdir()
    return None


def _user_processes() -> int | None:
    """How many processes this user runs (None where there is no /proc, as on macOS)."""
    if not os.path.isdir("/proc"):
        return None
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                pass
    return count


class Runner:
    """One runner process with its pipes; :meth:`stop` kills all it started."""

    def __init__(self, submission: Path, limits: Limits, sandbox: bool = True) -> None:
        self.limits = limits
        runner_reads, self.writer = os.pipe()
        self.reader, runner_writes = os.pipe()
        lib, folder = str(support_library()), str(submission)
        if sandbox:
            prefix = bwrap_command(submission, limits)
            lib, folder = "/opt/mlpcourse/lib", "/opt/mlpcourse/submission"
        else:
            prefix = []
        command = [*prefix, sys.executable, "-I", "-c", BOOT, lib, folder]
        command += [str(runner_reads), str(runner_writes)]
        self.cgroup = _pids_cgroup(limits.processes) if sandbox else None
        running = None if os.geteuid() == 0 else _user_processes()
        nproc = None if running is None else running + limits.processes
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # bwrap's errors are caught before, by check_sandbox
            pass_fds=(runner_reads, runner_writes),
            cwd=tempfile.gettempdir(),
            env=_environment(),  # nothing of the grader's environment reaches the runner
            start_new_session=True,
            preexec_fn=_apply_limits(limits, self.cgroup, nproc),
        )
        os.close(runner_reads)
        os.close(runner_writes)

    def exit_cause(self) -> str:
        """Why the runner ended, in words, once it has."""
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the runner stopped answering"
        if code is None or code == 0:
            return "the runner ended while your code ran (os._exit(0)?)"
        if code < 0 or code > 128:
            number = -code if code < 0 else code - 128
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = f"signal {number}"
            return {
                "SIGKILL": "the process was killed (SIGKILL): out of memory, or over a limit",
                "SIGSEGV": "the process crashed (SIGSEGV): a segmentation fault, or out of memory",
                "SIGXCPU": "the process used more CPU time than allowed (SIGXCPU)",
                "SIGXFSZ": f"a file written went over {self.limits.disk_mb} MiB (SIGXFSZ)",
            }.get(name, f"the process was killed by {name}")
        return f"the process exited with status {code} (sys.exit or os._exit?)"

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        for descriptor in (self.reader, self.writer):
            try:
                os.close(descriptor)
            except OSError:
                pass
        if self.cgroup is not None:
            _remove_cgroup(self.cgroup)


def _remove_cgroup(group: Path) -> None:
    for _ in range(50):
        try:
            for pid in (group / "cgroup.procs").read_text().split():
                os.kill(int(pid), signal.SIGKILL)
            group.rmdir()
            return
        except (OSError, ValueError):
            time.sleep(0.01)


def _apply_limits(limits: Limits, cgroup: Path | None, nproc: int | None):
    def apply() -> None:
        if cgroup is not None:
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))
        memory = limits.memory_mb << 20
        cpu = int(limits.timeout) + 5
        wanted = [
            (resource.RLIMIT_AS, memory),
            (resource.RLIMIT_CPU, cpu),
            (resource.RLIMIT_FSIZE, limits.disk_mb << 20),
            (resource.RLIMIT_NOFILE, 256),
            (resource.RLIMIT_CORE, 0),
        ]
        if nproc is not None:
            wanted.append((resource.RLIMIT_NPROC, nproc))
        for name, value in wanted:
            try:
                resource.setrlimit(name, (value, value))
            except (OSError, ValueError):  # a limit this system will not set (macOS: AS)
                if os.geteuid() == 0 or sys.platform == "linux":
                    raise

    return apply


@functools.cache
def check_sandbox() -> None:
    """Raise :class:`SandboxUnavailable`, with how to fix it, unless bubblewrap starts here."""
    with tempfile.TemporaryDirectory() as empty:
        try:
            command = [*bwrap_command(Path(empty), Limits()), sys.executable, "-I", "-c", PROBE]
        except SandboxUnavailable:
            raise
        result = subprocess.run(command, capture_output=True, timeout=60)
    if result.returncode != 0:
        printed = result.stderr.decode(errors="replace").strip()[-2000:]
        if "bwrap" in printed:
            raise SandboxUnavailable(f"bwrap failed: {printed}\n{INSTALL_HELP}")
        raise SandboxUnavailable(f"the sandbox started, but Python could not run in it: {printed}")
