"""Paper recipes by name: ``train --preset p1_dcgan32_head_ct`` = ``--config experiments/….yaml``.

Why the YAML files stay where they are (``experiments/``) instead of moving into a Python
presets module: they are what a reader of a paper opens — one file per reproduction with
the paper's numbers and, beside each value we had to choose, why — and what ``--config``
already reads; a preset is that file found by name, so there is one copy of each recipe.
A preset's description is the first line of its comment header (the paper it follows).
"""

from __future__ import annotations

import pathlib

__all__ = ["PRESETS_DIR", "find_preset", "preset_paths", "presets_help"]

#: The checkout's experiments/ folder (an editable install; the recipes are not package data)
PRESETS_DIR = pathlib.Path(__file__).resolve().parents[1] / "experiments"


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
        raise ValueError(f"no presets: {directory} holds no *.yaml (the recipes come with the "
                         f"source checkout; give --config FILE instead)")
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
