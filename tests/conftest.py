"""What several test files share: images, and codes whose density is known (Gaussian clusters).

A fake model stands in for a trained one in the tests of `aelib.density`,
`aelib.subsets` and the like: its `encode` returns prepared codes, so nothing is
trained and every test runs in a second or two.
"""

import numpy as np
import pytest


def blob_images(n, seed):
    """Smooth random blobs in [0, 1], shape (n, 28, 28, 1): enough to learn in one epoch."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(-1, 1, 28)
    centers = rng.uniform(-0.5, 0.5, size=(n, 2, 1, 1))
    blobs = np.exp(
        -((grid[None, None, :] - centers[:, 0]) ** 2 + (grid[None, :, None] - centers[:, 1]) ** 2)
        / 0.1
    )
    return blobs[..., None].astype(np.float32)


SEPARATION = (
    20.0  # cluster centres this many standard deviations apart: no code sits between two clusters
)


class FakeModel:
    """Returns the given codes from `encode`, and records how it was called."""

    def __init__(self, codes, noisy_codes=None):
        self.codes = np.asarray(codes)
        self.noisy_codes = noisy_codes
        self.calls = []

    def encode(self, x, draw=False, seed=None):
        self.calls.append({"n": len(x), "draw": draw, "seed": seed})
        return self.noisy_codes if draw else self.codes


def clusters(counts, dim, seed=0):
    """Unit Gaussian clusters of the given sizes, far apart on the axes: (codes, cluster ids)."""
    rng = np.random.default_rng(seed)
    centres = np.zeros((len(counts), dim))
    for i in range(len(counts)):
        centres[i, i % dim] = SEPARATION * (1 + i // dim)
    codes = np.concatenate([c + rng.standard_normal((n, dim)) for c, n in zip(centres, counts)])
    return codes, np.repeat(np.arange(len(counts)), counts)


def blank_images(n):
    """n black images: what a fake model, which ignores its input, is given."""
    return np.zeros((n, 28, 28, 1), dtype=np.float32)


@pytest.fixture(scope="module")
def two_clusters():
    return clusters((5000, 500), dim=2)


@pytest.fixture(scope="module")
def five_clusters():
    return clusters((2000, 200, 2000, 200, 2000), dim=3)


class GeneratingModel(FakeModel):
    """A fake model that generates: `sample` gives images of ones, which `encode` maps to draws."""

    def __init__(self, codes, draw):
        super().__init__(codes)
        self.draw = draw  # draw(n, seed) -> codes of n generated images
        self.sample_calls = []

    def sample(self, n, seed=None):
        self.sample_calls.append({"n": n, "seed": seed})
        self._generated = self.draw(n, seed)
        return np.ones((n, 28, 28, 1), dtype=np.float32)

    def encode(self, x, draw=False, seed=None):
        return self._generated if np.all(x[:1] == 1) else self.codes


def _two_cluster_draw(n, seed):
    """The mixture of `clusters((5000, 500), dim=2)`: 10/11 at (20, 0), 1/11 at (0, 20)."""
    rng = np.random.default_rng(100 + seed)
    rare = rng.random(n) < 1 / 11
    return rng.standard_normal((n, 2)) + np.where(
        rare[:, None], [0.0, SEPARATION], [SEPARATION, 0.0]
    )
