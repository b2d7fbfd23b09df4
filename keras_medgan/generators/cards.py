"""Model cards: the JSON beside every exported generator that says what it is and how it
was made (architecture, data, classes, epochs, seed, the images that trained it, the
command, the package version), read back by every tool that loads a generator."""

from __future__ import annotations

import datetime
import json
import pathlib
import sys
from collections.abc import Sequence
from typing import Any

from keras_medgan._version import __version__
from keras_medgan.core.errors import KerasMedganError
from keras_medgan.core.jsonio import jsonable


class GeneratorLoadError(KerasMedganError, ValueError):
    """A generator file the user named is missing, corrupt or refused; message says which."""


CARD_KEYS = (
    "arch",
    "data",
    "class_names",
    "label",
    "conditional",
    "num_classes",
    "image_size",
    "channels",
    "z_dim",
    "epochs",
    "seed",
    "final_metrics",
    "keras_medgan_version",
    "command",
    "created",
)


def command_line(argv: Sequence[str] | None = None, prog: str | None = None) -> str:
    """The command that is running, for a model card or a run's config (how was this file
    made?): ``prog`` (default: the running program's file name) and ``argv`` (default: the
    process's own arguments)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if prog is None:
        prog = pathlib.Path(sys.argv[0]).name if sys.argv else ""
    return " ".join([prog, *args]).strip()


def make_model_card(
    *,
    arch: str,
    data: str,
    class_names: Sequence[str],
    label: str | None,
    image_size: int,
    z_dim: int,
    epochs: int,
    seed: int,
    final_metrics: dict[str, float] | None = None,
    channels: int = 1,
    command: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The model card dict with every key INTERFACES.md names (plus ``extra``)."""
    conditional = label is None
    card = {
        "arch": arch,
        "data": data,
        "class_names": list(class_names),
        "label": label,
        "conditional": conditional,
        "num_classes": len(class_names) if conditional else 0,
        "image_size": int(image_size),
        "channels": int(channels),
        "z_dim": int(z_dim),
        "epochs": int(epochs),
        "seed": int(seed),
        "final_metrics": jsonable(dict(final_metrics or {})),
        "keras_medgan_version": __version__,
        "command": command if command is not None else command_line(),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    card.update(extra)
    return card


def card_path_for(path) -> pathlib.Path:
    """The model card beside an exported file: ``generator_x.h5`` → ``generator_x.json``."""
    path = pathlib.Path(path)
    name = path.name
    if name.endswith("_savedmodel"):
        name = name[: -len("_savedmodel")]
    else:
        name = path.stem
    return path.with_name(name + ".json")


def read_model_card(path) -> dict[str, Any] | None:
    """The model card beside ``path``, or None if there is none."""
    card_file = card_path_for(path)
    if not card_file.is_file():
        return None
    try:
        return json.loads(card_file.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise GeneratorLoadError(f"model card {card_file} is not valid JSON: {exc}") from None
