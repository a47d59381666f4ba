"""How good is a trained model? The numbers every chapter reports.

- `reconstruction_error`: how well an image survives the trip through the code.
- `negative_elbo` and `importance_sampled_nll`: the VAE's bound on -log p(x), and
  a tighter estimate of -log p(x) itself (Burda et al. 2016).
- `latent_mmd`: how far the codes of held-out images, Q_Z, are from the prior P_Z.
- `kl_decomposition`: the VAE's average KL term split into the information its
  codes carry about the images and the KL of Q_Z to P_Z (Hoffman & Johnson 2016).
- `image_frechet_distance`: how far generated images are from real ones, in the
  feature space of a small Fashion-MNIST classifier that ships with aelib.
- `reconstruction_accuracy` and `retrieval_rate`: whether reconstructions decoded
  from q(z|x) still tell images apart, by class and one by one.

All are in nats per image where they are log-likelihoods, and are computed in
NumPy float64 from the models' own networks.
"""

import functools
import warnings

import numpy as np
from keras import ops
from scipy import linalg

from aelib.classifier import classifier_features, load_classifier
from aelib.data import check_images
from aelib.divergences import gaussian_kl, mmd
from aelib.losses import bernoulli_nll
from aelib.models.base import run_in_batches

_LOG_2PI = np.log(2.0 * np.pi)


def reconstruction_error(model, x, batch_size=1000):
    """Mean Bernoulli negative log-likelihood of `x` given its decoded code, in nats per image.

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
    return float(np.mean(_to_numpy(bernoulli_nll(x, logits))))


def negative_elbo(vae, x, seed=0, batch_size=1000):
    """The negative evidence lower bound of a VAE, in nats per image (lower is better).

    -ELBO(x) = E_{q(z|x)}[-log p(x|z)] + KL(q(z|x) || p(z)), with the expectation
    estimated by one draw z ~ q(z|x) per image; the KL term is exact.

    Args:
        vae: a trained `VAE`.
        x: images of shape (N, 28, 28, 1) in [0, 1].
        seed: seed of the draws from q(z|x).

    Returns:
        A float: the mean of -ELBO(x) over the images. It bounds -log p(x) from above.
    """
    x = check_images(x)
    z_mean, z_log_var = vae.posterior(x, batch_size=batch_size)
    z = z_mean + np.exp(0.5 * z_log_var) * np.random.default_rng(seed).standard_normal(z_mean.shape)
    logits = run_in_batches(vae.decoder, z.astype(np.float32), batch_size)
    reconstruction = _to_numpy(bernoulli_nll(x, logits))
    kl = _to_numpy(gaussian_kl(z_mean, z_log_var))
    return float(np.mean(reconstruction + kl))


def importance_sampled_nll(vae, x, num_samples=100, seed=0, batch_size=50):
    """Estimates -log p(x) of a VAE by importance sampling with q(z|x) as the proposal.

    log p(x) ~= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x), with z_k ~ q(z|x).
    The estimate is a lower bound on log p(x) in expectation that tightens as K
    grows; K = 1 gives the ELBO (Burda et al. 2016).

    Args:
        vae: a trained `VAE`.
        x: images of shape (N, 28, 28, 1) in [0, 1].
        num_samples: K, the draws per image.
        seed: seed of the draws.
        batch_size: images decoded together (each with K codes).

    Returns:
        A float: the mean over images of the estimate of -log p(x), in nats.
    """
    x = check_images(x)
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
        raise ValueError(f"Expected `num_samples` to be a positive integer. Received: num_samples={num_samples!r}")
    rng = np.random.default_rng(seed)
    z_mean, z_log_var = vae.posterior(x)
    estimates = []
    for start in range(0, len(x), batch_size):
        mean, log_var = z_mean[start : start + batch_size], z_log_var[start : start + batch_size]
        images = x[start : start + batch_size]
        noise = rng.standard_normal((num_samples,) + mean.shape)  # (K, B, latent_dim)
        z = mean + np.exp(0.5 * log_var) * noise
        logits = run_in_batches(vae.decoder, z.reshape(-1, mean.shape[1]).astype(np.float32), 5000)
        repeated = np.broadcast_to(images, (num_samples,) + images.shape).reshape((-1,) + images.shape[1:])
        log_likelihood = -_to_numpy(bernoulli_nll(repeated, logits)).reshape(num_samples, -1)  # (K, B)
        log_prior = -0.5 * np.sum(z**2 + _LOG_2PI, axis=-1)
        log_posterior = -0.5 * np.sum(noise**2 + log_var + _LOG_2PI, axis=-1)
        log_weights = log_likelihood + log_prior - log_posterior  # (K, B)
        peak = log_weights.max(axis=0)
        estimates.append(peak + np.log(np.mean(np.exp(log_weights - peak), axis=0)))
    return float(-np.mean(np.concatenate(estimates)))


def latent_mmd(model, x, kernel="imq", num_samples=2000, seed=0):
    """MMD^2 between the codes of images `x` (a sample of Q_Z) and draws from the prior P_Z.

    Near 0 when the codes are distributed like N(0, I), as a generative model's
    should be; clearly positive when they are not. For a VAE the codes are
    draws from q(z|x), so that their distribution is the aggregate posterior.

    Args:
        model: a trained `Autoencoder`, `VAE` or `WAE`.
        x: held-out images of shape (N, 28, 28, 1).
        kernel: `"imq"` or `"rbf"`, as in `aelib.divergences.mmd`.
        num_samples: at most this many images are used (chosen with `seed`), to
            keep the (n, n) kernel matrices small.
        seed: seed of the subset, the posterior draws and the prior draws.

    Returns:
        A float, the unbiased estimate of MMD^2 (it can be slightly negative).
    """
    x = check_images(x)
    rng = np.random.default_rng(seed)
    if len(x) > num_samples:
        x = x[np.sort(rng.choice(len(x), num_samples, replace=False))]
    codes = model.encode(x, sample=True, seed=seed)
    prior = rng.standard_normal(codes.shape).astype(np.float32)
    return float(_to_numpy(mmd(codes.astype(np.float32), prior, kernel=kernel)))


def kl_decomposition(vae, x, num_draws=1, seed=0, batch_size=500):
    """Splits a VAE's average KL term into information and the aggregate's mismatch.

    Take the N images `x` as the data distribution, each with probability 1/N,
    and let Q_Z = (1/N) sum_m q(z|x_m) be their aggregate posterior. Then
    (Hoffman & Johnson 2016)

        (1/N) sum_n KL(q(z|x_n) || p(z)) = I_q(x; z) + KL(Q_Z || P_Z),

    where I_q(x; z) = E[log q(z|x) - log q(z)] is the mutual information
    between an image and its code, and both terms are >= 0.

    - `kl` is the average of the closed-form `gaussian_kl`: exact.
    - `mutual_information` is estimated from `num_draws` draws z ~ q(z|x_n) for
      each image, as the average of log q(z|x_n) - log q(z). log q(z) is
      computed exactly, as the log-mean-exp of the densities of all N
      posteriors at z, so the only error is that of the draws; it is reduced
      with a control variate, log q(z|x_n) - log p(z) - KL(q(z|x_n) || p(z)),
      whose mean is exactly 0. `standard_error` is what remains.
    - `marginal_kl` is `kl - mutual_information`, so the three agree exactly,
      and it has the same standard error.

    How far the numbers speak for images beyond `x`: with N images the
    information can be at most log N (knowing the code can do no better than
    name the image), and because the KL is convex, the marginal KL of N images
    overestimates, on average, that of the distribution they were drawn from;
    the information is underestimated by as much. Compare two sizes of `x`: if
    the numbers still move, or the information is near log N, they describe
    these images rather than the data distribution.

    The cost is num_draws * N^2 * latent_dim operations: a few seconds for
    10,000 images in 16 dimensions.

    Args:
        vae: a trained `VAE` (any object with `posterior(x)` returning
            `(z_mean, z_log_var)`).
        x: images of shape (N, 28, 28, 1) in [0, 1], N >= 1.
        num_draws: draws from each image's q(z|x); more draws, less noise.
        seed: seed of the draws.
        batch_size: draws scored against all N posteriors at once.

    Returns:
        A dict of floats in nats per image: `kl`, `mutual_information` and
        `marginal_kl`, with `kl == mutual_information + marginal_kl`, and
        `standard_error`, that of the Monte Carlo estimate of the last two.

    Example:

    >>> parts = kl_decomposition(vae, data.x_test)
    >>> parts["mutual_information"] <= np.log(len(data.x_test))
    True
    """
    x = check_images(x)
    for name, value in (("num_draws", num_draws), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"Expected `{name}` to be a positive integer. Received: {name}={value!r}")
    z_mean, z_log_var = vae.posterior(x)
    z_mean = np.asarray(z_mean, dtype=np.float64)  # (N, latent_dim)
    z_log_var = np.asarray(z_log_var, dtype=np.float64)
    variance = np.exp(z_log_var)
    noise = np.random.default_rng(seed).standard_normal((num_draws,) + z_mean.shape)  # (num_draws, N, latent_dim)
    z = (z_mean + np.sqrt(variance) * noise).reshape(-1, z_mean.shape[1])  # (num_draws * N, latent_dim)

    # log q(z_b | x_m) for every draw b and posterior m, from the expansion
    # sum_j (z_j - m_j)^2 / v_j = [z^2, z, 1] . [1 / v, -2 m / v, sum_j m_j^2 / v_j],
    # so that a block of draws against all N posteriors is one matrix product.
    precision = 1.0 / variance  # (N, latent_dim)
    constant = np.sum(z_mean**2 * precision + z_log_var + _LOG_2PI, axis=1, keepdims=True)  # (N, 1)
    components = np.concatenate([precision, -2.0 * z_mean * precision, constant], axis=1).T  # (2 latent_dim + 1, N)
    features = np.concatenate([z**2, z, np.ones((len(z), 1))], axis=1)  # (num_draws * N, 2 latent_dim + 1)
    log_aggregate = np.empty(len(z))  # log q(z) = log (1/N) sum_m q(z | x_m), one per draw
    for start in range(0, len(z), batch_size):
        log_densities = features[start : start + batch_size] @ components  # (B, N), -2 log q(z_b | x_m)
        lowest = log_densities.min(axis=1, keepdims=True)
        log_densities -= lowest
        np.exp(-0.5 * log_densities, out=log_densities)  # in place: the block is the largest array here
        log_aggregate[start : start + batch_size] = np.log(np.mean(log_densities, axis=1)) - 0.5 * lowest[:, 0]

    kl_per_image = _to_numpy(gaussian_kl(z_mean, z_log_var))  # (N,)
    log_posterior = -0.5 * np.sum(noise**2 + z_log_var + _LOG_2PI, axis=-1).reshape(-1)  # log q(z | x_n), one per draw
    log_prior = -0.5 * np.sum(z**2 + _LOG_2PI, axis=1)
    information = log_posterior - log_aggregate  # its mean estimates I_q(x; z)
    control = log_posterior - log_prior - np.tile(kl_per_image, num_draws)  # mean exactly 0
    spread = np.var(control)
    weight = np.mean((information - information.mean()) * control) / spread if spread > 0 else 0.0
    estimates = information - weight * control

    kl = float(np.mean(kl_per_image))
    mutual_information = float(np.mean(estimates))
    standard_error = float(np.std(estimates) / np.sqrt(len(estimates)))
    return {"kl": kl, "mutual_information": mutual_information, "marginal_kl": kl - mutual_information,
            "standard_error": standard_error}

def frechet_distance(features_a, features_b, eps=1e-6):
    """Returns the Fréchet distance between Gaussians fitted to two feature sets.

    Each set is summarised by its mean and its sample covariance (divided by
    N - 1); the result is

        |mean_a - mean_b|^2 + trace(cov_a + cov_b - 2 (cov_a cov_b)^(1/2)).

    Like the FID, this is the *squared* Fréchet distance; it is what is reported.

    Args:
        features_a: array of shape `(N, D)`, one feature vector a row, N >= 2.
        features_b: array of shape `(M, D)`, the same D, M >= 2.
        eps: when `cov_a cov_b` is singular (SciPy's `sqrtm` warns or fails),
            `eps` times the identity is added to both covariances and the root
            taken again (as the reference FID code does).

    Returns:
        The distance, a non-negative Python float.

    Raises:
        ValueError: the inputs are not 2-D, have different feature dimensions,
            fewer than 2 rows, or values that are not finite.

    Example:

    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(1000, 4))
    >>> round(frechet_distance(a, a + 1.0), 6)  # a shift of 1 in each of 4 dimensions
    4.0
    """
    features_a = _check_features(features_a, "features_a")
    features_b = _check_features(features_b, "features_b")
    if features_a.shape[1] != features_b.shape[1]:
        raise ValueError(
            "Expected features_a and features_b to have the same number of features "
            f"(columns). Received: features_a.shape={features_a.shape}, "
            f"features_b.shape={features_b.shape}"
        )
    mean_a, mean_b = features_a.mean(axis=0), features_b.mean(axis=0)  # (D,)
    cov_a = np.atleast_2d(np.cov(features_a, rowvar=False))  # (D, D)
    cov_b = np.atleast_2d(np.cov(features_b, rowvar=False))

    sqrt_product = _sqrtm_of_product(cov_a, cov_b)
    if not np.isfinite(sqrt_product).all():
        # A singular product (a feature constant in both sets, or fewer rows
        # than features): regularise both covariances.
        offset = eps * np.eye(cov_a.shape[0])
        sqrt_product = _sqrtm_of_product(cov_a + offset, cov_b + offset)
    if np.iscomplexobj(sqrt_product):
        # cov_a cov_b has real, non-negative eigenvalues, so its square root is
        # real; rounding error can leave a tiny imaginary part, which we drop.
        largest = np.abs(sqrt_product.imag).max()
        if largest > 1e-3 * max(1.0, np.abs(sqrt_product.real).max()):
            raise ValueError(
                "The matrix square root of cov_a @ cov_b came out with an imaginary part "
                f"of {largest:.3g}, too large for rounding error. Are the features finite "
                f"and are there enough rows for the number of features? Received: "
                f"features_a.shape={features_a.shape}, features_b.shape={features_b.shape}"
            )
        sqrt_product = sqrt_product.real

    mean_term = np.sum((mean_a - mean_b) ** 2)
    cov_term = np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(sqrt_product)
    # The distance is non-negative; rounding can push identical sets a hair below 0.
    return max(float(mean_term + cov_term), 0.0)


def image_frechet_distance(images_a, images_b, batch_size=500):
    """Returns an FID-like distance between two sets of Fashion-MNIST images.

    Both sets go through the small Fashion-MNIST classifier shipped with `aelib`
    (`aelib.classifier`), and `frechet_distance` compares their 64 penultimate
    features. It is *not* the FID: the features are not Inception-v3's, so the
    numbers are comparable only with other numbers from this function (same
    classifier weights), never with published FIDs. The sample sizes matter
    too: with few images the estimate is biased upwards, so compare distances
    computed from the same numbers of images. The distance between the training
    and the test images, at the same sizes, is the floor a perfect model would
    reach.

    Args:
        images_a: float array of shape `(N, 28, 28, 1)`, pixels in [0, 1], N >= 2.
        images_b: float array of shape `(M, 28, 28, 1)`, pixels in [0, 1], M >= 2.
        batch_size: images per forward pass of the classifier.

    Returns:
        The distance, a non-negative Python float.

    Raises:
        ValueError: either set of images has the wrong shape, dtype or values.

    Example:

    >>> data = load_dataset()
    >>> floor = image_frechet_distance(data.x_train[:10000], data.x_test)
    >>> image_frechet_distance(vae.sample(10000, seed=0), data.x_test)  # compare with floor
    """
    features_a = classifier_features(images_a, batch_size=batch_size)
    features_b = classifier_features(images_b, batch_size=batch_size)
    return frechet_distance(features_a, features_b)


def reconstruction_accuracy(model, x, labels, seed=0, batch_size=500):
    """How often the shipped classifier names an image's class from its reconstruction alone.

    Each image is encoded to a code drawn from q(z|x) (`model.encode(x,
    sample=True)`: for a VAE a random draw, for the autoencoder and the WAE
    their one code), the code is decoded, and the reconstruction is classified
    by the Fashion-MNIST classifier in `aelib.classifier`. Where the codes of
    different images overlap, a draw from one image's posterior decodes to
    another image's garment, and the accuracy falls. Compare it with the
    classifier's accuracy on the images themselves, the ceiling.

    Args:
        model: a trained `Autoencoder`, `VAE` or `WAE` (any object with
            `encode(x, sample=True, seed=...)` and `decode(z)`).
        x: images of shape (N, 28, 28, 1) in [0, 1].
        labels: integer class labels of shape (N,), in 0..9.
        seed: seed of the draws from q(z|x).
        batch_size: images classified together.

    Returns:
        A float in [0, 1]: the share of images whose reconstruction is
        classified as the image's own class.

    Example:

    >>> reconstruction_accuracy(vae, data.x_test, data.y_test)  # compare with the real images' accuracy
    """
    x = check_images(x)
    labels = np.asarray(labels)
    if labels.shape != (len(x),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"Expected integer `labels` of shape ({len(x)},), one per image. "
            f"Received: labels.shape={labels.shape}, labels.dtype={labels.dtype}"
        )
    reconstructions = model.decode(model.encode(x, sample=True, seed=seed)).astype(np.float32)
    logits = run_in_batches(_classifier(), reconstructions, batch_size)  # (N, 10)
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def retrieval_rate(model, x, pool_size=None, seed=0):
    """How often an image's reconstruction is nearer to the image itself than to any other image.

    The images are split into pools of `pool_size` consecutive images. Each
    image is encoded to a code drawn from q(z|x) (`model.encode(x,
    sample=True)`), decoded, and the reconstruction is compared, by squared
    distance between pixels, with every image of its pool; the image is
    retrieved when the nearest one is itself. 1 means that every image's
    reconstruction singles it out; chance is 1 / pool_size.

    Args:
        model: a trained `Autoencoder`, `VAE` or `WAE` (any object with
            `encode(x, sample=True, seed=...)` and `decode(z)`).
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
    if isinstance(pool_size, bool) or not isinstance(pool_size, (int, np.integer)) or not 2 <= pool_size <= len(x):
        raise ValueError(
            f"Expected `pool_size` to be an integer from 2 to the number of images, {len(x)}. "
            f"Received: pool_size={pool_size!r}"
        )
    used = len(x) - len(x) % pool_size
    x = x[:used]
    reconstructions = model.decode(model.encode(x, sample=True, seed=seed))
    images = x.reshape(used // pool_size, pool_size, -1).astype(np.float64)  # (pools, P, 784)
    rebuilt = np.asarray(reconstructions, dtype=np.float64).reshape(images.shape)
    squared = (
        np.sum(rebuilt**2, axis=-1)[:, :, None]
        + np.sum(images**2, axis=-1)[:, None, :]
        - 2.0 * rebuilt @ images.transpose(0, 2, 1)
    )  # (pools, P, P): reconstruction i against image j of the same pool
    return float(np.mean(np.argmin(squared, axis=-1) == np.arange(pool_size)))


def _check_features(features, name):
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(
            f"Expected {name} to be 2-D, of shape (num_examples, num_features). "
            f"Received: {name}.shape={features.shape}"
        )
    if features.shape[0] < 2:
        raise ValueError(
            f"Expected at least 2 rows in {name} to estimate a covariance. "
            f"Received: {name}.shape={features.shape}"
        )
    if features.shape[1] < 1:
        raise ValueError(f"Expected at least 1 feature in {name}. Received: {name}.shape={features.shape}")
    if not np.isfinite(features).all():
        raise ValueError(f"Expected finite values in {name}. Received: {name} with NaN or inf values")
    return features


def _sqrtm_of_product(cov_a, cov_b):
    """Returns sqrtm(cov_a @ cov_b), or an array of NaN where the product is singular."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # SciPy warns (and may return an inaccurate root) for a singular matrix.
        warnings.simplefilter("error", linalg.LinAlgWarning)
        try:
            return linalg.sqrtm(cov_a @ cov_b)
        except (linalg.LinAlgError, linalg.LinAlgWarning, ValueError):
            return np.full(cov_a.shape, np.nan)


@functools.lru_cache(maxsize=1)
def _classifier():
    """The shipped classifier, loaded once per process."""
    return load_classifier()


def _to_numpy(tensor):
    return np.asarray(ops.convert_to_numpy(tensor), dtype=np.float64)

