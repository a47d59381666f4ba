"""The k nearest neighbours of codes, and the dimension of the set the codes fill.

`neighbour_distances` finds, for each code, the distances to its k nearest
codes (or to the k nearest of a reference sample) by brute force, a block of
codes at a time: on tens of thousands of 16-D codes that is faster than a
KD-tree. `intrinsic_dimension` reads from those distances how many dimensions
the codes really use (Levina & Bickel 2005). `aelib.density` builds its weights
on both.
"""

import numpy as np

from aelib.checks import check_codes, check_integer

# Distances are floored here before logarithms, so that duplicate codes do not give log(0).
TINY_DISTANCE = 1e-12
# The intrinsic dimension is estimated from this many nearest neighbours at most.
DIMENSION_NEIGHBOURS = 20


def neighbour_distances(codes, neighbours, chunk_size=512, reference=None):
    """Returns each code's distances to its `neighbours` nearest other codes, nearest first.

    The neighbours are searched among the codes themselves, or among the
    `reference` codes when they are given (for example the codes of images a
    model generated). Among the codes themselves, a code is not its own
    neighbour, but an identical copy of it is (at distance 0). The codes are
    searched `chunk_size` at a time, so memory grows with `chunk_size * N` and
    not with `N * N`. Distances are floored at 1e-12 so that their logarithms
    are finite.

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
    codes = check_codes(codes, min_count=2 if reference is None else 1)
    if reference is None:  # a code is not its own neighbour
        targets, available, what = codes, len(codes) - 1, "the number of codes minus 1"
    else:
        targets = check_codes(reference, min_count=1, width=codes.shape[1], name="reference")
        available, what = len(targets), "the number of reference codes"
    neighbours = check_integer(neighbours, "neighbours", high=available, high_is=what)
    chunk_size = check_integer(chunk_size, "chunk_size")
    n = len(codes)
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
        nearest = np.argpartition(partial, neighbours - 1, axis=1)[
            :, :neighbours
        ]  # (chunk, k), unordered
        differences = targets[nearest] - codes[start:stop, None, :]  # (chunk, k, latent_dim)
        distances[start:stop] = np.sort(np.sqrt(np.sum(differences**2, axis=-1)), axis=1)
    return np.maximum(distances, TINY_DISTANCE)


def intrinsic_dimension(codes, neighbours=DIMENSION_NEIGHBOURS, chunk_size=512):
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
    codes = check_codes(codes)
    high_is = "the number of codes minus 1"
    neighbours = check_integer(
        neighbours, "neighbours", low=2, high=len(codes) - 1, high_is=high_is
    )
    return dimension_from_distances(neighbour_distances(codes, neighbours, chunk_size=chunk_size))


def dimension_from_distances(distances):
    """The estimate of `intrinsic_dimension` from neighbour distances already at hand.

    Args:
        distances: array of shape `(N, k)`, k >= 2, each row ascending and
            positive, as `neighbour_distances` returns.

    Returns:
        A positive float.
    """
    log_ratios = np.log(distances[:, -1:] / distances[:, :-1])  # (N, k - 1), each >= 0
    mean = float(np.mean(log_ratios))
    if not np.isfinite(mean) or mean <= 0:
        raise ValueError(
            "Could not estimate the dimension of the codes: every code's nearest neighbours are "
            "all at the same distance (are the codes identical?). Pass `dimension=` yourself."
        )
    return 1.0 / mean
