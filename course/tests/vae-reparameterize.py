"""Hidden tests of chapter 2's exercise vae-reparameterize: `reparameterize`."""

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "vae-reparameterize"
points = None


def _result(fn, *args):
    return np.asarray(fn(*args), dtype=np.float64)


@test_case(points=1, hidden=True)
def test_matches_the_formula(reparameterize):
    rng = np.random.default_rng(1)
    z_mean, z_log_var, noise = rng.normal(size=(3, 10, 5)).astype(np.float32)
    expected = z_mean.astype(np.float64) + np.exp(0.5 * z_log_var.astype(np.float64)) * noise
    np.testing.assert_allclose(
        _result(reparameterize, z_mean, z_log_var, noise), expected, rtol=1e-5, atol=1e-6
    )


@test_case(points=2, hidden=True)
def test_scales_by_the_standard_deviation_not_the_variance(reparameterize):
    z_mean = np.zeros((4, 2), np.float32)
    z_log_var = np.full((4, 2), np.log(4.0), np.float32)  # variance 4, standard deviation 2
    noise = np.ones((4, 2), np.float32)
    result = _result(reparameterize, z_mean, z_log_var, noise)
    assert np.allclose(result, 2.0, rtol=1e-5), (
        f"variance 4 and noise 1 should give 2 (the standard deviation), got {result.ravel()[:3]}"
    )


@test_case(points=1, hidden=True)
def test_any_shape(reparameterize):
    rng = np.random.default_rng(2)
    for shape in [(1, 1), (7, 3), (2, 4, 3)]:
        z_mean, z_log_var, noise = rng.normal(size=(3, *shape))
        result = _result(reparameterize, z_mean, z_log_var, noise)
        assert result.shape == shape, f"inputs of shape {shape} gave shape {result.shape}"
        np.testing.assert_allclose(result, z_mean + np.exp(0.5 * z_log_var) * noise, rtol=1e-6)


@test_case(points=1, hidden=True)
def test_zero_noise_and_extreme_log_variances(reparameterize):
    z_mean = np.array([[1.5, -2.0, 0.25]], np.float32)
    result = _result(
        reparameterize,
        z_mean,
        np.array([[-30.0, 0.0, 30.0]], np.float32),
        np.zeros((1, 3), np.float32),
    )
    np.testing.assert_allclose(result, z_mean, rtol=1e-6)
    tiny = _result(
        reparameterize, z_mean, np.full((1, 3), -40.0, np.float32), np.ones((1, 3), np.float32)
    )
    np.testing.assert_allclose(tiny, z_mean, rtol=1e-6)
