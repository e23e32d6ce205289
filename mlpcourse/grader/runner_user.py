"""The runner user: where bubblewrap cannot start, the runner runs as an unprivileged user.

Where bubblewrap cannot start (a container without user namespaces, as on
Gradescope), a root grader can run the runner as a dedicated unprivileged
user instead (:class:`RunnerUser`): the runner gets that user's rights only
(it cannot read a course folder that only root can read, which
:func:`check_runner_user` verifies), the same rlimits and the same pids
cgroup, a copy of the submission and a scratch folder of its own (its
``HOME`` and ``TMPDIR``, new and empty for each runner, removed after), one
runner of that user at a time, and every process of that user is killed
when it stops. :func:`choose_isolation` picks bubblewrap when it starts, and
never falls back to running student code as root.

Runners of one user would otherwise share what that user can write and the
network: one chapter's runner could leave data in ``/tmp`` for the next, or
for the next student's. So, as root, before it drops to the user, the
runner's process enters new mount, network and IPC namespaces
(:func:`user_confinement` probes once whether the kernel allows it): fresh
tmpfs on ``/tmp``, ``/var/tmp``, ``/dev/shm`` and the other world-writable
folders of :data:`SHARED_FOLDERS` (what the runner needs under them, its
scratch folder, the support code, is bound back), only a loopback interface,
down, and System V IPC and POSIX queues of its own; all of it ends with the
runner. A container without ``CAP_SYS_ADMIN`` (Docker's default; likely
Gradescope's) refuses: then every file and folder the user owns in
:data:`SHARED_FOLDERS` is deleted, and its System V IPC objects removed,
after each runner stops and before the next starts (under the user's lock),
and the network stays open. :func:`check_runner_user` says so on stderr and
:meth:`RunnerUser.describe` in every report that names the isolation.

What remains with a runner user: where namespaces are refused, the network
(block outbound traffic by the platform's own settings, where it has any),
POSIX message queues where ``/dev/mqueue`` is not mounted (nothing lists
them), and files left in world-writable folders outside :data:`SHARED_FOLDERS`
(``find / -xdev -perm -0002 -type d`` lists them; make them unwritable, or
grade in a throwaway container). Everywhere: what the kernel shows every
process (``/proc`` of the grader, load, timing). The user must be dedicated
to grading: every process it runs is killed, and where namespaces are
refused every file it owns in :data:`SHARED_FOLDERS` is deleted.
"""

import ctypes
import fcntl
import functools
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mlpcourse.grader.support import (
    PACKAGE_DIR,
    SandboxUnavailable,
    python_prefixes,
    runner_environment,
)


@dataclass(frozen=True)
class RunnerUser:
    """Isolation without bubblewrap: the runner runs as this unprivileged user."""

    name: str
    uid: int
    gid: int

    @classmethod
    def named(cls, name: str) -> "RunnerUser":
        """The user called ``name``; :class:`SandboxUnavailable` if it is missing or root."""
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise SandboxUnavailable(
                f"runner user: no user named {name!r} on this machine "
                "(create one: useradd --system --no-create-home mlprunner)"
            ) from None
        if entry.pw_uid == 0 or entry.pw_gid == 0:
            raise SandboxUnavailable(
                f"runner user: {name!r} must be unprivileged, got uid {entry.pw_uid}, "
                f"gid {entry.pw_gid} (expected both non-zero)"
            )
        return cls(name, entry.pw_uid, entry.pw_gid)

    def describe(self) -> str:
        """How the runner is isolated, in words (for reports)."""
        return (
            f"unprivileged user {self.name} (uid {self.uid}), without bubblewrap; "
            + user_confinement().describe()
        )


def processes_of(uid: int) -> list[int]:
    """The ids of the processes ``uid`` runs (none where there is no /proc, as on macOS)."""
    found = []
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def user_processes(uid: int | None = None) -> int | None:
    """How many processes ``uid`` (this user) runs (None where there is no /proc, as on macOS)."""
    if not os.path.isdir("/proc"):
        return None
    return len(processes_of(os.getuid() if uid is None else uid))


def lock_user(user: RunnerUser) -> int:
    """Wait until no other runner runs as ``user``: then every process of it is this runner's."""
    folder = Path("/run") if os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    path = folder / f"mlpcourse-runner-{user.uid}.lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    if os.fstat(descriptor).st_uid != os.geteuid():
        os.close(descriptor)
        raise SandboxUnavailable(f"runner user: the lock {path} belongs to another user")
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    return descriptor


def user_scratch(submission: Path, user: RunnerUser) -> Path:
    """A folder with a readable copy of the submission and a home only ``user`` can use."""
    scratch = Path(tempfile.mkdtemp(prefix="mlpcourse-user-"))
    scratch.chmod(0o755)
    (scratch / "submission").mkdir(mode=0o755)
    for path in submission.iterdir():
        if path.is_file() and not path.is_symlink():
            shutil.copyfile(path, scratch / "submission" / path.name)
            (scratch / "submission" / path.name).chmod(0o644)
    home = scratch / "home"
    home.mkdir(mode=0o700)
    os.chown(home, user.uid, user.gid)
    return scratch


def kill_user(uid: int) -> None:
    """Kill every process of ``uid`` (one runner at a time runs as it: all are its own)."""
    for _ in range(50):
        found = processes_of(uid)
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)


#: World-writable folders where a runner user could leave files for the next runner, and the
#: size of the tmpfs each gets in the runner's own mount namespace (MiB; None: ``disk_mb``).
SHARED_FOLDERS = {
    "/tmp": None,
    "/var/tmp": None,
    "/dev/shm": 1,
    "/dev/mqueue": 1,
    "/run/lock": 1,
    "/var/lock": 1,
    "/var/crash": 1,
}


CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000


MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x1000, 0x4000, 0x40000


def shared_folders(disk_mb: int) -> dict[str, int]:
    """The folders of :data:`SHARED_FOLDERS` here (world-writable, once each), with sizes."""
    found: dict[str, int] = {}
    for folder, size in SHARED_FOLDERS.items():
        real = os.path.realpath(folder)
        try:
            mode = os.stat(real).st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode) and mode & 0o002 and real not in found:
            found[real] = disk_mb if size is None else size
    return found


@dataclass(frozen=True)
class Confinement:
    """What the kernel lets a root grader add to a runner user (:func:`user_confinement`)."""

    namespaces: bool  # new network and IPC namespaces: only a loopback, down; IPC of its own
    mounts: bool  # a new mount namespace with a fresh tmpfs on each shared folder
    why: str = ""  # why not, in words

    def describe(self) -> str:
        shared = "/tmp, /var/tmp and /dev/shm are shared, emptied of its files between runners"
        if self.namespaces and self.mounts:
            return "a private /tmp, /var/tmp and /dev/shm, no network (new namespaces)"
        if self.namespaces:
            return f"no network (a new namespace), but {shared}: mounts refused ({self.why})"
        return (
            f"the network is open and {shared}: the kernel refused new namespaces ({self.why}); "
            "block outbound traffic by the platform's own settings"
        )


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, its ``unshare`` and ``mount`` typed (loaded before any fork)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.unshare.argtypes = [ctypes.c_int]
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _checked(name: str, result: int) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{name}: {os.strerror(number)}")


def _enter_namespaces() -> None:
    """Leave the grader's mount, network and IPC namespaces (in the child, as root)."""
    _checked("unshare", _libc().unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC))


def _mount(source: str | None, target: str, kind: str | None, flags: int, data: str = "") -> None:
    arguments = [None if a is None else a.encode() for a in (source, target, kind, data or None)]
    _checked(f"mount {target}", _libc().mount(*arguments[:3], flags, arguments[3]))


def _private_mounts(shared: dict[str, int], keep: list[str]) -> None:
    """A fresh tmpfs on each shared folder; what the runner needs under one is bound back.

    In the child, as root, in its own mount namespace; nothing propagates to the grader's.
    """
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    held = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)) for path in keep]
    for folder, size in shared.items():
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={size}m")
    for path, descriptor in sorted(held, key=lambda item: len(item[0])):  # parents first
        try:
            hidden = not os.path.samestat(os.stat(path), os.fstat(descriptor))
        except OSError:
            hidden = True
        if hidden:
            os.makedirs(path, mode=0o755, exist_ok=True)
            _mount(f"/proc/self/fd/{descriptor}", path, None, MS_BIND | MS_REC)
        os.close(descriptor)


@functools.cache
def user_confinement() -> Confinement:
    """Whether a runner user's runner can get new namespaces here: probed once, as it would."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return Confinement(False, False, "only a root grader on Linux can create them")
    try:
        _libc()
    except (OSError, AttributeError) as error:
        return Confinement(False, False, f"no unshare() in the C library: {error}")
    reads, writes = os.pipe()
    shared = shared_folders(1)

    def probe() -> None:
        for stage, step in (
            ("namespaces", _enter_namespaces),
            ("mounts", lambda: _private_mounts(shared, [])),
        ):
            try:
                step()
            except OSError as error:
                os.write(writes, f"{stage}:{error.strerror}".encode())
                return
        os.write(writes, b"ok:")

    try:
        subprocess.run(
            [sys.executable, "-I", "-c", ""],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            preexec_fn=probe,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return Confinement(False, False, f"the probe failed: {error}")
    finally:
        os.close(writes)
    with os.fdopen(reads, "rb") as answers:
        stage, _, why = answers.read(4096).decode(errors="replace").partition(":")
    if stage == "ok":
        return Confinement(True, True)
    if stage == "mounts":
        return Confinement(True, False, why)
    return Confinement(False, False, why or "the probe did not answer")


def _remove_owned(folder: str, user: RunnerUser, depth: int = 8) -> None:
    """Delete what ``user`` owns in ``folder``, and in the folders there it can write to."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if info.st_uid == user.uid:
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(entry.path, ignore_errors=True)  # never follows a link
            else:
                try:
                    os.unlink(entry.path)
                except OSError:
                    pass
        elif stat.S_ISDIR(info.st_mode) and depth > 0:
            if info.st_mode & 0o002 or (info.st_mode & 0o020 and info.st_gid == user.gid):
                _remove_owned(entry.path, user, depth - 1)


def _remove_ipc(user: RunnerUser) -> None:
    """Remove the System V IPC objects ``user`` holds (as it: root may lack CAP_SYS_ADMIN)."""
    held = False
    for kind in ("shm", "msg", "sem"):
        try:
            header, *rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        except OSError:
            continue
        column = header.split().index("uid")
        held |= any(len(r.split()) > column and r.split()[column] == str(user.uid) for r in rows)
    ipcrm = shutil.which("ipcrm")
    if held and ipcrm is not None:
        try:
            subprocess.run(
                [ipcrm, "--all"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                cwd="/",
                env=runner_environment(),
                preexec_fn=lambda: drop_to(user),
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError):
            pass  # nothing better to do: the objects stay, as without this sweep


def sweep(user: RunnerUser, confinement: Confinement) -> None:
    """Where namespaces are refused: delete what runners of ``user`` left for the next one."""
    if not confinement.mounts:
        for folder in shared_folders(0):
            _remove_owned(folder, user)
    if not confinement.namespaces:
        _remove_ipc(user)


def drop_to(user: RunnerUser) -> None:
    """Become ``user`` for good, with no supplementary group (in the child, before exec)."""
    os.setgroups([])
    os.setresgid(user.gid, user.gid, user.gid)
    os.setresuid(user.uid, user.uid, user.uid)
    if os.getresuid() != (user.uid,) * 3 or os.getresgid() != (user.gid,) * 3:
        raise PermissionError(f"could not become {user.name}")


#: Run as the runner user: fails unless Python (and numpy, when asked) load, and lists the
#: paths among its arguments that the user can open (a file) or list (a folder).
USER_PROBE = """
import os, sys
if sys.argv[1] == "numpy":
    import numpy
readable = []
for path in sys.argv[2:]:
    try:
        os.listdir(path) if os.path.isdir(path) else open(path, "rb").close()
        readable.append(path)
    except OSError:
        pass
print(";".join(readable))
"""


def grader_files() -> list[Path]:
    """Files the runner must never read: the checks, and the reference when it is here."""
    files = [PACKAGE_DIR / "grader" / "grading.py", PACKAGE_DIR / "grader" / "reference.py"]
    reference = PACKAGE_DIR.parent / "solutions" / "mlpcourse" / "neuron.py"
    return files + ([reference] if reference.is_file() else [])


def readable_as(user: RunnerUser, paths: list[Path], numpy: bool = False) -> list[str]:
    """Which of ``paths`` ``user`` can read; :class:`SandboxUnavailable` if Python fails as it."""
    command = [sys.executable, "-I", "-c", USER_PROBE, "numpy" if numpy else "-", *map(str, paths)]
    lock = lock_user(user)  # a runner starting as ``user`` kills every process of it: not ours
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            timeout=60,
            cwd="/",
            env=runner_environment(),
            preexec_fn=lambda: drop_to(user),
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise SandboxUnavailable(
            f"runner user {user.name}: could not start as it ({error})"
        ) from None
    finally:
        os.close(lock)
    if result.returncode != 0:
        printed = result.stderr.decode(errors="replace").strip()[-1000:]
        raise SandboxUnavailable(
            f"runner user {user.name}: Python could not run as this user ({printed}); "
            f"make {sys.prefix} readable by it"
        )
    return [p for p in result.stdout.decode().strip().split(";") if p]


@functools.cache
def check_runner_user(user: RunnerUser) -> None:
    """Raise :class:`SandboxUnavailable` unless the runner can run as ``user``, safely.

    The grader must be root (to switch users), Python and numpy must load as
    ``user``, and ``user`` must not be able to read the grader's files.
    """
    if os.geteuid() != 0:
        raise SandboxUnavailable(
            f"runner user {user.name}: switching to it needs root, and this grader runs as "
            f"uid {os.geteuid()}"
        )
    readable = readable_as(user, grader_files(), numpy=True)
    if readable:
        raise SandboxUnavailable(
            f"runner user {user.name} can read the grader's files ({readable[0]}): make the "
            f"course folder {PACKAGE_DIR.parent} readable by root only (chmod 700)"
        )
    confinement = user_confinement()
    if not (confinement.namespaces and confinement.mounts):
        print(f"mlpcourse: runner user {user.name}: {confinement.describe()}", file=sys.stderr)


@functools.cache
def check_submissions_private(user: RunnerUser, submissions: tuple[Path, ...]) -> None:
    """Raise :class:`SandboxUnavailable` if ``user`` can read any of ``submissions``.

    The runner reads its own copy of a submission; a runner that could read
    the folders handed in could read the classmates' too.
    """
    readable = readable_as(user, list(submissions))
    if readable:
        raise SandboxUnavailable(
            f"runner user {user.name} can read the submissions ({readable[0]}): make the "
            f"folder that holds them readable by root only (chmod 700 {Path(readable[0]).parent})"
        )


def confining(confinement: Confinement, disk_mb: int, lib: str, scratch: Path, home: str):
    """What the runner user's process does as root before it drops: new namespaces.

    Its own mount namespace with fresh tmpfs on :data:`SHARED_FOLDERS` (the
    support code ``lib``, the ``scratch`` folder and Python bound back), network
    and IPC namespaces, where ``confinement`` says the kernel allows them.
    """
    shared = shared_folders(disk_mb)
    keep = [lib, str(scratch), os.path.dirname(sys.executable), sys.prefix]
    keep += sorted(python_prefixes())

    def confine() -> None:
        if confinement.namespaces:
            _enter_namespaces()
        if confinement.mounts:
            _private_mounts(shared, keep)
            os.chdir(home)

    return confine
