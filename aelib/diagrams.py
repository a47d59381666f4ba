"""Architecture diagrams of the book's models, drawn with matplotlib.

Trapezoids are networks (narrowing or widening), boxes are values, circles are
random draws, pink boxes are loss terms; solid arrows carry values forward, and
dashed red lines lead into losses (or, in the reparameterization diagram, carry
gradients back). The shapes and colours come from `aelib.drawing`. Every
function takes no arguments and returns a new pyplot `Figure`, so a chapter
shows it in a cell tagged `remove-input`:

>>> aelib.diagrams.vae_diagram();  # the `;` stops the notebook showing it twice

No image files are involved: the diagrams are drawn anew each time, so they
change with the code that draws them.
"""

import numpy as np

from aelib.drawing import (
    CODE,
    DATA,
    DECODER,
    ENCODER,
    FONT_SIZE,
    GRADIENT,
    LOSS,
    RANDOM,
    arrow,
    box,
    canvas,
    circle,
    cross,
    forward_arrows,
    funnel,
    gradient,
    label,
    loss_line,
    scatter_in,
)


def autoencoder_diagram():
    """Draws the autoencoder: x -> encoder -> z -> decoder -> x-hat, and its loss.

    The encoder narrows from the 784 pixels to the d numbers of the code, and
    the decoder widens back; the reconstruction loss compares x-hat with x.

    Returns:
        A matplotlib `Figure`.
    """
    fig, ax = canvas(10.0, 3.0, "The autoencoder: compress, then reconstruct")
    box(ax, (0.75, 1.8), 1.1, 1.3, "image $x$\n784 pixels", DATA)
    funnel(ax, 1.75, 3.45, 1.5, 0.6, 1.8, "encoder\n$f_\\phi$", ENCODER)
    box(ax, (4.6, 1.8), 1.4, 0.9, "code $z$\n$d$ numbers", CODE)
    funnel(ax, 5.75, 7.45, 0.6, 1.5, 1.8, "decoder\n$g_\\theta$", DECODER)
    box(ax, (8.85, 1.8), 1.9, 1.3, "reconstruction\n$\\hat{x} = \\sigma(g_\\theta(z))$", DATA)
    forward_arrows(ax, 1.8, (1.3, 1.75), (3.45, 3.9), (5.3, 5.75), (7.45, 7.9))
    # The loss compares the reconstruction with the input, below the chain.
    box(
        ax,
        (4.6, 0.4),
        5.4,
        0.55,
        "reconstruction loss $-\\log p_\\theta(x \\mid z)$ compares $\\hat{x}$ with $x$",
        LOSS,
    )
    loss_line(ax, [(0.75, 1.15), (0.75, 0.4), (1.9, 0.4)])
    loss_line(ax, [(8.85, 1.15), (8.85, 0.4), (7.3, 0.4)])
    label(ax, (4.6, 2.45), "the bottleneck", va="bottom", style="italic")
    return fig


def vae_diagram():
    """Draws the VAE: encoder to (mu, log sigma^2), a reparameterized draw, decoder, two loss terms.

    Returns:
        A matplotlib `Figure`.
    """
    fig, ax = canvas(
        12.0, 4.3, "The variational autoencoder: a distribution per image, a draw, two loss terms"
    )
    y = 2.15  # the height of the forward path
    box(ax, (0.65, y), 0.9, 1.2, "image\n$x$", DATA)
    funnel(ax, 1.45, 2.95, 1.5, 1.2, y, "encoder\n$q_\\phi(z \\mid x)$", ENCODER)
    # Two heads: the mean and the log-variance of q(z|x).
    box(ax, (3.85, y + 0.45), 1.1, 0.6, "$\\mu$", CODE)
    box(ax, (3.85, y - 0.45), 1.1, 0.6, "$\\log \\sigma^2$", CODE)
    arrow(ax, (2.95, y + 0.45), (3.3, y + 0.45))
    arrow(ax, (2.95, y - 0.45), (3.3, y - 0.45))
    # The draw, with its noise as an outside input.
    box(ax, (5.95, y), 2.2, 1.0, "sampling\n$z = \\mu + \\sigma \\odot \\epsilon$", CODE)
    arrow(ax, (4.4, y + 0.45), (4.85, y + 0.2))
    arrow(ax, (4.4, y - 0.45), (4.85, y - 0.2))
    circle(ax, (5.95, 0.55), 0.4, "$\\epsilon$", RANDOM)
    label(ax, (6.45, 0.55), "$\\epsilon \\sim \\mathcal{N}(0, I)$", ha="left")
    arrow(ax, (5.95, 0.95), (5.95, y - 0.5))
    box(ax, (7.85, y), 0.8, 0.7, "$z$", CODE)
    funnel(ax, 8.6, 10.1, 1.2, 1.5, y, "decoder\n$p_\\theta(x \\mid z)$", DECODER)
    box(ax, (11.2, y), 1.3, 1.2, "logits\n$\\ell$", DATA)
    forward_arrows(ax, y, (1.1, 1.45), (7.05, 7.45), (8.25, 8.6), (10.1, 10.45))
    # The two loss terms, on top.
    box(
        ax,
        (3.85, 3.75),
        2.9,
        0.8,
        "KL term\n$\\mathrm{KL}(q_\\phi(z \\mid x) \\,\\Vert\\, \\mathcal{N}(0, I))$",
        LOSS,
    )
    loss_line(ax, [(3.85, y + 0.75), (3.85, 3.35)])
    box(
        ax,
        (10.45, 3.75),
        2.8,
        0.8,
        "reconstruction term\n$-\\log p_\\theta(x \\mid z)$ from $\\ell$ and $x$",
        LOSS,
    )
    loss_line(ax, [(11.2, y + 0.6), (11.2, 3.35)])
    label(ax, (7.15, 3.75), "loss = reconstruction + KL\n= the negative ELBO", style="italic")
    return fig


def reparameterization_diagram():
    """Draws the reparameterization trick: a random node blocks the gradient, outside noise not.

    Left, z is drawn from N(mu, sigma^2) inside the graph, and the gradient of
    the loss stops at z. Right, z = mu + sigma * eps with eps drawn outside, so
    the gradient reaches mu and sigma through two ordinary derivatives.

    Returns:
        A matplotlib `Figure`.
    """
    fig, ax = canvas(12.0, 4.75, "Why the reparameterization trick lets the gradient through")
    for left, heading in (
        (0.0, "without: $z$ is a random draw"),
        (6.2, "with: $z$ is computed, $\\epsilon$ is the draw"),
    ):
        label(ax, (left + 2.9, 4.55), heading, fontsize=FONT_SIZE + 1, weight="bold")
    ax.plot([6.0, 6.0], [0.1, 4.7], color="#999999", lw=1)

    # Left: z ~ N(mu, sigma^2) is a random node.
    box(ax, (0.8, 3.6), 1.0, 0.6, "$\\mu$", CODE)
    box(ax, (0.8, 1.6), 1.0, 0.6, "$\\sigma$", CODE)
    circle(ax, (3.0, 2.6), 0.75, "$z \\sim$\n$\\mathcal{N}(\\mu, \\sigma^2)$", RANDOM)
    arrow(ax, (1.3, 3.5), (2.35, 2.95))
    arrow(ax, (1.3, 1.7), (2.35, 2.25))
    box(ax, (5.0, 2.6), 1.2, 0.7, "loss", LOSS)
    arrow(ax, (3.75, 2.6), (4.4, 2.6))
    gradient(ax, (4.4, 2.3), (3.72, 2.3))
    label(ax, (4.05, 2.15), "$\\partial L / \\partial z$", va="top", color=GRADIENT)
    # The gradient has nowhere to go: the draw has no derivative with respect to mu or sigma.
    for start, end in (((2.45, 3.25), (1.35, 3.85)), ((2.45, 1.95), (1.35, 1.35))):
        gradient(ax, start, end)
        cross(ax, ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2))
    label(
        ax,
        (2.9, 0.75),
        "blocked: a draw has no derivative\nwith respect to $\\mu$ or $\\sigma$",
        color=GRADIENT,
    )

    # Right: z = mu + sigma * eps is a deterministic node; eps comes from outside.
    o = 6.2
    box(ax, (o + 0.8, 3.6), 1.0, 0.6, "$\\mu$", CODE)
    box(ax, (o + 0.8, 1.6), 1.0, 0.6, "$\\sigma$", CODE)
    box(ax, (o + 3.1, 2.6), 1.7, 0.9, "$z = \\mu + \\sigma\\,\\epsilon$", CODE)
    circle(ax, (o + 3.1, 0.7), 0.45, "$\\epsilon$", RANDOM)
    label(ax, (o + 3.65, 0.7), "$\\epsilon \\sim \\mathcal{N}(0, 1)$", ha="left")
    arrow(ax, (o + 3.1, 1.15), (o + 3.1, 2.15))
    arrow(ax, (o + 1.3, 3.5), (o + 2.25, 2.95))
    arrow(ax, (o + 1.3, 1.7), (o + 2.25, 2.25))
    box(ax, (o + 5.1, 2.6), 1.0, 0.7, "loss", LOSS)
    arrow(ax, (o + 3.95, 2.6), (o + 4.6, 2.6))
    gradient(ax, (o + 4.6, 2.3), (o + 3.95, 2.3))
    label(ax, (o + 4.3, 2.15), "$\\partial L / \\partial z$", va="top", color=GRADIENT)
    gradient(ax, (o + 2.35, 3.25), (o + 1.35, 3.85))
    label(
        ax,
        (o + 2.0, 3.95),
        "$\\partial z / \\partial \\mu = 1$",
        ha="left",
        va="bottom",
        color=GRADIENT,
    )
    gradient(ax, (o + 2.35, 1.95), (o + 1.35, 1.35))
    label(
        ax,
        (o + 1.0, 1.15),
        "$\\partial z / \\partial \\sigma = \\epsilon$",
        va="top",
        color=GRADIENT,
    )

    # A key for the two kinds of arrow.
    arrow(ax, (0.3, 0.25), (0.9, 0.25))
    label(ax, (1.0, 0.25), "forward: values", ha="left")
    gradient(ax, (3.3, 0.25), (3.9, 0.25))
    label(ax, (4.0, 0.25), "backward: gradients", ha="left", color=GRADIENT)
    return fig


def wae_diagram():
    """Draws the WAE-MMD: a deterministic encoder, a batch of codes Q_Z matched to P_Z draws by MMD.

    Returns:
        A matplotlib `Figure`.
    """
    fig, ax = canvas(
        12.0,
        4.5,
        "The Wasserstein autoencoder: the codes of a batch, together, must look like the prior",
    )
    y = 3.5  # the height of the reconstruction path
    box(ax, (0.8, y), 1.2, 1.2, "batch of\nimages $x_i$", DATA)
    funnel(ax, 1.75, 3.35, 1.5, 0.9, y, "encoder\n(deterministic)", ENCODER)
    box(ax, (4.5, y), 1.6, 0.9, "codes\n$z_i = f_\\phi(x_i)$", CODE)
    funnel(ax, 5.65, 7.25, 0.9, 1.5, y, "decoder\n$g_\\theta$", DECODER)
    box(ax, (8.3, y), 1.4, 1.2, "logits\n$\\ell_i$", DATA)
    forward_arrows(ax, y, (1.4, 1.75), (3.35, 3.7), (5.3, 5.65), (7.25, 7.6))
    arrow(ax, (9.0, y), (9.45, y), style="loss")
    box(ax, (10.65, y), 2.3, 1.0, "reconstruction\n$-\\log p_\\theta(x_i \\mid z_i)$", LOSS)

    # Below: the batch of codes, a sample of Q_Z, against as many draws from the prior P_Z.
    rng = np.random.default_rng(0)
    box(ax, (3.4, 1.0), 2.8, 1.5, "", CODE)
    scatter_in(ax, _cloud_of_codes(rng, 60), (2.65, 1.0), 0.55, "#2e7d32")
    label(ax, (3.35, 1.0), "the batch's\ncodes: $Q_Z$", ha="left")
    arrow(ax, (4.5, y - 0.45), (4.5, 1.75))
    box(ax, (7.2, 1.0), 2.3, 1.0, "MMD penalty\n$\\mathrm{MMD}_k(Q_Z, P_Z)$", LOSS)
    box(ax, (10.55, 1.0), 2.8, 1.5, "", RANDOM)
    scatter_in(ax, rng.standard_normal((60, 2)), (9.8, 1.0), 0.55, "#6a3d9a")
    label(ax, (10.5, 1.0), "prior draws\n$\\tilde z_i \\sim P_Z$", ha="left")
    arrow(ax, (4.8, 1.0), (6.05, 1.0), style="loss")
    arrow(ax, (9.15, 1.0), (8.35, 1.0), style="loss")
    label(ax, (10.3, 2.45), "loss = reconstruction + $\\lambda$ MMD", style="italic")
    return fig


def _cloud_of_codes(rng, n):
    """A few tight, off-centre clusters: what an unregularized encoder's codes tend to look like."""
    centres = np.array([[-1.8, 1.2], [1.6, 1.8], [0.6, -1.9]])
    return centres[rng.integers(0, len(centres), n)] + 0.35 * rng.standard_normal((n, 2))
