"""The study's settings: one dataclass, written to ``<out>/config.json`` and checked on rerun.

A rerun into the same ``--out`` resumes. Settings that change the numbers of cells
already finished (data, folds, seeds, GAN epochs, the classifier, a recipe's resolved
training config, …) must match; adding arms, recipes, ratios, filter levels or
learning-curve sizes only adds cells and is allowed.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import asdict, dataclass, field

from keras_medgan.compare.classifier_training import TrainConfig
from keras_medgan.core.errors import KerasMedganError
from keras_medgan.core.jsonio import changed_settings, jsonable, write_text_atomic
from keras_medgan.training.config import result_changes

__all__ = ["CONFIG_FILE", "StudyConfig", "StudyError", "check_resume", "write_config"]

CONFIG_FILE = "config.json"


class StudyError(KerasMedganError, ValueError):
    """Bad input or settings; the message is one line a user can act on."""


@dataclass(frozen=True)
class StudyConfig:
    data: str
    out: str
    #: recipe name → YAML path (experiments/*.yaml)
    recipes: dict[str, str]
    arms: list[str]
    folds: int = 5
    repeats: int = 1
    seed: int = 0
    image_size: int = 32
    data_dir: str | None = None
    val_fraction: float = 0.2
    #: keep the copies the data checks find (``duplicate``) in one fold, like one patient
    group_duplicates: bool = False
    synthetic_ratios: list[float] = field(default_factory=lambda: [1.0])
    #: fractions kept by the realism filter; 1.0 = no filter
    keep_fractions: list[float] = field(default_factory=lambda: [1.0])
    #: real training images per class, one learning-curve point each; None = all of them
    real_per_class: list[int | None] = field(default_factory=lambda: [None])
    #: None = each recipe's own epoch count
    gan_epochs: int | None = None
    #: None = each recipe's own batch size (a small --real-per-class may need a smaller one)
    gan_batch_size: int | None = None
    gan_precision: str | None = None
    #: GAN cells of one fold trained side by side, one process each ("auto": 2 on a CPU
    #: machine with 2+ cores, else 1); how, not what: not a result setting
    gan_workers: int | str = 1
    train: TrainConfig = field(default_factory=TrainConfig)
    gan_train: bool = True
    features: str = "domain_cnn"
    feature_epochs: int = 10
    feature_weights: str | None = None
    confidence: float = 0.95
    #: unused since protocol v2 (intervals are corrected repeated-CV t); read from old
    #: config.json files
    n_boot: int = 1000
    profile: str = "full"
    command: str = ""
    #: the classifier cell's record layout (keras_medgan.compare.cell.PROTOCOL_VERSION)
    protocol_version: int = 2

    def to_dict(self) -> dict:
        d = asdict(self)
        d["train"] = self.train.to_dict()
        return d


#: Settings that change the numbers of finished cells.
RESULT_KEYS = (
    "data",
    "data_dir",
    "folds",
    "seed",
    "image_size",
    "val_fraction",
    "group_duplicates",
    "gan_epochs",
    "gan_batch_size",
    "gan_precision",
    "train",
    "features",
    "feature_epochs",
    "feature_weights",
)


def check_resume(out: pathlib.Path, new: dict) -> None:
    """StudyError naming every setting that differs from the study already in ``out``.

    ``new`` is the config dict plus ``resolved_recipes`` (name → resolved training config).
    """
    path = out / CONFIG_FILE
    if not path.is_file():
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return
    new = jsonable(new)
    old_version = old.get("protocol_version", 1)
    if old_version != new.get("protocol_version"):
        raise StudyError(
            f"{out} holds a study made by classifier protocol v{old_version} (before "
            f"validation predictions, classifier seeds and equal steps); its cells cannot be "
            f"mixed with v{new.get('protocol_version')} ones. Report it as it is with "
            f"`python -m keras_medgan.study report --out {out}`, or start fresh with another "
            f"--out"
        )
    changed = changed_settings(old, new, RESULT_KEYS)
    old_recipes = old.get("resolved_recipes") or {}
    for name, cfg in (new.get("resolved_recipes") or {}).items():
        keys = result_changes(old_recipes[name], cfg) if name in old_recipes else []
        if keys:
            changed.append(f"recipe {name!r} ({', '.join(keys)})")
    if changed:
        raise StudyError(
            f"{out} holds a study made with different settings: "
            f"{'; '.join(changed)} (see {path}). Use another --out, or the same "
            f"settings to resume."
        )


def write_config(out: pathlib.Path, config: dict) -> None:
    """Merge with what is there: a rerun that adds arms or recipes keeps the old ones."""
    path = out / CONFIG_FILE
    merged = dict(config)
    if path.is_file():
        try:
            old = json.loads(path.read_text())
            merged["resolved_recipes"] = {
                **old.get("resolved_recipes", {}),
                **config.get("resolved_recipes", {}),
            }
            merged["recipes"] = {**old.get("recipes", {}), **config.get("recipes", {})}
        except (OSError, json.JSONDecodeError):
            pass
    write_text_atomic(path, json.dumps(jsonable(merged), indent=2) + "\n")
