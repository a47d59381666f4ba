"""The reconstruction term: how likely an image is under the decoder's pixels.

All three models (autoencoder, VAE, WAE) decode to one logit per pixel and
score an image with the same Bernoulli likelihood, so their reconstruction
losses are measured in the same unit, nats per image, and can be compared.
"""

import keras
from keras import ops

from aelib.divergences import same_shape


def bernoulli_nll(x, logits):
    """Negative log-likelihood of images under independent Bernoulli pixels, per example.

    With p = sigmoid(logits), each pixel contributes
    -[x log p + (1 - x) log(1 - p)], which simplifies to
    softplus(logits) - x * logits. That form never takes the log of a
    probability that rounded to 0, so it stays finite for logits of +-100.
    Pixel values between 0 and 1 (grey levels) are allowed, as is usual for
    Fashion-MNIST.

    Args:
        x: images with values in [0, 1], e.g. of shape `(batch, 28, 28, 1)`.
        logits: the decoder's logits, of the same shape as `x`.

    Returns:
        A tensor of shape `(batch,)`: the negative log-likelihood in nats,
        summed over all the other axes.

    Example:

    >>> x = keras.ops.convert_to_tensor([[0.0, 1.0], [1.0, 1.0]])
    >>> logits = keras.ops.zeros((2, 2))  # p = 0.5: log(2) nats a pixel
    >>> keras.ops.convert_to_numpy(bernoulli_nll(x, logits))
    array([1.3862944, 1.3862944], dtype=float32)
    """
    logits = ops.convert_to_tensor(logits)
    if not keras.backend.is_float_dtype(keras.backend.standardize_dtype(logits.dtype)):
        logits = ops.cast(logits, keras.backend.floatx())
    x = ops.cast(x, logits.dtype)
    x_shape, logits_shape = ops.shape(x), ops.shape(logits)
    if len(x_shape) < 1 or not same_shape(x_shape, logits_shape):
        raise ValueError(
            "Expected `x` and `logits` of the same shape, with the batch on the first axis. "
            f"Received: x.shape={tuple(x_shape)}, logits.shape={tuple(logits_shape)}"
        )
    per_pixel = ops.softplus(logits) - x * logits
    if len(x_shape) == 1:
        return per_pixel  # one value per example already
    return ops.sum(per_pixel, axis=tuple(range(1, len(x_shape))))  # (batch,)


def weighted_mean(values, sample_weight=None):
    """The mean of per-example `values` over a batch, weighted by `sample_weight` if given.

    Args:
        values: a tensor of shape `(batch,)`, e.g. `bernoulli_nll(x, logits)`.
        sample_weight: `None` (every example counts the same) or one weight per example.

    Returns:
        A scalar tensor: `sum(weight * value) / sum(weight)`.

    Example:

    >>> weighted_mean(keras.ops.convert_to_tensor([1.0, 3.0]), [3.0, 1.0])  # (3 + 3) / 4
    1.5
    """
    if sample_weight is None:
        return ops.mean(values)
    weights = ops.reshape(ops.cast(sample_weight, values.dtype), (-1,))
    return ops.sum(values * weights) / ops.maximum(ops.sum(weights), 1e-12)
