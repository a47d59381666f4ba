"""A plain TensorFlow training loop for the VAE: the yardstick of aelib's overhead.

What a reader would write without `aelib` and without `Model.fit`: the same
encoder and decoder networks (built by `aelib.models.networks`), the same loss
(`aelib.losses.bernoulli_nll` + `aelib.divergences.gaussian_kl`, with the same
clipping of the log-variance), Adam, and a `tf.GradientTape` step inside a
`tf.function`. The only thing left out is what `aelib` and Keras add around
that step: `compute_loss`, the `Sampling` layer, the loss trackers, callbacks.

TensorFlow only; the harness runs it in its TensorFlow process.
"""

import keras
import tensorflow as tf

from aelib.divergences import gaussian_kl
from aelib.losses import bernoulli_nll
from aelib.models.networks import build_decoder, build_encoder
from aelib.models.vae import LOG_VAR_LIMIT


class PlainVAELoop:
    """Trains a VAE's encoder and decoder with a hand-written loop.

    Args:
        latent_dim: size of the code.
        network: `"mlp"` or `"conv"`, as for `aelib.VAE`.
        learning_rate: Adam's step size.
        jit_compile: passed to `tf.function`; Keras's `fit` leaves XLA off on a
            CPU-only machine, so `False` is the like-for-like comparison there.

    Example:

    >>> loop = PlainVAELoop()
    >>> mean_loss = loop.train_epoch(dataset)  # dataset yields (batch, 28, 28, 1)
    """

    def __init__(self, latent_dim=16, network="mlp", learning_rate=1e-3, jit_compile=False):
        self.encoder = build_encoder(network, latent_dim, heads=("z_mean", "z_log_var"))
        self.decoder = build_decoder(network, latent_dim)
        self.optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
        self.variables = self.encoder.trainable_variables + self.decoder.trainable_variables
        self.optimizer.build(self.variables)
        self.loss_sum = tf.Variable(0.0, trainable=False)
        self.steps = tf.Variable(0, trainable=False, dtype=tf.int64)
        self._step = tf.function(self._train_step, jit_compile=jit_compile)

    def _train_step(self, x):
        with tf.GradientTape() as tape:
            z_mean, z_log_var = self.encoder(x, training=True)  # each (batch, latent_dim)
            z_log_var = tf.clip_by_value(z_log_var, -LOG_VAR_LIMIT, LOG_VAR_LIMIT)
            z = z_mean + tf.exp(0.5 * z_log_var) * tf.random.normal(tf.shape(z_mean))
            logits = self.decoder(z, training=True)  # (batch, 28, 28, 1)
            loss = tf.reduce_mean(bernoulli_nll(x, logits)) + tf.reduce_mean(gaussian_kl(z_mean, z_log_var))
        gradients = tape.gradient(loss, self.variables)
        self.optimizer.apply_gradients(zip(gradients, self.variables))
        self.loss_sum.assign_add(loss)
        self.steps.assign_add(1)

    def train_epoch(self, dataset):
        """One pass over `dataset` (batches of images); returns the mean loss, in nats per image."""
        self.loss_sum.assign(0.0)
        self.steps.assign(0)
        for x in dataset:
            self._step(x)
        # Reading the result waits for the last step, so the epoch's time is complete.
        return float(self.loss_sum.numpy()) / max(int(self.steps.numpy()), 1)
