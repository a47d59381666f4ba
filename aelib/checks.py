"""Argument checks, one line each where they are used, so that a function's math comes first.

Each check raises the `ValueError` a caller's mistake deserves (what was wrong,
what was expected, `Received: name=value`) and returns the value, converted:

>>> size = check_integer(size, "size", high=len(x), high_is="the number of examples")
"""

import numpy as np


def check_integer(value, name, low=1, high=None, high_is=None):
    """Returns `value` as an int if it is a whole number from `low` to `high`; raises if not.

    Args:
        value: the argument to check; `True` and `2.0` are refused, NumPy integers accepted.
        name: the argument's name, for the message.
        low: the smallest value allowed.
        high: the largest value allowed; `None` for no limit.
        high_is: what `high` is, for the message (e.g. `"the number of codes"`).

    Example:

    >>> check_integer(0, "latent_dim")
    Traceback (most recent call last):
    ValueError: Expected `latent_dim` to be a positive integer. Received: latent_dim=0
    """
    if high is not None:
        limit = f"{high_is} ({high})" if high_is else f"{high}"
        expected = f"an integer between {low} and {limit}"
    else:
        expected = "a positive integer" if low == 1 else f"an integer >= {low}"
    is_integer = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not is_integer or value < low or (high is not None and value > high):
        raise ValueError(f"Expected `{name}` to be {expected}. Received: {name}={value!r}")
    return int(value)


def check_number(value, name, low=0.0, strict=False, none_ok=False):
    """Returns `value` as a float if it is a finite number >= `low` (> if `strict`); raises if not.

    Args:
        value: the argument to check; booleans and strings are refused.
        name: the argument's name, for the message.
        low: the lower limit.
        strict: refuse `low` itself.
        none_ok: let `None` through (it is returned as it is).

    Example:

    >>> check_number(-1.0, "kl_weight")
    Traceback (most recent call last):
    ValueError: Expected `kl_weight` to be a finite number >= 0. Received: kl_weight=-1.0
    """
    if none_ok and value is None:
        return None
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )
    if not is_number or not np.isfinite(value) or value < low or (strict and value == low):
        expected = f"a finite number {'>' if strict else '>='} {low:g}"
        expected = "None or " + expected if none_ok else expected
        raise ValueError(f"Expected `{name}` to be {expected}. Received: {name}={value!r}")
    return float(value)


def check_choice(value, name, choices):
    """Returns `value` if it is one of `choices`; raises ValueError if not."""
    if value not in choices:
        raise ValueError(f"Expected `{name}` to be one of {choices}. Received: {name}={value!r}")
    return value


def check_codes(codes, count=None, min_count=3, width=None, name="codes"):
    """Returns codes as a finite float64 array of shape (N, latent_dim); raises ValueError if not.

    Args:
        codes: array-like of shape `(N, latent_dim)`.
        count: the N expected (one code per image), or `None`.
        min_count: the fewest codes allowed.
        width: the latent_dim expected (that of other codes), or `None`.
        name: what to call them in the message.
    """
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] < 1 or codes.shape[1] != (width or codes.shape[1]):
        expected = f"(N, {width})" if width else "(N, latent_dim)"
        raise ValueError(
            f"Expected {name} of shape {expected}. Received: {name}.shape={codes.shape}"
        )
    if count is not None and codes.shape[0] != count:
        raise ValueError(
            f"Expected the model to return one code per image ({count}). "
            f"Received: {name}.shape={codes.shape}"
        )
    if codes.shape[0] < min_count:
        raise ValueError(
            f"Expected at least {min_count} codes to estimate a density. "
            f"Received: {name}.shape={codes.shape}"
        )
    if not (np.issubdtype(codes.dtype, np.floating) or np.issubdtype(codes.dtype, np.integer)):
        raise ValueError(f"Expected numeric {name}. Received: {name}.dtype={codes.dtype}")
    codes = codes.astype(np.float64)
    if not np.isfinite(codes).all():
        bad = int(np.sum(~np.isfinite(codes)))
        raise ValueError(f"Expected finite {name}; {bad} values are NaN or infinite.")
    return codes


def check_distances(distances):
    """Returns neighbour distances as a float64 array (N, k), k >= 2, finite and positive."""
    distances = np.asarray(distances, dtype=np.float64)
    if distances.ndim != 2 or distances.shape[1] < 2 or distances.shape[0] < 1:
        raise ValueError(
            "Expected distances of shape (N, k) with k >= 2. "
            f"Received: distances.shape={distances.shape}"
        )
    if not np.isfinite(distances).all() or (distances <= 0).any():
        raise ValueError("Expected finite, positive distances (as `neighbour_distances` returns).")
    return distances


def check_weights(weights):
    """Returns weights as a non-empty 1-D float64 array of finite numbers >= 0; raises if not."""
    weights = np.asarray(weights)
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(
            "Expected `weights` to be a non-empty 1-D array. "
            f"Received: weights.shape={weights.shape}"
        )
    if not (np.issubdtype(weights.dtype, np.floating) or np.issubdtype(weights.dtype, np.integer)):
        raise ValueError(
            f"Expected `weights` to hold numbers. Received: weights.dtype={weights.dtype}"
        )
    weights = weights.astype(np.float64)
    if not np.isfinite(weights).all():
        bad = int(np.sum(~np.isfinite(weights)))
        raise ValueError(f"Expected finite weights; {bad} of them are NaN or infinite.")
    if (weights < 0).any():
        raise ValueError(f"Expected weights >= 0. Received: the smallest weight is {weights.min()}")
    return weights
