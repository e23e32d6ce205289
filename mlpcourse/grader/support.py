"""What every runner gets, however it is isolated: the support code, the environment, the files.

The runner sees the support code (this package without ``grader`` and ``course``:
:data:`SUPPORT`, copied once into a private folder), the student's exercise
modules copied in as plain files (:func:`copy_submission`), and an empty
environment but for the short allow-list :data:`ENVIRONMENT`.
"""

import atexit
import functools
import os
import shutil
import sys
import tempfile
from pathlib import Path

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.grader.files import Refused, read_handed_in

PACKAGE_DIR = Path(__file__).resolve().parents[1]


#: The support code the runner gets: what the exercise modules import, and the runner.
SUPPORT = (
    "__init__.py",
    "chapters.py",
    "gradcheck.py",
    "validation.py",
    "data.py",
    "data_files",
    "runner",
)


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


def runner_environment() -> dict[str, str]:
    passed = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    return {**ENVIRONMENT, **passed}


def python_prefixes() -> set[str]:
    """The folders of the Python in use, resolved: what a runner needs to start Python."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    # Package folders added by .pth files (a virtual environment layered on another one).
    return prefixes | {
        os.path.realpath(p)
        for p in sys.path
        if os.path.isdir(p) and os.path.basename(p) in ("site-packages", "dist-packages")
    }
