"""A trained generative model as a lens on its training data: finding and correcting imbalance.

An encoder trained on a data set places images that look alike near each other in
latent space. Where a kind of image is rare, its codes are sparse: the ball around
a code that holds its `k` nearest neighbours is wide. `density_weights` turns
that into one weight per image, larger where the data are rarer, and
`balanced_subset` uses the weights to draw a subset in which the rare kinds are
more common. Neither looks at a label. `per_class_recall` and
`balanced_accuracy` are for afterwards: they use labels to judge whether a
classifier trained on the subset got better.

The density estimate is that of the k nearest neighbours (Loftsgaarden &
Quesenberry 1965), with the exponent set to the intrinsic dimension of the codes
(Levina & Bickel 2005) rather than to `latent_dim`. It was chosen over two
others by measuring all three, when this module was written, on codes with a
known answer and on Fashion-MNIST codes like those of the chapter
(notebooks/05_imbalance.ipynb):

- Two or five Gaussian clusters with weights 10:1, in 2, 4 and 16 dimensions
  (three draws each). Ratio of the geometric-mean weight of a rare cluster to
  that of a common one (the true value is 10): k-NN, 9.5 to 15 in 2 and 4
  dimensions; in 16 dimensions 16 to 25 with k = 1% of the codes and 9 to 13
  with k = 10. A Gaussian kernel density estimate with Scott's bandwidth: 6 to
  18. A product of per-dimension histograms, as in the debiasing VAE of Amini
  et al. (2019): 25 to more than a million, because a code in the tail of one
  coordinate's histogram multiplies its weight by the same large factor in
  every coordinate.
- The 16-D posterior means of a VAE trained on Fashion-MNIST with five classes
  ten times rarer than the other five (9% of the images). Share of those five
  classes in a subset of 6,000 drawn with the weights: 21% with k-NN and
  k = 1% of the images, 12% with k = 10. A kernel estimate with a fixed
  bandwidth (0.25 to 0.75, the codes' spread being about 1) gave one image 93%
  or more of the total weight: far from every other code its estimate
  underflows. The histograms gave one or two classes most of the weight with
  a smoothing constant of 0.001 or 0.01, and with 0.1 a rare share of 17%.

Hence the defaults: k-NN, with a wide neighbourhood (k = 1% of the images), so
that what is flattened is how many images are *like this one* at the scale of
a kind of image, not the fine texture of the cloud of codes within one kind.
What no density estimate does is balance kinds of image exactly: flattening the
density spreads a subset evenly over the *volume* the codes occupy, and a kind
with more images also reaches further into its tails (see the tests).
"""

import numpy as np

from aelib.data import check_images

# Distances are floored here before logarithms, so that duplicate codes do not give log(0).
_TINY_DISTANCE = 1e-12
# The intrinsic dimension is estimated from this many nearest neighbours at most.
_DIMENSION_NEIGHBOURS = 20
# No weight is smaller than exp(-700) times the largest (exp(-745) would underflow to 0).
_LOWEST_LOG_WEIGHT = -700.0


def density_weights(model, x, neighbours=None, exponent=1.0, dimension=None, sample=False, seed=0, chunk_size=512):
    """Returns one weight per image: large where the data are rare, with mean 1.

    The images are encoded by `model`; around each code, `r_k` is the distance
    to its `k`-th nearest other code. The k-NN estimate of the density of codes
    there is proportional to `1 / r_k^m`, where `m` is the dimension of the set
    the codes fill (a VAE leaves some latent dimensions unused, so `m` can be
    well below `latent_dim`). The weight is the inverse density, tempered:

        weight = r_k ** (m * exponent), rescaled to mean 1.

    With `exponent=1` a subset drawn with these weights (`balanced_subset`)
    has a flat density of codes, except where its probabilities are capped at
    1; `exponent=0` gives every image the weight 1; values in between soften
    the correction. No label is used.

    Why this estimator, and the measurements behind the choice, are in the
    module's docstring.

    Args:
        model: a trained model with `encode(x, sample=False, seed=None)` that
            returns codes of shape `(N, latent_dim)` (the `VAE`'s posterior
            means, or draws from q(z|x) with `sample=True`; the `WAE`'s codes).
        x: images of shape `(N, 28, 28, 1)`, float values in [0, 1], N >= 3.
        neighbours: `k`, an integer in 2 .. N - 1. The default is 1% of N (at
            least 10, at most N - 1): the ball around a code then spans a
            kind of image rather than its closest look-alikes. A smaller `k`
            sees finer detail, with more noise.
        exponent: a number >= 0 that tempers the weights (see above).
        dimension: `m`; `None` estimates it from the codes with
            `intrinsic_dimension`.
        sample: passed to `model.encode`; for a VAE, use draws from q(z|x)
            instead of the posterior means.
        seed: seed of those draws.
        chunk_size: codes whose distances to all the others are held in memory
            at once (`chunk_size * N` floats); only speed and memory depend on it.

    Returns:
        A float64 array of shape `(N,)`: positive, finite, with mean 1. No
        weight is below exp(-700) times the largest, so none is 0.

    Raises:
        ValueError: the images are not images, the codes are not a finite
            `(N, latent_dim)` array, or an argument is out of range.

    Example:

    >>> weights = density_weights(vae, x_train)  # (N,), mean 1
    >>> rarest = np.argsort(weights)[-16:]  # the images with the fewest look-alikes
    """
    x = check_images(x)
    codes = _check_codes(model.encode(x, sample=sample, seed=seed), len(x))
    return weights_from_codes(codes, neighbours=neighbours, exponent=exponent, dimension=dimension,
                              chunk_size=chunk_size)


def weights_from_codes(codes, neighbours=None, exponent=1.0, dimension=None, chunk_size=512):
    """The weights of `density_weights`, computed from codes that are already at hand.

    Args:
        codes: array of shape `(N, latent_dim)`, finite, N >= 3.
        neighbours, exponent, dimension, chunk_size: as in `density_weights`.

    Returns:
        A float64 array of shape `(N,)`: positive, finite, with mean 1.

    Example:

    >>> codes = np.concatenate([rng.normal(size=(1000, 2)), rng.normal(size=(100, 2)) + 10])
    >>> weights = weights_from_codes(codes)  # the last 100 weigh about 10 times more
    """
    codes = _check_codes(codes)
    n = len(codes)
    if neighbours is None:
        neighbours = int(min(n - 1, max(10, round(0.01 * n))))
    if isinstance(neighbours, bool) or not isinstance(neighbours, (int, np.integer)) or not 2 <= neighbours < n:
        raise ValueError(
            f"Expected `neighbours` to be an integer between 2 and the number of examples minus 1 ({n - 1}). "
            f"Received: neighbours={neighbours!r}"
        )
    if isinstance(exponent, bool) or not isinstance(exponent, (int, float, np.integer, np.floating)) or not (
        np.isfinite(exponent) and exponent >= 0
    ):
        raise ValueError(f"Expected `exponent` to be a finite number >= 0. Received: exponent={exponent!r}")
    if dimension is not None and (
        isinstance(dimension, bool)
        or not isinstance(dimension, (int, float, np.integer, np.floating))
        or not (np.isfinite(dimension) and dimension > 0)
    ):
        raise ValueError(f"Expected `dimension` to be None or a finite number > 0. Received: dimension={dimension!r}")
    distances = neighbour_distances(codes, neighbours, chunk_size=chunk_size)  # (N, k), ascending
    if dimension is None:
        dimension = _levina_bickel(distances[:, :_DIMENSION_NEIGHBOURS])
    log_weights = float(dimension) * float(exponent) * np.log(distances[:, -1])  # (N,)
    # Relative to the largest weight, in (0, 1]; floored at exp(-700) so that none underflows to 0.
    weights = np.exp(np.maximum(log_weights - log_weights.max(), _LOWEST_LOG_WEIGHT))
    return weights / weights.mean()


def neighbour_distances(codes, neighbours, chunk_size=512):
    """Returns each code's distances to its `neighbours` nearest other codes, nearest first.

    A code is not its own neighbour, but an identical copy of it is (at
    distance 0). The codes are searched `chunk_size` at a time, so memory grows
    with `chunk_size * N` and not with `N * N`.
    Distances are floored at 1e-12 so that their logarithms are finite.

    Args:
        codes: array of shape `(N, latent_dim)`, finite.
        neighbours: an integer in 1 .. N - 1.
        chunk_size: a positive integer.

    Returns:
        A float64 array of shape `(N, neighbours)`, each row ascending.

    Example:

    >>> neighbour_distances(np.array([[0.0], [1.0], [3.0]]), 1)[:, 0]
    array([1., 1., 2.])
    """
    codes = _check_codes(codes, min_count=2)
    n = len(codes)
    if isinstance(neighbours, bool) or not isinstance(neighbours, (int, np.integer)) or not 1 <= neighbours < n:
        raise ValueError(
            f"Expected `neighbours` to be an integer between 1 and the number of codes minus 1 ({n - 1}). "
            f"Received: neighbours={neighbours!r}"
        )
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"Expected `chunk_size` to be a positive integer. Received: chunk_size={chunk_size!r}")
    # The search runs in float32 (half the memory and time of float64); the distances
    # to the neighbours found are then computed exactly, in float64.
    search = (codes - codes.mean(axis=0)).astype(np.float32)  # centred: less rounding
    squared_norms = np.sum(search**2, axis=1)  # (N,)
    distances = np.empty((n, neighbours))
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        rows = np.arange(stop - start)
        # ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b; the row's own ||a||^2 does not change
        # which codes are nearest to it, so it is left out.
        partial = search[start:stop] @ search.T  # (chunk, N)
        partial *= -2.0
        partial += squared_norms[None, :]
        partial[rows, rows + start] = np.inf  # a code is not its own neighbour
        nearest = np.argpartition(partial, neighbours - 1, axis=1)[:, :neighbours]  # (chunk, k), unordered
        differences = codes[nearest] - codes[start:stop, None, :]  # (chunk, k, latent_dim)
        distances[start:stop] = np.sort(np.sqrt(np.sum(differences**2, axis=-1)), axis=1)
    return np.maximum(distances, _TINY_DISTANCE)


def intrinsic_dimension(codes, neighbours=_DIMENSION_NEIGHBOURS, chunk_size=512):
    """Estimates the dimension of the set the codes fill (Levina & Bickel 2005).

    Near a code, the number of codes within a radius r grows like r^m for a
    set of dimension m. The maximum-likelihood estimate of m from the distances
    r_1 <= ... <= r_k to the k nearest neighbours of every code i is, pooled
    over the codes as MacKay and Ghahramani suggest,

        m = 1 / mean_i [ (1 / (k - 1)) * sum_{j < k} log(r_k(i) / r_j(i)) ].

    Codes on a plane inside a 16-D space give about 2; a VAE's posterior
    means give about the number of latent dimensions it uses.

    Args:
        codes: array of shape `(N, latent_dim)`, finite.
        neighbours: k, an integer in 2 .. N - 1.
        chunk_size: as in `neighbour_distances`.

    Returns:
        A positive float.

    Example:

    >>> plane = np.zeros((2000, 16)); plane[:, :2] = rng.normal(size=(2000, 2))
    >>> round(intrinsic_dimension(plane))
    2
    """
    codes = _check_codes(codes)
    n = len(codes)
    if isinstance(neighbours, bool) or not isinstance(neighbours, (int, np.integer)) or not 2 <= neighbours < n:
        raise ValueError(
            f"Expected `neighbours` to be an integer between 2 and the number of codes minus 1 ({n - 1}). "
            f"Received: neighbours={neighbours!r}"
        )
    return _levina_bickel(neighbour_distances(codes, neighbours, chunk_size=chunk_size))


def _levina_bickel(distances):
    """The pooled Levina-Bickel estimate from sorted neighbour distances of shape (N, k)."""
    log_ratios = np.log(distances[:, -1:] / distances[:, :-1])  # (N, k - 1), each >= 0
    mean = float(np.mean(log_ratios))
    if not np.isfinite(mean) or mean <= 0:
        raise ValueError(
            "Could not estimate the dimension of the codes: every code's nearest neighbours are all at the "
            "same distance (are the codes identical?). Pass `dimension=` yourself."
        )
    return 1.0 / mean


def inclusion_probabilities(weights, size):
    """Turns weights into the probabilities with which each example enters a subset of `size`.

    Each probability is proportional to the weight, `c * weight`, except that
    no probability can exceed 1: examples whose weight is that large are taken
    for certain, and `c` is chosen so that the probabilities add up to `size`.
    (With the weights of `density_weights`, the subset is as flat as a subset
    of that size can be.)

    Args:
        weights: 1-D array of non-negative finite numbers, at least `size` of them positive.
        size: an integer in 1 .. len(weights).

    Returns:
        A float64 array of the shape of `weights`, values in [0, 1], summing to `size`.

    Example:

    >>> inclusion_probabilities(np.array([1.0, 1.0, 1.0, 9.0]), 2)
    array([0.33333333, 0.33333333, 0.33333333, 1.        ])
    """
    weights = np.asarray(weights)
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(f"Expected `weights` to be a non-empty 1-D array. Received: weights.shape={weights.shape}")
    if not (np.issubdtype(weights.dtype, np.floating) or np.issubdtype(weights.dtype, np.integer)):
        raise ValueError(f"Expected `weights` to hold numbers. Received: weights.dtype={weights.dtype}")
    weights = weights.astype(np.float64)
    if not np.isfinite(weights).all():
        raise ValueError(
            f"Expected finite weights; {int(np.sum(~np.isfinite(weights)))} of them are NaN or infinite."
        )
    if (weights < 0).any():
        raise ValueError(f"Expected weights >= 0. Received: the smallest weight is {weights.min()}")
    n = weights.size
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= n:
        raise ValueError(
            f"Expected `size` to be an integer between 1 and the number of examples ({n}). Received: size={size!r}"
        )
    positive = int(np.count_nonzero(weights))
    if positive < size:
        raise ValueError(
            f"Expected at least `size` positive weights, to choose {size} distinct examples. "
            f"Received: {positive} positive weights, size={size}"
        )
    # Capping: the m largest weights are taken for certain when the next one's share
    # of what is left, (size - m) * w_(m) / sum of the rest, is at most 1.
    descending = np.sort(weights)[::-1]
    rest = np.cumsum(descending[::-1])[::-1]  # rest[m] = sum of descending[m:]
    m = np.arange(size)
    capped = int(np.argmax((size - m) * descending[:size] <= rest[:size]))
    probabilities = np.minimum(1.0, weights * (size - capped) / rest[capped])
    return probabilities


def balanced_subset(model, x, size, seed=0, weights=None, neighbours=None, exponent=1.0, sample=False):
    """Chooses `size` distinct examples of `x` so that the subset flattens the density of codes.

    Each example enters with a probability proportional to its
    `density_weights` (capped at 1, see `inclusion_probabilities`), so rare
    kinds of image are kept more often than common ones. The draw is systematic
    sampling in a random order: the examples are shuffled, their probabilities
    laid end to end on a line of length `size`, and the examples under `size`
    points spaced 1 apart (from a random start) are taken. That gives exactly
    `size` distinct examples, each with its probability. No label is used.

    Args:
        model: as in `density_weights`; not used when `weights` are given.
        x: images of shape `(N, 28, 28, 1)`, float values in [0, 1].
        size: how many examples to choose, an integer in 1 .. N.
        seed: the same seed (and weights) gives the same subset.
        weights: the weights of `density_weights(model, x)` when already
            computed (they take a while on tens of thousands of images);
            `None` computes them.
        neighbours, exponent, sample: passed to `density_weights`.

    Returns:
        A sorted int64 array of `size` distinct indices into `x`.

    Raises:
        ValueError: bad images, a `size` out of range, or weights that are not
            one finite non-negative number per image.

    Example:

    >>> chosen = balanced_subset(vae, x_train, 6000, seed=0)
    >>> x_balanced = x_train[chosen]
    """
    x = check_images(x)
    n = len(x)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= n:
        raise ValueError(
            f"Expected `size` to be an integer between 1 and the number of examples ({n}). Received: size={size!r}"
        )
    if weights is None:
        weights = density_weights(model, x, neighbours=neighbours, exponent=exponent, sample=sample, seed=seed)
    weights = np.asarray(weights)
    if weights.shape != (n,):
        raise ValueError(
            f"Expected one weight per image, of shape ({n},). Received: weights.shape={weights.shape}"
        )
    probabilities = inclusion_probabilities(weights, size)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    ends = np.cumsum(probabilities[order])  # (N,): example order[i] covers (ends[i-1], ends[i]]
    ends *= size / ends[-1]  # exactly `size` long, whatever the rounding
    start = rng.uniform()
    # The points start, start + 1, ... : an example is taken when its stretch holds one.
    # A stretch is at most 1 long, so it holds at most one point: the examples are distinct.
    crossings = np.floor(ends - start) - np.floor(np.concatenate([[0.0], ends[:-1]]) - start)  # (N,)
    chosen = order[crossings > 0]
    if chosen.size != size:  # only if rounding stretched a probability of 1 over two points
        rest = np.setdiff1d(np.arange(n), chosen)
        extra = rest[np.argsort(-probabilities[rest], kind="stable")[: max(size - chosen.size, 0)]]
        chosen = np.concatenate([chosen, extra])[:size]
    return np.sort(chosen).astype(np.int64)


def per_class_recall(labels, predictions, num_classes=None):
    """The recall of each class: the share of its examples that were predicted as it.

    Args:
        labels: 1-D array of true integer labels in 0 .. num_classes - 1.
        predictions: 1-D array of predicted labels, of the same length.
        num_classes: how many classes; `None` takes the largest label or
            prediction plus 1.

    Returns:
        A float64 array of shape `(num_classes,)`; NaN for a class with no
        example in `labels`.

    Example:

    >>> per_class_recall(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))
    array([0.5, 1. ])
    """
    labels, predictions = _check_labels(labels, predictions)
    if num_classes is None:
        num_classes = int(max(labels.max(), predictions.max())) + 1
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"Expected `num_classes` to be a positive integer. Received: num_classes={num_classes!r}")
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

    Unlike the accuracy, it gives every class the same say, however many test
    examples it has; on a test set with equal classes the two agree.

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
            raise ValueError(f"Expected `{name}` to be a non-empty 1-D array. Received: {name}.shape={array.shape}")
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


def _check_codes(codes, count=None, min_count=3):
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] < 1:
        raise ValueError(f"Expected codes of shape (N, latent_dim). Received: codes.shape={codes.shape}")
    if count is not None and codes.shape[0] != count:
        raise ValueError(
            f"Expected the model to return one code per image ({count}). Received: codes.shape={codes.shape}"
        )
    if codes.shape[0] < min_count:
        raise ValueError(
            f"Expected at least {min_count} codes to estimate a density. Received: codes.shape={codes.shape}"
        )
    if not (np.issubdtype(codes.dtype, np.floating) or np.issubdtype(codes.dtype, np.integer)):
        raise ValueError(f"Expected numeric codes. Received: codes.dtype={codes.dtype}")
    codes = codes.astype(np.float64)
    if not np.isfinite(codes).all():
        raise ValueError(f"Expected finite codes; {int(np.sum(~np.isfinite(codes)))} values are NaN or infinite.")
    return codes
