"""Tests for aelib.metrics: each number against an independent computation."""

import types

import keras
import numpy as np
import pytest
from conftest import blob_images

from aelib.information import kl_decomposition
from aelib.metrics import (
    balanced_accuracy,
    importance_sampled_nll,
    latent_mmd,
    negative_elbo,
    per_class_recall,
    reconstruction_accuracy,
    reconstruction_error,
    retrieval_rate,
)
from aelib.models import VAE, Autoencoder

pytestmark = pytest.mark.keras


@pytest.fixture(scope="module")
def images():
    return blob_images(300, seed=1)


@pytest.fixture(scope="module")
def vae_1d(images):
    # A one-dimensional latent space, so that log p(x) can be integrated on a grid.
    keras.utils.set_random_seed(0)
    vae = VAE(latent_dim=1, seed=0)
    vae.fit(images, epochs=5, batch_size=30, verbose=0)
    return vae


def _numpy_bernoulli_nll(x, p):
    p = np.clip(p.astype(np.float64), 1e-12, 1 - 1e-12)
    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2, 3))


def test_reconstruction_error_against_numpy(images):
    model = Autoencoder(latent_dim=2)
    model.fit(images, epochs=2, batch_size=30, verbose=0)
    expected = np.mean(_numpy_bernoulli_nll(images, model.reconstruct(images)))
    assert reconstruction_error(model, images) == pytest.approx(expected, rel=1e-4)


def test_log_likelihood_against_quadrature(vae_1d, images):
    # p(x) = integral of p(x|z) N(z; 0, 1) dz, on a fine grid over [-8, 8].
    x = images[:6]
    z = np.linspace(-8, 8, 4001, dtype=np.float32)[:, None]
    probabilities = vae_1d.decode(z)  # (G, 28, 28, 1)
    exact = []
    for image in x:
        log_joint = -_numpy_bernoulli_nll(image[None], probabilities) - 0.5 * (
            z[:, 0] ** 2 + np.log(2 * np.pi)
        )
        peak = log_joint.max()
        exact.append(-(peak + np.log(np.sum(np.exp(log_joint - peak)) * (z[1, 0] - z[0, 0]))))
    exact = np.mean(exact)
    estimate = importance_sampled_nll(vae_1d, x, num_draws=2000, seed=0)
    elbo = negative_elbo(vae_1d, x, seed=0)
    assert estimate == pytest.approx(exact, abs=0.5)
    # The ELBO is a bound: above -log p(x), by the posterior's mismatch.
    assert np.mean([negative_elbo(vae_1d, x, seed=s) for s in range(20)]) > exact - 0.5
    assert np.isfinite(elbo)


def test_negative_elbo_matches_the_training_loss(vae_1d, images):
    # evaluate() reports the same quantity with the Sampling layer's own draws.
    loss = vae_1d.evaluate(images, verbose=0, return_dict=True)["loss"]
    estimates = [negative_elbo(vae_1d, images, seed=s) for s in range(5)]
    assert np.mean(estimates) == pytest.approx(loss, rel=0.01)


def test_importance_sampling_with_one_sample_is_an_elbo(vae_1d, images):
    # K = 1: log w = log p(x|z) + log p(z) - log q(z|x), whose mean is the ELBO.
    one = np.mean([importance_sampled_nll(vae_1d, images, num_draws=1, seed=s) for s in range(10)])
    elbo = np.mean([negative_elbo(vae_1d, images, seed=s) for s in range(10)])
    assert one == pytest.approx(elbo, rel=0.01)
    assert importance_sampled_nll(vae_1d, images, num_draws=200) < one


def test_latent_mmd_sees_the_prior():
    rng = np.random.default_rng(0)

    def fake(shift):
        # Any object with `encode` will do: codes are prior draws, shifted or not.
        return types.SimpleNamespace(
            encode=lambda x, draw=False, seed=None: rng.standard_normal((len(x), 4)) + shift
        )

    x = np.zeros((800, 28, 28, 1), np.float32)
    matched, shifted = latent_mmd(fake(0.0), x), latent_mmd(fake(1.0), x)
    assert abs(matched) < 0.01 and shifted > 0.3
    assert latent_mmd(fake(0.0), x, kernel="rbf") < 0.01 < latent_mmd(fake(1.0), x, kernel="rbf")


def test_latent_mmd_uses_a_reproducible_subset(images):
    model = Autoencoder(latent_dim=3)
    first = latent_mmd(model, images, max_images=100, seed=4)
    assert first == latent_mmd(model, images, max_images=100, seed=4)


def test_metrics_refuse_bad_images(vae_1d, images):
    with pytest.raises(ValueError, match="divide by 255"):
        negative_elbo(vae_1d, images * 255)
    with pytest.raises(ValueError, match="Expected `num_draws` to be a positive integer"):
        importance_sampled_nll(vae_1d, images, num_draws=0)


def _given_posteriors(z_mean, z_log_var):
    """A stand-in for a VAE whose encoder returns these posteriors, and images to pass with it."""
    model = types.SimpleNamespace(posterior=lambda x, batch_size=1000: (z_mean, z_log_var))
    return model, np.zeros((len(z_mean), 28, 28, 1), np.float32)


def test_kl_decomposition_of_posteriors_equal_to_the_prior_is_zero():
    model, x = _given_posteriors(np.zeros((500, 3)), np.zeros((500, 3)))
    parts = kl_decomposition(model, x)
    assert parts["kl"] == 0.0
    assert abs(parts["mutual_information"]) < 1e-9 and abs(parts["marginal_kl"]) < 1e-9


def test_kl_decomposition_against_gaussian_closed_forms():
    # Means spread as N(0, s^2) per dimension and a fixed variance v: Q_Z is then
    # N(0, s^2 + v), and per dimension I = log(1 + s^2 / v) / 2 and
    # KL(Q_Z || P_Z) = (s^2 + v - 1 - log(s^2 + v)) / 2.
    rng = np.random.default_rng(0)
    spread, variance = np.array([1.0, 0.25]), 0.25
    z_mean = rng.normal(size=(4000, 2)) * np.sqrt(spread)
    parts = kl_decomposition(
        *_given_posteriors(z_mean, np.full((4000, 2), np.log(variance))), num_draws=4, seed=1
    )
    information = np.sum(0.5 * np.log(1 + spread / variance))
    marginal = np.sum(0.5 * (spread + variance - 1 - np.log(spread + variance)))
    assert parts["mutual_information"] == pytest.approx(information, abs=0.03)
    assert parts["marginal_kl"] == pytest.approx(marginal, abs=0.03)
    assert parts["kl"] == pytest.approx(
        parts["mutual_information"] + parts["marginal_kl"], abs=1e-12
    )
    assert parts["standard_error"] < 0.01


def test_kl_decomposition_information_is_at_most_log_n():
    # Posteriors far narrower than their spacing: the code names the image, I = log N,
    # and the rest of the KL term is the mismatch of N spikes with the prior.
    rng = np.random.default_rng(0)
    z_mean = rng.normal(size=(300, 2))
    parts = kl_decomposition(*_given_posteriors(z_mean, np.full((300, 2), -20.0)))
    assert parts["mutual_information"] == pytest.approx(np.log(300), abs=0.02)
    # Fewer images, a larger marginal KL: the finite-N estimate overstates it.
    fewer = kl_decomposition(*_given_posteriors(z_mean[:30], np.full((30, 2), -20.0)))
    assert fewer["mutual_information"] == pytest.approx(np.log(30), abs=0.02)
    assert fewer["marginal_kl"] > parts["marginal_kl"] + 1.0


def test_kl_decomposition_of_a_trained_vae_against_quadrature(vae_1d, images):
    # In one dimension KL(Q_Z || P_Z) = integral of q log(q / p) can be summed on a grid.
    z_mean, z_log_var = vae_1d.posterior(images)
    z_mean, std = z_mean[:, 0].astype(np.float64), np.exp(0.5 * z_log_var[:, 0].astype(np.float64))
    grid = np.linspace(-8, 8, 8001)
    densities = np.exp(-0.5 * ((grid[:, None] - z_mean) / std) ** 2) / (
        std * np.sqrt(2 * np.pi)
    )  # (G, N)
    aggregate, prior = densities.mean(axis=1), np.exp(-0.5 * grid**2) / np.sqrt(2 * np.pi)
    exact = np.sum(aggregate * np.log(aggregate / prior)) * (grid[1] - grid[0])
    parts = kl_decomposition(vae_1d, images, num_draws=50, seed=0)
    assert parts["marginal_kl"] == pytest.approx(exact, abs=4 * parts["standard_error"] + 0.01)
    assert parts["kl"] == pytest.approx(
        float(np.mean(0.5 * (z_mean**2 + std**2 - 1 - 2 * np.log(std)))), rel=1e-4
    )
    assert 0 <= parts["mutual_information"] <= np.log(len(images))


def test_kl_decomposition_refuses_bad_arguments(vae_1d, images):
    with pytest.raises(ValueError, match="Expected `num_draws` to be a positive integer"):
        kl_decomposition(vae_1d, images, num_draws=0)
    with pytest.raises(ValueError, match="divide by 255"):
        kl_decomposition(vae_1d, images * 255)


def _pixel_model(reconstruct):
    """A stand-in model whose code is the image itself and whose decoder applies `reconstruct`."""
    return types.SimpleNamespace(
        encode=lambda x, draw=False, seed=None: np.asarray(x).reshape(len(x), -1),
        decode=lambda z: reconstruct(np.asarray(z).reshape(-1, 28, 28, 1)),
    )


def test_retrieval_rate_finds_exact_reconstructions_and_misses_swapped_ones():
    x = blob_images(60, seed=2)
    assert retrieval_rate(_pixel_model(lambda images: images), x, pool_size=20) == 1.0

    # Each reconstruction is its neighbour's image (within each pool of 20): nothing is retrieved.
    def swapped(images):
        return np.concatenate(
            [np.roll(pool, 1, axis=0) for pool in np.split(images, len(images) // 20)]
        )

    assert retrieval_rate(_pixel_model(swapped), x, pool_size=20) == 0.0
    # The same with one pool of all 60 images.
    assert retrieval_rate(_pixel_model(lambda images: np.roll(images, 1, axis=0)), x) == 0.0


def test_retrieval_rate_draws_from_the_posterior():
    # A VAE-like stand-in: with draw=True its code is another image's, so nothing is retrieved.
    x = blob_images(40, seed=3)
    model = types.SimpleNamespace(
        encode=lambda x, draw=False, seed=None: (np.roll(x, 1, axis=0) if draw else x).reshape(
            len(x), -1
        ),
        decode=lambda z: np.asarray(z).reshape(-1, 28, 28, 1),
    )
    assert retrieval_rate(model, x) == 0.0


def test_retrieval_rate_refuses_bad_pools():
    x = blob_images(10, seed=4)
    with pytest.raises(ValueError, match="pool_size"):
        retrieval_rate(_pixel_model(lambda images: images), x, pool_size=11)
    with pytest.raises(ValueError, match="pool_size"):
        retrieval_rate(_pixel_model(lambda images: images), x, pool_size=1)


def test_reconstruction_accuracy_against_the_classifier():
    from aelib.classifier import load_classifier

    data_like = blob_images(50, seed=5)
    predicted = np.argmax(np.asarray(load_classifier()(data_like, training=False)), axis=1)
    identity = _pixel_model(lambda images: images)
    assert reconstruction_accuracy(identity, data_like, predicted) == 1.0
    assert reconstruction_accuracy(identity, data_like, (predicted + 1) % 10) == 0.0
    # Every reconstruction the same image: right exactly for the labels of that image's class.
    constant = _pixel_model(
        lambda images: np.repeat(images[:1] * 0 + data_like[:1], len(images), axis=0)
    )
    labels = np.arange(50) % 10
    assert reconstruction_accuracy(constant, data_like, labels) == pytest.approx(
        np.mean(labels == predicted[0])
    )
    with pytest.raises(ValueError, match="labels"):
        reconstruction_accuracy(identity, data_like, predicted[:-1])


# -- the scores of a classifier, class by class ------------------------------------


def test_recall_and_balanced_accuracy_against_a_loop():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 4, size=500)
    predictions = np.where(rng.random(500) < 0.7, labels, rng.integers(0, 4, size=500))
    recall = per_class_recall(labels, predictions, num_classes=5)
    for c in range(4):
        mine = labels == c
        assert recall[c] == pytest.approx(np.mean(predictions[mine] == c))
    assert np.isnan(recall[4])  # no example of class 4
    assert balanced_accuracy(labels, predictions) == pytest.approx(np.mean(recall[:4]))
    # On equal classes, the balanced accuracy is the accuracy.
    even = np.repeat(np.arange(4), 25)
    guess = np.roll(even, 7)
    assert balanced_accuracy(even, guess) == pytest.approx(np.mean(even == guess))
    assert balanced_accuracy(np.array([0, 0, 0, 1]), np.array([0, 0, 0, 0])) == 0.5


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
        per_class_recall(labels, predictions)
