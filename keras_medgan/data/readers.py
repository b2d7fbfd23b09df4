"""Pick the reader for a file from its name: DICOM, PNG/JPG, or NIfTI.

Every reader returns a list of float32 images in [0, 1] (one per frame/slice), so the
pipeline never needs to know where an image came from. Files without a suffix are tried
as DICOM (archives often drop the ``.dcm``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from keras_medgan.core.registry import Registry
from keras_medgan.data.dicom import read_dicom
from keras_medgan.data.errors import file_error
from keras_medgan.data.images import IMAGE_SUFFIXES, read_image
from keras_medgan.data.nifti import NIFTI_SUFFIXES, read_nifti

DICOM_SUFFIXES = (".dcm", ".dicom", ".ima", "")


@dataclass(frozen=True)
class ReaderOptions:
    """Options that only some readers use (hashable: they key the array cache)."""

    window: str = "brain"  # DICOM and CT NIfTI; ignored by PNG/JPG
    plane: str = "axial"  # NIfTI
    slice_range: tuple[int, int] | None = None  # NIfTI
    drop_empty: bool = False  # NIfTI
    nifti_window: str = "percentile"  # NIfTI intensity normalisation


ReaderFn = Callable[[str, ReaderOptions], list[np.ndarray]]

#: kind → reader; ``suffix_kind`` maps file names to kinds.
READERS: Registry[ReaderFn] = Registry("reader")
READERS.register("dicom", lambda path, opt: read_dicom(path, window=opt.window))
READERS.register("image", lambda path, opt: read_image(path))
READERS.register(
    "nifti",
    lambda path, opt: read_nifti(
        path,
        plane=opt.plane,
        slice_range=opt.slice_range,
        drop_empty=opt.drop_empty,
        window=opt.nifti_window,
    ),
)

#: The kinds ``--window`` applies to (NIfTI has its own ``nifti_window``; PNG/JPG pixel
#: values are used as stored).
WINDOWED_KINDS = ("dicom",)

_SUFFIX_KIND = {s: "dicom" for s in DICOM_SUFFIXES}
_SUFFIX_KIND.update({s: "image" for s in IMAGE_SUFFIXES})


#: Side files found next to images; scanned folders pass over them silently.
IGNORED_SUFFIXES = (".csv", ".txt", ".md", ".json", ".db", ".ini", ".yaml", ".yml", ".npz")


def suffix_kind(path) -> str | None:
    """'dicom' | 'image' | 'nifti' | None (unsupported)."""
    name = os.path.basename(os.fspath(path)).lower()
    if name.endswith(NIFTI_SUFFIXES):
        return "nifti"
    return _SUFFIX_KIND.get(os.path.splitext(name)[1])


def is_candidate(path) -> bool:
    """Whether a file found while scanning a folder should be offered to a reader
    (hidden files and obvious side files such as CSVs are not)."""
    name = os.path.basename(os.fspath(path))
    if name.startswith("."):
        return False
    return not name.lower().endswith(IGNORED_SUFFIXES)


def read_any(path, options: ReaderOptions = ReaderOptions()) -> list[np.ndarray]:
    """Read one file with the reader its name implies; ``DataError`` when unsupported."""
    kind = suffix_kind(path)
    if kind is None:
        ext = os.path.splitext(os.fspath(path))[1]
        raise file_error(
            path, f"unsupported file type {ext!r} (expected DICOM, PNG/JPG/BMP/TIFF or NIfTI)"
        )
    return READERS.get(kind)(os.fspath(path), options)
