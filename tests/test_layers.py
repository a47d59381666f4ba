"""Tests for aelib.layers.Sampling: the reparameterization trick."""

import keras
import numpy as np
import pytest
from keras import ops

from aelib.layers import Sampling

pytestmark = pytest.mark.keras


def draw(layer, z_mean, z_log_var):
    return ops.convert_to_numpy(layer([z_mean, z_log_var]))


def test_sampling_output_shape():
    z = draw(Sampling(seed=0), np.zeros((4, 3), "float32"), np.zeros((4, 3), "float32"))
    assert z.shape == (4, 3)
    # Also in a functional model, where the batch size is unknown.
    z_mean, z_log_var = keras.Input((3,)), keras.Input((3,))
    assert tuple(Sampling(seed=0)([z_mean, z_log_var]).shape) == (None, 3)


def test_sampling_with_tiny_variance_returns_the_mean():
    z_mean = np.random.default_rng(1).normal(scale=3.0, size=(4, 3)).astype("float32")
    z_log_var = np.full((4, 3), -40.0, "float32")  # standard deviation exp(-20) ~ 2e-9
    np.testing.assert_allclose(draw(Sampling(seed=0), z_mean, z_log_var), z_mean, atol=1e-6)


def test_sampling_has_the_requested_mean_and_variance():
    samples = 20_000
    mean = np.array([1.5, -2.0, 0.0], "float32")
    variance = np.array([0.25, 4.0, 1.0], "float32")
    z_mean = np.tile(mean, (samples, 1))
    z_log_var = np.tile(np.log(variance), (samples, 1))
    z = draw(Sampling(seed=3), z_mean, z_log_var).astype("float64")
    # Five standard errors: sd / sqrt(N) for the mean, var * sqrt(2 / (N - 1)) for the variance.
    np.testing.assert_array_less(np.abs(z.mean(axis=0) - mean), 5 * np.sqrt(variance / samples))
    np.testing.assert_array_less(
        np.abs(z.var(axis=0, ddof=1) - variance), 5 * variance * np.sqrt(2 / (samples - 1))
    )
    # The draws of different dimensions are independent.
    assert abs(np.corrcoef(z[:, 0], z[:, 1])[0, 1]) < 5 / np.sqrt(samples)


def test_sampling_is_reproducible_with_a_seed():
    z_mean, z_log_var = np.zeros((4, 3), "float32"), np.zeros((4, 3), "float32")
    first, second = Sampling(seed=42), Sampling(seed=42)
    a1, a2 = draw(first, z_mean, z_log_var), draw(first, z_mean, z_log_var)
    b1, b2 = draw(second, z_mean, z_log_var), draw(second, z_mean, z_log_var)
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.allclose(a1, a2)  # each call draws afresh
    assert not np.allclose(a1, draw(Sampling(seed=43), z_mean, z_log_var))


def test_sampling_config_round_trip():
    layer = Sampling(seed=7, name="sampler")
    config = layer.get_config()
    assert config["seed"] == 7
    clone = Sampling.from_config(config)
    assert clone.name == "sampler" and clone.seed == 7
    z_mean, z_log_var = np.ones((4, 3), "float32"), np.zeros((4, 3), "float32")
    np.testing.assert_array_equal(draw(layer, z_mean, z_log_var), draw(clone, z_mean, z_log_var))
    assert keras.saving.get_registered_name(Sampling) == "aelib>Sampling"
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(restored, Sampling) and restored.seed == 7


def test_sampling_rejects_a_single_tensor():
    with pytest.raises(ValueError, match=r"\[z_mean, z_log_var\]"):
        Sampling(seed=0)(np.zeros((2, 3), "float32"))


def gradients(function, z_mean, z_log_var):
    """d sum(function(z_mean, z_log_var)) / d(z_mean, z_log_var) on the current backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        z_mean, z_log_var = tf.constant(z_mean), tf.constant(z_log_var)
        with tf.GradientTape() as tape:
            tape.watch([z_mean, z_log_var])
            total = tf.reduce_sum(function(z_mean, z_log_var))
        return [g.numpy() for g in tape.gradient(total, [z_mean, z_log_var])]
    if backend == "jax":
        import jax

        grad = jax.grad(lambda m, v: function(m, v).sum(), argnums=(0, 1))(z_mean, z_log_var)
        return [np.asarray(g) for g in grad]
    if backend == "torch":
        import torch

        z_mean = torch.tensor(z_mean, requires_grad=True)
        z_log_var = torch.tensor(z_log_var, requires_grad=True)
        function(z_mean, z_log_var).sum().backward()
        return [z_mean.grad.numpy(), z_log_var.grad.numpy()]
    pytest.skip(f"No gradient check for the {backend} backend.")


def test_gradients_flow_to_mean_and_log_variance():
    rng = np.random.default_rng(4)
    z_mean = rng.normal(size=(4, 3)).astype("float32")
    z_log_var = rng.normal(size=(4, 3)).astype("float32")
    # The same seed gives the same eps, recovered from a forward pass.
    z = draw(Sampling(seed=5), z_mean, z_log_var)
    epsilon = (z - z_mean) / np.exp(0.5 * z_log_var)
    layer = Sampling(seed=5)
    grad_mean, grad_log_var = gradients(lambda m, v: layer([m, v]), z_mean, z_log_var)
    # z = mean + exp(log_var / 2) * eps: dz/dmean = 1, dz/dlog_var = exp(log_var / 2) * eps / 2.
    np.testing.assert_allclose(grad_mean, np.ones_like(z_mean), rtol=1e-6)
    expected_log_var = 0.5 * np.exp(0.5 * z_log_var) * epsilon
    np.testing.assert_allclose(grad_log_var, expected_log_var, rtol=1e-4, atol=1e-6)
    assert np.all(np.abs(grad_log_var) > 0)
