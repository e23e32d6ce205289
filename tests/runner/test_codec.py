"""The value codec: every kind of value round-trips, every bound holds at its edge.

Trees are written here by hand in the wire format the codec documents
(``{"l": [...]}``, ``{"a": [dtype, shape, index]}``, ...), so that a bound is
tested on what a hostile sender could write, not only on what ``encode`` makes.
"""

import json
import math

import numpy as np
import pytest

from mlpcourse.runner import codec
from mlpcourse.runner.codec import (
    DTYPES,
    MAX_DEPTH,
    MAX_DIMENSION,
    MAX_ENTRIES,
    MAX_INT,
    MAX_ITEMS,
    MAX_RANK,
    MAX_STRING,
    Codec,
    ProtocolError,
    Unsupported,
)


class Trusted(Codec):
    side = "T"


class Untrusted(Codec):
    """Takes the other side's handles as ("proxy", side, key, label) tuples."""

    side = "U"

    def proxy(self, side, key, label):
        return ("proxy", side, key, label)


def cross(value, sender: Codec | None = None, receiver: Codec | None = None):
    """``value`` encoded, through JSON as the wire carries it, and decoded on the other side."""
    buffers: list[bytes] = []
    tree = (sender or Trusted()).encode(value, buffers)
    tree = json.loads(json.dumps(tree, allow_nan=True))
    return (receiver or Untrusted()).decode(tree, buffers)


def decode(tree, buffers=()):
    """What the receiving side makes of a hand-written tree."""
    return Untrusted().decode(tree, list(buffers))


def refused(tree, match: str, buffers=()):
    """Decoding ``tree`` raises a ProtocolError whose message contains ``match``."""
    with pytest.raises(ProtocolError, match=match):
        decode(tree, buffers)


def identical(a, b) -> None:
    """``a`` and ``b`` are the same type and the same value, bit for bit (NaN and -0.0 too)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert (a.dtype, a.shape) == (b.dtype, b.shape)
        assert a.tobytes() == b.tobytes()
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            identical(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            identical(a[key], b[key])
    elif isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    else:
        assert a == b


def nested_list(levels: int, inner=0):
    """``inner`` inside ``levels`` lists."""
    for _ in range(levels):
        inner = [inner]
    return inner


def nested_tree(levels: int, tag: str = "l", inner=0):
    """The tree of ``inner`` inside ``levels`` containers of ``tag``, by hand."""
    for _ in range(levels):
        inner = {"d": [["k", inner]]} if tag == "d" else {tag: [inner]}
    return inner


# ---- round trips ----------------------------------------------------------------------------

SCALARS = [
    0,
    1,
    -1,
    MAX_INT - 1,
    -(MAX_INT - 1),
    True,
    False,
    None,
    "",
    "héllo ∑ \x00 \n",
    0.0,
    -0.0,
    1.5,
    1e308,
    5e-324,
    math.nan,
    math.inf,
    -math.inf,
]


@pytest.mark.parametrize("value", SCALARS, ids=repr)
def test_a_scalar_crosses_as_itself(value):
    identical(cross(value), value)


CONTAINERS = {
    "empty list": [],
    "empty tuple": (),
    "empty dict": {},
    "list of scalars": [1, 2.5, "a", None, True],
    "tuple in a list": [1, (2, 3)],
    "list in a tuple": ((), [None]),
    "dict in order": {"b": 1, "a": 2, "": 3},
    "nested": {"a": [1, {"b": (None, [math.nan, {"c": -math.inf}])}]},
    "a key of every character": {"ключ \x00": 1},
}


@pytest.mark.parametrize("value", CONTAINERS.values(), ids=list(CONTAINERS))
def test_a_container_crosses_as_itself(value):
    identical(cross(value), value)


def test_numpy_float64_scalars_cross_as_python_floats():
    result = cross([np.float64(2.5), np.float64(np.nan)])
    assert type(result[0]) is float and result[0] == 2.5
    assert type(result[1]) is float and math.isnan(result[1])


@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != "<f8"])
def test_a_numpy_scalar_crosses_with_its_dtype(dtype):
    value = np.dtype(dtype).type(1)
    identical(cross(value), value)


def sample(dtype: str, shape: tuple) -> np.ndarray:
    """An array of ``dtype`` and ``shape`` with varied entries (NaN and infinities for floats)."""
    kind = np.dtype(dtype)
    count = math.prod(shape)
    if kind.kind == "b":
        return (np.arange(count) % 3 == 0).reshape(shape)
    if kind.kind == "f":
        special = np.array([np.nan, np.inf, -np.inf, -0.0, 1.25], dtype=kind)
        return np.resize(special, count).reshape(shape).astype(kind)
    info = np.iinfo(kind)
    return np.resize(np.array([info.min, info.max, 0, 1], dtype=kind), count).reshape(shape)


SHAPES = [(), (0,), (3, 0), (5,), (2, 3), (1,) * MAX_RANK]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_an_array_of_each_dtype_and_shape_crosses_as_itself(dtype, shape):
    value = sample(dtype, shape)
    result = cross(value)
    identical(result, value)
    assert result.flags.writeable and result.flags.owndata


@pytest.mark.parametrize(
    "view",
    [lambda a: a.T, lambda a: a[:, ::2], lambda a: np.asfortranarray(a), lambda a: a[::-1]],
    ids=["transposed", "strided", "fortran", "reversed"],
)
def test_an_array_that_is_not_contiguous_crosses_with_its_values(view):
    value = view(np.arange(12.0).reshape(3, 4))
    result = cross(value)
    assert result.shape == value.shape and result.dtype == value.dtype
    assert result.tolist() == value.tolist()


def test_several_arrays_in_one_value_keep_their_own_data():
    value = {"a": np.arange(3), "b": [np.ones((2, 2), dtype=np.float32), np.zeros(0)]}
    identical(cross(value), value)


def test_a_big_endian_array_is_not_sent():
    result = cross(np.arange(3, dtype=">f8"))
    assert type(result) is Unsupported and ">f8" in result.description


@pytest.mark.parametrize(
    "value",
    [
        np.array([1, "a", None], dtype=object),
        np.zeros(2, dtype=complex),
        np.array(["ab"]),
        np.zeros(2, dtype="datetime64[s]"),
        np.zeros(2, dtype=[("x", "<f8")]),
    ],
    ids=["object", "complex", "str", "datetime", "structured"],
)
def test_an_array_of_another_dtype_crosses_as_unsupported(value):
    result = cross(value)
    assert type(result) is Unsupported
    assert str(value.dtype) in result.description and str(value.shape) in result.description


def decode_own(value):
    """``value`` sent by a side and handed back to it: the very object it exported."""
    side = Trusted()
    buffers: list[bytes] = []
    tree = side.encode(value, buffers)
    assert set(tree) == {"h"}
    return side.decode(json.loads(json.dumps(tree)), buffers)


def test_a_generator_crosses_in_its_state():
    rng = np.random.default_rng(7)
    rng.random(3)
    rng.integers(0, 10, dtype=np.uint32)  # leaves half of a 64-bit draw buffered
    result = cross(rng)
    assert type(result) is np.random.Generator and result is not rng
    assert result.bit_generator.state == rng.bit_generator.state
    assert result.random(4).tolist() == rng.random(4).tolist()


def test_a_generator_that_is_not_pcg64_crosses_as_unsupported():
    result = cross(np.random.Generator(np.random.MT19937(0)))
    assert type(result) is Unsupported and "PCG64" in result.description


def test_unsupported_crosses_with_its_description_cut_to_300_characters():
    assert cross(Unsupported("a thing")).description == "a thing"
    at = cross(Unsupported("x" * 300)).description
    past = cross(Unsupported("x" * 301)).description
    assert at == "x" * 300
    assert len(past) == 300 and past.endswith("…")


class Opaque:
    def method(self):
        pass


OTHERS = {
    "a function": len,
    "a lambda": lambda: 0,
    "an object": Opaque(),
    "a class": Opaque,
    "a set": {1, 2},
    "bytes": b"abc",
    "a dict with an int key": {1: "a"},
    "a list subclass": type("Listish", (list,), {})([1]),
    "a complex number": 1j,
    "an ndarray subclass": np.zeros(2).view(np.recarray),
    "a masked array": np.ma.masked_all(2),
}


@pytest.mark.parametrize("value", OTHERS.values(), ids=list(OTHERS))
def test_any_other_value_crosses_as_a_handle_the_other_side_cannot_open(value):
    assert decode_own(value) is value
    sender = Trusted()
    result = cross(value, sender=sender)
    assert result[:3] == ("proxy", "T", 1) and sender.exports[1] is value
    with pytest.raises(ProtocolError, match="handles of side 'T' are not accepted here"):
        cross(value, sender=sender, receiver=Codec())


def test_an_object_exported_twice_has_one_handle_until_exports_are_cleared():
    side, value, other = Trusted(), Opaque(), Opaque()
    first = side.export(value, "first")
    assert first == {"h": ["T", 1, "first"]}
    assert side.export(value) == {"h": ["T", 1, ""]}  # an object has no __qualname__
    assert side.export(Opaque.method) == {"h": ["T", 2, "Opaque.method"]}
    assert side.export(other)["h"][1] != first["h"][1]
    side.clear_exports()
    with pytest.raises(ProtocolError, match="a handle this side never gave out"):
        side.decode(first, [])


@pytest.mark.parametrize("key", [99, "1", None, 1.0])
def test_a_handle_to_this_side_must_name_an_export(key):
    side = Trusted()
    side.export(Opaque())
    with pytest.raises(ProtocolError, match="a handle this side never gave out"):
        side.decode({"h": ["T", key, ""]}, [])


def test_a_foreign_handle_label_is_cut_to_200_characters():
    assert decode({"h": ["T", 1, "f" * 200]})[3] == "f" * 200
    label = decode({"h": ["T", 1, "f" * 201]})[3]
    assert len(label) == 200 and label.endswith("…")


# ---- the bounds -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [list, tuple, dict])
def test_encode_nests_at_most_max_depth(kind):
    def nested(levels):
        inner = 0
        for _ in range(levels):
            inner = {"k": inner} if kind is dict else kind([inner])
        return inner

    identical(cross(nested(MAX_DEPTH)), nested(MAX_DEPTH))
    with pytest.raises(ProtocolError, match="is nested too deeply to send"):
        Trusted().encode(nested(MAX_DEPTH + 1), [])


@pytest.mark.parametrize("tag", ["l", "t", "d"])
def test_decode_nests_at_most_max_depth(tag):
    assert decode(nested_tree(MAX_DEPTH, tag)) is not None
    refused(nested_tree(MAX_DEPTH + 1, tag), "a value too large or nested too deeply")


def test_decode_refuses_deep_nesting_of_empty_containers_too():
    assert decode(nested_tree(MAX_DEPTH, inner={"l": []})) == nested_list(MAX_DEPTH, [])
    refused(nested_tree(MAX_DEPTH + 1, inner={"l": []}), "nested too deeply")


def test_a_value_has_at_most_max_items_nodes():
    assert len(decode({"l": [0] * (MAX_ITEMS - 1)})) == MAX_ITEMS - 1
    refused({"l": [0] * MAX_ITEMS}, "a value too large")


def test_dict_keys_and_nested_containers_count_as_items():
    pairs = (MAX_ITEMS - 2) // 2  # the list, the dict, and a key and a value per pair
    assert 2 + 2 * pairs == MAX_ITEMS
    assert decode({"l": [{"d": [["k", 0]] * pairs}]}) == [{"k": 0}]
    refused({"l": [{"d": [["k", 0]] * pairs}, 0]}, "a value too large")


def test_each_decode_has_its_own_item_budget():
    side = Untrusted()
    for _ in range(3):
        side.decode({"l": [0] * (MAX_ITEMS - 1)}, [])


@pytest.mark.parametrize("wrap", [lambda s: s, lambda s: {"d": [[s, 0]]}], ids=["value", "key"])
def test_a_string_has_at_most_max_string_characters(wrap):
    decode(wrap("s" * MAX_STRING))
    refused(wrap("s" * (MAX_STRING + 1)), "a string too long")


@pytest.mark.parametrize("value", [MAX_INT - 1, -(MAX_INT - 1)])
def test_an_integer_within_the_range_crosses(value):
    assert decode(value) == value and decode({"l": [value]}) == [value]


@pytest.mark.parametrize("value", [MAX_INT, -MAX_INT, 10**100])
def test_an_integer_out_of_range_is_refused_by_the_receiver(value):
    assert Trusted().encode(value, []) == value  # the sender does not check: the receiver does
    refused(value, "an integer out of range")
    refused({"t": [value]}, "an integer out of range")


def array_tree(dtype: str, shape: list, index=0):
    return {"a": [dtype, shape, index]}


def test_an_array_has_at_most_max_rank_dimensions():
    assert decode(array_tree("|u1", [1] * MAX_RANK), [b"\0"]).shape == (1,) * MAX_RANK
    refused(array_tree("|u1", [1] * (MAX_RANK + 1)), "unsupported dtype or rank", [b"\0"])
    refused(cross_tree(np.zeros((1,) * (MAX_RANK + 1))), "unsupported dtype or rank", [b"\0" * 8])


def cross_tree(value):
    """The tree ``encode`` makes of ``value`` (its buffers dropped)."""
    return Trusted().encode(value, [])


def test_each_dimension_is_below_max_dimension():
    assert decode(array_tree("<f8", [MAX_DIMENSION - 1, 0]), [b""]).shape == (MAX_DIMENSION - 1, 0)
    refused(array_tree("<f8", [MAX_DIMENSION, 0]), "an array with a bad shape", [b""])


@pytest.mark.parametrize("shape", [[-1], [1.0], ["2"], [True], "3", None])
def test_a_shape_of_other_than_natural_numbers_is_refused(shape):
    error = "bad shape" if type(shape) is list else "unsupported dtype or rank"
    refused(array_tree("|u1", shape), error, [b"\0"])


def test_a_value_has_at_most_max_entries_array_entries():
    assert decode(array_tree("|u1", [MAX_ENTRIES]), [bytes(MAX_ENTRIES)]).size == MAX_ENTRIES
    refused(array_tree("|u1", [MAX_ENTRIES + 1]), f"more than {MAX_ENTRIES} entries")


def test_the_entries_of_all_arrays_of_a_value_count_together():
    half = MAX_ENTRIES // 2
    buffers = [bytes(half), bytes(MAX_ENTRIES - half)]
    together = {"l": [array_tree("|b1", [half], 0), array_tree("|b1", [MAX_ENTRIES - half], 1)]}
    assert sum(a.size for a in decode(together, buffers)) == MAX_ENTRIES
    buffers.append(b"\0")
    refused({"l": [*together["l"], array_tree("|b1", [1], 2)]}, "entries", buffers)


def test_the_entries_are_counted_before_the_data_is_looked_at():
    refused(array_tree("<f8", [MAX_ENTRIES, 2], 5), "entries")  # no buffer 5: still "entries"


@pytest.mark.parametrize("dtype", ["<c16", ">f8", "|O", "<U1", "f8", 8, None])
def test_an_array_of_another_dtype_is_refused(dtype):
    refused(array_tree(dtype, [1]), "unsupported dtype or rank", [bytes(16)])


@pytest.mark.parametrize("index", [1, -1, True, "0", None])
def test_an_array_must_point_at_its_buffer(index):
    refused(array_tree("|u1", [1], index), "an array without its data", [b"\0"])


@pytest.mark.parametrize("size", [0, 7, 9])
def test_an_array_buffer_must_hold_its_entries_exactly(size):
    assert decode(array_tree("<f8", [1]), [bytes(8)]).tolist() == [0.0]
    refused(array_tree("<f8", [1]), "does not match its shape", [bytes(size)])


@pytest.mark.parametrize("body", [None, [], ["<f8", [1]], ["<f8", [1], 0, 0], "x"])
def test_a_malformed_array_is_refused(body):
    refused({"a": body}, "a malformed array", [bytes(8)])


@pytest.mark.parametrize(
    "dtype, inside, outside",
    [
        ("|i1", [-128, 127], [-129, 128]),
        ("|u1", [0, 255], [-1, 256]),
        ("<u8", [2**64 - 1], [2**64]),
    ],
)
def test_a_numpy_scalar_is_within_its_dtype(dtype, inside, outside):
    for number in inside:
        result = decode({"n": [dtype, number]})
        assert type(result) is np.dtype(dtype).type and int(result) == number
    for number in outside:
        refused({"n": [dtype, number]}, "a numpy scalar out of range")


@pytest.mark.parametrize("number", ["1", None, [1], {"l": [1]}])
def test_a_numpy_scalar_is_a_number(number):
    refused({"n": ["<f8", number]}, "a malformed numpy scalar")


@pytest.mark.parametrize("body", [["<c16", 1], ["<f8"], "<f8", None])
def test_a_numpy_scalar_of_another_dtype_or_shape_is_an_unknown_tag(body):
    refused({"n": body}, "an unknown value tag 'n'")


def generator_fields(**changes):
    return {"state": 1, "inc": 3, "has_uint32": 0, "uinteger": 0, **changes}


@pytest.mark.parametrize("field", ["state", "inc", "has_uint32", "uinteger"])
def test_a_generator_state_field_is_below_2_to_the_128(field):
    assert type(decode({"g": generator_fields(**{field: 2**128 - 1})})) is np.random.Generator
    assert type(decode({"g": generator_fields(**{field: 0})})) is np.random.Generator
    for value in (2**128, -1, 1.0, True, "1"):
        refused({"g": generator_fields(**{field: value})}, "a generator state out of range")


@pytest.mark.parametrize(
    "body", [generator_fields(extra=0), {"state": 1}, [1, 3, 0, 0], None], ids=str
)
def test_a_malformed_generator_state_is_refused(body):
    refused({"g": body}, "a malformed generator state")


# ---- malformed trees ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tree, error",
    [
        ({"q": []}, "an unknown value tag 'q'"),
        ({"l": 1}, "an unknown value tag 'l'"),
        ({"t": {"l": []}}, "an unknown value tag 't'"),
        ({"d": "ab"}, "an unknown value tag 'd'"),
        ({"x": 1}, "an unknown value tag 'x'"),
        ({"h": ["T", 1]}, "an unknown value tag 'h'"),
        ({"list": [1]}, "an unknown value tag 'list'"),
        ({"q" * 50: 1}, "an unknown value tag 'qqqqqqqqqqqqqqqqqqq…'"),
        ({}, "a malformed value"),
        ({"l": [], "t": []}, "a malformed value"),
        ([1], "a malformed value"),
        ({"d": [["a"]]}, "a malformed dict"),
        ({"d": [[1, 2]]}, "a malformed dict"),
        ({"d": [{"a": 1}]}, "a malformed dict"),
        ({"h": [1, 1, ""]}, "a malformed handle"),
        ({"h": ["T", 1, None]}, "a malformed handle"),
    ],
    ids=repr,
)
def test_a_malformed_tree_is_refused(tree, error):
    refused(tree, error)


# ---- helpers --------------------------------------------------------------------------------


def test_text_cuts_and_never_raises():
    class Hostile:
        def __str__(self):
            raise SystemExit

    class NotAString:
        def __str__(self):
            return 1

    assert codec.text("abc", 3) == "abc"
    assert codec.text("abcd", 3) == "ab…"
    assert codec.text(Hostile()) == codec.text(NotAString()) == "<unprintable>"
    assert codec.text("s" * (MAX_STRING + 5)) == "s" * (MAX_STRING - 1) + "…"


def test_describe_type_names_module_class_and_array_shape():
    assert codec.describe_type(1.5) == "float"
    assert codec.describe_type(Opaque()) == f"{__name__}.Opaque"
    assert codec.describe_type(np.ma.masked_all((1, 7))).startswith(
        "numpy.ma.MaskedArray of shape (1, 7), dtype float64"
    )


def test_same_compares_arrays_by_dtype_shape_and_entries():
    a = np.array([1.0, np.nan])
    assert codec.same(a, a.copy()) and codec.same([a, {"k": (1,)}], [a.copy(), {"k": (1,)}])
    assert not codec.same(a, a.astype(np.float32))
    assert not codec.same(a, a.reshape(1, 2))
    assert not codec.same([1], (1,)) and not codec.same({"k": 1}, {"k": 2})


def test_moved_generators_reports_pcg64_arguments_only():
    rng, other = np.random.default_rng(1), np.random.Generator(np.random.MT19937(1))
    moved = codec.moved_generators([0, rng, other])
    assert list(moved) == ["1"]
    copy = np.random.default_rng(2)
    codec.set_generator_state(copy, moved["1"])
    assert copy.random() == rng.random()
