"""The one way images are drawn from a generator network, in training and after export.

The seed rule: the ``n`` latent vectors of a request are ``z ~ N(0, 1)`` drawn all at once
by ``numpy.random.default_rng(seed)`` (``latent_vectors``), so an image depends on the
seed and its position only -- not on the batch size, the tool, or whether the generator
is the training object (``GAN.generate``) or an exported file
(``generators.export.LoadedGenerator.generate``). Both then run :func:`images_from` with
the same padding and the same clip to [-1, 1] (float16 tanh outputs can round past it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def latent_vectors(n: int, z_dim: int, seed: int | None) -> np.ndarray:
    """``n`` latent vectors, float32 [n, z_dim]; ``seed`` None draws fresh noise."""
    return np.random.default_rng(seed).standard_normal((int(n), int(z_dim))).astype(np.float32)


def _pad_rows(array: np.ndarray, rows: int) -> np.ndarray:
    if len(array) == rows:
        return array
    pad = np.zeros((rows - len(array),) + array.shape[1:], array.dtype)
    return np.concatenate([array, pad], axis=0)


def images_from(
    predict: Callable,
    z: np.ndarray,
    one_hot: np.ndarray | None,
    batch_size: int,
    image_shape: Callable[[], tuple[int, ...]],
) -> np.ndarray:
    """Run ``predict`` (``z`` or ``[z, one_hot]`` → images) over ``z`` in batches of
    ``batch_size``; float32 [n, H, W, C] in [-1, 1] (``image_shape()`` gives [H, W, C]
    for ``n`` = 0, and is only asked then).

    The last batch is padded to full size, so a compiled predict function is not traced
    again for an odd-sized batch (the padding rows are dropped).
    """
    n = len(z)
    if n == 0:
        return np.zeros((0, *image_shape()), np.float32)
    batch_size = max(1, min(int(batch_size), n))
    out = []
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        zb = _pad_rows(z[start:stop], batch_size)
        inputs = zb if one_hot is None else [zb, _pad_rows(one_hot[start:stop], batch_size)]
        out.append(np.asarray(predict(inputs), dtype=np.float32)[: stop - start])
    return np.clip(np.concatenate(out, axis=0), -1.0, 1.0)
