"""SSIM, MS-SSIM and PSNR — diversity among fakes and closeness of fakes to real images.

- MS-SSIM among random pairs of fakes (Odena et al. 2017's mode-collapse check): a value
  well above the same number for pairs of *real* images means the generator repeats itself.
- PSNR and SSIM of every fake to its nearest real image — the quantitative metrics P4 names
  as future work. High values mean "close to some real image"; very high values are a hint
  of memorization (see ``memorization.py``).

Wang et al.'s MS-SSIM (2003) uses five scales and an 11×11 Gaussian window (σ 1.5); at
32×32 the fifth scale would be 2×2, smaller than the window. ``ms_ssim_protocol`` adapts
this explicitly and every report states the protocol: keep the 11×11/σ1.5 window with as
many scales as fit (coarsest scale ≥ window); when that leaves fewer scales than a 7×7/σ1.0
window would allow, use the smaller window. The scale weights are Wang's first ``k``
weights renormalised to sum to 1. Negative contrast-structure terms are clamped to 0 before
the fractional powers (as TensorFlow's ``ssim_multiscale`` does).

Images: float32 ``[N, H, W, C]`` in [-1, 1], so the dynamic range L is 2.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

DATA_RANGE = 2.0
WANG_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
_K1, _K2 = 0.01, 0.03


def _as4d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ValueError(f"Expected images [N, H, W, C]. Received shape: {x.shape}.")
    return x


def gaussian_window(size: int, sigma: float) -> np.ndarray:
    """Normalised 1-D Gaussian taps (the separable SSIM window)."""
    r = np.arange(size) - (size - 1) / 2.0
    g = np.exp(-(r**2) / (2.0 * sigma**2))
    return g / g.sum()


def _filter_valid(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Separable 'valid' Gaussian filtering over H and W of [N, H, W, C]."""
    half = len(taps) // 2
    y = ndimage.correlate1d(x, taps, axis=1, mode="reflect")
    y = ndimage.correlate1d(y, taps, axis=2, mode="reflect")
    return y[:, half : x.shape[1] - half, half : x.shape[2] - half, :]


def _ssim_terms(a, b, taps, data_range):
    """Per-image mean luminance·cs map (SSIM) and mean contrast-structure map (cs)."""
    if a.shape[1] < len(taps) or a.shape[2] < len(taps):
        raise ValueError(
            f"Image {a.shape[1]}×{a.shape[2]} is smaller than the "
            f"{len(taps)}×{len(taps)} SSIM window."
        )
    c1, c2 = (_K1 * data_range) ** 2, (_K2 * data_range) ** 2
    mu_a, mu_b = _filter_valid(a, taps), _filter_valid(b, taps)
    var_a = _filter_valid(a * a, taps) - mu_a**2
    var_b = _filter_valid(b * b, taps) - mu_b**2
    cov = _filter_valid(a * b, taps) - mu_a * mu_b
    cs = (2 * cov + c2) / (var_a + var_b + c2)
    lum = (2 * mu_a * mu_b + c1) / (mu_a**2 + mu_b**2 + c1)
    return (lum * cs).mean(axis=(1, 2, 3)), cs.mean(axis=(1, 2, 3))


def ssim(
    a: np.ndarray,
    b: np.ndarray,
    data_range: float = DATA_RANGE,
    window: int = 11,
    sigma: float = 1.5,
) -> np.ndarray:
    """Mean SSIM of each pair ``(a[i], b[i])`` → ``[N]`` (Wang et al. 2004, valid window).

    Images smaller than the window use a window of the image's size (odd), stated by
    ``ssim_window_for``.
    """
    a, b = _as4d(a), _as4d(b)
    if a.shape != b.shape:
        raise ValueError(f"SSIM needs equal shapes. Received: {a.shape} vs {b.shape}.")
    window, sigma = ssim_window_for(min(a.shape[1:3]), window, sigma)
    return _ssim_terms(a, b, gaussian_window(window, sigma), data_range)[0]


def ssim_window_for(size: int, window: int = 11, sigma: float = 1.5):
    """The largest odd window ≤ ``window`` that fits ``size`` (σ scaled with it)."""
    if size >= window:
        return window, sigma
    w = size if size % 2 else size - 1
    return w, sigma * w / window


def ms_ssim_protocol(size: int) -> dict[str, object]:
    """The MS-SSIM settings used at ``size`` pixels (see the module docstring)."""

    def fits(window):
        k = 0
        while k < 5 and size / 2**k >= window:
            k += 1
        return k

    big, small = fits(11), fits(7)
    if big >= small and big > 0:
        window, sigma, scales = 11, 1.5, big
    elif small > 0:
        window, sigma, scales = 7, 1.0, small
    else:
        raise ValueError(f"MS-SSIM needs images of at least 7×7 pixels. Received: {size}.")
    w = np.array(WANG_WEIGHTS[:scales])
    w = w / w.sum()
    note = (
        "standard (Wang 2003: 5 scales, 11×11 Gaussian σ1.5)"
        if scales == 5 and window == 11
        else f"adapted to {size}×{size}: {scales} scale(s), {window}×{window} Gaussian "
        f"σ{sigma}, Wang's first {scales} weights renormalised"
    )
    return {
        "scales": scales,
        "window": window,
        "sigma": sigma,
        "weights": [float(v) for v in w],
        "note": note,
    }


def ms_ssim(
    a: np.ndarray,
    b: np.ndarray,
    data_range: float = DATA_RANGE,
    protocol: dict[str, object] | None = None,
) -> np.ndarray:
    """Multi-scale SSIM of each pair → ``[N]``; 1 for identical images."""
    a, b = _as4d(a), _as4d(b)
    if a.shape != b.shape:
        raise ValueError(f"MS-SSIM needs equal shapes. Received: {a.shape} vs {b.shape}.")
    p = protocol or ms_ssim_protocol(min(a.shape[1:3]))
    taps = gaussian_window(int(p["window"]), float(p["sigma"]))
    weights = np.asarray(p["weights"], np.float64)
    value = np.ones(a.shape[0])
    for scale in range(int(p["scales"])):
        s, cs = _ssim_terms(a, b, taps, data_range)
        last = scale == int(p["scales"]) - 1
        term = np.maximum(s if last else cs, 0.0)
        value *= term ** weights[scale]
        if not last:
            a, b = _avg_pool2(a), _avg_pool2(b)
    return value


def _avg_pool2(x: np.ndarray) -> np.ndarray:
    n, h, w, c = x.shape
    h2, w2 = h // 2, w // 2
    return x[:, : h2 * 2, : w2 * 2, :].reshape(n, h2, 2, w2, 2, c).mean(axis=(2, 4))


def psnr(a: np.ndarray, b: np.ndarray, data_range: float = DATA_RANGE) -> np.ndarray:
    """PSNR in dB of each pair → ``[N]``; ``inf`` for identical images."""
    a, b = _as4d(a), _as4d(b)
    mse = ((a - b) ** 2).mean(axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(data_range**2 / mse)


def random_pairs(n: int, num_pairs: int, seed: int = 0):
    """``num_pairs`` random pairs ``(i, j)`` with ``i != j`` from ``range(n)``."""
    if n < 2:
        raise ValueError(f"Need at least 2 images to form pairs. Received: {n}.")
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, num_pairs)
    j = (i + rng.integers(1, n, num_pairs)) % n
    return i, j


def pairwise_ms_ssim(images: np.ndarray, num_pairs: int = 1000, seed: int = 0) -> dict[str, object]:
    """Mean MS-SSIM over random pairs of distinct images of one set (diversity).

    Higher = less diverse; compare the fakes' value with the real images' value.
    """
    x = _as4d(images)
    i, j = random_pairs(len(x), num_pairs, seed)
    vals = ms_ssim(x[i], x[j])
    half = 1.96 * vals.std(ddof=1) / np.sqrt(len(vals)) if len(vals) > 1 else 0.0
    return {
        "mean": float(vals.mean()),
        "std": float(vals.std(ddof=1)) if len(vals) > 1 else 0.0,
        "ci_low": float(vals.mean() - half),
        "ci_high": float(vals.mean() + half),
        "num_pairs": int(num_pairs),
        "protocol": ms_ssim_protocol(min(x.shape[1:3])),
    }


def nearest_real(fake: np.ndarray, real: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Index of each fake's nearest real image in pixel L2 (= highest PSNR)."""
    f = _as4d(fake).reshape(len(fake), -1)
    r = _as4d(real).reshape(len(real), -1)
    r2 = (r**2).sum(axis=1)
    out = []
    for s in range(0, len(f), chunk):
        block = f[s : s + chunk]
        d = (block**2).sum(axis=1)[:, None] + r2[None, :] - 2.0 * block @ r.T
        out.append(d.argmin(axis=1))
    return np.concatenate(out)


def nearest_real_quality(fake: np.ndarray, real: np.ndarray) -> dict[str, object]:
    """PSNR and SSIM of each fake to its nearest real image (P4's future work)."""
    idx = nearest_real(fake, real)
    fake4, real4 = _as4d(fake), _as4d(real)
    p = psnr(fake4, real4[idx])
    s = ssim(fake4, real4[idx])
    finite = p[np.isfinite(p)]
    return {
        "psnr_mean": float(finite.mean()) if finite.size else float("inf"),
        "psnr_median": float(np.median(p)),
        "ssim_mean": float(s.mean()),
        "ssim_median": float(np.median(s)),
        "num_identical": int((~np.isfinite(p)).sum()),
        "nearest_index": idx.tolist(),
        "psnr": p.tolist(),
        "ssim": s.tolist(),
    }
