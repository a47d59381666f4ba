"""Tests for aelib.neighbours: the k-NN search against SciPy, and the intrinsic dimension."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from aelib.neighbours import intrinsic_dimension, neighbour_distances


def test_neighbour_distances_match_scipy():
    rng = np.random.default_rng(2)
    codes = rng.standard_normal((300, 5)) * 3 + 10  # far from 0, to exercise the centring
    expected = np.sort(cdist(codes, codes) + np.diag(np.full(300, np.inf)), axis=1)[:, :7]
    found = neighbour_distances(codes, 7, chunk_size=64)
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-5)


def test_a_duplicate_is_a_neighbour_at_distance_zero_but_a_code_is_not_its_own():
    codes = np.array([[0.0], [0.0], [5.0]])
    np.testing.assert_allclose(neighbour_distances(codes, 1)[:, 0], [1e-12, 1e-12, 5.0])


@pytest.mark.parametrize("dim", [2, 5])
def test_intrinsic_dimension_of_a_flat_set_inside_more_dimensions(dim):
    rng = np.random.default_rng(3)
    codes = np.zeros((3000, 16))
    codes[:, :dim] = rng.standard_normal((3000, dim))
    estimate = intrinsic_dimension(codes)
    assert abs(estimate - dim) < 0.15 * dim


def test_neighbour_distances_to_a_reference_match_scipy():
    rng = np.random.default_rng(7)
    codes, reference = rng.standard_normal((120, 4)) + 5, rng.standard_normal((300, 4)) + 5
    expected = np.sort(cdist(codes, reference), axis=1)[:, :9]
    found = neighbour_distances(codes, 9, chunk_size=50, reference=reference)
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-5)
    # A code that is also in the reference is its own neighbour there, at distance 0.
    assert neighbour_distances(reference[:3], 1, reference=reference)[:, 0].max() <= 1e-6
