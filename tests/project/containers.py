"""A simulated container, as Gradescope and PrairieLearn run their entry point.

``jailed`` runs a command as root in an outer bubblewrap (root's own user namespace, so
the grader's own bubblewrap still starts inside) with a copy of ``/etc`` (``setup.sh``
creates its runner user there) and a ``/root`` holding only the Python in use. A fake
``bwrap`` first on ``PATH`` makes bubblewrap unavailable, as in a container without user
namespaces. The fixtures ``machine`` and ``private_course`` (tests/project/conftest.py)
build one per test module.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR

ROOT = PACKAGE_DIR.parent
FAKE_BWRAP = '#!/bin/sh\necho "bwrap: No permissions to create new namespace" >&2\nexit 1\n'


def simulated_machine(base: Path) -> dict:
    """What every simulated container shares, built in ``base``: a copy of /etc, a fake bwrap."""
    shutil.copytree("/etc", base / "etc", symlinks=True, ignore_dangling_symlinks=True)
    (base / "fake").mkdir()
    (base / "fake" / "bwrap").write_text(FAKE_BWRAP)
    (base / "fake" / "bwrap").chmod(0o755)
    return {"etc": base / "etc", "fake": base / "fake"}


#: Where the simulated containers see the course's Python (this test's virtual environment).
VENV = "/mlpcourse-venv"
PYTHON = f"{VENV}/bin/{Path(sys.executable).name}"


def jailed(
    machine: dict,
    binds: dict[str, Path],
    command: str,
    bwrap: bool = True,
    cwd: str = "/",
    options: tuple[str, ...] = (),
) -> subprocess.CompletedProcess:
    """Run ``command`` (bash) as root in the simulated container, ``binds`` mounted.

    ``options``: more for bubblewrap (``--cap-drop CAP_SYS_ADMIN``: a container that refuses
    new namespaces, as Docker's default).
    """
    arguments = ["--tmpfs", "/"]
    for entry in sorted(os.scandir("/"), key=lambda e: e.name):
        path = f"/{entry.name}"
        if entry.is_symlink():
            arguments += ["--symlink", os.readlink(path), path]
        elif entry.name == "etc":
            arguments += ["--bind", str(machine["etc"]), "/etc"]
        elif entry.name == "root":
            arguments += ["--tmpfs", "/root"]
        elif entry.is_dir() and path not in binds:
            arguments += ["--dev-bind", path, path]
    for prefix in {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix)}:
        if prefix.startswith("/root/"):  # the Python in use, readable by all as in /usr
            top = "/".join(prefix.split("/")[:3])
            arguments += ["--ro-bind", top, top]
    # The course's Python where any user can reach it, as an installed grader has it: the
    # clone (and .venv in it) may sit in a folder only root can open, as in mktemp -d.
    arguments += ["--ro-bind", sys.prefix, VENV]
    for target, source in binds.items():
        arguments += ["--bind", str(source), target]
    path = (f"{machine['fake']}:" if not bwrap else "") + os.environ["PATH"]
    environment = {
        "PATH": path,
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "MLPCOURSE_PYTHON": PYTHON,
        "MLPCOURSE_SETUP_OFFLINE": "1",
    }
    return subprocess.run(
        ["/usr/bin/bwrap", *arguments, *options, "--chdir", cwd, "bash", "-c", command],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,  # a bound on a hang: a loaded machine takes minutes for some (setup.sh)
    )


def root_only_course(base: Path) -> Path:
    """The course as an instructor keeps it for a runner user, in ``base``: root only."""
    course = base / "course"
    shutil.copytree(ROOT / "mlpcourse", course / "mlpcourse")
    shutil.copytree(REFERENCE_DIR, course / "solutions" / "mlpcourse")
    course.parent.chmod(0o700)
    return course
