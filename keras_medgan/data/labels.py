"""Label formats → a flat list of ``Record`` (file, class name, patient id).

Four layouts cover the papers' data:

* Kaggle "Head CT – hemorrhage": ``labels.csv`` with header ``id, hemorrhage`` (note
  the space) and ids 000–199 for ``head_ct/000.png``…; pandas may read the ids as ints,
  so they are zero-padded back to 3 digits.
* RSNA ICH ``stage_2_train.csv``: long format ``ID_<id>_<subtype>,Label`` for ``any`` and
  five subtypes; images ``ID_<id>.dcm``; class from ``any``. (The phantom adds a
  ``PatientID`` column; for the real file the id is read from each DICOM header.)
* One folder per class (Kaggle brain MRI: ``yes/`` and ``no/``).
* A generic ``path,label[,patient_id]`` CSV with paths relative to the CSV.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from keras_medgan.data.dicom import read_patient_id
from keras_medgan.data.errors import DataError, SkipLog, file_error
from keras_medgan.data.readers import is_candidate, suffix_kind

RSNA_SUBTYPES = ("epidural", "intraparenchymal", "intraventricular", "subarachnoid", "subdural")
BINARY_CLASSES = ["normal", "hemorrhage"]


@dataclass(frozen=True)
class Record:
    """One labelled source file (a multi-frame file or a volume may give many images)."""

    path: str
    label: str
    patient_id: str
    subtypes: tuple[int, ...] | None = None  # RSNA: one flag per RSNA_SUBTYPES


@dataclass
class LabelledFiles:
    records: list[Record]
    class_names: list[str]
    subtype_names: tuple[str, ...] | None = None


def _read_csv(path, **kwargs) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise file_error(path, "labels file not found")
    try:
        return pd.read_csv(path, skipinitialspace=True, **kwargs)
    except pd.errors.EmptyDataError:
        raise file_error(path, "labels file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise file_error(path, f"not a readable CSV ({err})") from None


def _column(df: pd.DataFrame, csv_path, *names: str) -> str:
    lower = {str(c).strip().lower(): c for c in df.columns}
    for name in names:
        if name in lower:
            return lower[name]
    raise file_error(
        csv_path, f"missing column {names[0]!r} (found: {', '.join(map(str, df.columns))})"
    )


def _stem(path) -> str:
    name = os.path.basename(os.fspath(path))
    for suffix in (".nii.gz",):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return os.path.splitext(name)[0]


# ---------------------------------------------------------------------------------------


def kaggle_head_ct(root, skips: SkipLog) -> LabelledFiles:
    """``<root>/labels.csv`` + ``<root>/head_ct/NNN.png`` (0 → normal, 1 → hemorrhage).

    The PNGs may also sit in ``<root>/head_ct/head_ct/`` (the folder doubled, as some
    unzip tools leave Kaggle's archive) or in ``<root>`` itself."""
    root = Path(root)
    csv_path = root / "labels.csv"
    df = _read_csv(csv_path, dtype=str)
    id_col = _column(df, csv_path, "id")
    label_col = _column(df, csv_path, "hemorrhage", "label")
    image_dir = next(
        (
            d
            for d in (root / "head_ct" / "head_ct", root / "head_ct")
            if d.is_dir() and any(d.glob("*.png"))
        ),
        root,
    )
    records, labelled = [], set()
    for row_id, value in zip(df[id_col], df[label_col]):
        raw = str(row_id).strip()
        stem = raw.zfill(3) if raw.isdigit() else raw
        path = image_dir / f"{stem}.png"
        labelled.add(path.name)
        try:
            label = BINARY_CLASSES[int(float(value))]
        except (ValueError, IndexError, TypeError):
            skips.skip(path, f"bad label {value!r} in {csv_path} (expected 0 or 1)")
            continue
        if not path.is_file():
            skips.skip(path, f"listed in {csv_path} but the file is missing")
            continue
        records.append(Record(str(path), label, stem))
    for path in sorted(image_dir.glob("*.png")):
        if path.name not in labelled:
            skips.skip(path, f"no label for this file in {csv_path}")
    return LabelledFiles(records, list(BINARY_CLASSES))


def rsna(
    root,
    skips: SkipLog,
    csv_name: str = "stage_2_train.csv",
    image_dirs: Sequence[str] = ("stage_2_train", "stage_2_train_images", ""),
) -> LabelledFiles:
    """RSNA long-format CSV → one record per image, class from ``any``."""
    root = Path(root)
    csv_path = root / csv_name
    df = _read_csv(csv_path, dtype=str)
    id_col = _column(df, csv_path, "id")
    label_col = _column(df, csv_path, "label")
    pid_col = next(
        (c for c in df.columns if str(c).strip().lower() in ("patientid", "patient_id")), None
    )
    parts = df[id_col].astype(str).str.rsplit("_", n=1, expand=True)
    if parts.shape[1] != 2:
        raise file_error(csv_path, "IDs must look like ID_<image>_<subtype>")
    df = df.assign(_image=parts[0], _sub=parts[1].str.lower())
    df = df.drop_duplicates(subset=["_image", "_sub"])
    wide = df.pivot(index="_image", columns="_sub", values=label_col)
    if "any" not in wide.columns:
        raise file_error(csv_path, "no '<id>_any' rows: cannot tell normal from hemorrhage")
    pids = df.drop_duplicates("_image").set_index("_image")[pid_col] if pid_col else None
    folders = [root / d if d else root for d in image_dirs]
    records = []
    for image_id, row in wide.iterrows():
        path = next(
            (f / f"{image_id}.dcm" for f in folders if (f / f"{image_id}.dcm").is_file()), None
        )
        if path is None:
            skips.skip(
                folders[0] / f"{image_id}.dcm", f"listed in {csv_path} but the file is missing"
            )
            continue
        try:
            any_flag = int(float(row["any"]))
            subtypes = tuple(
                int(float(row[s])) if s in row and pd.notna(row[s]) else 0 for s in RSNA_SUBTYPES
            )
        except (ValueError, TypeError):
            skips.skip(path, f"bad label in {csv_path} (expected 0 or 1)")
            continue
        pid = (
            str(pids[image_id])
            if pids is not None and pd.notna(pids[image_id])
            else read_patient_id(path)
        )
        records.append(Record(str(path), BINARY_CLASSES[any_flag > 0], pid or image_id, subtypes))
    return LabelledFiles(records, list(BINARY_CLASSES), RSNA_SUBTYPES)


def class_folders(root, skips: SkipLog, class_names: Sequence[str] | None = None) -> LabelledFiles:
    """``<root>/<class>/**`` → records; class names are the folder names, sorted
    (Kaggle brain MRI: ``["no", "yes"]``)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: folder not found")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if class_names is not None:
        by_name = {p.name: p for p in folders}
        folders = [by_name[c] if c in by_name else root / c for c in class_names]
    else:
        folders = _without_copies_of_the_class_tree(folders, skips)
    if not folders:
        raise DataError(
            f"{root}: no class folders (expected one sub-folder per class, e.g. yes/ and no/)"
        )
    records = []
    for folder in folders:
        files = (
            sorted(p for p in folder.rglob("*") if p.is_file() and is_candidate(p))
            if folder.is_dir()
            else []
        )
        count = 0
        for path in files:
            if suffix_kind(path) is None:
                skips.skip(path, f"unsupported file type {path.suffix!r}")
                continue
            records.append(Record(str(path), folder.name, _stem(path)))
            count += 1
        if count == 0:
            skips.skip(folder, f"class {folder.name!r} has no images")
    return LabelledFiles(records, [p.name for p in folders])


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and is_candidate(p))


def _content_key(path: Path) -> tuple[int, str]:
    return path.stat().st_size, hashlib.sha1(path.read_bytes()).hexdigest()


def _without_copies_of_the_class_tree(folders: list[Path], skips: SkipLog) -> list[Path]:
    """Drop a top-level folder that holds the class folders again instead of images.

    The Kaggle brain MRI zip unpacks to ``yes/``, ``no/`` and ``brain_tumor_dataset/{yes,no}``
    (the same images again); taking every folder as a class made a third class of tumour
    and normal images mixed. A folder is such a copy when it has no images of its own and
    its image-holding sub-folders are named like (at least two of) its siblings. It is
    reported with how many of its files repeat the siblings' and left out, never a class.
    """
    names = {p.name for p in folders}
    kept = []
    for folder in folders:
        subfolders = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
        inner = sorted(p.name for p in subfolders if _images_in(p))
        own = any(p.is_file() and is_candidate(p) for p in folder.iterdir())
        if own or len(inner) < 2 or not set(inner) <= names - {folder.name}:
            kept.append(folder)
            continue
        top = {_content_key(p) for name in inner for p in _images_in(folder.parent / name)}
        files = [p for name in inner for p in _images_in(folder / name)]
        same = sum(_content_key(p) in top for p in files)
        extra = (
            f"; {len(files) - same} of its files are not at the top level: pass "
            f"--data folder:{folder} to use that copy instead"
            if same < len(files)
            else ""
        )
        skips.skip(
            folder,
            f"holds the class folders {', '.join(f'{n}/' for n in inner)} again "
            f"({same} of {len(files)} files identical to the top-level ones): "
            f"a copy of the data, not a class; left out{extra}",
        )
    return kept


def generic_csv(csv_path, skips: SkipLog) -> LabelledFiles:
    """``path,label[,patient_id]``; paths relative to the CSV's folder."""
    csv_path = Path(csv_path)
    df = _read_csv(csv_path, dtype=str, keep_default_na=False)
    path_col = _column(df, csv_path, "path", "file", "filename", "image")
    label_col = _column(df, csv_path, "label", "class")
    pid_col = next(
        (c for c in df.columns if str(c).strip().lower() in ("patient_id", "patientid", "patient")),
        None,
    )
    records_by_path: dict[str, Record | None] = {}  # insertion order = CSV order
    first_row: dict[str, int] = {}
    for i, row in df.iterrows():
        rel = str(row[path_col]).strip()
        label = str(row[label_col]).strip()
        if not rel:
            skips.skip(f"{csv_path}:{i + 2}", "empty path")
            continue
        path = (csv_path.parent / rel).resolve() if not os.path.isabs(rel) else Path(rel)
        if not label:
            skips.skip(path, f"no label in {csv_path} (row {i + 2})")
            continue
        if not path.is_file():
            skips.skip(path, f"listed in {csv_path} (row {i + 2}) but the file is missing")
            continue
        pid = str(row[pid_col]).strip() if pid_col and str(row[pid_col]).strip() else _stem(path)
        key = str(path)
        if key in first_row:
            before = records_by_path[key]
            if before is not None and before.label != label:  # one file, two labels: drop it
                skips.skip(
                    path,
                    f"labelled {before.label!r} (row {first_row[key]}) and "
                    f"{label!r} (row {i + 2}) in {csv_path}; left out",
                )
                records_by_path[key] = None
            elif before is not None:
                skips.skip(
                    path,
                    f"listed twice in {csv_path} (rows {first_row[key]} and {i + 2}); kept once",
                )
            continue
        first_row[key] = i + 2
        records_by_path[key] = Record(str(path), label, pid)
    records = [r for r in records_by_path.values() if r is not None]
    class_names = sorted({r.label for r in records})
    if set(class_names) == {"0", "1"}:
        class_names = ["0", "1"]
    return LabelledFiles(records, class_names)


def single_class_files(paths: Sequence[Path], class_name: str) -> LabelledFiles:
    """Unlabelled files (e.g. a folder of NIfTI volumes) as one class."""
    return LabelledFiles([Record(str(p), class_name, _stem(p)) for p in paths], [class_name])
