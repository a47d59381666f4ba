"""Figures the chapters share: image grids, latent maps, interpolations, training curves.

Each function draws into a matplotlib Axes (a new figure when none is given)
and returns it, so a chapter can add titles or put several panels side by side.
"""

import matplotlib.pyplot as plt
import numpy as np


def image_grid(images, ncols=8, title=None, ax=None, row_labels=None):
    """Shows images as one grid, with thin gaps between them.

    Args:
        images: array of shape (N, 28, 28, 1) or (N, 28, 28), values in [0, 1].
        ncols: images per row.
        title: the figure's title.
        ax: the Axes to draw in; a new figure when None.
        row_labels: optional text for the start of each row.

    Returns:
        The matplotlib Axes.
    """
    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(
            f"Expected images of shape (N, H, W) or (N, H, W, 1). Received: shape={images.shape}"
        )
    n, height, width = images.shape
    nrows = int(np.ceil(n / ncols))
    gap = 2
    canvas = np.zeros(
        (nrows * (height + gap) - gap, ncols * (width + gap) - gap)
    )  # white under gray_r
    for i, image in enumerate(images):
        r, c = divmod(i, ncols)
        canvas[
            r * (height + gap) : r * (height + gap) + height,
            c * (width + gap) : c * (width + gap) + width,
        ] = image
    if ax is None:
        _, ax = plt.subplots(figsize=(ncols * 0.75, nrows * 0.75 + (0.4 if title else 0)))
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    if row_labels is not None:
        ax.set_yticks(
            [r * (height + gap) + height / 2 for r in range(nrows)], labels=list(row_labels)
        )
        ax.tick_params(axis="y", length=0)
    else:
        ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def latent_scatter(codes, labels=None, class_names=None, title=None, ax=None, limit=None):
    """Scatters 2-D codes, coloured by label, with the prior's 1, 2 and 3 sigma circles.

    Args:
        codes: array of shape (N, 2).
        labels: optional integer labels of shape (N,), for colour.
        class_names: names for the legend, indexed by label.
        title: the Axes' title.
        ax: the Axes to draw in; a new figure when None.
        limit: half-width of the square view; fitted to the codes when None.

    Returns:
        The matplotlib Axes.
    """
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(f"Expected 2-D codes of shape (N, 2). Received: shape={codes.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    if labels is None:
        ax.scatter(codes[:, 0], codes[:, 1], s=2, alpha=0.5)
    else:
        cmap = plt.get_cmap("tab10")
        for label in np.unique(labels):
            chosen = labels == label
            name = class_names[label] if class_names is not None else str(label)
            ax.scatter(
                codes[chosen, 0],
                codes[chosen, 1],
                s=2,
                alpha=0.6,
                color=cmap(label % 10),
                label=name,
            )
        ax.legend(markerscale=5, fontsize=9, loc="upper right", framealpha=0.8)
    draw_prior_circles(ax)
    if limit is None:
        limit = max(3.5, float(np.percentile(np.abs(codes), 99.5)) * 1.1)
    return _square_latent_axes(ax, limit, title)


def draw_prior_circles(ax, radii=(1, 2, 3)):
    """Draws circles of the given radii around 0: the contours of the prior N(0, I) in 2-D."""
    angle = np.linspace(0, 2 * np.pi, 200)
    for radius in radii:
        ax.plot(
            radius * np.cos(angle),
            radius * np.sin(angle),
            color="black",
            lw=0.6,
            ls="--",
            alpha=0.6,
        )
    return ax


def latent_manifold(model, limit=2.5, n=15, title=None, ax=None):
    """Decodes a regular n x n grid of 2-D codes in [-limit, limit]^2 and shows the images in place.

    Args:
        model: a trained model with `latent_dim == 2` and a `decode` method.
        limit: the grid spans [-limit, limit] on both axes.
        n: grid points on each axis.

    Returns:
        The matplotlib Axes.
    """
    if model.latent_dim != 2:
        raise ValueError(
            f"Expected a model with a 2-D latent space. Received: latent_dim={model.latent_dim}"
        )
    values = np.linspace(-limit, limit, n)
    grid = np.array(
        [[x, y] for y in values[::-1] for x in values], dtype=np.float32
    )  # top row: largest z_2
    ax = image_grid(model.decode(grid), ncols=n, title=title, ax=ax)
    ax.set_xlabel(f"$z_1$ from {-limit} to {limit}")
    ax.set_ylabel(f"$z_2$ from {limit} down to {-limit}")
    return ax


def interpolate(model, start, end, steps=10):
    """Decodes the straight line between the codes of two images.

    Args:
        model: a trained model with `encode` and `decode`.
        start, end: two images of shape (28, 28, 1).
        steps: number of images along the line, the ends included.

    Returns:
        Images of shape (steps, 28, 28, 1).
    """
    codes = model.encode(np.stack([start, end]))
    weights = np.linspace(0.0, 1.0, steps)[:, None]
    return model.decode(((1 - weights) * codes[0] + weights * codes[1]).astype(np.float32))


def plot_history(history, keys=None, title=None, ax=None):
    """Plots training curves from a Keras `History`: each key, and its `val_` twin dashed."""
    values = history.history if hasattr(history, "history") else history
    keys = keys or [k for k in values if not k.startswith("val_")]
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for i, key in enumerate(keys):
        epochs = np.arange(1, len(values[key]) + 1)
        ax.plot(epochs, values[key], color=f"C{i}", label=key)
        if "val_" + key in values:
            ax.plot(epochs, values["val_" + key], color=f"C{i}", ls="--", label="val_" + key)
    ax.set_xlabel("epoch")
    ax.set_ylabel("nats per image")
    ax.legend(fontsize=9)
    if title:
        ax.set_title(title)
    return ax


def posterior_ellipses(
    z_mean,
    z_log_var,
    labels=None,
    class_names=None,
    num_sigmas=1.0,
    title=None,
    ax=None,
    limit=None,
):
    """Draws 2-D posteriors N(z_mean, diag exp(z_log_var)) as ellipses over the prior's circles.

    Each example's posterior q(z|x) becomes one axis-aligned ellipse centred on
    its `z_mean`, with half-axes `num_sigmas * exp(0.5 * z_log_var)`: with the
    default `num_sigmas=1`, the 1-sigma contour. The dashed circles of radius 1,
    2 and 3 are the same contours of the prior N(0, I), so a posterior as wide as
    the prior draws as large as the innermost circle.

    Args:
        z_mean: array of shape (N, 2), the posterior means.
        z_log_var: array of shape (N, 2), the posterior log-variances.
        labels: optional integer labels of shape (N,), for colour.
        class_names: names for the legend, indexed by label.
        num_sigmas: how many standard deviations each half-axis spans (> 0).
        title: the Axes' title.
        ax: the Axes to draw in; a new figure when None.
        limit: half-width of the square view; fitted to the ellipses when None.

    Returns:
        The matplotlib Axes, holding one `matplotlib.patches.Ellipse` per example.

    Example:

    >>> z_mean, z_log_var = vae.posterior(x_test[:200])  # a VAE with latent_dim=2
    >>> posterior_ellipses(z_mean, z_log_var, labels=y_test[:200])
    """
    from matplotlib.patches import Ellipse, Patch

    z_mean = np.asarray(z_mean, dtype=np.float64)
    z_log_var = np.asarray(z_log_var, dtype=np.float64)
    if z_mean.ndim != 2 or z_mean.shape[1] != 2:
        raise ValueError(
            f"Expected `z_mean` of shape (N, 2). Received: z_mean.shape={z_mean.shape}"
        )
    if z_log_var.shape != z_mean.shape:
        raise ValueError(
            "Expected `z_log_var` of the same shape as `z_mean`, (N, 2). "
            f"Received: z_mean.shape={z_mean.shape}, z_log_var.shape={z_log_var.shape}"
        )
    if not (np.isfinite(z_mean).all() and np.isfinite(z_log_var).all()):
        raise ValueError(
            "Expected finite values in `z_mean` and `z_log_var`. Received: NaN or inf values"
        )
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (z_mean.shape[0],):
            raise ValueError(
                f"Expected `labels` of shape ({z_mean.shape[0]},), one per example. "
                f"Received: labels.shape={labels.shape}"
            )
    if not np.isfinite(num_sigmas) or num_sigmas <= 0:
        raise ValueError(
            f"Expected `num_sigmas` to be a number > 0. Received: num_sigmas={num_sigmas!r}"
        )

    half_axes = num_sigmas * np.exp(0.5 * z_log_var)  # (N, 2)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    cmap = plt.get_cmap("tab10")
    for i, (centre, (half_width, half_height)) in enumerate(zip(z_mean, half_axes)):
        color = "C0" if labels is None else cmap(int(labels[i]) % 10)
        ellipse = Ellipse(
            tuple(centre), 2 * half_width, 2 * half_height, angle=0.0
        )  # axis-aligned: diagonal covariance
        ellipse.set(facecolor=color, edgecolor=color, alpha=0.25, lw=0.8)
        ax.add_patch(ellipse)
    if labels is not None:
        classes = np.unique(labels)
        handles = [
            Patch(facecolor=cmap(int(c) % 10), edgecolor=cmap(int(c) % 10), alpha=0.5)
            for c in classes
        ]
        names = [class_names[c] if class_names is not None else str(c) for c in classes]
        ax.legend(handles, names, fontsize=7, loc="upper right", framealpha=0.8)
    draw_prior_circles(ax)
    if limit is None:
        reach = np.abs(z_mean) + half_axes
        limit = max(3.5, float(reach.max()) * 1.05) if len(reach) else 3.5
    return _square_latent_axes(ax, limit, title)


def _square_latent_axes(ax, limit, title):
    """Makes the view a square [-limit, limit]^2 with the latent axes labelled."""
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return ax
