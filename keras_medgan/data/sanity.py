"""Data sanity checks: catch obviously broken data before hours of training.

A copy of a brain MRI set whose JPGs held only pixel values 0–2 of 255 once went through
``data info``, 110 epochs of training, evaluation (real-vs-real FID 0.00) and a benchmark
without a word. These checks look at the loaded arrays (float32 in [-1, 1], as every tool
sees them) and say what is wrong and with which files:

* ``near_constant`` -- images with (almost) no contrast: per-image standard deviation
  below 1 % of the [-1, 1] range (all-black, all-white, or a few grey levels);
* ``duplicate`` -- the same image twice (byte-identical at the working size) or nearly so
  (16×16 thumbnails within 1 % RMS: re-encoded or rescaled copies); worst across classes
  (a label conflict), then across splits (test images seen in training);
* ``class_imbalance`` -- the largest class over 4× the smallest;
* ``small_source`` -- source images under half the working size on a side (upscaled
  ≥ 2×: blurry training data);
* ``mixed_formats`` -- PNG / JPEG files of different bit depths, or grey beside colour, in one
  set (read from the file headers: each file is scaled by its own type's maximum, so a
  12-bit scan saved as 16-bit PNG sits at 1/16 of the brightness of an 8-bit one).

Each check is a function in ``CHECKS`` (a registry, like the metrics) returning
:class:`Finding` s; :func:`check_image_sets` runs them all. A finding's ``files`` lists
every file concerned; :func:`write_report` writes them all to ``data_report.json`` and
:func:`summarise` gives a few lines for the screen. Nothing here modifies the data.
"""

from __future__ import annotations

import json
import pathlib
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from keras_medgan.core.jsonio import write_text_atomic
from keras_medgan.core.registry import Registry
from keras_medgan.data.pipeline import ImageSet

NEAR_CONSTANT_STD = 0.02  # 1 % of the [-1, 1] range
IMBALANCE_RATIO = 4.0
THUMBNAIL = 16  # near duplicates are compared as 16×16 thumbnails ...
NEAR_RMS = 0.02  # ... closer than 1 % of the [-1, 1] range (root mean square)
MAX_PAIRWISE = 20_000  # above this many images only exact duplicates are looked for


@dataclass(frozen=True)
class Finding:
    """One problem: which check, a one-line message, and every file concerned."""

    check: str
    message: str
    files: list[str] = field(default_factory=list)


Check = Callable[[Mapping[str, ImageSet], int], list[Finding]]
CHECKS: Registry[Check] = Registry("data check")


def _paths(split: str, image_set) -> list[str]:
    paths = list(getattr(image_set, "paths", None) or [])
    return (
        paths
        if len(paths) == len(image_set.images)
        else [f"{split}[{i}]" for i in range(len(image_set.images))]
    )


def _items(sets: Mapping[str, ImageSet]):
    """(split, index-in-set, path, class name, image) for every image of every split.
    Any object with ``images``, ``labels`` and ``class_names`` will do (``paths`` when
    it has them), so the evaluate and benchmark sets are checked the same way."""
    for split, image_set in sets.items():
        labels = image_set.labels if image_set.labels is not None else [0] * len(image_set.images)
        names = list(image_set.class_names) or ["all"]
        for i, path in enumerate(_paths(split, image_set)):
            yield split, i, path, names[int(labels[i])], image_set.images[i]


@CHECKS.register("near_constant")
def near_constant(sets: Mapping[str, ImageSet], image_size: int) -> list[Finding]:
    flat = [
        (path, float(np.std(img)), float(img.min()), float(img.max()))
        for _, _, path, _, img in _items(sets)
    ]
    bad = [(p, s, lo, hi) for p, s, lo, hi in flat if s < NEAR_CONSTANT_STD]
    if not bad:
        return []
    total = len(flat)
    example = bad[0]
    message = (
        f"{len(bad)} of {total} images have almost no contrast (std < "
        f"{NEAR_CONSTANT_STD} in [-1, 1]; e.g. {example[0]}: values "
        f"{example[2]:.2f}..{example[3]:.2f}) -- blank slices, or files whose pixel "
        f"values use a tiny part of their range (check the bit depth / export)"
    )
    return [Finding("near_constant", message, [p for p, *_ in bad])]


def _exact_key(img: np.ndarray) -> bytes:
    return np.round((np.asarray(img, np.float32) + 1.0) * 127.5).astype(np.uint8).tobytes()


def _thumbnail(img: np.ndarray) -> np.ndarray:
    x = np.asarray(img, np.float32)
    x = x[..., 0] if x.ndim == 3 else x
    return cv2.resize(x, (THUMBNAIL, THUMBNAIL), interpolation=cv2.INTER_AREA).ravel()


def _near_pairs(thumbs: np.ndarray, chunk: int = 2048) -> list[tuple[int, int]]:
    """Index pairs whose thumbnails differ by less than NEAR_RMS (root mean square), by
    chunked ``|a|² + |b|² - 2ab``: 5 000 images take well under a second."""
    sq = (thumbs**2).sum(axis=1)
    limit = NEAR_RMS**2 * thumbs.shape[1]
    pairs = []
    for start in range(0, len(thumbs), chunk):
        block = thumbs[start : start + chunk]
        dist = sq[start : start + chunk, None] + sq[None, :] - 2.0 * block @ thumbs.T
        rows, cols = np.nonzero(dist < limit)
        pairs += [(start + r, c) for r, c in zip(rows.tolist(), cols.tolist()) if start + r < c]
    return pairs


def _groups(n: int, pairs) -> list[list[int]]:
    """Connected components of the pair graph (union-find), members in index order."""
    parent = list(range(n))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        parent[root(i)] = root(j)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        members[root(i)].append(i)
    return [m for m in members.values() if len(m) > 1]


@CHECKS.register("duplicate")
def duplicates(sets: Mapping[str, ImageSet], image_size: int) -> list[Finding]:
    # near-constant images are all alike; that check reports them, not this one
    items = [
        (split, path, name, img)
        for split, _, path, name, img in _items(sets)
        if float(np.std(img)) >= NEAR_CONSTANT_STD
    ]
    exact: dict[bytes, list[int]] = defaultdict(list)
    for i, (*_, img) in enumerate(items):
        exact[_exact_key(img)].append(i)
    groups = [("identical", m) for m in exact.values() if len(m) > 1]
    in_exact = {i for _, m in groups for i in m}
    if items and len(items) <= MAX_PAIRWISE:
        thumbs = np.stack([_thumbnail(img) for *_, img in items]).astype(np.float64)
        pairs = [(i, j) for i, j in _near_pairs(thumbs) if not (i in in_exact and j in in_exact)]
        groups += [("nearly identical", m) for m in _groups(len(items), pairs)]
    findings = []
    for what, members in groups:
        rows = [items[i] for i in members]
        classes = sorted({r[2] for r in rows})
        splits = sorted({r[0] for r in rows})
        where = (
            f"across classes {', '.join(classes)}"
            if len(classes) > 1
            else f"across splits {', '.join(splits)}"
            if len(splits) > 1
            else f"within class {classes[0]}"
        )
        findings.append(
            Finding(
                "duplicate",
                f"{len(rows)} {what} images {where}: "
                + ", ".join(r[1] for r in rows[:3])
                + (" ..." if len(rows) > 3 else ""),
                [r[1] for r in rows],
            )
        )
    severity = {"across classes": 0, "across splits": 1, "within class": 2}
    return sorted(findings, key=lambda f: next(v for k, v in severity.items() if k in f.message))


@CHECKS.register("class_imbalance")
def class_imbalance(sets: Mapping[str, ImageSet], image_size: int) -> list[Finding]:
    counts: dict[str, int] = defaultdict(int)
    for _, _, _, name, _ in _items(sets):
        counts[name] += 1
    present = {k: v for k, v in counts.items() if v}
    if len(present) < 2:
        return []
    big, small = max(present, key=present.get), min(present, key=present.get)
    ratio = present[big] / present[small]
    if ratio <= IMBALANCE_RATIO:
        return []
    return [
        Finding(
            "class_imbalance",
            f"class {big!r} has {present[big]} images, {ratio:.1f}x class {small!r} "
            f"({present[small]}): per-class GANs for {small!r} get little data, and "
            f"accuracy alone will mislead (the benchmark also reports sensitivity "
            f"and specificity)",
        )
    ]


@CHECKS.register("small_source")
def small_source(sets: Mapping[str, ImageSet], image_size: int) -> list[Finding]:
    small = []
    for split, image_set in sets.items():
        shapes = getattr(image_set, "source_shapes", None)
        if shapes is None:
            continue
        for path, (h, w) in zip(_paths(split, image_set), shapes):
            if min(int(h), int(w)) * 2 <= image_size:
                small.append((path, int(h), int(w)))
    if not small:
        return []
    path, h, w = small[0]
    return [
        Finding(
            "small_source",
            f"{len(small)} source images are at most half the working size "
            f"{image_size}x{image_size} on a side (e.g. {path}: {h}x{w}); they are "
            f"upscaled 2x or more and will look blurry -- a smaller --image-size fits "
            f"them better",
            [p for p, _, _ in small],
        )
    ]


def check_image_sets(
    sets: Mapping[str, ImageSet], image_size: int, checks: Mapping[str, Check] | None = None
) -> list[Finding]:
    """Every registered check on the loaded splits (``{"train": set, ...}``)."""
    chosen = checks if checks is not None else {n: CHECKS.get(n) for n in CHECKS.names()}
    findings: list[Finding] = []
    for check in chosen.values():
        findings += check(sets, int(image_size))
    return findings


def summarise(findings: list[Finding], report_path=None, shown: int = 3) -> list[str]:
    """Warning lines for the screen: the first ``shown`` findings of each check."""
    lines, per_check = [], defaultdict(int)
    for finding in findings:
        per_check[finding.check] += 1
        if per_check[finding.check] <= shown:
            lines.append(f"warning: data: {finding.message}")
    for check, n in per_check.items():
        if n > shown:
            lines.append(f"warning: data: ... and {n - shown} more {check} finding(s)")
    if findings and report_path is not None:
        lines.append(f"warning: data: every file concerned is listed in {report_path}")
    return lines


def report_findings(
    findings: list[Finding], path, data: str, say: Callable[[str], None] = print
) -> None:
    """What every tool does with findings: all of them to ``path`` (data_report.json),
    the first few through ``say``. Nothing is written when there are none."""
    if findings:
        report = write_report(findings, path, data)
        for line in summarise(findings, report):
            say(line)


def write_report(findings: list[Finding], path, data: str = "") -> pathlib.Path:
    """``data_report.json``: every finding with every file (a new file; inputs untouched)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"data": data, "checks": CHECKS.names(), "findings": [asdict(f) for f in findings]}
    write_text_atomic(path, json.dumps(doc, indent=2) + "\n")
    return path


#: PNG colour type → channels (palette images are decoded to one grey channel by ours)
PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
#: JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic ...)
JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def raster_format(path) -> tuple[int, int] | None:
    """(bits per sample, channels) from a PNG's IHDR or a JPEG's start-of-frame header,
    without decoding pixels; None for other files or unreadable headers."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(33)
            if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
                return int(head[24]), PNG_CHANNELS.get(int(head[25]), 0)
            if head[:2] != b"\xff\xd8":
                return None
            fh.seek(2)
            while True:
                marker = fh.read(4)
                if len(marker) < 4 or marker[0] != 0xFF:
                    return None
                length = int.from_bytes(marker[2:4], "big")
                if marker[1] in JPEG_SOF:
                    frame = fh.read(6)
                    return int(frame[0]), int(frame[5])
                fh.seek(length - 2, 1)
    except (OSError, IndexError):
        return None


@CHECKS.register("mixed_formats")
def mixed_formats(sets: Mapping[str, ImageSet], image_size: int) -> list[Finding]:
    # An alpha channel is dropped on reading, so RGB and RGBA (or grey and grey+alpha) of
    # one bit depth give the same values: only depth and grey-vs-colour are told apart.
    by_format: dict[tuple[int, str], list[str]] = defaultdict(list)
    for image_set in sets.values():
        for path in getattr(image_set, "paths", None) or []:
            fmt = raster_format(path)
            if fmt is not None:
                bits, channels = fmt
                by_format[(bits, "grey" if channels in (1, 2) else "colour")].append(str(path))
    if len(by_format) < 2:
        return []
    ranked = sorted(by_format.items(), key=lambda kv: -len(kv[1]))
    parts = [f"{bits}-bit {kind} ({len(p)} files, e.g. {p[0]})" for (bits, kind), p in ranked]
    minority = [p for _, paths in ranked[1:] for p in paths]
    return [
        Finding(
            "mixed_formats",
            "files of different formats in one set: " + "; ".join(parts) + " -- each "
            "is scaled by its own type's maximum (255 / 65535) and colour is reduced "
            "to grey, so the same tissue can get different values; convert them to "
            "one format",
            minority,
        )
    ]
