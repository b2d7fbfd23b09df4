"""Small deterministic image sets for the evaluation tests."""

import numpy as np
import pytest


def blob_images(n: int, size: int = 16, seed: int = 0, sign: float = 1.0) -> np.ndarray:
    """``n`` images of one Gaussian blob at a random place on a dark, noisy background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = []
    for _ in range(n):
        cy, cx = rng.uniform(size * 0.25, size * 0.75, 2)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (size / 2.0))
        out.append(sign * (blob - 0.5) + 0.1 * rng.standard_normal((size, size)))
    return np.clip(np.asarray(out)[..., None], -1, 1).astype(np.float32)


@pytest.fixture
def blobs():
    return blob_images
