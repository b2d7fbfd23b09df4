"""Dataset names → labelled file lists (the ``--data`` registry).

``DATASETS`` maps each name to a ``DatasetSpec``. Real sets (``head_ct``, ``rsna_ich``,
``brain_mri``) are looked for in ``--data-dir``, then ``$KERAS_MEDGAN_DATA/<name>``, then
``~/keras_medgan_data/<name>``; when absent, one ``DataError`` says where to get the data,
where to put it and that ``--data phantom`` works now. ``folder:PATH``, ``csv:PATH`` and
``nifti:PATH`` take a path; ``phantom`` (optionally ``phantom:n=40,seed=1,size=256``)
needs nothing.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from keras_medgan.core.registry import Registry, unknown_name_message
from keras_medgan.data import labels as L
from keras_medgan.data.errors import DataError, SkipLog
from keras_medgan.data.nifti import is_nifti
from keras_medgan.data.phantom import PhantomParams, ensure_phantom


@dataclass(frozen=True)
class DatasetSpec:
    """How one ``--data`` name becomes labelled files.

    ``resolve(location, skips, arg)`` returns ``labels.LabelledFiles``; ``location`` is the
    found root folder for real sets, ``None`` otherwise; ``arg`` is what followed the colon.
    """

    name: str
    description: str
    resolve: Callable
    takes_path: bool = False  # folder:PATH etc.
    real: bool = False  # searched in the data dirs
    source: str = ""  # where to download it
    layout: str = ""  # what the unpacked folder must look like
    present: Callable[[Path], Path | None] | None = None  # root → dataset root or None
    window: str = "brain"  # default DICOM window
    extras: dict = field(default_factory=dict)


DATASETS: Registry[DatasetSpec] = Registry("dataset")


def _present_if(*needed: str):
    """A ``present`` check: the root (or its single sub-folder) holds all ``needed``."""

    def check(root: Path) -> Path | None:
        candidates = [root]
        if root.is_dir():
            candidates += sorted(p for p in root.iterdir() if p.is_dir())
        for cand in candidates:
            if all((cand / n).exists() for n in needed):
                return cand
        return None

    return check


DATASETS.register(
    "head_ct",
    DatasetSpec(
        name="head_ct",
        description="Kaggle 'Head CT - hemorrhage' (F. Kitamura): 200 PNG slices, 100 per class (P1)",
        resolve=lambda root, skips, arg: L.kaggle_head_ct(root, skips),
        real=True,
        source='Kaggle "Head CT - hemorrhage" by F. Kitamura '
        "(https://www.kaggle.com/datasets/felipekitamura/head-ct-hemorrhage)",
        layout="<root>/labels.csv and <root>/head_ct/000.png ... 199.png",
        present=_present_if("labels.csv"),
    ),
)

DATASETS.register(
    "rsna_ich",
    DatasetSpec(
        name="rsna_ich",
        description="RSNA Intracranial Hemorrhage Detection: DICOM slices, class from 'any' (P0)",
        resolve=lambda root, skips, arg: L.rsna(root, skips),
        real=True,
        source="RSNA Intracranial Hemorrhage Detection (Kaggle competition, "
        "https://www.kaggle.com/competitions/rsna-intracranial-hemorrhage-detection)",
        layout="<root>/stage_2_train.csv and <root>/stage_2_train/ID_<id>.dcm",
        present=_present_if("stage_2_train.csv"),
    ),
)

DATASETS.register(
    "brain_mri",
    DatasetSpec(
        name="brain_mri",
        description="Kaggle 'Brain MRI Images for Brain Tumor Detection': yes/ and no/ folders of JPG (P2)",
        resolve=lambda root, skips, arg: L.class_folders(root, skips),
        real=True,
        source='Kaggle "Brain MRI Images for Brain Tumor Detection" (N. Chakrabarty, '
        "https://www.kaggle.com/datasets/navoneel/brain-mri-images-for-brain-tumor-detection)",
        layout="<root>/yes/*.jpg and <root>/no/*.jpg",
        present=_present_if("yes", "no"),
    ),
)


def _folder(root, skips, arg):
    path = _given_path(arg, "folder")
    return L.class_folders(path, skips)


def _csv(root, skips, arg):
    return L.generic_csv(_given_path(arg, "csv"), skips)


def _nifti(root, skips, arg):
    path = _given_path(arg, "nifti")
    if path.is_file():
        return L.single_class_files([path], "all")
    volumes = sorted(p for p in path.glob("*") if p.is_file() and is_nifti(p))
    subfolders = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if volumes or not subfolders:
        if not volumes:
            raise DataError(f"{path}: no NIfTI volumes (.nii / .nii.gz) found")
        return L.single_class_files(volumes, "all")
    return L.class_folders(path, skips)


def _phantom(root, skips, arg):
    params = parse_phantom_arg(arg)
    return L.rsna(ensure_phantom(params), skips)


DATASETS.register(
    "folder",
    DatasetSpec(
        name="folder",
        description="one sub-folder per class (class = folder name)",
        resolve=_folder,
        takes_path=True,
    ),
)
DATASETS.register(
    "csv",
    DatasetSpec(
        name="csv",
        description="a CSV with columns path,label[,patient_id]; paths relative to it",
        resolve=_csv,
        takes_path=True,
    ),
)
DATASETS.register(
    "nifti",
    DatasetSpec(
        name="nifti",
        description="a NIfTI volume, a folder of them, or class folders of them",
        resolve=_nifti,
        takes_path=True,
    ),
)
DATASETS.register(
    "phantom",
    DatasetSpec(
        name="phantom",
        description="procedural head CT written as real DICOM (200 slices, 100 per class; "
        "phantom:n=40,seed=1,size=256 changes it)",
        resolve=_phantom,
    ),
)


def _given_path(arg: str | None, name: str) -> Path:
    if not arg:
        raise DataError(
            f"--data {name}:PATH needs a path after the colon, e.g. {name}:/data/my_set"
        )
    path = Path(arg).expanduser()
    if not path.exists():
        raise DataError(f"{path}: not found (from --data {name}:{arg})")
    return path


def parse_phantom_arg(arg: str | None) -> PhantomParams:
    """``"n=40,seed=1,size=256,slices_per_patient=2"`` → PhantomParams."""
    if not arg:
        return PhantomParams()
    fields = {"n": int, "seed": int, "size": int, "slices_per_patient": int}
    values = {}
    for item in arg.split(","):
        key, _, value = item.partition("=")
        key = key.strip()
        if key not in fields or not value:
            raise DataError(
                f"bad phantom option {item!r}; use e.g. phantom:n=40,seed=1 "
                f"(keys: {', '.join(fields)})"
            )
        try:
            values[key] = fields[key](value)
        except ValueError:
            raise DataError(f"bad phantom option {item!r}: {value!r} is not an integer") from None
    params = PhantomParams(**values)
    if params.n < 1 or params.size not in (128, 256, 512) or params.slices_per_patient < 1:
        raise DataError(
            f"bad phantom options {arg!r}: need n >= 1, size in 128/256/512, "
            "slices_per_patient >= 1"
        )
    return params


def data_names() -> list[str]:
    """Every valid ``--data`` form, for help texts and error messages."""
    plain = [n for n in DATASETS.names() if not DATASETS.get(n).takes_path]
    pathy = [f"{n}:PATH" for n in DATASETS.names() if DATASETS.get(n).takes_path]
    return plain + pathy


def data_help() -> str:
    """One help line per ``--data`` form (for argparse ``help=``)."""
    lines = []
    for name in DATASETS.names():
        spec = DATASETS.get(name)
        lines.append(f"{name + (':PATH' if spec.takes_path else '')}: {spec.description}")
    return "; ".join(lines)


def parse_data(data: str) -> tuple[DatasetSpec, str | None]:
    """``"folder:/x"`` → (spec, "/x"); unknown names raise ``DataError`` listing valid ones."""
    if not isinstance(data, str) or not data.strip():
        raise DataError(unknown_name_message("dataset", str(data), data_names()))
    name, sep, arg = data.strip().partition(":")
    if name not in DATASETS:
        raise DataError(unknown_name_message("dataset", data, data_names()))
    spec = DATASETS.get(name)
    if spec.takes_path and not sep:
        raise DataError(f"--data {name} needs a path: {name}:PATH")
    if spec.real and sep:
        return spec, None  # 'head_ct:' means nothing more
    return spec, (arg if sep else None)


def check_data_arg(value: str) -> str:
    """``argparse`` ``type=``: validates the name early (paths are checked at load)."""

    try:
        parse_data(value)
    except DataError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return value


def search_paths(spec: DatasetSpec, data_dir=None) -> list[Path]:
    """Where a real set is looked for, in order."""
    paths = []
    if data_dir is not None:
        paths += [Path(data_dir).expanduser(), Path(data_dir).expanduser() / spec.name]
    env = os.environ.get("KERAS_MEDGAN_DATA")
    if env:
        paths.append(Path(env).expanduser() / spec.name)
    paths.append(Path.home() / "keras_medgan_data" / spec.name)
    return paths


def find_dataset_root(spec: DatasetSpec, data_dir=None) -> Path:
    """The first search path that holds the set, or the 'data not found' DataError."""
    searched = search_paths(spec, data_dir)
    for path in searched:
        if path.is_dir():
            root = spec.present(path)
            if root is not None:
                return root
    where = "\n".join(f"  - {p}" for p in searched)
    if not os.environ.get("KERAS_MEDGAN_DATA"):
        where += (
            f"\n  ($KERAS_MEDGAN_DATA/{spec.name}: not searched, $KERAS_MEDGAN_DATA is not set)"
        )
    raise DataError(
        f"dataset {spec.name!r} not found. Searched:\n{where}\n"
        f"Get it from {spec.source}.\n"
        f"Unpack it so that {spec.layout} exist, into one of the folders above "
        f"(or pass --data-dir / set $KERAS_MEDGAN_DATA).\n"
        "To try everything now without downloading, use --data phantom."
    )


def resolve_dataset(data: str, data_dir=None, skips: SkipLog | None = None):
    """``--data`` value → (spec, LabelledFiles)."""
    skips = skips if skips is not None else SkipLog()
    spec, arg = parse_data(data)
    root = find_dataset_root(spec, data_dir) if spec.real else None
    files = spec.resolve(root, skips, arg)
    if not files.records:
        where = root if root is not None else (arg or spec.name)
        raise DataError(
            f"dataset {data!r} ({where}): no usable images found"
            + (f"\n{skips.summary()}" if skips.items else "")
        )
    return spec, files
