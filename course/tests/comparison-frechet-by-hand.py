"""Hidden tests of chapter 4's exercise comparison-frechet-by-hand: `my_frechet_distance`."""

import numpy as np
import scipy.linalg
from otter.test_files import test_case

OK_FORMAT = False
name = "comparison-frechet-by-hand"
points = None


def _expected(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(cov_a + cov_b - 2 * root))


def _result(fn, a, b):
    result = np.asarray(fn(a, b))
    assert result.size == 1, f"expected one number, got an array of shape {result.shape}"
    assert abs(np.imag(result).item()) < 1e-6, f"expected a real number, got {result.item()}"
    return float(np.real(result).item())


@test_case(points=1, hidden=True)
def test_matches_the_formula(my_frechet_distance):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(300, 6))
    b = 0.7 * rng.normal(size=(250, 6)) @ rng.normal(size=(6, 6)) + 0.5
    np.testing.assert_allclose(_result(my_frechet_distance, a, b), _expected(a, b), rtol=1e-4)


@test_case(points=1, hidden=True)
def test_zero_for_identical_sets(my_frechet_distance):
    a = np.random.default_rng(2).normal(size=(200, 5))
    assert abs(_result(my_frechet_distance, a, a)) < 1e-6


@test_case(points=1, hidden=True)
def test_a_shift_gives_its_squared_length(my_frechet_distance):
    a = np.random.default_rng(3).normal(size=(500, 4))
    shift = np.array([1.0, -2.0, 0.0, 0.5])
    np.testing.assert_allclose(
        _result(my_frechet_distance, a, a + shift), float(shift @ shift), rtol=1e-5
    )


@test_case(points=1, hidden=True)
def test_float32_features_of_different_counts(my_frechet_distance):
    rng = np.random.default_rng(4)
    a, b = (
        rng.normal(size=(120, 3)).astype(np.float32),
        (2 * rng.normal(size=(80, 3))).astype(np.float32),
    )
    np.testing.assert_allclose(_result(my_frechet_distance, a, b), _expected(a, b), rtol=1e-3)
