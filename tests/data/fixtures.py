"""Tiny on-disk datasets written by the tests (every label format)."""

from pathlib import Path

import cv2
import numpy as np
import pydicom

from .helpers import pydicom_file


def gray(h, w, value, dtype=np.uint8):
    return np.full((h, w), value, dtype)


def write_head_ct(root: Path, n: int = 10, rgba_every: int = 3) -> Path:
    """Kaggle layout: labels.csv ('id, hemorrhage') + head_ct/NNN.png, RGB/RGBA, mixed sizes."""
    (root / "head_ct").mkdir(parents=True)
    lines = ["id, hemorrhage"]
    for i in range(n):
        h, w = 40 + 7 * i, 30 + 5 * i
        img = np.zeros((h, w, 3), np.uint8)
        img[..., :] = 20 * i
        if i % rgba_every == 0:
            img = np.concatenate([img, np.full((h, w, 1), 255, np.uint8)], axis=2)
        cv2.imwrite(str(root / "head_ct" / f"{i:03d}.png"), img)
        lines.append(f"{i},{int(i < n // 2)}")  # ints, not zero-padded: pandas-style
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    return root


def write_rsna(root: Path, n: int = 6, with_patient=False) -> Path:
    """RSNA layout: stage_2_train.csv (long) + stage_2_train/ID_x.dcm (CT_small copies)."""
    (root / "stage_2_train").mkdir(parents=True)
    subtypes = [
        "epidural",
        "intraparenchymal",
        "intraventricular",
        "subarachnoid",
        "subdural",
        "any",
    ]
    rows = ["ID,Label" + (",PatientID" if with_patient else "")]
    base = pydicom.dcmread(pydicom_file("CT_small.dcm"))
    for i in range(n):
        ds = base.copy()
        ds.PatientID = f"P{i // 2}"
        ds.save_as(root / "stage_2_train" / f"ID_{i:04x}.dcm")
        for sub in subtypes:
            flag = int(i % 2 == 1 and sub in ("subdural", "any"))
            rows.append(f"ID_{i:04x}_{sub},{flag}" + (f",P{i // 2}" if with_patient else ""))
    (root / "stage_2_train.csv").write_text("\n".join(rows) + "\n")
    return root


def write_class_folders(root: Path, classes=("no", "yes"), n: int = 5) -> Path:
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(n):
            ext = ".jpg" if i % 2 else ".png"
            cv2.imwrite(str(root / name / f"{name}{i}{ext}"), gray(30 + i, 40, 50 + 100 * c))
    return root


def write_generic_csv(root: Path, n: int = 6) -> Path:
    (root / "imgs").mkdir(parents=True)
    rows = ["path,label,patient_id"]
    for i in range(n):
        cv2.imwrite(str(root / "imgs" / f"{i}.png"), gray(20, 20, 10 * i))
        rows.append(f"imgs/{i}.png,{'a' if i % 2 else 'b'},pt{i // 2}")
    (root / "set.csv").write_text("\n".join(rows) + "\n")
    return root / "set.csv"
