"""Hidden tests of chapter 3's exercise wae-mmd-by-hand: `my_mmd(x, y)`, unbiased, IMQ."""

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "wae-mmd-by-hand"
points = None
SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def _expected(x, y):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    d = x.shape[1]

    def gram(a, b):
        squared = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1)
        return sum(2 * d * s / (2 * d * s + squared) for s in SCALES)

    n, m = len(x), len(y)
    k_xx, k_yy = gram(x, x), gram(y, y)
    return (
        (k_xx.sum() - np.trace(k_xx)) / (n * (n - 1))
        + (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
        - 2 * gram(x, y).mean()
    )


def _result(fn, x, y):
    result = np.asarray(fn(x, y), dtype=np.float64)
    assert result.size == 1, f"expected one number, got an array of shape {result.shape}"
    return float(result.reshape(()))


@test_case(points=1, hidden=True)
def test_matches_the_unbiased_estimate(my_mmd):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 4)), rng.normal(size=(55, 4)) + 0.3
    np.testing.assert_allclose(_result(my_mmd, x, y), _expected(x, y), rtol=1e-4, atol=1e-7)


@test_case(points=1, hidden=True)
def test_symmetric(my_mmd):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 2)), 2 * rng.normal(size=(20, 2))
    np.testing.assert_allclose(_result(my_mmd, x, y), _result(my_mmd, y, x), rtol=1e-5, atol=1e-7)


@test_case(points=1, hidden=True)
def test_small_samples_one_and_many_dimensions(my_mmd):
    rng = np.random.default_rng(3)
    for n, m, d in [(3, 4, 1), (6, 5, 16)]:
        x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d)) + 1.0
        np.testing.assert_allclose(_result(my_mmd, x, y), _expected(x, y), rtol=1e-4, atol=1e-7)


@test_case(points=1, hidden=True)
def test_float32_inputs(my_mmd):
    rng = np.random.default_rng(4)
    x, y = (
        rng.normal(size=(25, 3)).astype(np.float32),
        (rng.normal(size=(25, 3)) - 1).astype(np.float32),
    )
    np.testing.assert_allclose(_result(my_mmd, x, y), _expected(x, y), rtol=1e-3, atol=1e-6)
