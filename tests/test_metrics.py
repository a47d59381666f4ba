"""Tests for aelib.metrics: each number against an independent computation."""

import types

import keras
import numpy as np
import pytest

from aelib.metrics import importance_sampled_nll, latent_mmd, negative_elbo, reconstruction_error, reconstruction_accuracy, retrieval_rate
from conftest import blob_images

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
        log_joint = -_numpy_bernoulli_nll(image[None], probabilities) - 0.5 * (z[:, 0] ** 2 + np.log(2 * np.pi))
        peak = log_joint.max()
        exact.append(-(peak + np.log(np.sum(np.exp(log_joint - peak)) * (z[1, 0] - z[0, 0]))))
    exact = np.mean(exact)
    estimate = importance_sampled_nll(vae_1d, x, num_samples=2000, seed=0)
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
    one = np.mean([importance_sampled_nll(vae_1d, images, num_samples=1, seed=s) for s in range(10)])
    elbo = np.mean([negative_elbo(vae_1d, images, seed=s) for s in range(10)])
    assert one == pytest.approx(elbo, rel=0.01)
    assert importance_sampled_nll(vae_1d, images, num_samples=200) < one


def test_latent_mmd_sees_the_prior():
    rng = np.random.default_rng(0)

    def fake(shift):
        # Any object with `encode` will do: codes are prior draws, shifted or not.
        return types.SimpleNamespace(encode=lambda x, sample=False, seed=None: rng.standard_normal((len(x), 4)) + shift)

    x = np.zeros((800, 28, 28, 1), np.float32)
    matched, shifted = latent_mmd(fake(0.0), x), latent_mmd(fake(1.0), x)
    assert abs(matched) < 0.01 and shifted > 0.3
    assert latent_mmd(fake(0.0), x, kernel="rbf") < 0.01 < latent_mmd(fake(1.0), x, kernel="rbf")


def test_latent_mmd_uses_a_reproducible_subset(images):
    model = Autoencoder(latent_dim=3)
    first = latent_mmd(model, images, num_samples=100, seed=4)
    assert first == latent_mmd(model, images, num_samples=100, seed=4)


def test_metrics_refuse_bad_images(vae_1d, images):
    with pytest.raises(ValueError, match="divide by 255"):
        negative_elbo(vae_1d, images * 255)
    with pytest.raises(ValueError, match="Expected `num_samples` to be a positive integer"):
        importance_sampled_nll(vae_1d, images, num_samples=0)


def _pixel_model(reconstruct):
    """A stand-in model whose code is the image itself and whose decoder applies `reconstruct`."""
    return types.SimpleNamespace(
        encode=lambda x, sample=False, seed=None: np.asarray(x).reshape(len(x), -1),
        decode=lambda z: reconstruct(np.asarray(z).reshape(-1, 28, 28, 1)),
    )


def test_retrieval_rate_finds_exact_reconstructions_and_misses_swapped_ones():
    x = blob_images(60, seed=2)
    assert retrieval_rate(_pixel_model(lambda images: images), x, pool_size=20) == 1.0
    # Each reconstruction is its neighbour's image (within each pool of 20): nothing is retrieved.
    swapped = lambda images: np.concatenate([np.roll(pool, 1, axis=0) for pool in np.split(images, len(images) // 20)])
    assert retrieval_rate(_pixel_model(swapped), x, pool_size=20) == 0.0
    # The same with one pool of all 60 images.
    assert retrieval_rate(_pixel_model(lambda images: np.roll(images, 1, axis=0)), x) == 0.0


def test_retrieval_rate_draws_from_the_posterior():
    # A VAE-like stand-in: with sample=True its code is another image's, so nothing is retrieved.
    x = blob_images(40, seed=3)
    model = types.SimpleNamespace(
        encode=lambda x, sample=False, seed=None: (np.roll(x, 1, axis=0) if sample else x).reshape(len(x), -1),
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
    constant = _pixel_model(lambda images: np.repeat(images[:1] * 0 + data_like[:1], len(images), axis=0))
    labels = np.arange(50) % 10
    assert reconstruction_accuracy(constant, data_like, labels) == pytest.approx(np.mean(labels == predicted[0]))
    with pytest.raises(ValueError, match="labels"):
        reconstruction_accuracy(identity, data_like, predicted[:-1])
