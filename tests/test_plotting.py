"""Tests for aelib.plotting: posterior_ellipses (geometry, errors)."""

import matplotlib

matplotlib.use("Agg")  # draw off screen: the tests need no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402

from aelib.plotting import posterior_ellipses  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def posteriors():
    rng = np.random.default_rng(0)
    z_mean = rng.normal(size=(7, 2))
    z_log_var = rng.uniform(-4.0, 1.0, size=(7, 2))  # standard deviations from 0.14 to 1.6
    return z_mean, z_log_var


def _ellipses(ax):
    return [patch for patch in ax.patches if isinstance(patch, Ellipse)]


def test_one_ellipse_per_example_with_its_centre_and_half_axes(posteriors):
    z_mean, z_log_var = posteriors
    ax = posterior_ellipses(z_mean, z_log_var)
    ellipses = _ellipses(ax)
    assert len(ellipses) == len(z_mean)
    for ellipse, mean, log_var in zip(ellipses, z_mean, z_log_var):
        np.testing.assert_allclose(ellipse.center, mean)
        # Half-axes are the standard deviations sqrt(exp(log_var)), computed the other way round.
        np.testing.assert_allclose(
            [ellipse.width / 2, ellipse.height / 2], np.sqrt(np.exp(log_var))
        )
        assert ellipse.angle == 0.0  # a diagonal covariance: the axes are the coordinate axes


def test_half_axes_scale_with_num_sigmas(posteriors):
    z_mean, z_log_var = posteriors
    ax = posterior_ellipses(z_mean, z_log_var, num_sigmas=2.0)
    widths = np.array([[e.width, e.height] for e in _ellipses(ax)]) / 2
    np.testing.assert_allclose(widths, 2.0 * np.exp(0.5 * z_log_var))


def test_the_prior_contour_matches_a_unit_posterior():
    # A posterior equal to the prior, N(0, I), is the circle of radius 1: points along the
    # ellipse's outline, mapped to data coordinates, all lie at distance 1 from 0 (to within
    # the error of matplotlib's Bezier approximation of a circle).
    ax = posterior_ellipses(np.zeros((1, 2)), np.zeros((1, 2)))
    (ellipse,) = _ellipses(ax)
    outline = [curve(t) for curve, _ in ellipse.get_path().iter_bezier() for t in (0.0, 0.3, 0.7)]
    points = ellipse.get_patch_transform().transform(np.array(outline))
    assert len(points) >= 8
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0, atol=1e-3)
    # The prior's circles of radius 1, 2 and 3 are drawn too.
    radii = sorted(float(np.max(np.hypot(*line.get_data()))) for line in ax.get_lines())
    np.testing.assert_allclose(radii, [1.0, 2.0, 3.0], rtol=1e-3)


def test_colours_follow_labels_and_legend_names_each_class(posteriors):
    z_mean, z_log_var = posteriors
    labels = np.array([2, 0, 2, 1, 0, 2, 1])
    names = ("zero", "one", "two")
    ax = posterior_ellipses(z_mean, z_log_var, labels=labels, class_names=names)
    colors = [to_rgba(e.get_edgecolor())[:3] for e in _ellipses(ax)]
    for i in range(len(labels)):
        for j in range(len(labels)):
            assert (colors[i] == colors[j]) == (labels[i] == labels[j])
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["zero", "one", "two"]


def test_draws_into_a_given_axes_and_sets_the_title(posteriors):
    _, ax = plt.subplots()
    returned = posterior_ellipses(*posteriors, ax=ax, title="posteriors", limit=5.0)
    assert returned is ax
    assert ax.get_title() == "posteriors"
    assert ax.get_xlim() == (-5.0, 5.0) and ax.get_ylim() == (-5.0, 5.0)


def test_default_view_holds_every_ellipse():
    z_mean = np.array([[6.0, 0.0], [0.0, -1.0]])
    z_log_var = np.log(np.array([[1.0, 1.0], [0.25, 9.0]]))  # a half-axis of 3 reaches y = -4
    ax = posterior_ellipses(z_mean, z_log_var)
    low, high = ax.get_xlim()
    assert low <= -7.0 and high >= 7.0  # the first ellipse reaches x = 7


@pytest.mark.parametrize(
    "z_mean, z_log_var, labels",
    [
        (np.zeros((5, 3)), np.zeros((5, 3)), None),  # not 2-D codes
        (np.zeros(2), np.zeros(2), None),  # one code without the batch axis
        (np.zeros((5, 2)), np.zeros((4, 2)), None),  # different numbers of examples
        (np.zeros((5, 2)), np.zeros((5, 1)), None),  # log-variance of the wrong width
        (np.zeros((5, 2)), np.zeros((5, 2)), np.zeros(4, dtype=int)),  # a label too few
        (np.zeros((5, 2)), np.zeros((5, 2)), np.zeros((5, 1), dtype=int)),  # labels not 1-D
    ],
)
def test_bad_shapes_raise_value_error(z_mean, z_log_var, labels):
    with pytest.raises(ValueError, match="shape"):
        posterior_ellipses(z_mean, z_log_var, labels=labels)


def test_bad_values_raise_value_error():
    with pytest.raises(ValueError, match="finite"):
        posterior_ellipses(np.array([[0.0, np.nan]]), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="num_sigmas"):
        posterior_ellipses(np.zeros((1, 2)), np.zeros((1, 2)), num_sigmas=0)
