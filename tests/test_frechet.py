"""Tests for aelib.frechet and aelib.classifier: closed forms, properties, the ruler itself."""

import numpy as np
import pytest
from scipy import ndimage

pytestmark = pytest.mark.keras

from aelib import classifier  # noqa: E402
from aelib.classifier import classifier_features, classify, feature_extractor, load_classifier  # noqa: E402
from aelib.data import load_dataset  # noqa: E402
from aelib.frechet import frechet_distance, image_frechet_distance  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return load_dataset()


def gaussian_sample(rng, n, mean, scales):
    """n rows whose sample mean is `mean` and sample covariance is diag(scales**2), exactly."""
    d = len(scales)
    centred = rng.normal(size=(n, d))
    centred -= centred.mean(axis=0)
    # Orthonormal columns spanning the centred data: each column sums to 0.
    q, _ = np.linalg.qr(centred)
    return np.asarray(mean) + q * np.sqrt(n - 1) * np.asarray(scales)


# --- frechet_distance against closed forms ---------------------------------


def test_one_dimensional_closed_form():
    # Between N(m1, s1^2) and N(m2, s2^2) the distance is (m1 - m2)^2 + (s1 - s2)^2.
    rng = np.random.default_rng(0)
    a = rng.normal(1.5, 2.0, size=(500, 1))
    b = rng.normal(-0.5, 0.7, size=(300, 1))
    m1, m2 = a.mean(), b.mean()
    s1, s2 = a.std(ddof=1), b.std(ddof=1)
    expected = (m1 - m2) ** 2 + (s1 - s2) ** 2
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-10)


def test_diagonal_covariances_closed_form():
    # With diagonal covariances: |mean_a - mean_b|^2 + sum (sqrt(var_a) - sqrt(var_b))^2.
    rng = np.random.default_rng(1)
    mean_a, scales_a = rng.normal(size=6), rng.uniform(0.2, 3.0, size=6)
    mean_b, scales_b = rng.normal(size=6), rng.uniform(0.2, 3.0, size=6)
    a = gaussian_sample(rng, 400, mean_a, scales_a)
    b = gaussian_sample(rng, 250, mean_b, scales_b)
    # The construction gives exactly these sample statistics.
    np.testing.assert_allclose(np.cov(a, rowvar=False), np.diag(scales_a**2), atol=1e-12)
    np.testing.assert_allclose(b.mean(axis=0), mean_b, atol=1e-12)
    expected = np.sum((mean_a - mean_b) ** 2) + np.sum((scales_a - scales_b) ** 2)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)


def test_full_covariances_match_symmetric_eigenvalue_formula():
    # trace((A B)^(1/2)) = sum of sqrt(eigenvalues of A^(1/2) B A^(1/2)), a symmetric
    # matrix, computed here with eigh alone (no sqrtm).
    rng = np.random.default_rng(2)
    a = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5)) + 1.0
    b = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    values, vectors = np.linalg.eigh(cov_a)
    sqrt_a = vectors @ np.diag(np.sqrt(values)) @ vectors.T
    middle = np.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a)
    expected = (
        np.sum((a.mean(axis=0) - b.mean(axis=0)) ** 2)
        + np.trace(cov_a)
        + np.trace(cov_b)
        - 2 * np.sum(np.sqrt(np.clip(middle, 0, None)))
    )
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-8)


def test_shift_adds_squared_length():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4))
    shift = np.array([1.0, -2.0, 0.5, 3.0])
    assert frechet_distance(a, a + shift) == pytest.approx(np.sum(shift**2), rel=1e-8)


def test_symmetric():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(300, 8))
    b = rng.normal(size=(100, 8)) * 2.0 + 0.3
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)
    assert frechet_distance(a, b) > 1.0


def test_identical_sets_give_zero():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(500, 16)) @ rng.normal(size=(16, 16))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)


def test_singular_covariances_stay_finite():
    # A feature constant in both sets makes both covariances singular; the
    # distance is then that of the other features.
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(200, 4)), rng.normal(size=(150, 4)) + 0.5
    with_constant = frechet_distance(np.insert(a, 2, 7.0, axis=1), np.insert(b, 2, 7.0, axis=1))
    assert with_constant == pytest.approx(frechet_distance(a, b), rel=1e-4)


@pytest.mark.parametrize(
    "features_a, features_b, match",
    [
        (np.zeros(10), np.zeros((10, 1)), "2-D"),
        (np.zeros((10, 3, 1)), np.zeros((10, 3)), "2-D"),
        (np.zeros((10, 3)), np.zeros((10, 4)), "same number of features"),
        (np.zeros((1, 3)), np.zeros((10, 3)), "at least 2 rows"),
        (np.zeros((10, 3)), np.full((10, 3), np.nan), "finite"),
    ],
)
def test_bad_features_are_refused(features_a, features_b, match):
    with pytest.raises(ValueError, match=match):
        frechet_distance(features_a, features_b)


# --- the classifier ----------------------------------------------------------


def test_shipped_classifier_classifies(data):
    logits = load_classifier().predict(data.x_test[:1000], batch_size=500, verbose=0)  # (1000, 10)
    accuracy = np.mean(np.argmax(logits, axis=1) == data.y_test[:1000])
    assert accuracy > 0.85


def test_classifier_features_shape_and_dtype(data):
    features = classifier_features(data.x_test[:7], batch_size=3)
    assert features.shape == (7, 64)
    assert features.dtype == np.float64
    assert np.isfinite(features).all()
    # Batching does not change the features; no feature is constant.
    np.testing.assert_allclose(features, classifier_features(data.x_test[:7]), rtol=1e-5, atol=1e-5)
    assert np.all(classifier_features(data.x_test[:500]).std(axis=0) > 0)


def test_feature_extractor_is_built_once():
    assert feature_extractor() is feature_extractor()


def test_the_classifier_is_loaded_once_and_classify_uses_it(data):
    assert load_classifier() is load_classifier()
    images, labels = data.x_test[:500], data.y_test[:500]
    logits = load_classifier().predict(images, batch_size=128, verbose=0)
    np.testing.assert_array_equal(classify(images, batch_size=64), np.argmax(logits, axis=1))
    assert classify(images).dtype == np.int64
    assert np.mean(classify(images) == labels) > 0.85  # the shipped ruler knows the garments


@pytest.mark.parametrize(
    "images, match",
    [
        (np.zeros((5, 28, 28), np.float32), r"channel axis"),
        (np.zeros((5, 784), np.float32), r"\(N, 28, 28, 1\)"),
        (np.zeros((5, 32, 32, 3), np.float32), r"\(N, 28, 28, 1\)"),
        (np.zeros((0, 28, 28, 1), np.float32), r"at least one image"),
        (np.zeros((5, 28, 28, 1), np.uint8), r"divide by 255"),
        (np.full((5, 28, 28, 1), 255.0, np.float32), r"divide by 255"),
        (np.full((5, 28, 28, 1), -0.5, np.float32), r"\[0, 1\]"),
        (np.full((5, 28, 28, 1), np.nan, np.float32), r"NaN"),
    ],
)
def test_bad_images_are_refused(images, match):
    with pytest.raises(ValueError, match=match):
        classifier_features(images)
    with pytest.raises(ValueError, match=match):
        image_frechet_distance(images, images)


def test_missing_weights_say_how_to_create_them(monkeypatch, tmp_path):
    monkeypatch.setattr(classifier, "WEIGHTS_PATH", tmp_path / "absent.weights.h5")
    feature_extractor.cache_clear()
    load_classifier.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match="scripts/train_classifier.py"):
            feature_extractor()
        with pytest.raises(FileNotFoundError, match="scripts/train_classifier.py"):
            classify(np.zeros((2, 28, 28, 1), np.float32))
    finally:
        feature_extractor.cache_clear()
        load_classifier.cache_clear()


# --- the image distance as a ruler --------------------------------------------


def test_real_images_are_closer_than_damaged_ones(data):
    train, test = data.x_train[:2000], data.x_test[:2000]
    floor = image_frechet_distance(train, test)
    # The same distance from features computed once per set.
    test_features = classifier_features(test)
    assert frechet_distance(classifier_features(train), test_features) == pytest.approx(floor)
    noise = np.random.default_rng(0).uniform(size=test.shape).astype(np.float32)
    blurred = ndimage.gaussian_filter(test, sigma=(0, 1, 1, 0))
    shifted = np.roll(test, 3, axis=2)  # 3 pixels to the right
    assert 0.0 < floor < 5.0
    for damaged in (noise, blurred, shifted):
        assert frechet_distance(test_features, classifier_features(damaged)) > 20 * floor
