"""How good is a trained model? The numbers every chapter reports.

- `reconstruction_error`: how well an image survives the trip through the code.
- `negative_elbo` and `importance_sampled_nll`: the VAE's bound on -log p(x), and
  a tighter estimate of -log p(x) itself (Burda et al. 2016); a true likelihood of
  grey-level images with `likelihood="continuous_bernoulli"`, a cross-entropy without.
- `latent_mmd`: how far the codes of held-out images, Q_Z, are from the prior P_Z.
- `reconstruction_accuracy` and `retrieval_rate`: whether reconstructions decoded
  from q(z|x) still tell images apart, by class and one by one.
- `per_class_recall` and `balanced_accuracy`: how well a classifier does on each
  class, whatever the classes' sizes.

Elsewhere: the KL term split in two in `aelib.information`; the Fréchet distance in `aelib.frechet`.
Losses and bounds are in nats per image, computed in NumPy float64 from the models' networks.
"""

import numpy as np
from keras import ops

from aelib.checks import check_choice, check_integer
from aelib.classifier import classify
from aelib.data import check_images
from aelib.divergences import gaussian_kl, mmd
from aelib.losses import bernoulli_nll, continuous_bernoulli_nll
from aelib.models.networks import run_in_batches

_LOG_2PI = np.log(2.0 * np.pi)
_PIXEL_TERMS = {"bernoulli": bernoulli_nll, "continuous_bernoulli": continuous_bernoulli_nll}
LIKELIHOODS = tuple(_PIXEL_TERMS)


def reconstruction_error(model, x, batch_size=1000):
    """Mean Bernoulli cross-entropy of `x` and its decoded code, in nats per image.

    The code is `model.encode(x)` (the posterior mean for a VAE), so this is the
    same quantity for all three models, and the one they were trained on.

    Args:
        model: a trained `Autoencoder`, `VAE` or `WAE`.
        x: images of shape (N, 28, 28, 1) in [0, 1].

    Returns:
        A float: the mean over images of -log p(x | z), summed over pixels.
    """
    x = check_images(x)
    logits = run_in_batches(model.decoder, model.encode(x, batch_size=batch_size), batch_size)
    return float(np.mean(to_float64(bernoulli_nll(x, logits))))


def negative_elbo(vae, x, seed=0, batch_size=1000, likelihood="bernoulli"):
    """The negative evidence lower bound of a VAE, in nats per image (lower is better).

    -ELBO(x) = E_{q(z|x)}[-log p(x|z)] + KL(q(z|x) || p(z)), with the expectation
    estimated by one draw z ~ q(z|x) per image; the KL term is exact.

    Args:
        vae: a trained `VAE`.
        x: images of shape (N, 28, 28, 1) in [0, 1].
        seed: seed of the draws from q(z|x).
        likelihood: `"bernoulli"`, the training loss (a cross-entropy on grey levels), or
            `"continuous_bernoulli"`, the same decoder read as a normalised density.

    Returns:
        A float: the mean of -ELBO(x) over the images; with a normalised likelihood, an
        upper bound on -log p(x).
    """
    x, pixel_term = (
        check_images(x),
        _PIXEL_TERMS[check_choice(likelihood, "likelihood", LIKELIHOODS)],
    )
    z_mean, z_log_var = vae.posterior(x, batch_size=batch_size)
    z = z_mean + np.exp(0.5 * z_log_var) * np.random.default_rng(seed).standard_normal(z_mean.shape)
    logits = run_in_batches(vae.decoder, z.astype(np.float32), batch_size)
    reconstruction = to_float64(pixel_term(x, logits))
    kl = to_float64(gaussian_kl(z_mean, z_log_var))
    return float(np.mean(reconstruction + kl))


def importance_sampled_nll(vae, x, num_draws=100, seed=0, batch_size=50, likelihood="bernoulli"):
    """Estimates -log p(x) of a VAE by importance sampling with q(z|x) as the proposal.

    log p(x) ~= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x), with z_k ~ q(z|x).
    The estimate is a lower bound on log p(x) in expectation that tightens as K
    grows; K = 1 gives the ELBO (Burda et al. 2016).

    Args:
        vae: a trained `VAE`.
        x: images of shape (N, 28, 28, 1) in [0, 1].
        num_draws: K, the draws from q(z|x) per image.
        seed: seed of the draws.
        batch_size: images decoded together (each with K codes).
        likelihood: `"bernoulli"` or `"continuous_bernoulli"`, as in `negative_elbo`.

    Returns:
        A float: the mean over images of the estimate of -log p(x), in nats.
    """
    x, num_draws = check_images(x), check_integer(num_draws, "num_draws")
    pixel_term = _PIXEL_TERMS[check_choice(likelihood, "likelihood", LIKELIHOODS)]
    rng = np.random.default_rng(seed)
    z_mean, z_log_var = vae.posterior(x)
    estimates = []
    for start in range(0, len(x), batch_size):
        mean, log_var = z_mean[start : start + batch_size], z_log_var[start : start + batch_size]
        images = x[start : start + batch_size]
        noise = rng.standard_normal((num_draws,) + mean.shape)  # (K, B, latent_dim)
        z = mean + np.exp(0.5 * log_var) * noise
        logits = run_in_batches(vae.decoder, z.reshape(-1, mean.shape[1]).astype(np.float32), 5000)
        repeated = np.broadcast_to(images, (num_draws,) + images.shape)  # (K, B, 28, 28, 1)
        nll = pixel_term(repeated.reshape((-1,) + images.shape[1:]), logits)  # (K * B,)
        log_likelihood = -to_float64(nll).reshape(num_draws, -1)  # (K, B)
        log_prior = -0.5 * np.sum(z**2 + _LOG_2PI, axis=-1)
        log_posterior = -0.5 * np.sum(noise**2 + log_var + _LOG_2PI, axis=-1)
        log_weights = log_likelihood + log_prior - log_posterior  # (K, B)
        peak = log_weights.max(axis=0)
        estimates.append(peak + np.log(np.mean(np.exp(log_weights - peak), axis=0)))
    return float(-np.mean(np.concatenate(estimates)))


def latent_mmd(model, x, kernel="imq", max_images=2000, seed=0):
    """MMD^2 between the codes of images `x` (a sample of Q_Z) and draws from the prior P_Z.

    Near 0 when the codes are distributed like N(0, I), as a generative model's
    should be; clearly positive when they are not. For a VAE the codes are
    draws from q(z|x), so that their distribution is the aggregate posterior.

    Args:
        model: a trained `Autoencoder`, `VAE` or `WAE`.
        x: held-out images of shape (N, 28, 28, 1).
        kernel: `"imq"` or `"rbf"`, as in `aelib.divergences.mmd`.
        max_images: at most this many images are used (chosen with `seed`), to
            keep the (n, n) kernel matrices small.
        seed: seed of the subset, the posterior draws and the prior draws.

    Returns:
        A float, the unbiased estimate of MMD^2 (it can be slightly negative).
    """
    x = check_images(x)
    rng = np.random.default_rng(seed)
    if len(x) > max_images:
        x = x[np.sort(rng.choice(len(x), max_images, replace=False))]
    codes = model.encode(x, draw=True, seed=seed)
    prior = rng.standard_normal(codes.shape).astype(np.float32)
    return float(to_float64(mmd(codes.astype(np.float32), prior, kernel=kernel)))


def reconstruction_accuracy(model, x, labels, seed=0, batch_size=500):
    """How often the shipped classifier names an image's class from its reconstruction alone.

    Each image is encoded to a code drawn from q(z|x) (`model.encode(x,
    draw=True)`: for a VAE a random draw, for the autoencoder and the WAE
    their one code), the code is decoded, and the reconstruction is classified
    by the Fashion-MNIST classifier in `aelib.classifier`. Where the codes of
    different images overlap, a draw from one image's posterior decodes to
    another image's garment, and the accuracy falls. Compare it with the
    classifier's accuracy on the images themselves, the ceiling.

    Args:
        model: a trained `Autoencoder`, `VAE` or `WAE` (any object with
            `encode(x, draw=True, seed=...)` and `decode(z)`).
        x: images of shape (N, 28, 28, 1) in [0, 1].
        labels: integer class labels of shape (N,), in 0..9.
        seed: seed of the draws from q(z|x).
        batch_size: images classified together.

    Returns:
        A float in [0, 1]: the share of images whose reconstruction is
        classified as the image's own class.

    Example:

    >>> reconstruction_accuracy(vae, data.x_test, data.y_test)  # vs. the real images' accuracy
    """
    x = check_images(x)
    labels = np.asarray(labels)
    if labels.shape != (len(x),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"Expected integer `labels` of shape ({len(x)},), one per image. "
            f"Received: labels.shape={labels.shape}, labels.dtype={labels.dtype}"
        )
    reconstructions = model.decode(model.encode(x, draw=True, seed=seed)).astype(np.float32)
    return float(np.mean(classify(reconstructions, batch_size=batch_size) == labels))


def retrieval_rate(model, x, pool_size=None, seed=0):
    """How often an image's reconstruction is nearer to the image itself than to any other image.

    The images are split into pools of `pool_size` consecutive images. Each
    image is encoded to a code drawn from q(z|x) (`model.encode(x,
    draw=True)`), decoded, and the reconstruction is compared, by squared
    distance between pixels, with every image of its pool; the image is
    retrieved when the nearest one is itself. 1 means that every image's
    reconstruction singles it out; chance is 1 / pool_size.

    Args:
        model: a trained `Autoencoder`, `VAE` or `WAE` (any object with
            `encode(x, draw=True, seed=...)` and `decode(z)`).
        x: images of shape (N, 28, 28, 1) in [0, 1].
        pool_size: images each reconstruction is compared with, at least 2;
            None: all N. Images left over after the last full pool are not used.
        seed: seed of the draws from q(z|x).

    Returns:
        A float in [0, 1]: the share of images retrieved.

    Example:

    >>> retrieval_rate(wae, data.x_test[:2000], pool_size=100)
    """
    x = check_images(x)
    pool_size = len(x) if pool_size is None else pool_size
    pool_size = check_integer(
        pool_size, "pool_size", low=2, high=len(x), high_is="the number of images"
    )
    used = len(x) - len(x) % pool_size
    x = x[:used]
    reconstructions = model.decode(model.encode(x, draw=True, seed=seed))
    images = x.reshape(used // pool_size, pool_size, -1).astype(np.float64)  # (pools, P, 784)
    rebuilt = np.asarray(reconstructions, dtype=np.float64).reshape(images.shape)
    squared = (
        np.sum(rebuilt**2, axis=-1)[:, :, None]
        + np.sum(images**2, axis=-1)[:, None, :]
        - 2.0 * rebuilt @ images.transpose(0, 2, 1)
    )  # (pools, P, P): reconstruction i against image j of the same pool
    return float(np.mean(np.argmin(squared, axis=-1) == np.arange(pool_size)))


def per_class_recall(labels, predictions, num_classes=None):
    """The recall of each class: the share of its examples that were predicted as it.

    Args:
        labels: 1-D array of true integer labels in 0 .. num_classes - 1.
        predictions: 1-D array of predicted labels, of the same length.
        num_classes: how many classes; `None`: the largest label or prediction plus 1.

    Returns:
        A float64 array of shape `(num_classes,)`; NaN for a class absent from `labels`.

    Example:

    >>> per_class_recall(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))
    array([0.5, 1. ])
    """
    labels, predictions = _check_labels(labels, predictions)
    if num_classes is None:
        num_classes = int(max(labels.max(), predictions.max())) + 1
    num_classes = check_integer(num_classes, "num_classes")
    if max(labels.max(), predictions.max()) >= num_classes:
        raise ValueError(
            f"Expected labels and predictions below num_classes={num_classes}. "
            f"Received: the largest is {max(labels.max(), predictions.max())}"
        )
    totals = np.bincount(labels, minlength=num_classes)  # (num_classes,)
    hits = np.bincount(labels[labels == predictions], minlength=num_classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, hits / np.maximum(totals, 1), np.nan)


def balanced_accuracy(labels, predictions):
    """The mean of the per-class recalls, over the classes present in `labels`.

    Unlike the accuracy, it gives every class the same say, however many examples it has.

    Args:
        labels: 1-D array of true integer labels.
        predictions: 1-D array of predicted labels, of the same length.

    Returns:
        A float in [0, 1].

    Example:

    >>> balanced_accuracy(np.array([0, 0, 0, 1]), np.array([0, 0, 0, 0]))
    0.5
    """
    return float(np.nanmean(per_class_recall(labels, predictions)))


def _check_labels(labels, predictions):
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    for name, array in (("labels", labels), ("predictions", predictions)):
        if array.ndim != 1 or array.size == 0:
            raise ValueError(
                f"Expected `{name}` to be a non-empty 1-D array. "
                f"Received: {name}.shape={array.shape}"
            )
        if not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"Expected integer `{name}`. Received: {name}.dtype={array.dtype}")
        if array.min() < 0:
            raise ValueError(f"Expected `{name}` >= 0. Received: the smallest is {array.min()}")
    if labels.shape != predictions.shape:
        raise ValueError(
            f"Expected one prediction per label. Received: labels.shape={labels.shape}, "
            f"predictions.shape={predictions.shape}"
        )
    return labels, predictions


def to_float64(tensor):
    """A backend tensor as a NumPy float64 array."""
    return np.asarray(ops.convert_to_numpy(tensor), dtype=np.float64)
