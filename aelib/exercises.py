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
