"""Tests for aelib.data and aelib.files: the real files, every kind of damage, the subsets."""

import gzip
import pathlib
import shutil

import numpy as np
import pytest

from aelib import budget, fast_mode
from aelib.data import load_dataset, subset_indices
from aelib.files import DataFileError

DEBIAN = pathlib.Path("/usr/share/datasets/fashion-mnist")
needs_debian = pytest.mark.skipif(
    not (DEBIAN / "train-images-idx3-ubyte.gz").exists(),
    reason="needs Debian's dataset-fashion-mnist (installed by .ci/run)",
)


@pytest.fixture(scope="module")
def data():
    return load_dataset()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A copy of the real files in a folder chosen with AELIB_DATA_DIR."""
    folder = tmp_path / "fashion-mnist"
    shutil.copytree(DEBIAN, folder)
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    return folder


def _rewrite(path, edit):
    """Replaces the decompressed bytes of a gzipped file by edit(bytes)."""
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(edit(raw), compresslevel=1))


@needs_debian
def test_real_data_shapes_dtypes_ranges(data):
    assert data.x_train.shape == (60000, 28, 28, 1)
    assert data.x_test.shape == (10000, 28, 28, 1)
    assert data.x_train.dtype == data.x_test.dtype == np.float32
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert data.y_train.shape == (60000,) and data.y_test.shape == (10000,)
    assert np.issubdtype(data.y_train.dtype, np.integer)
    # Fashion-MNIST is balanced: 6000 train and 1000 test images a class.
    assert np.bincount(data.y_train).tolist() == [6000] * 10
    assert np.bincount(data.y_test).tolist() == [1000] * 10
    assert len(data.class_names) == 10 and data.class_names[9] == "Ankle boot"


@needs_debian
def test_pixels_are_the_files_bytes_over_255(data):
    with gzip.open(DEBIAN / "t10k-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(), np.uint8, offset=16).reshape(10000, 28, 28)
    np.testing.assert_array_equal(data.x_test[..., 0] * 255.0, raw.astype(np.float32))
    with gzip.open(DEBIAN / "t10k-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    np.testing.assert_array_equal(data.y_test, labels)


@needs_debian
def test_data_dir_is_used(data_dir, data):
    # Mark one pixel so the result can only have come from the chosen folder.
    path = data_dir / "t10k-images-idx3-ubyte.gz"
    _rewrite(path, lambda raw: raw[:16] + bytes([7]) + raw[17:])
    loaded = load_dataset()
    assert loaded.x_test[0, 0, 0, 0] == pytest.approx(7 / 255)
    np.testing.assert_array_equal(loaded.x_test[1:], data.x_test[1:])


@needs_debian
def test_missing_file_is_named(data_dir):
    (data_dir / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataFileError, match="Missing file .*train-labels-idx1-ubyte.gz"):
        load_dataset()


@needs_debian
def test_truncated_gzip(data_dir):
    path = data_dir / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100000])
    with pytest.raises(
        DataFileError, match="t10k-images-idx3-ubyte.gz is not a complete gzip file"
    ):
        load_dataset()


@needs_debian
def test_corrupt_gzip(data_dir):
    path = data_dir / "t10k-labels-idx1-ubyte.gz"
    damaged = bytearray(path.read_bytes())
    damaged[2000] ^= 0xFF  # flip bits inside the deflate stream
    path.write_bytes(bytes(damaged))
    with pytest.raises(
        DataFileError, match="t10k-labels-idx1-ubyte.gz is not a complete gzip file"
    ):
        load_dataset()


@needs_debian
def test_not_gzip_at_all(data_dir):
    (data_dir / "train-labels-idx1-ubyte.gz").write_bytes(b"<html>Not Found</html>")
    with pytest.raises(DataFileError, match="train-labels-idx1-ubyte.gz is not a complete gzip"):
        load_dataset()


@needs_debian
def test_wrong_magic_number(data_dir):
    # An image file where a label file should be.
    shutil.copy(data_dir / "t10k-images-idx3-ubyte.gz", data_dir / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(DataFileError, match=r"magic number 0x00000803; expected 0x00000801"):
        load_dataset()


@needs_debian
def test_payload_shorter_than_header_says(data_dir):
    _rewrite(data_dir / "t10k-images-idx3-ubyte.gz", lambda raw: raw[:-784])
    with pytest.raises(
        DataFileError, match=r"declares dimensions \(10000, 28, 28\), which need 7840016"
    ):
        load_dataset()


@needs_debian
def test_payload_longer_than_header_says(data_dir):
    _rewrite(data_dir / "t10k-labels-idx1-ubyte.gz", lambda raw: raw + b"\x00")
    with pytest.raises(DataFileError, match="holds 10009"):
        load_dataset()


@needs_debian
def test_wrong_number_of_examples(data_dir):
    # A consistent file with 9999 labels: well formed, but not the test set.
    def drop_one(raw):
        return (9999).to_bytes(4, "big").join([raw[:4], raw[8:-1]])

    _rewrite(data_dir / "t10k-labels-idx1-ubyte.gz", drop_one)
    with pytest.raises(DataFileError, match="holds 9999 examples; expected 10000"):
        load_dataset()


@needs_debian
def test_label_out_of_range(data_dir):
    _rewrite(data_dir / "train-labels-idx1-ubyte.gz", lambda raw: raw[:8] + bytes([10]) + raw[9:])
    with pytest.raises(DataFileError, match="holds label 10; expected labels in 0..9"):
        load_dataset()


@needs_debian
def test_chosen_folder_is_never_skipped(data_dir, tmp_path, monkeypatch):
    # A damaged file in the chosen folder must not fall back to Debian's copy.
    (data_dir / "t10k-images-idx3-ubyte.gz").write_bytes(b"")
    with pytest.raises(DataFileError, match=str(data_dir)):
        load_dataset()


def test_data_dir_without_dataset_folder(tmp_path, monkeypatch):
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    with pytest.raises(DataFileError, match="no folder 'fashion-mnist'.*lie directly in"):
        load_dataset()


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="Received: name='cifar10'"):
        load_dataset("cifar10")


@needs_debian
def test_mnist_reads_its_own_folder(tmp_path, monkeypatch):
    # The files' format is the same; only the folder says which dataset it is.
    shutil.copytree(DEBIAN, tmp_path / "mnist")
    monkeypatch.setenv("AELIB_DATA_DIR", str(tmp_path))
    mnist = load_dataset("mnist")
    assert mnist.class_names[3] == "3"
    assert mnist.x_train.shape == (60000, 28, 28, 1)


def test_subset_is_reproducible_and_distinct():
    labels = np.repeat(np.arange(10), 100)
    first = subset_indices(labels, 250, seed=3)
    np.testing.assert_array_equal(first, subset_indices(labels, 250, seed=3))
    assert not np.array_equal(first, subset_indices(labels, 250, seed=4))
    assert len(np.unique(first)) == 250 and first.min() >= 0 and first.max() < 1000


def test_stratified_subset_keeps_class_shares():
    labels = np.concatenate([np.zeros(900, int), np.ones(90, int), np.full(10, 2)])
    chosen = subset_indices(labels, 100, seed=0, stratified=True)
    assert np.bincount(labels[chosen]).tolist() == [90, 9, 1]
    # Uneven quotas still add up exactly.
    chosen = subset_indices(labels, 37, seed=1, stratified=True)
    assert chosen.size == 37 and len(np.unique(chosen)) == 37
    assert (
        np.abs(np.bincount(labels[chosen], minlength=3) - 37 * np.array([0.9, 0.09, 0.01])).max()
        < 1
    )


@pytest.mark.parametrize("size", [0, 1001, 2.5, True, "10"])
def test_subset_rejects_bad_size(size):
    with pytest.raises(ValueError, match="Expected `size` to be an integer between 1 and"):
        subset_indices(np.zeros(1000), size)


@needs_debian
def test_dataset_subset(data):
    small = data.subset(train_size=500, test_size=100, seed=0, stratified=True)
    assert small.x_train.shape == (500, 28, 28, 1) and small.x_test.shape == (100, 28, 28, 1)
    assert np.bincount(small.y_train).tolist() == [50] * 10
    again = data.subset(train_size=500, test_size=100, seed=0, stratified=True)
    np.testing.assert_array_equal(small.x_train, again.x_train)


def test_budget_follows_the_fast_switch(monkeypatch):
    monkeypatch.delenv("AELIB_FAST", raising=False)
    assert not fast_mode() and budget(full=30, fast=1) == 30
    for value in ("1", "true", "yes"):
        monkeypatch.setenv("AELIB_FAST", value)
        assert fast_mode() and budget(full=30, fast=1) == 1
    for value in ("0", "", "false"):
        monkeypatch.setenv("AELIB_FAST", value)
        assert not fast_mode()


@pytest.mark.parametrize("name", ["fashion_mnist", "mnist"])
def test_offline_without_a_local_copy_says_what_to_do(name, tmp_path, monkeypatch):
    # No AELIB_DATA_DIR, no Debian copy, and a download that fails as Keras's does offline.
    import keras
    import keras.src.datasets.mnist

    import aelib.files

    def offline(*args, **kwargs):
        raise Exception(
            "URL fetch failure on https://example.invalid/x.gz: None -- "
            "[Errno -3] Temporary failure"
        )

    monkeypatch.delenv("AELIB_DATA_DIR", raising=False)
    monkeypatch.setattr(aelib.files, "_DEBIAN_ROOT", tmp_path)
    monkeypatch.setattr(keras.utils, "get_file", offline)
    monkeypatch.setattr(keras.src.datasets.mnist, "get_file", offline)
    with pytest.raises(DataFileError, match="AELIB_DATA_DIR") as raised:
        load_dataset(name)
    message = str(raised.value)
    assert "URL fetch failure" in message  # Keras's reason is kept
    if name == "fashion_mnist":
        assert "apt-get install dataset-fashion-mnist" in message
