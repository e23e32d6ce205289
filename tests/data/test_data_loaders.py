"""The data loaders: the shipped digits, MNIST's IDX files, one-hot targets, the split."""

import gzip
import hashlib
import shutil
import struct

import numpy as np
import pytest

from mlpcourse import data

# --- the digits shipped with the package ------------------------------------------------


def test_digits_shapes_types_and_range():
    x, labels = data.load_digits()
    assert x.shape == (64, 1797) and x.dtype == np.float64
    assert labels.shape == (1797,) and np.issubdtype(labels.dtype, np.integer)
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.allclose(x * 16, np.round(x * 16))  # counts 0..16 scaled by 1/16
    assert np.array_equal(np.unique(labels), np.arange(10))
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_one_image_per_column_row_by_row():
    x, labels = data.load_digits()
    # The first image of the UCI file is a 0: a ring of ink around an empty middle.
    assert labels[0] == 0
    image = x[:, 0].reshape(8, 8)
    assert image[3:5, 3:5].sum() == 0.0
    assert image[:, 0].sum() == 0.0 and image[0].sum() > 1.0


def test_digits_file_is_packaged_with_licence_and_checksum():
    assert data.DIGITS_FILE.is_file() and data.DIGITS_FILE.stat().st_size < 100_000
    digest = hashlib.sha256(data.DIGITS_FILE.read_bytes()).hexdigest()
    assert digest == data.DIGITS_SHA256
    readme = (data.DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "Alpaydin" in readme and data.DIGITS_SHA256 in readme


def test_digits_checksum_mismatch_names_the_file(tmp_path, monkeypatch):
    corrupt = tmp_path / "digits.npz"
    raw = bytearray(data.DIGITS_FILE.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(raw))
    monkeypatch.setattr(data, "DIGITS_FILE", corrupt)
    with pytest.raises(data.DataError, match=r"digits\.npz: checksum mismatch"):
        data.load_digits()


def test_digits_missing_file_names_it(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DIGITS_FILE", tmp_path / "digits.npz")
    with pytest.raises(data.DataError, match=r"digits\.npz.*missing"):
        data.load_digits()


def test_load_digits_needs_no_scikit_learn():
    source = (data.DATA_DIR.parent / "data.py").read_text(encoding="utf-8")
    assert "sklearn" not in source


# --- one-hot targets and the split ------------------------------------------------------


def test_one_hot():
    y = data.one_hot(np.array([3, 0, 9]))
    assert y.shape == (10, 3) and y.dtype == np.float64
    assert np.array_equal(np.argmax(y, axis=0), [3, 0, 9])
    assert np.array_equal(y.sum(axis=0), [1, 1, 1])
    assert data.one_hot(np.array([1]), n_classes=2).tolist() == [[0.0], [1.0]]


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.array([[1, 2]]), "shape"),
        (np.array([0.5]), "integers"),
        (np.array([10]), "0..9"),
        (np.array([-1]), "0..9"),
    ],
)
def test_one_hot_rejects_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        data.one_hot(labels)


def test_train_test_split_is_seeded_and_disjoint():
    x, labels = data.load_digits()
    x_train, l_train, x_test, l_test = data.train_test_split(x, labels, seed=0)
    assert x_test.shape == (64, 359) and x_train.shape == (64, 1797 - 359)
    assert l_train.shape == (1438,) and l_test.shape == (359,)
    again = data.train_test_split(x, labels, seed=0)
    assert np.array_equal(again[2], x_test) and np.array_equal(again[3], l_test)
    other = data.train_test_split(x, labels, seed=1)
    assert not np.array_equal(other[3], l_test)
    # Every example lands in exactly one part: compare as sets of columns.
    columns = {tuple(c) + (label,) for c, label in zip(x.T, labels)}
    parts = [tuple(c) + (label,) for c, label in zip(x_train.T, l_train)]
    parts += [tuple(c) + (label,) for c, label in zip(x_test.T, l_test)]
    assert len(parts) == 1797 and set(parts) == columns


def test_train_test_split_rejects_mismatched_arguments():
    with pytest.raises(ValueError, match="same m"):
        data.train_test_split(np.zeros((2, 5)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="test_fraction"):
        data.train_test_split(np.zeros((2, 5)), np.zeros(5, dtype=int), test_fraction=1.0)


# --- MNIST's IDX files, made small by the tests -----------------------------------------


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_mnist(folder, split="train", m=5, compress=True, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(m, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=m, dtype=np.uint8)
    prefix = "train" if split == "train" else "t10k"
    paths = []
    for name, array in (
        (f"{prefix}-images-idx3-ubyte", images),
        (f"{prefix}-labels-idx1-ubyte", labels),
    ):
        raw = idx_bytes(array)
        path = folder / (name + (".gz" if compress else ""))
        path.write_bytes(gzip.compress(raw) if compress else raw)
        paths.append(path)
    return images, labels, paths


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "plain"])
@pytest.mark.parametrize("split", ["train", "test"])
def test_load_mnist_conventions(tmp_path, compress, split):
    images, labels, _ = write_mnist(tmp_path, split, m=7, compress=compress)
    x, got = data.load_mnist(tmp_path, split)
    assert x.shape == (784, 7) and x.dtype == np.float64
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert np.array_equal(got, labels) and np.issubdtype(got.dtype, np.integer)
    # Column i is image i, its pixels row by row, scaled by 1/255.
    assert np.array_equal(x[:, 3].reshape(28, 28) * 255, images[3])
    assert np.array_equal(x[:29, 0] * 255, np.r_[images[0, 0], images[0, 1, :1]])


def test_load_mnist_feeds_the_one_hot_targets(tmp_path):
    _, labels, _ = write_mnist(tmp_path, m=4)
    x, got = data.load_mnist(tmp_path)
    assert data.one_hot(got).shape == (10, x.shape[1])


def test_read_idx_other_types_and_shapes(tmp_path):
    array = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5
    path = tmp_path / "a.idx"
    path.write_bytes(idx_bytes(array, type_code=0x0C))
    got = data.read_idx(path)
    assert np.array_equal(got, array) and got.dtype == np.int32


def test_missing_file_is_named(tmp_path):
    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte\.gz: no such file"):
        data.load_mnist(tmp_path)
    _, _, (images, labels) = write_mnist(tmp_path)
    labels.unlink()
    with pytest.raises(data.DataError, match=r"train-labels-idx1-ubyte\.gz: no such file"):
        data.load_mnist(tmp_path)


def test_unknown_split(tmp_path):
    with pytest.raises(ValueError, match="split"):
        data.load_mnist(tmp_path, "validation")


def _rewrite(path, change):
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(change(raw)))


def test_bad_magic_number(tmp_path):
    _, _, (images, _) = write_mnist(tmp_path)
    _rewrite(images, lambda raw: b"\x1f\x00" + raw[2:])
    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte\.gz: bad magic number"):
        data.load_mnist(tmp_path)


def test_wrong_dimension_count(tmp_path):
    _, _, (images, labels) = write_mnist(tmp_path)
    shutil.copy(labels, images)  # a 1-d labels file where the 3-d images should be
    with pytest.raises(
        data.DataError, match=r"train-images-idx3-ubyte\.gz: wrong dimension count.* 1, expected 3"
    ):
        data.load_mnist(tmp_path)


def test_truncated_data(tmp_path):
    _, _, (images, _) = write_mnist(tmp_path, m=5)
    _rewrite(images, lambda raw: raw[:-100])
    with pytest.raises(
        data.DataError, match=r"train-images-idx3-ubyte\.gz: truncated: .*\(5, 28, 28\)"
    ):
        data.load_mnist(tmp_path)


def test_truncated_header(tmp_path):
    _, _, (images, _) = write_mnist(tmp_path)
    _rewrite(images, lambda raw: raw[:9])
    with pytest.raises(data.DataError, match=r"idx3-ubyte\.gz: truncated header"):
        data.load_mnist(tmp_path)


def test_extra_bytes(tmp_path):
    _, _, (_, labels) = write_mnist(tmp_path)
    _rewrite(labels, lambda raw: raw + b"\x00\x00")
    with pytest.raises(data.DataError, match=r"labels-idx1-ubyte\.gz: 2 bytes more"):
        data.load_mnist(tmp_path)


def test_truncated_gzip(tmp_path):
    _, _, (images, _) = write_mnist(tmp_path)
    images.write_bytes(images.read_bytes()[:50])
    with pytest.raises(data.DataError, match=r"images-idx3-ubyte\.gz: corrupt or truncated gzip"):
        data.load_mnist(tmp_path)


def test_corrupt_gzip(tmp_path):
    _, _, (images, _) = write_mnist(tmp_path)
    raw = bytearray(images.read_bytes())
    raw[20:40] = bytes(20)
    images.write_bytes(bytes(raw))
    with pytest.raises(data.DataError, match=r"images-idx3-ubyte\.gz: corrupt or truncated gzip"):
        data.load_mnist(tmp_path)


def test_label_count_must_match(tmp_path):
    write_mnist(tmp_path, m=5)
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(idx_bytes(np.zeros(4, dtype=np.uint8))))
    with pytest.raises(data.DataError, match=r"labels-idx1-ubyte\.gz: 4 labels for the 5 images"):
        data.load_mnist(tmp_path)


def test_labels_must_be_digits(tmp_path):
    write_mnist(tmp_path, m=3)
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(idx_bytes(np.array([1, 2, 12], dtype=np.uint8))))
    with pytest.raises(data.DataError, match=r"labels-idx1-ubyte\.gz: labels must be digits"):
        data.load_mnist(tmp_path)


def test_images_must_be_bytes(tmp_path):
    write_mnist(tmp_path, m=2)
    images = tmp_path / "train-images-idx3-ubyte.gz"
    array = np.zeros((2, 28, 28), dtype=np.int32)
    images.write_bytes(gzip.compress(idx_bytes(array, type_code=0x0C)))
    with pytest.raises(data.DataError, match=r"images-idx3-ubyte\.gz: elements must be unsigned"):
        data.load_mnist(tmp_path)


def test_examples_are_stored_one_after_the_other(tmp_path):
    """Columns are contiguous, so that a mini-batch x[:, batch] copies whole examples."""
    x, labels = data.load_digits()
    assert x.flags.f_contiguous and data.one_hot(labels).flags.f_contiguous
    x_train, _, x_test, _ = data.train_test_split(x, labels)
    assert x_train.flags.f_contiguous and x_test.flags.f_contiguous
    write_mnist(tmp_path, m=3)
    assert data.load_mnist(tmp_path)[0].flags.f_contiguous
