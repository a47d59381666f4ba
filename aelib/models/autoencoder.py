"""The plain autoencoder: a deterministic encoder and decoder, trained to reconstruct."""

import keras

from aelib.losses import bernoulli_nll
from aelib.models.base import BaseAutoencoder
from aelib.models.networks import build_encoder


@keras.saving.register_keras_serializable(package="aelib")
class Autoencoder(BaseAutoencoder):
    """An autoencoder: x -> z = encoder(x) -> decoder(z) ~ x.

    The loss is the reconstruction error alone, the Bernoulli cross-entropy of
    the image and its decoded logits, in nats per image.
    Nothing asks the codes to follow any distribution, so the model can
    compress and reconstruct, but it was not trained to generate: `sample`
    decodes draws from N(0, I) all the same, to show what comes out.

    Args:
        latent_dim: size of the code `z`.
        network: `"mlp"` or `"conv"`.
        learning_rate: Adam's step size when `fit` compiles the model.

    Example:

    >>> model = Autoencoder(latent_dim=2)
    >>> history = model.fit(x_train, epochs=5, batch_size=128)
    >>> codes = model.encode(x_test)  # (N, 2)
    """

    loss_names = ("reconstruction_loss",)

    def __init__(self, latent_dim=16, network="mlp", learning_rate=1e-3, **kwargs):
        super().__init__(latent_dim, network, learning_rate, **kwargs)
        self.encoder = build_encoder(network, self.latent_dim)

    def call(self, x):
        z = self.encoder(x)  # (N, latent_dim)
        return {"logits": self.decoder(z), "z": z}

    def loss_terms(self, x, y_pred):
        """The loss per image: -log p(x|z), with weight 1."""
        return {"reconstruction_loss": (1.0, bernoulli_nll(x, y_pred["logits"]))}
