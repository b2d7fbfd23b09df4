"""The resolved training configuration as one typed, frozen value.

Why a type and not the dict it used to be: the trainer, the study and the scripts read
``c["…"]`` in some fifty places, so a misspelt key failed deep inside a run and nothing
said which settings exist or what they hold. ``runs.resolve_config`` merges the layers
(defaults < arch / loss recipe < YAML < flags) and validates ONCE, then freezes the
result into a :class:`TrainingConfig`; everything downstream reads attributes, and a
change is a new value (``config.replace(seed=...)``), never an edit another holder sees.

The file format is unchanged: ``to_dict`` writes the same flat ``config.json`` as before
(architecture width options such as pggan's ``fmap_base`` top-level, ``command`` and
``resumed_by`` only when set), and ``from_dict`` reads any earlier one back -- keys a newer
version added are filled from ``RUN_DEFAULTS``, keys it does not know are kept in
``extra`` and written back, so old run folders still resume.

No default is written here: run settings come from ``RUN_DEFAULTS``, training
recipes from the arch / loss family declarations and ``experiments/*.yaml``; this class
only names and types the settings.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from typing import Any

from keras_medgan.core.errors import KerasMedganError

__all__ = ["RUN_DEFAULTS", "ConfigError", "TrainingConfig"]


class ConfigError(KerasMedganError, ValueError):
    """A configuration the user gave cannot be used; the message says which key and why."""


#: Settings no paper fixes. Everything else comes from the arch / loss family recipe.
RUN_DEFAULTS: dict[str, Any] = {
    "arch": None,
    "data": None,
    "data_dir": None,
    "image_size": None,  # None → the architecture's (first) supported size
    "classes": None,  # None → every class in the data
    "conditional": False,  # one class-conditional GAN (P0's cGAN) instead of per class
    "per_class": None,  # None → the architecture's default (dcgan32: True, P1)
    "split": "train",  # P1: only the training split trains the GANs
    "resize": "pad",
    "seed": 0,
    "split_seed": None,  # None → seed; fix it to redraw only the GAN's initialisation
    "precision": "auto",  # bf16 where the hardware computes it fast, else fp32
    "force": False,  # allow a precision the hardware runs badly (fp16 on CPU)
    "jit": "auto",
    "strategy": "default",
    "checkpoint_every": 50,
    "checkpoint_minutes": 5.0,  # ... or at the first epoch end this long after the last save
    "sample_every": 10,
    "log_every": 0,  # epochs between progress lines; 0 = auto (~50 per generator)
    "sample_count": 16,
    "keep_checkpoints": 2,  # the newest + one to fall back on if it is unreadable
    "deterministic": False,  # deterministic ops: same command, bit-identical weights
    "max_loss": 1e6,  # |d_loss| or |g_loss| above this = diverged (stops like NaN)
    "export_stages": False,  # growing archs (pggan): also export each finished stage
    "export_formats": ["h5", "keras"],  # + "savedmodel" on request (TF Serving; large)
    "out": "runs",
    "options": {},  # loss-family options (label smoothing, n_critic, ...)
}


#: bookkeeping fields that are not settings; written only when set
_RECORD_FIELDS = ("command", "resumed_by")
#: optimizer settings a recipe may leave out (RMSprop has no beta_2): None when absent,
#: and absent again in the file, so a config.json reads back to exactly what it was
_ABSENT_IS_NONE = ("optimizer", "beta_1", "beta_2")
_NOT_KEYS = ("arch_options", "extra")


def _frozen_map(value) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(value or {}))


def _plain(value):
    """JSON-ready copies: tuples → lists, read-only maps → dicts (recursively)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """Every setting of one training run (see ``RUN_DEFAULTS`` for their meaning)."""

    # what is trained (``runs.STRUCTURAL_KEYS``: a resume may not change these)
    arch: str
    data: str
    loss: str
    image_size: int
    classes: tuple[str, ...] | None
    conditional: bool
    per_class: bool
    split: str
    resize: str
    seed: int
    split_seed: int | None
    z_dim: int
    batch_size: int
    optimizer: str | None
    lr: float
    beta_1: float | None
    beta_2: float | None
    options: Mapping[str, Any]  # the loss family's own option names and values
    # how it is trained (a resume may change these)
    data_dir: str | None
    epochs: int
    precision: str
    force: bool
    jit: str | bool
    strategy: str
    checkpoint_every: int
    checkpoint_minutes: float
    sample_every: int
    log_every: int
    sample_count: int
    keep_checkpoints: int
    deterministic: bool
    max_loss: float
    export_stages: bool
    export_formats: tuple[str, ...]
    out: str
    #: the architecture's width settings (``ArchSpec.builder_options``, e.g. fmap_base)
    arch_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    command: str | None = None
    resumed_by: tuple[str, ...] = ()
    #: keys of a config.json this version does not know; kept so a resume writes them back
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        # read-only containers: a frozen dataclass holding a dict could still be edited
        for name in ("options", "arch_options", "extra"):
            object.__setattr__(self, name, _frozen_map(getattr(self, name)))
        for name in ("export_formats", "resumed_by"):
            object.__setattr__(self, name, tuple(getattr(self, name) or ()))
        if self.classes is not None:
            object.__setattr__(self, "classes", tuple(self.classes))

    # ------------------------------------------------------------------ conversions
    @classmethod
    def setting_names(cls) -> tuple[str, ...]:
        """The config.json keys this class names (not arch options or unknown keys)."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name not in _NOT_KEYS)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TrainingConfig:
        """A resolved, validated config dict (``runs.resolve_config`` / a config.json) →
        the frozen value. Missing run settings take ``RUN_DEFAULTS``."""
        from keras_medgan.models import ARCHS

        values = {**RUN_DEFAULTS, **dict.fromkeys(_ABSENT_IS_NONE), **values}
        names = set(cls.setting_names())
        width = (
            set(ARCHS.get(values["arch"]).builder_options) if values.get("arch") in ARCHS else set()
        )
        known = {k: v for k, v in values.items() if k in names}
        arch_options = {k: v for k, v in values.items() if k in width}
        extra = {k: v for k, v in values.items() if k not in names and k not in width}
        missing = sorted(names - set(known) - set(_RECORD_FIELDS))
        if missing:
            raise ConfigError(f"config is missing {', '.join(missing)}")
        return cls(**known, arch_options=arch_options, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """The flat dict config.json holds (the same keys and layout as before the type)."""
        out = {
            name: _plain(getattr(self, name))
            for name in self.setting_names()
            if name not in _RECORD_FIELDS
            and not (name in _ABSENT_IS_NONE and getattr(self, name) is None)
        }
        out.update(_plain(self.arch_options))
        out.update(_plain(self.extra))
        if self.command is not None:
            out["command"] = self.command
        if self.resumed_by:
            out["resumed_by"] = list(self.resumed_by)
        return out

    def replace(self, **changes) -> TrainingConfig:
        """A copy with ``changes`` (the value itself never changes)."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ derived
    @property
    def data_split_seed(self) -> int:
        """The split the GANs train on: ``split_seed``, or ``seed`` when none is given."""
        return int(self.seed if self.split_seed is None else self.split_seed)
