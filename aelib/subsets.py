"""Subsets of a data set that even out the kinds of image, without a label.

- `cluster_quotas` and `balanced_subset(method="clusters")`, the default: equal
  quotas over k-means clusters of the codes (`aelib.clustering`).
- `inclusion_probabilities` and `balanced_subset(method="density")`: each image
  enters with a probability proportional to its density weight
  (`aelib.density`), so that the subset's codes are spread evenly.

notebooks/05_imbalance.ipynb measures both against a random subset of the same
size, as paired differences over ten seeds (pool, VAE and clustering retrained
per seed), on pools of 10,000 Fashion-MNIST images with rare classes ten
times rarer, at labelling budgets of 300 to 4,000 images. When it helps and
when it does not, in balanced accuracy of a linear classifier:

- The cluster quotas (the default, K = sqrt(N / 2)) gained +0.028 +- 0.023 at
  300 images and +0.028 +- 0.026 at 600 where the rare classes look unlike the
  common ones (trousers, shoes, dresses among tops); at 1,500 and 4,000, and
  at every budget where the rare classes resemble common ones (pullovers,
  coats, shirts among T-shirts), the gain was too close to call (+0.011 +-
  0.013 at 300). They were never worse than random beyond the noise. At 300
  images that is 23% (unlike) and 14% (alike) of what balancing with the
  labels gained (+0.121 and +0.077).
- The same quotas on whitened principal components of the pixels, with no
  generative model, did as well or better at every budget: pass your own
  `clusters` (`cluster_codes(features, number_of_clusters(N))`) to use them.
- The density method lost at small budgets on both kinds of imbalance
  (-0.080 and -0.128 at 300 with the density of generated codes): it favours
  odd images, and what the model fails to generate.
"""

import numpy as np

from aelib.checks import check_choice, check_codes, check_integer, check_weights
from aelib.clustering import cluster_codes, number_of_clusters
from aelib.data import check_images
from aelib.density import density_weights


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
    weights = check_weights(weights)
    size = check_integer(size, "size", high=weights.size, high_is="the number of examples")
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
    if (
        sizes.ndim != 1
        or sizes.size == 0
        or not np.issubdtype(sizes.dtype, np.integer)
        or (sizes < 0).any()
    ):
        raise ValueError(
            "Expected `cluster_sizes` to be a non-empty 1-D array of integers >= 0. "
            f"Received: shape={sizes.shape}, dtype={sizes.dtype}"
        )
    sizes = sizes.astype(np.int64)
    size = check_integer(size, "size", high=int(sizes.sum()), high_is="the number of examples")
    # The level q at which sum(min(sizes, q)) first reaches `size`: every cluster gets min(size, q).
    ascending = np.sort(sizes)
    below = np.concatenate(
        [[0], np.cumsum(ascending)[:-1]]
    )  # sum of the clusters smaller than each
    remaining = len(sizes) - np.arange(len(sizes))  # clusters from each one upward
    reached = below + ascending * remaining  # places filled with the level at each cluster's size
    first = int(np.argmax(reached >= size))
    level = (size - below[first]) // remaining[
        first
    ]  # a whole quota for every cluster not yet full
    quotas = np.minimum(sizes, level)
    extra = size - int(quotas.sum())  # fewer than the clusters still open
    open_clusters = np.flatnonzero(sizes > level)
    order = open_clusters[np.argsort(-sizes[open_clusters], kind="stable")]
    quotas[order[:extra]] += 1
    return quotas


def balanced_subset(
    model,
    x,
    size,
    seed=0,
    method="clusters",
    num_clusters=None,
    clusters=None,
    weights=None,
    neighbours=None,
    exponent=1.0,
    draw=False,
):
    """Chooses `size` distinct examples of `x`, even over the kinds of image the model tells apart.

    Two methods, neither of which uses a label:

    - `"clusters"` (the default): the codes of `model.encode(x)` are grouped
      into `num_clusters` clusters by k-means (`cluster_codes`), every
      cluster gets the same quota (`cluster_quotas`: a small cluster gives
      all it has and its unused places go to the others), and each cluster's
      examples are drawn uniformly at random. It balances over *kinds*: a
      small gain at small labelling budgets where the rare kinds look unlike
      the common ones, none measurable otherwise, never a loss beyond the
      noise (the module docstring has the numbers).
    - `"density"`: each example enters with a probability proportional to a
      density weight (capped at 1, see `inclusion_probabilities`), so the
      subset flattens the density of codes (it trained worse classifiers
      than a random subset at small budgets); the weights are those of
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
        num_clusters: with `"clusters"`, how many clusters, an integer in 1 .. N;
            `None` (the default) takes `number_of_clusters(N)`, sqrt(N / 2).
        clusters: with `"clusters"`, one cluster id (integer >= 0) per
            example when already computed (`cluster_codes`); `None` computes
            them.
        weights: with `"density"`, one finite non-negative weight per example
            when already computed; `None` computes `density_weights`.
        neighbours, exponent, draw: with `"density"`, passed to
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
    size = check_integer(size, "size", high=n, high_is="the number of examples")
    check_choice(method, "method", ("clusters", "density"))
    if method == "clusters":
        if weights is not None:
            raise ValueError(
                '`weights` are used by method="density" only; pass method="density" with them.'
            )
        return _cluster_subset(model, x, size, seed, num_clusters, clusters)
    if clusters is not None:
        raise ValueError('`clusters` are used by method="clusters" only.')
    if weights is None:
        weights = density_weights(model, x, neighbours, exponent, draw=draw, seed=seed)
    weights = np.asarray(weights)
    if weights.shape != (n,):
        raise ValueError(
            f"Expected one weight per image, of shape ({n},). "
            f"Received: weights.shape={weights.shape}"
        )
    probabilities = inclusion_probabilities(weights, size)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    ends = np.cumsum(probabilities[order])  # (N,): example order[i] covers (ends[i-1], ends[i]]
    ends *= size / ends[-1]  # exactly `size` long, whatever the rounding
    start = rng.uniform()
    # The points start, start + 1, ... : an example is taken when its stretch holds one.
    # A stretch is at most 1 long, so it holds at most one point: the examples are distinct.
    crossings = np.floor(ends - start) - np.floor(
        np.concatenate([[0.0], ends[:-1]]) - start
    )  # (N,)
    chosen = order[crossings > 0]
    if chosen.size != size:  # only if rounding stretched a probability of 1 over two points
        rest = np.setdiff1d(np.arange(n), chosen)
        extra = rest[np.argsort(-probabilities[rest], kind="stable")[: max(size - chosen.size, 0)]]
        chosen = np.concatenate([chosen, extra])[:size]
    return np.sort(chosen).astype(np.int64)


def _cluster_subset(model, x, size, seed, num_clusters, clusters):
    """The "clusters" method of `balanced_subset`: equal quotas over k-means clusters of codes."""
    n = len(x)
    if clusters is None:
        codes = check_codes(model.encode(x), count=n, min_count=1)
        if num_clusters is None:
            num_clusters = number_of_clusters(n)
        clusters = cluster_codes(codes, num_clusters, seed=seed)
    clusters = np.asarray(clusters)
    if (
        clusters.shape != (n,)
        or not np.issubdtype(clusters.dtype, np.integer)
        or (clusters < 0).any()
    ):
        raise ValueError(
            f"Expected one cluster id (an integer >= 0) per image, of shape ({n},). "
            f"Received: clusters.shape={clusters.shape}, dtype={clusters.dtype}"
        )
    quotas = cluster_quotas(np.bincount(clusters), size)
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(clusters == j), quota, replace=False)
        for j, quota in enumerate(quotas)
        if quota > 0
    ]
    return np.sort(np.concatenate(chosen)).astype(np.int64)
