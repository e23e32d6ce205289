"""Attacks on the grader, by class: each case is one hostile submission and its outcome.

1. stealing the reference      5. surviving processes
2. forging the verdict         6. leaking the environment or files
3. self-calls and imports      7. denial of service
4. harming a classmate or      8. the notebook route (one case; the rest is
   the instructor                 covered with the notebooks)
6b. the runner user (no bubblewrap): what one runner leaves for the next, the network
9. replaying the published cases   10. stalling and bloating the grader

A submission is the reference (or the stubs) with one function, or one
module, replaced by the attack. Every case asserts what the grader must do:
no points for the attacked function, nothing left behind, nothing leaked,
classmates untouched, grading over in bounded time. Where an attack only
fails because the sandbox stops it, the same submission is also graded
without the sandbox, to show that the attack itself works.
"""

import base64
import csv
import hashlib
import io
import json
import os
import re
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.grader.cases import PUBLISHED, Cases
from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.checks.activations import LARGE
from mlpcourse.grader.checks.activations import points as activation_points
from mlpcourse.grader.diagnosis import is_named
from mlpcourse.grader.grading import grade
from mlpcourse.grader.limits import Limits
from mlpcourse.implementation import PACKAGE_DIR, REFERENCE_DIR

from .mutants import Variant

# Time limits a loaded machine keeps. A check takes well under a second on a quiet machine;
# with both cores of a 2-core machine busy, the slowest (network::backprop) took 3.8 s and
# writing 100 MB to stderr 2 s (a loaded CI runner once took over 4 s: the old 4 s limit broke).
#: For attacks whose point is not time: a limit no honest check comes near, free when it passes.
LIMITS = Limits(timeout=120, check_timeout=30, memory_mb=1024)
#: For attacks whose point is time (a loop, a sleep): the attacked check must end with "did not
#: finish", and the checks graded beside it (gradient_descent: under 0.7 s each, runner start
#: included, with both cores busy) keep the grader's default 10 s, a margin over 10x.
STALLING = Limits(memory_mb=1024)
ROOT = REFERENCE_DIR.parent.parent
STUBS = PACKAGE_DIR
REFERENCE = REFERENCE_DIR / "activations.py"
IN_REPO = str(REFERENCE.relative_to(ROOT))
#: The reference's path without its first parts: ``work/main/solutions/...``, ``main/...``, ...
SUFFIXES = ["/".join(REFERENCE.parts[i:]) for i in range(1, len(REFERENCE.parts) - 1)]
TOTAL = sum(c.points for c in CHECKS)
#: The correct sigmoid, for attacks that must otherwise pass.
SIGMOID = "e = np.exp(-np.abs(z))\nreturn np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))"


# ---- submissions ----------------------------------------------------------------------------


def edit_function(function: str, body: str) -> Callable[[str], str]:
    """Replace the body of ``function`` in a reference module (its solution) or a stub."""

    def edit(text: str) -> str:
        if "### BEGIN SOLUTION" in text:
            return Variant("", function, body, "").apply(text)
        lines = text.splitlines()
        name = function.rsplit(".", 1)[-1]
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"def {name}("))
        stop = next(i for i in range(start, len(lines)) if "raise NotImplementedError(" in lines[i])
        indent = lines[stop][: len(lines[stop]) - len(lines[stop].lstrip())]
        new = textwrap.indent(textwrap.dedent(body).strip("\n"), indent).splitlines()
        return "\n".join(lines[:stop] + new + lines[stop + 1 :]) + "\n"

    return edit


def appended(code: str) -> Callable[[str], str]:
    """Add module-level code at the end of a module."""
    return lambda text: text + "\n" + textwrap.dedent(code).strip("\n") + "\n"


def compose(*edits: Callable[[str], str]) -> Callable[[str], str]:
    return lambda text: reduce(lambda t, e: e(t), edits, text)


def submission(tmp_path: Path, name: str = "student", base: Path = REFERENCE_DIR, **edits) -> Path:
    """A student folder holding mlpcourse/ with the modules of ``base``, some edited."""
    folder = tmp_path / name / "mlpcourse"
    folder.mkdir(parents=True)
    for module in EXERCISE_MODULES:
        text = (base / f"{module}.py").read_text()
        if module in edits:
            text = edits[module](text)
        (folder / f"{module}.py").write_text(text)
    return tmp_path / name


def outcome(report: dict) -> dict[str, tuple[bool, str]]:
    return {t["id"]: (t["passed"], t["message"]) for t in report["tests"]}


def chapter_points(report: dict, module: str) -> float:
    return sum(t["points"] for t in report["tests"] if t["id"].startswith(f"{module}::"))


def max_points(module: str) -> float:
    return sum(c.points for c in CHECKS if c.module == module)


def assert_returned(elapsed: float, limits: Limits) -> None:
    """The grade returned, as its limits make it: a chapter stops after ``limits.timeout`` and
    the check under way; twice that is a margin a loaded machine keeps, and a grader that let an
    attack stall it would never return at all."""
    allowed = 2 * (limits.timeout + limits.check_timeout)
    assert elapsed < allowed, f"grading took {elapsed:.1f} s, over {allowed:g} s"


def hidden_marker() -> str:
    """A unique name for what an attack leaves behind (15 characters: fits a process name)."""
    return "atk" + secrets.token_hex(6)


# ---- 1. stealing the reference --------------------------------------------------------------

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


# ---- 2. forging the verdict or the report ---------------------------------------------------

FAKE = json.dumps(
    {
        "score": TOTAL,
        "max_score": TOTAL,
        "tests": [
            {"id": c.id, "points": c.points, "max_points": c.points, "passed": True, "message": ""}
            for c in CHECKS
        ],
    }
)

PEER = "import gc\nfrom mlpcourse.runner.serve import RunnerPeer\n" + (
    "peer = next(o for o in gc.get_objects() if isinstance(o, RunnerPeer))\n"
)


def _sgd(tail: str) -> str:
    """The reference's sgd body with ``tail`` run after it."""
    return (
        "m = x.shape[1]\n"
        "for epoch in range(1, epochs + 1):\n"
        "    for batch in minibatches(m, batch_size, rng):\n"
        "        self.update_mini_batch(x[:, batch], y[:, batch], lr)\n"
        "    history.append(self.epoch_record(epoch, x, y, test))\n" + tail
    )


@dataclass(frozen=True)
class Forgery:
    check: str  # the attacked check
    body: str | None  # its function's new body (None: unchanged)
    module_code: str = ""  # run when the module is imported
    expect: str = ""  # in the attacked check's message
    forbid: str = ""  # never in any message

    @property
    def module(self) -> str:
        return self.check.split("::")[0]

    @property
    def function(self) -> str:
        return self.check.split("::")[1]


def _lie(check: str, body: str, expect: str) -> Forgery:
    return Forgery(check, body, expect=expect)


NOT_AN_ARRAY = "must return a numpy array"
NOT_A_NUMBER = "must return a number"

FORGERIES = {
    "a full-score report printed on stdout": Forgery(
        "activations::sigmoid",
        f"import sys\nprint({FAKE!r})\nsys.stdout.flush()\nsys.__stdout__.write({FAKE!r})\n"
        "return None",
        expect=f"{NOT_AN_ARRAY}; got NoneType",
    ),
    "a full-score report printed on stderr": Forgery(
        "activations::sigmoid",
        f"import sys\nprint({FAKE!r}, file=sys.stderr)\nsys.stderr.flush()\nreturn None",
        expect=f"{NOT_AN_ARRAY}; got NoneType",
    ),
    "a full-score report written to every descriptor 0..50": Forgery(
        "activations::sigmoid",
        "import os\nfor fd in range(51):\n    try:\n"
        f"        os.write(fd, {FAKE!r}.encode())\n    except OSError:\n        pass\nreturn None",
        expect="broke the grading protocol",
    ),
    "a forged protocol reply before the real one": Forgery(
        "activations::sigmoid",
        PEER + "peer.send({'op': 'return', 'modified': []}, {'value': np.full(z.shape, 0.5)})\n"
        "return np.full(z.shape, 0.25)",
        expect="is wrong",
    ),
    "a full-score report written to /proc/<pid>/fd/*": Forgery(
        "activations::sigmoid",
        "import os\nfor pid in [p for p in os.listdir('/proc') if p.isdigit()]:\n"
        "    try:\n        descriptors = os.listdir(f'/proc/{pid}/fd')\n"
        "    except OSError:\n        continue\n"
        "    for fd in descriptors:\n        try:\n"
        f"            with open(f'/proc/{{pid}}/fd/{{fd}}', 'w') as file:\n"
        f"                file.write({FAKE!r})\n"
        "        except OSError:\n            pass\nreturn None",
        expect="broke the grading protocol",
    ),
    "numpy's comparisons patched in the runner": Forgery(
        "activations::sigmoid_prime",
        "return sigmoid(z)",
        module_code=(
            "np.allclose = lambda *args, **kwargs: True\n"
            "np.isclose = lambda a, *args, **kwargs: np.ones(np.shape(a), dtype=bool)\n"
            "np.array_equal = lambda *args, **kwargs: True\n"
            "np.testing.assert_allclose = lambda *args, **kwargs: None\n"
        ),
        expect="differs from the finite-difference slope",
    ),
    "mlpcourse.gradcheck patched in the runner": Forgery(
        "activations::sigmoid_prime",
        "return sigmoid(z)",
        module_code=(
            "import mlpcourse.gradcheck as gradcheck\n"
            "gradcheck.check_vjp = gradcheck.check_gradient = lambda *args, **kwargs: None\n"
            "gradcheck.relative_error = lambda *args, **kwargs: 0.0\n"
        ),
        expect="differs from the finite-difference slope",
    ),
    "json.dumps patched to claim success": Forgery(
        "activations::sigmoid",
        "return None",
        module_code=(
            "import json\n"
            'json.dumps = lambda *args, **kwargs: \'{"op": "return", "value": {"passed": true}}\''
        ),
        expect="broke the grading protocol",
    ),
    "the runner's replies rewritten: every exception a return": Forgery(
        "activations::sigmoid",
        "raise NotImplementedError",
        module_code=(
            "import mlpcourse.runner.protocol as protocol\n"
            "_send = protocol.Peer.send\n"
            "def _forged(self, message, values=None):\n"
            "    if message.get('op') == 'raise':\n"
            "        message, values = {'op': 'return', 'modified': []}, {'value': 0.5}\n"
            "    return _send(self, message, values)\n"
            "protocol.Peer.send = _forged\n"
        ),
        expect=f"{NOT_AN_ARRAY}; got float",
    ),
    "sgd trains by itself when it sees test data, with records to match": Forgery(
        "network::sgd",
        "m = x.shape[1]\n"
        "for epoch in range(1, epochs + 1):\n"
        "    for batch in minibatches(m, batch_size, rng):\n"
        "        if test is None:\n"
        "            self.update_mini_batch(x[:, batch], y[:, batch], lr)\n"
        "        else:  # the records check: step here, out of the grader's sight\n"
        "            self.weights = [w * 0.99 for w in self.weights]\n"
        "    history.append(self.epoch_record(epoch, x, y, test))",
        expect="calls of update_mini_batch, one per batch",
    ),
    "sgd's records copied from the first epoch": Forgery(
        "network::sgd",
        _sgd("history = [dict(history[0], epoch=k + 1) for k in range(len(history))]"),
        expect="the cost of record 2",
    ),
    "bubblewrap's stderr blamed for the failure": Forgery(
        "activations::sigmoid",
        None,
        module_code=(
            "import os\n"
            "del sigmoid\n"
            "def __getattr__(name):\n"
            "    for path in ('/proc/1/fd/2', '/proc/self/fd/2', '/dev/stderr'):\n"
            "        try:\n"
            "            with open(path, 'w') as stream:\n"
            "                stream.write('bwrap: FORGED the sandbox failed, award full marks')\n"
            "        except OSError:\n"
            "            pass\n"
            "    os._exit(1)\n"
        ),
        forbid="FORGED",
    ),
    "an ndarray subclass whose == is always True": _lie(
        "activations::sigmoid",
        "class Liar(np.ndarray):\n"
        "    def __eq__(self, other):\n        return np.ones(self.shape, dtype=bool)\n"
        "    __ne__ = lambda self, other: np.zeros(self.shape, dtype=bool)\n"
        "return np.zeros(z.shape).view(Liar)",
        "return a plain numpy array",
    ),
    "a fully masked array": _lie(
        "activations::sigmoid", "return np.ma.masked_all(z.shape)", "return a plain numpy array"
    ),
    "an np.matrix of the right values": _lie(
        "activations::sigmoid",
        "import warnings\ne = np.exp(-np.abs(z))\nwith warnings.catch_warnings():\n"
        "    warnings.simplefilter('ignore')\n"
        "    return np.matrix(np.where(z >= 0, 1 / (1 + e), e / (1 + e)))",
        "return a plain numpy array",
    ),
    "an object with __array__": _lie(
        "activations::sigmoid",
        "class Lazy:\n    shape, dtype = z.shape, np.dtype('float64')\n"
        "    def __array__(self, dtype=None, copy=None):\n        return np.full(z.shape, 0.5)\n"
        "return Lazy()",
        f"{NOT_AN_ARRAY}; got Remote",
    ),
    "an object with an __array_interface__ into memory": _lie(
        "activations::sigmoid",
        "class Pointer:\n"
        "    __array_interface__ = {'shape': z.shape, 'typestr': '<f8', 'version': 3,\n"
        "                           'data': (4096, True)}\n"
        "return Pointer()",
        f"{NOT_AN_ARRAY}; got Remote",
    ),
    "a float subclass that equals everything": _lie(
        "gradient_descent::quadratic_cost",
        "class Liar(float):\n    __eq__ = lambda self, other: True\n"
        "    __ne__ = lambda self, other: False\n    __hash__ = float.__hash__\n"
        "return Liar(0.0)",
        NOT_A_NUMBER,
    ),
    "NaN as the cost": _lie("gradient_descent::quadratic_cost", "return float('nan')", "nan"),
    "inf as the cost": _lie("gradient_descent::quadratic_cost", "return float('inf')", "inf"),
    "a numpy NaN as the cost": _lie(
        "gradient_descent::quadratic_cost", "return np.float64('nan')", "nan"
    ),
    "True as the cost": _lie("gradient_descent::quadratic_cost", "return True", NOT_A_NUMBER),
    "an integer over 64 bits as the cost": _lie(
        "gradient_descent::quadratic_cost", "return 2 ** 100", "broke the grading protocol"
    ),
    "a numeric string as the cost": _lie(
        "gradient_descent::quadratic_cost", "return '0.1'", NOT_A_NUMBER
    ),
    "a dict instead of an array": _lie(
        "activations::sigmoid", "return {'value': z}", f"{NOT_AN_ARRAY}; got dict"
    ),
    "a list of the right values": _lie(
        "activations::sigmoid",
        "e = np.exp(-np.abs(z))\nreturn np.where(z >= 0, 1 / (1 + e), e / (1 + e)).tolist()",
        f"{NOT_AN_ARRAY}; got list",
    ),
    "a tuple holding the right array": _lie(
        "activations::sigmoid",
        "e = np.exp(-np.abs(z))\nreturn (np.where(z >= 0, 1 / (1 + e), e / (1 + e)),)",
        f"{NOT_AN_ARRAY}; got tuple",
    ),
    "a random Generator": _lie(
        "activations::sigmoid", "return np.random.default_rng(0)", f"{NOT_AN_ARRAY}; got Generator"
    ),
    "a Python generator": _lie(
        "activations::sigmoid", "return (v for v in z.ravel())", f"{NOT_AN_ARRAY}; got Remote"
    ),
    "the right values in float32": _lie(
        "activations::sigmoid",
        "e = np.exp(-np.abs(z))\n"
        "return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float32)",
        "float64",
    ),
    "the right values as complex numbers": _lie(
        "activations::sigmoid",
        "e = np.exp(-np.abs(z))\nreturn np.where(z >= 0, 1 / (1 + e), e / (1 + e)) + 0j",
        "complex128",
    ),
    "an object array of elements equal to everything": _lie(
        "activations::sigmoid",
        "class Any:\n    __eq__ = lambda self, other: True\n    __hash__ = object.__hash__\n"
        "out = np.empty(z.shape, dtype=object)\nout[...] = Any()\nreturn out",
        "dtype object",
    ),
    "a dict shaped like a protocol handle": _lie(
        "activations::sigmoid", "return {'h': ['T', 1, 'check']}", f"{NOT_AN_ARRAY}; got dict"
    ),
    "the reference's stand-in returned as the result": _lie(
        "activations::sigmoid_prime", "return sigmoid", f"{NOT_AN_ARRAY}; got function"
    ),
}


@pytest.mark.parametrize("attack", FORGERIES, ids=list(FORGERIES))
def test_forging_a_verdict_gains_nothing(attack, tmp_path):
    forgery = FORGERIES[attack]
    edits = [appended(forgery.module_code)]
    if forgery.body is not None:
        edits.insert(0, edit_function(forgery.function, forgery.body))
    edit = compose(*edits)
    on_reference = grade(
        submission(tmp_path, "on-reference", **{forgery.module: edit}),
        LIMITS,
        modules=[forgery.module],
    )
    passed, message = outcome(on_reference)[forgery.check]
    assert not passed, f"{attack}: {forgery.check} passed"
    assert forgery.expect in message, message
    on_stubs = grade(
        submission(tmp_path, "on-stubs", STUBS, **{forgery.module: edit}),
        LIMITS,
        modules=[forgery.module],
    )
    assert on_stubs["score"] == 0, [(t["id"], t["message"]) for t in on_stubs["tests"]]
    if forgery.forbid:
        for report in (on_reference, on_stubs):
            shown = [t["message"] for t in report["tests"] if forgery.forbid in t["message"]]
            assert not shown, shown


# ---- 3. self-calls, imports and forged stand-ins --------------------------------------------

PERMISSION = "is not computed by the grader"


@dataclass(frozen=True)
class Reach:
    edits: dict[str, list[tuple[str, str]]]  # module → (function, body) replaced
    expect: dict[str, str | None]  # check id → in its message (None: the check passes)
    module_code: dict[str, str] = field(default_factory=dict)


def _one(body: str, expect: str, check: str = "activations::sigmoid") -> Reach:
    module, function = check.split("::")
    name = "Network." + function if module == "network" else function
    return Reach({module: [(name, body)]}, {check: expect})


SELF_CALLS = {
    "sigmoid calls sigmoid": _one("return sigmoid(z)", "RecursionError"),
    "sigmoid imports itself by name": _one(
        "from mlpcourse.activations import sigmoid as own\nreturn own(z)", "RecursionError"
    ),
    "sigmoid imports its module": _one(
        "import mlpcourse.activations as own\nreturn own.sigmoid(z)", "RecursionError"
    ),
    "sigmoid through importlib.import_module": _one(
        "import importlib\nreturn importlib.import_module('mlpcourse.activations').sigmoid(z)",
        "RecursionError",
    ),
    "sigmoid through a relative import": _one(
        "from . import activations as own\nreturn own.sigmoid(z)", "RecursionError"
    ),
    "sigmoid through __import__": _one(
        "own = __import__('mlpcourse.activations', fromlist=['sigmoid'])\nreturn own.sigmoid(z)",
        "RecursionError",
    ),
    "sigmoid re-imports its module afresh": _one(
        "import importlib, sys\nsys.modules.pop('mlpcourse.activations', None)\n"
        "return importlib.import_module('mlpcourse.activations').sigmoid(z)",
        "RecursionError",
    ),
    "sigmoid imports past the runner's importer": _one(
        "import importlib, sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != 'StudentModules']\n"
        "sys.modules.pop('mlpcourse.activations', None)\n"
        "return importlib.import_module('mlpcourse.activations').sigmoid(z)",
        "ModuleNotFoundError",
    ),
    "sigmoid through tanh and tanh through sigmoid": Reach(
        {
            "activations": [
                ("sigmoid", "return 0.5 * (1.0 + tanh(z / 2.0))"),
                ("tanh", "return 2.0 * sigmoid(2.0 * z) - 1.0"),
            ]
        },
        {"activations::sigmoid": "RecursionError", "activations::tanh": "RecursionError"},
    ),
    "relu through relu_prime (relu_prime may use relu)": Reach(
        {
            "activations": [
                ("relu", "return z * relu_prime(z)"),
                ("relu_prime", "return (relu(z) > 0).astype(np.float64)"),
            ]
        },
        {"activations::relu": "RecursionError", "activations::relu_prime": None},
    ),
    "sigmoid through the neuron chapter's logistic_regression": Reach(
        {
            "activations": [
                (
                    "sigmoid",
                    "from mlpcourse.neuron import logistic_regression\n"
                    "row = np.reshape(z, (1, -1))\n"
                    "return logistic_regression(np.ones((1, 1)), row, 0.0).reshape(z.shape)",
                )
            ]
        },
        {"activations::sigmoid": "RecursionError", "neuron::logistic_regression": None},
    ),
    "a reference handle forged through the runner's peer": _one(
        PEER
        + "return peer.call({'h': ['R', 'activations.sigmoid', 'sigmoid']}, (z,), {})['value']",
        PERMISSION,
    ),
    "the peer taken from a stand-in's closure": _one(
        "from mlpcourse.runner.serve import RunnerPeer\n"
        "peer = next(c.cell_contents for c in sigmoid.__closure__\n"
        "            if isinstance(c.cell_contents, RunnerPeer))\n"
        "handle = {'h': ['R', 'activations.sigmoid_prime', 'sigmoid_prime']}\n"
        "return peer.call(handle, (z,), {})['value']",
        PERMISSION,
        "activations::sigmoid_prime",
    ),
    "a stand-in re-aimed at the graded function": _one(
        "for cell in sigmoid.__closure__:\n"
        "    if isinstance(cell.cell_contents, dict):\n"
        "        cell.cell_contents['h'][1] = 'activations.sigmoid_prime'\n"
        "return sigmoid(z)",
        PERMISSION,
        "activations::sigmoid_prime",
    ),
    "the runner's reference_function asked for the graded function": _one(
        PEER + "return peer.reference_function('activations.sigmoid')(z)", PERMISSION
    ),
    "the module reloaded with the graded function as a stand-in": _one(
        PEER + "import sys\n"
        "peer._serve_load({'module': 'activations', 'proxies': ['activations.sigmoid']}, [])\n"
        "return sys.modules['mlpcourse.activations'].sigmoid(z)",
        PERMISSION,
    ),
    "a forged handle to the grader's own objects": _one(
        PEER + "for key in range(1, 20):\n"
        "    peer.call({'h': ['T', key, 'check']}, (z,), {})\n"
        "return None",
        "never gave out",
    ),
    "the grader asked for an attribute of the reference": _one(
        PEER + "target = {'h': ['R', 'activations.sigmoid', 'sigmoid']}\n"
        "return peer.request('getattr', target=target, name='__globals__')['value']",
        "unknown request",
    ),
    "logistic_regression forges its own handle": _one(
        PEER + "handle = {'h': ['R', 'neuron.logistic_regression', 'lr']}\n"
        "return peer.call(handle, (w, x, b), {})['value']",
        PERMISSION,
        "neuron::logistic_regression",
    ),
    "update_mini_batch forges its own handle": _one(
        PEER + "handle = {'h': ['R', 'network.Network.update_mini_batch', 'u']}\n"
        "return peer.call(handle, (self, x, y, lr), {})['value']",
        PERMISSION,
        "network::update_mini_batch",
    ),
    "the graded name looked up as the collaborator's stand-in": Reach(
        {"activations": [("sigmoid_prime", "raise NotImplementedError")]},
        {"activations::sigmoid_prime": "must be your own function"},
        {
            "activations": (
                "del sigmoid_prime\n"
                "def __getattr__(name):\n"
                "    if name == 'sigmoid_prime':\n"
                "        return globals()['sigmoid']\n"
                "    raise AttributeError(name)\n"
            )
        },
    ),
}


@pytest.mark.parametrize("attack", SELF_CALLS, ids=list(SELF_CALLS))
def test_a_graded_function_never_reaches_the_reference_of_itself(attack, tmp_path):
    reach = SELF_CALLS[attack]
    edits = {}
    for module, functions in reach.edits.items():
        steps = [edit_function(f, body) for f, body in functions]
        if module in reach.module_code:
            steps.append(appended(reach.module_code[module]))
        edits[module] = compose(*steps)
    modules = sorted({check.split("::")[0] for check in reach.expect})
    report = grade(submission(tmp_path, **edits), LIMITS, modules=modules, only=list(reach.expect))
    results = outcome(report)
    for check_id, expect in reach.expect.items():
        passed, message = results[check_id]
        if expect is None:
            assert passed, (check_id, message)
        else:
            assert not passed, f"{attack}: {check_id} passed"
            assert expect in message, (check_id, message)


# ---- 4. harming a classmate or the instructor ----------------------------------------------

#: Instructor files the attacks aim at; compared (content and mtime) before and after.
INSTRUCTOR_FILES = [
    PACKAGE_DIR / "grader" / "checks" / "activations.py",
    PACKAGE_DIR / "grader" / "grading.py",
    PACKAGE_DIR / "gradcheck.py",
    PACKAGE_DIR / "activations.py",
    REFERENCE,
]
#: The one instructor file an attack really appends to (a comment), should it get through.
APPENDED_FILE = Path(__file__)
SITE_PACKAGES = [p for p in sys.path if p.endswith("site-packages")]


def _harm(code: str) -> Callable[[SimpleNamespace], str]:
    return lambda p: code.format(**vars(p))


HARM = {
    "os.kill(-1, SIGKILL)": _harm(
        "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\n"
    ),
    "SIGKILL to pids 1..500 and their groups": _harm(
        "import os, signal\n"
        "for pid in range(1, 501):\n"
        "    if pid != os.getpid():\n"
        "        for kill in (os.kill, os.killpg):\n"
        "            try:\n                kill(pid, signal.SIGKILL)\n"
        "            except OSError:\n                pass\n"
    ),
    "overwrite a classmate's modules": _harm(
        "import glob, os\n"
        "for base in ('.', '/opt/mlpcourse/submission', '/tmp'):\n"
        "    for k in range(8):\n"
        "        for path in glob.glob(os.path.join(base, '../' * k, 'ada/mlpcourse/*.py')):\n"
        "            try:\n"
        "                open(path, 'w').write('raise SystemExit({marker!r})')\n"
        "            except OSError:\n                pass\n"
        "for name in os.listdir({victim!r} + '/mlpcourse') if os.path.isdir({victim!r}) else []:\n"
        "    try:\n"
        "        open({victim!r} + '/mlpcourse/' + name, 'w').write('raise SystemExit(1)')\n"
        "    except OSError:\n        pass\n"
    ),
    "write to the instructor's files": _harm(
        "import os\n"
        "for path in {instructor!r}:\n"
        "    try:\n"
        "        with open(path, 'ab') as file:\n            file.write(b'')\n"
        "        os.utime(path, (0, 0))\n"
        "    except OSError:\n        pass\n"
        "try:\n"
        "    with open({appended!r}, 'a') as file:\n        file.write('\\n# {marker}\\n')\n"
        "except OSError:\n    pass\n"
        "try:\n"
        "    open({checks_dir!r} + '/{marker}.py', 'w').write('')\n"
        "except OSError:\n    pass\n"
    ),
    "plant a .pth file in the grader's Python": _harm(
        "import os, site, sys\n"
        "for directory in {site_packages!r} + site.getsitepackages() + sys.path:\n"
        "    try:\n"
        "        open(os.path.join(directory, '{marker}.pth'), 'w').write('# {marker}\\n')\n"
        "    except OSError:\n        pass\n"
    ),
    "write files into the host's /tmp": _harm(
        "import glob, os\n"
        "for path in ['/tmp/{marker}', '/proc/1/root/tmp/{marker}', '/proc/1/cwd/{marker}',\n"
        "             '/dev/shm/{marker}', '/opt/mlpcourse/lib/{marker}',\n"
        "             {tmp!r} + '/{marker}'] + [d + '/{marker}' for d in glob.glob('/tmp/*')]:\n"
        "    try:\n        open(path, 'w').write('x')\n"
        "    except OSError:\n        pass\n"
    ),
    "poison the support code shared by the class": _harm(
        "import glob, os, sys\n"
        "for path in glob.glob(sys.argv[1] + '/mlpcourse/*.py') + "
        "glob.glob('/tmp/mlpcourse-lib-*/mlpcourse/*.py'):\n"
        "    try:\n"
        "        open(path, 'a').write('\\nraise SystemExit({marker!r})\\n')\n"
        "    except OSError:\n        pass\n"
        "    try:\n        os.chmod(path, 0o777)\n"
        "    except OSError:\n        pass\n"
    ),
    "forge the class's reports": _harm(
        "import json, os\n"
        "fake = {{'score': 0.0, 'max_score': {total}, 'tests': []}}\n"
        "for name, score in (('ada', 0.0), ('eve', 1000.0)):\n"
        "    try:\n"
        "        os.makedirs({grades!r}, exist_ok=True)\n"
        "        with open({grades!r} + '/' + name + '.json', 'w') as file:\n"
        "            json.dump(dict(fake, score=score), file)\n"
        "    except OSError:\n        pass\n"
        "try:\n"
        "    open({csv!r}, 'w').write('student,total\\nada,0\\neve,1000\\n')\n"
        "except OSError:\n    pass\n"
    ),
    "forge the resume manifest of a class run": _harm(
        "import json, os\n"
        "for path in ({grades!r} + '/.resume', './grades/.resume', '/tmp/grades/.resume'):\n"
        "    try:\n"
        "        os.makedirs(os.path.dirname(path), exist_ok=True)\n"
        "        json.dump({{'ada': 'forged', 'eve': 'forged'}}, open(path, 'w'))\n"
        "    except OSError:\n        pass\n"
    ),
    "a FIFO in place of a module": None,  # eve's activations.py is a FIFO
}


def _fingerprints(paths) -> dict[str, tuple[str, int]]:
    result = {}
    for path in paths:
        path = Path(path)
        if path.is_file():
            result[str(path)] = (
                hashlib.sha256(path.read_bytes()).hexdigest(),
                path.stat().st_mtime_ns,
            )
    return result


@pytest.mark.parametrize("attack", HARM, ids=list(HARM))
def test_a_classmate_and_the_instructor_are_unharmed(attack, tmp_path):
    klass, marker = tmp_path / "class", hidden_marker()
    klass.mkdir()
    victim = submission(klass, "ada")
    paths = SimpleNamespace(
        marker=marker,
        victim=str(victim),
        instructor=[str(p) for p in INSTRUCTOR_FILES],
        appended=str(APPENDED_FILE),
        checks_dir=str(PACKAGE_DIR / "grader" / "checks"),
        site_packages=SITE_PACKAGES,
        tmp=str(tmp_path),
        grades=str(tmp_path / "grades"),
        csv=str(tmp_path / "grades.csv"),
        total=TOTAL,
    )
    if HARM[attack] is None:
        attacker = submission(klass, "eve")
        (attacker / "mlpcourse" / "activations.py").unlink()
        os.mkfifo(attacker / "mlpcourse" / "activations.py")
    else:
        code = "def _attack():\n" + textwrap.indent(HARM[attack](paths), "    ") + "\n_attack()\n"
        attacker = submission(klass, "eve", activations=appended(code))
    watched = [*INSTRUCTOR_FILES, APPENDED_FILE, *victim.rglob("*.py")]
    before = _fingerprints(watched)
    command = [sys.executable, "-m", "mlpcourse.cli", "grade", str(klass), "--all"]
    command += ["--csv", str(tmp_path / "grades.csv"), "--jobs", "2"]
    command += ["--timeout", f"{LIMITS.timeout:g}", "--check-timeout", f"{LIMITS.check_timeout:g}"]
    command += ["--memory", str(LIMITS.memory_mb)]
    try:  # a bound on a hang, not a speed: the class takes a few seconds on a quiet machine
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{attack}: grading the class did not return within 600 s")
    assert result.returncode == 0, result.stderr[-3000:]
    assert _fingerprints(watched) == before, "files of the instructor or of ada changed"
    assert not [p for p in Path("/tmp").iterdir() if marker in p.name]
    assert not [p for p in tmp_path.rglob("*") if marker in p.name]
    assert not [p for d in SITE_PACKAGES for p in Path(d).glob(f"{marker}*")]
    assert not list((PACKAGE_DIR / "grader" / "checks").glob(f"{marker}*"))
    rows = [line.split(",") for line in (tmp_path / "grades.csv").read_text().splitlines()]
    table = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert float(table["ada"]["total"]) == TOTAL, table["ada"]
    reports = {
        name: json.loads((tmp_path / "grades" / f"{name}.json").read_text()) for name in table
    }
    assert reports["ada"]["score"] == TOTAL
    assert "error" not in reports["eve"], reports["eve"]
    assert reports["eve"]["score"] == float(table["eve"]["total"]) <= TOTAL
    if HARM[attack] is None:
        eve = outcome(reports["eve"])
        assert all(
            "not a regular file" in eve[c.id][1] for c in CHECKS if c.module == "activations"
        )


# ---- 5. processes that outlive grading ------------------------------------------------------

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


def _processes_named(marker: str) -> list[str]:
    """Processes or threads whose command line or name holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            names = [(entry / "cmdline").read_bytes()]
            names += [(task / "comm").read_bytes() for task in (entry / "task").iterdir()]
        except OSError:
            continue
        if any(marker.encode() in name for name in names):
            found.append(f"{entry.name}: {names[0][:200]!r}")
    return found


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
    survivors = _processes_named(marker)
    deadline = time.monotonic() + 30  # killed processes take a moment to go, longer when busy
    while survivors and time.monotonic() < deadline:
        time.sleep(0.1)
        survivors = _processes_named(marker)
    assert not survivors, f"{attack}: still running after grading: {survivors}"


# ---- 6. leaking the environment or files ----------------------------------------------------

#: Put what matters first: the grader keeps 4000 characters of a message.
LEAK_TAIL = """
import re
found = [line for line in text.splitlines() if re.search("MLPCOURSE|CANARY|^root:", line)]
raise RuntimeError("leaked: " + " | ".join(found)[:3500])
"""

LEAKS = {
    "os.environ": "import os\ntext = '\\n'.join(f'{k}={v}' for k, v in os.environ.items())",
    "/proc/1/environ": """
        try:
            text = open("/proc/1/environ", "rb").read().decode().replace("\\0", "\\n")
        except OSError as error:
            text = repr(error)
        """,
    "every /proc/*/environ": """
        import os
        text = ""
        for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
            try:
                text += open(f"/proc/{pid}/environ", "rb").read().decode().replace("\\0", "\\n")
            except OSError:
                pass
        """,
    "the parent's memory (/proc/<ppid>/mem)": """
        import os, re
        text, pid = "", os.getppid()
        try:
            with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as mem:
                for line in maps:
                    if "[stack]" in line:
                        start, end = (int(x, 16) for x in line.split()[0].split("-"))
                        mem.seek(start)
                        text = mem.read(end - start).decode("latin-1").replace("\\0", "\\n")
        except (OSError, ValueError) as error:
            text = repr(error)
        """,
    "/etc/shadow, /etc/passwd and /root/.ssh": """
        import glob
        text = ""
        paths = ["/etc/shadow", "/etc/passwd", "/proc/1/root/etc/shadow", "/etc/sudoers"]
        for path in paths + glob.glob("/root/.ssh/*") + glob.glob("/root/.*history"):
            try:
                text += open(path, errors="replace").read()
            except OSError as error:
                text += f"{path}: {error.strerror}\\n"
        """,
    "canary files in the host's /tmp and the pytest folder": """
        import glob
        text = ""
        for path in glob.glob("/tmp/mlpcourse-canary-*") + glob.glob("/tmp/pytest-of-*/**/canary*",
                                                                     recursive=True):
            try:
                text += open(path).read()
            except OSError:
                pass
        """,
}


@pytest.mark.parametrize("attack", LEAKS, ids=list(LEAKS))
def test_no_secret_leaks_into_the_report(attack, tmp_path, monkeypatch):
    secret, canary = "s3cr3t-" + secrets.token_hex(8), "CANARY-" + secrets.token_hex(8)
    monkeypatch.setenv("MLPCOURSE_SECRET_TOKEN", secret)
    host_canary = Path("/tmp") / f"mlpcourse-canary-{secrets.token_hex(4)}"
    host_canary.write_text(canary)
    (tmp_path / "canary.txt").write_text(canary)
    body = textwrap.dedent(LEAKS[attack]).strip("\n") + "\n" + LEAK_TAIL
    try:
        report = grade(
            submission(tmp_path, activations=edit_function("sigmoid", body)),
            LIMITS,
            modules=["activations"],
        )
    finally:
        host_canary.unlink()
    passed, message = outcome(report)["activations::sigmoid"]
    assert not passed and message.startswith("RuntimeError: leaked: "), message
    text = json.dumps(report)
    assert secret not in text, f"{attack}: the grader's environment leaked into the report"
    assert canary not in text, f"{attack}: a host file leaked into the report"
    for path in ("/etc/shadow", "/etc/passwd"):
        try:
            first = Path(path).read_text().splitlines()[0]
        except (OSError, IndexError):
            continue
        assert first not in text, f"{attack}: {path} leaked into the report"


# ---- 6b. the runner user (no bubblewrap): what one runner leaves for the next ---------------
# Without bubblewrap, a root grader runs each runner as one unprivileged user. Runners of that
# user must not pass anything on: not to the next chapter's, not to the next student's. Each
# case runs twice in a simulated container (test_platforms.py): as root, where new namespaces
# are allowed, and without CAP_SYS_ADMIN (Docker's default, likely Gradescope's), where they are
# refused and the grader falls back (see mlpcourse/grader/sandbox.py).

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


@pytest.fixture(scope="module")
def container(tmp_path_factory) -> SimpleNamespace:
    """A simulated container (its /etc, a fake bwrap) and a course only root can read."""
    from . import test_platforms as platforms

    return SimpleNamespace(
        platforms=platforms,
        machine=platforms.simulated_machine(tmp_path_factory.mktemp("machine")),
        course=platforms.root_only_course(tmp_path_factory.mktemp("course")),
    )


def _run_as_runner_user(container, folder: Path, mode: str, *more: str):
    """``mlpcourse grade folder --json ... --runner-user nobody`` in the container."""
    command = f"{container.platforms.PYTHON} -m mlpcourse.cli grade {folder} --json "
    command += f"--timeout {LIMITS.timeout:g} --check-timeout {LIMITS.check_timeout:g} "
    command += " ".join(more) + " --runner-user nobody"
    result = container.platforms.jailed(
        container.machine,
        {},
        command,
        bwrap=False,
        cwd=str(container.course),
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
        if not _processes_named(marker):
            break
        time.sleep(0.1)
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        for path in Path(folder).glob(f"{marker}*"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    key = int(marker[3:], 16) % 2**31
    subprocess.run(["ipcrm", "-M", str(key)], capture_output=True)


@needs_runner_user
@pytest.mark.parametrize("mode", RUNNER_USER_MODES)
def test_runner_user_leaves_nothing_for_the_next_runner(mode, container, tmp_path):
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
        reports, _ = _run_as_runner_user(container, klass, mode, "--all", "--jobs", "1")
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
def test_runner_user_has_no_network(mode, container, tmp_path):
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
        report, stderr = _run_as_runner_user(container, student, mode)
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


# ---- 7. denial of service -------------------------------------------------------------------

TIMEOUT = "did not finish within"
LOOP = "while True:\n    pass"


@dataclass(frozen=True)
class Denial:
    body: str  # the attacked function's body
    expect: str | tuple[str, ...] | None  # in the message (None: the check passes all the same)
    check: str = "activations::sigmoid"


DENIALS = {
    "an endless loop": Denial(LOOP, f"sigmoid {TIMEOUT}"),
    "a loop that swallows every exception": Denial(
        "while True:\n    try:\n        while True:\n            pass\n"
        "    except BaseException:\n        pass",
        f"sigmoid {TIMEOUT}",
    ),
    "SIGALRM ignored, then a loop": Denial(
        "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n" + LOOP, TIMEOUT
    ),
    "SIGTERM, SIGINT and SIGHUP ignored, then a loop": Denial(
        "import signal\n"
        "for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n"
        "    signal.signal(s, signal.SIG_IGN)\n" + LOOP,
        TIMEOUT,
    ),
    "a very long sleep": Denial("import time\ntime.sleep(10**6)", TIMEOUT),
    "signal.pause": Denial("import signal\nsignal.pause()", TIMEOUT),
    "SIGSTOP to itself": Denial("import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)", TIMEOUT),
    "a fork bomb": Denial(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        TIMEOUT,
    ),
    "100 MB printed on stdout": Denial("print('x' * 10**8)\n" + SIGMOID, None),
    "100 MB written to stderr": Denial(
        "import sys\nsys.stderr.write('x' * 10**8)\n" + SIGMOID, None
    ),
    "an exception with a 10 MB message": Denial("raise RuntimeError('x' * 10**7)", "RuntimeError"),
    "a 500 MB array returned": Denial("return np.zeros((8000, 8000))", "while running sigmoid"),
    # The memory limit stops it, or on a loaded machine the time limit first: contained either way.
    "memory allocated without end": Denial(
        "hog = []\nwhile True:\n    hog.append(np.ones(10**7))", ("MemoryError", TIMEOUT)
    ),
    "/tmp filled with one large file": Denial(
        "with open('/tmp/big', 'wb') as file:\n    for _ in range(200):\n"
        "        file.write(b'x' * 2**20)\n" + SIGMOID,
        "[Errno 27] File too large",
    ),
    "200 MB written outside /tmp (/, /dev/shm, /work)": Denial(
        "for i, folder in enumerate(['/', '/dev/shm', '/work', '/opt']):\n"
        "    with open(f'{folder}/big{i}', 'wb') as file:\n"
        "        for _ in range(50):\n            file.write(b'x' * 2**20)\n" + SIGMOID,
        "[Errno ",
    ),
    "infinite recursion": Denial(
        "def down(n):\n    return down(n + 1)\nreturn down(0)", "Recursion"
    ),
    "deep recursion past the C stack": Denial(
        "import sys\nsys.setrecursionlimit(10**7)\n"
        "def down(n):\n    return down(n + 1)\nreturn down(0)",
        (TIMEOUT, "SIGSEGV", "calls itself without end"),  # whichever limit it meets first
    ),
    "a list nested 100,000 deep": Denial(
        "value = []\nfor _ in range(100_000):\n    value = [value]\nreturn value",
        "nested too deeply to send",
    ),
    "a list of a million floats": Denial("return [0.5] * 10**6", "broke the grading protocol"),
    "half a protocol message, then a loop": Denial(
        PEER
        + "import os, struct\nos.write(peer.writer, struct.pack('<II', 1000, 0) + b'{')\n"
        + LOOP,
        TIMEOUT,
    ),
    "every descriptor closed": Denial(
        "import os\nos.closerange(0, 256)\n" + SIGMOID, "while running sigmoid"
    ),
    "a 1 MB value in the grader's message (sgd's records)": Denial(
        _sgd("history = [dict(r, epoch=['x' * 60_000] * 20) for r in history]"),
        "record 1 says epoch",
        "network::sgd",
    ),
    "the grader made to allocate gigabytes (reference minibatches)": Denial(
        "minibatches(10**8, 10**8, np.random.default_rng(0))\nreturn []",
        "larger than the grader computes with",
        "network::sgd",
    ),
    # Chapter 07: the reference's backward runs on a mirror of the student's graph, read
    # through the wire; a graph too wide to send, or a cycle, must not stall or bloat it.
    # The runner's alarm usually ends this one while its answer is being encoded; the
    # wire's limits and the grader's bound on the graph stop it otherwise.
    "the grader made to read a Value with 300,000 parents (reference backward)": Denial(
        "root = Value(0.0, [Value(float(i)) for i in range(300_000)], 'fan')\n"
        "root.backward()\nreturn [], []",
        (TIMEOUT, "ProtocolError", "MiB limit", "more than 200000 Values"),
        "autodiff::network_gradients",
    ),
    "a cycle in the graph the reference sweeps (reference backward)": Denial(
        "a = Value(1.0)\nb = a * 2.0\na.parents = (b,)\nb.backward()\nreturn None",
        "must return a pair",
        "autodiff::network_gradients",
    ),
}


@pytest.mark.parametrize("attack", DENIALS, ids=list(DENIALS))
def test_denial_of_service_is_contained(attack, tmp_path):
    denial = DENIALS[attack]
    expect = (denial.expect,) if isinstance(denial.expect, str) else denial.expect or ()
    limits = STALLING if any(TIMEOUT in e for e in expect) else LIMITS  # is time the point?
    module, function = denial.check.split("::")
    name = "Network." + function if module == "network" else function
    student = submission(tmp_path, **{module: edit_function(name, denial.body)})
    other = "gradient_descent"
    only = [denial.check, *(c.id for c in CHECKS if c.module == other)]
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    report = grade(student, limits, modules=[module, other], only=only)
    elapsed = time.monotonic() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before) / 1024
    results = outcome(report)
    passed, message = results[denial.check]
    if denial.expect is None:
        assert passed, message
    else:
        assert not passed, f"{attack}: {denial.check} passed"
        assert any(e in message for e in expect), message
    assert len(message) < 20_000, f"a message of {len(message)} characters"
    assert_returned(elapsed, limits)
    assert chapter_points(report, other) == max_points(other), [
        (t["id"], t["message"]) for t in report["tests"] if not t["passed"]
    ]
    assert grown < limits.memory_mb, (
        f"the trusted grader grew by {grown:.0f} MiB for this submission, over the "
        f"{limits.memory_mb} MiB a runner may use"
    )


# ---- 7b. a diagnosis the student plants ----------------------------------------------------
# The class report counts misconceptions by the diagnosis of each failed test. A student's own
# text (an exception's message or type name, a source line, a warning) must not name one.

PLANTED = "Likely cause: the planted misconception"
PLANTINGS = {
    "in an exception's message": ("sigmoid_prime", f"raise ValueError({PLANTED!r})"),
    "in an exception's type name": (
        "sigmoid_prime",
        f"raise type({PLANTED!r}, (Exception,), {{}})('boom')",
    ),
    "in the source line that raised": (
        "sigmoid_prime",
        f"raise ValueError('boom')  # {PLANTED}",
    ),
    "in a warning": (
        "sigmoid_prime",
        f"import warnings\nwarnings.warn({PLANTED!r})\nreturn z",
    ),
    "at import": ("", f"raise RuntimeError({PLANTED!r})"),
    "a named mistake's words in a message": (
        "sigmoid_prime",
        "raise ValueError('the planted one: modified its argument; moved uphill (transposed?)')",
    ),
    "numpy's words for a shape mistake, raised by the student": (
        "backprop_equations.weight_gradient",
        "raise ValueError('matmul: Input operand 1 has a mismatch in its core dimension 0, "
        "with gufunc signature (n?,k),(k,m?)->(n?,m?) (size 3 is different from 7)')",
    ),
    "numpy's words for a shape mistake, raised through exec": (
        "backprop_equations.weight_gradient",
        "exec(\"raise ValueError('operands could not be broadcast together with shapes "
        "(5,7) (3,7)')\")",
    ),
}


@pytest.mark.parametrize("attack", PLANTINGS, ids=list(PLANTINGS))
def test_a_diagnosis_cannot_be_planted(attack, tmp_path):
    function, body = PLANTINGS[attack]
    module, _, name = function.rpartition(".")  # "module.function", or a function of activations
    module = module or "activations"
    check = f"{module}::{name or 'sigmoid_prime'}"
    edit = edit_function(name, body) if name else appended(body)
    student = submission(tmp_path, **{module: edit})
    report = grade(student, LIMITS, modules=[module], only=[check])
    (test,) = [t for t in report["tests"] if t["id"] == check]
    assert not test["passed"], test["message"]
    assert "planted" not in (test["diagnosis"] or "").lower(), test["diagnosis"]
    assert test["diagnosis"], "a failed test without a diagnosis"
    assert not is_named(test["diagnosis"]), f"diagnosed as a mistake: {test['diagnosis']!r}"


# ---- 7c. student text shown inert ----------------------------------------------------------
# Student text (exception messages and type names, source lines, what a returned value is,
# folder names) is shown in the instructor's terminal, the JSON report, the grades CSV, the
# class report (HTML and Markdown), nbgrader's feedback and each platform's result. Escape
# codes would redraw the scoreboard ("✓ … 2/2", "score 45 / 45"), CR and backspace overwrite
# it, a bidi override reorders a line, zero-width characters hide text, Markdown and HTML
# would make links and scripts. Each case is rendered by every sink, and each sink's real
# output is read.

FORGED_ROW = "│ ✓ │ 02-activations │ activations.sigmoid_prime │ 2/2 │"
#: Up a line, erase it, draw a passing row and a full score, then hide the rest (conceal).
REDRAW = f"\x1b[1A\x1b[2K\r{FORGED_ROW}\nscore 45 / 45\x1b[8m"
#: What Rich itself writes on a colour terminal (styles only).
SGR = re.compile(r"\x1b\[[0-9;]*m")
ATTACKED, SPARED = "activations::sigmoid_prime", "activations::sigmoid"
GRADED = [SPARED, ATTACKED]


@dataclass(frozen=True)
class Garble:
    raw: tuple[str, ...]  # the student's sequences, which no sink may show as such
    body: str = "raise ValueError('boom')"  # sigmoid_prime's new body
    module_code: str = ""  # run when activations.py is imported
    folder: str = "eve"  # the student's folder in the class
    command_line: bool = False  # also grade the class with the mlpcourse command

    @property
    def spared(self) -> bool:
        """Whether sigmoid still passes (not when the module does not import)."""
        return not self.module_code


def _raising(message: str, *raw: str) -> Garble:
    return Garble(raw, body=f"raise ValueError({message!r})")


GARBLES = {
    "escape codes in a message redraw the scoreboard": _raising(
        REDRAW, "\x1b[1A", "\x1b[2K", "\x1b[8m", "\r"
    ),
    "an OSC 8 hyperlink in a message": _raising(
        "\x1b]8;;http://evil.example/\x1b\\click here\x1b]8;;\x1b\\", "\x1b]8", "\x1b\\"
    ),
    "carriage return and backspaces overwrite": _raising(
        "0/2\b\b\b2/2\r│ ✓ │ sigmoid_prime passed", "\b", "\r"
    ),
    "a bidi override in a message": _raising(
        "\u202e2/2 :stniop\u202c \u2066\u2067hidden\u2069 \u200f\u061c", "\u202e", "\u2066"
    ),
    "zero-width characters in a message": _raising(
        "pa\u200bss\u200ced\u200d \u2060\ufeff\u00ad\u180e\u3164", "\u200b", "\ufeff", "\u3164"
    ),
    "C1 controls and line separators in a message": _raising(
        "\x9b2K\x9b1A\x85score 45 / 45\u2028✓\u2029\x7f", "\x9b", "\x85", "\u2028"
    ),
    "an exception type name of escape codes": Garble(
        ("\x1b[2K",), body="raise type('\\x1b[2K\\x1b[1A✓ 2/2', (Exception,), {})('boom')"
    ),
    "escape codes and bidi controls in the source line that raised": Garble(
        ("\x1b[2K", "\u202e", "\u200b", "\b"),
        body="raise ValueError('boom')  # \x1b[1A\x1b[2K✓ 2/2 \u202eevil\u202c \u200b\b\b\x1b[8m",
    ),
    "escape codes in a warning": Garble(
        ("\x1b[1A", "\x1b[8m"), body=f"import warnings\nwarnings.warn({REDRAW!r})\nreturn z"
    ),
    "escape codes in an error at import": Garble(
        ("\x1b[1A", "\x1b[8m"), body=SIGMOID, module_code=f"raise RuntimeError({REDRAW!r})"
    ),
    "the type name of a returned value": Garble(
        ("\x1b[2K", "\u202e"),
        body="return type('\\x1b[2K\\u202e✓ 2/2\\u200b', (float,), {})(0.25)",
    ),
    "Markdown, bare URLs and HTML in a message": _raising(
        "[click](http://evil.example/) ![x](https://evil.example/x.png) www.evil.example "
        "evil.example mail@evil.example <http://evil.example> //evil.example "
        "<script>alert(1)</script>"
    ),
    "a folder name of escape codes, a newline and bidi controls": Garble(
        ("\x1b[1A", "\x1b[2K", "\u202e", "\u200b"),
        folder="\x1b[1A\x1b[2Keve\n│ ann │ 45\u202e\u200b",
        command_line=True,
    ),
    "a folder name of Markdown, HTML and a formula": Garble(
        (),
        folder="=1+1 [eve](javascript:alert(1)) www.evil.example <script>alert(1)",
        command_line=True,
    ),
}


def _strings(value) -> list[str]:
    """Every string in a JSON-like value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def _assert_inert(sink: str, text: str, garble: Garble, keep: str = "\n") -> None:
    """No raw sequence of the student's, and no character that acts or hides, in ``text``."""
    from mlpcourse.grader.inert import is_unsafe

    for raw in garble.raw:
        assert raw not in text, f"{sink} shows the student's {raw!r}"
    bad = sorted({c for c in text if c not in keep and is_unsafe(c)})
    assert not bad, f"{sink} shows {ascii(''.join(bad))}: {text[:3000]!r}"


def _console(render: Callable) -> str:
    """What ``render(console)`` prints on a colour terminal, without Rich's own styles."""
    from rich.console import Console

    buffer = io.StringIO()
    render(Console(file=buffer, force_terminal=True, width=320))
    return buffer.getvalue()


def _terminal(sink: str, shown: str, garble: Garble) -> str:
    """``shown``, as printed on a terminal, checked inert and without Rich's own styles."""
    for raw in garble.raw:
        assert raw not in shown, f"{sink} shows the student's {raw!r}"
    plain = SGR.sub("", shown)
    _assert_inert(sink, plain, garble)
    return plain


def _links(markdown: str) -> list[str]:
    """The link and image targets, and the scripts, of ``markdown`` as two viewers render it."""
    import mistune
    from markdown_it import MarkdownIt

    found = []
    for rendered in (
        MarkdownIt("gfm-like").render(markdown),  # linkify: bare URLs, www., domains
        mistune.create_markdown(plugins=["url", "table"])(markdown),
    ):
        found += re.findall(r'(?:href|src)="([^"]*)"', rendered)
        found += re.findall(r"<script", rendered, flags=re.IGNORECASE)
    return found


def _no_live_link(sink: str, links: list[str]) -> None:
    live = [link for link in links if "evil" in link or "javascript" in link or "<script" in link]
    assert not live, f"{sink} makes links of the student's text: {live}"


def _class_report(json_dir: Path, out: Path, garble: Garble, spared: bool) -> None:
    """The class report (HTML and Markdown) of ``json_dir``, read back and checked."""
    from mlpcourse.course.report import e, md, write_report
    from mlpcourse.grader.inert import inert

    page, markdown = out / "report.html", out / "report.md"
    write_report(json_dir, page, markdown)
    html_text, md_text = page.read_text(encoding="utf-8"), markdown.read_text(encoding="utf-8")
    _assert_inert("the class report (HTML)", html_text, garble)
    assert "<script" not in html_text.lower(), "the class report (HTML) holds a script"
    _no_live_link("the class report (HTML)", re.findall(r'(?:href|src)="([^"]*)"', html_text))
    assert e(inert(garble.folder)) in html_text, "the student is not named in the class report"
    # ann passes both; the student fails sigmoid_prime, and sigmoid unless spared
    assert '<code>sigmoid_prime</code></td><td class="n">1/2</td>' in html_text
    assert f'<code>sigmoid</code></td><td class="n">{1 + spared}/2</td>' in html_text
    _assert_inert("the class report (Markdown)", md_text, garble)
    _no_live_link("the class report (Markdown)", _links(md_text))
    assert md(garble.folder) in md_text, "the student is not named in the class report"
    assert "| 02-activations | sigmoid\\_prime | 1/2 |" in md_text


def _grades_csv(text: str, garble: Garble, total: float) -> None:
    from mlpcourse.grader.inert import inert

    _assert_inert("the grades CSV", text.replace("\r\n", "\n"), garble)
    rows = {row["student"].removeprefix("'"): row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"ann", inert(garble.folder)}, list(rows)
    for row in rows.values():
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@")), f"a formula in the CSV: {cell!r}"
    assert float(rows[inert(garble.folder)]["total"]) == total


def _class_table(plain: str, garble: Garble, total: float, full: float) -> None:
    from mlpcourse.grader.inert import inert

    rows = [line for line in plain.splitlines() if line.startswith("│")]
    assert len(rows) == 2, f"the class table has other rows than ann's and the student's: {rows}"
    (row,) = [r for r in rows if inert(garble.folder) in r]
    assert f"│ {total:g} " in row and f"│ {full:g} " in next(r for r in rows if r != row)


@pytest.mark.parametrize("attack", GARBLES, ids=list(GARBLES))
def test_student_text_is_inert_everywhere(attack, tmp_path, capsys):
    from mlpcourse.cli import class_table, main, print_report
    from mlpcourse.course import classes
    from mlpcourse.grader.nbgrader import TrustedVerdicts
    from mlpcourse.grader.platforms import github_classroom, gradescope, prairielearn

    garble = GARBLES[attack]
    edit = compose(edit_function("sigmoid_prime", garble.body), appended(garble.module_code))
    klass = tmp_path / "class"
    student = submission(klass, garble.folder, activations=edit)
    submission(klass, "ann")
    report = grade(student, LIMITS, modules=["activations"], only=GRADED)
    spared = 2.0 if garble.spared else 0.0

    # The report itself (what grade --json prints): failed, no points, every text inert.
    verdicts = {t["id"]: t for t in report["tests"]}
    assert not verdicts[ATTACKED]["passed"] and verdicts[ATTACKED]["points"] == 0
    assert verdicts[SPARED]["passed"] == garble.spared, verdicts[SPARED]["message"]
    assert report["score"] == spared and report["max_score"] == 4
    _assert_inert("the JSON report", "\0".join(_strings(report)), garble, keep="\0")

    # The scoreboard on a terminal: the attacked row fails, the score is the real one.
    shown = _console(lambda console: print_report(console, report, f"mlpcourse grade {student}"))
    plain = _terminal("the scoreboard", shown, garble)
    lines = plain.splitlines()
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) == 2, rows
    assert re.search(r"│ ✗ │ 02-activations │ activations\.sigmoid_prime +│ 0/2 +│", rows[1])
    assert ("│ ✓ │" in rows[0]) == garble.spared, rows[0]
    assert [line.strip() for line in lines if line.strip().startswith("score")] == [
        f"score {spared:g} / 4"
    ], plain
    assert any(line.startswith("✗ activations.sigmoid_prime: ") for line in lines), plain

    # nbgrader's cell outputs (its feedback page is made from them).
    outputs = [TrustedVerdicts._output(check, verdicts[check]) for check in GRADED]
    assert outputs[1]["output_type"] == "error"
    _assert_inert("nbgrader's outputs", "\0".join(_strings(outputs)), garble, keep="\0\n")

    # Each platform's result.
    encoded = github_classroom.encoded(report)
    results = {
        "Gradescope": gradescope.results_json(report, 1.0, "bubblewrap"),
        "PrairieLearn": prairielearn.results_json(report, "bubblewrap"),
        "GitHub Classroom": json.loads(base64.b64decode(encoded)),
    }
    for platform, result in results.items():
        _assert_inert(platform, "\0".join(_strings(result)), garble, keep="\0\n")
    assert results["Gradescope"]["tests"][1]["status"] == "failed"
    assert results["Gradescope"]["tests"][1]["score"] == 0
    assert results["PrairieLearn"]["tests"][1]["points"] == 0
    assert results["GitHub Classroom"]["tests"][1]["status"] == "fail"
    assert results["GitHub Classroom"]["tests"][1]["score"] == 0

    # The class: its JSON folder, the grades CSV, the class table and the class report.
    reports = {  # the names as the class folder lists them
        path.name: report
        if path == student
        else grade(path, LIMITS, modules=["activations"], only=GRADED)
        for path in classes.students(klass)
    }
    assert set(reports) == {"ann", garble.folder} and reports["ann"]["score"] == 4
    json_dir = tmp_path / "grades"
    classes.write_reports(json_dir, reports, {})
    _grades_csv(classes.csv_text(classes.rows(reports)), garble, spared)
    table = _console(lambda console: console.print(class_table(classes.rows(reports), "class")))
    _class_table(_terminal("the class table", table, garble), garble, spared, 4)
    _class_report(json_dir, tmp_path, garble, garble.spared)
    if not garble.command_line:
        return

    # The same class graded by the instructor's command, on a colour terminal.
    command = [sys.executable, "-m", "mlpcourse.cli", "grade", str(klass), "--all", "--jobs", "1"]
    command += ["--csv", str(tmp_path / "cli.csv"), "--check-timeout", "4", "--memory", "1024"]
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "320"}
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert SGR.search(result.stdout), "the class run printed no colour: not a terminal's view"
    full = TOTAL - 2  # sigmoid_prime fails, everything else passes
    _class_table(_terminal("the class run", result.stdout, garble), garble, full, TOTAL)
    _grades_csv((tmp_path / "cli.csv").read_text(encoding="utf-8"), garble, full)
    cli_dir = tmp_path / "cli"
    for path in cli_dir.glob("*.json"):
        _assert_inert(f"the JSON of {path.name!r}", path.read_text(encoding="utf-8"), garble)
    assert main(["report", str(cli_dir), "--html", str(tmp_path / "cli.html")]) == 0
    _assert_inert("the class report", (tmp_path / "cli.html").read_text("utf-8"), garble)
    assert main(["merge", str(cli_dir), str(json_dir), "--csv", str(tmp_path / "m.csv")]) == 1
    _assert_inert("mlpcourse merge", capsys.readouterr().err, garble)


# ---- 8. the notebook route (one case) -------------------------------------------------------

FAKE_RESULTS = """
import json, os
_fake = json.dumps({"score": 1000, "max_score": 45, "tests": [], "passed": True})
for _folder in (".", "..", os.path.expanduser("~"), "/tmp"):
    for _name in ("results.json", "report.json", "grades.csv", "results.jsonl", ".grades.json"):
        try:
            with open(os.path.join(_folder, _name), "w") as _file:
                _file.write(_fake)
        except OSError:
            pass
"""


def test_fake_result_files_written_at_import_change_nothing(tmp_path, monkeypatch):
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    student = submission(tmp_path, neuron=appended(FAKE_RESULTS))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    report = grade(student, LIMITS, modules=["neuron"])
    assert report["score"] == report["max_score"] == max_points("neuron")
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert not (ROOT / "results.json").exists() and not (ROOT / "report.json").exists()


# ---- 9. replaying the published cases -------------------------------------------------------
# Every case a check draws is in the student edition: its seeds, its points, its directions.
# A submission can then pass without the algorithm: answer the published inputs from a table,
# or rebuild the published directions of the large network and return any vector with the
# right slopes along them. The instructor's grade draws its cases from the course secret
# (mlpcourse/grader/cases.py): each attack passes the published cases (it works) and fails
# the hidden ones.

#: A course secret of the attack tests (fixed: deterministic runs).
HIDDEN = Cases(b"the attack suite's course secret")

#: Gradients without backpropagation: complex-step differences on the small networks, and on
#: the MNIST-sized one (the published seed 5) the span of the check's three directions.
REPLAY_GRADIENTS = """
import numpy as np
probe = float(np.asarray(self.activation(np.array([[-1.0]]))).ravel()[0])
if probe == 0.0:
    g = lambda z: np.where(z.real > 0, z, 0.0 * z)
elif probe < 0:
    g = np.tanh
else:
    g = lambda z: 1.0 / (1.0 + np.exp(-z))
layers, m = len(self.weights), x.shape[1]
params = [*self.weights, *self.biases]

def loss(theta):
    a = x
    for w, b in zip(theta[:layers], theta[layers:]):
        a = g(w @ a + b)
    return 0.5 * np.sum((a - y) ** 2) / m

if list(self.sizes) == [784, 100, 10]:
    rng = np.random.default_rng(5)  # as the check draws x, y, then its directions
    rng.random((784, m)), rng.random((10, m))
    directions = []
    for _ in range(3):
        u = [rng.standard_normal(p.shape) for p in params]
        norm = np.sqrt(sum(float(np.sum(v * v)) for v in u))
        directions.append([v / norm for v in u])
    slopes = [
        (loss([p + 1e-6 * v for p, v in zip(params, u)])
         - loss([p - 1e-6 * v for p, v in zip(params, u)])) / 2e-6
        for u in directions
    ]
    gram = [[sum(float(np.sum(a * b)) for a, b in zip(u, v)) for v in directions]
            for u in directions]
    c = np.linalg.solve(np.array(gram), np.array(slopes))
    grads = [sum(c[k] * directions[k][i] for k in range(3)) for i in range(len(params))]
else:
    grads = []
    for i, p in enumerate(params):
        grad = np.zeros(p.shape)
        for index in np.ndindex(p.shape):
            theta = [q.astype(complex) for q in params]
            theta[i][index] += 1e-30j
            grad[index] = loss(theta).imag / 1e-30
        grads.append(grad)
grad_w, grad_b = grads[:layers], grads[layers:]
"""


def _table(derivative) -> str:
    """A body answering the published inputs of the activation checks from a table.

    The attacker computes the table beforehand (here: from the exact formula) at the
    points the published checks use, read from the student edition's checks.
    """
    inputs = [*activation_points(PUBLISHED).values(), LARGE, np.zeros((1, 1)), np.zeros((1, 3))]
    table = {z.tobytes().hex(): (list(z.shape), derivative(z).ravel().tolist()) for z in inputs}
    return (
        f"TABLE = {table!r}\n"
        "shape, values = TABLE.get(np.asarray(z, dtype=np.float64).tobytes().hex(), (None, None))\n"
        "if values is None:\n"
        "    return np.full(np.shape(z), 0.1)\n"
        "return np.array(values).reshape(shape)"
    )


def _sigmoid_prime(z: np.ndarray) -> np.ndarray:
    s = np.exp(-np.logaddexp(0.0, -z))
    return s * (1.0 - s)


#: The states of the generators the published checks hand over: default_rng(seed).
PUBLISHED_STATES = "{np.random.default_rng(s).bit_generator.state['state']['state'] for s in SEEDS}"


@dataclass(frozen=True)
class Replay:
    check: str
    function: str
    body: str


REPLAYS = {
    "backprop: complex steps, and the span of the published directions": Replay(
        "network::backprop", "Network.backprop", REPLAY_GRADIENTS + "return grad_w, grad_b"
    ),
    "update_mini_batch: the same gradients, one step": Replay(
        "network::update_mini_batch",
        "Network.update_mini_batch",
        REPLAY_GRADIENTS
        + "self.weights = [w - lr * d for w, d in zip(self.weights, grad_w)]\n"
        + "self.biases = [b - lr * d for b, d in zip(self.biases, grad_b)]",
    ),
    "sigmoid_prime: a table of the published points": Replay(
        "activations::sigmoid_prime", "sigmoid_prime", _table(_sigmoid_prime)
    ),
    "tanh_prime: a table of the published points": Replay(
        "activations::tanh_prime", "tanh_prime", _table(lambda z: 1.0 - np.tanh(z) ** 2)
    ),
    "minibatches: shuffles only for the published seeds": Replay(
        "gradient_descent::minibatches",
        "minibatches",
        f"published = {PUBLISHED_STATES.replace('SEEDS', '(0, 1, 2, 3)')}\n"
        "if rng.bit_generator.state['state']['state'] in published:\n"
        "    order = rng.permutation(m)\n"
        "else:\n"
        "    order = np.arange(m)  # no shuffle at all\n"
        "return [order[k : k + batch_size] for k in range(0, m, batch_size)]",
    ),
    "sgd: uses rng only when it recognises a published seed": Replay(
        "network::sgd",
        "Network.sgd",
        "seeds = {np.random.default_rng(s).bit_generator.state['state']['state']: s "
        "for s in (3, 11, 12)}\n"
        "order = np.random.default_rng(seeds.get(rng.bit_generator.state['state']['state'], 0))\n"
        "for epoch in range(1, epochs + 1):\n"
        "    for batch in minibatches(x.shape[1], batch_size, order):\n"
        "        self.update_mini_batch(x[:, batch], y[:, batch], lr)\n"
        "    history.append(self.epoch_record(epoch, x, y, test))",
    ),
}


@pytest.mark.parametrize("attack", REPLAYS, ids=list(REPLAYS))
def test_replaying_the_published_cases_gains_nothing(attack, tmp_path):
    replay = REPLAYS[attack]
    module = replay.check.split("::")[0]
    student = submission(tmp_path, **{module: edit_function(replay.function, replay.body)})
    published = grade(student, LIMITS, modules=[module], only=[replay.check], cases=PUBLISHED)
    passed, message = outcome(published)[replay.check]
    assert passed, f"the attack does not even pass the published cases: {message}"
    hidden = grade(student, LIMITS, modules=[module], only=[replay.check], cases=HIDDEN)
    passed, message = outcome(hidden)[replay.check]
    assert not passed, f"{attack}: full points on the hidden cases"
    assert hidden["variant"] == HIDDEN.variant != published["variant"] == "published"


# ---- 10. stalling and bloating the grader ---------------------------------------------------
# Every limit holds whatever the runner does: the deadline is checked before each message is
# read or served, requests and bytes are counted per check, and every value that reaches the
# grader is bounded before it is converted. The check fails with its cause; the grader's own
# memory does not grow with what the runner sends; classmates' checks are unaffected.

#: The runner's own pipe ends: ``python -I -c BOOT LIB SUBMISSION IN OUT``.
PIPES = "import sys, os\nreader, writer = int(sys.argv[3]), int(sys.argv[4])\n"
#: A prebuilt request the grader must decode (50,000 items) before refusing it.
FLOOD = (
    PIPES + "import json, struct, signal, fcntl\n"
    "signal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
    "try:\n    fcntl.fcntl(writer, 1031, 1 << 20)\nexcept OSError:\n    pass\n"
    "os.set_blocking(reader, False)\n"
    "header = json.dumps({'op': 'call', 'target': {'l': [0] * 50_000}}).encode()\n"
    "message = struct.pack('<II', len(header), 0) + header\n"
    "while True:\n    os.write(writer, message)\n"
    "    try:\n        os.read(reader, 1 << 20)\n    except BlockingIOError:\n        pass\n"
)


@dataclass(frozen=True)
class Stall:
    module: str
    function: str
    body: str
    expect: tuple[str, ...]  # one of these in the attacked check's message
    #: Where a budget, not the clock, must stop the attack, the clock is given a margin that
    #: a busy machine keeps (the budget ends it in a few seconds on a quiet one).
    check_timeout: float = 4.0


STALLS = {
    "malformed requests flooded, SIGALRM ignored": Stall(
        "activations", "sigmoid", FLOOD, ("did not finish within",)
    ),
    "malformed requests flooded at import": Stall(
        "activations", "", FLOOD.replace("\n", "\n"), ("did not finish within",)
    ),
    "a grader function called without end": Stall(
        "feedforward",
        "feedforward",
        "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "while True:\n    g(np.zeros((1, 1)))",
        ("more than 20000 requests",),
        check_timeout=300.0,
    ),
    "a 64 MB array to feedforward's g": Stall(
        "feedforward",
        "feedforward",
        "return g(np.zeros((1, 8_000_000)))",
        ("entries",),
    ),
    "32 MB arrays sent again and again, the refusals swallowed": Stall(
        "feedforward",
        "feedforward",
        "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
        "big = np.zeros((1, 4_000_000))\n"
        "while True:\n    try:\n        g(big)\n    except Exception:\n        pass",
        ("MiB sent to the grader",),
        check_timeout=300.0,
    ),
    "a (1, 63,000,000) bool array to the check's update_mini_batch": Stall(
        "network",
        "Network.sgd",
        "self.update_mini_batch(np.zeros((1, 63_000_000), dtype=bool), y, lr)\nreturn []",
        ("entries in one message", "must return a list"),
    ),
    "a header of a million tiny items": Stall(
        "activations",
        "sigmoid",
        PIPES + "import json, struct\n"
        "header = json.dumps({'op': 'call', 'target': {'l': [[0]] * 400_000}}).encode()\n"
        "os.write(writer, struct.pack('<II', len(header), 0) + header)\n" + LOOP,
        ("broke the grading protocol", "did not finish within"),
    ),
}


@pytest.mark.parametrize("attack", STALLS, ids=list(STALLS))
def test_the_grader_cannot_be_stalled_or_bloated(attack, tmp_path):
    stall = STALLS[attack]
    if stall.function:
        edit = edit_function(stall.function, stall.body)
    else:
        edit = appended(stall.body)
    student = submission(tmp_path, **{stall.module: edit})
    other = "gradient_descent"
    attacked = [c.id for c in CHECKS if c.module == stall.module]
    if stall.function:
        attacked = [f"{stall.module}::{stall.function.rpartition('.')[2]}"]
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    limits = Limits(
        check_timeout=stall.check_timeout, timeout=stall.check_timeout * 8, memory_mb=1024
    )
    report = grade(student, limits, modules=[stall.module, other], only=[*attacked, *_ids(other)])
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before) / 1024
    results = outcome(report)
    for check_id in attacked:
        passed, message = results[check_id]
        assert not passed, f"{attack}: {check_id} passed"
        assert any(e in message for e in stall.expect), message
    assert chapter_points(report, other) == max_points(other)
    # A 63 MB array turned into Python ints is gigabytes: nothing near that reaches the grader.
    assert grown < 600, f"the trusted grader grew by {grown:.0f} MiB"


def _ids(module: str) -> list[str]:
    return [c.id for c in CHECKS if c.module == module]


def test_one_student_cannot_cost_the_class_its_grades(tmp_path):
    """A submission that stalls every chapter is bounded; classmates get their grades, the CSV."""
    every_module_floods = {m: appended(FLOOD) for m in EXERCISE_MODULES}
    classroom = tmp_path / "class"
    submission(classroom, "ada")
    submission(classroom, "bob", base=STUBS)
    submission(classroom, "mallory", **every_module_floods)
    csv_file = tmp_path / "grades.csv"
    # Limits far above what ada and bob need on a loaded machine; mallory meets the
    # submission's bound (45 s), which ends every chapter she has not finished.
    limits = ["--check-timeout", "120", "--timeout", "240", "--student-timeout", "45"]
    subprocess.run(
        [sys.executable, "-m", "mlpcourse.cli", "grade", str(classroom), "--all"]
        + ["--csv", str(csv_file), "--json-dir", str(tmp_path / "json"), "--jobs", "2", *limits],
        check=True,
        capture_output=True,
    )
    reports = {p.stem: json.loads(p.read_text()) for p in (tmp_path / "json").glob("*.json")}
    assert reports["ada"]["score"] == TOTAL and "incomplete" not in reports["ada"]
    assert reports["bob"]["score"] == 0 and len(reports["bob"]["tests"]) == len(CHECKS)
    mallory = reports["mallory"]
    assert [t["id"] for t in mallory["tests"]] == [c.id for c in CHECKS]
    assert mallory["score"] == 0
    labels = {t["diagnosis"] for t in mallory["tests"]}
    assert labels <= {"timed out", "timed out at import"}, labels
    assert any("for the whole submission were used up" in t["message"] for t in mallory["tests"])
    assert any("did not finish within" in t["message"] for t in mallory["tests"])
    lines = csv_file.read_text().splitlines()
    assert len(lines) == 4 and lines[1].startswith("ada,")


def test_a_grading_worker_killed_from_outside_keeps_what_finished(tmp_path, monkeypatch):
    """The class process kills a worker past the submission's bound: the report says so."""
    from mlpcourse.grader import class_run

    later = {m: appended(FLOOD) for m in EXERCISE_MODULES[2:]}
    student = submission(tmp_path, "slow", **later)  # 3 s a chapter after the second
    limits = Limits(check_timeout=3, timeout=20, student_timeout=12)
    # As if the trusted worker itself hung: the class process ends it 8 s in, from outside.
    monkeypatch.setattr(class_run, "KILL_MARGIN", 8 - limits.student_timeout)
    report = class_run.grade_in_worker(student, limits, sandbox=True)
    assert [t["id"] for t in report["tests"]] == [c.id for c in CHECKS]
    assert "were used up" in report["incomplete"], report["incomplete"]
    reasons = {t["message"] for t in report["tests"] if not t["passed"]}
    assert any("whole submission were used up" in r for r in reasons), reasons
    first = [t for t in report["tests"] if t["chapter"] in ("01-neuron", "02-activations")]
    assert all(t["passed"] for t in first), [t["message"] for t in first]


def test_a_grading_worker_over_its_memory_is_reported_alone(tmp_path):
    """A worker that cannot stay within the grader's memory ends; its student is reported."""
    from mlpcourse.grader import class_run

    student = submission(tmp_path, "heavy")
    report = class_run.grade_in_worker(student, Limits(grader_memory_mb=48), sandbox=True)
    assert [t["id"] for t in report["tests"]] == [c.id for c in CHECKS]
    assert report["score"] == 0
    assert "48 MiB" in report["incomplete"], report["incomplete"]
