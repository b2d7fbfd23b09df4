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

Each setting is declared once, as a field with its :class:`Setting`: meaning, default,
range, and whether a resume or a study may change it. ``RUN_DEFAULTS``,
``STRUCTURAL_KEYS``, ``CADENCE_KEYS``, the range checks, the train CLI's help and the
study's resume check are derived from these declarations at the bottom of this module.
Only settings no paper fixes have a default here; the others (epochs, batch size,
optimizer, ...) come from the arch / loss family recipe and ``experiments/*.yaml``.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import types
from collections.abc import Callable, Mapping
from typing import Any

from keras_medgan.core.errors import KerasMedganError

__all__ = [
    "CADENCE_KEYS",
    "RUN_DEFAULTS",
    "SETTINGS",
    "STRUCTURAL_KEYS",
    "ConfigError",
    "Setting",
    "TrainingConfig",
    "check_ranges",
    "flag_help",
    "result_changes",
]


class ConfigError(KerasMedganError, ValueError):
    """A configuration the user gave cannot be used; the message says which key and why."""


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


_RECIPE = dataclasses.MISSING  # no run default: the arch / loss family recipe gives it


@dataclasses.dataclass(frozen=True)
class Setting:
    """What a training setting is, beyond its name, type and default (the field's).

    ``structural``: it defines WHAT is trained, so a resumed run may not change it.
    ``affects_result``: changing it changes the trained weights or how they are computed
    (epochs, precision), so a study compares it before reusing a cell; cadence and
    bookkeeping (log lines, checkpoints, output folders) do not. ``valid`` / ``rule``: the
    range, checked once by :func:`check_ranges`, and said in words in its message.
    """

    help: str
    structural: bool = False
    affects_result: bool = True
    valid: Callable[[Any], bool] | None = None
    rule: str = ""


def setting(help: str, default: Any = _RECIPE, **meta):
    """A field of :class:`TrainingConfig` with its :class:`Setting` declaration."""
    info = {"setting": Setting(help, **meta)}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=info)
    return dataclasses.field(default=default, metadata=info)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


POSITIVE_INT = {"valid": lambda v: _int(v) and v >= 1, "rule": "a positive integer"}
POSITIVE_NUMBER = {"valid": lambda v: _number(v) and v > 0, "rule": "a positive number"}
#: Adam divides by 1 - beta**t: 1.0 is a division by 0
ADAM_BETA = {"valid": lambda v: v is None or (_number(v) and 0 <= v < 1), "rule": "in [0, 1)"}
CADENCE = {"affects_result": False}


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainingConfig:
    """Every setting of one training run, each declared once: name, type, default (none
    where the arch / loss family recipe gives it), meaning, range, and whether a resume
    or a study may change it. ``RUN_DEFAULTS``, ``STRUCTURAL_KEYS``, the range checks, the
    train CLI's help and the study's resume check all read these declarations."""

    # what is trained (a resume may not change these)
    arch: str = setting("architecture", None, structural=True)
    data: str = setting(
        "data set: a registered name or folder:/csv:/nifti:PATH", None, structural=True
    )
    loss: str = setting("loss family (default: the arch's)", structural=True)
    image_size: int = setting(
        "image size (must suit the arch; default: the arch's)", None, structural=True
    )
    classes: tuple[str, ...] | None = setting(
        "comma-separated classes to train (default: all)", None, structural=True
    )
    conditional: bool = setting(
        "one class-conditional GAN (P0's cGAN) instead of one per class", False, structural=True
    )
    per_class: bool = setting(
        "one GAN per class (default: the arch's; dcgan32 yes, P1)", None, structural=True
    )
    split: str = setting("the split the GANs train on (P1: train)", "train", structural=True)
    resize: str = setting(
        "pad (aspect-preserving + zero pad, P1) or crop (centre crop)", "pad", structural=True
    )
    seed: int = setting(
        "seed of the weights, z and shuffling (and of the split unless --split-seed)",
        0,
        structural=True,
    )
    split_seed: int | None = setting(
        "seed of the train/val/test split (default: --seed); keep it while changing --seed "
        "to retrain on the same images",
        None,
        structural=True,
    )
    z_dim: int = setting("latent size (papers: 100)", structural=True, **POSITIVE_INT)
    batch_size: int = setting("images per optimizer step", structural=True, **POSITIVE_INT)
    optimizer: str | None = setting("optimizer of both networks", structural=True)
    lr: float = setting("learning rate of both optimizers", structural=True, **POSITIVE_NUMBER)
    beta_1: float | None = setting(
        "Adam's beta_1 (absent for RMSprop)", structural=True, **ADAM_BETA
    )
    beta_2: float | None = setting(
        "Adam's beta_2 (absent for RMSprop)", structural=True, **ADAM_BETA
    )
    options: Mapping[str, Any] = setting(
        "the loss family's own options (gans.options: label flips, n_critic, ...)",
        {},
        structural=True,
    )
    # how it is trained (a resume may change these)
    data_dir: str | None = setting("folder of the data set", None, **CADENCE)
    epochs: int = setting("epochs to train (a resume may raise them)", **POSITIVE_INT)
    precision: str = setting(
        "auto: bf16 where the hardware computes it fast, else fp32; or fp32, bf16, fp16", "auto"
    )
    force: bool = setting("run a precision this hardware cannot run well (fp16 on a CPU)", False)
    jit: str | bool = setting("XLA: --jit = on; default auto (GPU only)", "auto")
    strategy: str = setting("tf.distribute strategy (default: one device)", "default")
    checkpoint_every: int = setting("epochs between checkpoints", 50, **CADENCE, **POSITIVE_INT)
    checkpoint_minutes: float = setting(
        "also checkpoint at the first epoch end this many minutes after the last save, so a "
        "kill loses minutes, not epochs",
        5.0,
        **CADENCE,
        **POSITIVE_NUMBER,
    )
    sample_every: int = setting(
        "epochs between sample grids / loss plots", 10, **CADENCE, **POSITIVE_INT
    )
    log_every: int = setting(
        "epochs between progress lines (default: about 50 lines per generator; on a "
        "terminal one status line shows every epoch)",
        0,
        **CADENCE,
        valid=lambda v: _int(v) and v >= 0,
        rule="0 (auto) or a positive integer",
    )
    sample_count: int = setting("images in a sample grid", 16, **CADENCE, **POSITIVE_INT)
    keep_checkpoints: int = setting(
        "checkpoints kept: the newest, and one to fall back on if it is unreadable",
        2,
        **CADENCE,
        **POSITIVE_INT,
    )
    deterministic: bool = setting(
        "deterministic TensorFlow ops (slower): the same command gives bit-identical "
        "weights, and a killed run resumed gives the weights of an unbroken one",
        False,
    )
    max_loss: float = setting(
        "stop as diverged when |d_loss| or |g_loss| exceeds this, keeping the last good "
        "checkpoint, as for NaN",
        1e6,
        **POSITIVE_NUMBER,
    )
    export_stages: bool = setting(
        "pggan: also export each finished stage's generator to "
        "export/stages/<class>/generator_stage<S>_<RES>px.h5",
        False,
    )
    export_formats: tuple[str, ...] = setting(
        "comma-separated formats of the exported generators: h5, keras, savedmodel "
        "(savedmodel adds about 40 MB per dcgan32 generator and is only needed for TF "
        "Serving)",
        ["h5", "keras"],
        **CADENCE,
    )
    out: str = setting("parent folder of run folders", "runs", **CADENCE)
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
        from keras_medgan.models import ARCHS  # lazy: loads TensorFlow; module stays light

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


# ---------------------------------------------------------------------- derived, once
_FIELDS = {f.name: f for f in dataclasses.fields(TrainingConfig) if "setting" in f.metadata}
#: every declared setting, by name, in config.json order
SETTINGS: dict[str, Setting] = {name: f.metadata["setting"] for name, f in _FIELDS.items()}
#: Settings no paper fixes, and their defaults (the others come from the arch / loss recipe)
RUN_DEFAULTS: dict[str, Any] = {
    name: _plain(f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default)
    for name, f in _FIELDS.items()
    if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
}
#: what is trained: a resume may not change these
STRUCTURAL_KEYS: tuple[str, ...] = tuple(n for n, s in SETTINGS.items() if s.structural)
#: cadence and bookkeeping: a study reuses a cell whatever these were
CADENCE_KEYS: tuple[str, ...] = tuple(n for n, s in SETTINGS.items() if not s.affects_result)


def check_ranges(config: Mapping[str, Any]) -> None:
    """ConfigError for the first setting outside its declared range (an absent run
    setting takes its default)."""
    for name, declared in SETTINGS.items():
        if declared.valid is None:
            continue
        value = config.get(name, RUN_DEFAULTS.get(name))
        if not declared.valid(value):
            raise ConfigError(f"{name} must be {declared.rule}, got {value!r}")


def result_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The keys whose values differ between two config.json dicts in a way that changes
    what is trained: cadence and bookkeeping are ignored, and a setting a newer version
    added counts as its default where the older dict lacks it (so adding a setting never
    makes an existing study refuse to resume). Keys nobody declared (an architecture's
    width options, a newer version's settings) are compared as they are."""
    ignored = set(CADENCE_KEYS) | set(_RECORD_FIELDS)
    changed = []
    for key in sorted((set(old) | set(new)) - ignored):
        missing = RUN_DEFAULTS.get(key) if key in SETTINGS else None
        if _plain(old.get(key, missing)) != _plain(new.get(key, missing)):
            changed.append(key)
    return changed


def _shown(default) -> str:
    """A default as a flag's help shows it: ``h5,keras``, ``5``, ``1e6``, ``50``."""
    if isinstance(default, list):
        return ",".join(default)
    if isinstance(default, float):
        return re.sub(r"e\+0*", "e", format(default, "g"))
    return str(default)


def flag_help(name: str) -> str:
    """A setting's help for its command-line flag, with its run default when it has one
    (``epochs between checkpoints (default 50)``): the text is written once, here."""
    text = SETTINGS[name].help
    default = RUN_DEFAULTS.get(name)
    if default is None or default is False or "default" in text:
        return text
    return f"{text} (default {_shown(default)})"
