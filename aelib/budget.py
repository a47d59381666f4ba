"""The training budget of a chapter: full, or small enough for CI.

Every chapter asks `budget(full=..., fast=...)` for its epochs and image
counts. Setting the environment variable `AELIB_FAST=1` switches all of them to
the fast values at once, so the whole book runs in minutes (that is how CI runs
it); without it a chapter trains for real.
"""

import os

_OFF = ("", "0", "false", "no", "off")


def fast_mode():
    """Returns True when the environment variable `AELIB_FAST` asks for the fast budget."""
    return os.environ.get("AELIB_FAST", "").strip().lower() not in _OFF


def budget(full, fast):
    """Returns `fast` in fast mode (`AELIB_FAST=1`), else `full`.

    Args:
        full: the value a reader's real run uses (epochs, number of images, ...).
        fast: the value for a quick check that the chapter runs end to end.

    Example:

    >>> epochs = budget(full=30, fast=1)
    """
    return fast if fast_mode() else full
