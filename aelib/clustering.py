"""Kinds of image without labels: k-means clusters of the codes.

`cluster_codes` groups an encoder's codes with k-means from a k-means++ start
(SciPy's `kmeans2`); `aelib.subsets` gives every cluster the same quota of a
subset. `number_of_clusters` is the label-free rule that sets how many.
"""

import numpy as np
from scipy.cluster.vq import kmeans2

from aelib.checks import check_codes, check_integer


def cluster_codes(codes, num_clusters, seed=0, iterations=50):
    """Groups the codes into `num_clusters` clusters with k-means; returns each code's cluster.

    k-means (Lloyd's algorithm) from a k-means++ start (Arthur & Vassilvitskii
    2007), as SciPy's `kmeans2` runs it: the first centre is a random code,
    each further one a code drawn with probability proportional to its squared
    distance from the nearest centre so far. Then, `iterations` times, every
    code joins its nearest centre and every centre moves to the mean of its
    codes. No label is used: the clusters are the kinds of image the encoder
    tells apart.

    Args:
        codes: array of shape `(N, latent_dim)`, finite.
        num_clusters: an integer in 1 .. N.
        seed: seed of the k-means++ start.
        iterations: rounds of Lloyd's algorithm, a positive integer.

    Returns:
        An int64 array of shape `(N,)` with values in 0 .. num_clusters - 1.
        A cluster can end up empty, rarely (SciPy then warns).

    Raises:
        ValueError: the codes are not a finite `(N, latent_dim)` array, or an
            argument is out of range.

    Example:

    >>> cluster = cluster_codes(vae.encode(x_train), 30)
    >>> np.bincount(cluster)  # how many images of each kind
    """
    codes = check_codes(codes, min_count=1)
    high_is = "the number of codes"
    num_clusters = check_integer(num_clusters, "num_clusters", high=len(codes), high_is=high_is)
    iterations = check_integer(iterations, "iterations")
    rng = np.random.default_rng(seed)
    _, cluster = kmeans2(codes, num_clusters, iter=iterations, minit="++", seed=rng)
    return cluster.astype(np.int64)


def number_of_clusters(num_codes):
    """How many clusters for `num_codes` codes: the rule of thumb sqrt(N / 2), rounded.

    A rule that sees no label (Mardia, Kent & Bibby 1979, p. 365): each
    cluster then holds about sqrt(2 N) codes, so the clusters grow in number
    and in size together. Chapter 5 fixes it once, before any measurement,
    for every pool, budget and imbalance: 71 clusters for 10,000 codes.

    Args:
        num_codes: an integer >= 1.

    Returns:
        An int in 1 .. num_codes.

    Example:

    >>> number_of_clusters(10000)
    71
    """
    num_codes = check_integer(num_codes, "num_codes")
    return max(1, int(round(np.sqrt(num_codes / 2))))
