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
    """Checks `fn(z_mean, z_log_var, noise)`, which should return z = mean + std * noise.

    The log-variances run from -6 to 6, so that a standard deviation
    exp(z_log_var / 2) and a variance exp(z_log_var) are far apart, and the
    verdict names that slip, and the log-variance used as a standard deviation.
    """
    rng = np.random.default_rng(seed)
    z_mean, noise = rng.normal(size=(2, 64, 4)).astype(np.float32)
    z_log_var = rng.uniform(-6.0, 6.0, size=(64, 4)).astype(np.float32)
    expected = z_mean + np.exp(0.5 * z_log_var) * noise
    slips = [
        (
            z_mean + np.exp(z_log_var) * noise,
            "you multiply the noise by the variance exp(z_log_var); "
            "the standard deviation is exp(z_log_var / 2).",
        ),
        (
            z_mean + z_log_var * noise,
            "you multiply the noise by z_log_var itself; "
            "the standard deviation is exp(z_log_var / 2).",
        ),
        (
            z_mean + np.exp(-0.5 * z_log_var) * noise,
            "you multiply the noise by exp(-z_log_var / 2), "
            "one over the standard deviation; the standard deviation is exp(z_log_var / 2).",
        ),
    ]
    return _verdict("reparameterization", fn, (z_mean, z_log_var, noise), expected, slips=slips)


def check_gaussian_kl(fn, seed=0):
    """Checks `fn(z_mean, z_log_var)` against `aelib.divergences.gaussian_kl`.

    The answer must have shape (batch,), one value per example; the first
    example is the prior itself, whose divergence is 0. The verdict names the
    usual slips: a missing factor 1/2, a sign of the log-variance term, a
    missing -1, and the log-variance read as a log standard deviation.
    """
    rng = np.random.default_rng(seed)
    z_mean, z_log_var = rng.normal(size=(2, 64, 4)).astype(np.float32)
    z_mean[0], z_log_var[0] = 0.0, 0.0  # q = p: KL 0
    expected = ops.convert_to_numpy(gaussian_kl(z_mean, z_log_var))
    variance, square = np.exp(z_log_var), z_mean**2
    slips = [
        (2 * expected, "yours is twice aelib's: the sum over dimensions is multiplied by 1/2."),
        (
            0.5 * np.sum(variance + square - 1 + z_log_var, axis=-1),
            "the log-variance enters with a minus sign: "
            "1/2 sum (exp(z_log_var) + z_mean^2 - 1 - z_log_var).",
        ),
        (
            0.5 * np.sum(variance + square - z_log_var, axis=-1),
            "the -1 is missing: without it the divergence of the prior to itself is not 0.",
        ),
        (
            0.5 * np.sum(np.exp(2 * z_log_var) + square - 1 - 2 * z_log_var, axis=-1),
            "you read z_log_var as the log of the standard deviation; "
            "it is the log of the variance.",
        ),
    ]
    return _verdict("gaussian_kl", fn, (z_mean, z_log_var), expected, slips=slips)


def check_bernoulli_nll(fn, seed=0):
    """Checks `fn(x, logits)` against `aelib.losses.bernoulli_nll`.

    Three sets of inputs: logits of moderate size, and images whose logits reach
    +-100 and +-1000, confidently right and confidently wrong on pixels of exactly 0
    and 1 as well as grey ones. Taking the log of sigmoid(logits) fails at +-100: in
    float32 the sigmoid of 100 rounds to exactly 1. `log1p(exp(logits))` fails at +-1000,
    even in float64, where exp overflows past about 709.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(8, 28, 28, 1)).astype(np.float32)
    x[:, :4] = np.round(x[:, :4])  # some pixels exactly 0 or 1
    logits = (4 * rng.normal(size=(8, 28, 28, 1))).astype(np.float32)
    signs = np.where(rng.uniform(size=logits.shape) < 0.5, 1.0, -1.0).astype(np.float32)
    cases = [("logits of moderate size", x, logits)]
    cases += [(f"logits of +-{size}", x, size * signs) for size in (100, 1000)]
    for where, images, case_logits in cases:
        expected = ops.convert_to_numpy(bernoulli_nll(images, case_logits))
        message = _compare("bernoulli_nll", _call(fn, (images, case_logits)), expected)
        if message.startswith("Not yet"):
            message = f"{message[:-1]} (on {where})."
            if "not finite" in message and "1000" in where:
                message += " exp(1000) overflows even in float64: never exponentiate a large logit."
            elif "not finite" in message:
                message += " Compute it from the logits, without taking the log of a probability."
        if not message.startswith("Correct"):
            break
    else:
        message = (
            "Correct: your bernoulli_nll matches aelib's, also for logits of +-100 and +-1000."
        )
    print(message)
    return message


def check_mmd(fn, kernel="imq", seed=0):
    """Checks `fn(x, y)` against `aelib.divergences.mmd(x, y, kernel=kernel)` (unbiased)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(50, 3)).astype(np.float32)
    y = (rng.normal(size=(60, 3)) + 0.5).astype(np.float32)
    expected = ops.convert_to_numpy(mmd(x, y, kernel=kernel))
    return _verdict("mmd", fn, (x, y), expected)


def _verdict(name, fn, args, expected, slips=()):
    """Prints and returns the verdict on `fn(*args)`; `slips` pairs wrong answers with hints."""
    message = _compare(name, _call(fn, args), expected, slips)
    print(message)
    return message


_UNFINISHED = object()  # what `_call` returns for a stub that still raises NotImplementedError


def _call(fn, args):
    try:
        return fn(*args)
    except NotImplementedError:
        return _UNFINISHED


def _not_done(name, result):
    """The reminder for an unfinished answer, or None when there is a result to check."""
    if result is _UNFINISHED:
        return f"Not done yet: your {name} is not filled in. Write it and run this cell again."
    if result is None:
        return (
            f"Not done yet: your {name} returned None. Return the result and run this cell again."
        )
    return None


def _compare(name, result, expected, slips=()):
    if _not_done(name, result):
        return _not_done(name, result)
    result = np.asarray(ops.convert_to_numpy(result), dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if result.shape != expected.shape:
        return f"Not yet: your {name} has shape {result.shape}; aelib's has shape {expected.shape}."
    if not np.isfinite(result).all():
        return f"Not yet: your {name} is not finite (inf or nan) on some of these inputs."
    if np.allclose(result, expected, rtol=1e-4, atol=1e-4):
        return f"Correct: your {name} matches aelib's on these inputs."
    for wrong, hint in slips:
        if np.allclose(result, np.asarray(wrong, dtype=np.float64), rtol=1e-4, atol=1e-4):
            return f"Not yet: {hint}"
    worst = float(np.max(np.abs(result - expected)))
    return f"Not yet: your {name} differs from aelib's by up to {worst:.4g}."


def check_frechet_distance(fn, features=None, seed=0):
    """Checks `fn(features_a, features_b)` against `aelib.frechet.frechet_distance`.

    The inputs: random features of different sizes, among them a set of only 20
    rows, where dividing the covariance by N instead of N - 1 shows; and, when
    `features` is given as a pair `(features_a, features_b)`, that pair too (a
    chapter passes the classifier features of real images).
    """
    from aelib.frechet import (
        frechet_distance,
    )  # here, not at the top: it loads the classifier module

    rng = np.random.default_rng(seed)
    pairs = [
        (
            rng.normal(size=(500, 8)),
            0.5 * rng.normal(size=(400, 8)) @ rng.normal(size=(8, 8)) + 1.0,
        ),
        (rng.normal(size=(20, 4)), 2.0 * rng.normal(size=(30, 4))),
    ]
    if features is not None:
        pairs.append(tuple(np.asarray(f, dtype=np.float64) for f in features))
    for a, b in pairs:
        try:
            result = fn(a, b)
        except NotImplementedError:
            result = None
        if _not_done("frechet_distance", result):
            message = _not_done("frechet_distance", result)
            break
        result = float(np.real(np.asarray(ops.convert_to_numpy(result))))
        expected = frechet_distance(a, b)
        if not np.isclose(result, expected, rtol=1e-4, atol=1e-6):
            message = (
                f"Not yet: on features of shapes {a.shape} and {b.shape} your frechet_distance "
                f"gives {result:.6g}; aelib's gives {expected:.6g}."
            )
            break
    else:
        message = (
            f"Correct: your frechet_distance matches aelib's on all {len(pairs)} pairs of features."
        )
    print(message)
    return message


def check_knn_weights(fn, seed=0):
    """Checks `fn(codes, k, dimension)` against `aelib.density.weights_from_codes` (chapter 5)."""
    from aelib.density import (
        weights_from_codes,
    )  # here, so that this chapter's check stays in one place

    rng = np.random.default_rng(seed)
    codes = np.concatenate([rng.normal(size=(200, 3)), rng.normal(size=(20, 3)) + 6])
    # dimension 2 for codes of width 3: an intrinsic dimension need not be the codes' width
    expected = weights_from_codes(codes, neighbours=10, dimension=2.0)
    slips = [
        (
            weights_from_codes(codes, neighbours=10, dimension=3.0),
            "your weights use the codes' width, codes.shape[1], as the exponent; use `dimension`.",
        )
    ]
    return _verdict("knn weights", fn, (codes, 10, 2.0), expected, slips)
