"""Resolve the CLI's ``--data`` and ``--generators`` into image arrays.

``--data`` is a dataset spec for ``keras_medgan.data.load_image_set`` (a registry name,
``folder:PATH``, ``csv:PATH`` …). ``--generators`` is either an exported generator (a
file, an ``export/`` folder, a run folder or a shipped model's name — loaded through
``keras_medgan.generators.sampling.synthesize_set``), or a folder of images (e.g. what the
synthesize CLI wrote: ``<class>/<class>_00000.png`` + ``labels.csv``), read here with the
data package's image reader and mapped to [-1, 1]. Input files are only ever read.
"""

from __future__ import annotations

import csv
import os
import pathlib
from dataclasses import dataclass, field

import cv2
import numpy as np

from keras_medgan.core.errors import KerasMedganError
from keras_medgan.data import load_image_set
from keras_medgan.data.images import read_image


class InputError(KerasMedganError, ValueError):
    """A user-fixable problem with --data / --generators (message names the path and reason)."""


@dataclass
class ImageSet:
    images: np.ndarray  # float32 [N, H, W, 1] in [-1, 1]
    labels: np.ndarray | None  # int64 [N] indices into class_names, or None
    class_names: list[str]
    source: str  # what it was loaded from, for the report
    paths: list[str] = field(default_factory=list)


def load_real(
    data: str,
    image_size: int,
    split: str = "train",
    classes=None,
    seed: int = 0,
    data_dir: str | None = None,
) -> ImageSet:
    """Real images through the data package (its DataError is a ValueError)."""

    s = load_image_set(
        data, image_size=image_size, split=split, classes=classes, seed=seed, data_dir=data_dir
    )
    if len(s.images) == 0:
        raise InputError(f"--real {data}: no images in split {split!r}")
    return ImageSet(
        np.asarray(s.images, np.float32),
        np.asarray(s.labels, np.int64),
        list(s.class_names),
        f"{data} (split {split}, {len(s.images)} images)",
        list(s.paths),
    )


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def _image_files(folder: pathlib.Path) -> list[pathlib.Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES
    )


def is_generator_spec(path: pathlib.Path) -> bool:
    """A generator file, SavedModel, export folder or run folder (vs. a folder of images)."""
    if path.is_file():
        return path.suffix.lower() in (".h5", ".keras")
    if (path / "saved_model.pb").is_file() or (path / "export").is_dir():
        return True
    return path.is_dir() and any(p.name.startswith("generator_") for p in path.iterdir())


def _labels_from_csv(folder: pathlib.Path):
    csv_path = folder / "labels.csv"
    if not csv_path.is_file():
        return None
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return None
    file_key = next((k for k in ("file", "filename", "path", "image") if k in rows[0]), None)
    label_key = next((k for k in ("label", "class") if k in rows[0]), None)
    if file_key is None or label_key is None:
        raise InputError(f"{csv_path}: expected columns file,label; found {list(rows[0])}")
    return {os.path.normpath(r[file_key]): r[label_key] for r in rows}


def read_image_folder(
    folder, image_size: int | None = None, class_names: list[str] | None = None
) -> ImageSet:
    """A folder of images → [-1, 1]; labels from labels.csv, else from sub-folder names.

    Images of another size are resized with area interpolation (antialiased) to
    ``image_size``. Known ``class_names`` (the real set's) keep their indices.
    """

    folder = pathlib.Path(folder)
    files = _image_files(folder)
    if not files:
        raise InputError(f"--generators {folder}: no images ({', '.join(_IMAGE_SUFFIXES)}) found")
    by_csv = _labels_from_csv(folder)
    names: list[str | None] = []
    images = []
    for p in files:
        img = read_image(p)[0]
        if image_size and img.shape != (image_size, image_size):
            img = cv2.resize(img, (image_size, image_size), interpolation=cv2.INTER_AREA)
        images.append(img * 2.0 - 1.0)
        rel = os.path.normpath(str(p.relative_to(folder)))
        if by_csv is not None:
            names.append(by_csv.get(rel))
        else:
            names.append(p.parent.name if p.parent != folder else None)
    shapes = {im.shape for im in images}
    if len(shapes) > 1:
        raise InputError(
            f"--generators {folder}: images differ in size {sorted(shapes)}; "
            "pass --image-size to resize them"
        )
    labels, classes = _index_labels(names, class_names)
    return ImageSet(
        np.stack(images)[..., None].astype(np.float32),
        labels,
        classes,
        f"image folder {folder} ({len(files)} images)",
        [str(p) for p in files],
    )


def _index_labels(names, class_names):
    if any(n is None for n in names):
        return None, list(class_names or [])
    classes = list(class_names or [])
    for n in names:
        if n not in classes:
            classes.append(n)
    return np.array([classes.index(n) for n in names], np.int64), classes


def load_fake(
    spec: str,
    n_per_class: int = 100,
    seed: int = 0,
    image_size: int | None = None,
    class_names: list[str] | None = None,
    trust_model: bool = False,
) -> ImageSet:
    """Fake images from a generator / run folder (sampled) or from a folder of images."""
    # lazy: loads TensorFlow; module stays light
    from keras_medgan.generators.sampling import (
        is_shipped_name,
        synthesize_set,
    )

    path = pathlib.Path(spec)
    if not path.exists() and not is_shipped_name(spec):
        raise InputError(
            f"--generators {spec}: no such file or folder, nor a shipped model (synthesize --list)"
        )
    if path.exists() and not is_generator_spec(path):
        if path.is_file():
            raise InputError(
                f"--generators {spec}: not a generator (.h5/.keras/SavedModel/run "
                "folder) nor a folder of images"
            )
        return read_image_folder(path, image_size, class_names)
    images, labels, names = synthesize_set(
        path if path.exists() else spec, n_per_class=n_per_class, seed=seed, trust_model=trust_model
    )
    if image_size and images.shape[1] != image_size:
        raise InputError(
            f"--generators {spec}: the generator makes {images.shape[1]}×{images.shape[2]} "
            f"images but the real set is {image_size}×{image_size}"
        )
    mapped, classes = _index_labels([names[i] for i in labels], class_names)
    return ImageSet(
        np.asarray(images, np.float32),
        mapped,
        classes,
        f"generator {spec} ({n_per_class} per class, seed {seed})",
    )
