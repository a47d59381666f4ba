"""Loading, validating and subsetting the datasets the book trains on.

Fashion-MNIST (and MNIST) are stored as four gzipped IDX files. `load_dataset`
has `aelib.files` find them and check every byte it relies on, and returns float
images in [0, 1]; `check_images` says what is wrong with a batch the models
cannot read; `subset_indices` and `Dataset.subset` draw smaller training sets,
reproducibly.

Where the files come from: see `aelib.files`.
"""

import dataclasses

import numpy as np

from aelib.checks import check_integer
from aelib.files import IMAGE_SIZE, read_files

IMAGE_SHAPE = (*IMAGE_SIZE, 1)  # the models' input: one grey channel

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
        aelib.files.DataFileError: a file is missing, truncated or damaged, or there is no
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
    arrays = read_files(name, spec)
    return Dataset(
        x_train=_to_float(arrays["x_train"]),
        y_train=arrays["y_train"].astype(np.int64),
        x_test=_to_float(arrays["x_test"]),
        y_test=arrays["y_test"].astype(np.int64),
        class_names=spec["class_names"],
    )


def _to_float(images):
    return (images.astype(np.float32) / 255.0)[..., np.newaxis]


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
