"""1. Stealing the reference: a sigmoid that reads, walks or imports its way to the reference.

Where an attack only fails because the sandbox stops it, the same submission is also
graded without the sandbox, to show that the attack itself works.
"""

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.grading import grade
from mlpcourse.implementation import REFERENCE_DIR

from ..helpers import LIMITS, ROOT, edit_function, outcome, submission
from .hostile import REFERENCE

pytestmark = pytest.mark.attack("stealing the reference")


IN_REPO = str(REFERENCE.relative_to(ROOT))
#: The reference's path without its first parts: ``work/main/solutions/...``, ``main/...``, ...
SUFFIXES = ["/".join(REFERENCE.parts[i:]) for i in range(1, len(REFERENCE.parts) - 1)]

#: Run what was found: a text holding the reference's sigmoid is executed and called.
STEAL_TAIL = """
needle = "np.exp(np.minimum(z, 0" + ".0))"  # the reference's σ, not this file's
for source in found:
    if isinstance(source, bytes):
        source = source.decode("utf-8", "replace")
    if needle not in source:
        continue
    lines = source.splitlines()
    # the whole module, or else the two lines of the solution (a fragment, a git delta)
    snippets = [source] + [
        "import numpy as np\\ndef sigmoid(z):\\n    z = np.asarray(z, dtype=np.float64)\\n"
        f"    {lines[i - 1].strip()}\\n    {line.strip()}\\n"
        for i, line in enumerate(lines) if needle in line and i > 0
    ]
    for snippet in snippets:
        namespace = {}
        try:
            exec(snippet, namespace)
            return namespace["sigmoid"](z)
        except Exception:
            pass
raise RuntimeError(f"nothing to steal among {len(found)} candidates")
"""


def reading(paths: str) -> str:
    """An attack that reads every path of the expression ``paths``."""
    return (
        "import os, sys\n"
        "found = []\n"
        f"for path in {paths}:\n"
        "    try:\n"
        "        with open(path, 'rb') as file:\n"
        "            found.append(file.read())\n"
        "    except OSError:\n"
        "        pass\n"
    ) + STEAL_TAIL


DIR_FD = (
    f"""
import os
found = []
for top in ("/", "/work", "/proc/1/root", "/proc/self/cwd", "/proc/self/root"):
    try:
        directory = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        continue
    for relative in {SUFFIXES!r}:
        for path in (relative, f"/proc/self/fd/{{directory}}/{{relative}}"):
            try:
                descriptor = os.open(path, os.O_RDONLY, dir_fd=directory)
            except OSError:
                continue
            with os.fdopen(descriptor, "rb") as file:
                found.append(file.read())
"""
    + STEAL_TAIL
)

GC_WALK = (
    """
import gc, types
found, functions = [], []
for item in gc.get_objects():
    if isinstance(item, types.FunctionType):
        if item.__name__ == "sigmoid" and item.__code__.co_filename != "mlpcourse/activations.py":
            functions.append(item)
    elif isinstance(item, dict):
        found += [v for v in list(item.values()) if isinstance(v, (str, bytes))]
    elif isinstance(item, (list, tuple)):
        found += [v for v in list(item) if isinstance(v, (str, bytes))]
for function in functions:
    try:
        return function(z)
    except Exception:
        pass
"""
    + STEAL_TAIL
)

FRAME_WALK = (
    """
import sys, types
found, functions, seen = [], [], set()
frame = sys._getframe()
while frame is not None:
    for scope in (frame.f_locals, frame.f_globals):
        values = list(scope.values())
        for value in values:
            if id(value) in seen:
                continue
            seen.add(id(value))
            if isinstance(value, types.ModuleType):
                values += list(vars(value).values())
            elif isinstance(value, (str, bytes)):
                found.append(value)
            elif getattr(value, "__name__", "") == "sigmoid" and callable(value):
                code = getattr(value, "__code__", None)
                if code is None or code.co_filename != "mlpcourse/activations.py":
                    functions.append(value)
    frame = frame.f_back
for function in functions:
    try:
        return function(z)
    except Exception:
        pass
"""
    + STEAL_TAIL
)

INSPECT_STACK = (
    """
import inspect
found, functions = [], []
for info in inspect.stack():
    for scope in (info.frame.f_locals, info.frame.f_globals):
        for name, value in list(scope.items()):
            if isinstance(value, str):
                found.append(value)
            elif inspect.ismodule(value):
                for member_name, member in inspect.getmembers(value):
                    if member_name == "sigmoid" and callable(member):
                        functions.append(member)
                    elif isinstance(member, str):
                        found.append(member)
for function in functions:
    code = getattr(function, "__code__", None)
    if code is not None and code.co_filename == "mlpcourse/activations.py":
        continue
    try:
        return function(z)
    except Exception:
        pass
"""
    + STEAL_TAIL
)

GIT_COMMAND = (
    f"""
import subprocess
found = []
for where in (["-C", {str(ROOT)!r}], ["--git-dir", {str(ROOT / ".git")!r}]):
    command = ["git", "-c", "safe.directory=*", *where, "show", "HEAD:" + {IN_REPO!r}]
    try:
        found.append(subprocess.run(command, capture_output=True, timeout=10).stdout)
    except (OSError, subprocess.SubprocessError):
        pass
"""
    + STEAL_TAIL
)

GIT_OBJECTS = (
    f"""
import os, zlib
found = []
for directory, _, files in os.walk({str(ROOT / ".git" / "objects")!r}):
    for name in files:
        try:
            with open(os.path.join(directory, name), "rb") as file:
                data = file.read()
        except OSError:
            continue
        if not name.endswith(".pack"):
            try:
                found.append(zlib.decompress(data).partition(b"\\0")[2])
            except zlib.error:
                pass
            continue
        start = data.find(b"\\x78")
        while start >= 0:
            try:
                found.append(zlib.decompressobj().decompress(data[start : start + 65536]))
            except zlib.error:
                pass
            start = data.find(b"\\x78", start + 1)
"""
    + STEAL_TAIL
)

BYTECODE = (
    f"""
import glob, marshal
found = []
for path in glob.glob({str(ROOT)!r} + "/**/__pycache__/activations*.pyc", recursive=True):
    try:
        with open(path, "rb") as file:
            code = marshal.loads(file.read()[16:])
        namespace = {{}}
        exec(code, namespace)
        return namespace["sigmoid"](z)
    except Exception:
        pass
"""
    + STEAL_TAIL
)

FILE_SYSTEM_WALK = (
    """
import os, time
found = []
deadline = time.monotonic() + 2.5
for directory, subdirectories, files in os.walk("/"):
    if directory in ("/proc", "/sys", "/dev") or time.monotonic() > deadline:
        subdirectories[:] = []
        continue
    for name in files:
        if name.startswith("activations") or name.endswith(".ipynb"):
            try:
                with open(os.path.join(directory, name), "rb") as file:
                    found.append(file.read(1 << 20))
            except OSError:
                pass
"""
    + STEAL_TAIL
)

INSTRUCTOR_PACKAGE = f"""
import importlib, sys
saved = {{k: v for k, v in sys.modules.items() if k == "mlpcourse" or k.startswith("mlpcourse.")}}
sys.path.insert(0, {str(ROOT)!r})
try:
    for name in saved:
        del sys.modules[name]
    implementation = importlib.import_module("mlpcourse.implementation")
    return implementation.load("reference").activations.sigmoid(z)
finally:
    sys.path.remove({str(ROOT)!r})
    for name in [k for k in sys.modules if k == "mlpcourse" or k.startswith("mlpcourse.")]:
        del sys.modules[name]
    sys.modules.update(saved)
"""


def _swap(folder: Path, make: Callable[[Path], None]) -> None:
    target = folder / "activations.py"
    target.unlink()
    make(target)


def _hard_link(target: Path) -> None:
    """A hard link to a copy of the reference (a link to the reference itself would outlive
    the test in pytest's folders and make the reference a hard link in its turn)."""
    copy = target.parent.parent / "reference-copy.py"
    shutil.copy(REFERENCE, copy)
    os.link(copy, target)


def _symlinked_folder(folder: Path) -> None:
    shutil.rmtree(folder)
    folder.symlink_to(REFERENCE_DIR, target_is_directory=True)


def _oversized(folder: Path) -> None:
    target = folder / "activations.py"
    target.write_text(REFERENCE.read_text() + "\n#" + "x" * (2 << 20) + "\n")


@dataclass(frozen=True)
class Steal:
    body: str = ""  # the attacked sigmoid's body
    prepare: Callable[[Path], None] | None = None  # or: a change to the mlpcourse/ folder
    expect: str = "nothing to steal"  # in the message of each attacked check
    unconfined: bool = False  # the attack succeeds without the sandbox: it is no dud


STEALING = {
    "open the reference by absolute path": Steal(reading(repr([str(REFERENCE)])), unconfined=True),
    "relative paths from the working folder": Steal(
        reading(f"['../' * k + s for k in range(12) for s in {SUFFIXES!r}]"), unconfined=True
    ),
    "relative paths from the submission and library folders": Steal(
        reading(
            "[os.path.join(base, '../' * k + s) for base in sys.argv[1:3] "
            f"for k in range(12) for s in {SUFFIXES!r}]"
        ),
        unconfined=True,
    ),
    "os.open with dir_fd": Steal(DIR_FD, unconfined=True),
    "/proc/self/cwd and /proc/self/root": Steal(
        reading(
            f"['/proc/self/cwd/' + '../' * k + s for k in range(12) for s in {SUFFIXES!r}]"
            f" + ['/proc/self/root/' + s for s in {SUFFIXES!r}]"
        ),
        unconfined=True,
    ),
    "/proc/1/root and /proc/1/cwd": Steal(
        reading(f"['/proc/1/' + kind + '/' + s for kind in ('root', 'cwd') for s in {SUFFIXES!r}]")
    ),
    "every process's root and cwd": Steal(
        reading(
            "[f'/proc/{p}/{kind}/{s}' for p in os.listdir('/proc') if p.isdigit() "
            f"for kind in ('root', 'cwd') for s in {SUFFIXES!r}]"
        ),
        unconfined=True,
    ),
    "gc.get_objects for reference functions and sources": Steal(GC_WALK),
    "sys._getframe walk for reference functions": Steal(FRAME_WALK),
    "inspect.stack for reference functions": Steal(INSPECT_STACK),
    "git show of the reference": Steal(GIT_COMMAND, unconfined=shutil.which("git") is not None),
    # Without the sandbox this works only while the blob is loose (a fresh clone packs it).
    "the .git objects, decompressed": Steal(GIT_OBJECTS),
    "cached bytecode of the reference": Steal(BYTECODE),
    "a search of the whole file system": Steal(FILE_SYSTEM_WALK),
    "import mlpcourse.grader": Steal(
        "from mlpcourse.grader import reference\n"
        "return reference.function('activations.sigmoid')(z)",
        expect="ModuleNotFoundError",
    ),
    "load('reference') of mlpcourse.course": Steal(
        "from mlpcourse.implementation import load\n"
        "return load('reference').activations.sigmoid(z)",
        expect="ModuleNotFoundError",
    ),
    "import the instructor's package from its path": Steal(
        INSTRUCTOR_PACKAGE, expect="ModuleNotFoundError", unconfined=True
    ),
    "the module a symbolic link to the reference": Steal(
        prepare=lambda f: _swap(f, lambda t: t.symlink_to(REFERENCE)), expect="symbolic link"
    ),
    "the module a relative symbolic link to the reference": Steal(
        prepare=lambda f: _swap(f, lambda t: t.symlink_to(os.path.relpath(REFERENCE, f))),
        expect="symbolic link",
    ),
    "the module a hard link to the reference": Steal(
        prepare=lambda f: _swap(f, _hard_link), expect="hard link"
    ),
    "the mlpcourse folder a symbolic link to the reference's": Steal(
        prepare=_symlinked_folder, expect="symbolic link"
    ),
    "the module a FIFO": Steal(
        prepare=lambda f: _swap(f, lambda t: os.mkfifo(t)), expect="not a regular file"
    ),
    "the module a directory": Steal(
        prepare=lambda f: _swap(f, lambda t: t.mkdir()), expect="not a regular file"
    ),
    "the module over 1 MiB": Steal(prepare=_oversized, expect="over 1 MiB"),
}


@pytest.mark.parametrize("attack", STEALING, ids=list(STEALING))
def test_stealing_the_reference_gains_nothing(attack, tmp_path):
    steal = STEALING[attack]
    edits = {"activations": edit_function("sigmoid", steal.body)} if steal.body else {}
    student = submission(tmp_path, **edits)
    if steal.prepare is not None:
        steal.prepare(student / "mlpcourse")
    results = outcome(grade(student, LIMITS, modules=["activations"]))
    attacked = ["activations::sigmoid"]
    if steal.prepare is not None:
        attacked = [c.id for c in CHECKS if c.module == "activations"]
    for check_id in attacked:
        passed, message = results[check_id]
        assert not passed, f"{attack}: {check_id} passed: the attack got the reference"
        assert steal.expect in message, (check_id, message)
    if steal.unconfined:
        unconfined = outcome(
            grade(student, LIMITS, modules=["activations"], sandbox=False, only=attacked)
        )
        assert unconfined["activations::sigmoid"][0], (
            f"{attack} fails even without the sandbox, so this case proves nothing: "
            f"{unconfined['activations::sigmoid'][1]}"
        )
