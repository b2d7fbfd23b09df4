"""NIfTI volume → 2-D slices (optional extra: ``pip install keras_medgan[nifti]``).

P3 kept axial slices 30–120 of each neonatal MRI volume, P4 sagittal slices 80–149 of
BraTS; both need a plane, an index range and (usually) to drop empty slices at the edge
of the field of view. MRI has no absolute scale, so intensities are normalised per
*volume* (0.5–99.5th percentile → [0, 1]) so that slices of one volume stay comparable;
an HU window (e.g. ``"brain"``) applies instead for CT volumes.
"""

from __future__ import annotations

import os

import numpy as np

from keras_medgan.core.registry import Registry
from keras_medgan.data.errors import DataError, file_error
from keras_medgan.data.windows import apply_window, minmax, parse_window

NIFTI_HINT = "pip install keras_medgan[nifti]"
NIFTI_SUFFIXES = (".nii", ".nii.gz")

#: plane name → volume axis (RAS-canonical volumes: x = sagittal, y = coronal, z = axial).
PLANES: Registry[int] = Registry("plane")
PLANES.register("sagittal", 0)
PLANES.register("coronal", 1)
PLANES.register("axial", 2)


def is_nifti(path) -> bool:
    name = os.fspath(path).lower()
    return name.endswith(NIFTI_SUFFIXES)


def _nibabel():
    try:
        import nibabel  # lazy: optional dependency
    except ImportError:
        raise DataError(
            f"reading NIfTI needs nibabel, which is not installed: {NIFTI_HINT}"
        ) from None
    return nibabel


def load_volume(path) -> np.ndarray:
    """A 3-D float32 volume in RAS+ orientation (4-D: first volume)."""
    nib = _nibabel()
    path = os.fspath(path)
    if not os.path.exists(path):
        raise file_error(path, "file not found")
    if os.path.getsize(path) == 0:
        raise file_error(path, "empty file (0 bytes)")
    try:
        img = nib.load(path)
        img = nib.as_closest_canonical(img)
        vol = np.asarray(img.dataobj, dtype=np.float32)
    except Exception as err:  # noqa: BLE001 - nibabel raises many types on bad files
        raise file_error(
            path, f"not a readable NIfTI volume ({type(err).__name__}: {err})"
        ) from None
    if vol.ndim == 4:
        vol = vol[..., 0]
    if vol.ndim == 2:
        vol = vol[..., None]
    if vol.ndim != 3:
        raise file_error(path, f"expected a 3-D volume, got shape {vol.shape}")
    return vol


def _normalise(vol: np.ndarray, window) -> np.ndarray:
    if window in (None, "percentile", "auto"):
        finite = vol[np.isfinite(vol)]
        if finite.size == 0:
            return np.zeros_like(vol)
        lo, hi = np.percentile(finite, [0.5, 99.5])
        if hi <= lo:
            return np.zeros_like(vol)
        return np.clip((vol - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)
    mode, fixed = parse_window(window)
    if mode == "preset":
        return apply_window(vol, fixed)
    if mode == "minmax":
        return minmax(vol)
    raise DataError(f"window {window!r} is not available for NIfTI volumes")


def read_nifti(
    path,
    plane: str = "axial",
    slice_range: tuple[int, int] | None = None,
    drop_empty: bool = False,
    window="percentile",
    empty_fraction: float = 0.01,
) -> list[np.ndarray]:
    """Slices of one volume along ``plane``; ``slice_range=(start, stop)`` is inclusive of
    start and exclusive of stop (Python style: P3's 30–120 → (30, 121)).
    ``drop_empty`` drops slices where under ``empty_fraction`` of pixels are above 5 %."""
    try:
        axis = PLANES.get(plane)
    except KeyError as err:
        raise DataError(str(err.args[0])) from None
    vol = _normalise(load_volume(path), window)
    n = vol.shape[axis]
    start, stop = (0, n) if slice_range is None else slice_range
    if not (0 <= start < stop) or start >= n:
        raise file_error(path, f"slice range {start}:{stop} is outside the {n} {plane} slices")
    slices = []
    for index in range(start, min(stop, n)):
        img = np.take(vol, index, axis=axis)
        # Show in radiological convention: anterior/superior up.
        img = np.ascontiguousarray(np.rot90(img))
        if drop_empty and (img > 0.05).mean() < empty_fraction:
            continue
        slices.append(img.astype(np.float32))
    return slices
