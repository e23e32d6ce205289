"""Framing and the Peer: two Peers in one process, over pipes, each bound at its edge.

One Peer runs in the test, the other serves in a thread (or raw bytes are
written for it, as a hostile runner would). Every receiving Peer has a
deadline, so a bound that failed to stop a read fails the test as a Timeout
instead of hanging it.
"""

import json
import linecache
import math
import os
import select
import struct
import threading
import time

import numpy as np
import pytest

from mlpcourse.runner.codec import handle
from mlpcourse.runner.protocol import (
    MAX_BUFFERS,
    MAX_HEADER,
    MAX_MESSAGE,
    MAX_NESTING,
    OverBudget,
    Peer,
    PeerGone,
    ProtocolError,
    RemoteError,
    Timeout,
    student_frames,
)

#: How long a test waits for what should come at once.
PATIENCE = 20.0


class Side(Peer):
    """A Peer whose foreign handles become functions calling the other side."""

    def proxy(self, side, key, label):
        target = handle(side, key, label)

        def remote(*args, **kwargs):
            return self.call(target, args, kwargs)["value"]

        return remote


class Trusted(Side):
    side = "T"


class Untrusted(Side):
    side = "U"


class Pair:
    """A trusted Peer here and an untrusted one serving in a thread, or driven by hand."""

    def __init__(self) -> None:
        self.fds = []
        t_read, u_write = self.pipe()
        u_read, t_write = self.pipe()
        self.t = Trusted(t_read, t_write)
        self.u = Untrusted(u_read, u_write)
        self.t.deadline = self.u.deadline = time.monotonic() + PATIENCE
        self.errors: list[BaseException] = []
        self.thread: threading.Thread | None = None
        #: Objects the untrusted side hands out by name: ``t.request("get", name=...)``.
        self.objects: dict = {}
        self.u.handlers["get"] = lambda message, buffers: {"value": self.objects[message["name"]]}
        self.u.handlers["echo"] = lambda message, buffers: {
            "value": self.u.decode(message.get("value"), buffers)
        }

    def pipe(self):
        """A new pipe, its ends kept in ``fds`` (trusted read, untrusted write, ...)."""
        ends = os.pipe()
        self.fds += ends
        return ends

    def serve(self) -> "Pair":
        """Let the untrusted side answer requests in a thread until the pipe closes."""

        def loop():
            try:
                while True:
                    self.u.serve(*self.u.receive())
            except PeerGone:
                pass
            except BaseException as error:  # noqa: BLE001 - looked at by the test
                self.errors.append(error)

        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()
        return self

    def remote(self, name: str):
        """The untrusted side's object ``name``, as a function here."""
        return self.t.request("get", name=name)["value"]

    def close_end(self, index: int) -> None:
        """Close one of the four pipe ends (once: its number may be reused)."""
        if self.fds[index] >= 0:
            os.close(self.fds[index])
            self.fds[index] = -1

    def close(self) -> None:
        """Close the trusted ends first: the untrusted side's thread then sees the pipe go."""
        for index in (0, 3):
            self.close_end(index)
        if self.thread:
            self.thread.join(PATIENCE)
            assert not self.thread.is_alive()
        for index in (1, 2):
            self.close_end(index)


@pytest.fixture
def pair():
    made = Pair()
    yield made
    made.close()


def write_raw(fd: int, data: bytes) -> threading.Thread:
    """Write ``data`` to ``fd`` from a thread (a pipe holds 64 KiB)."""

    def write():
        try:
            os.write(fd, data) if len(data) < 4096 else _write_all(fd, data)
        except OSError:
            pass

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view[: 1 << 20]) :]


def reading_end(peer_writer: int, fds: list) -> tuple[Trusted, int]:
    """A trusted Peer reading what is written to the returned descriptor."""
    read, write = os.pipe()
    fds += [read, write]
    peer = Trusted(read, peer_writer)
    peer.deadline = time.monotonic() + PATIENCE
    return peer, write


@pytest.fixture
def raw():
    """``(peer, fd)``: a trusted Peer, and the descriptor whose bytes it reads."""
    fds: list[int] = []
    sink_read, sink_write = os.pipe()
    fds += [sink_read, sink_write]
    yield reading_end(sink_write, fds)
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def frame(header: bytes, buffers=(), count: int | None = None) -> bytes:
    """A message as the protocol's docstring writes it: sizes, header, sized buffers."""
    parts = [struct.pack("<II", len(header), len(buffers) if count is None else count), header]
    for data in buffers:
        parts += [struct.pack("<Q", len(data)), data]
    return b"".join(parts)


def sent_bytes(values: dict, **message) -> bytes:
    """What a Peer writes for ``message`` with ``values``, read off its pipe."""
    read, write = os.pipe()
    try:
        peer = Untrusted(read, write)
        thread = threading.Thread(target=peer.send, args=({"op": "x", **message}, values))
        chunks = []
        thread.start()
        while thread.is_alive() or select.select([read], [], [], 0)[0]:
            if select.select([read], [], [], 0.05)[0]:
                chunks.append(os.read(read, 1 << 20))
        return b"".join(chunks)
    finally:
        os.close(read)
        os.close(write)


# ---- requests and replies -------------------------------------------------------------------

VALUES = {
    "scalars": [0, -1, 2.5, math.inf, True, None, "s"],
    "nan": math.nan,
    "nested": {"a": (1, [2, {"b": None}])},
    "arrays": [np.arange(6, dtype=np.int16).reshape(2, 3), np.zeros((0, 2)), np.array(1.5)],
    "a numpy scalar": np.float32(0.5),
}


@pytest.mark.parametrize("value", VALUES.values(), ids=list(VALUES))
def test_a_value_crosses_the_pipes_and_back(pair, value):
    pair.serve()
    result = pair.t.request("echo", {"value": value})["value"]
    assert repr(result) == repr(value) and type(result) is type(value)
    if isinstance(value, list):
        assert [type(v) for v in result] == [type(v) for v in value]


def test_a_large_array_crosses_whole(pair):
    pair.serve()
    value = np.random.default_rng(0).random((300, 1000))
    result = pair.t.request("echo", {"value": value})["value"]
    assert result.tobytes() == value.tobytes()


def test_a_function_of_the_other_side_is_called_with_its_arguments(pair):
    pair.objects["power"] = lambda base, exponent=1: base**exponent
    pair.serve()
    assert pair.remote("power")(3, exponent=4) == 81


def test_calls_nest_both_ways(pair):
    def twice(f, x):
        return f(f(x))

    pair.objects["twice"] = twice
    pair.serve()
    remote_twice = pair.remote("twice")
    calls = []

    def add_one(x):
        calls.append(x)
        return x + 1

    assert remote_twice(add_one, 5) == 7 and calls == [5, 6]
    assert remote_twice(lambda x: remote_twice(add_one, x), 0) == 4


def test_a_generator_argument_moves_on_on_the_callers_side(pair):
    pair.objects["draw"] = lambda rng: rng.random(3)
    pair.serve()
    rng, twin = np.random.default_rng(3), np.random.default_rng(3)
    assert pair.remote("draw")(rng).tolist() == twin.random(3).tolist()
    assert rng.random() == twin.random()


def test_an_exception_of_the_other_side_arrives_as_a_remote_error(pair):
    def fails():
        raise KeyError("no such key")

    pair.objects["fails"] = fails
    pair.serve()
    with pytest.raises(RemoteError) as caught:
        pair.remote("fails")()
    assert caught.value.kind == "KeyError" and caught.value.message == "'no such key'"
    assert str(caught.value) == "KeyError: 'no such key'"


def test_a_remote_error_keeps_the_innermost_8_frames_and_cut_texts(pair):
    frames = [[f"file{i}.py", i, "f", ""] for i in range(12)]
    pair.u.describe_error = lambda error: {
        "op": "raise",
        "kind": "K" * 101,
        "message": "m" * 4001,
        "frames": frames,
    }
    pair.objects["fails"] = lambda: 1 / 0
    pair.serve()
    with pytest.raises(RemoteError) as caught:
        pair.remote("fails")()
    assert caught.value.frames == frames[-8:]
    assert caught.value.kind == "K" * 99 + "…" and len(caught.value.message) == 4000


def test_an_unknown_request_is_answered_with_an_error(pair):
    pair.serve()
    with pytest.raises(RemoteError, match="ProtocolError: unknown request 'nope'"):
        pair.t.request("nope")
    assert pair.t.request("echo", {"value": 1})["value"] == 1  # the wire is still in step


def test_public_attributes_only_are_read_and_written(pair):
    class Thing:
        size = 3
        _secret = "s"

    thing = Thing()
    handle_tree = pair.u.export(thing)
    pair.serve()
    assert pair.t.request("getattr", target=handle_tree, name="size")["value"] == 3
    pair.t.request("setattr", {"value": 4}, target=handle_tree, name="size")
    assert thing.size == 4
    for op in ("getattr", "setattr"):
        with pytest.raises(
            RemoteError, match="AttributeError: attribute '_secret' is out of reach"
        ):
            pair.t.request(op, {"value": 1}, target=handle_tree, name="_secret")
    assert thing._secret == "s"


def test_an_answer_too_deep_to_send_is_answered_with_an_error(pair):
    deep = 0
    for _ in range(40):
        deep = [deep]
    pair.objects["deep"] = lambda: deep
    pair.serve()
    with pytest.raises(RemoteError, match="ValueError: the answer is nested too deeply to send"):
        pair.remote("deep")()


def test_calling_what_is_not_callable_is_a_type_error(pair):
    target = pair.u.export(3.5j)
    pair.serve()
    with pytest.raises(RemoteError, match="TypeError: complex is not callable"):
        pair.t.request("call", {"args": [], "kwargs": {}}, target=target)


# ---- the bounds of a Peer -------------------------------------------------------------------


def test_requests_nest_at_most_max_nesting_deep(pair):
    pair.serve()
    pair.t.depth = MAX_NESTING - 1
    assert pair.t.request("echo", {"value": 1})["value"] == 1
    assert pair.t.depth == MAX_NESTING - 1
    pair.t.depth = MAX_NESTING
    with pytest.raises(RecursionError, match="nested too deeply"):
        pair.t.request("echo", {"value": 2})
    assert pair.t.depth == MAX_NESTING
    pair.t.depth = 0
    assert pair.t.request("echo", {"value": 3})["value"] == 3  # nothing was sent


def test_the_request_budget_allows_exactly_its_requests(pair):
    pair.objects["calls"] = lambda f, n: [f() for _ in range(n)]
    pair.serve()
    calls = pair.remote("calls")
    pair.t.new_budget(3, None)
    assert calls(lambda: 1, 3) == [1, 1, 1] and pair.t.served == 3
    pair.t.new_budget(3, None)
    with pytest.raises(OverBudget, match="more than 3 requests to the grader"):
        calls(lambda: 1, 4)


def test_the_request_budget_counts_every_request_until_a_new_budget(pair):
    pair.objects["calls"] = lambda f, n: [f() for _ in range(n)]
    pair.serve()
    calls = pair.remote("calls")
    pair.t.new_budget(5, None)
    calls(lambda: 1, 2)
    calls(lambda: 1, 3)
    with pytest.raises(OverBudget):
        calls(lambda: 1, 1)


def test_the_request_budget_is_not_caught_by_the_other_side(pair):
    def swallowing(f):
        for _ in range(10):
            try:
                f()
            except Exception:  # noqa: BLE001 - what a hostile runner would do
                pass

    pair.objects["swallowing"] = swallowing
    pair.serve()
    f = pair.remote("swallowing")
    pair.t.new_budget(2, None)
    with pytest.raises(OverBudget):
        f(lambda: 1)


def test_the_byte_budget_allows_exactly_its_bytes(raw):
    peer, fd = raw
    message = sent_bytes({"value": np.arange(100.0)}, pad="p" * 1000)
    assert len(message) > 800 + 1000
    peer.new_budget(None, len(message))
    write_raw(fd, message)
    assert peer.receive()[0]["op"] == "x" and peer.received == len(message)
    peer.new_budget(None, len(message) - 1)
    write_raw(fd, message)
    with pytest.raises(OverBudget, match="MiB sent to the grader"):
        peer.receive()


def test_the_byte_budget_counts_every_message_until_a_new_budget(raw):
    peer, fd = raw
    message = sent_bytes({"value": [1, 2, 3]})
    peer.new_budget(None, 2 * len(message) - 1)
    write_raw(fd, message * 2)
    peer.receive()
    with pytest.raises(OverBudget):
        peer.receive()


def test_a_new_byte_budget_starts_from_zero(raw):
    peer, fd = raw
    message = sent_bytes({"value": [1, 2, 3]})
    write_raw(fd, message * 3)
    peer.new_budget(None, len(message))
    peer.receive()
    peer.new_budget(None, len(message))
    assert peer.receive()[0]["op"] == "x"
    with pytest.raises(OverBudget):
        peer.receive()


def test_the_byte_budget_is_checked_before_reading(raw):
    peer, _ = raw  # nothing is written: a read would wait until the deadline
    peer.deadline = time.monotonic() + 0.5
    peer.new_budget(None, 7)
    with pytest.raises(OverBudget):
        peer.receive()


def test_the_byte_budget_refuses_a_large_buffer_before_its_data(raw):
    peer, fd = raw
    header = b'{"op":"x"}'
    peer.deadline = time.monotonic() + 2
    peer.new_budget(None, 2**20)
    write_raw(fd, frame(header, count=1) + struct.pack("<Q", 2**20))
    with pytest.raises(OverBudget):
        peer.receive()


def test_a_passed_deadline_stops_a_read_even_with_data_waiting(raw):
    peer, fd = raw
    os.write(fd, frame(b'{"op":"x"}'))
    peer.deadline = time.monotonic() - 0.001
    with pytest.raises(Timeout):
        peer.receive()
    peer.deadline = time.monotonic() + PATIENCE
    assert peer.receive()[0] == {"op": "x"}


def test_the_deadline_ends_a_wait_for_a_message_that_does_not_come(raw):
    peer, _ = raw
    start = time.monotonic()
    peer.deadline = start + 0.3
    with pytest.raises(Timeout):
        peer.receive()
    assert 0.3 <= time.monotonic() - start < 0.3 + PATIENCE / 2


def test_the_deadline_ends_a_message_that_stops_halfway(raw):
    peer, fd = raw
    os.write(fd, frame(b'{"op":"x","pad":"' + b"p" * 100 + b'"}')[:50])
    peer.deadline = time.monotonic() + 0.3
    with pytest.raises(Timeout):
        peer.receive()


def test_no_deadline_waits_for_the_message(raw):
    peer, fd = raw
    peer.deadline = None
    threading.Timer(0.2, os.write, (fd, frame(b'{"op":"late"}'))).start()
    assert peer.receive()[0] == {"op": "late"}


def test_the_deadline_ends_a_write_into_a_full_pipe(pair):
    pair.t.deadline = time.monotonic() + 0.3  # nobody reads the untrusted side's end
    with pytest.raises(Timeout):
        pair.t.send({"op": "echo"}, {"value": np.zeros(2**18)})


def test_the_deadline_ends_a_flood_of_requests(pair):
    def flood(f):
        while True:
            f()

    pair.objects["flood"] = flood
    pair.serve()
    f = pair.remote("flood")
    start = time.monotonic()
    pair.t.deadline = start + 0.3
    with pytest.raises(Timeout):
        f(lambda: None)
    assert time.monotonic() - start < PATIENCE / 2


# ---- framing --------------------------------------------------------------------------------


def padded_header(size: int) -> bytes:
    """A JSON header of exactly ``size`` bytes."""
    empty = json.dumps({"op": "x", "pad": ""}).encode()
    header = json.dumps({"op": "x", "pad": "p" * (size - len(empty))}).encode()
    assert len(header) == size
    return header


def test_a_header_of_max_header_bytes_is_received(raw):
    peer, fd = raw
    write_raw(fd, frame(padded_header(MAX_HEADER)))
    message, buffers = peer.receive()
    assert len(message["pad"]) > MAX_HEADER - 100 and buffers == []


def test_a_header_over_max_header_bytes_is_refused_before_it_is_read(raw):
    peer, fd = raw
    os.write(fd, struct.pack("<II", MAX_HEADER + 1, 0))  # and not one byte of it
    with pytest.raises(ProtocolError, match="a message header out of bounds"):
        peer.receive()


def test_a_header_of_max_header_bytes_is_sent_and_one_more_is_not(pair):
    empty = len(sent_bytes({}, op="echo", pad="")) - 8  # the header, without its sizes
    pair.serve()
    assert pair.t.request("echo", pad="p" * (MAX_HEADER - empty))["value"] is None
    with pytest.raises(ProtocolError, match="over the 4 MiB limit"):
        pair.t.send({"op": "echo", "pad": "p" * (MAX_HEADER - empty + 1)})
    assert pair.t.request("echo", {"value": 5})["value"] == 5  # nothing of it was written


def test_max_buffers_buffers_are_received(raw):
    peer, fd = raw
    write_raw(fd, frame(b'{"op":"x"}', [b""] * MAX_BUFFERS))
    assert len(peer.receive()[1]) == MAX_BUFFERS


def test_more_than_max_buffers_buffers_are_refused_before_they_are_read(raw):
    peer, fd = raw
    os.write(fd, frame(b'{"op":"x"}', count=MAX_BUFFERS + 1))
    with pytest.raises(ProtocolError, match="a message header out of bounds"):
        peer.receive()


def test_a_message_of_max_message_bytes_is_received(raw):
    peer, fd = raw
    header = b'{"op":"x"}'
    data = [bytes(MAX_MESSAGE // 2), bytes(MAX_MESSAGE - MAX_MESSAGE // 2 - len(header))]
    thread = write_raw(fd, frame(header, data))
    message, buffers = peer.receive()
    assert [len(b) for b in buffers] == [len(d) for d in data]
    thread.join()


def test_a_message_over_max_message_bytes_is_refused_before_the_buffer_is_read(raw):
    peer, fd = raw
    header = b'{"op":"x"}'
    os.write(fd, frame(header, count=2) + struct.pack("<Q", 10))
    write_raw(fd, bytes(10) + struct.pack("<Q", MAX_MESSAGE - len(header) - 10 + 1))
    with pytest.raises(ProtocolError, match="a message over the size limit"):
        peer.receive()


def test_a_payload_of_max_message_bytes_is_sent_and_one_more_is_not(pair):
    def payload(entries: int) -> int:
        header = json.dumps({"op": "echo", "value": {"a": ["|u1", [entries], 0]}})
        return 8 + len(header.replace(" ", "")) + 8 + entries

    entries = MAX_MESSAGE - payload(0)
    while payload(entries) > MAX_MESSAGE:
        entries -= 1
    assert payload(entries) == MAX_MESSAGE
    received = []
    pair.u.handlers["echo"] = lambda message, buffers: received.append(buffers) or {}
    pair.serve()
    pair.t.request("echo", {"value": np.zeros(entries, dtype=np.uint8)})
    assert [len(b) for b in received.pop()] == [entries]
    with pytest.raises(ProtocolError, match="over the 64 MiB limit"):
        pair.t.send({"op": "echo"}, {"value": np.zeros(entries + 1, dtype=np.uint8)})


CUTS = {
    "in the sizes": lambda m: m[:5],
    "in the header": lambda m: m[:20],
    "in a buffer's size": lambda m: m[: m.index(b"}") + 1 + 4],
    "in a buffer": lambda m: m[:-10],
}


@pytest.mark.parametrize("cut", CUTS.values(), ids=list(CUTS))
def test_a_peer_that_closes_mid_message_is_gone(cut):
    read, write = os.pipe()
    try:
        peer = Trusted(read, write)
        peer.deadline = time.monotonic() + PATIENCE
        message = frame(b'{"op":"x","pad":"0123456789012345"}', [bytes(100)])
        os.write(write, cut(message))
        os.close(write)
        with pytest.raises(PeerGone):
            peer.receive()
    finally:
        os.close(read)


def test_a_peer_that_closes_between_messages_is_gone(pair):
    pair.close_end(1)  # the untrusted side's writing end
    with pytest.raises(PeerGone):
        pair.t.receive()


def test_writing_to_a_peer_that_is_gone_raises_peer_gone(pair):
    pair.close_end(2)  # the untrusted side's reading end
    with pytest.raises(PeerGone):
        pair.t.send({"op": "echo"}, {"value": 1})


def test_a_request_to_a_peer_that_dies_raises_peer_gone(pair):
    pair.objects["exit"] = lambda: pair.close_end(1)
    pair.serve()
    with pytest.raises(PeerGone):
        pair.remote("exit")()


@pytest.mark.parametrize(
    "header, error",
    [
        (b"not json", "a message that is not JSON"),
        (b"\xff\xfe", "a message that is not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "a message that is not JSON"),
        (b"[]", "a message without an operation"),
        (b'{"op": 1}', "a message without an operation"),
        (b'{"value": 1}', "a message without an operation"),
    ],
    ids=["text", "bytes", "deep", "list", "op not a string", "no op"],
)
def test_a_header_that_is_not_a_message_is_refused(raw, header, error):
    peer, fd = raw
    write_raw(fd, frame(header))
    with pytest.raises(ProtocolError, match=error):
        peer.receive()


def test_serve_lets_budget_and_time_errors_through_unanswered(pair):
    def raising(error):
        def handler(message, buffers):
            raise error

        return handler

    for error in (OverBudget("over"), Timeout(), PeerGone()):
        pair.t.handlers["fail"] = raising(error)
        with pytest.raises(type(error)):
            pair.t.serve({"op": "fail"}, [])
    assert not select.select([pair.fds[2]], [], [], 0)[0]  # nothing was answered


# ---- tracebacks -----------------------------------------------------------------------------


def test_student_frames_are_the_innermost_8_in_the_given_files():
    source = (
        "def down(n):\n    if n == 0:\n        raise ValueError('bottom')\n    return down(n - 1)\n"
    )
    linecache.cache["student.py"] = (len(source), None, source.splitlines(True), "student.py")
    namespace: dict = {}
    exec(compile(source, "student.py", "exec"), namespace)
    try:
        namespace["down"](20)
    except ValueError as error:
        frames = student_frames(error, {"student.py"})
        assert student_frames(error, {"other.py"}) == []
    assert len(frames) == 8
    assert frames[-1] == ["student.py", 3, "down", "raise ValueError('bottom')"]
    assert frames[0] == ["student.py", 4, "down", "return down(n - 1)"]
