"""Checks for the exercises in which the reader writes a piece of a model.

Each `check_*` function calls the reader's function on fixed random inputs,
compares the result with aelib's own, and returns a short verdict (it also
prints it). An unfinished exercise -- a function that returns None or raises
NotImplementedError -- gets a reminder, not a traceback, so a chapter still
runs top to bottom before the reader has solved anything.
"""

import numpy as np
from keras import ops

from aelib.divergences import gaussian_kl, mmd
from aelib.losses import bernoulli_nll


def check_reparameterization(fn, seed=0):
    """Checks `fn(z_mean, z_log_var, noise)`, which should return z = mean + std * noise."""
    rng = np.random.default_rng(seed)
    z_mean, z_log_var, noise = rng.normal(size=(3, 64, 4)).astype(np.float32)
    expected = z_mean + np.exp(0.5 * z_log_var) * noise
    return _verdict("reparameterization", fn, (z_mean, z_log_var, noise), expected)


def check_gaussian_kl(fn, seed=0):
    """Checks `fn(z_mean, z_log_var)` against `aelib.divergences.gaussian_kl`."""
    rng = np.random.default_rng(seed)
    z_mean, z_log_var = rng.normal(size=(2, 64, 4)).astype(np.float32)
    expected = ops.convert_to_numpy(gaussian_kl(z_mean, z_log_var))
    return _verdict("gaussian_kl", fn, (z_mean, z_log_var), expected)


def check_bernoulli_nll(fn, seed=0):
    """Checks `fn(x, logits)` against `aelib.losses.bernoulli_nll`."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(8, 28, 28, 1)).astype(np.float32)
    logits = (4 * rng.normal(size=(8, 28, 28, 1))).astype(np.float32)
    expected = ops.convert_to_numpy(bernoulli_nll(x, logits))
    return _verdict("bernoulli_nll", fn, (x, logits), expected)


def check_mmd(fn, kernel="imq", seed=0):
    """Checks `fn(x, y)` against `aelib.divergences.mmd(x, y, kernel=kernel)` (the unbiased estimate)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = (rng.normal(size=(60, 3)) + 0.5).astype(np.float32)
    expected = ops.convert_to_numpy(mmd(x, y, kernel=kernel))
    return _verdict("mmd", fn, (x, y), expected)


def _verdict(name, fn, args, expected):
    try:
        result = fn(*args)
    except NotImplementedError:
        result = None
    if result is None:
        message = f"Not done yet: your {name} returned None. Fill in the function and run this cell again."
    else:
        result = np.asarray(ops.convert_to_numpy(result), dtype=np.float64)
        expected = np.asarray(expected, dtype=np.float64)
        if result.shape != expected.shape:
            message = f"Not yet: your {name} has shape {result.shape}; aelib's has shape {expected.shape}."
        elif np.allclose(result, expected, rtol=1e-4, atol=1e-4):
            message = f"Correct: your {name} matches aelib's on these inputs."
        else:
            worst = float(np.max(np.abs(result - expected)))
            message = f"Not yet: your {name} differs from aelib's by up to {worst:.4g}."
    print(message)
    return message


def check_frechet_distance(fn, features=None, seed=0):
    """Checks `fn(features_a, features_b)` against `aelib.metrics.frechet_distance`.

    The inputs: random features of different sizes, among them a set of only 20
    rows, where dividing the covariance by N instead of N - 1 shows; and, when
    `features` is given as a pair `(features_a, features_b)`, that pair too (a
    chapter passes the classifier features of real images).
    """
    from aelib.metrics import frechet_distance  # here, not at the top: metrics loads the classifier module

    rng = np.random.default_rng(seed)
    pairs = [
        (rng.normal(size=(500, 8)), 0.5 * rng.normal(size=(400, 8)) @ rng.normal(size=(8, 8)) + 1.0),
        (rng.normal(size=(20, 4)), 2.0 * rng.normal(size=(30, 4))),
    ]
    if features is not None:
        pairs.append(tuple(np.asarray(f, dtype=np.float64) for f in features))
    for a, b in pairs:
        try:
            result = fn(a, b)
        except NotImplementedError:
            result = None
        if result is None:
            message = "Not done yet: your frechet_distance returned None. Fill in the function and run this cell again."
            break
        result = float(np.real(np.asarray(ops.convert_to_numpy(result))))
        expected = frechet_distance(a, b)
        if not np.isclose(result, expected, rtol=1e-4, atol=1e-6):
            message = (
                f"Not yet: on features of shapes {a.shape} and {b.shape} your frechet_distance gives "
                f"{result:.6g}; aelib's gives {expected:.6g}."
            )
            break
    else:
        message = f"Correct: your frechet_distance matches aelib's on all {len(pairs)} pairs of features."
    print(message)
    return message


def check_knn_weights(fn, seed=0):
    """Checks `fn(codes, k, dimension)` against `aelib.rebalance.weights_from_codes` (chapter 5)."""
    from aelib.rebalance import weights_from_codes  # here, so that this chapter's check stays in one place

    rng = np.random.default_rng(seed)
    codes = np.concatenate([rng.normal(size=(200, 3)), rng.normal(size=(20, 3)) + 6])
    expected = weights_from_codes(codes, neighbours=10, dimension=3.0)
    return _verdict("knn weights", fn, (codes, 10, 3.0), expected)
