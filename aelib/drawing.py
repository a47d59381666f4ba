"""The pieces the book's diagrams are drawn from: boxes, funnels, circles and arrows.

Each piece draws into an Axes whose data units are inches (see `canvas`), with
one colour per role, the same in every diagram (`aelib.diagrams` puts them
together into the models' architectures):

| shape | what it stands for | colour |
| --- | --- | --- |
| `funnel`, a trapezoid | a network, narrowing or widening | `ENCODER`, `DECODER` |
| `box` | a value: images, logits, codes | `DATA`, `CODE` |
| `circle` | a random draw | `RANDOM` |
| `box` in pink | a loss term | `LOSS` |
| `arrow` | a value carried forward | `EDGE` |
| `arrow(..., style="loss")`, dashed red | a value led into a loss | `GRADIENT` |
| `loss_line`, dashed red | the same, with corners, without the head | `GRADIENT` |
| `gradient`, dashed red arrow | a gradient carried back | `GRADIENT` |
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


def canvas(width, height, title):
    """A figure whose data units are inches: (0, 0) is the bottom left, the title on top."""
    fig = plt.figure(figsize=(width, height + 0.5))
    ax = fig.add_axes((0, 0, 1, height / (height + 0.5)))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    fig.suptitle(title, fontsize=FONT_SIZE + 2, y=1 - 0.2 / (height + 0.5), va="top")
    return fig, ax


def box(ax, center, width, height, text, color):
    """A rounded box of `width` x `height` around `center`, `text` in its middle: a value."""
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


def funnel(ax, left, right, height_left, height_right, y, text, color):
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


def circle(ax, center, radius, text, color):
    """A circle with `text` inside: a random draw."""
    ax.add_patch(Circle(center, radius, facecolor=color, edgecolor=EDGE, lw=1.2))
    ax.text(*center, text, ha="center", va="center", fontsize=FONT_SIZE, linespacing=1.3)


def arrow(ax, start, end, style="value"):
    """A forward arrow: solid for a value (`style="value"`), dashed red into a loss (`"loss"`)."""
    line = {"value": dict(color=EDGE, ls="-"), "loss": dict(color=GRADIENT, ls="--")}[style]
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops=dict(arrowstyle="-|>", lw=1.4, shrinkA=0, shrinkB=0, mutation_scale=14, **line),
    )


def forward_arrows(ax, y, *gaps):
    """The arrows of a forward path at height `y`: one across each gap `(left, right)`."""
    for left, right in gaps:
        arrow(ax, (left, y), (right, y))


def gradient(ax, start, end):
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


def loss_line(ax, points, arrow=False):
    """A dashed line from a value into a loss term."""
    xs, ys = zip(*points)
    if arrow:
        ax.plot(xs[:-1], ys[:-1], color=GRADIENT, ls="--", lw=1.4)
        arrow(ax, points[-2], points[-1], style="loss")
    else:
        ax.plot(xs, ys, color=GRADIENT, ls="--", lw=1.4)


def cross(ax, center, size=0.16):
    """A red X: a path the gradient cannot take."""
    x, y = center
    for dx in (-size, size):
        ax.plot(
            [x - dx, x + dx], [y - size, y + size], color=GRADIENT, lw=3, solid_capstyle="round"
        )


def scatter_in(ax, points, center, radius, color):
    """Draws 2-D points scaled into a disc of `radius` around `center`."""
    points = np.asarray(points, dtype=float)
    scale = radius / max(3.0, np.abs(points).max())
    ax.scatter(
        center[0] + scale * points[:, 0], center[1] + scale * points[:, 1], s=6, color=color, lw=0
    )


def label(ax, position, text, ha="center", va="center", **options):
    """Writes `text` at `position` in the diagrams' font size, centred unless told otherwise."""
    options.setdefault("fontsize", FONT_SIZE)
    ax.text(*position, text, ha=ha, va=va, **options)
