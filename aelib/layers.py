"""The reparameterization trick, as a Keras layer."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="aelib")
class Sampling(keras.layers.Layer):
    """Draws a code z from N(z_mean, exp(z_log_var)) so that gradients can pass.

    Sampling z directly would give the encoder no gradient: a random draw has no
    derivative with respect to the distribution's parameters. The
    reparameterization trick moves the randomness into a standard normal
    eps ~ N(0, I), drawn independently of the parameters, and builds

        z = z_mean + exp(0.5 * z_log_var) * eps,

    which has the same distribution and is a smooth function of `z_mean` and
    `z_log_var`, so the loss can be differentiated through it.

    Args:
        seed: optional integer; the same seed gives the same sequence of draws.
        **kwargs: the usual `keras.layers.Layer` arguments, such as `name`.

    Call arguments:
        inputs: the list `[z_mean, z_log_var]`, two tensors of shape
            `(batch, latent_dim)`.

    Returns:
        z, a tensor of the shape of `z_mean`.

    Example:

    >>> z_mean = keras.ops.zeros((4, 2))
    >>> z_log_var = keras.ops.zeros((4, 2))
    >>> z = Sampling(seed=1)([z_mean, z_log_var])
    >>> tuple(z.shape)
    (4, 2)
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                "Expected `inputs` to be the list `[z_mean, z_log_var]`. "
                f"Received: inputs={inputs!r}"
            )
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(
            ops.shape(z_mean), dtype=self.compute_dtype, seed=self.seed_generator
        )  # (batch, latent_dim)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
