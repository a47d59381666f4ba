"""Tests for aelib.clustering: k-means recovers separated clusters and reaches a fixed point;
the label-free rule for how many clusters."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from aelib.clustering import cluster_codes, number_of_clusters


def test_cluster_codes_recover_separated_clusters(five_clusters):
    codes, cluster = five_clusters
    found = cluster_codes(codes, 5, seed=0)
    assert found.dtype == np.int64 and set(found) == set(range(5))
    # Each true cluster is one found cluster, and each found cluster one true cluster.
    pairs = {(a, b) for a, b in zip(cluster, found)}
    assert len(pairs) == 5


def test_cluster_codes_minimises_squared_distance_against_random_labels():
    rng = np.random.default_rng(8)
    codes = rng.standard_normal((600, 3))
    found = cluster_codes(codes, 6, seed=1)

    def inertia(labels):
        return sum(
            np.sum((codes[labels == j] - codes[labels == j].mean(axis=0)) ** 2)
            for j in np.unique(labels)
        )

    assert len(np.unique(found)) == 6
    # Lloyd's fixed point: no code is nearer another cluster's mean than its own.
    means = np.array([codes[found == j].mean(axis=0) for j in range(6)])
    nearest = np.argmin(cdist(codes, means), axis=1)
    assert np.mean(nearest == found) > 0.99
    assert inertia(found) < 0.6 * inertia(rng.integers(0, 6, size=600))


@pytest.mark.parametrize(
    "num_codes, expected", [(1, 1), (2, 1), (8, 2), (9, 2), (10000, 71), (33000, 128)]
)
def test_number_of_clusters_is_the_rule_of_thumb(num_codes, expected):
    assert number_of_clusters(num_codes) == expected


def test_number_of_clusters_grows_and_never_exceeds_the_codes():
    counts = [number_of_clusters(n) for n in range(1, 3000)]
    assert all(1 <= k <= n for n, k in zip(range(1, 3000), counts))
    assert all(a <= b for a, b in zip(counts, counts[1:]))


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, None])
def test_number_of_clusters_refuses_what_is_not_a_count(bad):
    with pytest.raises(ValueError, match="Received: num_codes="):
        number_of_clusters(bad)
