"""The wire between the trusted grader and the untrusted runner: framing and remote calls.

A message is a length-prefixed JSON header followed by raw array buffers::

    <II: header bytes, buffer count> header (JSON) { <Q: buffer bytes> buffer }*

The header is a dict with an ``op``; its values are trees of :mod:`.codec`,
which builds nothing but plain values from them. The framing is bounded too
(header size, buffer count, message size), and so is what one side may ask of
the other (requests served and bytes read per budget, a deadline, nesting).

Anything that is not a plain value (a function, a class, a student's object)
never crosses: it is *exported* and crosses as a handle that the other side
can only call, read or write through further messages. Both ends run the
same :class:`Peer`; while one waits for a reply it serves the other's nested
requests, so a graded function may call a collaborator that calls back.
"""

import collections
import json
import linecache
import os
import select
import struct
import time
import traceback
from collections.abc import Callable

import numpy as np

from mlpcourse.runner.codec import (
    Codec,
    ProtocolError,
    Unsupported,
    describe_type,
    moved_generators,
    set_generator_state,
    text,
)

#: Bytes of a message: its header and buffers together.
MAX_MESSAGE = 64 * 2**20
#: Bytes of a message's JSON header.
MAX_HEADER = 4 * 2**20
#: Array buffers of a message.
MAX_BUFFERS = 100_000
#: Requests of one side waiting on the other's reply, nested.
MAX_NESTING = 100
_HEAD = struct.Struct("<II")
_LENGTH = struct.Struct("<Q")

#: What other modules import from here (:class:`ProtocolError` and :class:`Unsupported`
#: are :mod:`.codec`'s, imported from here too).
__all__ = [
    "MAX_BUFFERS",
    "MAX_HEADER",
    "MAX_MESSAGE",
    "MAX_NESTING",
    "OverBudget",
    "Peer",
    "PeerGone",
    "ProtocolError",
    "RemoteError",
    "Timeout",
    "Unsupported",
    "student_frames",
]


class PeerGone(Exception):
    """The other side closed the pipe (it exited or was killed)."""


class Timeout(BaseException):
    """The deadline passed: the other side did not answer in time, or kept this side busy."""


class OverBudget(ProtocolError):
    """The other side sent more requests or bytes than one check allows."""


class RemoteError(Exception):
    """An exception raised on the other side, as plain text.

    ``kind`` is the exception's type name, ``frames`` the traceback frames the
    other side chose to show as (file, line, function, source text).
    """

    def __init__(self, kind: str, message: str, frames: list | None = None) -> None:
        """The exception ``kind: message``, raised where ``frames`` say."""
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind, self.message, self.frames = kind, message, frames or []


class Peer(Codec):
    """One end of the wire: sends requests and serves the other's, over two pipes.

    ``side`` is this end's letter ("T" trusted, "U" untrusted). Subclasses give
    the hooks of :class:`~.codec.Codec` (:meth:`proxy`, :meth:`handle_of`,
    :meth:`encode_other`) and extra requests in ``handlers``.
    """

    def __init__(self, reader: int, writer: int) -> None:
        """Read messages from the descriptor ``reader``, write them to ``writer``."""
        super().__init__()
        self.reader, self.writer = reader, writer
        #: When this side stops reading, serving and waiting (``time.monotonic()``), or None.
        self.deadline: float | None = None
        #: At most this many of the other side's requests served and bytes read (None: any),
        #: counted in ``served`` and ``received`` until :meth:`new_budget`.
        self.max_requests: int | None = None
        self.max_bytes: int | None = None
        self.served = self.received = 0
        self.depth = 0
        self.handlers: dict[str, Callable] = {
            "call": self._serve_call,
            "getattr": self._serve_getattr,
            "setattr": self._serve_setattr,
        }

    def new_budget(self, requests: int | None, received: int | None) -> None:
        """Allow the other side ``requests`` requests and ``received`` bytes from now on."""
        self.max_requests, self.max_bytes = requests, received
        self.served = self.received = 0

    # ---- messages -------------------------------------------------------------------------

    def send(self, message: dict, values: dict | None = None) -> None:
        """Encode ``values`` into ``message`` and write it whole (or raise ProtocolError)."""
        buffers: list[bytes] = []
        body = dict(message)
        for name, value in (values or {}).items():
            body[name] = self.encode(value, buffers)
        header = json.dumps(body, allow_nan=True, separators=(",", ":")).encode()
        if len(header) > MAX_HEADER:  # the other side would refuse it, after its first bytes
            raise ProtocolError(
                f"takes a header of {len(header)} bytes, over the {MAX_HEADER >> 20} MiB limit"
            )
        parts = [_HEAD.pack(len(header), len(buffers)), header]
        for data in buffers:
            parts += [_LENGTH.pack(len(data)), data]
        payload = b"".join(parts)
        if len(payload) > MAX_MESSAGE:
            raise ProtocolError(
                f"takes {len(payload)} bytes, over the {MAX_MESSAGE >> 20} MiB limit"
            )
        self._write(payload)

    def _write(self, payload: bytes) -> None:
        """Write all of ``payload``, in pieces, each within the deadline."""
        view = memoryview(payload)
        while view:
            self._wait(self.writer, write=True)
            try:
                written = os.write(self.writer, view[: 1 << 16])
            except BrokenPipeError:
                raise PeerGone from None
            view = view[written:]

    def _wait(self, fd: int, write: bool = False) -> None:
        """Return when ``fd`` is ready; raise :class:`Timeout` once the deadline has passed.

        The deadline is checked first, whether or not data is waiting: a peer
        that keeps the pipe full cannot keep this side past it.
        """
        if self.deadline is None:
            return
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise Timeout
        if write:
            ready = select.select([], [fd], [], remaining)[1]
        else:
            ready = select.select([fd], [], [], remaining)[0]
        if not ready:
            raise Timeout

    def _read(self, size: int) -> bytes:
        """Exactly ``size`` bytes, counted against the budget of bytes received."""
        self.received += size
        if self.max_bytes is not None and self.received > self.max_bytes:
            raise OverBudget(f"more than {self.max_bytes >> 20} MiB sent to the grader")
        chunks, missing = [], size
        while missing:
            self._wait(self.reader)
            chunk = os.read(self.reader, min(missing, 1 << 20))
            if not chunk:
                raise PeerGone
            chunks.append(chunk)
            missing -= len(chunk)
        return b"".join(chunks)

    def receive(self) -> tuple[dict, list[bytes]]:
        """The next message: its header (a dict with ``op``) and its array buffers."""
        header_size, count = _HEAD.unpack(self._read(_HEAD.size))
        if header_size > MAX_HEADER or count > MAX_BUFFERS:
            raise ProtocolError("a message header out of bounds")
        try:
            message = json.loads(self._read(header_size))
        except (ValueError, RecursionError):
            raise ProtocolError("a message that is not JSON") from None
        if type(message) is not dict or type(message.get("op")) is not str:
            raise ProtocolError("a message without an operation")
        buffers, total = [], header_size
        for _ in range(count):
            (size,) = _LENGTH.unpack(self._read(_LENGTH.size))
            total += size
            if total > MAX_MESSAGE:
                raise ProtocolError("a message over the size limit")
            buffers.append(self._read(size))
        return message, buffers

    # ---- requests -------------------------------------------------------------------------

    def request(self, op: str, values: dict | None = None, **fields):
        """Send a request and wait for its reply, serving the other side meanwhile.

        Returns the decoded reply ``{"value": ..., ...}``; a reply that reports
        an exception raises :class:`RemoteError`.
        """
        if self.depth >= MAX_NESTING:
            raise RecursionError("calls between grader and runner nested too deeply")
        self.depth += 1
        try:
            self.send({"op": op, **fields}, values)
            while True:
                message, buffers = self.receive()
                if message["op"] == "return":
                    return {
                        "value": self.decode(message.get("value"), buffers),
                        "modified": message.get("modified", []),
                        "generators": message.get("generators", {}),
                    }
                if message["op"] == "raise":
                    frames = message.get("frames")
                    raise RemoteError(
                        text(message.get("kind", "Exception"), 100),
                        text(message.get("message", ""), 4000),
                        frames[-8:] if type(frames) is list else [],  # the innermost
                    )
                self.served += 1
                if self.max_requests is not None and self.served > self.max_requests:
                    raise OverBudget(f"more than {self.max_requests} requests to the grader")
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    raise Timeout
                self.serve(message, buffers)
        finally:
            self.depth -= 1

    def serve(self, message: dict, buffers: list) -> None:
        """Answer one request from the other side with "return" or "raise"."""
        handler = self.handlers.get(message["op"])
        try:
            if handler is None:
                raise ProtocolError(f"unknown request {text(message['op'], 30)!r}")
            reply = handler(message, buffers)
        except (Timeout, PeerGone, OverBudget):
            raise  # ends the check: never an answer the other side could catch
        except BaseException as error:  # noqa: BLE001 - reported to the other side
            self.send(self.describe_error(error))
            if isinstance(error, (KeyboardInterrupt, SystemExit)) and self.side == "T":
                raise
            return
        values = {"value": reply.pop("value", None)}
        try:
            self.send({"op": "return", **reply}, values)
        except ProtocolError as error:  # an answer too large or too deep to send
            self.send({"op": "raise", "kind": "ValueError", "message": f"the answer {error}"})

    def describe_error(self, error: BaseException) -> dict:
        """The "raise" message that reports ``error`` to the other side."""
        return {"op": "raise", "kind": type(error).__name__, "message": text(error, 4000)}

    def target(self, message: dict, buffers: list):
        """The exported object a request is about."""
        return self.decode(message.get("target"), buffers)

    def _serve_call(self, message: dict, buffers: list) -> dict:
        """Answer "call": call an exported function with the decoded arguments."""
        function = self.target(message, buffers)
        args = self.decode(message.get("args"), buffers)
        kwargs = self.decode(message.get("kwargs"), buffers)
        if type(args) is not list or type(kwargs) is not dict:
            raise ProtocolError("a malformed call")
        return self.invoke(function, args, kwargs)

    def invoke(self, function, args: list, kwargs: dict) -> dict:
        """Call a local function for the other side; report moved generators."""
        if not callable(function):
            raise TypeError(f"{describe_type(function)} is not callable")
        result = function(*args, **kwargs)
        return {"value": result, "generators": moved_generators(args)}

    def _serve_getattr(self, message: dict, buffers: list) -> dict:
        """Answer "getattr": a public attribute of an exported object."""
        owner, name = self.target(message, buffers), message.get("name")
        if type(name) is not str or name.startswith("_"):
            raise AttributeError(f"attribute {text(name, 50)!r} is out of reach")
        return {"value": getattr(owner, name)}

    def _serve_setattr(self, message: dict, buffers: list) -> dict:
        """Answer "setattr": set a public attribute of an exported object."""
        owner, name = self.target(message, buffers), message.get("name")
        if type(name) is not str or name.startswith("_"):
            raise AttributeError(f"attribute {text(name, 50)!r} is out of reach")
        setattr(owner, name, self.decode(message.get("value"), buffers))
        return {"value": None}

    def call(self, target: dict, args: tuple, kwargs: dict) -> dict:
        """Call the other side's function ``target`` (a handle); returns the reply."""
        generators = {str(i): a for i, a in enumerate(args) if type(a) is np.random.Generator}
        reply = self.request("call", {"args": list(args), "kwargs": dict(kwargs)}, target=target)
        moved = reply["generators"]
        if type(moved) is dict:
            for index, state in moved.items():
                if index in generators:
                    set_generator_state(generators[index], state)
        return reply


def student_frames(error: BaseException, files: set[str]) -> list[list]:
    """The innermost 8 traceback frames of ``error`` that are in ``files``, as plain lists.

    Only those 8 are looked at closely: a recursion a million deep costs a walk, not memory.
    """
    innermost = collections.deque(maxlen=8)
    for frame, line in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename in files:
            innermost.append((frame, line))
    return [
        [
            frame.f_code.co_filename,
            line,
            frame.f_code.co_name,
            linecache.getline(frame.f_code.co_filename, line, frame.f_globals).strip()[:200],
        ]
        for frame, line in innermost
    ]
