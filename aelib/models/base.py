"""What the autoencoder, the VAE and the WAE have in common.

`BaseAutoencoder` holds an encoder and a decoder network and gives all three
models the same surface: `fit(x)` on images alone, `encode`, `decode`,
`save`/`load_model`, and a clear error for bad images before training starts.
Each model adds only its own loss, in `compute_loss`.
"""

import contextlib

import keras
import numpy as np
from keras import ops

from aelib.backends import check_backend, check_batches
from aelib.data import check_images
from aelib.losses import bernoulli_nll
from aelib.models.networks import build_decoder, check_network


class BaseAutoencoder(keras.Model):
    """An encoder, a decoder and the training plumbing; not used directly.

    Args:
        latent_dim: size of the code `z` (a positive integer).
        network: `"mlp"` or `"conv"` (see `aelib.models.networks`).
        learning_rate: Adam's step size, used when `fit` compiles the model for you.
    """

    def __init__(self, latent_dim, network, learning_rate, **kwargs):
        super().__init__(**kwargs)
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, (int, np.integer)) or latent_dim < 1:
            raise ValueError(f"Expected `latent_dim` to be a positive integer. Received: latent_dim={latent_dim!r}")
        check_network(network)
        self.latent_dim = int(latent_dim)
        self.network = network
        self.learning_rate = float(learning_rate)
        self.decoder = build_decoder(network, self.latent_dim)
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")

    # -- training -------------------------------------------------------------

    def compile(self, optimizer=None, **kwargs):
        """Like `keras.Model.compile`; the optimizer defaults to Adam at `learning_rate`.

        The model brings its own loss, so `loss=` is refused.
        """
        if kwargs.get("loss") is not None:
            raise ValueError(
                f"{type(self).__name__} defines its own loss; compile it without `loss`. "
                f"Received: loss={kwargs['loss']!r}"
            )
        if optimizer is None:
            optimizer = keras.optimizers.Adam(learning_rate=self.learning_rate)
        super().compile(optimizer=optimizer, **kwargs)

    def compile_from_config(self, config):
        # Keras skips this for a custom `compile`; ours only adds a default, so restore it.
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def fit(self, x=None, y=None, *args, validation_data=None, **kwargs):
        """Trains on images alone: `model.fit(x_train, epochs=...)`. Compiles first if needed."""
        check_backend()
        x = _checked(x, "x")
        if hasattr(x, "shape"):
            check_batches(len(x), kwargs.get("batch_size"))
        if validation_data is not None:
            validation_data = _checked_validation(validation_data)
        self._compile_if_needed()
        return super().fit(x, y, *args, validation_data=validation_data, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        x = _checked(x, "x")
        if hasattr(x, "shape"):
            check_batches(len(x), kwargs.get("batch_size"))
        self._compile_if_needed()
        return super().evaluate(x, y, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        return super().predict(_checked(x, "x"), *args, **kwargs)

    def _compile_if_needed(self):
        if self.compiled:
            return
        # Under tf.distribute the optimizer must be made in the model's strategy scope.
        strategy = getattr(self, "distribute_strategy", None)
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            self.compile()

    def _reconstruction_loss(self, x, logits, sample_weight):
        """Bernoulli negative log-likelihood in nats, summed over pixels, averaged over images."""
        reconstruction = _weighted_mean(bernoulli_nll(x, logits), sample_weight)
        self.reconstruction_loss_tracker.update_state(reconstruction, sample_weight=ops.shape(x)[0])
        return reconstruction

    # -- using a trained model ------------------------------------------------

    def encode(self, x, batch_size=1000, sample=False, seed=None):
        """Returns one code per image, a NumPy array of shape (N, latent_dim).

        A deterministic encoder's code is its own sample, so `sample` and `seed`
        change nothing here; the VAE draws from q(z|x) when `sample=True`.
        """
        codes = run_in_batches(self.encoder, check_images(x), batch_size)
        return codes[0] if isinstance(codes, list) else codes

    def decode(self, z, batch_size=1000):
        """Returns the images (pixel probabilities in [0, 1]) that codes `z` decode to."""
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"Expected codes of shape (N, {self.latent_dim}). Received: z.shape={z.shape}"
            )
        logits = run_in_batches(self.decoder, z, batch_size)
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -60.0, 60.0)))

    def reconstruct(self, x, batch_size=1000):
        """Returns `decode(encode(x))`."""
        return self.decode(self.encode(x, batch_size=batch_size), batch_size=batch_size)

    def get_config(self):
        config = super().get_config()
        config.update(latent_dim=self.latent_dim, network=self.network, learning_rate=self.learning_rate)
        return config


def run_in_batches(network, x, batch_size=1000):
    """Calls a network on `x` a batch at a time; returns NumPy (a list for several outputs).

    A plain call, rather than `predict`: it compiles nothing, so calling many
    models in one notebook does not make TensorFlow warn about retracing.
    """
    parts = []
    for start in range(0, len(x), batch_size):
        out = network(x[start : start + batch_size], training=False)
        parts.append([ops.convert_to_numpy(o) for o in out] if isinstance(out, (list, tuple)) else [ops.convert_to_numpy(out)])
    joined = [np.concatenate(chunks) for chunks in zip(*parts)]
    return joined if len(joined) > 1 else joined[0]


def sample_prior(model, n, seed):
    """Decodes `n` draws from the prior N(0, I): the generative models' `sample`."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"Expected `n` to be a positive integer. Received: n={n!r}")
    z = np.random.default_rng(seed).standard_normal((n, model.latent_dim)).astype(np.float32)
    return model.decode(z)


def scale_for_replicas(loss):
    """Divides the loss by the number of replicas under `tf.distribute`.

    Each replica sees its share of the batch and the gradients are summed over
    replicas, so each replica's loss must count 1 / replicas of the whole.
    Elsewhere (one device, JAX, PyTorch) this returns `loss` unchanged.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if replicas > 1:
            loss = loss / replicas
    return loss


def _weighted_mean(values, sample_weight):
    if sample_weight is None:
        return ops.mean(values)
    weights = ops.reshape(ops.cast(sample_weight, values.dtype), (-1,))
    return ops.sum(values * weights) / ops.maximum(ops.sum(weights), 1e-12)


def _checked(x, name):
    """Checks arrays and tensors; datasets and generators are read lazily and pass through."""
    if x is None or not hasattr(x, "__array__"):
        return x
    return check_images(x, name)


def _checked_validation(validation_data):
    if isinstance(validation_data, tuple):
        return (_checked(validation_data[0], "validation_data[0]"),) + validation_data[1:]
    return _checked(validation_data, "validation_data")
