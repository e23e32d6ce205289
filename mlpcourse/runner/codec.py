"""The values that cross between grader and runner: plain values only, each bounded.

:meth:`Codec.encode` turns a value into a JSON-able tree plus raw array
buffers; :meth:`Codec.decode` turns such a tree back into Python scalars,
lists, tuples, dicts with string keys, numpy arrays of a few numeric dtypes
and random generators, and nothing else: no pickle, no code, nothing that
runs when it is decoded. Every bound (nesting, items, string length,
integer range, array rank, dimensions and entries) is checked before
anything of that size is built; a value past one raises :class:`ProtocolError`.

The tree: ``None``, bools, ints, floats (``NaN`` and ``Infinity`` as JSON
writes them) and strings are themselves; everything else is a one-entry dict
whose key is a one-letter tag, named here (:data:`LIST`, :data:`TUPLE`, ...)
and spelled as one letter on the wire, so that a deep tree of small values
stays small:

- ``{"l": [v, ...]}`` a list, ``{"t": [v, ...]}`` a tuple,
  ``{"d": [[key, v], ...]}`` a dict with string keys;
- ``{"a": [dtype, shape, index]}`` a numpy array whose bytes are
  ``buffers[index]``, ``{"n": [dtype, number]}`` a numpy scalar;
- ``{"g": {"state", "inc", "has_uint32", "uinteger"}}`` a PCG64 generator;
- ``{"x": description}`` a value that could not be sent (:class:`Unsupported`);
- ``{"h": [side, key, label]}`` a handle: anything else (a function, a class,
  a student's object) never crosses, it is *exported* and the other side can
  only call, read or write it through further messages (:mod:`.protocol`).
"""

import math

import numpy as np

#: Nesting of a value: a scalar inside 32 lists is the deepest that crosses.
MAX_DEPTH = 32
#: Nodes (every scalar, container and dict key) in one decoded value.
MAX_ITEMS = 100_000
#: Array entries in one decoded value, all arrays together (4 Mi: 32 MiB of float64).
MAX_ENTRIES = 1 << 22
#: Characters of a string (dict keys included).
MAX_STRING = 64 * 2**10
#: Integers cross when ``abs(n) < MAX_INT``.
MAX_INT = 2**63
#: Dimensions of an array at most, and each dimension below ``MAX_DIMENSION``.
MAX_RANK = 8
MAX_DIMENSION = 2**31
#: The array and numpy scalar dtypes that cross (as ``dtype.str``).
DTYPES = ("<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "|i1", "<u8", "<u4", "<u2", "|u1", "|b1")

# The wire tags, one letter each.
LIST = "l"
TUPLE = "t"
DICT = "d"
ARRAY = "a"
SCALAR = "n"
GENERATOR = "g"
UNSUPPORTED = "x"
HANDLE = "h"

_GENERATOR_FIELDS = {"state", "inc", "has_uint32", "uinteger"}


class ProtocolError(Exception):
    """A message broke the protocol: malformed, too large, or out of bounds."""


class Unsupported:
    """Stands for a value the other side could not send, with its description."""

    __slots__ = ("description",)

    def __init__(self, description: str) -> None:
        """Stand for a value described as ``description``."""
        self.description = description

    def __repr__(self) -> str:
        """The description itself."""
        return self.description


def handle(side: str, key, label: str) -> dict:
    """The tree of a handle: ``side``'s exported object ``key``, named ``label``."""
    return {HANDLE: [side, key, label]}


def unsupported(description: str) -> dict:
    """The tree of a value that is not sent, decoded as :class:`Unsupported`."""
    return {UNSUPPORTED: description}


def describe_type(value) -> str:
    """A short name of what a value is, for messages: ``numpy.ma.MaskedArray (1, 7)``."""
    kind = type(value)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    if isinstance(value, np.ndarray):
        name += f" of shape {value.shape}, dtype {value.dtype}"
    return text(name, 200)


def text(value, limit: int = MAX_STRING) -> str:
    """``str(value)`` cut to ``limit`` characters, never raising."""
    try:
        result = value if type(value) is str else str(value)
    except BaseException:  # noqa: BLE001 - a hostile __str__
        result = "<unprintable>"
    if type(result) is not str:
        result = "<unprintable>"
    return result if len(result) <= limit else result[: limit - 1] + "…"


def generator_state(rng: np.random.Generator) -> dict | None:
    """A PCG64 generator's state as plain integers (None for another bit generator)."""
    state = rng.bit_generator.state
    if state.get("bit_generator") != "PCG64":
        return None
    return {
        "state": int(state["state"]["state"]),
        "inc": int(state["state"]["inc"]),
        "has_uint32": int(state["has_uint32"]),
        "uinteger": int(state["uinteger"]),
    }


def set_generator_state(rng: np.random.Generator, fields) -> None:
    """Set a PCG64 generator from plain fields, checking each (a bad state raises)."""
    if type(fields) is not dict or set(fields) != _GENERATOR_FIELDS:
        raise ProtocolError("a malformed generator state")
    if not all(type(v) is int and 0 <= v < 2**128 for v in fields.values()):
        raise ProtocolError("a generator state out of range")
    rng.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": fields["state"], "inc": fields["inc"]},
        "has_uint32": fields["has_uint32"] & 1,
        "uinteger": fields["uinteger"] % 2**32,
    }


def moved_generators(args: list) -> dict:
    """The new state of every generator argument, so the caller's copy moves on too."""
    return {
        str(i): generator_state(a)
        for i, a in enumerate(args)
        if type(a) is np.random.Generator and generator_state(a)
    }


def same(a, b) -> bool:
    """``a`` and ``b`` hold the same values (arrays compared by dtype, shape and entries)."""
    if type(a) is np.ndarray or type(b) is np.ndarray:
        return (
            type(a) is type(b)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=True)
        )
    if type(a) in (list, tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if type(a) is dict:
        return type(b) is dict and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a is b or a == b


def _unknown(tag) -> ProtocolError:
    """The error for a tag that is not one of ours, or whose body does not fit it."""
    return ProtocolError(f"an unknown value tag {text(tag, 20)!r}")


def decode_scalar(tree):
    """A tree that is not a tagged dict: None, a bool, an int, a float or a string."""
    kind = type(tree)
    if tree is None or kind is bool or kind is float:
        return tree
    if kind is int:
        if abs(tree) >= MAX_INT:
            raise ProtocolError("an integer out of range")
        return tree
    if kind is str:
        if len(tree) > MAX_STRING:
            raise ProtocolError("a string too long")
        return tree
    raise ProtocolError("a malformed value")


def decode_array(body, buffers: list, budget: list) -> np.ndarray:
    """The array ``[dtype, shape, index]`` with its data in ``buffers[index]``.

    Its entries are taken from ``budget[1]``, the entries left for the value.
    """
    if type(body) is not list or len(body) != 3:
        raise ProtocolError("a malformed array")
    dtype, shape, index = body
    if dtype not in DTYPES or type(shape) is not list or len(shape) > MAX_RANK:
        raise ProtocolError("an array of an unsupported dtype or rank")
    if not all(type(n) is int and 0 <= n < MAX_DIMENSION for n in shape):
        raise ProtocolError("an array with a bad shape")
    budget[1] -= math.prod(shape)
    if budget[1] < 0:
        raise ProtocolError(f"arrays of more than {MAX_ENTRIES} entries in one message")
    if type(index) is not int or not 0 <= index < len(buffers):
        raise ProtocolError("an array without its data")
    data = buffers[index]
    if len(data) != math.prod(shape) * np.dtype(dtype).itemsize:
        raise ProtocolError("an array whose data does not match its shape")
    return (
        np.frombuffer(data, dtype=np.dtype(dtype))
        .reshape(shape)
        .astype(np.dtype(dtype).newbyteorder("="), copy=True)
    )


def decode_numpy_scalar(body):
    """The numpy scalar ``[dtype, number]``, or None when ``body`` is not one."""
    if type(body) is not list or len(body) != 2 or body[0] not in DTYPES:
        return None
    dtype = np.dtype(body[0])
    if type(body[1]) not in (int, float, bool):
        raise ProtocolError("a malformed numpy scalar")
    try:
        return dtype.type(body[1])
    except (OverflowError, ValueError):
        raise ProtocolError("a numpy scalar out of range") from None


def decode_generator(body) -> np.random.Generator:
    """A new generator in the PCG64 state ``body``."""
    rng = np.random.default_rng()
    set_generator_state(rng, body)
    return rng


class Codec:
    """Encodes and decodes values for one side of the wire, and keeps its exports.

    ``side`` is this side's letter ("T" trusted, "U" untrusted) in the
    handles it gives out. Subclasses give :meth:`proxy` (a foreign handle to
    a local stand-in), :meth:`handle_of` (a stand-in back to its handle) and
    :meth:`encode_other` (what to send for a value that is not plain).
    """

    side = "?"

    def __init__(self) -> None:
        """No object exported yet."""
        self.exports: dict[int, object] = {}
        self._keys: dict[int, int] = {}

    # ---- exports ----------------------------------------------------------------------------

    def export(self, value, label: str = "") -> dict:
        """A handle on ``value`` that the other side can call (the same handle each time)."""
        key = self._keys.get(id(value))
        if key is None or self.exports.get(key) is not value:
            key = len(self.exports) + 1
            self.exports[key] = value
            self._keys[id(value)] = key
        return handle(self.side, key, text(label or getattr(value, "__qualname__", ""), 200))

    def clear_exports(self) -> None:
        """Forget every exported object: their handles no longer resolve."""
        self.exports.clear()
        self._keys.clear()

    # ---- encoding ---------------------------------------------------------------------------

    def encode(self, value, buffers: list, depth: int = 0):
        """``value`` as a JSON-able tree; array data appended to ``buffers``."""
        if depth > MAX_DEPTH:
            raise ProtocolError("is nested too deeply to send")
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float or kind is np.float64:
            return float(value)
        if kind is list:
            return {LIST: [self.encode(v, buffers, depth + 1) for v in value]}
        if kind is tuple:
            return {TUPLE: [self.encode(v, buffers, depth + 1) for v in value]}
        if kind is dict and all(type(k) is str for k in value):
            return {DICT: [[k, self.encode(v, buffers, depth + 1)] for k, v in value.items()]}
        if kind is np.ndarray:
            if value.dtype.str not in DTYPES:
                return unsupported(describe_type(value))
            buffers.append(np.ascontiguousarray(value).tobytes())
            return {ARRAY: [value.dtype.str, list(value.shape), len(buffers) - 1]}
        if isinstance(value, np.generic) and np.dtype(kind).str in DTYPES:
            return {SCALAR: [np.dtype(kind).str, value.item()]}
        if kind is np.random.Generator:
            state = generator_state(value)
            return (
                {GENERATOR: state} if state else unsupported("a numpy Generator that is not PCG64")
            )
        if kind is Unsupported:
            return unsupported(value.description)
        found = self.handle_of(value)
        if found is not None:
            return found
        return self.encode_other(value)

    def handle_of(self, value) -> dict | None:
        """The handle ``value`` stands for, when it is a stand-in for a foreign object."""
        return None

    def encode_other(self, value):
        """What to send for a value that is not plain: by default, export it."""
        return self.export(value)

    # ---- decoding ---------------------------------------------------------------------------

    def decode(self, tree, buffers: list, depth: int = 0, budget: list | None = None):
        """The value a tree from :meth:`encode` stands for, within ``budget``.

        ``budget`` is ``[items, array entries]`` left for the whole value
        (:data:`MAX_ITEMS`, :data:`MAX_ENTRIES`): every bound is checked before
        anything of that size is built.
        """
        budget = budget if budget is not None else [MAX_ITEMS, MAX_ENTRIES]
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            raise ProtocolError("a value too large or nested too deeply")
        if type(tree) is not dict:
            return decode_scalar(tree)
        if len(tree) != 1:
            raise ProtocolError("a malformed value")
        ((tag, body),) = tree.items()
        if tag in (LIST, TUPLE, DICT):
            return self._decode_container(tag, body, buffers, depth, budget)
        if tag == ARRAY:
            return decode_array(body, buffers, budget)
        if tag == SCALAR:
            scalar = decode_numpy_scalar(body)
            if scalar is not None:
                return scalar
        elif tag == GENERATOR:
            return decode_generator(body)
        elif tag == UNSUPPORTED and type(body) is str:
            return Unsupported(text(body, 300))
        elif tag == HANDLE and type(body) is list and len(body) == 3:
            return self._decode_handle(*body)
        raise _unknown(tag)

    def _decode_container(self, tag: str, body, buffers: list, depth: int, budget: list):
        """A list, tuple or dict, each item decoded within the same ``budget``."""
        if type(body) is not list:
            raise _unknown(tag)
        if tag != DICT:
            items = [self.decode(v, buffers, depth + 1, budget) for v in body]
            return items if tag == LIST else tuple(items)
        result = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise ProtocolError("a malformed dict")
            result[self.decode(pair[0], buffers, depth + 1, budget)] = self.decode(
                pair[1], buffers, depth + 1, budget
            )
        return result

    def _decode_handle(self, side, key, label):
        """This side's exported object ``key``, or a stand-in for the other side's."""
        if type(side) is not str or type(label) is not str:
            raise ProtocolError("a malformed handle")
        if side == self.side:
            if type(key) is not int or key not in self.exports:
                raise ProtocolError("a handle this side never gave out")
            return self.exports[key]
        return self.proxy(side, key, text(label, 200))

    def proxy(self, side: str, key, label: str):
        """A local stand-in for the other side's object ``key``."""
        raise ProtocolError(f"handles of side {side!r} are not accepted here")
