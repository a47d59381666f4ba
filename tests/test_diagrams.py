"""Tests for aelib.diagrams: each diagram is a Figure with its labels, legible, without overlaps."""

import itertools

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from aelib import diagrams

# Each diagram and words that must appear in its texts (case-insensitive).
EXPECTED = {
    diagrams.autoencoder_diagram: ["encoder", "decoder", "code", "reconstruction"],
    diagrams.vae_diagram: [
        "encoder",
        "decoder",
        "KL",
        "reconstruction",
        "\\mu",
        "\\log \\sigma^2",
        "\\epsilon",
    ],
    diagrams.reparameterization_diagram: [
        "z \\sim",
        "\\mu + \\sigma",
        "\\epsilon",
        "\\partial",
        "blocked",
        "gradient",
    ],
    diagrams.wae_diagram: ["encoder", "decoder", "MMD", "Q_Z", "P_Z", "reconstruction"],
}


@pytest.fixture(params=list(EXPECTED), ids=lambda fn: fn.__name__)
def drawn(request):
    """Draws one diagram, and closes it after the test."""
    fig = request.param()
    fig.canvas.draw()
    yield request.param, fig
    plt.close(fig)


def visible_texts(fig):
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_returns_a_figure_with_its_labels(drawn):
    fn, fig = drawn
    assert isinstance(fig, Figure)
    words = " ".join(t.get_text() for t in visible_texts(fig)).lower()
    missing = [w for w in EXPECTED[fn] if w.lower() not in words]
    assert missing == [], f"{fn.__name__} lacks {missing}"


def test_text_is_legible_and_inside_the_figure(drawn):
    fn, fig = drawn
    renderer = fig.canvas.get_renderer()
    for text in visible_texts(fig):
        assert text.get_fontsize() >= 10, text.get_text()
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0, text.get_text()
        assert box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1, text.get_text()


def overlapping_texts(fig):
    """Returns the pairs of texts whose drawn extents overlap."""
    renderer = fig.canvas.get_renderer()
    extents = [(t.get_text(), t.get_window_extent(renderer)) for t in visible_texts(fig)]
    return [
        (a, b)
        for (a, box_a), (b, box_b) in itertools.combinations(extents, 2)
        if box_a.overlaps(box_b)
    ]


def test_no_two_texts_overlap(drawn):
    fn, fig = drawn
    assert overlapping_texts(fig) == []


def test_overlap_check_can_fail():
    # Two texts on one spot must be caught, or the test above could pass any figure.
    fig = plt.figure()
    fig.text(0.5, 0.5, "encoder", fontsize=12)
    fig.text(0.51, 0.5, "decoder", fontsize=12)
    fig.text(0.1, 0.1, "apart", fontsize=12)
    fig.canvas.draw()
    found = overlapping_texts(fig)
    plt.close(fig)
    assert found == [("encoder", "decoder")]


def test_each_call_makes_a_new_figure_and_closing_frees_it():
    before = set(plt.get_fignums())
    first, second = diagrams.autoencoder_diagram(), diagrams.autoencoder_diagram()
    assert first is not second
    assert len(set(plt.get_fignums()) - before) == 2
    plt.close(first)
    plt.close(second)
    assert set(plt.get_fignums()) == before
