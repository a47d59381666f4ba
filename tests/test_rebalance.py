"""Tests for aelib.rebalance on codes whose density is known: Gaussian clusters with chosen weights.

A fake model stands in for a trained one: its `encode` returns prepared codes, so
nothing is trained and every test runs in a second or two.
"""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from aelib import rebalance

SEPARATION = 20.0  # cluster centres this many standard deviations apart: no code sits between two clusters


class FakeModel:
    """Returns the given codes from `encode`, and records how it was called."""

    def __init__(self, codes, noisy_codes=None):
        self.codes = np.asarray(codes)
        self.noisy_codes = noisy_codes
        self.calls = []

    def encode(self, x, sample=False, seed=None):
        self.calls.append({"n": len(x), "sample": sample, "seed": seed})
        return self.noisy_codes if sample else self.codes


def clusters(counts, dim, seed=0):
    """Unit Gaussian clusters of the given sizes, centred on far-apart axes; returns codes and cluster ids."""
    rng = np.random.default_rng(seed)
    centres = np.zeros((len(counts), dim))
    for i in range(len(counts)):
        centres[i, i % dim] = SEPARATION * (1 + i // dim)
    codes = np.concatenate([c + rng.standard_normal((n, dim)) for c, n in zip(centres, counts)])
    return codes, np.repeat(np.arange(len(counts)), counts)


def images(n):
    return np.zeros((n, 28, 28, 1), dtype=np.float32)


@pytest.fixture(scope="module")
def two_clusters():
    return clusters((5000, 500), dim=2)


@pytest.fixture(scope="module")
def five_clusters():
    return clusters((2000, 200, 2000, 200, 2000), dim=3)


# -- the density weights ---------------------------------------------------------


def test_rare_cluster_weighs_the_true_ratio_more(two_clusters):
    # Two clusters of one shape, 10:1. The inverse density of the rare one is 10 times
    # that of the common one at corresponding points, so the geometric means of the
    # weights differ by 10 (the arithmetic means depend on how far each sample reaches
    # into its tails, so they are not compared). The k-NN estimate of a log-density has
    # a spread of about 1/sqrt(k) per code, which averages out over 500 codes; what
    # remains is the smoothing bias of a ball that holds 55 of the rare cluster's 500
    # codes, measured at 9 to 10 over eight seeds. The band [7, 13] allows for that bias.
    codes, cluster = two_clusters
    weights = rebalance.density_weights(FakeModel(codes), images(len(codes)))
    log_weights = np.log(weights)
    ratio = np.exp(log_weights[cluster == 1].mean() - log_weights[cluster == 0].mean())
    assert 7.0 < ratio < 13.0
    assert weights.shape == (len(codes),)
    assert np.isfinite(weights).all() and (weights > 0).all()
    np.testing.assert_allclose(weights.mean(), 1.0)


def test_five_clusters_rare_ones_weigh_more(five_clusters):
    codes, cluster = five_clusters
    weights = rebalance.weights_from_codes(codes)
    geometric = np.array([np.exp(np.log(weights[cluster == c]).mean()) for c in range(5)])
    common, rare = geometric[[0, 2, 4]], geometric[[1, 3]]
    # Each rare cluster against each common one: about 10 (9 to 13 measured over seeds).
    ratios = rare[:, None] / common[None, :]
    assert (ratios > 6.0).all() and (ratios < 16.0).all(), ratios


def test_weights_follow_the_known_density_within_one_cluster():
    # One Gaussian: the density falls as exp(-|z|^2 / 2), so log weight grows like |z|^2 / 2.
    codes = np.random.default_rng(1).standard_normal((4000, 2))
    weights = rebalance.weights_from_codes(codes, neighbours=20, dimension=2)
    slope = np.polyfit(np.sum(codes**2, axis=1) / 2, np.log(weights), 1)[0]
    assert 0.8 < slope < 1.2


def test_exponent_tempers_and_zero_gives_uniform_weights(two_clusters):
    codes, cluster = two_clusters
    full = rebalance.weights_from_codes(codes, neighbours=50)
    half = rebalance.weights_from_codes(codes, neighbours=50, exponent=0.5)
    np.testing.assert_allclose(rebalance.weights_from_codes(codes, exponent=0), 1.0)
    # Halving the exponent takes the square root of every weight ratio.
    np.testing.assert_allclose(np.log(half) - np.log(half).mean(), (np.log(full) - np.log(full).mean()) / 2, atol=1e-9)


def test_density_weights_passes_sample_and_seed_to_encode(two_clusters):
    codes, _ = two_clusters
    noisy = codes + 0.1
    model = FakeModel(codes, noisy_codes=noisy)
    weights = rebalance.density_weights(model, images(len(codes)), sample=True, seed=7)
    assert model.calls == [{"n": len(codes), "sample": True, "seed": 7}]
    np.testing.assert_allclose(weights, rebalance.weights_from_codes(noisy))


# -- the pieces of the estimate, each against a second computation ------------------


def test_neighbour_distances_match_scipy():
    rng = np.random.default_rng(2)
    codes = rng.standard_normal((300, 5)) * 3 + 10  # far from 0, to exercise the centring
    expected = np.sort(cdist(codes, codes) + np.diag(np.full(300, np.inf)), axis=1)[:, :7]
    found = rebalance.neighbour_distances(codes, 7, chunk_size=64)
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-5)


def test_a_duplicate_is_a_neighbour_at_distance_zero_but_a_code_is_not_its_own():
    codes = np.array([[0.0], [0.0], [5.0]])
    np.testing.assert_allclose(rebalance.neighbour_distances(codes, 1)[:, 0], [1e-12, 1e-12, 5.0])


@pytest.mark.parametrize("dim", [2, 5])
def test_intrinsic_dimension_of_a_flat_set_inside_more_dimensions(dim):
    rng = np.random.default_rng(3)
    codes = np.zeros((3000, 16))
    codes[:, :dim] = rng.standard_normal((3000, dim))
    estimate = rebalance.intrinsic_dimension(codes)
    assert abs(estimate - dim) < 0.15 * dim


# -- the inclusion probabilities and the subset -------------------------------------


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
    probabilities = rebalance.inclusion_probabilities(weights, size)
    np.testing.assert_allclose(probabilities, _capped_by_iteration(weights, size), rtol=1e-9)
    np.testing.assert_allclose(probabilities.sum(), size)
    assert (probabilities <= 1.0).all()


def test_inclusion_probabilities_example_and_zero_weights():
    np.testing.assert_allclose(rebalance.inclusion_probabilities(np.array([1.0, 1.0, 1.0, 9.0]), 2), [1 / 3] * 3 + [1])
    np.testing.assert_allclose(rebalance.inclusion_probabilities(np.array([0.0, 2.0, 2.0]), 2), [0, 1, 1])


def test_subset_draws_each_example_with_its_probability():
    # Monte Carlo: over 4000 draws, each example's frequency is within 4 standard errors.
    weights = np.array([0.1, 0.5, 1.0, 1.0, 2.0, 4.0, 8.0, 30.0])
    expected = rebalance.inclusion_probabilities(weights, 3)
    counts = np.zeros(len(weights))
    for seed in range(4000):
        counts[rebalance.balanced_subset(None, images(8), 3, seed=seed, method="density", weights=weights)] += 1
    frequencies = counts / 4000
    standard_error = np.sqrt(expected * (1 - expected) / 4000) + 1e-9
    assert (np.abs(frequencies - expected) <= 4 * standard_error + 1e-12).all(), (frequencies, expected)


def test_subset_is_distinct_sorted_in_range_and_of_the_right_size(two_clusters):
    codes, _ = two_clusters
    weights = rebalance.weights_from_codes(codes)
    for size in (1, 700, len(codes)):
        chosen = rebalance.balanced_subset(None, images(len(codes)), size, method="density", weights=weights)
        assert chosen.dtype == np.int64 and chosen.shape == (size,)
        assert (np.diff(chosen) > 0).all()  # sorted and distinct
        assert chosen[0] >= 0 and chosen[-1] < len(codes)


def test_subset_is_reproducible_by_seed(two_clusters):
    codes, _ = two_clusters
    model = FakeModel(codes)
    x = images(len(codes))
    for method in ("clusters", "density"):
        first = rebalance.balanced_subset(model, x, 500, seed=3, method=method)
        np.testing.assert_array_equal(first, rebalance.balanced_subset(model, x, 500, seed=3, method=method))
        assert not np.array_equal(first, rebalance.balanced_subset(model, x, 500, seed=4, method=method))


def test_subset_evens_out_two_clusters(two_clusters):
    # The rare cluster is 1/11 of the input. Flattening the density makes the subset
    # uniform over the space the codes occupy, and the common cluster's 10 times larger
    # sample reaches further into its tails, so it keeps more than half: over eight
    # seeds the rare share was 0.33 to 0.35 (1/11 = 0.09 at random, 0.5 if exactly even).
    codes, cluster = two_clusters
    chosen = rebalance.balanced_subset(FakeModel(codes), images(len(codes)), 1000, seed=0, method="density")
    rare_share = np.mean(cluster[chosen] == 1)
    assert 0.28 < rare_share <= 0.5


def test_subset_evens_out_five_clusters(five_clusters):
    # Input shares 0.31 (common) and 0.031 (rare); even would be 0.2 each. Measured:
    # 0.21 to 0.26 for the common clusters and 0.12 to 0.17 for the rare ones.
    codes, cluster = five_clusters
    chosen = rebalance.balanced_subset(FakeModel(codes), images(len(codes)), 1000, seed=0, method="density")
    shares = np.bincount(cluster[chosen], minlength=5) / 1000
    assert (shares[[1, 3]] > 0.10).all() and (shares[[0, 2, 4]] < 0.28).all(), shares
    assert shares.max() / shares.min() < 2.5  # from 10 in the input


def test_subset_with_precomputed_weights_needs_no_model(two_clusters):
    codes, _ = two_clusters
    x = images(len(codes))
    weights = rebalance.density_weights(FakeModel(codes), x)
    np.testing.assert_array_equal(
        rebalance.balanced_subset(None, x, 300, seed=1, method="density", weights=weights),
        rebalance.balanced_subset(FakeModel(codes), x, 300, seed=1, method="density"),
    )


# -- the scores --------------------------------------------------------------------


def test_recall_and_balanced_accuracy_against_a_loop():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 4, size=500)
    predictions = np.where(rng.random(500) < 0.7, labels, rng.integers(0, 4, size=500))
    recall = rebalance.per_class_recall(labels, predictions, num_classes=5)
    for c in range(4):
        mine = labels == c
        assert recall[c] == pytest.approx(np.mean(predictions[mine] == c))
    assert np.isnan(recall[4])  # no example of class 4
    assert rebalance.balanced_accuracy(labels, predictions) == pytest.approx(np.mean(recall[:4]))
    # On equal classes, the balanced accuracy is the accuracy.
    even = np.repeat(np.arange(4), 25)
    guess = np.roll(even, 7)
    assert rebalance.balanced_accuracy(even, guess) == pytest.approx(np.mean(even == guess))
    assert rebalance.balanced_accuracy(np.array([0, 0, 0, 1]), np.array([0, 0, 0, 0])) == 0.5


# -- bad input ----------------------------------------------------------------------


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
        rebalance.density_weights(model, x)
    with pytest.raises(ValueError, match=message):
        rebalance.balanced_subset(model, x, 5)


@pytest.mark.parametrize("size", [0, 31, -1, 2.5, "3", True, None])
def test_bad_size_is_refused(size):
    model = FakeModel(np.random.default_rng(0).standard_normal((30, 2)))
    with pytest.raises(ValueError, match=r"size.*Received: size="):
        rebalance.balanced_subset(model, images(30), size)


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
        rebalance.balanced_subset(None, images(30), 5, method="density", weights=weights)


@pytest.mark.parametrize(
    "codes, message",
    [
        (np.zeros((29, 2)), "one code per image"),
        (np.zeros(30), r"codes.shape=\(30,\)"),
        (np.r_[np.zeros((29, 2)), [[np.nan, 0.0]]], "finite codes"),
    ],
)
def test_bad_codes_from_the_model_are_refused(codes, message):
    with pytest.raises(ValueError, match=message):
        rebalance.density_weights(FakeModel(codes), images(30))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"neighbours": 1}, "neighbours=1"),
        ({"neighbours": 30}, "neighbours=30"),
        ({"neighbours": 2.0}, "neighbours=2.0"),
        ({"exponent": -1}, "exponent=-1"),
        ({"exponent": float("nan")}, "exponent=nan"),
        ({"dimension": 0}, "dimension=0"),
        ({"chunk_size": 0}, "chunk_size=0"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    codes = np.random.default_rng(0).standard_normal((30, 2))
    with pytest.raises(ValueError, match=message):
        rebalance.weights_from_codes(codes, **kwargs)


def test_identical_codes_ask_for_a_dimension():
    with pytest.raises(ValueError, match="dimension="):
        rebalance.weights_from_codes(np.ones((30, 2)))


@pytest.mark.parametrize(
    "labels, predictions, message",
    [
        (np.array([0, 1]), np.array([0, 1, 1]), "one prediction per label"),
        (np.array([0.0, 1.0]), np.array([0, 1]), "integer `labels`"),
        (np.array([0, -1]), np.array([0, 1]), ">= 0"),
        (np.array([], dtype=int), np.array([], dtype=int), "non-empty"),
    ],
)
def test_bad_labels_are_refused(labels, predictions, message):
    with pytest.raises(ValueError, match=message):
        rebalance.per_class_recall(labels, predictions)


def test_no_weight_underflows_to_zero():
    # With a huge exponent the weights span far more than float64 can hold; none becomes 0,
    # so a subset of every example can still be drawn.
    codes = np.random.default_rng(6).standard_normal((200, 2))
    weights = rebalance.weights_from_codes(codes, dimension=2000.0)
    assert (weights > 0).all() and np.isfinite(weights).all()
    assert weights.max() / weights.min() > 1e250
    assert len(rebalance.balanced_subset(None, images(200), 200, method="density", weights=weights)) == 200


# -- the generated-data estimator ---------------------------------------------------


class GeneratingModel(FakeModel):
    """A fake model that also generates: `sample` returns images of ones, which `encode` maps to drawn codes."""

    def __init__(self, codes, draw):
        super().__init__(codes)
        self.draw = draw  # draw(n, seed) -> codes of n generated images
        self.sample_calls = []

    def sample(self, n, seed=None):
        self.sample_calls.append({"n": n, "seed": seed})
        self._generated = self.draw(n, seed)
        return np.ones((n, 28, 28, 1), dtype=np.float32)

    def encode(self, x, sample=False, seed=None):
        return self._generated if np.all(x[:1] == 1) else self.codes


def _two_cluster_draw(n, seed):
    """Draws from the mixture of `clusters((5000, 500), dim=2)`: 10/11 at (20, 0), 1/11 at (0, 20)."""
    rng = np.random.default_rng(100 + seed)
    rare = rng.random(n) < 1 / 11
    return rng.standard_normal((n, 2)) + np.where(rare[:, None], [0.0, SEPARATION], [SEPARATION, 0.0])


def test_generated_weights_give_the_true_ratio_from_a_perfect_generator(two_clusters):
    # A generator that draws from the true mixture: the rare cluster's weights are ~10 times larger,
    # already with a small k (measured 9.5 to 9.9 over six seeds with 20,000 draws and k = 20).
    codes, cluster = two_clusters
    model = GeneratingModel(codes, _two_cluster_draw)
    weights = rebalance.generated_weights(model, images(len(codes)), num_generated=20000, neighbours=20, seed=3)
    assert model.sample_calls == [{"n": 20000, "seed": 3}]
    log_weights = np.log(weights)
    ratio = np.exp(log_weights[cluster == 1].mean() - log_weights[cluster == 0].mean())
    assert 8.0 < ratio < 12.5, ratio
    np.testing.assert_allclose(weights.mean(), 1.0)


def test_generated_weights_follow_the_generator_not_the_training_codes(two_clusters):
    # A generator that makes both clusters equally common: it says nothing is rare, so the two
    # clusters' weights are about equal, although the training codes are 10:1.
    codes, cluster = two_clusters

    def even_draw(n, seed):
        rng = np.random.default_rng(seed)
        return rng.standard_normal((n, 2)) + np.where(rng.random(n)[:, None] < 0.5, [0.0, SEPARATION], [SEPARATION, 0.0])

    weights = rebalance.generated_weights(GeneratingModel(codes, even_draw), images(len(codes)), neighbours=20)
    log_weights = np.log(weights)
    ratio = np.exp(log_weights[cluster == 1].mean() - log_weights[cluster == 0].mean())
    assert 0.7 < ratio < 1.4, ratio


def test_neighbour_distances_to_a_reference_match_scipy():
    rng = np.random.default_rng(7)
    codes, reference = rng.standard_normal((120, 4)) + 5, rng.standard_normal((300, 4)) + 5
    expected = np.sort(cdist(codes, reference), axis=1)[:, :9]
    found = rebalance.neighbour_distances(codes, 9, chunk_size=50, reference=reference)
    np.testing.assert_allclose(found, expected, rtol=1e-4, atol=1e-5)
    # A code that is also in the reference is its own neighbour there, at distance 0.
    assert rebalance.neighbour_distances(reference[:3], 1, reference=reference)[:, 0].max() <= 1e-6


def test_weights_from_distances_match_weights_from_codes(two_clusters):
    codes, _ = two_clusters
    distances = rebalance.neighbour_distances(codes, 80)
    for k in (20, 80):
        np.testing.assert_allclose(rebalance.weights_from_distances(distances[:, :k], neighbours=k),
                                   rebalance.weights_from_codes(codes, neighbours=k), rtol=1e-3)
    # Reading column k - 1 of a wider array: the same r_k, and one dimension estimate (from the first 20 columns).
    np.testing.assert_allclose(rebalance.weights_from_distances(distances, neighbours=10, dimension=2.0),
                               rebalance.weights_from_distances(distances[:, :10], dimension=2.0))
    wide, narrow = np.log(rebalance.weights_from_distances(distances, neighbours=50)), np.log(distances[:, 49])
    assert np.corrcoef(wide, narrow)[0, 1] > 0.999999
    with pytest.raises(ValueError, match="neighbours=81"):
        rebalance.weights_from_distances(distances, neighbours=81)


# -- clusters and quotas -----------------------------------------------------------


def test_cluster_codes_recover_separated_clusters(five_clusters):
    codes, cluster = five_clusters
    found = rebalance.cluster_codes(codes, 5, seed=0)
    assert found.dtype == np.int64 and set(found) == set(range(5))
    # Each true cluster is one found cluster, and each found cluster one true cluster.
    pairs = {(a, b) for a, b in zip(cluster, found)}
    assert len(pairs) == 5


def test_cluster_codes_minimises_squared_distance_against_random_labels():
    rng = np.random.default_rng(8)
    codes = rng.standard_normal((600, 3))
    found = rebalance.cluster_codes(codes, 6, seed=1)

    def inertia(labels):
        return sum(np.sum((codes[labels == j] - codes[labels == j].mean(axis=0)) ** 2) for j in np.unique(labels))

    assert len(np.unique(found)) == 6
    # Lloyd's fixed point: no code is nearer another cluster's mean than its own.
    means = np.array([codes[found == j].mean(axis=0) for j in range(6)])
    nearest = np.argmin(cdist(codes, means), axis=1)
    assert np.mean(nearest == found) > 0.99
    assert inertia(found) < 0.6 * inertia(rng.integers(0, 6, size=600))


def _quotas_by_hand(sizes, size):
    """Water filling one place at a time: each place goes to the largest open cluster with the smallest quota."""
    quotas = np.zeros(len(sizes), dtype=int)
    for _ in range(size):
        open_ = np.flatnonzero(quotas < sizes)
        lowest = open_[quotas[open_] == quotas[open_].min()]
        quotas[lowest[np.argmax(sizes[lowest])]] += 1
    return quotas


@pytest.mark.parametrize("sizes, size", [([100, 5, 100], 45), ([3, 3, 3], 9), ([10, 1, 0, 7], 10), ([50], 7),
                                         ([4, 9, 2, 30, 30, 1], 41)])
def test_cluster_quotas_are_water_filling(sizes, size):
    sizes = np.array(sizes)
    quotas = rebalance.cluster_quotas(sizes, size)
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
    chosen = rebalance.balanced_subset(model, images(len(codes)), 1000, seed=0, num_clusters=5)
    np.testing.assert_array_equal(np.bincount(cluster[chosen], minlength=5), [200] * 5)
    assert (np.diff(chosen) > 0).all() and model.calls[0]["n"] == len(codes)


def test_cluster_subset_gives_a_small_cluster_all_it_has(two_clusters):
    codes, cluster = two_clusters
    chosen = rebalance.balanced_subset(None, images(len(codes)), 1500, seed=2, clusters=cluster)
    np.testing.assert_array_equal(np.bincount(cluster[chosen]), [1000, 500])


# -- bad input to the new pieces -----------------------------------------------------


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
        rebalance.balanced_subset(model, images(30), 5, **kwargs)


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
        rebalance.cluster_quotas(sizes, size)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_generated": 2}, "num_generated=2"),
        ({"num_generated": 10.0}, "num_generated=10.0"),
        ({"num_generated": 50, "neighbours": 51}, "neighbours=51"),
    ],
)
def test_bad_generated_arguments_are_refused(kwargs, message):
    model = GeneratingModel(np.random.default_rng(0).standard_normal((30, 2)), _two_cluster_draw)
    with pytest.raises(ValueError, match=message):
        rebalance.generated_weights(model, images(30), **kwargs)


def test_bad_distances_and_references_are_refused():
    with pytest.raises(ValueError, match=r"distances.shape=\(5, 1\)"):
        rebalance.weights_from_distances(np.ones((5, 1)))
    with pytest.raises(ValueError, match="positive"):
        rebalance.weights_from_distances(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"reference.shape=\(10, 3\)"):
        rebalance.neighbour_distances(np.zeros((5, 2)), 2, reference=np.zeros((10, 3)))
