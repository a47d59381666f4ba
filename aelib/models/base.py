"""What the autoencoder, the VAE and the WAE have in common.

`BaseAutoencoder` holds an encoder and a decoder network and gives all three
models the same surface: `fit(x)` on images alone, `encode`, `decode`, `sample`,
`save`/`load_model`, and a clear error for bad images before training starts.
Each model writes only its own loss, as a few lines of math in `loss_terms`;
`compute_loss` here averages, weighs, logs and adds up the terms for all three.
"""

import contextlib

import keras
import numpy as np
from keras import ops

from aelib.backends import check_backend, check_batches
from aelib.checks import check_integer
from aelib.data import check_images
from aelib.losses import weighted_mean
from aelib.models.networks import build_decoder, check_network, run_in_batches


class BaseAutoencoder(keras.Model):
    """An encoder, a decoder and the training plumbing; not used directly.

    A model lists the names of its loss terms in `loss_names` (the metrics that
    Keras logs) and computes the terms in `loss_terms`.

    Args:
        latent_dim: size of the code `z` (a positive integer).
        network: `"mlp"` or `"conv"` (see `aelib.models.networks`).
        learning_rate: Adam's step size, used when `fit` compiles the model for you.
    """

    loss_names = ("reconstruction_loss",)

    def __init__(self, latent_dim, network, learning_rate, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = check_integer(latent_dim, "latent_dim")
        self.network = check_network(network)
        self.learning_rate = float(learning_rate)
        self.decoder = build_decoder(network, self.latent_dim)
        self.loss_trackers = {name: keras.metrics.Mean(name=name) for name in self.loss_names}

    # -- the loss ---------------------------------------------------------------

    def loss_terms(self, x, y_pred):
        """Returns the terms of the model's loss as `{name: (weight, values)}`.

        `values` holds one number per image, of shape `(batch,)`, or one number
        for the whole batch; the loss is the sum of `weight * values`, each
        averaged over the batch (see `compute_loss`). Each model writes its own.
        """
        raise NotImplementedError(f"{type(self).__name__} must define `loss_terms(x, y_pred)`.")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Adds up the weighted `loss_terms`, each averaged over the batch and logged by name.

        Keras's `fit` calls this on every batch and differentiates what it returns.
        """
        loss = 0.0
        for name, (weight, values) in self.loss_terms(x, y_pred).items():
            # One number per image: their (weighted) mean; one number per batch: itself.
            term = weighted_mean(values, sample_weight) if len(ops.shape(values)) else values
            self.loss_trackers[name].update_state(term, sample_weight=ops.shape(x)[0])
            loss = loss + weight * term
        return scale_for_replicas(loss)

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

    # -- using a trained model ------------------------------------------------

    def encode(self, x, batch_size=1000, draw=False, seed=None):
        """Returns one code per image, a NumPy array of shape (N, latent_dim).

        A deterministic encoder's code is its own draw, so `draw` and `seed`
        change nothing here; the VAE draws from q(z|x) when `draw=True`.
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

    def sample(self, n, seed=None):
        """Generates `n` images: decodes `n` draws from the prior N(0, I) into images in [0, 1].

        The VAE and the WAE are trained so that such draws decode to garments;
        the plain autoencoder is not, and what its decoder makes of them shows it.
        """
        z = np.random.default_rng(seed).standard_normal((check_integer(n, "n"), self.latent_dim))
        return self.decode(z.astype(np.float32))

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim, network=self.network, learning_rate=self.learning_rate
        )
        return config


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


def _checked(x, name):
    """Checks arrays and tensors; datasets and generators are read lazily and pass through."""
    if x is None or not hasattr(x, "__array__"):
        return x
    return check_images(x, name)


def _checked_validation(validation_data):
    if isinstance(validation_data, tuple):
        return (_checked(validation_data[0], "validation_data[0]"),) + validation_data[1:]
    return _checked(validation_data, "validation_data")
