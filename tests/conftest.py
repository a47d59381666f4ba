"""What several test files share."""

import numpy as np


def blob_images(n, seed):
    """Smooth random blobs in [0, 1], shape (n, 28, 28, 1): enough structure to learn a little in one epoch."""
    rng = np.random.default_rng(seed)
    grid = np.linspace(-1, 1, 28)
    centers = rng.uniform(-0.5, 0.5, size=(n, 2, 1, 1))
    blobs = np.exp(-((grid[None, None, :] - centers[:, 0]) ** 2 + (grid[None, :, None] - centers[:, 1]) ** 2) / 0.1)
    return blobs[..., None].astype(np.float32)
