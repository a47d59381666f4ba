"""The encoder and decoder networks the three models share.

Two sizes of network, chosen by name: `"mlp"`, two dense layers each way (fast
on a CPU), and `"conv"`, two strided convolutions each way (better images, about
seven times slower). Both read and write images of shape (28, 28, 1); the
decoder returns pixel logits, one per pixel. `run_in_batches` calls a network
on many images without running out of memory.
"""

import keras
import numpy as np
from keras import layers, ops

from aelib.checks import check_choice
from aelib.data import IMAGE_SHAPE

NETWORKS = ("mlp", "conv")


def check_network(network):
    """Returns `network` if it is one of `NETWORKS`; raises ValueError if not."""
    return check_choice(network, "network", NETWORKS)


def build_encoder(network, latent_dim, heads=("z",)):
    """Builds the encoder: images (N, 28, 28, 1) -> one (N, latent_dim) output per head.

    Args:
        network: `"mlp"` or `"conv"`.
        latent_dim: size of each output.
        heads: names of the outputs; a VAE asks for `("z_mean", "z_log_var")`.
    """
    check_network(network)
    images = keras.Input(shape=IMAGE_SHAPE, name="images")
    if network == "mlp":
        h = layers.Flatten()(images)  # (N, 784)
        h = layers.Dense(512, activation="relu")(h)
        h = layers.Dense(256, activation="relu")(h)
    else:
        h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(
            images
        )  # (N, 14, 14, 32)
        h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)  # (N, 7, 7, 64)
        h = layers.Flatten()(h)
        h = layers.Dense(256, activation="relu")(h)
    outputs = [layers.Dense(latent_dim, name=head)(h) for head in heads]  # each (N, latent_dim)
    return keras.Model(images, outputs if len(outputs) > 1 else outputs[0], name="encoder")


def build_decoder(network, latent_dim):
    """Builds the decoder: codes (N, latent_dim) -> pixel logits (N, 28, 28, 1)."""
    check_network(network)
    codes = keras.Input(shape=(latent_dim,), name="codes")
    if network == "mlp":
        h = layers.Dense(256, activation="relu")(codes)
        h = layers.Dense(512, activation="relu")(h)
        h = layers.Dense(28 * 28)(h)
        logits = layers.Reshape(IMAGE_SHAPE, name="logits")(h)
    else:
        h = layers.Dense(256, activation="relu")(codes)
        h = layers.Dense(7 * 7 * 64, activation="relu")(h)
        h = layers.Reshape((7, 7, 64))(h)
        h = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")(
            h
        )  # (N, 14, 14, 64)
        h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(
            h
        )  # (N, 28, 28, 32)
        logits = layers.Conv2D(1, 3, padding="same", name="logits")(h)  # (N, 28, 28, 1)
    return keras.Model(codes, logits, name="decoder")


def run_in_batches(network, x, batch_size=1000):
    """Calls a network on `x` a batch at a time; returns NumPy (a list for several outputs).

    A plain call, rather than `predict`: it compiles nothing, so calling many
    models in one notebook does not make TensorFlow warn about retracing.

    Example:

    >>> logits = run_in_batches(model.decoder, codes)  # (N, 28, 28, 1)
    """
    parts = []
    for start in range(0, len(x), batch_size):
        out = network(x[start : start + batch_size], training=False)
        outputs = out if isinstance(out, (list, tuple)) else [out]
        parts.append([ops.convert_to_numpy(o) for o in outputs])
    joined = [np.concatenate(chunks) for chunks in zip(*parts)]
    return joined if len(joined) > 1 else joined[0]
