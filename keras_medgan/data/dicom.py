"""DICOM → windowed 2-D slices in [0, 1].

What the papers need and pydicom does not do for us:

* HU = stored value × RescaleSlope + RescaleIntercept, with 1 and 0 when a tag is absent
  or empty. ``apply_modality_lut`` rescales only when *both* tags exist and raises on an
  empty slope, so we compute it here.
* A file truncated after its header reads without error; the loss shows up only at the
  pixel read. We check for PixelData and catch there, turning every failure into a
  ``DataError`` that names the file.
* Compressed transfer syntaxes decode only with a plugin; without one the message names
  the extra to install (``pip install keras_medgan[codecs]``).
* MONOCHROME1 shows high values dark: the windowed image is inverted.
* Multi-frame files give one slice per frame.
"""

from __future__ import annotations

import os

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError

from keras_medgan.data.errors import DataError, file_error
from keras_medgan.data.limits import check_pixels
from keras_medgan.data.windows import (
    THREE_WINDOWS,
    WINDOW_PRESETS,
    Window,
    apply_window,
    first_value,
    minmax,
    parse_window,
)

CODECS_HINT = "pip install keras_medgan[codecs]"
_PIXEL_TAGS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def read_dicom_dataset(path) -> pydicom.Dataset:
    """``pydicom.dcmread`` without ``force`` (force turns junk into a 'dataset')."""
    path = os.fspath(path)
    try:
        if os.path.getsize(path) == 0:
            raise file_error(path, "empty file (0 bytes)")
        return pydicom.dcmread(path)
    except DataError:
        raise
    except InvalidDicomError as err:
        raise file_error(path, f"not a DICOM file ({_short(err)})") from None
    except FileNotFoundError:
        raise file_error(path, "file not found") from None
    except IsADirectoryError:
        raise file_error(path, "is a folder, not a file") from None
    except PermissionError:
        raise file_error(path, "permission denied") from None
    except Exception as err:  # noqa: BLE001 - pydicom raises many types on corrupt headers
        raise file_error(
            path, f"corrupt DICOM header ({type(err).__name__}: {_short(err)})"
        ) from None


def _short(err: BaseException, limit: int = 200) -> str:
    text = " ".join(str(err).split())
    # pydicom suggests force=True, which turns junk into a one-element "dataset":
    # never advice to pass on to a user.
    text = text.replace(" Use force=True to force reading.", "")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _rescale(ds: pydicom.Dataset) -> tuple:
    """(slope, intercept) with DICOM's defaults; also looks in the shared functional
    groups of enhanced multi-frame objects, where the tags live there instead."""
    slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
    if slope in (None, "") and intercept in (None, ""):
        try:
            pvt = ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence[0]
            slope, intercept = pvt.get("RescaleSlope"), pvt.get("RescaleIntercept")
        except (AttributeError, IndexError, KeyError):
            pass
    slope = 1.0 if slope in (None, "") else float(slope)
    intercept = 0.0 if intercept in (None, "") else float(intercept)
    return slope, intercept


def _is_compressed(syntax) -> bool:
    """True for a known compressed transfer syntax; unknown/private UIDs count as
    compressed too (a decoder plugin is the only way they could decode)."""
    if syntax is None:
        return False
    try:
        return bool(syntax.is_compressed)
    except (AttributeError, ValueError):
        return True


def pixel_array(ds: pydicom.Dataset, path) -> np.ndarray:
    """Decoded stored values, native byte order; every failure is a ``DataError``."""
    if not any(tag in ds for tag in _PIXEL_TAGS):
        raise file_error(
            path, "no pixel data (truncated file, or a DICOM object that is not an image)"
        )
    try:
        rows, cols = int(ds.get("Rows") or 0), int(ds.get("Columns") or 0)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        raise file_error(path, "Rows / Columns / NumberOfFrames are not numbers") from None
    check_pixels(path, cols, rows, frames)  # before decoding
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    try:
        arr = ds.pixel_array
    except (RuntimeError, NotImplementedError) as err:
        name = getattr(syntax, "name", str(syntax))
        if _is_compressed(syntax):
            raise file_error(
                path,
                f"compressed transfer syntax {name!r} cannot be decoded with the installed "
                f"plugins; install a decoder: {CODECS_HINT} ({_short(err, 160)})",
            ) from None
        raise file_error(path, f"cannot decode pixel data ({_short(err)})") from None
    except (ValueError, AttributeError, TypeError, KeyError, IndexError, EOFError, OSError) as err:
        raise file_error(path, f"corrupt or truncated pixel data ({_short(err)})") from None
    return np.asarray(arr).astype(np.float32)  # also fixes big-endian byte order


def hounsfield(ds: pydicom.Dataset, path=None) -> np.ndarray:
    """Stored values → modality values (HU for CT), float32, frames first if multi-frame."""
    path = path if path is not None else ds.filename
    try:
        slope, intercept = _rescale(ds)
    except (TypeError, ValueError, OverflowError) as err:
        raise file_error(
            path, f"RescaleSlope / RescaleIntercept are not numbers ({_short(err)})"
        ) from None
    if not (np.isfinite(slope) and np.isfinite(intercept)):
        raise file_error(path, f"RescaleSlope {slope} / RescaleIntercept {intercept} not finite")
    arr = pixel_array(ds, path)
    return arr * np.float32(slope) + np.float32(intercept)


def _frames(ds: pydicom.Dataset, arr: np.ndarray) -> np.ndarray:
    """Always [F, H, W] or [F, H, W, C]. The number of axes decides (pydicom gives a
    multi-frame object a leading frame axis); NumberOfFrames adds nothing to it."""
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    if (samples == 1 and arr.ndim == 3) or (samples > 1 and arr.ndim == 4):
        return arr
    return arr[None]


def _to_gray(frame: np.ndarray) -> np.ndarray:
    """RGB → luminance (ITU-R 601 weights, as OpenCV); gray passes through."""
    if frame.ndim == 2:
        return frame
    weights = np.array([0.299, 0.587, 0.114], np.float32)
    return frame[..., :3] @ weights


def window_frames(
    ds: pydicom.Dataset, values: np.ndarray, window="brain", path=None
) -> list[np.ndarray]:
    """Modality values [F, H, W(, C)] → list of display images in [0, 1].

    ``window`` is a preset name (brain 40/80, subdural 80/200, bone 600/2800), a
    ``"C/W"`` string, ``"file"`` (the file's own first WindowCenter/Width; min–max when
    absent), ``"minmax"``, or ``"three"`` (brain/subdural/bone as three channels).
    """
    mode, fixed = parse_window(window)
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    invert = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper() == "MONOCHROME1"
    frames = _frames(ds, values)
    if samples > 1:
        # Colour (secondary capture) images carry no HU: scale by the bit depth.
        bits = int(ds.get("BitsStored", 8) or 8)
        return [np.clip(_to_gray(f) / np.float32(2**bits - 1), 0.0, 1.0) for f in frames]
    if mode == "file":
        center = first_value(ds.get("WindowCenter"))
        width = first_value(ds.get("WindowWidth"))
        fixed = Window(center, width) if center is not None and width and width > 0 else None
        mode = "preset" if fixed is not None else "minmax"
    out = []
    for frame in frames:
        if mode == "preset":
            img = apply_window(frame, fixed)
        elif mode == "minmax":
            img = minmax(frame)
        else:  # three
            img = np.stack([apply_window(frame, WINDOW_PRESETS.get(n)) for n in THREE_WINDOWS], -1)
        out.append(1.0 - img if invert else img)
    return out


def read_dicom(path, window="brain") -> list[np.ndarray]:
    """One DICOM file → list of float32 images in [0, 1] ([H, W], or [H, W, 3] for
    ``window="three"``), one per frame."""
    ds = read_dicom_dataset(path)
    values = hounsfield(ds, path)
    return window_frames(ds, values, window, path)


def read_patient_id(path) -> str | None:
    """PatientID from the header only (fast: no pixel data)."""
    try:
        ds = pydicom.dcmread(os.fspath(path), stop_before_pixels=True, specific_tags=["PatientID"])
    except Exception:  # noqa: BLE001 - no readable id: the caller falls back to the file stem
        return None
    value = ds.get("PatientID")
    return str(value) if value not in (None, "") else None
