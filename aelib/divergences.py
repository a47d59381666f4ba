"""How far a code distribution is from the prior: the Gaussian KL and the MMD.

The VAE pulls each image's posterior q(z|x) = N(z_mean, exp(z_log_var)) towards
the prior N(0, I) with a closed-form KL divergence, one number per image.

The WAE instead compares the whole cloud of codes with draws from the prior,
using the maximum mean discrepancy (MMD) with a kernel summed over several
scales. The defaults follow the WAE paper's code: the inverse multiquadratics
(IMQ) kernel with C_s = 2 * d * s for d latent dimensions, because the prior has
variance 1 in each dimension.

Everything here is written with `keras.ops`, so it runs on every Keras backend
and inside a compiled train step.
"""

import keras
from keras import ops

DEFAULT_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def gaussian_kl(z_mean, z_log_var):
    """KL divergence from N(z_mean, exp(z_log_var)) to the prior N(0, I), per example.

    For a diagonal Gaussian the divergence has a closed form, summed over the
    latent dimensions (the last axis):

        KL = 0.5 * sum_j (exp(z_log_var_j) + z_mean_j^2 - 1 - z_log_var_j)

    It is 0 exactly when `z_mean` is 0 and `z_log_var` is 0, and positive
    otherwise.

    Args:
        z_mean: tensor of shape `(batch, latent_dim)`, the posterior means.
        z_log_var: tensor of the same shape, the log-variances.

    Returns:
        A tensor of shape `(batch,)`, in nats.

    Example:

    >>> z_mean = keras.ops.zeros((2, 3))
    >>> z_log_var = keras.ops.zeros((2, 3))
    >>> keras.ops.convert_to_numpy(gaussian_kl(z_mean, z_log_var))
    array([0., 0.], dtype=float32)
    """
    z_mean, z_log_var = as_float_tensors(z_mean, z_log_var)
    mean_shape, log_var_shape = ops.shape(z_mean), ops.shape(z_log_var)
    if len(mean_shape) < 1 or not same_shape(mean_shape, log_var_shape):
        raise ValueError(
            "Expected `z_mean` and `z_log_var` of the same shape `(batch, latent_dim)`. "
            f"Received: z_mean.shape={shape_text(mean_shape)}, "
            f"z_log_var.shape={shape_text(log_var_shape)}"
        )
    per_dimension = ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var
    return 0.5 * ops.sum(per_dimension, axis=-1)  # (batch,)


def squared_distances(a, b):
    """Squared Euclidean distances between every row of `a` and every row of `b`.

    Uses |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, one matrix product instead of an
    `(n, m, d)` tensor of differences. Rounding can make that slightly negative
    for nearby points, so the result is clamped at 0.

    Args:
        a: tensor of shape `(n, d)`.
        b: tensor of shape `(m, d)`.

    Returns:
        A tensor of shape `(n, m)`.

    Example:

    >>> a = keras.ops.convert_to_tensor([[0.0, 0.0], [1.0, 1.0]])
    >>> keras.ops.convert_to_numpy(squared_distances(a, a))
    array([[0., 2.],
           [2., 0.]], dtype=float32)
    """
    a, b = check_matrices(a, b, names=("a", "b"))
    a_norms = ops.sum(ops.square(a), axis=1)  # (n,)
    b_norms = ops.sum(ops.square(b), axis=1)  # (m,)
    dot = ops.matmul(a, ops.transpose(b))  # (n, m)
    distances = a_norms[:, None] + b_norms[None, :] - 2.0 * dot
    return ops.maximum(distances, 0.0)


def imq_kernel(a, b, scales=DEFAULT_SCALES):
    """Inverse multiquadratics kernel between two sets of codes, summed over scales.

    k(a, b) = sum_s C_s / (C_s + |a - b|^2), with C_s = 2 * d * s for codes of
    dimension d. Its tails are heavy, so far-apart codes still feel each other,
    which is why the WAE paper prefers it to the RBF kernel.

    Args:
        a: tensor of shape `(n, d)`.
        b: tensor of shape `(m, d)`.
        scales: positive numbers s; one kernel term per scale.

    Returns:
        The Gram matrix, a tensor of shape `(n, m)`. Each entry lies in
        `(0, len(scales)]`, with `len(scales)` where `a_i == b_j`.

    Example:

    >>> a = keras.ops.zeros((1, 2))
    >>> keras.ops.convert_to_numpy(imq_kernel(a, a, scales=(1.0, 2.0)))
    array([[2.]], dtype=float32)
    """
    scales = check_scales(scales)
    a, b = check_matrices(a, b, names=("a", "b"))
    distances = squared_distances(a, b)  # (n, m)
    latent_dim = ops.cast(ops.shape(a)[1], distances.dtype)
    gram = ops.zeros_like(distances)
    for scale in scales:
        c = 2.0 * latent_dim * scale
        gram = gram + c / (c + distances)
    return gram


def rbf_kernel(a, b, scales=DEFAULT_SCALES):
    """Gaussian (RBF) kernel between two sets of codes, summed over scales.

    k(a, b) = sum_s exp(-|a - b|^2 / C_s), with C_s = 2 * d * s for codes of
    dimension d.

    Args:
        a: tensor of shape `(n, d)`.
        b: tensor of shape `(m, d)`.
        scales: positive numbers s; one kernel term per scale.

    Returns:
        The Gram matrix, a tensor of shape `(n, m)`. Each entry lies in
        `(0, len(scales)]`, with `len(scales)` where `a_i == b_j`.

    Example:

    >>> a = keras.ops.zeros((1, 2))
    >>> keras.ops.convert_to_numpy(rbf_kernel(a, a, scales=(1.0, 2.0)))
    array([[2.]], dtype=float32)
    """
    scales = check_scales(scales)
    a, b = check_matrices(a, b, names=("a", "b"))
    distances = squared_distances(a, b)  # (n, m)
    latent_dim = ops.cast(ops.shape(a)[1], distances.dtype)
    gram = ops.zeros_like(distances)
    for scale in scales:
        c = 2.0 * latent_dim * scale
        gram = gram + ops.exp(-distances / c)
    return gram


_KERNELS = {"imq": imq_kernel, "rbf": rbf_kernel}


def mmd(x, y, kernel="imq", scales=DEFAULT_SCALES):
    """Unbiased estimate of the squared maximum mean discrepancy between two samples.

    MMD^2 = E k(x, x') + E k(y, y') - 2 E k(x, y). The estimate averages the
    kernel over the pairs i != j within each sample (leaving out each point's
    similarity to itself, which would bias it upwards) and over all pairs across
    the samples. Being unbiased, it can be slightly negative when the two
    distributions are the same, and `mmd(x, x)` is not 0.

    Args:
        x: tensor of shape `(n, d)`, e.g. the codes of a batch of images.
        y: tensor of shape `(m, d)`, e.g. draws from the prior.
        kernel: `"imq"`, `"rbf"`, or a callable `kernel(a, b, scales)` that
            returns the `(len(a), len(b))` Gram matrix.
        scales: positive numbers s; the kernel is summed over them, with
            C_s = 2 * d * s.

    Returns:
        A scalar tensor.

    Example:

    >>> x = keras.random.normal((100, 2), seed=1)
    >>> y = keras.random.normal((100, 2), seed=2) + 3.0
    >>> bool(mmd(x, y) > 0.5)
    True
    """
    if isinstance(kernel, str):
        if kernel not in _KERNELS:
            raise ValueError(
                f"Expected `kernel` to be one of {sorted(_KERNELS)} or a callable "
                f"`kernel(a, b, scales)`. Received: kernel={kernel!r}"
            )
        kernel = _KERNELS[kernel]
    elif not callable(kernel):
        raise ValueError(
            f"Expected `kernel` to be one of {sorted(_KERNELS)} or a callable "
            f"`kernel(a, b, scales)`. Received: kernel={kernel!r}"
        )
    scales = check_scales(scales)
    x, y = check_matrices(x, y, names=("x", "y"))
    for name, tensor in (("x", x), ("y", y)):
        rows = ops.shape(tensor)[0]
        if isinstance(rows, int) and rows < 2:
            raise ValueError(
                f"Expected at least 2 rows in `{name}`: the unbiased estimate averages over "
                f"pairs of distinct rows. Received: {name}.shape={shape_text(ops.shape(tensor))}"
            )
    n = ops.cast(ops.shape(x)[0], x.dtype)
    m = ops.cast(ops.shape(y)[0], y.dtype)
    k_xx = kernel(x, x, scales)  # (n, n)
    k_yy = kernel(y, y, scales)  # (m, m)
    k_xy = kernel(x, y, scales)  # (n, m)
    # Off-diagonal means: drop the n terms k(x_i, x_i) from the sum.
    mean_xx = (ops.sum(k_xx) - ops.trace(k_xx)) / (n * (n - 1.0))
    mean_yy = (ops.sum(k_yy) - ops.trace(k_yy)) / (m * (m - 1.0))
    mean_xy = ops.mean(k_xy)
    return mean_xx + mean_yy - 2.0 * mean_xy


def check_scales(scales):
    """Returns `scales` as a tuple of floats; raises ValueError unless they are positive numbers."""
    if isinstance(scales, (int, float)):
        scales = (scales,)
    scales = tuple(float(s) for s in scales)
    if not scales or any(not s > 0 for s in scales):
        raise ValueError(
            f"Expected `scales` to be a non-empty sequence of positive numbers. "
            f"Received: scales={scales!r}"
        )
    return scales


def as_float_tensors(*tensors):
    """Converts to tensors of one common floating dtype (floatx for integers)."""
    tensors = [ops.convert_to_tensor(t) for t in tensors]
    dtype = keras.backend.result_type(*(t.dtype for t in tensors))
    if not keras.backend.is_float_dtype(dtype):
        dtype = keras.backend.floatx()
    return tuple(ops.cast(t, dtype) for t in tensors)


def check_matrices(a, b, names):
    """Returns `a` and `b` as float tensors; raises unless both are 2-D, of one latent dimension."""
    a, b = as_float_tensors(a, b)
    for name, tensor in zip(names, (a, b)):
        if len(ops.shape(tensor)) != 2:
            raise ValueError(
                f"Expected `{name}` to be 2-D, of shape `(num_samples, latent_dim)`. "
                f"Received: {name}.shape={shape_text(ops.shape(tensor))}"
            )
    a_dim, b_dim = ops.shape(a)[1], ops.shape(b)[1]
    if isinstance(a_dim, int) and isinstance(b_dim, int) and a_dim != b_dim:
        raise ValueError(
            f"Expected `{names[0]}` and `{names[1]}` to have the same latent dimension "
            f"(last axis). Received: {names[0]}.shape={shape_text(ops.shape(a))}, "
            f"{names[1]}.shape={shape_text(ops.shape(b))}"
        )
    return a, b


def same_shape(shape_a, shape_b):
    """True when two shapes agree wherever both are known (a dynamic size agrees with any)."""
    if len(shape_a) != len(shape_b):
        return False
    return all(
        not (isinstance(i, int) and isinstance(j, int)) or i == j for i, j in zip(shape_a, shape_b)
    )


def shape_text(shape):
    """Shows a shape as `(None, 3)` whether its entries are ints or dynamic tensors."""
    entries = [str(s) if isinstance(s, int) else "None" for s in shape]
    return "(" + ", ".join(entries) + (",)" if len(entries) == 1 else ")")
