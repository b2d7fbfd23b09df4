"""Multi-scale sliced Wasserstein distance (SWD) on Laplacian-pyramid patches.

Karras et al., "Progressive Growing of GANs" (2018), section 5 / appendix D: build a
Laplacian pyramid of every image (coarsest level 16×16), take 128 random 7×7
neighbourhoods per image and level, normalise each level's descriptors per channel (mean
0, std 1, separately for each set), and compare the two descriptor sets with the sliced
Wasserstein distance: 4 repeats × 128 random unit directions = 512 projections, the 1-D
Wasserstein distance of each projection being the mean absolute difference of the sorted
projections. The paper reports each level's distance ×10³ and their mean.

It needs no pretrained network, which is why it is this project's default metric: there is
no ImageNet network for grayscale CT here, and SWD's per-level numbers say at which scale
(fine texture vs. coarse shape) the fakes differ.

Everything here is a pure function on numpy arrays: images float32 ``[N, H, W, C]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

NHOOD_SIZE = 7
NHOODS_PER_IMAGE = 128
DIR_REPEATS = 4
DIRS_PER_REPEAT = 128
MIN_RESOLUTION = 16

# The 5×5 binomial kernel of cv2.pyrDown / the progressive-GAN reference code.
_GAUSS = (
    np.float32(
        [
            [1, 4, 6, 4, 1],
            [4, 16, 24, 16, 4],
            [6, 24, 36, 24, 6],
            [4, 16, 24, 16, 4],
            [1, 4, 6, 4, 1],
        ]
    )
    / 256.0
)


def _pyr_down(x: np.ndarray) -> np.ndarray:
    k = _GAUSS[None, :, :, None]
    return ndimage.convolve(x, k, mode="mirror")[:, ::2, ::2, :]


def _pyr_up(x: np.ndarray) -> np.ndarray:
    n, h, w, c = x.shape
    up = np.zeros((n, h * 2, w * 2, c), x.dtype)
    up[:, ::2, ::2, :] = x
    return ndimage.convolve(up, _GAUSS[None, :, :, None] * 4.0, mode="mirror")


def pyramid_resolutions(size: int, min_resolution: int = MIN_RESOLUTION) -> list[int]:
    """The pyramid's levels, finest first: size, size/2, … down to ``min_resolution``."""
    res, out = int(size), []
    while res >= min_resolution:
        out.append(res)
        res //= 2
    if not out:
        raise ValueError(
            f"SWD needs images of at least {min_resolution}×{min_resolution} pixels. "
            f"Received: {size}."
        )
    return out


def laplacian_pyramid(images: np.ndarray, num_levels: int) -> list[np.ndarray]:
    """Laplacian pyramid, finest level first; the last level is the low-pass residual."""
    pyramid = [np.asarray(images, np.float32)]
    for _ in range(1, num_levels):
        pyramid.append(_pyr_down(pyramid[-1]))
        pyramid[-2] = pyramid[-2] - _pyr_up(pyramid[-1])
    return pyramid


def sample_descriptors(
    level: np.ndarray,
    rng: np.random.Generator,
    nhood_size: int = NHOOD_SIZE,
    nhoods_per_image: int = NHOODS_PER_IMAGE,
) -> np.ndarray:
    """``nhoods_per_image`` random ``nhood_size²`` patches of every image → [N·k, size²·C]."""
    n, h, w, _c = level.shape
    half = nhood_size // 2
    if h < nhood_size or w < nhood_size:
        raise ValueError(
            f"Pyramid level {h}×{w} is smaller than the {nhood_size}×{nhood_size} patch."
        )
    count = n * nhoods_per_image
    img = np.repeat(np.arange(n), nhoods_per_image)[:, None, None]
    ys = rng.integers(half, h - half, size=count)[:, None, None]
    xs = rng.integers(half, w - half, size=count)[:, None, None]
    dy, dx = np.mgrid[-half : half + 1, -half : half + 1]
    patches = level[img, ys + dy[None], xs + dx[None], :]  # [count, size, size, C]
    return patches.reshape(count, -1).astype(np.float32)


def normalize_descriptors(desc: np.ndarray, channels: int) -> np.ndarray:
    """Per-channel mean 0 / std 1 over all patches and pixels of one set (the paper's step)."""
    d = desc.reshape(desc.shape[0], -1, channels).astype(np.float64)
    d = d - d.mean(axis=(0, 1), keepdims=True)
    std = d.std(axis=(0, 1), keepdims=True)
    d = d / np.where(std > 0, std, 1.0)
    return d.reshape(desc.shape[0], -1).astype(np.float32)


def sliced_wasserstein(
    a: np.ndarray,
    b: np.ndarray,
    rng: np.random.Generator,
    dir_repeats: int = DIR_REPEATS,
    dirs_per_repeat: int = DIRS_PER_REPEAT,
) -> float:
    """Mean 1-D Wasserstein-1 distance over random unit projections of two point sets.

    Sets of different size are compared through their quantile functions (both sorted
    projections interpolated onto the smaller set's quantile grid), which equals the
    reference code's sorted-difference when the sizes match.
    """
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            f"Descriptor sets must be [N, D] with equal D. Received: {a.shape}, {b.shape}."
        )
    results = []
    for _ in range(dir_repeats):
        dirs = rng.standard_normal((a.shape[1], dirs_per_repeat))
        dirs /= np.sqrt(np.sum(np.square(dirs), axis=0, keepdims=True))
        dirs = dirs.astype(np.float32)
        pa = np.sort((a @ dirs).T, axis=1)  # [direction, point]: contiguous sort
        pb = np.sort((b @ dirs).T, axis=1)
        if pa.shape[1] != pb.shape[1]:
            m = min(pa.shape[1], pb.shape[1])
            q = (np.arange(m) + 0.5) / m
            pa = _quantiles(pa, q)
            pb = _quantiles(pb, q)
        results.append(float(np.mean(np.abs(pa - pb))))
    return float(np.mean(results))


def _quantiles(sorted_rows: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Linear interpolation of each sorted row (an empirical quantile function) at ``q``."""
    n = sorted_rows.shape[1]
    pos = np.clip(q * n - 0.5, 0.0, n - 1.0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    frac = (pos - lo).astype(sorted_rows.dtype)
    return sorted_rows[:, lo] * (1 - frac) + sorted_rows[:, hi] * frac


def descriptor_pyramid(
    images: np.ndarray,
    seed: int,
    nhoods_per_image: int = NHOODS_PER_IMAGE,
    min_resolution: int = MIN_RESOLUTION,
) -> list[np.ndarray]:
    """Normalised descriptors of every pyramid level (finest first) for one image set."""
    images = _check_images(images)
    levels = pyramid_resolutions(min(images.shape[1:3]), min_resolution)
    rng = np.random.default_rng(seed)
    pyr = laplacian_pyramid(images, len(levels))
    return [
        normalize_descriptors(
            sample_descriptors(lv, rng, nhoods_per_image=nhoods_per_image), images.shape[-1]
        )
        for lv in pyr
    ]


def swd(
    real: np.ndarray,
    fake: np.ndarray,
    seed: int = 0,
    nhoods_per_image: int = NHOODS_PER_IMAGE,
    dir_repeats: int = DIR_REPEATS,
    dirs_per_repeat: int = DIRS_PER_REPEAT,
    min_resolution: int = MIN_RESOLUTION,
) -> dict[str, object]:
    """SWD between two image sets, ×10³ per level and averaged, as the paper reports it.

    Both sets' patch positions come from generators seeded with ``seed``, so identical sets
    give exactly 0 and the number is reproducible.

    Returns ``{"levels": {resolution: swd×1e3}, "mean": float, "resolutions": [...]}``.
    """
    real, fake = _check_images(real), _check_images(fake)
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(
            f"Real and fake images differ in shape: {real.shape[1:]} vs {fake.shape[1:]}."
        )
    res = pyramid_resolutions(min(real.shape[1:3]), min_resolution)
    da = descriptor_pyramid(real, seed, nhoods_per_image, min_resolution)
    db = descriptor_pyramid(fake, seed, nhoods_per_image, min_resolution)
    proj_rng = np.random.default_rng(seed + 1)
    dists = [
        sliced_wasserstein(a, b, proj_rng, dir_repeats, dirs_per_repeat) * 1e3
        for a, b in zip(da, db)
    ]
    return {
        "levels": {int(r): float(d) for r, d in zip(res, dists)},
        "mean": float(np.mean(dists)),
        "resolutions": [int(r) for r in res],
    }


def swd_repeats(
    real: np.ndarray, fake: np.ndarray, seeds: Sequence[int] = (0, 1, 2), **kwargs
) -> dict[str, object]:
    """SWD over several seeds (new patches and projections each time): mean and spread."""
    runs = [swd(real, fake, seed=s, **kwargs) for s in seeds]
    means = np.array([r["mean"] for r in runs])
    levels = {r: float(np.mean([run["levels"][r] for run in runs])) for r in runs[0]["levels"]}
    return {
        "mean": float(means.mean()),
        "std": float(means.std(ddof=1)) if len(means) > 1 else 0.0,
        "levels": levels,
        "resolutions": runs[0]["resolutions"],
        "seeds": list(seeds),
        "per_seed": means.tolist(),
    }


def _check_images(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[0] == 0:
        raise ValueError(f"Expected images [N, H, W, C] with N > 0. Received shape: {x.shape}.")
    return x
