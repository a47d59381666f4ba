"""Tests for aelib.density on codes whose density is known: Gaussian clusters of chosen weights."""

import numpy as np
import pytest
from conftest import (
    SEPARATION,
    FakeModel,
    GeneratingModel,
    _two_cluster_draw,
    blank_images,
)

from aelib.density import (
    density_weights,
    generated_weights,
    weights_from_codes,
    weights_from_distances,
)
from aelib.neighbours import neighbour_distances


def test_rare_cluster_weighs_the_true_ratio_more(two_clusters):
    # Two clusters of one shape, 10:1. The inverse density of the rare one is 10 times
    # that of the common one at corresponding points, so the geometric means of the
    # weights differ by 10 (the arithmetic means depend on how far each sample reaches
    # into its tails, so they are not compared). The k-NN estimate of a log-density has
    # a spread of about 1/sqrt(k) per code, which averages out over 500 codes; what
    # remains is the smoothing bias of a ball that holds 55 of the rare cluster's 500
    # codes, measured at 9 to 10 over eight seeds. The band [7, 13] allows for that bias.
    codes, cluster = two_clusters
    weights = density_weights(FakeModel(codes), blank_images(len(codes)))
    log_weights = np.log(weights)
    ratio = np.exp(log_weights[cluster == 1].mean() - log_weights[cluster == 0].mean())
    assert 7.0 < ratio < 13.0
    assert weights.shape == (len(codes),)
    assert np.isfinite(weights).all() and (weights > 0).all()
    np.testing.assert_allclose(weights.mean(), 1.0)


def test_five_clusters_rare_ones_weigh_more(five_clusters):
    codes, cluster = five_clusters
    weights = weights_from_codes(codes)
    geometric = np.array([np.exp(np.log(weights[cluster == c]).mean()) for c in range(5)])
    common, rare = geometric[[0, 2, 4]], geometric[[1, 3]]
    # Each rare cluster against each common one: about 10 (9 to 13 measured over seeds).
    ratios = rare[:, None] / common[None, :]
    assert (ratios > 6.0).all() and (ratios < 16.0).all(), ratios


def test_weights_follow_the_known_density_within_one_cluster():
    # One Gaussian: the density falls as exp(-|z|^2 / 2), so log weight grows like |z|^2 / 2.
    codes = np.random.default_rng(1).standard_normal((4000, 2))
    weights = weights_from_codes(codes, neighbours=20, dimension=2)
    slope = np.polyfit(np.sum(codes**2, axis=1) / 2, np.log(weights), 1)[0]
    assert 0.8 < slope < 1.2


def test_exponent_tempers_and_zero_gives_uniform_weights(two_clusters):
    codes, cluster = two_clusters
    full = weights_from_codes(codes, neighbours=50)
    half = weights_from_codes(codes, neighbours=50, exponent=0.5)
    np.testing.assert_allclose(weights_from_codes(codes, exponent=0), 1.0)
    # Halving the exponent takes the square root of every weight ratio.
    np.testing.assert_allclose(
        np.log(half) - np.log(half).mean(), (np.log(full) - np.log(full).mean()) / 2, atol=1e-9
    )


def test_density_weights_passes_draw_and_seed_to_encode(two_clusters):
    codes, _ = two_clusters
    noisy = codes + 0.1
    model = FakeModel(codes, noisy_codes=noisy)
    weights = density_weights(model, blank_images(len(codes)), draw=True, seed=7)
    assert model.calls == [{"n": len(codes), "draw": True, "seed": 7}]
    np.testing.assert_allclose(weights, weights_from_codes(noisy))


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
        density_weights(FakeModel(codes), blank_images(30))


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
        weights_from_codes(codes, **kwargs)


def test_identical_codes_ask_for_a_dimension():
    with pytest.raises(ValueError, match="dimension="):
        weights_from_codes(np.ones((30, 2)))


def test_generated_weights_give_the_true_ratio_from_a_perfect_generator(two_clusters):
    # A generator that draws from the true mixture: the rare cluster's weights are ~10 times larger,
    # already with a small k (measured 9.5 to 9.9 over six seeds with 20,000 draws and k = 20).
    codes, cluster = two_clusters
    model = GeneratingModel(codes, _two_cluster_draw)
    weights = generated_weights(
        model, blank_images(len(codes)), num_generated=20000, neighbours=20, seed=3
    )
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
        return rng.standard_normal((n, 2)) + np.where(
            rng.random(n)[:, None] < 0.5, [0.0, SEPARATION], [SEPARATION, 0.0]
        )

    weights = generated_weights(
        GeneratingModel(codes, even_draw), blank_images(len(codes)), neighbours=20
    )
    log_weights = np.log(weights)
    ratio = np.exp(log_weights[cluster == 1].mean() - log_weights[cluster == 0].mean())
    assert 0.7 < ratio < 1.4, ratio


def test_weights_from_distances_match_weights_from_codes(two_clusters):
    codes, _ = two_clusters
    distances = neighbour_distances(codes, 80)
    for k in (20, 80):
        np.testing.assert_allclose(
            weights_from_distances(distances[:, :k], neighbours=k),
            weights_from_codes(codes, neighbours=k),
            rtol=1e-3,
        )
    # Reading column k - 1 of a wider array: the same r_k, and one dimension estimate
    # (from the first 20 columns).
    np.testing.assert_allclose(
        weights_from_distances(distances, neighbours=10, dimension=2.0),
        weights_from_distances(distances[:, :10], dimension=2.0),
    )
    wide, narrow = (
        np.log(weights_from_distances(distances, neighbours=50)),
        np.log(distances[:, 49]),
    )
    assert np.corrcoef(wide, narrow)[0, 1] > 0.999999
    with pytest.raises(ValueError, match="neighbours=81"):
        weights_from_distances(distances, neighbours=81)


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
        generated_weights(model, blank_images(30), **kwargs)


def test_bad_distances_and_references_are_refused():
    with pytest.raises(ValueError, match=r"distances.shape=\(5, 1\)"):
        weights_from_distances(np.ones((5, 1)))
    with pytest.raises(ValueError, match="positive"):
        weights_from_distances(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"reference.shape=\(10, 3\)"):
        neighbour_distances(np.zeros((5, 2)), 2, reference=np.zeros((10, 3)))
