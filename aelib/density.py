"""How rare is each image? Weights from the density of its code among the others.

An encoder trained on a data set places images that look alike near each other
in latent space. Where a kind of image is rare, its codes are sparse: the ball
around a code that holds its `k` nearest neighbours is wide. `density_weights`
turns that into one weight per image, larger where the data are rarer, with the
k-NN density estimate (Loftsgaarden & Quesenberry 1965) and the exponent set to
the intrinsic dimension of the codes (Levina & Bickel 2005) rather than to
`latent_dim`; `generated_weights` estimates the density of the images the model
generates instead. No label is used. `aelib.subsets` draws subsets with the
weights; notebooks/05_imbalance.ipynb measures how well that balances the data.

What no density estimate does is balance kinds of image exactly: flattening the
density spreads a subset evenly over the *volume* the codes occupy, and a kind
with more images also reaches further into its tails.
"""

import numpy as np

from aelib.checks import check_codes, check_distances, check_integer, check_number
from aelib.data import check_images
from aelib.neighbours import DIMENSION_NEIGHBOURS, dimension_from_distances, neighbour_distances

# No weight is smaller than exp(-700) times the largest (exp(-745) would underflow to 0).
LOWEST_LOG_WEIGHT = -700.0


def density_weights(
    model, x, neighbours=None, exponent=1.0, dimension=None, draw=False, seed=0, chunk_size=512
):
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

    Why this estimator: it was measured against a Gaussian kernel density
    estimate and per-dimension histograms on clusters with a known answer and on
    codes like those of notebooks/05_imbalance.ipynb, which tells the story.

    Args:
        model: a trained model with `encode(x, draw=False, seed=None)` that
            returns codes of shape `(N, latent_dim)` (the `VAE`'s posterior
            means, or draws from q(z|x) with `draw=True`; the `WAE`'s codes).
        x: images of shape `(N, 28, 28, 1)`, float values in [0, 1], N >= 3.
        neighbours: `k`, an integer in 2 .. N - 1. The default is 1% of N (at
            least 10, at most N - 1): the ball around a code then spans a
            kind of image rather than its closest look-alikes. A smaller `k`
            sees finer detail, with more noise.
        exponent: a number >= 0 that tempers the weights (see above).
        dimension: `m`; `None` estimates it from the codes with
            `intrinsic_dimension`.
        draw: passed to `model.encode`; for a VAE, use draws from q(z|x)
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
    codes = check_codes(model.encode(check_images(x), draw=draw, seed=seed), count=len(x))
    return weights_from_codes(codes, neighbours, exponent, dimension, chunk_size=chunk_size)


def weights_from_codes(
    codes, neighbours=None, exponent=1.0, dimension=None, chunk_size=512, reference=None
):
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
    codes = check_codes(codes)
    if reference is None:
        n, what = len(codes) - 1, "the number of examples minus 1"
    else:
        reference = check_codes(reference, width=codes.shape[1], name="reference")
        n, what = len(reference), "the number of reference codes"
    if neighbours is None:  # 1% of the codes (at least 10)
        neighbours = int(min(n, max(10, round(0.01 * (n + (reference is None))))))
    neighbours = check_integer(neighbours, "neighbours", low=2, high=n, high_is=what)
    exponent = check_number(exponent, "exponent")
    dimension = check_number(dimension, "dimension", strict=True, none_ok=True)
    distances = neighbour_distances(codes, neighbours, chunk_size=chunk_size, reference=reference)
    return weights_from_distances(distances, exponent=exponent, dimension=dimension)  # (N,)


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
    distances = check_distances(distances)  # (N, K)
    columns = "the number of columns of `distances`"
    neighbours = distances.shape[1] if neighbours is None else neighbours
    neighbours = check_integer(neighbours, "neighbours", high=distances.shape[1], high_is=columns)
    exponent = check_number(exponent, "exponent")
    dimension = check_number(dimension, "dimension", strict=True, none_ok=True)
    if dimension is None:
        dimension = dimension_from_distances(distances[:, :DIMENSION_NEIGHBOURS])

    log_weights = dimension * exponent * np.log(distances[:, neighbours - 1])  # (N,)
    # Relative to the largest weight, in (0, 1]; floored at exp(-700) so that none underflows to 0.
    weights = np.exp(np.maximum(log_weights - log_weights.max(), LOWEST_LOG_WEIGHT))
    return weights / weights.mean()


def generated_weights(
    model,
    x,
    num_generated=None,
    neighbours=20,
    exponent=1.0,
    dimension=None,
    seed=0,
    chunk_size=512,
):
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
        model: a trained model with `encode(x)` and `sample(n, seed=None)`,
            which generates `n` images (the `VAE`, the `WAE`).
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
    num_generated = len(x) if num_generated is None else num_generated
    num_generated = check_integer(num_generated, "num_generated", low=3)
    codes = check_codes(model.encode(x), count=len(x))
    generated = np.asarray(model.sample(num_generated, seed=seed))  # images the model makes
    generated_codes = check_codes(model.encode(generated), count=num_generated)
    return weights_from_codes(
        codes, neighbours, exponent, dimension, chunk_size=chunk_size, reference=generated_codes
    )
