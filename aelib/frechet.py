"""The Fréchet distance: how far generated images are from real ones, as two Gaussians.

`frechet_distance` compares two sets of feature vectors through the Gaussians
fitted to them (the formula of the FID, Heusel et al. 2017);
`image_frechet_distance` takes the features of images from the small
Fashion-MNIST classifier that ships with `aelib` (`aelib.classifier`).
"""

import warnings

import numpy as np
from scipy import linalg

from aelib.classifier import classifier_features


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
        raise ValueError(
            f"Expected at least 1 feature in {name}. Received: {name}.shape={features.shape}"
        )
    if not np.isfinite(features).all():
        raise ValueError(
            f"Expected finite values in {name}. Received: {name} with NaN or inf values"
        )
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
