"""From labelled files to training arrays and a ``tf.data`` pipeline.

P1's recipe, made reusable: decode each slice once, fit it into a square of 32/64/128/256
pixels (aspect-preserving resize + zero pad, or a centre crop), keep one channel, scale
to [-1, 1] (so the zero pad is −1, the window's low end), split deterministically
(P1: 144/34/22 of 200, stratified, by patient), keep the classes asked for (P1 trains one
GAN per class) and serve (image, one-hot) batches.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from keras_medgan.core.console import Progress
from keras_medgan.core.registry import Registry
from keras_medgan.data.datasets import resolve_dataset
from keras_medgan.data.errors import DataError, SkipLog, log
from keras_medgan.data.labels import Record
from keras_medgan.data.phantom import cache_root
from keras_medgan.data.readers import (
    WINDOWED_KINDS,
    ReaderOptions,
    read_any,
    suffix_kind,
)
from keras_medgan.data.windows import parse_window

#: P1 split 144 / 34 / 22 of 200 → train / val / test fractions.
SPLIT_RATIOS = (144 / 200, 34 / 200, 22 / 200)
SPLITS = ("train", "val", "test", "all")
IMAGE_SIZES = (32, 64, 128, 256)
ARRAY_CACHE_VERSION = 2


@dataclass
class ImageSet:
    """Images in [-1, 1] with labels, patient ids and provenance (see docs/INTERFACES.md)."""

    images: np.ndarray  # float32 [N, H, W, 1]
    labels: np.ndarray  # int64 [N], indices into class_names
    class_names: list[str]
    patient_ids: list[str]
    paths: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    subtypes: np.ndarray | None = None  # int8 [N, 5] for RSNA-style sets
    subtype_names: tuple[str, ...] | None = None
    split: str = "all"
    data: str = ""
    source_shapes: np.ndarray | None = None  # int [N, 2]: (height, width) before resizing

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> dict[str, int]:
        """Images per class name (every class, zeros included)."""
        binc = np.bincount(self.labels, minlength=len(self.class_names))
        return {name: int(binc[i]) for i, name in enumerate(self.class_names)}


# ---------------------------------------------------------------------------------------
# geometry


def _resize(img: np.ndarray, width: int, height: int) -> np.ndarray:
    shrinking = width < img.shape[1] or height < img.shape[0]
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    out = cv2.resize(img, (width, height), interpolation=interp)
    if img.ndim == 3 and out.ndim == 2:
        out = out[..., None]
    return out


def fit_pad(img: np.ndarray, size: int) -> np.ndarray:
    """Aspect-preserving resize so the long side is ``size``, centred on a zero canvas
    (P1's "down-scaled and zero-padded")."""
    h, w = img.shape[:2]
    scale = size / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = _resize(img, nw, nh)
    out = np.zeros((size, size) + img.shape[2:], np.float32)
    top, left = (size - nh) // 2, (size - nw) // 2
    out[top : top + nh, left : left + nw] = small
    return out


def fit_crop(img: np.ndarray, size: int) -> np.ndarray:
    """Aspect-preserving resize so the short side is ``size``, then a centre crop."""
    h, w = img.shape[:2]
    scale = size / min(h, w)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    big = _resize(img, nw, nh)
    top, left = (nh - size) // 2, (nw - size) // 2
    return np.ascontiguousarray(big[top : top + size, left : left + size]).astype(np.float32)


RESIZERS: Registry = Registry("resize mode")
RESIZERS.register("pad", fit_pad)
RESIZERS.register("crop", fit_crop)


def to_model_range(img01: np.ndarray) -> np.ndarray:
    """[0, 1] → [-1, 1] (P0's mean 0.5 / std 0.5 normalisation)."""
    return (np.asarray(img01, np.float32) * 2.0 - 1.0).astype(np.float32)


def to_display_range(img: np.ndarray) -> np.ndarray:
    """[-1, 1] → [0, 1], clipped."""
    return np.clip((np.asarray(img, np.float32) + 1.0) / 2.0, 0.0, 1.0)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """[-1, 1] float → 0..255 uint8 (the inverse of the data stage's normalisation)."""
    return np.clip(np.rint((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------------------------------
# splits


def split_indices(
    labels: Sequence[int],
    groups: Sequence[str],
    seed: int = 0,
    ratios: Sequence[float] = SPLIT_RATIOS,
) -> dict[str, np.ndarray]:
    """Deterministic stratified train/val/test split by group (patient).

    All items of a group land in one split. Groups are stratified by their set of labels,
    counts per stratum are rounded from ``ratios`` (100 patients → 72/17/11, so P1's 200
    slices give exactly 144/34/22), and the result depends only on (labels, groups, seed),
    not on the order of the inputs.
    """
    labels = np.asarray(labels)
    groups = np.asarray([str(g) for g in groups])
    if len(labels) != len(groups):
        raise ValueError(
            f"labels and groups differ in length. Received: {len(labels)} vs {len(groups)}"
        )
    ratios = np.asarray(ratios, float)
    if ratios.shape != (3,) or (ratios < 0).any() or ratios.sum() <= 0:
        raise ValueError(f"ratios must be three non-negative numbers. Received: {ratios.tolist()}")
    ratios = ratios / ratios.sum()
    group_labels: dict[str, set] = {}
    for g, y in zip(groups, labels):
        group_labels.setdefault(g, set()).add(int(y))
    strata: dict[str, list[str]] = {}
    for g in sorted(group_labels):
        strata.setdefault("+".join(map(str, sorted(group_labels[g]))), []).append(g)
    assignment: dict[str, int] = {}
    for stratum in sorted(strata):
        members = strata[stratum]
        digest = hashlib.sha1(f"{seed}:{stratum}".encode()).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        order = [members[i] for i in rng.permutation(len(members))]
        n = len(order)
        n_train = round(n * ratios[0])
        n_val = min(n - n_train, round(n * ratios[1]))
        for i, g in enumerate(order):
            assignment[g] = 0 if i < n_train else (1 if i < n_train + n_val else 2)
    which = np.array([assignment[g] for g in groups], int)
    out = {name: np.flatnonzero(which == i) for i, name in enumerate(SPLITS[:3])}
    out["all"] = np.arange(len(labels))
    return out


# ---------------------------------------------------------------------------------------
# decoding (+ optional on-disk array cache)


def _cache_key(
    records: Sequence[Record], image_size: int, resize: str, options: ReaderOptions
) -> str:
    h = hashlib.sha1()
    h.update(json.dumps([ARRAY_CACHE_VERSION, image_size, resize, repr(options)]).encode())
    for r in records:
        try:
            st = os.stat(r.path)
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = (0, -1)
        h.update(f"{r.path}\0{stamp}\n".encode())
    return h.hexdigest()[:20]


def _cache_path(key: str) -> Path:
    return cache_root() / "arrays" / f"{key}.npz"


def to_uint16(images01: np.ndarray) -> np.ndarray:
    """[0, 1] floats → the 16-bit values the array cache stores."""
    return np.rint(np.clip(images01, 0, 1) * 65535.0).astype(np.uint16)


def _load_cached(path: Path):
    try:
        with np.load(path, allow_pickle=False) as z:
            images = z["images"].astype(np.float32) / np.float32(65535.0)
            owner = z["owner"].astype(np.int64)
            shapes = z["shapes"].astype(np.int64)
            skipped = [tuple(x) for x in json.loads(str(z["skipped"]))]
        return images, owner, shapes, skipped
    except Exception:  # noqa: BLE001 - a stale or partial cache file is just a miss
        return None


def _save_cached(
    path: Path, images: np.ndarray, owner: np.ndarray, shapes: np.ndarray, skipped
) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
        os.close(fd)
        np.savez(
            tmp,
            images=to_uint16(images),
            owner=owner,
            shapes=shapes,
            skipped=np.array(json.dumps(skipped)),
        )
        os.replace(tmp, path)
    except OSError as err:  # caching is an optimisation; never fail the load for it
        log.info("array cache not written (%s)", err)


def decode_records(
    records: Sequence[Record],
    image_size: int,
    resize: str = "pad",
    options: ReaderOptions | None = None,
    skips: SkipLog | None = None,
    cache: bool = True,
    progress: bool = True,
):
    """Read + fit every record. Returns (images [M, S, S(, C)] in [0, 1], owner [M] = index
    of the record each image came from, source shapes [M, 2]). Bad files go to ``skips``."""
    skips = skips if skips is not None else SkipLog()
    options = options if options is not None else ReaderOptions()
    fit = RESIZERS.get(resize)
    cpath = _cache_path(_cache_key(records, image_size, resize, options)) if cache else None
    if cpath is not None and cpath.is_file():
        hit = _load_cached(cpath)
        if hit is not None:
            images, owner, shapes, skipped = hit
            for p, reason in skipped:
                skips.skip(p, reason)
            return images, owner, shapes
    images, owner, shapes = [], [], []
    start = len(skips.items)
    bar = Progress(len(records), "decoding", enabled=progress)
    for i, rec in enumerate(records):
        try:
            slices = read_any(rec.path, options)
        except DataError as err:
            skips.skip_error(err, rec.path)
            continue
        if not slices:
            skips.skip(rec.path, "no slices left (empty volume or all slices dropped)")
        for img in slices:
            images.append(np.clip(fit(img, image_size), 0.0, 1.0))
            owner.append(i)
            shapes.append(img.shape[:2])
        bar.update(i + 1)
    bar.close()
    if images:
        # the values a cache hit returns, so a run that fills the cache trains on exactly
        # the images of every later run (exact resume, reproducible runs); ≤ 7.7e-6 change
        arr = to_uint16(np.stack(images)).astype(np.float32) / np.float32(65535.0)
    else:
        arr = np.zeros((0, image_size, image_size), np.float32)
    owner_arr = np.asarray(owner, np.int64)
    shapes_arr = np.asarray(shapes, np.int64).reshape(-1, 2)
    if cpath is not None:
        _save_cached(cpath, arr, owner_arr, shapes_arr, skips.items[start:])
    return arr, owner_arr, shapes_arr


# ---------------------------------------------------------------------------------------


def load_image_set(
    data: str = "phantom",
    image_size: int = 32,
    split: str = "train",
    classes: Sequence[str] | None = None,
    seed: int = 0,
    data_dir=None,
    resize: str = "pad",
    strict: bool = False,
    *,
    window: str | None = None,
    ratios: Sequence[float] = SPLIT_RATIOS,
    cache: bool = True,
    plane: str = "axial",
    slice_range: tuple[int, int] | None = None,
    drop_empty: bool = False,
    progress: bool = True,
    allow_empty: bool = False,
) -> ImageSet:
    """Load a registered dataset as float32 [N, S, S, 1] images in [-1, 1].

    ``data``: ``head_ct``, ``rsna_ich``, ``brain_mri``, ``phantom[:n=..,seed=..]``,
    ``folder:PATH``, ``csv:PATH`` or ``nifti:PATH``. ``split`` picks train/val/test/all of
    the deterministic patient-level split (seeded by ``seed``); ``classes`` keeps only
    those class names (``class_names`` and label indices stay those of the full set, so
    one-hot vectors agree across per-class sets). ``window`` applies to DICOM (default:
    the dataset's, "brain" for CT); ``plane``/``slice_range``/``drop_empty`` to NIfTI.
    Bad files are skipped and listed in ``.skipped`` (``strict=True``: first one raises).
    An empty result is a ``DataError`` unless ``allow_empty`` (tiny sets: empty test split).
    """
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")
    if resize not in RESIZERS:
        raise DataError(f"unknown resize mode {resize!r}; valid: {', '.join(RESIZERS.names())}")
    if not isinstance(image_size, (int, np.integer)) or not 4 <= int(image_size) <= 2048:
        raise DataError(
            f"image_size must be an integer pixel size such as 32/64/128/256. "
            f"Received: {image_size!r}"
        )
    image_size = int(image_size)
    if window is not None:
        parse_window(window)  # a typo is one early error, not N skipped files
    skips = SkipLog(strict=strict)
    spec, files = resolve_dataset(data, data_dir, skips)
    class_names = list(files.class_names)
    if classes is not None:
        classes = [classes] if isinstance(classes, str) else list(classes)
        unknown = [c for c in classes if c not in class_names]
        if unknown:
            raise DataError(
                f"dataset {data!r} has no class {unknown[0]!r}; classes: {', '.join(class_names)}"
            )
    records = files.records
    if (
        window is not None
        and records
        and not any(suffix_kind(r.path) in WINDOWED_KINDS for r in records)
    ):
        kinds = sorted({str(suffix_kind(r.path)) for r in records})
        raise DataError(
            f"--window {window} applies to DICOM files, and dataset {data!r} holds "
            f"none (only {', '.join(kinds)} files, e.g. {records[0].path}): their "
            f"pixel values are used as stored. Leave out --window."
        )
    label_idx = np.array([class_names.index(r.label) for r in records], np.int64)
    chosen = split_indices(label_idx, [r.patient_id for r in records], seed, ratios)[split]
    if classes is not None:
        keep = {class_names.index(c) for c in classes}
        chosen = np.array([i for i in chosen if label_idx[i] in keep], np.int64)
    chosen_records = [records[i] for i in chosen]
    options = ReaderOptions(
        window=window or spec.window,
        plane=plane,
        slice_range=tuple(slice_range) if slice_range else None,
        drop_empty=drop_empty,
    )
    images01, owner, shapes = decode_records(
        chosen_records, image_size, resize, options, skips, cache, progress
    )
    if len(owner) == 0:
        images01 = np.zeros((0, image_size, image_size, 1), np.float32)
    if images01.ndim == 3:
        images01 = images01[..., None]
    picked = [chosen_records[i] for i in owner]
    labels = np.array([class_names.index(r.label) for r in picked], np.int64)
    wanted = classes if classes is not None else class_names
    have = set(labels.tolist())
    for name in wanted:
        if class_names.index(name) not in have and not allow_empty:
            skips.skip(f"{data} [{split}]", f"class {name!r} has no images")
    if len(picked) == 0 and not allow_empty:
        raise DataError(
            f"dataset {data!r}: no images in split {split!r}"
            + (f" for classes {list(classes)}" if classes else "")
            + (f"\n{skips.summary()}" if skips.items else "")
        )
    skips.report()
    subtypes = None
    if files.subtype_names is not None:
        subtypes = np.array(
            [r.subtypes or (0,) * len(files.subtype_names) for r in picked], np.int8
        )
    return ImageSet(
        images=to_model_range(images01),
        labels=labels,
        class_names=class_names,
        patient_ids=[r.patient_id for r in picked],
        paths=[r.path for r in picked],
        skipped=list(skips.items),
        subtypes=subtypes,
        subtype_names=files.subtype_names,
        split=split,
        data=data,
        source_shapes=shapes,
    )


def _batchable(images, labels, num_classes, batch_size: int, drop_remainder: bool):
    """(float32 images [n, H, W, C], one-hot labels) checked for batching; an ``ImageSet``
    may stand for images, labels and classes. The one input check of both builders below."""
    if isinstance(images, ImageSet):
        labels = images.labels if labels is None else labels
        num_classes = len(images.class_names) if num_classes is None else num_classes
        images = images.images
    images = np.asarray(images, np.float32)
    labels = np.asarray(labels, np.int64).reshape(-1)
    if images.ndim == 3:
        images = images[..., None]
    if len(images) != len(labels):
        raise DataError(f"images and labels differ in length: {len(images)} vs {len(labels)}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if len(labels) else 1
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise DataError(
            f"labels must lie in [0, {num_classes}); got {labels.min()}..{labels.max()}"
        )
    if batch_size < 1:
        raise DataError(f"batch_size must be >= 1. Received: {batch_size}")
    if drop_remainder and len(images) < batch_size:
        raise DataError(
            f"only {len(images)} images but batch_size={batch_size} with "
            "drop_remainder=True: the dataset would be empty"
        )
    return images, np.eye(num_classes, dtype=np.float32)[labels]


def make_tf_dataset(
    images,
    labels=None,
    num_classes: int | None = None,
    batch_size: int = 16,
    shuffle: bool = True,
    seed: int = 0,
    drop_remainder: bool = True,
    repeat: bool = False,
):
    """(images, one-hot labels) batches: cache → shuffle → (repeat) → batch → prefetch.

    The arrays are already decoded, so ``cache()`` only keeps the slices in TF memory;
    ``drop_remainder=True`` keeps every batch the same shape (no XLA retrace, and BN sees
    no 1-image batch). Accepts an ``ImageSet`` as the first argument too.
    """
    import tensorflow as tf  # lazy: loads TensorFlow; module stays light

    images, one_hot = _batchable(images, labels, num_classes, batch_size, drop_remainder)
    ds = tf.data.Dataset.from_tensor_slices((images, one_hot)).cache()
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def epoch_order(n: int, batch_size: int, seed: int, epoch):
    """The batches of epoch ``epoch`` as image indices [n // batch_size, batch_size].

    A stateless function of (seed, epoch) -- not of how many epochs this process has run --
    so a run resumed at epoch e draws exactly the batches an unbroken run draws there
    (``shuffle(reshuffle_each_iteration=True)`` restarts its sequence when rebuilt).
    The images left over by ``drop_remainder`` change from epoch to epoch.
    """
    import tensorflow as tf  # lazy: loads TensorFlow; module stays light

    steps = n // batch_size
    key = tf.stack([tf.constant(int(seed), tf.int64), tf.cast(epoch, tf.int64)])
    order = tf.argsort(tf.random.stateless_uniform([n], seed=key))
    return tf.reshape(order[: steps * batch_size], (steps, batch_size))


def make_epoch_dataset(
    images,
    labels,
    num_classes: int,
    batch_size: int,
    seed: int = 0,
    start_epoch: int = 0,
    static_batch: bool = True,
):
    """Endless (images, one-hot) batches, epoch after epoch from ``start_epoch``.

    What the trainer feeds ``fit(..., steps_per_epoch=n // batch_size)``: one iterator for
    the whole run (Keras rebuilds a finite dataset's iterator at every epoch, which cost
    as much as a 16-image dcgan32 step), one trace, and the order of :func:`epoch_order`
    (exact resume).

    ``static_batch=False`` leaves the batch dimension unknown to the traced step (the
    batches are the same). Deterministic runs need it: on TF 2.21's CPU, a step whose
    batch size is static and that takes a gradient of a gradient (WGAN-GP's and P1's
    penalty) gave different weights from run to run even under op determinism, through
    graph rewriting (gone with Grappler's meta-optimizer off, with no single pass to
    blame); with an unknown batch size the same steps were bit-identical in every trial
    (docs/train.md, "Exact resume").
    """
    import tensorflow as tf  # lazy: loads TensorFlow; module stays light

    images, one_hot = _batchable(images, labels, num_classes, batch_size, drop_remainder=True)
    n = len(images)
    pixels, one_hot = tf.constant(images), tf.constant(one_hot)
    epochs = tf.data.Dataset.range(int(start_epoch), 2**62)
    batches = epochs.map(lambda e: epoch_order(n, batch_size, seed, e)).unbatch()
    if not static_batch:  # every epoch holds whole batches, so each batch is still full
        batches = batches.unbatch().batch(batch_size)
    return batches.map(lambda idx: (tf.gather(pixels, idx), tf.gather(one_hot, idx))).prefetch(
        tf.data.AUTOTUNE
    )
