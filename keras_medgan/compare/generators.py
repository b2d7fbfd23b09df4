"""Generator sets: parse ``--generators``, check them against the data, make synthetic pools.

A *generator set* is what one synthetic arm draws from: one GAN per class (P1: a run folder
whose ``export/`` holds ``generator_normal.h5`` and ``generator_hemorrhage.h5``, or the
per-class files named one by one) or one conditional generator (P0's cGAN). On the command
line each set is ``[NAME=]PATH[,PATH...]``; several sets are compared side by side (P3
compares PGGAN and DCGAN).

Mismatches are caught before any training starts, with a message that names the file and
what does not fit: image size, channel count, or classes (a class without a generator, a
generator for a class the data does not have).
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from keras_medgan.compare.errors import BenchmarkError
from keras_medgan.generators.cards import read_model_card
from keras_medgan.generators.loading import find_generators, load_generator
from keras_medgan.generators.pretrained import read_manifest, shipped_generator_files
from keras_medgan.generators.sampling import sample_class

__all__ = [
    "GeneratorSet",
    "check_generator_cards",
    "load_generator_set",
    "parse_generator_specs",
]

CONDITIONAL = "conditional"
ALL_CLASSES = "all"  # the unit name of one unconditional GAN for every class (P2's recipe)


@dataclass
class GeneratorSet:
    """Loaded generators of one set, keyed by class name (or ``"conditional"``)."""

    name: str
    paths: dict[str, str]
    generators: dict[str, object] = field(default_factory=dict)  # key → LoadedGenerator
    cards: dict[str, dict] = field(default_factory=dict)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "files": self.paths,
            "arch": sorted({str(c.get("arch")) for c in self.cards.values()}),
            "epochs": sorted({str(c.get("epochs")) for c in self.cards.values()}),
        }

    def generate(
        self, class_names: Sequence[str], n_per_class: int, seed: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """``n_per_class`` images of every class, labelled by index into ``class_names``,
        drawn by the project's one seed rule (``keras_medgan.generators.sampling``), so the benchmark
        sees the images ``synthesize --seed`` writes."""

        images, labels = [], []
        for c, name in enumerate(class_names):
            x = sample_class(self.generators, name, n_per_class, seed)
            images.append(np.asarray(x, np.float32))
            labels.append(np.full(len(x), c, np.int64))
        return np.concatenate(images), np.concatenate(labels)


def parse_generator_specs(specs: Sequence[str]) -> dict[str, list[str]]:
    """``["dcgan=runs/1-dcgan32-head_ct", "a.h5,b.h5"]`` → ``{"dcgan": [...], "a": [...]}``.

    Without ``NAME=``, a set is named after its first path (run folder name or file stem).
    """
    sets: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, rest = spec.partition("=")
        if not sep:
            name, rest = "", spec
        paths = [p for p in rest.split(",") if p]
        if not paths:
            raise BenchmarkError(f"--generators {spec!r} names no file or folder")
        if not name:
            first = pathlib.Path(paths[0].rstrip("/"))
            name = first.stem if first.suffix else first.name
        if name in sets:
            raise BenchmarkError(f"two generator sets are named {name!r}; name them with NAME=PATH")
        sets[name] = paths
    return sets


def check_generator_cards(
    set_name: str,
    cards: dict[str, dict],
    paths: dict[str, str],
    *,
    image_size: int,
    channels: int,
    class_names: Sequence[str],
) -> None:
    """Raise BenchmarkError unless the generators fit the data (pure: cards in, nothing out).

    ``cards`` maps a class name (or ``"conditional"``) to that generator's model card.
    """
    for key, card in cards.items():
        where = f"generator {key!r} of set {set_name!r} ({paths.get(key)})"
        size = card.get("image_size")
        if size is not None and int(size) != int(image_size):
            raise BenchmarkError(
                f"{where} makes {size}×{size} images but the data is "
                f"{image_size}×{image_size} (--image-size)"
            )
        ch = card.get("channels")
        if ch is not None and int(ch) != int(channels):
            raise BenchmarkError(
                f"{where} makes {ch}-channel images but the data has {channels} channel(s)"
            )
    if ALL_CLASSES in cards:
        card = cards[ALL_CLASSES]
        command = str(card.get("command") or "python -m keras_medgan.train ...")
        raise BenchmarkError(
            f"generator set {set_name!r} ({paths.get(ALL_CLASSES)}) is one unconditional GAN "
            f"trained on every class together, so it cannot make images of a given class. "
            f"Train one GAN per class or one conditional GAN instead:\n"
            f"  {command} --per-class\n  {command} --conditional"
        )
    if CONDITIONAL in cards:
        if len(cards) > 1:
            raise BenchmarkError(
                f"set {set_name!r} mixes a conditional generator with "
                f"per-class ones ({', '.join(sorted(cards))}); give one kind"
            )
        card = cards[CONDITIONAL]
        gen_classes = [str(c) for c in card.get("class_names") or []]
        missing = [c for c in class_names if c not in gen_classes]
        if missing:
            raise BenchmarkError(
                f"conditional generator of set {set_name!r} ({paths.get(CONDITIONAL)}) has "
                f"classes {gen_classes}; the data's class(es) {missing} are not among them"
            )
        return
    extra = sorted(set(cards) - set(class_names))
    if extra:
        raise BenchmarkError(
            f"set {set_name!r} has generator(s) for class(es) {extra} "
            f"({', '.join(str(paths.get(k)) for k in extra)}) that the data does not have; "
            f"data classes: {list(class_names)}"
        )
    missing = [c for c in class_names if c not in cards]
    if missing:
        raise BenchmarkError(
            f"set {set_name!r} has no generator for class(es) {missing} (found: "
            f"{sorted(cards)}); every class needs one, or use one conditional generator"
        )


def shipped_or_paths(paths: Sequence[str], set_name: str) -> list[str]:
    """Paths as given, except a name of a shipped model (``p1_head_ct``) that is not also a
    path: that becomes its hash-checked files from ``models_h5/``."""

    out: list[str] = []
    for path in paths:
        if not pathlib.Path(path).exists() and path in read_manifest():
            try:
                out.extend(shipped_generator_files(path))
            except ValueError as exc:
                raise BenchmarkError(f"generator set {set_name!r}: {exc}") from None
        else:
            out.append(path)
    return out


def image_size_from_cards(generators: dict[str, list[str]]) -> int | None:
    """The image size every generator's model card states (read from the JSON beside each
    file; no model is loaded), or None when no card states one. Cards that disagree are a
    BenchmarkError naming the files."""

    sizes: dict[int, str] = {}
    for name, paths in generators.items():
        for path in shipped_or_paths(paths, name):
            try:
                located = find_generators(path)
            except (ValueError, OSError) as exc:
                raise BenchmarkError(f"generator set {name!r}: {exc}") from None
            for file in located.values():
                size = (read_model_card(file) or {}).get("image_size")
                if size is not None:
                    sizes.setdefault(int(size), str(file))
    if len(sizes) > 1:
        raise BenchmarkError(
            "the generators make images of different sizes: "
            + "; ".join(f"{s}×{s} ({f})" for s, f in sorted(sizes.items()))
            + "; benchmark one size at a time"
        )
    return next(iter(sizes), None)


def load_generator_set(
    name: str,
    paths: Sequence[str],
    *,
    image_size: int,
    channels: int,
    class_names: Sequence[str],
    trust_model: bool = False,
) -> GeneratorSet:
    """Find, load and check every generator of one set (export API of INTERFACES.md)."""

    found: dict[str, str] = {}
    for path in shipped_or_paths(paths, name):
        try:
            located = find_generators(path)
        except (ValueError, OSError) as exc:
            raise BenchmarkError(f"generator set {name!r}: {exc}") from None
        for key, file in located.items():
            if key in found:
                raise BenchmarkError(
                    f"generator set {name!r} has two generators for "
                    f"{key!r}: {found[key]} and {file}"
                )
            found[key] = str(file)
    gen_set = GeneratorSet(name=name, paths=found)
    for key, file in found.items():
        try:
            gen = load_generator(file, trust_model=trust_model)
        except (ValueError, OSError) as exc:
            raise BenchmarkError(f"generator set {name!r}: {exc}") from None
        gen_set.generators[key] = gen
        gen_set.cards[key] = dict(gen.card)
    check_generator_cards(
        name,
        gen_set.cards,
        found,
        image_size=image_size,
        channels=channels,
        class_names=class_names,
    )
    return gen_set
