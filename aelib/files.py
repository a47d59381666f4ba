"""The dataset files: where they are found, and reading them with every byte checked.

Fashion-MNIST (and MNIST) are stored as four gzipped IDX files: a header (a
magic number that says what the file holds, then the size of each dimension)
and the unsigned bytes. `read_files` checks the header against the file's
length, and the dimensions and labels against what the dataset should hold, so
a truncated download or a file in the wrong place is named in the error rather
than found later as a strange training curve.

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

import gzip
import os
import pathlib
import zlib

import numpy as np

IMAGE_SIZE = (28, 28)  # rows and columns of every image in the files

_IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
_LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension

_DEBIAN_ROOT = pathlib.Path("/usr/share/datasets")

_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


class DataFileError(ValueError):
    """A dataset file is missing, truncated or not what it claims to be."""


def read_files(name, spec):
    """Finds the four files of a dataset and reads them, each checked.

    Args:
        name: the dataset's name, for the messages (`"fashion_mnist"`).
        spec: what the dataset holds: its `folder`, `sizes` (`{"train": N,
            "test": M}`), `origin` (the URL the files download from; `None`
            for Keras's MNIST), `debian_package` and `class_names`.

    Returns:
        A dict of uint8 arrays: `x_train` of shape `(N, 28, 28)`, `y_train` of
        shape `(N,)`, `x_test` and `y_test`.

    Raises:
        DataFileError: a file is missing, truncated or damaged, or there is no
            local copy and the download failed; the message names the file and
            says how to fix it.
    """
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
            expected = (count,) + IMAGE_SIZE if key.startswith("x_") else (count,)
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
    if is_images and dims[1:] != IMAGE_SIZE:
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
