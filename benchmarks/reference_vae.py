"""The reference point: the VAE a reader would find first, on keras.io.

The keras.io example "Variational AutoEncoder" (generative/vae.py) trains a
small convolutional VAE with a 2-D latent space. We rebuilt its architecture
from a description, not from its code, so that the benchmark compares our
default VAE with what a reader would otherwise train:

    encoder: conv 32 and conv 64 (3x3, stride 2, "same", ReLU) -> flatten ->
             dense 16 (ReLU) -> dense heads for z_mean and z_log_var (2-D)
    decoder: dense 7*7*64 (ReLU) -> reshape -> conv-transpose 64 and 32
             (3x3, stride 2, "same", ReLU) -> conv-transpose 1 (3x3, "same"),
             one logit per pixel
    loss:    binary cross-entropy summed over the pixels + KL to N(0, I),
             averaged over the batch; Adam at Keras's default step size; batch 128.

The model is independent of `aelib`'s model classes and of its loss functions:
both loss terms are written out below with `keras.ops`, so a mistake in
`aelib.losses` or `aelib.divergences` cannot hide in the comparison. It offers
`posterior`, `encode`, `sample` and `decoder`, what `aelib.metrics` uses, so
both VAEs are scored by the same functions.

Unlike the example, the decoder returns logits rather than sigmoid
probabilities (the same likelihood, computed without rounding the
probabilities to 0 or 1), and it trains on Fashion-MNIST, as the book does.
"""

import keras
import numpy as np
from keras import layers, ops

IMAGE_SHAPE = (28, 28, 1)


def build_reference_encoder(latent_dim=2):
    """Images (N, 28, 28, 1) -> [z_mean, z_log_var], each (N, latent_dim)."""
    images = keras.Input(shape=IMAGE_SHAPE, name="images")
    h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(
        images
    )  # (N, 14, 14, 32)
    h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)  # (N, 7, 7, 64)
    h = layers.Flatten()(h)  # (N, 3136)
    h = layers.Dense(16, activation="relu")(h)  # (N, 16)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)  # (N, latent_dim)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)  # (N, latent_dim)
    return keras.Model(images, [z_mean, z_log_var], name="reference_encoder")


def build_reference_decoder(latent_dim=2):
    """Codes (N, latent_dim) -> pixel logits (N, 28, 28, 1)."""
    codes = keras.Input(shape=(latent_dim,), name="codes")
    h = layers.Dense(7 * 7 * 64, activation="relu")(codes)  # (N, 3136)
    h = layers.Reshape((7, 7, 64))(h)
    h = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")(
        h
    )  # (N, 14, 14, 64)
    h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(
        h
    )  # (N, 28, 28, 32)
    logits = layers.Conv2DTranspose(1, 3, padding="same", name="logits")(h)  # (N, 28, 28, 1)
    return keras.Model(codes, logits, name="reference_decoder")


def reference_loss_terms(x, logits, z_mean, z_log_var):
    """The two terms of the reference's loss, each averaged over the batch.

    reconstruction: binary cross-entropy of the pixels given their logits,
    summed over the pixels; for p = sigmoid(logit) it is
    -[x log p + (1 - x) log(1 - p)] = softplus(logit) - x * logit.
    kl: KL(N(z_mean, exp(z_log_var)) || N(0, I)), summed over the latent axis.

    Returns:
        `(reconstruction, kl)`, two scalar tensors in nats per image.
    """
    per_pixel = ops.softplus(logits) - x * logits  # (N, 28, 28, 1)
    reconstruction = ops.mean(ops.sum(per_pixel, axis=(1, 2, 3)))
    kl = ops.mean(
        -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
    )
    return reconstruction, kl


@keras.saving.register_keras_serializable(package="benchmarks")
class ReferenceVAE(keras.Model):
    """The keras.io example's VAE architecture, trained on its loss.

    Args:
        latent_dim: size of the code; the example uses 2.
        seed: seed of the sampling noise.

    Example:

    >>> reference = ReferenceVAE()
    >>> reference.compile(optimizer=keras.optimizers.Adam())
    >>> reference.fit(x_train, epochs=1, batch_size=128)
    >>> aelib.metrics.negative_elbo(reference, x_test)
    """

    def __init__(self, latent_dim=2, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.seed = seed
        self.encoder = build_reference_encoder(self.latent_dim)
        self.decoder = build_reference_decoder(self.latent_dim)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    def call(self, x):
        z_mean, z_log_var = self.encoder(x)  # each (N, latent_dim)
        noise = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        z = z_mean + ops.exp(0.5 * z_log_var) * noise  # (N, latent_dim)
        return {"logits": self.decoder(z), "z_mean": z_mean, "z_log_var": z_log_var, "z": z}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction, kl = reference_loss_terms(
            x, y_pred["logits"], y_pred["z_mean"], y_pred["z_log_var"]
        )
        self.reconstruction_loss_tracker.update_state(reconstruction)
        self.kl_loss_tracker.update_state(kl)
        return reconstruction + kl

    def posterior(self, x, batch_size=1000):
        """Returns `(z_mean, z_log_var)` of q(z|x), NumPy arrays of shape (N, latent_dim)."""
        z_mean, z_log_var = self.encoder.predict(
            np.asarray(x, np.float32), batch_size=batch_size, verbose=0
        )
        return np.asarray(z_mean), np.asarray(z_log_var)

    def encode(self, x, batch_size=1000, draw=False, seed=None):
        """Returns one code per image: the posterior mean, or a draw from q(z|x) if `draw`."""
        z_mean, z_log_var = self.posterior(x, batch_size=batch_size)
        if not draw:
            return z_mean
        noise = np.random.default_rng(seed).standard_normal(z_mean.shape).astype(np.float32)
        return z_mean + np.exp(0.5 * z_log_var) * noise

    def sample(self, n, seed=None):
        """Decodes `n` draws from the prior N(0, I) into images in [0, 1]."""
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        logits = self.decoder.predict(z, batch_size=1000, verbose=0)
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -60.0, 60.0)))

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "seed": self.seed}
