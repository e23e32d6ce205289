"""Real data in the course's conventions: one example per column, pixels in [0, 1].

- :func:`load_digits`: the 8×8 handwritten digits (1,797 images) that ship with
  this package, checked against their SHA-256 checksum when loaded.
- :func:`load_mnist`: MNIST from the four standard IDX files, which you download
  yourself (``train-images-idx3-ubyte.gz`` and friends, gzipped or not).
- :func:`one_hot` turns labels into targets y of shape (10, m);
  :func:`train_test_split` holds out a seeded random 20% for testing.

Every loader returns ``(x, labels)``: ``x`` of shape (n_pixels, m), float64 in
[0, 1], and ``labels`` of shape (m,), integers 0-9. A missing, truncated or
corrupt file raises :class:`DataError` naming the file and what is wrong.

The arrays are stored one example after the other (Fortran order: each column
contiguous in memory), so that the mini-batch ``x[:, batch]`` copies whole
columns instead of gathering one number from every row; with MNIST's 784
rows that makes an epoch of training markedly faster. Shapes and values are
those of the course's conventions either way.

Example::

    x, labels = load_digits()
    x_train, labels_train, x_test, labels_test = train_test_split(x, labels, seed=0)
    net = Network([64, 30, 10])
    net.sgd(x_train, one_hot(labels_train), 50, 10, 2.0, test=(x_test, labels_test))
"""

import gzip
import hashlib
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

DATA_DIR = Path(__file__).resolve().parent / "data_files"
DIGITS_FILE = DATA_DIR / "digits.npz"
#: SHA-256 of ``digits.npz`` as shipped; :func:`load_digits` refuses any other file.
DIGITS_SHA256 = "b2dab7b501728c22e9119ad76740b2e17c77a231e42d1e592380d90886f1a05e"

#: The standard MNIST file names, by split: (images, labels).
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# IDX element types: the third byte of the magic number.
_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class DataError(ValueError):
    """A data file that is missing, truncated or not what it should be."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_digits() -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The 1,797 handwritten digits of 8×8 pixels, shipped with this package.

    Returns ``(x, labels)``: ``x`` of shape (64, 1797), one image per column
    (its pixels row by row), float64 scaled from 0..16 to [0, 1]; ``labels``
    of shape (1797,), the digits 0-9.

    The data are the test set of the UCI "Optical Recognition of Handwritten
    Digits" data (E. Alpaydin and C. Kaynak, 1998), under CC BY 4.0: see
    ``mlpcourse/data_files/README.md``.
    """
    if not DIGITS_FILE.is_file():
        raise DataError(f"{DIGITS_FILE}: the digits file is missing from the package")
    digest = _sha256(DIGITS_FILE)
    if digest != DIGITS_SHA256:
        raise DataError(
            f"{DIGITS_FILE}: checksum mismatch (SHA-256 {digest}, expected {DIGITS_SHA256}); "
            "the file is corrupt or was changed: reinstall mlpcourse"
        )
    with np.load(DIGITS_FILE, allow_pickle=False) as data:
        images, labels = data["images"], data["labels"]
    x = images.reshape(len(images), -1).T.astype(np.float64) / 16.0
    return np.asfortranarray(x), labels.astype(np.int64)


def one_hot(labels: ArrayLike, n_classes: int = 10) -> NDArray[np.float64]:
    """Targets y of shape (n_classes, m): column i is 1 in row ``labels[i]``, 0 elsewhere."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must have shape (m,); got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers; got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels must lie in 0..{n_classes - 1}; got {labels.min()}..{labels.max()}"
        )
    y = np.zeros((n_classes, labels.size), order="F")  # one example after the other
    y[labels, np.arange(labels.size)] = 1.0
    return y


def train_test_split(
    x: NDArray, labels: NDArray, test_fraction: float = 0.2, seed: int = 0
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Hold out a random ``test_fraction`` of the examples (columns) for testing.

    The split is drawn from ``numpy.random.default_rng(seed)``, so the same
    seed always gives the same split. Returns
    ``(x_train, labels_train, x_test, labels_test)``; the test set has
    ``round(test_fraction * m)`` examples.
    """
    x = np.asarray(x)
    labels = np.asarray(labels)
    if x.ndim != 2 or labels.shape[:1] != x.shape[1:]:
        raise ValueError(
            f"x must be (n, m) and labels (m, ...) for the same m; "
            f"got shapes {x.shape} and {labels.shape}"
        )
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1; got {test_fraction}")
    m = x.shape[1]
    n_test = int(round(test_fraction * m))
    order = np.random.default_rng(seed).permutation(m)
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    x_train, x_test = np.asfortranarray(x[:, train]), np.asfortranarray(x[:, test])
    return x_train, labels[train], x_test, labels[test]


def _read_bytes(path: Path) -> bytes:
    """The file's contents, gunzipped when it is a gzip file."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:
        raise DataError(f"{path}: corrupt or truncated gzip file ({error})") from None


def read_idx(path: str | Path, ndim: int | None = None) -> NDArray:
    """The array stored in one IDX file (gzipped or not), as the file's own type.

    An IDX file starts with a magic number: two zero bytes, a byte for the
    element type (0x08 for unsigned bytes) and a byte for the number of
    dimensions; then each dimension as a big-endian 32-bit integer; then the
    elements, row-major. ``ndim``, when given, is the number of dimensions the
    file must have.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise DataError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DataError(
            f"{path}: bad magic number 0x{data[:4].hex()}: not an IDX file "
            "(expected 0x0000TTDD, TT an element type such as 08, DD the dimension count)"
        )
    dtype, dims = _IDX_TYPES[data[2]], data[3]
    if ndim is not None and dims != ndim:
        raise DataError(f"{path}: wrong dimension count: the header says {dims}, expected {ndim}")
    header = 4 + 4 * dims
    if len(data) < header:
        raise DataError(
            f"{path}: truncated header: {dims} dimensions need {header} bytes, got {len(data)}"
        )
    shape = tuple(int(n) for n in np.frombuffer(data, dtype=">u4", count=dims, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) < expected:
        raise DataError(
            f"{path}: truncated: the header says shape {shape}, which needs {expected} bytes, "
            f"but the file has {len(data)}"
        )
    if len(data) > expected:
        raise DataError(
            f"{path}: {len(data) - expected} bytes more than the header's shape {shape} needs"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _find(folder: Path, name: str) -> Path:
    candidates = [folder / f"{name}.gz", folder / name, folder / name.replace("-idx", ".idx")]
    candidates.append(candidates[-1].with_name(candidates[-1].name + ".gz"))
    for path in candidates:
        if path.is_file():
            return path
    raise DataError(
        f"{folder / (name + '.gz')}: no such file (nor {name} uncompressed): download the "
        "four MNIST IDX files into this folder"
    )


def load_mnist(
    folder: str | Path = ".", split: str = "train"
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """MNIST from the standard IDX files in ``folder``, which you download yourself.

    ``split`` is ``"train"`` (``train-images-idx3-ubyte[.gz]`` and
    ``train-labels-idx1-ubyte[.gz]``, 60,000 images) or ``"test"``
    (``t10k-...``, 10,000 images). Returns ``(x, labels)``: ``x`` of shape
    (784, m), one 28×28 image per column (pixels row by row), float64 scaled
    from 0..255 to [0, 1]; ``labels`` of shape (m,), the digits 0-9.
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split must be one of {sorted(MNIST_FILES)}; got {split!r}")
    folder = Path(folder)
    image_path, label_path = (_find(folder, name) for name in MNIST_FILES[split])
    images = read_idx(image_path, ndim=3)
    labels = read_idx(label_path, ndim=1)
    for path, array in ((image_path, images), (label_path, labels)):
        if array.dtype != np.uint8:
            raise DataError(
                f"{path}: elements must be unsigned bytes (type 0x08); got {array.dtype}"
            )
    if len(images) != len(labels):
        raise DataError(
            f"{label_path}: {len(labels)} labels for the {len(images)} images of {image_path}"
        )
    if labels.size and labels.max() > 9:
        raise DataError(f"{label_path}: labels must be digits 0-9; found {labels.max()}")
    x = images.reshape(len(images), -1).T.astype(np.float64) / 255.0
    return np.asfortranarray(x), labels.astype(np.int64)
