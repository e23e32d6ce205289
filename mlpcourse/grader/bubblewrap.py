"""bubblewrap: the runner in namespaces of its own, on a read-only system, without network.

The runner sees a read-only system (``/usr`` and the Python it needs), the
support code, the student's exercise modules, a private ``/tmp`` of bounded size
and nothing else: not the instructor's tree, not ``solutions/``, not ``.git``,
not the home folders, not any other submission. Everything but ``/tmp`` (64 MiB)
and ``/dev/shm`` (1 MiB) is read-only. It has no network, its own PID, IPC, UTS,
user and cgroup namespaces and no capabilities. Killing the sandbox's process
group ends its PID namespace, so nothing the student started outlives it.
"""

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mlpcourse.grader.limits import Limits
from mlpcourse.grader.support import (
    SandboxUnavailable,
    python_prefixes,
    runner_environment,
    support_library,
)

#: What a runner needs to start: Python and numpy, as the sandbox shows them.
PROBE = "import numpy"


INSTALL_HELP = (
    "Grading runs student code under bubblewrap, which is missing or cannot start here. "
    "Install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; "
    "macOS has none: grade on Linux). On Ubuntu 24.04 unprivileged user namespaces are "
    "restricted by AppArmor: allow them (sysctl kernel.apparmor_restrict_unprivileged_userns=0) "
    "or grade as root. Only for code you trust: --no-sandbox."
)


def _bind_system() -> list[str]:
    arguments = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(top)
        if path.is_symlink():
            arguments += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            arguments += ["--ro-bind", top, top]
    prefixes = python_prefixes()
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
        *[a for k, v in runner_environment().items() for a in ("--setenv", k, v)],
    ]


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
