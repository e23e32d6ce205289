"""The grader's end of the wire: the student's functions as remote objects.

The checks receive a :class:`RemoteImplementation`: ``impl.activations.sigmoid``
is a :class:`Remote` whose calls travel to the runner as plain values and
whose answers come back decoded, never as live objects. A ``Remote`` forwards
only calls and public attribute reads and writes: no dunder ever crosses, so
numpy cannot be talked into reading memory through ``__array_interface__``.

While a check waits, the runner may call back: a function the check passed
in (exported here), or a collaborator computed with the reference, which the
current :attr:`GraderPeer.allowed` permits or refuses.
"""

import contextlib
import math
import re
import time

import numpy as np

from mlpcourse.grader import reference
from mlpcourse.grader.diagnosis import CAUSE
from mlpcourse.grader.inert import inert
from mlpcourse.grader.limits import Limits
from mlpcourse.runner.codec import ProtocolError, Unsupported, handle
from mlpcourse.runner.protocol import Peer, PeerGone, RemoteError, Timeout


class Remote:
    """An object that lives in the runner: call it, read or set its public attributes."""

    __slots__ = ("_peer", "_handle", "_label")

    def __init__(self, peer: "GraderPeer", target: dict, label: str) -> None:
        """The runner's object ``target`` (a handle), reached through ``peer``."""
        object.__setattr__(self, "_peer", peer)
        object.__setattr__(self, "_handle", target)
        object.__setattr__(self, "_label", label)

    def __getattr__(self, name: str):
        """The object's public attribute ``name``, read in the runner."""
        if name.startswith("_"):
            raise AttributeError(name)
        return self._peer.request("getattr", target=self._handle, name=name)["value"]

    def __setattr__(self, name: str, value) -> None:
        """Set the object's public attribute ``name`` in the runner."""
        if name.startswith("_"):
            raise AttributeError(name)
        self._peer.request("setattr", {"value": value}, target=self._handle, name=name)

    def __call__(self, *args, **kwargs):
        """Call the object in the runner; the result, decoded."""
        return self.call_reporting(args, kwargs)[0]

    def call_reporting(self, args, kwargs=None) -> tuple[object, list[int]]:
        """The result, and the positions of the arguments the call modified."""
        reply = self._peer.call(self._handle, tuple(args), kwargs or {}, self._label)
        modified = reply["modified"]
        if type(modified) is not list or not all(type(i) is int for i in modified):
            raise ProtocolError("a malformed list of modified arguments")
        return reply["value"], modified

    def __repr__(self) -> str:
        """``<label (student code)>``."""
        return f"<{self._label} (student code)>"


class GraderPeer(Peer):
    """The trusted end: decodes runner objects as :class:`Remote`, serves the reference."""

    side = "T"

    def __init__(self, reader: int, writer: int) -> None:
        """Talk to the runner over ``reader`` and ``writer``; nothing allowed yet."""
        super().__init__(reader, writer)
        self.allowed: frozenset[str] = frozenset()
        self.waiting_on: list[str] = []
        self.stalled_in: str | None = None
        #: When the running check's own limit ends (``deadline`` adds a grace to hear why).
        self.check_end = math.inf
        self.broken = False
        #: What computes a collaborator: the reference, or a stand-in in a student's check.
        self.resolve = reference.function
        self._reference_names: dict[int, str] = {}
        # The runner may call what this side exports, never read or set its attributes.
        del self.handlers["getattr"], self.handlers["setattr"]

    def proxy(self, side: str, key, label: str):
        """A runner object as a :class:`Remote`; an allowed collaborator as the grader's own."""
        if side == "U" and type(key) is int:
            return Remote(self, handle("U", key, label), inert(label))  # names it in messages
        if side == "R" and type(key) is str:
            if key not in self.allowed:
                raise PermissionError(
                    f"{key} is not computed by the grader here: the function being graded "
                    "must be your own code, and so must everything it is built from"
                )
            value = self.resolve(key)
            self._reference_names[id(value)] = key
            return value
        raise ProtocolError("a malformed handle")

    def decode(self, tree, buffers: list, depth: int = 0, budget: list | None = None):
        """As :meth:`Peer.decode`; what the runner says a value was is made :func:`inert`."""
        value = super().decode(tree, buffers, depth, budget)
        if type(value) is Unsupported:
            value.description = inert(value.description)
        return value

    def handle_of(self, value):
        """A :class:`Remote` or a collaborator goes back as the handle it came as."""
        if type(value) is Remote:
            return value._handle
        name = self._reference_names.get(id(value))
        if name is not None:
            return handle("R", name, name)
        return None

    def call(self, target: dict, args: tuple, kwargs: dict, label: str = "") -> dict:
        """As :meth:`Peer.call`; ``label`` names the function in a message if time runs out."""
        self.waiting_on.append(label)
        try:
            return super().call(target, args, kwargs)
        except (Timeout, PeerGone):
            self.stalled_in = self.stalled_in or label
            raise
        finally:
            self.waiting_on.pop()

    def request(self, op: str, values: dict | None = None, **fields):
        """As :meth:`Peer.request`; the runner's exceptions arrive as :func:`plain_error`."""
        try:
            return super().request(op, values, **fields)
        except RemoteError as error:
            raise plain_error(error) from None
        except ProtocolError:
            # Raised inside a call the runner made (a reference function reading the
            # student's objects), it reaches the runner as that call's exception, and the
            # wire may be out of step: no later check may use this runner.
            self.broken = True
            raise

    def invoke(self, function, args: list, kwargs: dict) -> dict:
        """Call a function of this side for the runner, only on bounded work.

        Every function the grader serves (the reference's, and the callables a
        check hands to the student's code) may loop over its arguments in
        Python: their size is bounded before anything runs.
        """
        _bounded([*args, *kwargs.values()])
        return super().invoke(function, args, kwargs)

    def culprit(self) -> str:
        """The innermost student function the grader was waiting on when time ran out."""
        return self.stalled_in or "your code"

    @contextlib.contextmanager
    def time_limit(self, seconds: float | None, message: str):
        """Fail with ``message`` (AssertionError) unless the calls inside end in ``seconds``.

        ``seconds`` None: by the check's own limit (:attr:`check_end`), so that
        the message, not the generic one, says why time ran out.
        """
        outer = self.deadline
        end = self.check_end if seconds is None else time.monotonic() + seconds
        self.deadline = min(outer or math.inf, end)
        try:
            yield
        except Timeout:
            if outer is not None and time.monotonic() >= outer:
                raise
            self.broken = True  # the runner is still inside the call: it cannot go on
            raise AssertionError(message) from None
        finally:
            self.deadline = outer

    def reset(self, allowed: frozenset[str], limits: Limits) -> None:
        """A new check: nothing exported before resolves, a fresh budget of requests."""
        self.new_budget(limits.requests, limits.received_mb << 20)
        self.clear_exports()
        self._reference_names.clear()
        self.allowed = allowed
        self.stalled_in = None


#: What a function served here may be asked for: integers, and array entries in one call.
MAX_INTEGER = 10**6
MAX_ENTRIES = 1 << 20


#: An exception's type name as Python writes it (a dotted identifier).
_TYPE_NAME = re.compile(r"[A-Za-z_][\w.]*")


def plain_error(error: RemoteError) -> RemoteError:
    """The runner's exception with its text unable to speak for the grader.

    The type name must be an identifier (``type("a b", …)`` makes any string
    one), the message and the frames' texts are made :func:`inert` (no escape
    code, bidi override or zero-width character), and the grader's own words
    for a diagnosis (:data:`CAUSE`) are lowered in the student's message and
    source lines, so that only a check can name a student's mistake in a report.
    """
    kind = error.kind if _TYPE_NAME.fullmatch(error.kind) else "Exception"
    frames = [
        [_unmarked(part) if isinstance(part, str) else part for part in frame]
        if isinstance(frame, list)
        else frame
        for frame in error.frames
    ]
    return RemoteError(kind, _unmarked(error.message), frames)


def _unmarked(text: str) -> str:
    """``text`` made inert, the grader's word for a diagnosis lowered in it."""
    return re.sub(re.escape(CAUSE), CAUSE.lower(), inert(text), flags=re.IGNORECASE)


def _bounded(values, budget: list | None = None) -> None:
    """Refuse arguments that would make the grader's own work unbounded (n = 10⁹, say)."""
    budget = budget if budget is not None else [MAX_ENTRIES]
    for value in values:
        if type(value) is int and abs(value) > MAX_INTEGER:
            raise ValueError(f"{value} is larger than the grader computes with ({MAX_INTEGER})")
        if type(value) is np.ndarray:
            budget[0] -= value.size
            if budget[0] < 0:
                raise ValueError(f"arrays of more than {MAX_ENTRIES} entries in all")
        elif type(value) in (list, tuple):
            _bounded(value, budget)
        elif type(value) is dict:
            _bounded(list(value.values()), budget)


def time_limit(remote: Remote, seconds: float | None, message: str):
    """:meth:`GraderPeer.time_limit` of the runner that ``remote`` lives in."""
    return remote._peer.time_limit(seconds, message)


class RemoteModule:
    """``impl.activations``: its names looked up in the runner on first use."""

    def __init__(self, peer: GraderPeer, module: str) -> None:
        """The runner's ``mlpcourse.<module>``, through ``peer``."""
        self._peer, self._module, self._found = peer, module, {}

    def __getattr__(self, name: str):
        """The student's function or class ``name`` (an AssertionError if it is a value)."""
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._found:
            found = self._peer.request("lookup", path=f"{self._module}.{name}")["value"]
            if type(found) is not Remote:  # a value, or a stand-in: not the student's code
                raise AssertionError(
                    f"{name} in mlpcourse/{self._module}.py must be your own function or class"
                )
            self._found[name] = found
        return self._found[name]


class RemoteImplementation:
    """The student's exercise modules as the checks see them: ``impl.network.Network``."""

    def __init__(self, peer: GraderPeer) -> None:
        """Every exercise module of the runner behind ``peer``."""
        from mlpcourse.chapters import EXERCISE_MODULES

        self._peer = peer
        for module in EXERCISE_MODULES:
            setattr(self, module, RemoteModule(peer, module))

    def tool(self, name: str) -> Remote:
        """A handle on the runner's support code ``name`` (``mlpcourse.runner.serve.TOOLS``)."""
        found = self._peer.request("tool", name=name)["value"]
        if type(found) is not Remote:
            raise ProtocolError(f"the runner's tool {name!r} is not a function")
        return found


__all__ = ["GraderPeer", "Remote", "RemoteError", "RemoteImplementation"]
