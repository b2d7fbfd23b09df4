"""DICOM → windowed PNG (what P0 did once before training), mirroring the folder tree.

Inputs are only read: an output that would land on an input file is refused, and
existing outputs are kept unless ``--overwrite``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from keras_medgan.core.console import Progress
from keras_medgan.data.dicom import read_dicom
from keras_medgan.data.errors import DataError, SkipLog
from keras_medgan.data.readers import DICOM_SUFFIXES, is_candidate, suffix_kind
from keras_medgan.data.windows import parse_window


def collect_dicoms(inputs: Sequence[os.PathLike]) -> list[tuple[Path, Path]]:
    """(file, path relative to its input root) for every DICOM-looking file."""
    out = []
    for item in inputs:
        item = Path(item).expanduser()
        if item.is_dir():
            for path in sorted(p for p in item.rglob("*") if p.is_file() and is_candidate(p)):
                if suffix_kind(path) == "dicom":
                    out.append((path, path.relative_to(item)))
        elif item.is_file():
            out.append((item, Path(item.name)))
        else:
            raise DataError(f"{item}: not found")
    return out


def to_uint(img01: np.ndarray, bits: int) -> np.ndarray:
    scale = 255 if bits == 8 else 65535
    dtype = np.uint8 if bits == 8 else np.uint16
    return np.rint(np.clip(img01, 0, 1) * scale).astype(dtype)


def convert_dicoms(
    inputs: Sequence[os.PathLike],
    out_dir,
    window="brain",
    bits: int = 8,
    overwrite: bool = False,
    skips: SkipLog = None,
    progress=True,
) -> list[Path]:
    """Write one PNG per slice; multi-frame files get ``_f000``, ``_f001``… suffixes.
    Returns the written paths. ``window="three"`` writes RGB PNGs (brain, subdural, bone)."""
    skips = skips if skips is not None else SkipLog()
    if bits not in (8, 16):
        raise DataError(f"--bits must be 8 or 16. Received: {bits}")
    parse_window(window)  # fail once, early, on a typo
    out_dir = Path(out_dir).expanduser()
    files = collect_dicoms(inputs)
    if not files:
        raise DataError(f"no DICOM files found in {', '.join(map(str, inputs))}")
    input_files = {p.resolve() for p, _ in files}
    written = []
    bar = Progress(len(files), "converting", enabled=progress)
    for i, (path, rel) in enumerate(files):
        try:
            slices = read_dicom(path, window=window)
        except DataError as err:
            skips.skip_error(err, path)
            continue
        stem = rel.with_suffix("") if rel.suffix.lower() in DICOM_SUFFIXES else rel
        for f, img in enumerate(slices):
            name = f"{stem.name}_f{f:03d}.png" if len(slices) > 1 else f"{stem.name}.png"
            target = out_dir / stem.parent / name
            if target.resolve() in input_files:
                raise DataError(f"{target}: refusing to overwrite an input file")
            if target.exists() and not overwrite:
                skips.skip(target, "already exists (use --overwrite to replace outputs)")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            pixels = to_uint(img, bits)
            if pixels.ndim == 3:
                pixels = pixels[..., ::-1]  # RGB → OpenCV's BGR
            if not cv2.imwrite(str(target), pixels):
                raise DataError(f"{target}: could not write the PNG")
            written.append(target)
        bar.update(i + 1)
    bar.close()
    return written
