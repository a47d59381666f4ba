"""Loading, validating and subsetting the datasets the book trains on.

Fashion-MNIST (and MNIST) are stored as four gzipped IDX files. `load_dataset`
finds them, checks every byte it relies on, and returns float images in [0, 1].

Where the files come from, in this order:

1. `$AELIB_DATA_DIR/<folder>/`, when the `AELIB_DATA_DIR` environment variable
   is set (`<folder>` is `fashion-mnist` or `mnist`, as in Debian's layout, so
   `AELIB_DATA_DIR=/usr/share/datasets` works too). A folder you chose is never
   skipped: if its files are missing or damaged, the error says so.
2. Debian's copy in `/usr/share/datasets/<folder>/` (package
   `dataset-fashion-mnist`).
3. The Keras cache (`~/.keras/datasets/`), downloading the files on first use,
   as in Colab.
"""

import dataclasses
import gzip
import os
import pathlib
import zlib

import numpy as np

from aelib.checks import check_integer

IMAGE_SHAPE = (28, 28, 1)

_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension

_DEBIAN_ROOT = pathlib.Path("/usr/share/datasets")

_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}

_DATASETS = {
    "fashion_mnist": {
        "folder": "fashion-mnist",
        "sizes": {"train": 60000, "test": 10000},
        "origin": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "debian_package": "dataset-fashion-mnist",
        "class_names": (
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
    },
    "mnist": {
        "folder": "mnist",
        "sizes": {"train": 60000, "test": 10000},
        "origin": None,  # Keras ships MNIST as one .npz file instead.
        "debian_package": None,
        "class_names": tuple(str(digit) for digit in range(10)),
    },
}


class DataFileError(ValueError):
    """A dataset file is missing, truncated or not what it claims to be."""


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Train and test images with their labels.

    Attributes:
        x_train: float32 array of shape `(N, 28, 28, 1)`, values in [0, 1].
        y_train: int64 array of shape `(N,)`, values in `0 .. len(class_names) - 1`.
        x_test: float32 array of shape `(M, 28, 28, 1)`.
        y_test: int64 array of shape `(M,)`.
        class_names: the name of each label, indexed by label.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple

    def subset(self, train_size=None, test_size=None, seed=0, stratified=False):
        """Returns a smaller `Dataset`, drawn reproducibly.

        Args:
            train_size: number of training examples to keep; `None` keeps all.
            test_size: number of test examples to keep; `None` keeps all.
            seed: the draw depends on this seed alone.
            stratified: keep each class's share (to within one example).

        Returns:
            A new `Dataset`; the arrays are copies, in the order drawn.
        """
        train = subset_indices(self.y_train, train_size, seed=seed, stratified=stratified)
        test = subset_indices(self.y_test, test_size, seed=seed, stratified=stratified)
        return Dataset(
            x_train=self.x_train[train],
            y_train=self.y_train[train],
            x_test=self.x_test[test],
            y_test=self.y_test[test],
            class_names=self.class_names,
        )


def subset_indices(labels, size, seed=0, stratified=False):
    """Picks `size` distinct indices into `labels`, reproducibly.

    Args:
        labels: 1-D array of integer labels (only its length matters unless
            `stratified`).
        size: how many indices to return; `None` returns every index in order.
        seed: the same seed gives the same indices.
        stratified: draw from each class in proportion to its count, so the
            subset keeps the class shares (each to within one example).

    Returns:
        A sorted int64 array of `size` distinct indices.

    Example:

    >>> subset_indices(np.array([0, 0, 1, 1]), 2, stratified=True).size
    2
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"Expected a 1-D array of labels. Received: labels.shape={labels.shape}")
    n = labels.shape[0]
    if size is None:
        return np.arange(n)
    size = check_integer(size, "size", high=n, high_is="the number of examples")
    rng = np.random.default_rng(seed)
    if not stratified:
        return np.sort(rng.choice(n, size=size, replace=False))
    classes, counts = np.unique(labels, return_counts=True)
    # Largest-remainder rounding: the quotas add up to `size` exactly.
    exact = counts * size / n
    quotas = np.floor(exact).astype(int)
    shortfall = size - quotas.sum()
    quotas[np.argsort(-(exact - quotas), kind="stable")[:shortfall]] += 1
    chosen = [
        rng.choice(np.flatnonzero(labels == c), size=q, replace=False)
        for c, q in zip(classes, quotas)
    ]
    return np.sort(np.concatenate(chosen))


def load_dataset(name="fashion_mnist"):
    """Loads Fashion-MNIST or MNIST as float images in [0, 1].

    Args:
        name: `"fashion_mnist"` or `"mnist"`.

    Returns:
        A `Dataset` with `x_train` of shape `(60000, 28, 28, 1)`, `x_test` of
        shape `(10000, 28, 28, 1)` (float32 in [0, 1]), integer labels and the
        ten class names.

    Raises:
        DataFileError: a file is missing, truncated or damaged, or there is no
            local copy and the download failed (offline). The message names
            the file and says how to fix it.

    Example:

    >>> data = load_dataset()
    >>> data.x_train.shape, data.class_names[0]
    ((60000, 28, 28, 1), 'T-shirt/top')
    """
    if name not in _DATASETS:
        raise ValueError(f"Expected name to be one of {sorted(_DATASETS)}. Received: name={name!r}")
    spec = _DATASETS[name]
    arrays = _find_and_read(name, spec)
    return Dataset(
        x_train=_to_float(arrays["x_train"]),
        y_train=arrays["y_train"].astype(np.int64),
        x_test=_to_float(arrays["x_test"]),
        y_test=arrays["y_test"].astype(np.int64),
        class_names=spec["class_names"],
    )


def _to_float(images):
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


def _find_and_read(name, spec):
    folder = spec["folder"]
    chosen = os.environ.get("AELIB_DATA_DIR")
    if chosen:
        root = pathlib.Path(chosen).expanduser()
        directory = root / folder
        if not directory.is_dir():
            hint = ""
            if (root / _FILES["x_train"]).exists():
                hint = (
                    f" The IDX files lie directly in {root}; move them into {directory} "
                    f"(the folder's name says which dataset they are)."
                )
            raise DataFileError(
                f"AELIB_DATA_DIR is set to {root}, but it has no folder {folder!r} "
                f"holding the {name} files.{hint} Unset AELIB_DATA_DIR to use the "
                f"default locations."
            )
        return _read_folder(
            directory, spec, fix="Replace it with a good copy, or unset AELIB_DATA_DIR."
        )

    debian = _DEBIAN_ROOT / folder
    if debian.is_dir() and all((debian / f).exists() for f in _FILES.values()):
        package = spec["debian_package"] or "the package that installed it"
        return _read_folder(
            debian, spec, fix=f"Reinstall it: apt-get install --reinstall {package}"
        )

    return _download(name, spec)


def _read_folder(directory, spec, fix):
    arrays = {}
    for key, filename in _FILES.items():
        path = directory / filename
        if not path.exists():
            raise DataFileError(f"Missing file {path}. {fix}")
        arrays[key] = _read_idx(path, key, spec, fix)
    return arrays


def _cannot_download(name, spec, error):
    """The error for a download that failed: where else the files can come from."""
    where = f"in {_DEBIAN_ROOT / spec['folder']}"
    if spec["debian_package"]:
        where = (
            f"install Debian's package (apt-get install {spec['debian_package']}), which "
            f"puts them {where}"
        )
    else:
        where = f"put the four IDX files {where}"
    return DataFileError(
        f"No local copy of {name} was found and Keras could not download it ({error}). "
        f"To use the dataset offline, {where}, or set AELIB_DATA_DIR to a folder that "
        f"holds them in a subfolder {spec['folder']!r}."
    )


def _download(name, spec):
    import keras  # Only here: reading local files needs no Keras.

    if spec["origin"] is None:
        # Keras keeps MNIST as a single .npz file: check its arrays the same way.
        try:
            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        except Exception as error:  # Keras raises a bare Exception("URL fetch failure ...")
            raise _cannot_download(name, spec, error) from error
        arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
        for key, array in arrays.items():
            count = spec["sizes"][key[2:]]
            expected = (count,) + IMAGE_SHAPE[:2] if key.startswith("x_") else (count,)
            if (
                array.dtype != np.uint8
                or array.shape != expected
                or (key.startswith("y_") and array.max() > 9)
            ):
                raise DataFileError(
                    f"Keras's MNIST file holds {key} of shape {array.shape} and dtype "
                    f"{array.dtype}; expected {expected} uint8 (labels 0..9). "
                    "Delete ~/.keras/datasets/mnist.npz and run again to download it anew."
                )
        return arrays
    arrays = {}
    for key, filename in _FILES.items():
        try:
            path = pathlib.Path(
                keras.utils.get_file(
                    filename,
                    origin=spec["origin"] + filename,
                    cache_subdir=f"datasets/{spec['folder']}",
                )
            )
        except Exception as error:  # Keras raises a bare Exception("URL fetch failure ...")
            raise _cannot_download(name, spec, error) from error
        arrays[key] = _read_idx(path, key, spec, "Delete it and run again to download it anew.")
    return arrays


def _read_gzip(path, fix):
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as error:
        # BadGzipFile is an OSError; a truncated stream ends in EOFError.
        raise DataFileError(f"{path} is not a complete gzip file ({error}). {fix}") from error


def _read_header(data, path, magic, ndim, fix):
    header_size = 4 * (1 + ndim)
    if len(data) < header_size:
        raise DataFileError(
            f"{path} is too short to be an IDX file: {len(data)} bytes, "
            f"expected a header of {header_size}. {fix}"
        )
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise DataFileError(
            f"{path} has magic number {found:#010x}; expected {magic:#010x} "
            f"(an IDX file of {'images' if ndim == 3 else 'labels'}). {fix}"
        )
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header_size + int(np.prod(dims))
    if len(data) != expected:
        raise DataFileError(
            f"{path} declares dimensions {dims}, which need {expected} bytes, "
            f"but it holds {len(data)}. {fix}"
        )
    return dims, header_size


def _read_idx(path, key, spec, fix):
    """Reads one IDX file and checks it holds what `key` ("x_train", ...) needs."""
    is_images = key.startswith("x_")
    data = _read_gzip(path, fix)
    dims, offset = _read_header(
        data, path, _IMAGES_MAGIC if is_images else _LABELS_MAGIC, 3 if is_images else 1, fix
    )
    count = spec["sizes"][key[2:]]
    if dims[0] != count:
        raise DataFileError(f"{path} holds {dims[0]} examples; expected {count}. {fix}")
    if is_images and dims[1:] != IMAGE_SHAPE[:2]:
        raise DataFileError(
            f"{path} holds images of {dims[1]}x{dims[2]} pixels; expected 28x28. {fix}"
        )
    array = np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)
    num_classes = len(spec["class_names"])
    if not is_images and array.max() >= num_classes:
        raise DataFileError(
            f"{path} holds label {int(array.max())}; expected labels in 0..{num_classes - 1}. {fix}"
        )
    return array


def check_images(images, name="x"):
    """Checks that `images` is a batch the models can read, and says what is wrong if not.

    Args:
        images: array-like of shape `(N, 28, 28, 1)`, floats in [0, 1].
        name: what to call the argument in the error message.

    Returns:
        `images` as a float32 NumPy array.

    Raises:
        ValueError: the shape, type or values are not those of images in [0, 1].
    """
    array = np.asarray(images)
    if array.ndim != 4 or array.shape[1:] != IMAGE_SHAPE:
        hint = ""
        if array.shape[1:] == IMAGE_SHAPE[:2]:
            hint = " Add the channel axis with x[..., None]."
        elif array.ndim == 2 and array.shape[1] == 784:
            hint = " Reshape flat images with x.reshape(-1, 28, 28, 1)."
        raise ValueError(
            f"Expected `{name}` to be images of shape (N, 28, 28, 1).{hint} "
            f"Received: {name}.shape={array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError(
            f"Expected at least one image in `{name}`. Received: {name}.shape={array.shape}"
        )
    if not np.issubdtype(array.dtype, np.floating):
        hint = " Did you forget to divide by 255?" if np.issubdtype(array.dtype, np.integer) else ""
        raise ValueError(
            f"Expected `{name}` to hold float pixel values in [0, 1].{hint} Received: "
            f"{name}.dtype={array.dtype}"
        )
    array = array.astype(np.float32, copy=False)
    if np.isnan(array).any():
        raise ValueError(
            f"Expected `{name}` to hold no NaN; {int(np.isnan(array).sum())} pixels are NaN."
        )
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        hint = (
            " Did you forget to divide by 255?"
            if high > 1.0 and high <= 255.0 and low >= 0.0
            else ""
        )
        raise ValueError(
            f"Expected pixel values in [0, 1] in `{name}`; they range from {low} to {high}.{hint}"
        )
    return array
