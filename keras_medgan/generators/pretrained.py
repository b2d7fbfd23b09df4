"""Shipped generators: ``models_h5/manifest.json`` → hash-checked files → one call.

    >>> from keras_medgan import load_pretrained
    >>> model = load_pretrained("p1_head_ct")          # verifies SHA-256, loads in safe mode
    >>> images = model.generate(16, label="hemorrhage")  # float32 [16, 32, 32, 1] in [-1, 1]

The manifest names each shipped model once: its generator files (one per class, or one
conditional file), their SHA-256 and model cards, the classes and the image size. A file
whose bytes differ from the manifest (a corrupted download, a file swapped by someone) is
refused before Keras reads it: the hash is checked first, then the file is loaded in
Keras's safe mode like any other generator (``loading.load_generator``).

Where the models live, and the hash checks: ``keras_medgan.generators.shipped``.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from typing import Any

import numpy as np

from keras_medgan.core.jsonio import write_text_atomic
from keras_medgan.generators.export import sha256_of
from keras_medgan.generators.loading import LoadedGenerator, load_generator
from keras_medgan.generators.sampling import sample_class
from keras_medgan.generators.shipped import (  # noqa: F401  (re-exported: the public names stay here)
    MANIFEST,
    MANIFEST_FORMAT,
    PretrainedError,
    model_entry,
    models_dir,
    read_manifest,
    shipped_generator_files,
    verified_file,
)


@dataclasses.dataclass
class PretrainedModel:
    """A shipped generator set: ``generate(n, label)`` for any of its ``classes``."""

    name: str
    entry: dict[str, Any]
    generators: dict[str, LoadedGenerator]  # class name or "conditional" → generator

    @property
    def classes(self) -> list[str]:
        return list(self.entry["classes"])

    @property
    def cards(self) -> dict[str, dict]:
        return {key: gen.card for key, gen in self.generators.items()}

    def generator_for(self, label) -> LoadedGenerator:
        if label not in self.classes:
            raise PretrainedError(
                f"model {self.name!r} has no class {label!r}; "
                f"its classes: {', '.join(self.classes)}"
            )
        return self.generators.get("conditional") or self.generators[label]

    def generate(self, n: int, label=None, seed: int = 0) -> np.ndarray:
        """``n`` images of class ``label`` (any class when the model has only one), float32
        [n, H, W, C] in [-1, 1]; the images ``synthesize --generators NAME --seed SEED`` writes
        (one seed rule: ``keras_medgan.generators.sampling``). For uint8 use
        ``data.pipeline.to_uint8``; to write PNG/DICOM sets use ``synthesize``."""
        if label is None:
            if len(self.classes) != 1:
                raise PretrainedError(
                    f"model {self.name!r} makes {', '.join(self.classes)}: give label="
                )
            label = self.classes[0]
        self.generator_for(label)  # a clear error for a class the model lacks
        return sample_class(self.generators, label, n, seed)


def load_pretrained(name: str, root=None, precision: str | None = "auto") -> PretrainedModel:
    """Load shipped model ``name``: every file hash-checked, then loaded in safe mode.

    ``precision`` as ``loading.load_generator`` (``auto``: bf16 where the machine is fast
    at it). Raises PretrainedError with one clear line for an unknown name, a missing or
    changed file, or a missing card.
    """
    root = pathlib.Path(root) if root is not None else models_dir()
    entry = model_entry(name, root)
    generators = {}
    for key, spec in entry["files"].items():
        file = verified_file(root, name, spec["file"], spec["sha256"])
        card = verified_file(root, name, spec["card"], spec["card_sha256"])
        if card.name != file.with_suffix(".json").name:
            raise PretrainedError(f"model {name!r}: card {card} does not sit beside {file}")
        generators[key] = load_generator(file, precision=precision)
    return PretrainedModel(name=name, entry=entry, generators=generators)


def describe(entry: dict[str, Any]) -> str:
    """One line of ``synthesize --list``: classes, size, recipe, epochs, key metrics."""
    metrics = entry.get("metrics") or {}
    shown = ", ".join(f"{k} {v}" for k, v in metrics.items())
    return (
        f"{', '.join(entry['classes'])}; {entry['image_size']}×{entry['image_size']}; "
        f"{entry.get('recipe', '?')}, {entry.get('epochs', '?')} epochs"
        + (f"; {shown}" if shown else "")
    )


def manifest_entry(
    *,
    files: dict[str, pathlib.Path],
    root: pathlib.Path,
    classes: list[str],
    image_size: int,
    **about: Any,
) -> dict[str, Any]:
    """A manifest entry for generator ``files`` (key → .h5 under ``root``; each card beside
    it), with hashes computed now. ``about``: description, recipe, epochs, metrics, card."""
    entry: dict[str, Any] = dict(about)
    entry.update(classes=list(classes), image_size=int(image_size), files={})
    for key, file in files.items():
        card = file.with_suffix(".json")
        entry["files"][key] = {
            "file": file.relative_to(root).as_posix(),
            "sha256": sha256_of(file),
            "card": card.relative_to(root).as_posix(),
            "card_sha256": sha256_of(card),
        }
    return entry


def write_manifest(models: dict[str, dict], root) -> pathlib.Path:
    path = pathlib.Path(root) / MANIFEST
    text = (
        json.dumps({"format": MANIFEST_FORMAT, "models": dict(sorted(models.items()))}, indent=2)
        + "\n"
    )
    write_text_atomic(path, text)
    return path
