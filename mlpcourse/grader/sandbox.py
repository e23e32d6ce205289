"""Start a runner with the student's files, isolated and with limits, and kill it after.

How the runner is isolated (:data:`Isolation`): under bubblewrap
(:mod:`.bubblewrap`), where it starts; else, for a root grader, as a dedicated
unprivileged user (:mod:`.runner_user`); never unconfined, except for code the
instructor trusts (``--no-sandbox``). Whichever: the support code and a copy of
the submission (:mod:`.support`), an empty environment but for a short
allow-list, and rlimits on CPU, memory, open files and file size; as root,
where rlimits do not count processes, a pids cgroup does. Killing the runner's
process group (and, for a runner user, every process of that user) ends
everything the student started. :func:`choose_isolation` picks bubblewrap when
it starts, and never falls back to running student code as root.
"""

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

from mlpcourse.grader.bubblewrap import bwrap_command, check_sandbox
from mlpcourse.grader.limits import Limits
from mlpcourse.grader.runner_user import (
    RunnerUser,
    check_runner_user,
    check_submissions_private,
    confining,
    drop_to,
    kill_user,
    lock_user,
    sweep,
    user_confinement,
    user_processes,
    user_scratch,
)
from mlpcourse.grader.support import (
    SandboxUnavailable,
    runner_environment,
    support_library,
)
from mlpcourse.runner.serve import BOOT

#: How student code runs: under bubblewrap (True), as a runner user, or unconfined (False).
Isolation = bool | RunnerUser


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


class Runner:
    """One runner process with its pipes; :meth:`stop` kills all it started.

    ``sandbox``: True for bubblewrap, a :class:`RunnerUser` to run as that
    user, False to run unconfined (trusted code only).
    """

    def __init__(self, submission: Path, limits: Limits, sandbox: Isolation = True) -> None:
        self.limits = limits
        self.user = sandbox if isinstance(sandbox, RunnerUser) else None
        self.scratch: Path | None = None
        self.lock: int | None = None
        self.confinement = user_confinement() if self.user is not None else None
        lib, folder = str(support_library()), str(submission)
        environment, cwd, drop, confine = runner_environment(), tempfile.gettempdir(), None, None
        if self.user is not None:
            self.lock = lock_user(self.user)  # released by stop()
            try:
                # Holding the lock, every process of the user is a leftover: of a runner whose
                # grader was killed from outside (a class run's worker past its bound, say).
                kill_user(self.user.uid)
                sweep(self.user, self.confinement)  # what a runner of a grader that died left
                self.scratch = user_scratch(submission, self.user)
            except BaseException:
                os.close(self.lock)
                raise
            folder, cwd, drop = (
                str(self.scratch / "submission"),
                str(self.scratch / "home"),
                self.user,
            )
            environment |= {"HOME": cwd, "TMPDIR": cwd, "MPLCONFIGDIR": cwd}
            confine = confining(self.confinement, limits.disk_mb, lib, self.scratch, cwd)
            prefix = []
        elif sandbox:
            prefix = bwrap_command(submission, limits)
            lib, folder = "/opt/mlpcourse/lib", "/opt/mlpcourse/submission"
        else:
            prefix = []
        runner_reads, self.writer = os.pipe()
        self.reader, runner_writes = os.pipe()
        command = [*prefix, sys.executable, "-I", "-c", BOOT, lib, folder]
        command += [str(runner_reads), str(runner_writes)]
        self.cgroup = _pids_cgroup(limits.processes) if sandbox else None
        uid = self.user.uid if self.user else os.getuid()
        running = None if uid == 0 else user_processes(uid)
        nproc = None if running is None else running + limits.processes
        self.process: subprocess.Popen | None = None
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # bwrap's errors are caught before, by check_sandbox
                pass_fds=(runner_reads, runner_writes),
                cwd=cwd,
                env=environment,  # nothing of the grader's environment reaches the runner
                start_new_session=True,
                preexec_fn=_apply_limits(limits, self.cgroup, nproc, drop, confine),
            )
        except BaseException:
            self.stop()  # the lock, the scratch folder, the cgroup
            raise
        finally:
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
        if self.process is not None:
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
        if self.user is not None:
            try:
                kill_user(self.user.uid)  # a process that left the group by setsid() too
                if self.scratch is not None:
                    shutil.rmtree(self.scratch, ignore_errors=True)
                if self.lock is not None:
                    sweep(self.user, self.confinement)  # before the next runner starts
            finally:
                if self.lock is not None:
                    os.close(self.lock)  # releases the lock
                    self.lock = None


def _remove_cgroup(group: Path) -> None:
    for _ in range(50):
        try:
            for pid in (group / "cgroup.procs").read_text().split():
                os.kill(int(pid), signal.SIGKILL)
            group.rmdir()
            return
        except (OSError, ValueError):
            time.sleep(0.01)


def _apply_limits(
    limits: Limits,
    cgroup: Path | None,
    nproc: int | None,
    user: RunnerUser | None = None,
    confine=None,
):
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
        if confine is not None:
            confine()  # as root, before dropping: new namespaces
        if user is not None:
            drop_to(user)

    return apply


def choose_isolation(runner_user: str | None = None) -> Isolation:
    """bubblewrap if it starts here; else, if ``runner_user`` is named, that user.

    Raises :class:`SandboxUnavailable` saying why neither works: student code
    never runs unconfined from here.
    """
    try:
        check_sandbox()
        return True
    except SandboxUnavailable as error:
        if runner_user is None:
            raise
        why = str(error).split("\n")[0]
    try:
        user = RunnerUser.named(runner_user)
        check_runner_user(user)
    except SandboxUnavailable as error:
        raise SandboxUnavailable(f"{why}\nand the fallback failed: {error}") from None
    return user


def check_isolation(sandbox: Isolation, *submissions: Path) -> None:
    """Raise :class:`SandboxUnavailable` unless ``sandbox`` can run student code here.

    ``submissions``: the folders handed in, which a runner user must not be able to read.
    """
    if isinstance(sandbox, RunnerUser):
        check_runner_user(sandbox)
        if submissions:
            check_submissions_private(sandbox, tuple(p.resolve() for p in submissions))
    elif sandbox:
        check_sandbox()


def describe_isolation(sandbox: Isolation) -> str:
    """``bubblewrap`` or ``unprivileged user mlprunner (uid 999), without bubblewrap``."""
    if isinstance(sandbox, RunnerUser):
        return sandbox.describe()
    return "bubblewrap (namespaces, no network, read-only system)" if sandbox else "none"
