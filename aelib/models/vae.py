"""The variational autoencoder (Kingma & Welling 2014; Rezende et al. 2014)."""

import keras
import numpy as np
from keras import ops

from aelib.checks import check_number
from aelib.data import check_images
from aelib.divergences import gaussian_kl
from aelib.layers import Sampling
from aelib.losses import bernoulli_nll
from aelib.models.base import BaseAutoencoder
from aelib.models.networks import build_encoder, run_in_batches

# exp(+-10) is a standard deviation between 0.007 and 150: far outside anything a
# trained encoder needs, and far inside what float32 can exponentiate.
LOG_VAR_LIMIT = 10.0


@keras.saving.register_keras_serializable(package="aelib")
class VAE(BaseAutoencoder):
    """A variational autoencoder with a Gaussian encoder and a Bernoulli decoder.

    The encoder maps an image x to q(z|x) = N(z_mean, exp(z_log_var)); a code is
    drawn from it with the reparameterization trick (`aelib.layers.Sampling`),
    and the decoder gives the Bernoulli logits of p(x|z). Training minimizes

        loss = reconstruction_loss + kl_weight * kl_loss

    per image, where reconstruction_loss = -log p(x|z) and kl_loss =
    KL(q(z|x) || N(0, I)). With `kl_weight=1` this is the negative ELBO.

    Args:
        latent_dim: size of the code `z`.
        network: `"mlp"` or `"conv"`.
        kl_weight: the weight of the KL term (beta); 1.0 is the ELBO.
        learning_rate: Adam's step size when `fit` compiles the model.
        seed: seed of the sampling noise.

    Example:

    >>> vae = VAE()
    >>> history = vae.fit(x_train, epochs=10, batch_size=128)
    >>> images = vae.sample(16, seed=0)  # (16, 28, 28, 1), in [0, 1]
    """

    loss_names = ("reconstruction_loss", "kl_loss")

    def __init__(
        self, latent_dim=16, network="mlp", kl_weight=1.0, learning_rate=1e-3, seed=None, **kwargs
    ):
        super().__init__(latent_dim, network, learning_rate, **kwargs)
        self.kl_weight = check_number(kl_weight, "kl_weight")
        self.seed = seed
        self.encoder = build_encoder(network, self.latent_dim, heads=("z_mean", "z_log_var"))
        self.sampling = Sampling(seed=seed)

    def call(self, x):
        z_mean, z_log_var = self.encoder(x)  # each (N, latent_dim)
        z_log_var = ops.clip(z_log_var, -LOG_VAR_LIMIT, LOG_VAR_LIMIT)
        z = self.sampling([z_mean, z_log_var])  # (N, latent_dim)
        return {"logits": self.decoder(z), "z_mean": z_mean, "z_log_var": z_log_var, "z": z}

    def loss_terms(self, x, y_pred):
        """The loss per image: -log p(x|z) + kl_weight * KL(q(z|x) || N(0, I))."""
        reconstruction = bernoulli_nll(x, y_pred["logits"])  # (N,), z drawn from q(z|x) in `call`
        kl = gaussian_kl(y_pred["z_mean"], y_pred["z_log_var"])  # (N,), in closed form
        return {"reconstruction_loss": (1.0, reconstruction), "kl_loss": (self.kl_weight, kl)}

    def posterior(self, x, batch_size=1000):
        """Returns `(z_mean, z_log_var)` of q(z|x), NumPy arrays of shape (N, latent_dim)."""
        z_mean, z_log_var = run_in_batches(self.encoder, check_images(x), batch_size)
        return z_mean, np.clip(z_log_var, -LOG_VAR_LIMIT, LOG_VAR_LIMIT)

    def encode(self, x, batch_size=1000, draw=False, seed=None):
        """Returns one code per image: the posterior mean, or a draw from q(z|x) if `draw`."""
        z_mean, z_log_var = self.posterior(x, batch_size=batch_size)
        if not draw:
            return z_mean
        noise = np.random.default_rng(seed).standard_normal(z_mean.shape).astype(np.float32)
        return z_mean + np.exp(0.5 * z_log_var) * noise

    def get_config(self):
        config = super().get_config()
        config.update(kl_weight=self.kl_weight, seed=self.seed)
        return config
