"""Display windows: Hounsfield units (or any raw intensity) → [0, 1].

A CT slice spans about −1000 (air) to +3000 HU (dense bone); the brain sits in a narrow
band around 20–45 HU, so mapping the full range to 8 bits (P0's raw 0–2550 → 0–255)
throws the anatomy away. A window keeps [center − width/2, center + width/2] and clips
the rest. Presets follow the usual head-CT reading windows; ``"three"`` stacks brain,
subdural and bone windows as three channels (a common RSNA-ICH input).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from keras_medgan.core.registry import Registry
from keras_medgan.data.errors import DataError


@dataclass(frozen=True)
class Window:
    center: float
    width: float

    @property
    def low(self) -> float:
        return self.center - self.width / 2.0

    @property
    def high(self) -> float:
        return self.center + self.width / 2.0


#: Named HU windows (level/width) for head CT.
WINDOW_PRESETS: Registry[Window] = Registry("window")
WINDOW_PRESETS.register("brain", Window(40.0, 80.0))
WINDOW_PRESETS.register("subdural", Window(80.0, 200.0))
WINDOW_PRESETS.register("bone", Window(600.0, 2800.0))

#: Window modes that are not a fixed level/width pair.
SPECIAL_WINDOWS = ("file", "minmax", "three")

THREE_WINDOWS = ("brain", "subdural", "bone")


def window_names() -> list:
    """Every valid ``--window`` value (for ``choices=``); ``C/W`` numbers also work."""
    return WINDOW_PRESETS.names() + list(SPECIAL_WINDOWS)


def parse_window(spec) -> tuple[str, Window | None]:
    """``"brain"`` → ("preset", Window); ``"40/80"`` → ("preset", Window(40, 80));
    ``"file"``/``"minmax"``/``"three"`` → (mode, None)."""
    if isinstance(spec, Window):
        return "preset", spec
    if isinstance(spec, (tuple, list)) and len(spec) == 2:
        return "preset", _checked(float(spec[0]), float(spec[1]), spec)
    name = str(spec).strip().lower()
    if name in WINDOW_PRESETS:
        return "preset", WINDOW_PRESETS.get(name)
    if name in SPECIAL_WINDOWS:
        return name, None
    if "/" in name:
        try:
            center, width = (float(v) for v in name.split("/"))
        except ValueError:
            pass
        else:
            return "preset", _checked(center, width, spec)
    raise DataError(
        f"unknown window {spec!r}; valid: {', '.join(window_names())}, or CENTER/WIDTH "
        "such as 40/80"
    )


def _checked(center: float, width: float, spec) -> Window:
    if not width > 0:
        raise DataError(f"window {spec!r}: width must be > 0")
    return Window(center, width)


def apply_window(values: np.ndarray, window: Window) -> np.ndarray:
    """Linear window to [0, 1] (float32), clipped at both ends."""
    out = (np.asarray(values, np.float32) - np.float32(window.low)) / np.float32(window.width)
    return np.clip(out, 0.0, 1.0, out=out)


def minmax(values: np.ndarray) -> np.ndarray:
    """Min–max to [0, 1]; a constant image becomes all zeros (not NaN)."""
    values = np.asarray(values, np.float32)
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return np.zeros_like(values)
    return (values - lo) / np.float32(hi - lo)


def first_value(value) -> float | None:
    """DICOM WindowCenter/Width may be multi-valued (several windows): take the first."""
    if value is None or value == "":
        return None
    if isinstance(value, (str, bytes)):
        try:
            return float(value)
        except ValueError:
            return None
    if isinstance(value, Sequence) or hasattr(value, "__iter__"):
        values = list(value)
        return float(values[0]) if values else None
    return float(value)
