"""Paper recipes by name: ``train --preset p1_dcgan32_head_ct`` = ``--config experiments/….yaml``.

Why the YAML files stay where they are (``experiments/``) instead of moving into a Python
presets module: they are what a reader of a paper opens — one file per reproduction with
the paper's numbers and, beside each value we had to choose, why — and what ``--config``
already reads; a preset is that file found by name, so there is one copy of each recipe.
An architecture names its recipe (``ArchSpec.recipe``) and takes its training values from
it (:func:`recipe_defaults`), so ``--arch dcgan32`` alone and ``--preset`` agree by
construction. A preset's description is the first line of its comment header.

Where the files are: a source checkout (editable install) reads ``experiments/`` itself;
a built wheel carries a copy as package data in ``keras_medgan/recipes/`` (setup.py's
build step), which is preferred when present.
"""

from __future__ import annotations

import functools
import pathlib
from typing import Any

import yaml

__all__ = [
    "PRESETS_DIR",
    "RECIPE_KEYS",
    "find_preset",
    "preset_paths",
    "presets_help",
    "recipe_defaults",
]

_PACKAGE = pathlib.Path(__file__).resolve().parents[1]  # keras_medgan/
_PACKAGED = _PACKAGE / "recipes"
_CHECKOUT = _PACKAGE.parent / "experiments"
#: Where the recipe files are: the wheel's copy, else the checkout's experiments/
PRESETS_DIR = _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT

#: The keys of a recipe file that are an architecture's training defaults (data, image
#: size, split, loss options and logging cadence belong to the reproduction, not the arch)
RECIPE_KEYS = (
    "loss",
    "epochs",
    "batch_size",
    "optimizer",
    "lr",
    "beta_1",
    "beta_2",
    "z_dim",
    "per_class",
)


def recipe_defaults(name: str, directory: pathlib.Path = PRESETS_DIR) -> dict[str, Any]:
    """The :data:`RECIPE_KEYS` a recipe file sets, by its preset name (exact); a new dict."""
    return dict(_recipe_values(directory / f"{name}.yaml"))


@functools.cache
def _recipe_values(path: pathlib.Path) -> tuple[tuple[str, Any], ...]:
    if not path.is_file():
        raise FileNotFoundError(
            f"recipe {path.stem!r} is not in {path.parent} (an "
            "architecture names it; reinstall keras_medgan or restore it)"
        )
    values = yaml.safe_load(path.read_text()) or {}
    return tuple((k, values[k]) for k in RECIPE_KEYS if k in values)


def preset_paths(directory: pathlib.Path = PRESETS_DIR) -> dict[str, pathlib.Path]:
    """Every preset: file stem → YAML path, sorted by name."""
    return {p.stem: p for p in sorted(directory.glob("*.yaml"))}


def describe(path: pathlib.Path, width: int = 96) -> str:
    """The first sentence of a recipe file's comment header (which paper, which variant),
    cut to ``width`` characters."""
    words = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        words += line.lstrip("#").split()
        text = " ".join(words)
        if ". " in text or text.endswith("."):
            break
    text = " ".join(words)
    text = text.split(". ")[0].rstrip(".:")
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def find_preset(name: str, directory: pathlib.Path = PRESETS_DIR) -> pathlib.Path:
    """A preset's YAML by its exact name, or by a prefix only one name has (``p4_began``).
    ValueError listing the presets otherwise."""
    presets = preset_paths(directory)
    if name in presets:
        return presets[name]
    matches = [n for n in presets if n.startswith(name)]
    if len(matches) == 1:
        return presets[matches[0]]
    if not presets:
        raise ValueError(
            f"no presets: {directory} holds no *.yaml (the recipes come with the "
            f"source checkout; give --config FILE instead)"
        )
    what = f"{name!r} matches {', '.join(matches)}" if matches else f"unknown preset {name!r}"
    raise ValueError(f"{what}; presets: {', '.join(presets)}")


def presets_help(directory: pathlib.Path = PRESETS_DIR) -> str:
    """``--help`` lines: every preset with the paper it follows."""
    presets = preset_paths(directory)
    if not presets:
        return ""
    lines = ["\npresets (--preset NAME: the recipe files in experiments/, flags override them):"]
    lines += [f"  {name}: {describe(path)}" for name, path in presets.items()]
    return "\n".join(lines) + "\n"
