"""The training sets the benchmark compares (P1's Table 1 and the classical baselines).

P1 trains the same ResNet-50 on three sets — 200 real, 200 synthetic, 200 real + 200
synthetic — and reports test accuracy, sensitivity and specificity. P1's own future-work
list adds "combine with classical augmentation", so two more arms are here: classical
augmentation of the real set, and classical augmentation of real + synthetic.

Each arm is a pure function of arrays: real training images/labels and a pool of synthetic
images/labels go in, a :class:`TrainingSet` comes out. The classical arms only set the
``augment`` flag: the flips/rotations/shifts/intensity changes are applied on the fly in
training (see :mod:`keras_medgan.compare.classifier_augment`), never materialised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from keras_medgan.compare.errors import BenchmarkError
from keras_medgan.core.registry import Registry

__all__ = [
    "ARMS",
    "REFERENCE_ARM",
    "ArmSpec",
    "TrainingSet",
    "build_training_set",
    "synthetic_needed",
    "synthetic_per_class",
]


@dataclass(frozen=True)
class ArmSpec:
    """What an arm trains on.

    ``real``: use the real training split. ``synthetic``: ``"match"`` takes as many
    synthetic images per class as there are real ones (P1's synthetic-only arm);
    ``"ratio"`` takes ``synthetic_ratio`` × the real count per class (P1's real +
    synthetic arm is ratio 1). ``augment``: classical augmentation on the fly.
    """

    name: str
    description: str
    real: bool
    synthetic: str | None  # None | "match" | "ratio"
    augment: bool

    @property
    def uses_synthetic(self) -> bool:
        return self.synthetic is not None


@dataclass(frozen=True)
class TrainingSet:
    images: np.ndarray  # float32 [N, H, W, C] in [-1, 1]
    labels: np.ndarray  # int64 [N]
    augment: bool
    n_real: int
    n_synthetic: int

    def class_counts(self, num_classes: int) -> list[int]:
        return np.bincount(self.labels, minlength=num_classes).tolist()


ARMS: Registry[ArmSpec] = Registry("arm")
for _spec in (
    ArmSpec("real", "real training split only (P1: 'real')", True, None, False),
    ArmSpec(
        "synthetic",
        "synthetic only, as many per class as real (P1: 'synthetic')",
        False,
        "match",
        False,
    ),
    ArmSpec(
        "real+synthetic",
        "real + synthetic at --synthetic-ratio per class (P1: 'real + synthetic', 1:1)",
        True,
        "ratio",
        False,
    ),
    ArmSpec("classical", "real with classical augmentation on the fly", True, None, True),
    ArmSpec(
        "classical+synthetic",
        "real + synthetic, classical augmentation on the fly",
        True,
        "ratio",
        True,
    ),
):
    ARMS.add(_spec)

#: The arm every other arm is compared with (paired difference and test).
REFERENCE_ARM = "real"

#: The order arms appear in tables (P1's rows first).
ARM_ORDER = ("real", "synthetic", "real+synthetic", "classical", "classical+synthetic")


def synthetic_per_class(
    spec: ArmSpec, real_counts: Sequence[int], synthetic_ratio: float = 1.0
) -> list[int]:
    """How many synthetic images of each class ``spec`` uses, given real class counts."""
    if spec.synthetic is None:
        return [0] * len(real_counts)
    if spec.synthetic == "match":
        return [int(c) for c in real_counts]
    return [round(float(synthetic_ratio) * c) for c in real_counts]


def synthetic_needed(
    arm_names: Sequence[str], real_counts: Sequence[int], synthetic_ratio: float = 1.0
) -> int:
    """Images per class a synthetic pool must hold to serve every arm in ``arm_names``."""
    need = [0]
    for name in arm_names:
        need.extend(synthetic_per_class(ARMS.get(name), real_counts, synthetic_ratio))
    return max(need)


def _take_per_class(
    images: np.ndarray, labels: np.ndarray, counts: Sequence[int], class_names: Sequence[str]
) -> dict[str, np.ndarray]:
    """The first ``counts[c]`` pool images of each class c (the pool is already random)."""
    picked_x, picked_y = [], []
    for c, want in enumerate(counts):
        if want == 0:
            continue
        idx = np.flatnonzero(labels == c)
        if idx.size < want:
            raise BenchmarkError(
                f"synthetic pool has {idx.size} images of class {class_names[c]!r}, "
                f"the arm needs {want}"
            )
        picked_x.append(images[idx[:want]])
        picked_y.append(labels[idx[:want]])
    if not picked_x:
        return {"images": images[:0], "labels": labels[:0]}
    return {"images": np.concatenate(picked_x), "labels": np.concatenate(picked_y)}


def build_training_set(
    arm: str,
    real_images: np.ndarray,
    real_labels: np.ndarray,
    synthetic_images: np.ndarray | None = None,
    synthetic_labels: np.ndarray | None = None,
    *,
    num_classes: int,
    class_names: Sequence[str] | None = None,
    synthetic_ratio: float = 1.0,
    seed: int = 0,
) -> TrainingSet:
    """Assemble arm ``arm``'s training set from real images and a synthetic pool.

    Per-class counts follow the real training split, so the synthetic arms keep its class
    balance. The result is shuffled with ``seed`` (real and synthetic interleaved).
    """
    spec = ARMS.get(arm)
    names = list(class_names) if class_names is not None else [str(c) for c in range(num_classes)]
    real_labels = np.asarray(real_labels, np.int64).reshape(-1)
    real_counts = np.bincount(real_labels, minlength=num_classes).tolist()
    parts_x, parts_y = [], []
    n_real = n_synth = 0
    if spec.real:
        parts_x.append(np.asarray(real_images, np.float32))
        parts_y.append(real_labels)
        n_real = len(real_labels)
    if spec.uses_synthetic:
        if synthetic_images is None or synthetic_labels is None:
            raise BenchmarkError(f"arm {arm!r} needs synthetic images: pass --generators")
        if float(synthetic_ratio) < 0:
            raise BenchmarkError(f"--synthetic-ratio must be >= 0, got {synthetic_ratio}")
        counts = synthetic_per_class(spec, real_counts, synthetic_ratio)
        picked = _take_per_class(
            np.asarray(synthetic_images, np.float32),
            np.asarray(synthetic_labels, np.int64).reshape(-1),
            counts,
            names,
        )
        parts_x.append(picked["images"])
        parts_y.append(picked["labels"])
        n_synth = len(picked["labels"])
    images = np.concatenate(parts_x)
    labels = np.concatenate(parts_y)
    order = np.random.default_rng(seed).permutation(len(labels))
    return TrainingSet(
        images=images[order],
        labels=labels[order],
        augment=spec.augment,
        n_real=n_real,
        n_synthetic=n_synth,
    )
