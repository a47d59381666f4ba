"""Architecture diagrams of the book's models, drawn with matplotlib.

Trapezoids are networks (narrowing or widening), boxes are values, circles are
random draws, pink boxes are loss terms; solid arrows carry values forward, and
dashed red lines lead into losses (or, in the reparameterization diagram, carry
gradients back). Every function takes no arguments and returns a new pyplot
`Figure`, so a chapter shows it in a cell tagged `remove-input`:

>>> aelib.diagrams.vae_diagram();  # the `;` stops the notebook showing it twice

No image files are involved: the diagrams are drawn anew each time, so they
change with the code that draws them.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyBboxPatch, Polygon

FONT_SIZE = 13  # the smallest text in a diagram; titles are larger

# One colour per role, the same in every diagram.
DATA = "#e8e8e8"  # images and logits
ENCODER = "#cfe2f3"
DECODER = "#fce5cd"
CODE = "#d9ead3"  # codes and the values that make them
RANDOM = "#e4d7f5"  # random draws
LOSS = "#f4cccc"
GRADIENT = "#c0392b"
EDGE = "#333333"


def autoencoder_diagram():
    """Draws the autoencoder: x -> encoder -> z -> decoder -> x-hat, and its loss.

    The encoder narrows from the 784 pixels to the d numbers of the code, and
    the decoder widens back; the reconstruction loss compares x-hat with x.

    Returns:
        A matplotlib `Figure`.
    """
    fig, ax = _canvas(10.0, 3.0, "The autoencoder: compress, then reconstruct")
    _box(ax, (0.75, 1.8), 1.1, 1.3, "image $x$\n784 pixels", DATA)
    _arrow(ax, (1.3, 1.8), (1.75, 1.8))
    _funnel(ax, 1.75, 3.45, 1.5, 0.6, 1.8, "encoder\n$f_\\phi$", ENCODER)
    _arrow(ax, (3.45, 1.8), (3.9, 1.8))
    _box(ax, (4.6, 1.8), 1.4, 0.9, "code $z$\n$d$ numbers", CODE)
    _arrow(ax, (5.3, 1.8), (5.75, 1.8))
    _funnel(ax, 5.75, 7.45, 0.6, 1.5, 1.8, "decoder\n$g_\\theta$", DECODER)
    _arrow(ax, (7.45, 1.8), (7.9, 1.8))
    _box(ax, (8.85, 1.8), 1.9, 1.3, "reconstruction\n$\\hat{x} = \\sigma(g_\\theta(z))$", DATA)
    # The loss compares the reconstruction with the input, below the chain.
    _box(
        ax,
        (4.6, 0.4),
        5.4,
        0.55,
        "reconstruction loss $-\\log p_\\theta(x \\mid z)$ compares $\\hat{x}$ with $x$",
        LOSS,
    )
    _loss_line(ax, [(0.75, 1.15), (0.75, 0.4), (1.9, 0.4)])
    _loss_line(ax, [(8.85, 1.15), (8.85, 0.4), (7.3, 0.4)])
    ax.text(
        4.6, 2.45, "the bottleneck", ha="center", va="bottom", fontsize=FONT_SIZE, style="italic"
    )
    return fig


def vae_diagram():
    """Draws the VAE: encoder to (mu, log sigma^2), a reparameterized draw, decoder, two loss terms.

    Returns:
        A matplotlib `Figure`.
    """
    fig, ax = _canvas(
        12.0, 4.3, "The variational autoencoder: a distribution per image, a draw, two loss terms"
    )
    y = 2.15  # the height of the forward path
    _box(ax, (0.65, y), 0.9, 1.2, "image\n$x$", DATA)
    _arrow(ax, (1.1, y), (1.45, y))
    _funnel(ax, 1.45, 2.95, 1.5, 1.2, y, "encoder\n$q_\\phi(z \\mid x)$", ENCODER)
    # Two heads: the mean and the log-variance of q(z|x).
    _box(ax, (3.85, y + 0.45), 1.1, 0.6, "$\\mu$", CODE)
    _box(ax, (3.85, y - 0.45), 1.1, 0.6, "$\\log \\sigma^2$", CODE)
    _arrow(ax, (2.95, y + 0.45), (3.3, y + 0.45))
    _arrow(ax, (2.95, y - 0.45), (3.3, y - 0.45))
    # The draw, with its noise as an outside input.
    _box(ax, (5.95, y), 2.2, 1.0, "sampling\n$z = \\mu + \\sigma \\odot \\epsilon$", CODE)
    _arrow(ax, (4.4, y + 0.45), (4.85, y + 0.2))
    _arrow(ax, (4.4, y - 0.45), (4.85, y - 0.2))
    _circle(ax, (5.95, 0.55), 0.4, "$\\epsilon$", RANDOM)
    ax.text(
        6.45,
        0.55,
        "$\\epsilon \\sim \\mathcal{N}(0, I)$",
        ha="left",
        va="center",
        fontsize=FONT_SIZE,
    )
    _arrow(ax, (5.95, 0.95), (5.95, y - 0.5))
    _arrow(ax, (7.05, y), (7.45, y))
    _box(ax, (7.85, y), 0.8, 0.7, "$z$", CODE)
    _arrow(ax, (8.25, y), (8.6, y))
    _funnel(ax, 8.6, 10.1, 1.2, 1.5, y, "decoder\n$p_\\theta(x \\mid z)$", DECODER)
    _arrow(ax, (10.1, y), (10.45, y))
    _box(ax, (11.2, y), 1.3, 1.2, "logits\n$\\ell$", DATA)
    # The two loss terms, on top.
    _box(
        ax,
        (3.85, 3.75),
        2.9,
        0.8,
        "KL term\n$\\mathrm{KL}(q_\\phi(z \\mid x) \\,\\Vert\\, \\mathcal{N}(0, I))$",
        LOSS,
    )
    _loss_line(ax, [(3.85, y + 0.75), (3.85, 3.35)])
    _box(
        ax,
        (10.45, 3.75),
        2.8,
        0.8,
        "reconstruction term\n$-\\log p_\\theta(x \\mid z)$ from $\\ell$ and $x$",
        LOSS,
    )
    _loss_line(ax, [(11.2, y + 0.6), (11.2, 3.35)])
    ax.text(
        7.15,
        3.75,
        "loss = reconstruction + KL\n= the negative ELBO",
        ha="center",
        va="center",
        fontsize=FONT_SIZE,
        style="italic",
    )
    return fig


def reparameterization_diagram():
    """Draws the reparameterization trick: a random node blocks the gradient, outside noise not.

    Left, z is drawn from N(mu, sigma^2) inside the graph, and the gradient of
    the loss stops at z. Right, z = mu + sigma * eps with eps drawn outside, so
    the gradient reaches mu and sigma through two ordinary derivatives.

    Returns:
        A matplotlib `Figure`.
    """
    fig, ax = _canvas(12.0, 4.75, "Why the reparameterization trick lets the gradient through")
    for left, heading in (
        (0.0, "without: $z$ is a random draw"),
        (6.2, "with: $z$ is computed, $\\epsilon$ is the draw"),
    ):
        ax.text(
            left + 2.9,
            4.55,
            heading,
            ha="center",
            va="center",
            fontsize=FONT_SIZE + 1,
            weight="bold",
        )
    ax.plot([6.0, 6.0], [0.1, 4.7], color="#999999", lw=1)

    # Left: z ~ N(mu, sigma^2) is a random node.
    _box(ax, (0.8, 3.6), 1.0, 0.6, "$\\mu$", CODE)
    _box(ax, (0.8, 1.6), 1.0, 0.6, "$\\sigma$", CODE)
    _circle(ax, (3.0, 2.6), 0.75, "$z \\sim$\n$\\mathcal{N}(\\mu, \\sigma^2)$", RANDOM)
    _arrow(ax, (1.3, 3.5), (2.35, 2.95))
    _arrow(ax, (1.3, 1.7), (2.35, 2.25))
    _box(ax, (5.0, 2.6), 1.2, 0.7, "loss", LOSS)
    _arrow(ax, (3.75, 2.6), (4.4, 2.6))
    _gradient(ax, (4.4, 2.3), (3.72, 2.3))
    ax.text(
        4.05,
        2.15,
        "$\\partial L / \\partial z$",
        ha="center",
        va="top",
        fontsize=FONT_SIZE,
        color=GRADIENT,
    )
    # The gradient has nowhere to go: the draw has no derivative with respect to mu or sigma.
    for start, end in (((2.45, 3.25), (1.35, 3.85)), ((2.45, 1.95), (1.35, 1.35))):
        _gradient(ax, start, end)
        _cross(ax, ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2))
    ax.text(
        2.9,
        0.75,
        "blocked: a draw has no derivative\nwith respect to $\\mu$ or $\\sigma$",
        ha="center",
        va="center",
        fontsize=FONT_SIZE,
        color=GRADIENT,
    )

    # Right: z = mu + sigma * eps is a deterministic node; eps comes from outside.
    o = 6.2
    _box(ax, (o + 0.8, 3.6), 1.0, 0.6, "$\\mu$", CODE)
    _box(ax, (o + 0.8, 1.6), 1.0, 0.6, "$\\sigma$", CODE)
    _box(ax, (o + 3.1, 2.6), 1.7, 0.9, "$z = \\mu + \\sigma\\,\\epsilon$", CODE)
    _circle(ax, (o + 3.1, 0.7), 0.45, "$\\epsilon$", RANDOM)
    ax.text(
        o + 3.65,
        0.7,
        "$\\epsilon \\sim \\mathcal{N}(0, 1)$",
        ha="left",
        va="center",
        fontsize=FONT_SIZE,
    )
    _arrow(ax, (o + 3.1, 1.15), (o + 3.1, 2.15))
    _arrow(ax, (o + 1.3, 3.5), (o + 2.25, 2.95))
    _arrow(ax, (o + 1.3, 1.7), (o + 2.25, 2.25))
    _box(ax, (o + 5.1, 2.6), 1.0, 0.7, "loss", LOSS)
    _arrow(ax, (o + 3.95, 2.6), (o + 4.6, 2.6))
    _gradient(ax, (o + 4.6, 2.3), (o + 3.95, 2.3))
    ax.text(
        o + 4.3,
        2.15,
        "$\\partial L / \\partial z$",
        ha="center",
        va="top",
        fontsize=FONT_SIZE,
        color=GRADIENT,
    )
    _gradient(ax, (o + 2.35, 3.25), (o + 1.35, 3.85))
    ax.text(
        o + 2.0,
        3.95,
        "$\\partial z / \\partial \\mu = 1$",
        ha="left",
        va="bottom",
        fontsize=FONT_SIZE,
        color=GRADIENT,
    )
    _gradient(ax, (o + 2.35, 1.95), (o + 1.35, 1.35))
    ax.text(
        o + 1.0,
        1.15,
        "$\\partial z / \\partial \\sigma = \\epsilon$",
        ha="center",
        va="top",
        fontsize=FONT_SIZE,
        color=GRADIENT,
    )

    # A key for the two kinds of arrow.
    _arrow(ax, (0.3, 0.25), (0.9, 0.25))
    ax.text(1.0, 0.25, "forward: values", ha="left", va="center", fontsize=FONT_SIZE)
    _gradient(ax, (3.3, 0.25), (3.9, 0.25))
    ax.text(
        4.0, 0.25, "backward: gradients", ha="left", va="center", fontsize=FONT_SIZE, color=GRADIENT
    )
    return fig


def wae_diagram():
    """Draws the WAE-MMD: a deterministic encoder, a batch of codes Q_Z matched to P_Z draws by MMD.

    Returns:
        A matplotlib `Figure`.
    """
    fig, ax = _canvas(
        12.0,
        4.5,
        "The Wasserstein autoencoder: the codes of a batch, together, must look like the prior",
    )
    y = 3.5  # the height of the reconstruction path
    _box(ax, (0.8, y), 1.2, 1.2, "batch of\nimages $x_i$", DATA)
    _arrow(ax, (1.4, y), (1.75, y))
    _funnel(ax, 1.75, 3.35, 1.5, 0.9, y, "encoder\n(deterministic)", ENCODER)
    _arrow(ax, (3.35, y), (3.7, y))
    _box(ax, (4.5, y), 1.6, 0.9, "codes\n$z_i = f_\\phi(x_i)$", CODE)
    _arrow(ax, (5.3, y), (5.65, y))
    _funnel(ax, 5.65, 7.25, 0.9, 1.5, y, "decoder\n$g_\\theta$", DECODER)
    _arrow(ax, (7.25, y), (7.6, y))
    _box(ax, (8.3, y), 1.4, 1.2, "logits\n$\\ell_i$", DATA)
    _arrow(ax, (9.0, y), (9.45, y), style="loss")
    _box(ax, (10.65, y), 2.3, 1.0, "reconstruction\n$-\\log p_\\theta(x_i \\mid z_i)$", LOSS)

    # Below: the batch of codes, a sample of Q_Z, against as many draws from the prior P_Z.
    rng = np.random.default_rng(0)
    _box(ax, (3.4, 1.0), 2.8, 1.5, "", CODE)
    _scatter_in(ax, _cloud_of_codes(rng, 60), (2.65, 1.0), 0.55, "#2e7d32")
    ax.text(3.35, 1.0, "the batch's\ncodes: $Q_Z$", ha="left", va="center", fontsize=FONT_SIZE)
    _arrow(ax, (4.5, y - 0.45), (4.5, 1.75))
    _box(ax, (7.2, 1.0), 2.3, 1.0, "MMD penalty\n$\\mathrm{MMD}_k(Q_Z, P_Z)$", LOSS)
    _box(ax, (10.55, 1.0), 2.8, 1.5, "", RANDOM)
    _scatter_in(ax, rng.standard_normal((60, 2)), (9.8, 1.0), 0.55, "#6a3d9a")
    ax.text(
        10.5,
        1.0,
        "prior draws\n$\\tilde z_i \\sim P_Z$",
        ha="left",
        va="center",
        fontsize=FONT_SIZE,
    )
    _arrow(ax, (4.8, 1.0), (6.05, 1.0), style="loss")
    _arrow(ax, (9.15, 1.0), (8.35, 1.0), style="loss")
    ax.text(
        10.3,
        2.45,
        "loss = reconstruction + $\\lambda$ MMD",
        ha="center",
        va="center",
        fontsize=FONT_SIZE,
        style="italic",
    )
    return fig


# -- drawing helpers ------------------------------------------------------------------


def _canvas(width, height, title):
    """A figure whose data units are inches: (0, 0) is the bottom left, the title on top."""
    fig = plt.figure(figsize=(width, height + 0.5))
    ax = fig.add_axes((0, 0, 1, height / (height + 0.5)))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    fig.suptitle(title, fontsize=FONT_SIZE + 2, y=1 - 0.2 / (height + 0.5), va="top")
    return fig, ax


def _box(ax, center, width, height, text, color):
    x, y = center
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.08",
            facecolor=color,
            edgecolor=EDGE,
            lw=1.2,
        )
    )
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=FONT_SIZE, linespacing=1.4)


def _funnel(ax, left, right, height_left, height_right, y, text, color):
    """A trapezoid: a network that narrows (or widens) from its input to its output."""
    corners = [
        (left, y - height_left / 2),
        (right, y - height_right / 2),
        (right, y + height_right / 2),
        (left, y + height_left / 2),
    ]
    ax.add_patch(Polygon(corners, closed=True, facecolor=color, edgecolor=EDGE, lw=1.2))
    ax.text(
        (left + right) / 2, y, text, ha="center", va="center", fontsize=FONT_SIZE, linespacing=1.4
    )


def _circle(ax, center, radius, text, color):
    ax.add_patch(Circle(center, radius, facecolor=color, edgecolor=EDGE, lw=1.2))
    ax.text(*center, text, ha="center", va="center", fontsize=FONT_SIZE, linespacing=1.3)


def _arrow(ax, start, end, style="value"):
    line = {"value": dict(color=EDGE, ls="-"), "loss": dict(color=GRADIENT, ls="--")}[style]
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops=dict(arrowstyle="-|>", lw=1.4, shrinkA=0, shrinkB=0, mutation_scale=14, **line),
    )


def _gradient(ax, start, end):
    """A backward arrow: the gradient flowing from `start` to `end`."""
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops=dict(
            arrowstyle="-|>",
            lw=1.6,
            ls=(0, (4, 2)),
            color=GRADIENT,
            shrinkA=0,
            shrinkB=0,
            mutation_scale=14,
        ),
    )


def _loss_line(ax, points, arrow=False):
    """A dashed line from a value into a loss term."""
    xs, ys = zip(*points)
    if arrow:
        ax.plot(xs[:-1], ys[:-1], color=GRADIENT, ls="--", lw=1.4)
        _arrow(ax, points[-2], points[-1], style="loss")
    else:
        ax.plot(xs, ys, color=GRADIENT, ls="--", lw=1.4)


def _cross(ax, center, size=0.16):
    x, y = center
    for dx in (-size, size):
        ax.plot(
            [x - dx, x + dx], [y - size, y + size], color=GRADIENT, lw=3, solid_capstyle="round"
        )


def _scatter_in(ax, points, center, radius, color):
    """Draws 2-D points scaled into a disc of `radius` around `center`."""
    points = np.asarray(points, dtype=float)
    scale = radius / max(3.0, np.abs(points).max())
    ax.scatter(
        center[0] + scale * points[:, 0], center[1] + scale * points[:, 1], s=6, color=color, lw=0
    )


def _cloud_of_codes(rng, n):
    """A few tight, off-centre clusters: what an unregularized encoder's codes tend to look like."""
    centres = np.array([[-1.8, 1.2], [1.6, 1.8], [0.6, -1.9]])
    return centres[rng.integers(0, len(centres), n)] + 0.35 * rng.standard_normal((n, 2))
