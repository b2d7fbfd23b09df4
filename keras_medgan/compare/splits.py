"""Real train / val / test splits for one repeat, with the checks the benchmark needs.

Repeat ``i`` uses split seed ``i``: ``load_image_set(split=..., seed=i)`` gives a
stratified split (patient-level where the data has patient ids, so no patient is in two
splits). Every class must be present in every split — the test split to measure
sensitivity AND specificity, the validation split for early stopping, the training split
to train on (and to size the synthetic arms).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from keras_medgan.compare.errors import BenchmarkError
from keras_medgan.data import load_image_set
from keras_medgan.data.sanity import check_image_sets

__all__ = ["Splits", "check_splits", "load_splits"]

SPLIT_NAMES = ("train", "val", "test")


@dataclass
class Splits:
    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    class_names: list[str]
    seed: int
    findings: list = field(default_factory=list)  # data sanity (keras_medgan.data.sanity)

    @property
    def image_shape(self) -> tuple:
        return tuple(self.train[0].shape[1:])

    def counts(self) -> dict[str, list[int]]:
        c = len(self.class_names)
        return {
            name: np.bincount(getattr(self, name)[1], minlength=c).tolist() for name in SPLIT_NAMES
        }


def check_splits(splits: Splits, data_name: str) -> None:
    """Every class in every split, or a BenchmarkError with the per-class counts."""
    counts = splits.counts()
    for split, per_class in counts.items():
        empty = [splits.class_names[c] for c, n in enumerate(per_class) if n == 0]
        if empty:
            table = "; ".join(
                f"{s}: " + ", ".join(f"{splits.class_names[c]}={n}" for c, n in enumerate(v))
                for s, v in counts.items()
            )
            raise BenchmarkError(
                f"too few images in {data_name!r} for the requested split (seed "
                f"{splits.seed}): the {split} split has no image of class(es) {empty}. "
                f"Counts per split: {table}"
            )


def _counts_note(loader, data, image_size, seed, data_dir, parts) -> str:
    """Per-class counts of the whole set and of the splits loaded so far, for an error."""
    notes = []
    try:
        whole = loader(data=data, image_size=image_size, split="all", seed=seed, data_dir=data_dir)
        counts = np.bincount(np.asarray(whole.labels), minlength=len(whole.class_names))
        notes.append(
            "whole set: "
            + ", ".join(f"{n}={c}" for n, c in zip(whole.class_names, counts.tolist()))
        )
    except ValueError:
        return ""
    for split, (_, labels) in parts.items():
        counts = np.bincount(labels, minlength=len(whole.class_names))
        notes.append(
            f"{split}: " + ", ".join(f"{n}={c}" for n, c in zip(whole.class_names, counts.tolist()))
        )
    return f"\nimage counts (split seed {seed}): " + "; ".join(notes)


def load_splits(
    data: str,
    *,
    image_size: int,
    seed: int,
    data_dir: str | None = None,
    loader: Callable | None = None,
) -> Splits:
    """Load train/val/test with ``keras_medgan.data.load_image_set`` (or ``loader``)."""
    loader = load_image_set if loader is None else loader

    parts, loaded = {}, {}
    class_names = None
    for split in SPLIT_NAMES:
        try:
            s = loader(data=data, image_size=image_size, split=split, seed=seed, data_dir=data_dir)
        except ValueError as exc:  # DataError is a ValueError: the user's data/flags
            raise BenchmarkError(
                f"{exc}{_counts_note(loader, data, image_size, seed, data_dir, parts)}"
            ) from None
        if class_names is not None and list(s.class_names) != class_names:
            raise BenchmarkError(
                f"{data!r}: class names differ between splits "
                f"({class_names} vs {list(s.class_names)})"
            )
        class_names = list(s.class_names)
        parts[split] = (np.asarray(s.images, np.float32), np.asarray(s.labels, np.int64))
        loaded[split] = s
    splits = Splits(
        class_names=class_names, seed=seed, **parts, findings=check_image_sets(loaded, image_size)
    )
    check_splits(splits, data)
    return splits
