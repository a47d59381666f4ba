"""The reconstruction term: how likely an image is under the decoder's pixels.

All three models (autoencoder, VAE, WAE) decode to one logit per pixel and
score an image with the same Bernoulli formula, so their reconstruction losses
are measured in the same unit, nats per image, and can be compared. On grey-level
images that formula is a cross-entropy, not a log-likelihood: it is no density
over grey levels. `continuous_bernoulli_nll` adds the normaliser that makes it one.
"""

import keras
from keras import ops

from aelib.divergences import same_shape


def bernoulli_nll(x, logits):
    """The Bernoulli loss of images under independent pixels, per example, in nats.

    With p = sigmoid(logits), each pixel contributes
    -[x log p + (1 - x) log(1 - p)], which simplifies to
    softplus(logits) - x * logits. That form never takes the log of a
    probability that rounded to 0, so it stays finite for logits of +-100.
    For pixels of 0 and 1 it is a negative log-likelihood. Grey levels in between
    are allowed, as is usual for Fashion-MNIST; it is then the cross-entropy of
    the grey levels and p, not a likelihood (`continuous_bernoulli_nll` is one).

    Args:
        x: images with values in [0, 1], e.g. of shape `(batch, 28, 28, 1)`.
        logits: the decoder's logits, of the same shape as `x`.

    Returns:
        A tensor of shape `(batch,)`: the loss in nats, summed over all the other axes.

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


def continuous_bernoulli_log_normalizer(logits):
    """log C per pixel: the log of what makes the Bernoulli formula a density on [0, 1].

    Over grey levels x in [0, 1], p^x (1 - p)^(1 - x) integrates to 1 / C(p), with
    C(p) = 2 artanh(1 - 2p) / (1 - 2p) (Loaiza-Ganem & Cunningham 2019). With
    p = sigmoid(logits), 1 - 2p = -tanh(logits / 2) and artanh(1 - 2p) = -logits / 2, so
    C = logits / tanh(logits / 2): 2 at logits = 0, about |logits| far from it.

    Args:
        logits: the decoder's logits, any shape.

    Returns:
        A tensor of the same shape: log C, at least log 2.
    """
    logits = ops.convert_to_tensor(logits)
    near_zero = ops.abs(logits) < 1e-2
    safe = ops.where(near_zero, ops.ones_like(logits), logits)  # no 0 / 0 on the branch not taken
    exact = ops.log(safe / ops.tanh(safe / 2.0))
    series = ops.log(2.0) + ops.square(logits) / 12.0  # log C near 0, to within logits^4 / 1440
    return ops.where(near_zero, series, exact)


def continuous_bernoulli_nll(x, logits):
    """Negative log-density of grey-level images under continuous Bernoulli pixels, per example.

    The cross-entropy `bernoulli_nll(x, logits)` minus the log normaliser, summed over the
    pixels: a true negative log-likelihood of images in [0, 1]. A density can exceed 1, so
    this can be negative; only differences between models or images mean something.

    Args:
        x: images with values in [0, 1], e.g. of shape `(batch, 28, 28, 1)`.
        logits: the decoder's logits, of the same shape as `x`.

    Returns:
        A tensor of shape `(batch,)`, in nats.
    """
    cross_entropy = bernoulli_nll(x, logits)  # checks the shapes
    log_normalizer = continuous_bernoulli_log_normalizer(ops.cast(logits, cross_entropy.dtype))
    if len(ops.shape(log_normalizer)) > 1:
        log_normalizer = ops.sum(log_normalizer, axis=tuple(range(1, len(ops.shape(logits)))))
    return cross_entropy - log_normalizer


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
