"""Attacks on the grader, by class: each case is one hostile submission and its outcome.

1. stealing the reference      5. surviving processes
2. forging the verdict         6. leaking the environment or files
3. self-calls and imports      7. denial of service
4. harming a classmate or      8. the notebook route (one case; the rest is
   the instructor                 covered with the notebooks)

A submission is the reference (or the stubs) with one function, or one
module, replaced by the attack. Every case asserts what the grader must do:
no points for the attacked function, nothing left behind, nothing leaked,
classmates untouched, grading over in bounded time. Where an attack only
fails because the sandbox stops it, the same submission is also graded
without the sandbox, to show that the attack itself works.
"""

import hashlib
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from types import SimpleNamespace

import pytest

from mlpcourse.course.implementation import PACKAGE_DIR, REFERENCE_DIR
from mlpcourse.grader.checks import CHECKS
from mlpcourse.grader.diagnosis import is_named
from mlpcourse.grader.grading import grade
from mlpcourse.grader.limits import Limits
from mlpcourse.runner import EXERCISE_MODULES

from .mutants import Variant

LIMITS = Limits(timeout=30, check_timeout=4, memory_mb=1024)
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
        found.append(subprocess.run(command, capture_output=True, timeout=3).stdout)
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
    implementation = importlib.import_module("mlpcourse.course.implementation")
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
        "from mlpcourse.course.implementation import load\n"
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
    command += ["--csv", str(tmp_path / "grades.csv"), "--jobs", "2", "--timeout", "30"]
    command += ["--check-timeout", "4", "--memory", "1024"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{attack}: grading the class did not finish within 30 s")
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
        assert started.wait(2), "the thread did not start"
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
        assert ready.wait(2), "the process did not start"
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
    assert time.monotonic() - start < 60
    passed, message = results["activations::sigmoid"]
    if survivor.then_exit:
        assert not passed and "ended while your code ran" in message, message
    else:
        assert passed, message
    survivors = _processes_named(marker)
    for _ in range(30):  # the sandbox's processes may take a moment to go
        if not survivors:
            break
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
        (TIMEOUT, "SIGSEGV", "MemoryError", "RecursionError"),
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
    module, function = denial.check.split("::")
    name = "Network." + function if module == "network" else function
    student = submission(tmp_path, **{module: edit_function(name, denial.body)})
    other = "gradient_descent"
    only = [denial.check, *(c.id for c in CHECKS if c.module == other)]
    memory_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    report = grade(student, LIMITS, modules=[module, other], only=only)
    elapsed = time.monotonic() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - memory_before) / 1024
    results = outcome(report)
    passed, message = results[denial.check]
    if denial.expect is None:
        assert passed, message
    else:
        assert not passed, f"{attack}: {denial.check} passed"
        expect = (denial.expect,) if isinstance(denial.expect, str) else denial.expect
        assert any(e in message for e in expect), message
    assert len(message) < 20_000, f"a message of {len(message)} characters"
    assert elapsed < 60, f"grading took {elapsed:.1f} s"
    assert chapter_points(report, other) == max_points(other), [
        (t["id"], t["message"]) for t in report["tests"] if not t["passed"]
    ]
    assert grown < LIMITS.memory_mb, (
        f"the trusted grader grew by {grown:.0f} MiB for this submission, over the "
        f"{LIMITS.memory_mb} MiB a runner may use"
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
}


@pytest.mark.parametrize("attack", PLANTINGS, ids=list(PLANTINGS))
def test_a_diagnosis_cannot_be_planted(attack, tmp_path):
    function, body = PLANTINGS[attack]
    edit = edit_function(function, body) if function else appended(body)
    student = submission(tmp_path, activations=edit)
    report = grade(student, LIMITS, modules=["activations"], only=["activations::sigmoid_prime"])
    (test,) = [t for t in report["tests"] if t["id"] == "activations::sigmoid_prime"]
    assert not test["passed"], test["message"]
    assert "planted" not in (test["diagnosis"] or "").lower(), test["diagnosis"]
    assert test["diagnosis"], "a failed test without a diagnosis"
    assert not is_named(test["diagnosis"]), f"diagnosed as a mistake: {test['diagnosis']!r}"


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
