"""Build a blinded visual Turing test: shuffled real + fake images with neutral names.

P4 showed 50 real + 50 synthetic brain MR slices to a physician; P0 showed a 24-image grid
(12 real, 12 fakes) to a specialist and a student. A study folder holds::

    DIR/public/images/<neutral>.png   what readers see (8-bit grayscale)
    DIR/public/manifest.json          presentation order, nothing about the truth
    DIR/key.csv                       hidden key: image,truth,source_index,grid_position
    DIR/grid.png                      printable numbered grid (default 24 images, half real)
    DIR/answers/<reader>.json         written by ``turing serve`` (one file per reader)

Only ``public/`` is ever served, so the key cannot leak through the web page. Names are
random hex tokens from a seeded generator: neither the name nor the order says which
images are real.
"""

from __future__ import annotations

import csv
import json
import pathlib

import cv2
import numpy as np

from keras_medgan.core.jsonio import write_text_atomic
from keras_medgan.data.grid import save_grid
from keras_medgan.data.pipeline import to_display_range, to_uint8

TRUTHS = ("real", "synthetic")
KEY_FIELDS = ["image", "truth", "source_index", "grid_position"]


def make_study(
    real: np.ndarray,
    fake: np.ndarray,
    n: int,
    out_dir,
    seed: int = 0,
    grid_size: int = 24,
    title: str = "Real or synthetic?",
) -> dict[str, object]:
    """Write a study with ``n`` random real and ``n`` random fake images into ``out_dir``.

    Refuses a folder that already holds a study (``key.csv``) so answers are never mixed
    with a new key. Returns a summary dict.
    """
    out = pathlib.Path(out_dir)
    if (out / "key.csv").exists():
        raise ValueError(f"{out} already holds a study (key.csv); choose a new --out folder")
    real, fake = np.asarray(real, np.float32), np.asarray(fake, np.float32)
    if n < 1 or n > len(real) or n > len(fake):
        raise ValueError(
            f"--n {n} needs at least {n} real and {n} fake images; "
            f"have {len(real)} real and {len(fake)} fake"
        )
    rng = np.random.default_rng(seed)
    real_idx = rng.choice(len(real), n, replace=False)
    fake_idx = rng.choice(len(fake), n, replace=False)
    items = [("real", int(i)) for i in real_idx] + [("synthetic", int(i)) for i in fake_idx]
    order = rng.permutation(len(items))
    names = _neutral_names(len(items), rng)
    images_dir = out / "public" / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    (out / "answers").mkdir(exist_ok=True)

    rows: list[dict[str, object]] = []
    presented = []
    for pos, k in enumerate(order):
        truth, src = items[k]
        name = f"{names[pos]}.png"
        image = real[src] if truth == "real" else fake[src]
        if not cv2.imwrite(str(images_dir / name), to_uint8(image[..., 0])):
            raise OSError(f"could not write {images_dir / name}")
        rows.append({"image": name, "truth": truth, "source_index": src, "grid_position": ""})
        presented.append(name)
    grid_rows = _grid_selection(rows, grid_size, rng)
    for number, row in enumerate(grid_rows, 1):
        row["grid_position"] = number
    with open(out / "key.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=KEY_FIELDS)
        w.writeheader()
        w.writerows(rows)
    write_text_atomic(
        out / "public" / "manifest.json",
        json.dumps({"title": title, "images": presented, "choices": list(TRUTHS)}, indent=2),
    )
    grid_path = _save_grid(
        out / "grid.png",
        [
            real[r["source_index"]] if r["truth"] == "real" else fake[r["source_index"]]
            for r in grid_rows
        ],
    )
    return {
        "out": str(out),
        "images": len(rows),
        "real": n,
        "synthetic": n,
        "grid": grid_path,
        "grid_images": len(grid_rows),
    }


def _neutral_names(count: int, rng: np.random.Generator) -> list[str]:
    names: set = set()
    out = []
    while len(out) < count:
        name = "img_" + "".join(f"{b:02x}" for b in rng.integers(0, 256, 4))
        if name not in names:
            names.add(name)
            out.append(name)
    return out


def _grid_selection(rows, grid_size: int, rng) -> list[dict[str, object]]:
    """Half real, half synthetic (P0: 12 + 12), in a shuffled order."""
    per = min(
        grid_size // 2,
        sum(r["truth"] == "real" for r in rows),
        sum(r["truth"] == "synthetic" for r in rows),
    )
    chosen = [r for r in rows if r["truth"] == "real"][:per] + [
        r for r in rows if r["truth"] == "synthetic"
    ][:per]
    return [chosen[i] for i in rng.permutation(len(chosen))]


def _save_grid(path: pathlib.Path, images) -> str:
    """Printable grid numbered 1..N (numbers match key.csv's grid_position)."""

    if not images:
        return ""
    return save_grid(
        to_display_range(np.asarray(images)),
        path,
        titles=[str(i) for i in range(1, len(images) + 1)],
        cols=min(6, len(images)),
        suptitle="Visual Turing test — mark each numbered image real or synthetic",
    )


def read_key(study_dir) -> dict[str, str]:
    """``{image name: "real" | "synthetic"}`` from key.csv."""
    path = pathlib.Path(study_dir) / "key.csv"
    if not path.is_file():
        raise ValueError(f"{study_dir}: no key.csv — not a study folder made by `turing make`")
    with open(path, newline="") as f:
        return {row["image"]: row["truth"] for row in csv.DictReader(f)}


def read_manifest(study_dir) -> dict[str, object]:
    path = pathlib.Path(study_dir) / "public" / "manifest.json"
    if not path.is_file():
        raise ValueError(
            f"{study_dir}: no public/manifest.json — not a study folder made by `turing make`"
        )
    return json.loads(path.read_text())
