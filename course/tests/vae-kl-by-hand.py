"""Hidden tests of chapter 2's exercise vae-kl-by-hand: `kl_to_prior(z_mean, z_log_var)`."""

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "vae-kl-by-hand"
points = None


def _expected(z_mean, z_log_var):
    z_mean, z_log_var = np.asarray(z_mean, np.float64), np.asarray(z_log_var, np.float64)
    return 0.5 * np.sum(z_mean**2 + np.exp(z_log_var) - z_log_var - 1.0, axis=-1)


def _result(fn, *args):
    return np.asarray(fn(*args), dtype=np.float64)


@test_case(points=1, hidden=True)
def test_matches_the_closed_form(kl_to_prior):
    rng = np.random.default_rng(1)
    z_mean, z_log_var = rng.normal(size=(2, 9, 6)).astype(np.float32)
    np.testing.assert_allclose(
        _result(kl_to_prior, z_mean, z_log_var), _expected(z_mean, z_log_var), rtol=1e-4
    )


@test_case(points=1, hidden=True)
def test_zero_for_the_prior_itself(kl_to_prior):
    result = _result(kl_to_prior, np.zeros((5, 4), np.float32), np.zeros((5, 4), np.float32))
    assert result.shape == (5,), f"expected one value per example, shape (5,); got {result.shape}"
    np.testing.assert_allclose(result, 0.0, atol=1e-6)


@test_case(points=1, hidden=True)
def test_one_value_per_example_for_any_batch(kl_to_prior):
    rng = np.random.default_rng(2)
    for shape in [(1, 2), (7, 16)]:
        z_mean, z_log_var = rng.normal(size=(2, *shape))
        result = _result(kl_to_prior, z_mean, z_log_var)
        assert result.shape == shape[:1], (
            f"inputs of shape {shape} gave shape {result.shape}, expected {shape[:1]}"
        )
        np.testing.assert_allclose(result, _expected(z_mean, z_log_var), rtol=1e-6)


@test_case(points=1, hidden=True)
def test_extreme_log_variances_in_float32(kl_to_prior):
    z_mean = np.array([[0.0, 3.0], [-2.0, 0.5]], np.float32)
    z_log_var = np.array([[-10.0, 10.0], [5.0, -5.0]], np.float32)
    result = _result(kl_to_prior, z_mean, z_log_var)
    assert np.all(np.isfinite(result))
    np.testing.assert_allclose(result, _expected(z_mean, z_log_var), rtol=1e-4)
