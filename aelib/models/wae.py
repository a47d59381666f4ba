"""The Wasserstein autoencoder with an MMD penalty, WAE-MMD (Tolstikhin et al. 2018)."""

import keras
from keras import ops

from aelib.checks import check_choice, check_number
from aelib.divergences import mmd
from aelib.losses import bernoulli_nll
from aelib.models.base import BaseAutoencoder
from aelib.models.networks import build_encoder

KERNELS = ("imq", "rbf")


@keras.saving.register_keras_serializable(package="aelib")
class WAE(BaseAutoencoder):
    """A Wasserstein autoencoder (WAE-MMD) with a deterministic encoder.

    A VAE asks every image's posterior q(z|x) to be close to the prior. The WAE
    asks something weaker and more useful for sampling: that the codes of all
    images together, Q_Z, match the prior P_Z = N(0, I). It measures the gap with
    the maximum mean discrepancy between a batch of codes and an equal batch of
    prior draws:

        loss = reconstruction_loss + mmd_weight * MMD^2(codes, prior draws)

    On several devices the MMD is estimated over different samples on each
    engine, and the two are different estimators of the same MMD^2:

    - JAX with `keras.distribution.DataParallel`: the train step is one program
      over the global batch, so one estimate compares all of the batch's codes
      with as many prior draws.
    - TensorFlow with `tf.distribute.MirroredStrategy`: each replica estimates
      the MMD over its share of the batch (global batch / replicas codes), and
      the replicas' estimates are averaged. Each is unbiased, but it sees fewer
      pairs, so the average is noisier and misses the pairs across replicas.

    On one device both are the estimate over the whole batch.

    Args:
        latent_dim: size of the code `z`.
        network: `"mlp"` or `"conv"`.
        mmd_weight: the weight of the MMD penalty (lambda).
        kernel: `"imq"` (inverse multiquadratics, the paper's choice) or `"rbf"`.
        learning_rate: Adam's step size when `fit` compiles the model.
        seed: seed of the prior draws.

    Example:

    >>> wae = WAE()
    >>> history = wae.fit(x_train, epochs=10, batch_size=128)
    >>> images = wae.sample(16, seed=0)
    """

    loss_names = ("reconstruction_loss", "mmd_loss")

    def __init__(
        self,
        latent_dim=16,
        network="mlp",
        mmd_weight=100.0,
        kernel="imq",
        learning_rate=1e-3,
        seed=None,
        **kwargs,
    ):
        super().__init__(latent_dim, network, learning_rate, **kwargs)
        self.mmd_weight = check_number(mmd_weight, "mmd_weight")
        self.kernel = check_choice(kernel, "kernel", KERNELS)
        self.seed = seed
        self.encoder = build_encoder(network, self.latent_dim)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x):
        z = self.encoder(x)  # (N, latent_dim)
        return {"logits": self.decoder(z), "z": z}

    def loss_terms(self, x, y_pred):
        """The loss: -log p(x|z) per image + mmd_weight * MMD^2(codes, prior draws) per batch."""
        reconstruction = bernoulli_nll(x, y_pred["logits"])  # (N,)
        codes = y_pred["z"]  # (N, latent_dim)
        prior = keras.random.normal(ops.shape(codes), seed=self.seed_generator)  # (N, latent_dim)
        penalty = mmd(codes, prior, kernel=self.kernel)  # one number: it compares whole samples
        return {
            "reconstruction_loss": (1.0, reconstruction),
            "mmd_loss": (self.mmd_weight, penalty),
        }

    def get_config(self):
        config = super().get_config()
        config.update(mmd_weight=self.mmd_weight, kernel=self.kernel, seed=self.seed)
        return config
