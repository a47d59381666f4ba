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

Two later additions, measured in the chapter on a VAE trained for 10 epochs on
the 33,000 images of that imbalanced set:

- `generated_weights` searches the neighbours among the codes of images the
  model generates (33,000 of them) instead of among the training codes. The
  rare classes' geometric-mean weight over the common classes' was 5.1 to 5.3
  for every k from 5 to 320, where the training codes gave 1.5 at k = 5,
  rising to 4.5 only at k = 320; the rank correlation of the weights at k and
  at 2k reached 0.99 at k = 20 with the generated codes and at no k up to 320
  with the training codes. Hence its default, k = 20.
- `balanced_subset` now defaults to equal quotas over k-means clusters of the
  codes (`method="clusters"`, 30 clusters). Flattening the density, with
  either estimate, gave the rare classes about 25% of a subset of 4,000 but
  *lowered* the balanced accuracy of a classifier trained on it, against a
  random subset of the same seed; the cluster quotas gave them less of the
  subset and raised it, beyond the spread over ten seeds (the chapter's
  table prints the paired differences).
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


def weights_from_codes(codes, neighbours=None, exponent=1.0, dimension=None, chunk_size=512, reference=None):
    """The weights of `density_weights`, computed from codes that are already at hand.

    With `reference` codes (for example those of images a model generated,
    see `generated_weights`), `r_k` is the distance from each code to its
    `k`-th nearest *reference* code: the density estimated is then that of
    the reference sample, at the places of the codes.

    Args:
        codes: array of shape `(N, latent_dim)`, finite, N >= 3.
        neighbours, exponent, dimension, chunk_size: as in `density_weights`;
            with `reference`, `neighbours` is at most the number of reference
            codes and its default is 1% of them.
        reference: `None` (the codes are their own reference), or an array of
            shape `(M, latent_dim)`, finite, M >= 3.

    Returns:
        A float64 array of shape `(N,)`: positive, finite, with mean 1.

    Example:

    >>> codes = np.concatenate([rng.normal(size=(1000, 2)), rng.normal(size=(100, 2)) + 10])
    >>> weights = weights_from_codes(codes)  # the last 100 weigh about 10 times more
    """
    codes = _check_codes(codes)
    if reference is None:
        n, what = len(codes) - 1, "the number of examples minus 1"
    else:
        reference = _check_codes(reference)
        n, what = len(reference), "the number of reference codes"
    if neighbours is None:
        neighbours = int(min(n, max(10, round(0.01 * (n + (reference is None))))))
    if isinstance(neighbours, bool) or not isinstance(neighbours, (int, np.integer)) or not 2 <= neighbours <= n:
        raise ValueError(
            f"Expected `neighbours` to be an integer between 2 and {what} ({n}). "
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
    distances = neighbour_distances(codes, neighbours, chunk_size=chunk_size, reference=reference)  # (N, k)
    return weights_from_distances(distances, exponent=exponent, dimension=dimension)


def weights_from_distances(distances, neighbours=None, exponent=1.0, dimension=None):
    """The weights of `weights_from_codes`, from neighbour distances already at hand.

    Useful to compare several `k` at the cost of one neighbour search: the
    weights for `k` are `weights_from_distances(distances, neighbours=k)`,
    and every `k` uses the same estimate of the dimension.

    Args:
        distances: array of shape `(N, K)`, each row ascending and positive,
            as `neighbour_distances` returns; `K >= 2`. The first 20 columns
            (or all, if fewer) estimate the dimension when `dimension` is None.
        neighbours: `k`, an integer in 1 .. K: column `k - 1` is `r_k`;
            `None` takes the last column.
        exponent, dimension: as in `density_weights`.

    Returns:
        A float64 array of shape `(N,)`: positive, finite, with mean 1.

    Raises:
        ValueError: distances that are not a finite positive `(N, k)` array
            with `k >= 2`, or an argument out of range.

    Example:

    >>> distances = neighbour_distances(codes, 100)
    >>> weights = {k: weights_from_distances(distances, neighbours=k) for k in (10, 30, 100)}
    """
    distances = np.asarray(distances, dtype=np.float64)
    if distances.ndim != 2 or distances.shape[1] < 2 or distances.shape[0] < 1:
        raise ValueError(f"Expected distances of shape (N, k) with k >= 2. Received: distances.shape={distances.shape}")
    if not np.isfinite(distances).all() or (distances <= 0).any():
        raise ValueError("Expected finite, positive distances (as `neighbour_distances` returns).")
    if neighbours is None:
        neighbours = distances.shape[1]
    if (isinstance(neighbours, bool) or not isinstance(neighbours, (int, np.integer))
            or not 1 <= neighbours <= distances.shape[1]):
        raise ValueError(
            f"Expected `neighbours` to be an integer between 1 and the number of columns of `distances` "
            f"({distances.shape[1]}). Received: neighbours={neighbours!r}"
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
    if dimension is None:
        dimension = _levina_bickel(distances[:, :_DIMENSION_NEIGHBOURS])
    log_weights = float(dimension) * float(exponent) * np.log(distances[:, neighbours - 1])  # (N,)
    # Relative to the largest weight, in (0, 1]; floored at exp(-700) so that none underflows to 0.
    weights = np.exp(np.maximum(log_weights - log_weights.max(), _LOWEST_LOG_WEIGHT))
    return weights / weights.mean()


def generated_weights(model, x, num_generated=None, neighbours=20, exponent=1.0, dimension=None, seed=0,
                      chunk_size=512):
    """Returns one weight per image from the density of codes of images the model *generates*.

    The model draws `num_generated` images (decoded prior draws) and encodes
    them; around each training code, `r_k` is the distance to its `k`-th
    nearest code of a generated image, and the weight is `r_k ** (m *
    exponent)` rescaled to mean 1, as in `density_weights`. It estimates the
    inverse of the density the model has learnt, `1 / p_model(z)`, rather
    than that of the training codes themselves. A generative model smooths
    its training data: its samples have none of the fine clumps of near
    duplicates that a training set holds, so a small `k` already measures
    how common a *kind* of image is (notebooks/05_imbalance.ipynb measures
    this against `density_weights`). No label is used.

    Args:
        model: a trained model with `encode(x, sample=False, seed=None)` and
            `sample(num_samples, seed=None)` (the `VAE`, the `WAE`).
        x: images of shape `(N, 28, 28, 1)`, float values in [0, 1], N >= 3.
        num_generated: how many images to generate, an integer >= 3;
            `None` generates N.
        neighbours: `k`, an integer in 2 .. num_generated. The default, 20, is
            where the chapter's ranking of the weights stopped changing with
            `k` (doubling `k` left the rank correlation above 0.99).
        exponent, dimension, chunk_size: as in `density_weights` (`dimension`
            is estimated from the distances to the generated codes).
        seed: seed of the generated images.

    Returns:
        A float64 array of shape `(N,)`: positive, finite, with mean 1.

    Raises:
        ValueError: bad images, a `num_generated` that is not an integer >= 3,
            codes that are not finite `(N, latent_dim)` arrays, or an
            argument out of range.

    Example:

    >>> weights = generated_weights(vae, x_train, num_generated=len(x_train))
    """
    x = check_images(x)
    if num_generated is None:
        num_generated = len(x)
    if isinstance(num_generated, bool) or not isinstance(num_generated, (int, np.integer)) or num_generated < 3:
        raise ValueError(
            f"Expected `num_generated` to be None or an integer >= 3. Received: num_generated={num_generated!r}"
        )
    codes = _check_codes(model.encode(x), len(x))
    generated = np.asarray(model.sample(int(num_generated), seed=seed))
    generated_codes = _check_codes(model.encode(generated), int(num_generated))
    return weights_from_codes(codes, neighbours=neighbours, exponent=exponent, dimension=dimension,
                              chunk_size=chunk_size, reference=generated_codes)


def neighbour_distances(codes, neighbours, chunk_size=512, reference=None):
    """Returns each code's distances to its `neighbours` nearest other codes, nearest first.

    The neighbours are searched among the codes themselves, or among the
    `reference` codes when they are given (for example the codes of images a
    model generated). Among the codes themselves, a code is not its own
    neighbour, but an identical copy of it is (at distance 0). The codes are searched `chunk_size` at a time, so memory grows
    with `chunk_size * N` and not with `N * N`.
    Distances are floored at 1e-12 so that their logarithms are finite.

    Args:
        codes: array of shape `(N, latent_dim)`, finite.
        neighbours: an integer in 1 .. N - 1 (1 .. M with a `reference` of M codes).
        chunk_size: a positive integer.
        reference: `None`, or an array of shape `(M, latent_dim)`, finite.

    Returns:
        A float64 array of shape `(N, neighbours)`, each row ascending.

    Example:

    >>> neighbour_distances(np.array([[0.0], [1.0], [3.0]]), 1)[:, 0]
    array([1., 1., 2.])
    """
    codes = _check_codes(codes, min_count=1 if reference is not None else 2)
    n = len(codes)
    if reference is None:
        targets, available, what = codes, n - 1, "the number of codes minus 1"
    else:
        targets = _check_codes(reference, min_count=1)
        if targets.shape[1] != codes.shape[1]:
            raise ValueError(
                f"Expected reference codes of the codes' width ({codes.shape[1]}). "
                f"Received: reference.shape={targets.shape}"
            )
        available, what = len(targets), "the number of reference codes"
    if isinstance(neighbours, bool) or not isinstance(neighbours, (int, np.integer)) or not 1 <= neighbours <= available:
        raise ValueError(
            f"Expected `neighbours` to be an integer between 1 and {what} ({available}). "
            f"Received: neighbours={neighbours!r}"
        )
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"Expected `chunk_size` to be a positive integer. Received: chunk_size={chunk_size!r}")
    # The search runs in float32 (half the memory and time of float64); the distances
    # to the neighbours found are then computed exactly, in float64.
    centre = targets.mean(axis=0)
    queries = (codes - centre).astype(np.float32)  # centred: less rounding
    search = (targets - centre).astype(np.float32)
    squared_norms = np.sum(search**2, axis=1)  # (M,)
    distances = np.empty((n, neighbours))
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        rows = np.arange(stop - start)
        # ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b; the row's own ||a||^2 does not change
        # which codes are nearest to it, so it is left out.
        partial = queries[start:stop] @ search.T  # (chunk, M)
        partial *= -2.0
        partial += squared_norms[None, :]
        if reference is None:
            partial[rows, rows + start] = np.inf  # a code is not its own neighbour
        nearest = np.argpartition(partial, neighbours - 1, axis=1)[:, :neighbours]  # (chunk, k), unordered
        differences = targets[nearest] - codes[start:stop, None, :]  # (chunk, k, latent_dim)
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


def cluster_codes(codes, num_clusters, seed=0, iterations=50, chunk_size=4096):
    """Groups the codes into `num_clusters` clusters with k-means; returns each code's cluster.

    k-means (Lloyd's algorithm) from a k-means++ start (Arthur & Vassilvitskii
    2007): the first centre is a random code, each further one a code drawn
    with probability proportional to its squared distance from the nearest
    centre so far. Then, until no code changes cluster (or `iterations`
    rounds): every code joins its nearest centre, and every centre moves to
    the mean of its codes. A cluster that loses all its codes is restarted at
    the code furthest from its centre. No label is used: the clusters are
    the kinds of image the encoder tells apart.

    Args:
        codes: array of shape `(N, latent_dim)`, finite.
        num_clusters: an integer in 1 .. N.
        seed: seed of the k-means++ start.
        iterations: the most rounds of Lloyd's algorithm, a positive integer.
        chunk_size: codes whose distances to all the centres are computed at
            once; only speed and memory depend on it.

    Returns:
        An int64 array of shape `(N,)` with values in 0 .. num_clusters - 1,
        every one of them used.

    Raises:
        ValueError: the codes are not a finite `(N, latent_dim)` array, or an
            argument is out of range.

    Example:

    >>> cluster = cluster_codes(vae.encode(x_train), 30)
    >>> np.bincount(cluster)  # how many images of each kind
    """
    codes = _check_codes(codes, min_count=1)
    n = len(codes)
    if isinstance(num_clusters, bool) or not isinstance(num_clusters, (int, np.integer)) or not 1 <= num_clusters <= n:
        raise ValueError(
            f"Expected `num_clusters` to be an integer between 1 and the number of codes ({n}). "
            f"Received: num_clusters={num_clusters!r}"
        )
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 1:
        raise ValueError(f"Expected `iterations` to be a positive integer. Received: iterations={iterations!r}")
    rng = np.random.default_rng(seed)
    centres = np.empty((num_clusters, codes.shape[1]))
    centres[0] = codes[rng.integers(n)]
    nearest = np.sum((codes - centres[0]) ** 2, axis=1)  # (N,) squared distance to the nearest centre
    for j in range(1, num_clusters):
        total = nearest.sum()
        pick = rng.choice(n, p=nearest / total) if total > 0 else rng.integers(n)
        centres[j] = codes[pick]
        nearest = np.minimum(nearest, np.sum((codes - centres[j]) ** 2, axis=1))
    cluster = np.full(n, -1)
    for _ in range(int(iterations)):
        new, distance = _nearest_centres(codes, centres, chunk_size)
        for j in np.flatnonzero(np.bincount(new, minlength=num_clusters) == 0):  # an empty cluster restarts
            far = int(np.argmax(distance))
            new[far], distance[far] = j, 0.0
        if np.array_equal(new, cluster):
            break
        cluster = new
        counts = np.bincount(cluster, minlength=num_clusters)  # (K,), all >= 1
        sums = np.zeros_like(centres)
        np.add.at(sums, cluster, codes)
        centres = sums / counts[:, None]
    return cluster.astype(np.int64)


def _nearest_centres(codes, centres, chunk_size):
    """Each code's nearest centre and its squared distance to it."""
    cluster = np.empty(len(codes), dtype=np.int64)
    distance = np.empty(len(codes))
    centre_norms = np.sum(centres**2, axis=1)  # (K,)
    for start in range(0, len(codes), chunk_size):
        block = codes[start : start + chunk_size]
        squared = np.sum(block**2, axis=1)[:, None] - 2.0 * block @ centres.T + centre_norms[None, :]  # (chunk, K)
        cluster[start : start + len(block)] = np.argmin(squared, axis=1)
        distance[start : start + len(block)] = np.maximum(np.min(squared, axis=1), 0.0)
    return cluster, distance


def cluster_quotas(cluster_sizes, size):
    """How many examples to take from each cluster so that the clusters are as even as they can be.

    Every cluster gets the same quota, except that a cluster smaller than its
    quota gives all it has and the places it leaves are shared out among the
    others ("water filling"). When the places do not divide evenly, the
    largest clusters get the one extra each (ties: the first clusters).

    Args:
        cluster_sizes: 1-D array of non-negative integers, how many examples
            each cluster holds; they add up to at least `size`.
        size: an integer >= 1.

    Returns:
        An int64 array of the shape of `cluster_sizes`: each quota between 0
        and its cluster's size, adding up to `size`.

    Raises:
        ValueError: sizes that are not non-negative integers, or a `size`
            out of range.

    Example:

    >>> cluster_quotas(np.array([100, 5, 100]), 45)
    array([20,  5, 20])
    """
    sizes = np.asarray(cluster_sizes)
    if sizes.ndim != 1 or sizes.size == 0 or not np.issubdtype(sizes.dtype, np.integer) or (sizes < 0).any():
        raise ValueError(
            "Expected `cluster_sizes` to be a non-empty 1-D array of integers >= 0. "
            f"Received: shape={sizes.shape}, dtype={sizes.dtype}"
        )
    sizes = sizes.astype(np.int64)
    total = int(sizes.sum())
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= total:
        raise ValueError(
            f"Expected `size` to be an integer between 1 and the number of examples ({total}). Received: size={size!r}"
        )
    # The level q at which sum(min(sizes, q)) first reaches `size`: every cluster gets min(size, q).
    ascending = np.sort(sizes)
    below = np.concatenate([[0], np.cumsum(ascending)[:-1]])  # sum of the clusters smaller than each
    remaining = len(sizes) - np.arange(len(sizes))  # clusters from each one upward
    reached = below + ascending * remaining  # places filled with the level at each cluster's size
    first = int(np.argmax(reached >= size))
    level = (size - below[first]) // remaining[first]  # a whole quota for every cluster not yet full
    quotas = np.minimum(sizes, level)
    extra = size - int(quotas.sum())  # fewer than the clusters still open
    open_clusters = np.flatnonzero(sizes > level)
    order = open_clusters[np.argsort(-sizes[open_clusters], kind="stable")]
    quotas[order[:extra]] += 1
    return quotas


def balanced_subset(model, x, size, seed=0, method="clusters", num_clusters=30, clusters=None, weights=None,
                    neighbours=None, exponent=1.0, sample=False):
    """Chooses `size` distinct examples of `x`, evened out over the kinds of image the model tells apart.

    Two methods, neither of which uses a label:

    - `"clusters"` (the default): the codes of `model.encode(x)` are grouped
      into `num_clusters` clusters by k-means (`cluster_codes`), every
      cluster gets the same quota (`cluster_quotas`: a small cluster gives
      all it has and its unused places go to the others), and each cluster's
      examples are drawn uniformly at random. It balances over *kinds*, and
      it was the only label-free method whose classifiers beat those of a
      random subset, beyond the spread over seeds, in
      notebooks/05_imbalance.ipynb.
    - `"density"`: each example enters with a probability proportional to a
      density weight (capped at 1, see `inclusion_probabilities`), so the
      subset flattens the density of codes; the weights are those of
      `density_weights` unless given (for example from `generated_weights`).
      The draw is systematic sampling in a random order: the examples are
      shuffled, their probabilities laid end to end on a line of length
      `size`, and the examples under `size` points spaced 1 apart (from a
      random start) are taken. That gives exactly `size` distinct examples,
      each with its probability.

    Args:
        model: as in `density_weights`; not used when `clusters` (or, with
            `"density"`, `weights`) are given.
        x: images of shape `(N, 28, 28, 1)`, float values in [0, 1].
        size: how many examples to choose, an integer in 1 .. N.
        seed: the same seed (and inputs) gives the same subset; it also seeds
            the k-means start.
        method: `"clusters"` or `"density"`.
        num_clusters: with `"clusters"`, how many clusters, an integer in 1 .. N.
        clusters: with `"clusters"`, one cluster id (integer >= 0) per
            example when already computed (`cluster_codes`); `None` computes
            them.
        weights: with `"density"`, one finite non-negative weight per example
            when already computed; `None` computes `density_weights`.
        neighbours, exponent, sample: with `"density"`, passed to
            `density_weights`.

    Returns:
        A sorted int64 array of `size` distinct indices into `x`.

    Raises:
        ValueError: bad images, a `size` or `method` out of range, an
            argument given that the method does not use, or clusters or
            weights that are not one valid value per image.

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
    if method == "clusters":
        if weights is not None:
            raise ValueError('`weights` are used by method="density" only; pass method="density" with them.')
        return _cluster_subset(model, x, size, seed, num_clusters, clusters)
    if method != "density":
        raise ValueError(f'Expected `method` to be "clusters" or "density". Received: method={method!r}')
    if clusters is not None:
        raise ValueError('`clusters` are used by method="clusters" only.')
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


def _cluster_subset(model, x, size, seed, num_clusters, clusters):
    """The "clusters" method of `balanced_subset`: equal quotas over k-means clusters of the codes."""
    n = len(x)
    if clusters is None:
        codes = _check_codes(model.encode(x), n, min_count=1)
        clusters = cluster_codes(codes, num_clusters, seed=seed)
    clusters = np.asarray(clusters)
    if clusters.shape != (n,) or not np.issubdtype(clusters.dtype, np.integer) or (clusters < 0).any():
        raise ValueError(
            f"Expected one cluster id (an integer >= 0) per image, of shape ({n},). "
            f"Received: clusters.shape={clusters.shape}, dtype={clusters.dtype}"
        )
    quotas = cluster_quotas(np.bincount(clusters), size)
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(clusters == j), quota, replace=False)
              for j, quota in enumerate(quotas) if quota > 0]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


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
