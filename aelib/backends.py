"""Which Keras backends aelib trusts, and a clear refusal where it does not.

With jax 0.8.1 and Keras 3.13, a model trained with `fit` on the JAX backend
came out broken while its training log looked normal: the default VAE reached a
test negative ELBO of 23,682 nats against 247 on TensorFlow, and a plain Keras
`Dense` autoencoder scored worse after training than before. jax 0.10.2 trains
the same models to within 0.1% of TensorFlow. `scripts/jax_check.py` is the
small reproduction; run it to test another release on your machine.

`check_backend()` runs before every `fit`, so a broken stack fails at once with
the fix in the message instead of training weights that are silently wrong.
"""

import os

import keras

# Releases reported to train wrong weights with `fit` (see the module docstring).
# Every release of this series is refused, not only the one found: they share
# the compiler that produced it.
BROKEN_JAX_SERIES = ("0.8",)
FIX = 'pip install "jax[cpu]>=0.9.0"  (the book pins jax 0.10.2 in requirements.txt)'
OVERRIDE = "AELIB_ALLOW_BROKEN_JAX"


def jax_version():
    """The installed jax's version string, or None when jax is not installed."""
    try:
        import jax
    except ImportError:
        return None
    return jax.__version__


def known_broken(version):
    """True when `version` (a string such as "0.8.1") is of a series that trains wrong weights."""
    if not isinstance(version, str) or not version:
        raise ValueError(
            f"Expected a version string such as '0.8.1'. Received: version={version!r}"
        )
    series = ".".join(version.split(".")[:2])
    return series in BROKEN_JAX_SERIES


def check_backend():
    """Raises RuntimeError when Keras runs on a jax release known to train wrong weights.

    Only the JAX backend is checked. Set the environment variable
    `AELIB_ALLOW_BROKEN_JAX=1` to train anyway (for example to reproduce the bug).
    """
    if keras.backend.backend() != "jax" or os.environ.get(OVERRIDE) == "1":
        return
    version = jax_version()
    if version is not None and known_broken(version):
        raise RuntimeError(
            f"aelib refuses to train on jax {version}: with Keras's `fit`, "
            f"jax {version.rsplit('.', 1)[0]}.x was found to train wrong weights while the "
            "training log looks normal. "
            f"Upgrade: {FIX}; or use the TensorFlow backend (KERAS_BACKEND=tensorflow). "
            f"To train anyway, set {OVERRIDE}=1."
        )


def check_batches(num_images, batch_size, name="x"):
    """Raises ValueError when a data-parallel run on JAX cannot split every batch evenly.

    Under `keras.distribution.DataParallel` each batch is cut into one equal
    share per device, the last, shorter batch of an epoch too; JAX's own error
    for an uneven cut names array shardings, not the fix.

    Args:
        num_images: how many images are passed to `fit` (or `evaluate`).
        batch_size: the batch size passed with them (Keras's default is 32).
        name: the argument's name, for the message.
    """
    distribution = keras.distribution.distribution() if keras.backend.backend() == "jax" else None
    if not isinstance(distribution, keras.distribution.DataParallel):
        return
    devices = int(distribution.device_mesh.devices.size)
    batch_size = 32 if batch_size is None else int(batch_size)
    last = num_images % batch_size
    if batch_size % devices:
        problem, fix = (
            f"batches of {batch_size} images",
            f"Choose a batch_size that is a multiple of {devices}",
        )
    elif last % devices:
        keep = num_images - last % devices
        problem, fix = (
            f"a last batch of {last} images",
            f"Use {keep} of them (for example `{name}[:{keep}]`)",
        )
    else:
        return
    raise ValueError(
        f"On {devices} devices (keras.distribution.DataParallel) every batch must split into "
        f"{devices} equal shares, the last batch of an epoch too. Received: {name} with "
        f"{num_images} images and batch_size={batch_size}, so {problem}. {fix}."
    )
