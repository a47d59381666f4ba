"""Tests for aelib.subsets: inclusion probabilities, quotas over clusters, the subsets drawn."""

import numpy as np
import pytest
from conftest import FakeModel, blank_images

from aelib.clustering import cluster_codes, number_of_clusters
from aelib.density import density_weights, weights_from_codes
from aelib.subsets import balanced_subset, cluster_quotas, inclusion_probabilities


def _capped_by_iteration(weights, size):
    """Inclusion probabilities the slow way: cap, rescale, repeat until nothing exceeds 1."""
    probabilities = np.zeros_like(weights)
    capped = np.zeros(len(weights), dtype=bool)
    while True:
        free = ~capped
        scale = (size - capped.sum()) / weights[free].sum()
        probabilities[free] = weights[free] * scale
        probabilities[capped] = 1.0
        if (probabilities[free] <= 1 + 1e-12).all():
            return probabilities
        capped |= probabilities > 1


@pytest.mark.parametrize("size", [1, 3, 10, 40, 50])
def test_inclusion_probabilities_match_the_iterative_definition(size):
    weights = np.random.default_rng(4).lognormal(sigma=2.0, size=50)
    probabilities = inclusion_probabilities(weights, size)
    np.testing.assert_allclose(probabilities, _capped_by_iteration(weights, size), rtol=1e-9)
    np.testing.assert_allclose(probabilities.sum(), size)
    assert (probabilities <= 1.0).all()


def test_inclusion_probabilities_example_and_zero_weights():
    np.testing.assert_allclose(
        inclusion_probabilities(np.array([1.0, 1.0, 1.0, 9.0]), 2), [1 / 3] * 3 + [1]
    )
    np.testing.assert_allclose(inclusion_probabilities(np.array([0.0, 2.0, 2.0]), 2), [0, 1, 1])


def test_subset_draws_each_example_with_its_probability():
    # Monte Carlo: over 4000 draws, each example's frequency is within 4 standard errors.
    weights = np.array([0.1, 0.5, 1.0, 1.0, 2.0, 4.0, 8.0, 30.0])
    expected = inclusion_probabilities(weights, 3)
    counts = np.zeros(len(weights))
    for seed in range(4000):
        counts[
            balanced_subset(None, blank_images(8), 3, seed=seed, method="density", weights=weights)
        ] += 1
    frequencies = counts / 4000
    standard_error = np.sqrt(expected * (1 - expected) / 4000) + 1e-9
    assert (np.abs(frequencies - expected) <= 4 * standard_error + 1e-12).all(), (
        frequencies,
        expected,
    )


def test_subset_is_distinct_sorted_in_range_and_of_the_right_size(two_clusters):
    codes, _ = two_clusters
    weights = weights_from_codes(codes)
    for size in (1, 700, len(codes)):
        chosen = balanced_subset(
            None, blank_images(len(codes)), size, method="density", weights=weights
        )
        assert chosen.dtype == np.int64 and chosen.shape == (size,)
        assert (np.diff(chosen) > 0).all()  # sorted and distinct
        assert chosen[0] >= 0 and chosen[-1] < len(codes)


def test_subset_is_reproducible_by_seed(two_clusters):
    codes, _ = two_clusters
    model = FakeModel(codes)
    x = blank_images(len(codes))
    for method in ("clusters", "density"):
        first = balanced_subset(model, x, 500, seed=3, method=method)
        np.testing.assert_array_equal(first, balanced_subset(model, x, 500, seed=3, method=method))
        assert not np.array_equal(first, balanced_subset(model, x, 500, seed=4, method=method))


def test_subset_evens_out_two_clusters(two_clusters):
    # The rare cluster is 1/11 of the input. Flattening the density makes the subset
    # uniform over the space the codes occupy, and the common cluster's 10 times larger
    # sample reaches further into its tails, so it keeps more than half: over eight
    # seeds the rare share was 0.33 to 0.35 (1/11 = 0.09 at random, 0.5 if exactly even).
    codes, cluster = two_clusters
    chosen = balanced_subset(
        FakeModel(codes), blank_images(len(codes)), 1000, seed=0, method="density"
    )
    rare_share = np.mean(cluster[chosen] == 1)
    assert 0.28 < rare_share <= 0.5


def test_subset_evens_out_five_clusters(five_clusters):
    # Input shares 0.31 (common) and 0.031 (rare); even would be 0.2 each. Measured:
    # 0.21 to 0.26 for the common clusters and 0.12 to 0.17 for the rare ones.
    codes, cluster = five_clusters
    chosen = balanced_subset(
        FakeModel(codes), blank_images(len(codes)), 1000, seed=0, method="density"
    )
    shares = np.bincount(cluster[chosen], minlength=5) / 1000
    assert (shares[[1, 3]] > 0.10).all() and (shares[[0, 2, 4]] < 0.28).all(), shares
    assert shares.max() / shares.min() < 2.5  # from 10 in the input


def test_subset_with_precomputed_weights_needs_no_model(two_clusters):
    codes, _ = two_clusters
    x = blank_images(len(codes))
    weights = density_weights(FakeModel(codes), x)
    np.testing.assert_array_equal(
        balanced_subset(None, x, 300, seed=1, method="density", weights=weights),
        balanced_subset(FakeModel(codes), x, 300, seed=1, method="density"),
    )


@pytest.mark.parametrize(
    "x, message",
    [
        (np.zeros((30, 28, 28), np.float32), "channel axis"),
        (np.zeros((30, 784), np.float32), "Reshape"),
        (np.zeros((30, 28, 28, 1), np.uint8), "divide by 255"),
        (np.full((30, 28, 28, 1), 255.0, np.float32), "divide by 255"),
    ],
)
def test_bad_images_are_refused(x, message):
    model = FakeModel(np.random.default_rng(0).standard_normal((30, 2)))
    with pytest.raises(ValueError, match=message):
        density_weights(model, x)
    with pytest.raises(ValueError, match=message):
        balanced_subset(model, x, 5)


@pytest.mark.parametrize("size", [0, 31, -1, 2.5, "3", True, None])
def test_bad_size_is_refused(size):
    model = FakeModel(np.random.default_rng(0).standard_normal((30, 2)))
    with pytest.raises(ValueError, match=r"size.*Received: size="):
        balanced_subset(model, blank_images(30), size)


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.r_[np.ones(29), np.nan], "finite"),
        (np.r_[np.ones(29), np.inf], "finite"),
        (np.r_[np.ones(29), -1.0], ">= 0"),
        (np.ones(29), r"weights.shape=\(29,\)"),
        (np.ones((30, 1)), r"weights.shape=\(30, 1\)"),
        (np.r_[np.ones(3), np.zeros(27)], "positive weights"),
    ],
)
def test_bad_weights_are_refused(weights, message):
    with pytest.raises(ValueError, match=message):
        balanced_subset(None, blank_images(30), 5, method="density", weights=weights)


def test_no_weight_underflows_to_zero():
    # With a huge exponent the weights span far more than float64 can hold; none becomes 0,
    # so a subset of every example can still be drawn.
    codes = np.random.default_rng(6).standard_normal((200, 2))
    weights = weights_from_codes(codes, dimension=2000.0)
    assert (weights > 0).all() and np.isfinite(weights).all()
    assert weights.max() / weights.min() > 1e250
    assert (
        len(balanced_subset(None, blank_images(200), 200, method="density", weights=weights)) == 200
    )


def _quotas_by_hand(sizes, size):
    """Water filling one place at a time: to the largest open cluster of the smallest quota."""
    quotas = np.zeros(len(sizes), dtype=int)
    for _ in range(size):
        open_ = np.flatnonzero(quotas < sizes)
        lowest = open_[quotas[open_] == quotas[open_].min()]
        quotas[lowest[np.argmax(sizes[lowest])]] += 1
    return quotas


@pytest.mark.parametrize(
    "sizes, size",
    [
        ([100, 5, 100], 45),
        ([3, 3, 3], 9),
        ([10, 1, 0, 7], 10),
        ([50], 7),
        ([4, 9, 2, 30, 30, 1], 41),
    ],
)
def test_cluster_quotas_are_water_filling(sizes, size):
    sizes = np.array(sizes)
    quotas = cluster_quotas(sizes, size)
    assert quotas.sum() == size and (quotas <= sizes).all() and (quotas >= 0).all()
    np.testing.assert_array_equal(np.sort(quotas), np.sort(_quotas_by_hand(sizes, size)))
    # Even: no two open clusters' quotas differ by more than 1.
    open_quotas = quotas[quotas < sizes]
    assert open_quotas.size == 0 or open_quotas.max() - quotas[sizes > quotas.max() - 1].min() <= 1


def test_default_subset_balances_kinds_exactly(five_clusters):
    # With the default method and five clusters, every cluster gets 1000 / 5 places,
    # where flattening the density gave the rare ones 0.12 to 0.17 (test above).
    codes, cluster = five_clusters
    model = FakeModel(codes)
    chosen = balanced_subset(model, blank_images(len(codes)), 1000, seed=0, num_clusters=5)
    np.testing.assert_array_equal(np.bincount(cluster[chosen], minlength=5), [200] * 5)
    assert (np.diff(chosen) > 0).all() and model.calls[0]["n"] == len(codes)


def test_cluster_subset_gives_a_small_cluster_all_it_has(two_clusters):
    codes, cluster = two_clusters
    chosen = balanced_subset(None, blank_images(len(codes)), 1500, seed=2, clusters=cluster)
    np.testing.assert_array_equal(np.bincount(cluster[chosen]), [1000, 500])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "kmeans"}, "method='kmeans'"),
        ({"weights": np.ones(30)}, 'method="density"'),
        ({"method": "density", "clusters": np.zeros(30, int)}, 'method="clusters"'),
        ({"clusters": np.zeros(29, int)}, r"clusters.shape=\(29,\)"),
        ({"clusters": np.zeros(30)}, "dtype=float64"),
        ({"clusters": np.full(30, -1)}, "integer >= 0"),
        ({"num_clusters": 0}, "num_clusters=0"),
        ({"num_clusters": 31}, "num_clusters=31"),
    ],
)
def test_bad_subset_arguments_are_refused(kwargs, message):
    model = FakeModel(np.random.default_rng(0).standard_normal((30, 2)))
    with pytest.raises(ValueError, match=message):
        balanced_subset(model, blank_images(30), 5, **kwargs)


@pytest.mark.parametrize(
    "sizes, size, message",
    [
        (np.array([3, 4]), 8, "size=8"),
        (np.array([3, 4]), 0, "size=0"),
        (np.array([3.0, 4.0]), 2, "integers"),
        (np.array([3, -1]), 1, "integers >= 0"),
        (np.array([], dtype=int), 1, "non-empty"),
    ],
)
def test_bad_quotas_are_refused(sizes, size, message):
    with pytest.raises(ValueError, match=message):
        cluster_quotas(sizes, size)


def test_default_number_of_clusters_follows_the_rule(two_clusters):
    # With num_clusters=None the codes are clustered into number_of_clusters(N) clusters,
    # the same subset as passing those clusters explicitly (a fixed K = 30 would differ).
    codes, _ = two_clusters
    x = blank_images(len(codes))
    expected_clusters = cluster_codes(codes, number_of_clusters(len(codes)), seed=2)
    np.testing.assert_array_equal(
        balanced_subset(FakeModel(codes), x, 400, seed=2),
        balanced_subset(None, x, 400, seed=2, clusters=expected_clusters),
    )
