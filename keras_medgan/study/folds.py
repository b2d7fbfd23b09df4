"""Repeated stratified k-fold, patient-level, with a validation part carved from training.

Every image is tested exactly once per repeat: repeat ``r`` deals the patients into
``folds`` test folds (stratified by class, all slices of a patient in one fold), seeded by
``seed + r``. For each fold the remaining patients are split again, the same way, into the
part the GANs and classifiers train on and a validation part that only early stopping sees.

These are pure functions of (labels, patient ids, seed) so that a study sharded over
several processes or machines computes the same folds everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from keras_medgan.core.errors import KerasMedganError

__all__ = [
    "FoldError",
    "FoldParts",
    "assign_test_folds",
    "check_fold_counts",
    "check_sizes",
    "fold_parts",
    "subsample_per_class",
]


class FoldError(KerasMedganError, ValueError):
    """The data cannot be dealt into the requested folds (too few images of a class)."""


@dataclass(frozen=True)
class FoldParts:
    """Indices into the whole image set for one (repeat, fold)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def _deal(labels: np.ndarray, groups: np.ndarray, n_splits: int, seed: int) -> np.ndarray:
    """Fold number of every item: stratified by class, whole groups, seeded."""

    which = np.full(len(labels), -1, np.int64)
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=int(seed))
    for k, (_, test) in enumerate(splitter.split(np.zeros(len(labels)), labels, groups)):
        which[test] = k
    return which


def assign_test_folds(
    labels: Sequence[int], groups: Sequence[str], folds: int, seed: int
) -> np.ndarray:
    """The test fold (0 … folds − 1) of every image for one repeat's seed."""
    return _deal(np.asarray(labels), np.asarray([str(g) for g in groups]), int(folds), seed)


def fold_parts(
    labels: Sequence[int],
    groups: Sequence[str],
    folds: int,
    repeat: int,
    fold: int,
    *,
    seed: int = 0,
    val_fraction: float = 0.2,
) -> FoldParts:
    """Train / val / test indices of (``repeat``, ``fold``); val is about ``val_fraction``
    of the non-test patients (one of ``round(1 / val_fraction)`` inner folds)."""
    labels = np.asarray(labels)
    groups = np.asarray([str(g) for g in groups])
    which = assign_test_folds(labels, groups, folds, seed + repeat)
    test = np.flatnonzero(which == fold)
    rest = np.flatnonzero(which != fold)
    inner = max(2, round(1.0 / float(val_fraction)))
    inner_which = _deal(labels[rest], groups[rest], inner, seed + repeat + 7919 * (fold + 1))
    return FoldParts(train=rest[inner_which != 0], val=rest[inner_which == 0], test=test)


#: Offset of the subsampling seed, so it never equals a seed the folds are dealt with.
SUBSAMPLE_SEED = 104729


def subsample_per_class(
    labels: Sequence[int], train: np.ndarray, size: int | None, seed: int
) -> np.ndarray:
    """``size`` indices of every class drawn from ``train`` (all of it for ``None``).

    One seeded permutation per class, of which the first ``size`` are kept: the subsets
    of one fold are NESTED (the 8 images of a class are among its 16), so a learning curve
    adds images rather than swapping them, and its points differ only by what was added.
    The result keeps ``train``'s order. A ValueError when a class has fewer than ``size``.
    """
    train = np.asarray(train)
    if size is None:
        return train
    labels = np.asarray(labels)
    rng = np.random.default_rng(int(seed) + SUBSAMPLE_SEED)
    keep = []
    for c in np.unique(labels[train]):
        members = train[labels[train] == c]
        if len(members) < size:
            raise ValueError(
                f"class {int(c)} has {len(members)} training images, fewer than {size}"
            )
        keep.append(members[rng.permutation(len(members))[:size]])
    chosen = set(np.concatenate(keep).tolist())
    return np.asarray([i for i in train if i in chosen], train.dtype)


def check_sizes(
    sizes: Sequence[int | None],
    smallest_train: dict[str, int],
    gan_batches: dict[str, tuple[int, int]],
) -> None:
    """A FoldError for a ``--real-per-class`` value no fold can give or no recipe can train
    on. ``smallest_train``: class → its fewest training images over every (repeat, fold);
    ``gan_batches``: recipe → (its batch size, classes one of its GANs sees: 1 for a
    per-class recipe, every class for a conditional one)."""
    for size in sizes:
        if size is None:
            continue
        if size < 1:
            raise FoldError(f"--real-per-class {size}: give a number of images >= 1, or all")
        short = {n: c for n, c in smallest_train.items() if c < size}
        if short:
            raise FoldError(
                f"--real-per-class {size}: a training part has only "
                + ", ".join(f"{c} {n}" for n, c in short.items())
                + f" images; give sizes up to {min(smallest_train.values())}, or all"
            )
        too_big = {n: b for n, (b, k) in gan_batches.items() if b > size * k}
        if too_big:
            raise FoldError(
                f"--real-per-class {size}: recipe(s) "
                + ", ".join(f"{n} (batch_size {b})" for n, b in too_big.items())
                + f" cannot train one batch on {size} images per class; give "
                f"--gan-batch-size {size} (or smaller), or sizes >= "
                f"{max(too_big.values())}"
            )


def check_fold_counts(
    labels: Sequence[int],
    groups: Sequence[str],
    class_names: Sequence[str],
    folds: int,
    *,
    min_train: int = 1,
    val_fraction: float = 0.2,
) -> None:
    """A FoldError naming the per-class counts when a fold would miss a class somewhere.

    Each class needs images (of distinct patients) in every test fold, in every validation
    part and at least ``min_train`` in every training part (a GAN batch, per class).
    """
    labels = np.asarray(labels)
    counts = np.bincount(labels, minlength=len(class_names))
    whole = ", ".join(f"{n}={c}" for n, c in zip(class_names, counts.tolist()))
    inner = max(2, round(1.0 / float(val_fraction)))
    if folds < 2:
        raise FoldError(f"--folds must be >= 2, got {folds}")
    patients = {c: len({g for g, y in zip(groups, labels) if y == c}) for c in range(len(counts))}
    need = folds * inner  # each class must reach every test fold and every inner val part
    short = [
        f"{class_names[c]} ({counts[c]} images, {patients[c]} patients)"
        for c in range(len(counts))
        if patients[c] < need
    ]
    if short:
        raise FoldError(
            f"too few images for {folds} folds with a {val_fraction:g} validation "
            f"part: each class needs at least {need} patients, and "
            f"{', '.join(short)} fall short (whole set: {whole}). "
            f"Give fewer --folds or more data."
        )
    for c in range(len(counts)):
        per_fold_train = (counts[c] - counts[c] / folds) * (1 - 1 / inner)
        if per_fold_train < min_train:
            raise FoldError(
                f"class {class_names[c]!r} has {counts[c]} images: about "
                f"{per_fold_train:.0f} per training part with {folds} folds, fewer "
                f"than one GAN batch ({min_train}); give fewer --folds or a "
                f"smaller batch size in the recipe (whole set: {whole})"
            )
