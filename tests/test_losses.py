"""Tests for aelib.losses: the Bernoulli cross-entropy against NumPy; the continuous Bernoulli."""

import keras
import numpy as np
import pytest
from keras import ops

from aelib.losses import (
    bernoulli_nll,
    continuous_bernoulli_log_normalizer,
    continuous_bernoulli_nll,
)

pytestmark = pytest.mark.keras


def stable_reference(x, logits):
    """max(l, 0) - l x + log1p(exp(-|l|)), per pixel, in float64."""
    x, logits = np.float64(x), np.float64(logits)
    return np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits)))


def test_bernoulli_nll_matches_log_likelihood_for_moderate_logits():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(4, 3, 2)).astype("float32")  # grey levels, not only 0 and 1
    logits = rng.uniform(-5, 5, size=(4, 3, 2)).astype("float32")
    p = 1 / (1 + np.exp(-logits.astype("float64")))
    per_pixel = -(x * np.log(p) + (1 - x) * np.log(1 - p))
    expected = np.array([per_pixel[i].sum() for i in range(4)])  # summed, not averaged
    result = ops.convert_to_numpy(bernoulli_nll(x, logits))
    assert result.shape == (4,)
    np.testing.assert_allclose(result, expected, rtol=1e-5)


def test_bernoulli_nll_is_finite_and_right_for_extreme_logits():
    x = np.array([[0.0, 1.0, 0.3, 0.0, 1.0, 0.3]], "float32")
    logits = np.array([[100.0, 100.0, 100.0, -100.0, -100.0, -100.0]], "float32")
    # Per pixel: 100, 0, 70, 0, 100, 30 (to float64 precision, log1p(exp(-100)) ~ 4e-44).
    expected = stable_reference(x, logits).sum(axis=1)
    result = ops.convert_to_numpy(bernoulli_nll(x, logits))
    assert np.all(np.isfinite(result))
    np.testing.assert_allclose(result, expected, rtol=1e-6)
    np.testing.assert_allclose(result, [300.0], rtol=1e-6)
    # Each pixel alone, so no large term hides a wrong small one.
    for j in range(6):
        alone = ops.convert_to_numpy(bernoulli_nll(x[:, j : j + 1], logits[:, j : j + 1]))
        np.testing.assert_allclose(alone, stable_reference(x[:, j], logits[:, j]), atol=1e-5)


def test_bernoulli_nll_is_log_2_a_pixel_at_zero_logits():
    x = np.random.default_rng(1).uniform(size=(2, 5, 5, 1)).astype("float32")
    result = ops.convert_to_numpy(bernoulli_nll(x, np.zeros_like(x)))
    np.testing.assert_allclose(result, [25 * np.log(2)] * 2, rtol=1e-6)


def test_bernoulli_nll_sums_every_non_batch_axis_of_images():
    rng = np.random.default_rng(2)
    x = rng.uniform(size=(3, 4, 4, 1)).astype("float32")
    logits = rng.normal(size=(3, 4, 4, 1)).astype("float32")
    result = ops.convert_to_numpy(bernoulli_nll(x, logits))
    assert result.shape == (3,)
    expected = stable_reference(x, logits).reshape(3, -1).sum(axis=1)
    np.testing.assert_allclose(result, expected, rtol=1e-5)


def test_bernoulli_nll_rejects_mismatched_shapes():
    with pytest.raises(
        ValueError, match=r"same shape.*x.shape=\(2, 28, 28, 1\).*logits.shape=\(2, 784\)"
    ):
        bernoulli_nll(np.zeros((2, 28, 28, 1), "float32"), np.zeros((2, 784), "float32"))


@pytest.mark.parametrize("logit", [-300.0, -40.0, -3.0, -0.004, 0.0, 0.02, 1.5, 40.0, 300.0])
def test_continuous_bernoulli_is_a_density_on_grey_levels(logit):
    """exp(-continuous_bernoulli_nll) integrates to 1 over [0, 1]; the Bernoulli form to 1 / C."""
    grey = np.linspace(0.0, 1.0, 400_001)[:, None]  # one pixel, a fine grid of grey levels
    logits = np.full_like(grey, logit)

    def integral(nll):
        values = keras.ops.convert_to_numpy(nll(grey.astype("float32"), logits.astype("float32")))
        return np.trapezoid(np.exp(-values.astype(np.float64)), grey[:, 0])

    assert integral(continuous_bernoulli_nll) == pytest.approx(1.0, abs=1e-5)
    normalizer = float(keras.ops.convert_to_numpy(continuous_bernoulli_log_normalizer(logit)))
    assert integral(bernoulli_nll) == pytest.approx(np.exp(-normalizer), rel=1e-4)  # 1/2 at 0


def test_continuous_bernoulli_normalizer_against_its_closed_form():
    """log C(p) = log(2 artanh(1 - 2p) / (1 - 2p)), written in float64 from p; log 2 at p = 1/2."""
    logits = np.array([-12.0, -2.0, -0.5, -1e-3, 0.0, 1e-3, 0.7, 3.0, 12.0])
    p = 1.0 / (1.0 + np.exp(-logits))
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(
            np.abs(1 - 2 * p) < 1e-12, np.log(2.0), np.log(2 * np.arctanh(1 - 2 * p) / (1 - 2 * p))
        )
    got = keras.ops.convert_to_numpy(continuous_bernoulli_log_normalizer(logits.astype("float32")))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_continuous_bernoulli_nll_is_the_cross_entropy_less_the_normalizer():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(3, 28, 28, 1)).astype("float32")
    logits = (3 * rng.standard_normal((3, 28, 28, 1))).astype("float32")
    normalizer = keras.ops.convert_to_numpy(continuous_bernoulli_log_normalizer(logits))
    expected = keras.ops.convert_to_numpy(bernoulli_nll(x, logits)) - normalizer.sum(axis=(1, 2, 3))
    got = keras.ops.convert_to_numpy(continuous_bernoulli_nll(x, logits))
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    with pytest.raises(ValueError, match="same shape"):
        continuous_bernoulli_nll(x, logits[:, :14])
