"""The runner process: load the student's modules, answer the grader's calls.

Started (inside bubblewrap) as ``python -I -c BOOT LIB SUBMISSION IN OUT``
with the protocol's pipes on the file descriptors IN (requests) and OUT (replies).
``LIB`` holds the support code (this package without the grader), and
``SUBMISSION`` the student's exercise modules as plain files.

The grader's requests, besides calls and attribute access on exported objects:

- ``load``: import the exercise modules afresh, the graded module from the
  student's file and every collaborator in ``proxies`` as a stand-in that
  asks the grader (``{"h": ["R", "activations.sigmoid", ...]}``);
- ``lookup``: a handle on ``activations.sigmoid`` or ``network.Network``;
- ``called``: which of the functions in the last ``load``'s ``traced`` list
  the student's code called (the student's own check uses it to say that a
  function waits on a broken collaborator);
- ``tool``: a handle on one of :data:`TOOLS`, support code that drives the
  student's objects where the wire cannot (:mod:`.graphs`).

``load`` also arms an alarm a little before the grader's deadline: code still
running then is interrupted by :class:`OutOfTime`, whose traceback names the
function that looped.
"""

import builtins
import copy
import importlib
import importlib.abc
import importlib.machinery
import linecache
import os
import signal
import sys
import warnings
from pathlib import Path

import numpy as np

from mlpcourse.chapters import EXERCISE_MODULES
from mlpcourse.runner import graphs
from mlpcourse.runner.codec import (
    ProtocolError,
    handle,
    moved_generators,
    same,
    text,
    unsupported,
)
from mlpcourse.runner.protocol import Peer, PeerGone, RemoteError, student_frames


class StudentModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``mlpcourse.<exercise>`` from the student's files, with stand-ins.

    Absolute (``mlpcourse.activations``), relative (``.activations``) and
    aliased imports all arrive here, so they all get the same module: the
    student's, with the collaborators listed in ``proxies`` replaced. When a
    module other than the graded one fails to import, its stand-ins are still
    given, so one broken file costs only its own functions.
    """

    def __init__(self, folder: Path, peer: "RunnerPeer") -> None:
        """Import the student's modules from ``folder``; ``peer`` gives the stand-ins."""
        self.folder, self.peer = folder, peer
        self.graded_module = ""
        self.proxies: list[str] = []
        self.traced: list[str] = []

    def find_spec(self, fullname, path=None, target=None):
        """A spec loaded here for ``mlpcourse.<exercise>``, None for any other module."""
        package, _, name = fullname.partition(".")
        if package != "mlpcourse" or name not in EXERCISE_MODULES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, origin=f"mlpcourse/{name}.py")

    def create_module(self, spec):
        """None: Python's default module object."""
        return None

    def exec_module(self, module) -> None:
        """Run the student's file in ``module``, then put in the stand-ins and tracers."""
        name = module.__name__.partition(".")[2]
        display = f"mlpcourse/{name}.py"
        module.__file__ = display
        try:
            path = self.folder / f"{name}.py"
            if not path.is_file():
                raise FileNotFoundError(f"{display} is missing from the submission")
            source = path.read_text(encoding="utf-8")
            linecache.cache[display] = (len(source), None, source.splitlines(True), display)
            exec(compile(source, display, "exec"), module.__dict__)
        except BaseException as error:
            if name == self.graded_module:
                raise
            self.unimportable(name, module, error)
        self.stand_in(name, module)
        self.trace(name, module)

    def unimportable(self, name: str, module, error: BaseException) -> None:
        """Let a module that fails to import be imported still: its names raise when called.

        One broken file then costs only the functions that need it.
        """
        where = ""
        if isinstance(error, SyntaxError) and error.lineno:
            where = f", line {error.lineno}"
        else:
            frames = student_frames(error, self.peer.files)
            if frames:
                where = f", line {frames[-1][1]}"
        reason = f"mlpcourse/{name}.py does not import ({type(error).__name__}{where})"
        peer = self.peer

        def __getattr__(attribute: str):
            """Any public name of the module: a function that raises :class:`NotImportable`."""
            if attribute.startswith("__"):
                raise AttributeError(attribute)
            qualified = f"{name}.{attribute}"

            def unavailable(*args, **kwargs):
                """Record the call, and raise: the module did not import."""
                peer.called.add(qualified)
                raise NotImportable(reason)

            unavailable.__name__ = unavailable.__qualname__ = attribute
            return unavailable

        module.__getattr__ = __getattr__

    def trace(self, name: str, module) -> None:
        """Record calls of the listed functions of ``module`` (the student's own)."""
        for qualified in self.traced:
            owner_module, _, path = qualified.partition(".")
            owner_name, _, attribute = path.rpartition(".")
            if owner_module != name:
                continue
            owner = module.__dict__.get(owner_name) if owner_name else module
            if owner is None or (owner_name and not isinstance(owner, type)):
                continue
            function = owner.__dict__.get(attribute)
            if callable(function):
                setattr(owner, attribute, self.peer.traced_function(qualified, function))

    def stand_in(self, name: str, module) -> None:
        """Replace the listed collaborators of ``module`` by calls to the grader."""
        for qualified in self.proxies:
            owner_module, _, path = qualified.partition(".")
            if owner_module != name:
                continue
            owner_name, _, attribute = path.rpartition(".")
            proxy = self.peer.reference_function(qualified)
            if owner_name:
                owner = module.__dict__.get(owner_name)
                if isinstance(owner, type):
                    setattr(owner, attribute, graphs.method_stand_in(qualified, proxy))
            else:
                module.__dict__[attribute] = proxy


class RunnerPeer(Peer):
    """The untrusted end: serves the student's code, stands in for the grader's functions."""

    side = "U"

    def __init__(self, reader: int, writer: int, folder: Path) -> None:
        """Serve the grader over ``reader`` and ``writer``, importing the student's ``folder``."""
        super().__init__(reader, writer)
        self.modules = StudentModules(folder, self)
        sys.meta_path.insert(0, self.modules)
        self.stand_ins: dict[int, tuple[object, dict]] = {}
        self.files = {f"mlpcourse/{m}.py" for m in EXERCISE_MODULES}
        self.called: set[str] = set()
        self.running_student_code = 0
        self.handlers.update(
            load=self._serve_load,
            lookup=self._serve_lookup,
            called=lambda message, buffers: {"value": sorted(self.called)},
            tool=lambda message, buffers: {"value": TOOLS[message.get("name")]},
        )
        signal.signal(signal.SIGALRM, self._out_of_time)

    def _out_of_time(self, signum, frame) -> None:
        """On SIGALRM: interrupt the student's code if it is running, else nothing."""
        if self.running_student_code:
            raise OutOfTime("the time for this check ran out")

    def traced_function(self, qualified: str, function):
        """``function`` recording in :attr:`called` that it was called, as ``qualified``."""

        def traced(*args, **kwargs):
            """Record the call, then call the student's function."""
            self.called.add(qualified)
            return function(*args, **kwargs)

        traced.__name__, traced.__qualname__ = function.__name__, function.__qualname__
        traced.__doc__ = function.__doc__
        return traced

    # ---- stand-ins for the grader's functions ---------------------------------------------

    def _stand_in(self, target: dict, name: str):
        """A function named ``name`` that calls the grader's function ``target`` (a handle)."""

        def stand_in(*args, **kwargs):
            """Call the grader's function; its exceptions as the built-in ones."""
            try:
                return self.call(target, args, kwargs)["value"]
            except RemoteError as error:  # as the student's code would see it from its own
                raise _rebuilt(error) from None

        stand_in.__name__ = stand_in.__qualname__ = name
        self.stand_ins[id(stand_in)] = (stand_in, target)
        return stand_in

    def reference_function(self, qualified: str):
        """A stand-in for the collaborator ``qualified``, computed by the grader."""
        return self._stand_in(handle("R", qualified, qualified), qualified.rpartition(".")[2])

    def proxy(self, side: str, key, label: str):
        """A stand-in for a function of the grader ("T") or a collaborator ("R")."""
        if side not in ("T", "R"):
            raise ProtocolError(f"handles of side {side!r} are not accepted here")
        return self._stand_in(handle(side, key, label), label or "grader_function")

    def handle_of(self, value):
        """The grader's handle of a stand-in, so that it goes back as itself."""
        entry = self.stand_ins.get(id(value))
        return entry[1] if entry and entry[0] is value else None

    def encode_other(self, value):
        """A subclass of a plain type is not sent; any other object is exported."""
        if isinstance(value, np.ndarray):
            return unsupported(f"{_kind(value)} (return a plain numpy array: np.asarray(...))")
        if isinstance(value, (float, int, str, list, tuple, dict, np.generic)):
            return unsupported(f"{_kind(value)}, not a plain {type(value).__mro__[-2].__name__}")
        label = getattr(value, "__qualname__", None) or type(value).__qualname__
        return self.export(value, text(label, 200))

    # ---- requests -------------------------------------------------------------------------

    def invoke(self, function, args: list, kwargs: dict) -> dict:
        """Call the student's function with warnings as errors; report modified arguments."""
        if not callable(function):
            raise TypeError(f"{_kind(function)} is not callable")
        before = [_snapshot(a) for a in args]
        self.running_student_code += 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
                    result = function(*args, **kwargs)
        finally:
            self.running_student_code -= 1
        modified = [
            i for i, (a, b) in enumerate(zip(args, before)) if b is not None and not same(a, b)
        ]
        return {"value": result, "modified": modified, "generators": moved_generators(args)}

    def describe_error(self, error: BaseException) -> dict:
        """The "raise" message of ``error``, with the student's traceback frames."""
        kind, message = type(error).__name__, text(error, 4000)
        if isinstance(error, SystemExit):
            message = f"the code called sys.exit({text(error.code, 100)})"
        elif isinstance(error, SyntaxError) and error.text:
            message += f": {text(error.text.strip(), 200)}"
        return {
            "op": "raise",
            "kind": kind,
            "message": message,
            "frames": student_frames(error, self.files),
        }

    def _serve_load(self, message: dict, buffers: list) -> dict:
        """Answer "load": import the exercise modules afresh, arm the alarm."""
        module, proxies = message.get("module"), message.get("proxies")
        traced, seconds = message.get("traced", []), message.get("seconds")
        if module not in EXERCISE_MODULES or type(proxies) is not list or type(traced) is not list:
            raise ProtocolError("a malformed load request")
        if type(seconds) in (int, float) and seconds > 0:
            signal.setitimer(signal.ITIMER_REAL, seconds)
        self.called = set()
        for name in EXERCISE_MODULES:
            sys.modules.pop(f"mlpcourse.{name}", None)
            sys.modules["mlpcourse"].__dict__.pop(name, None)
        self.clear_exports()
        self.stand_ins.clear()
        self.modules.graded_module = module
        self.modules.proxies = [p for p in proxies if type(p) is str]
        self.modules.traced = [t for t in traced if type(t) is str]
        self.running_student_code += 1  # the module's own code runs at import
        try:
            importlib.import_module(f"mlpcourse.{module}")
        finally:
            self.running_student_code -= 1
        return {"value": None}

    def _serve_lookup(self, message: dict, buffers: list) -> dict:
        """Answer "lookup": the student's ``module.name`` (or ``module.Class.name``)."""
        path = message.get("path")
        if type(path) is not str or "." not in path:
            raise ProtocolError("a malformed lookup")
        module, _, attributes = path.partition(".")
        value = importlib.import_module(f"mlpcourse.{module}")
        for attribute in attributes.split("."):
            try:
                value = getattr(value, attribute)
            except AttributeError:
                raise AttributeError(
                    f"mlpcourse/{module}.py has no {attributes}: keep the names the exercise gives"
                ) from None
        return {"value": value}


#: What the grader may ask a handle on with ``tool``, by name.
TOOLS = {"graph": graphs.run}


class OutOfTime(BaseException):
    """Raised in the student's code when the time for a check runs out."""


class NotImportable(ImportError):
    """Raised by a name of a module that failed to import, when it is used."""


def _rebuilt(error: RemoteError) -> Exception:
    """The grader's exception as the built-in exception of the same name, if there is one."""
    kind = getattr(builtins, error.kind, None)
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(error.message)
        except Exception:  # noqa: BLE001 - an exception type with other arguments
            pass
    return RuntimeError(f"{error.kind}: {error.message}")


def _kind(value) -> str:
    """The full name of a value's type (and an array's shape), for messages."""
    kind = type(value)
    name = f"{kind.__module__}.{kind.__qualname__}".removeprefix("builtins.")
    if isinstance(value, np.ndarray):
        name += f" of shape {value.shape}"
    return text(name, 200)


def _snapshot(value):
    """A copy to compare with after a call, for arguments a function could modify."""
    if type(value) in (np.ndarray, list, tuple, dict):
        try:
            return copy.deepcopy(value)
        except Exception:  # noqa: BLE001 - whatever cannot be copied is not compared
            return None
    return None


def main() -> None:
    """The runner: serve the grader's requests until it closes the pipe or breaks the protocol."""
    folder, reader, writer = Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)  # what the student prints goes nowhere, and never blocks
    os.dup2(quiet, 2)
    peer = RunnerPeer(reader, writer, folder)
    sys.setrecursionlimit(1000)
    while True:
        try:
            message, buffers = peer.receive()
            peer.serve(message, buffers)
        except (PeerGone, ProtocolError):
            os._exit(0)
        except OutOfTime:
            continue  # between checks: nothing of the student's was running


#: What the grader runs: ``python -I -c BOOT LIB SUBMISSION``.
BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); from mlpcourse.runner.serve import main; main()"
)
