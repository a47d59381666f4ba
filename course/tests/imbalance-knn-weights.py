"""Hidden tests of chapter 5's exercise imbalance-knn-weights: `my_knn_weights`."""

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False
name = "imbalance-knn-weights"
points = None


def _expected(codes, k, dimension):
    codes = np.asarray(codes, np.float64)
    distances = np.sqrt(((codes[:, None, :] - codes[None, :, :]) ** 2).sum(axis=-1))
    np.fill_diagonal(distances, np.inf)
    weights = np.sort(distances, axis=1)[:, k - 1] ** dimension
    return weights / weights.mean()


def _result(fn, *args):
    return np.asarray(fn(*args), dtype=np.float64)


@test_case(points=1, hidden=True)
def test_matches_the_definition(my_knn_weights):
    rng = np.random.default_rng(1)
    codes = np.concatenate([rng.normal(size=(80, 2)), rng.normal(size=(10, 2)) + 5])
    result = _result(my_knn_weights, codes, 5, 2.0)
    assert result.shape == (90,), f"expected one weight per code, shape (90,); got {result.shape}"
    np.testing.assert_allclose(result, _expected(codes, 5, 2.0), rtol=1e-5)


@test_case(points=1, hidden=True)
def test_known_values_on_a_line(my_knn_weights):
    codes = np.array([[0.0], [1.0], [3.0], [6.0]])  # nearest other code: 1, 1, 2, 3
    expected = np.array([1.0, 1.0, 4.0, 9.0]) / 3.75  # squared (dimension 2), mean 1
    np.testing.assert_allclose(_result(my_knn_weights, codes, 1, 2.0), expected, rtol=1e-6)


@test_case(points=1, hidden=True)
def test_a_code_is_not_its_own_neighbour(my_knn_weights):
    codes = np.array([[0.0, 0.0], [0.0, 2.0], [0.0, 5.0], [10.0, 0.0]])
    np.testing.assert_allclose(
        _result(my_knn_weights, codes, 2, 1.0), _expected(codes, 2, 1.0), rtol=1e-6
    )


@test_case(points=1, hidden=True)
def test_float32_codes_and_mean_one(my_knn_weights):
    codes = np.random.default_rng(2).normal(size=(50, 3)).astype(np.float32)
    result = _result(my_knn_weights, codes, 10, 3.0)
    np.testing.assert_allclose(result.mean(), 1.0, rtol=1e-5)
    np.testing.assert_allclose(result, _expected(codes, 10, 3.0), rtol=1e-4)
