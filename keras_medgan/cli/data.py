"""Look at a dataset, convert DICOM to PNG, write the phantom (python -m keras_medgan.data).

Examples:
  python -m keras_medgan.data info --data phantom --out phantom_grid.png
  python -m keras_medgan.data info --data head_ct --data-dir ~/data/head_ct --image-size 64
  python -m keras_medgan.data convert --input rsna/stage_2_train --out rsna_png --window brain
  python -m keras_medgan.data phantom --out my_phantom --n 200 --seed 0 --grid grid.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from keras_medgan.cli.flags import add_flag
from keras_medgan.core.console import Progress, add_verbose_flag
from keras_medgan.data.convert import convert_dicoms
from keras_medgan.data.datasets import check_data_arg, data_help
from keras_medgan.data.dicom import read_dicom
from keras_medgan.data.errors import DataError, SkipLog
from keras_medgan.data.grid import save_grid
from keras_medgan.data.labels import RSNA_SUBTYPES, rsna
from keras_medgan.data.phantom import PhantomParams, generate_phantom
from keras_medgan.data.pipeline import (
    IMAGE_SIZES,
    RESIZERS,
    SPLITS,
    load_image_set,
    to_display_range,
)
from keras_medgan.data.sanity import Finding, check_image_sets, report_findings
from keras_medgan.data.windows import window_names


def _add_data_args(p: argparse.ArgumentParser) -> None:
    add_flag(p, "--data", required=True, type=check_data_arg, more_help=data_help())
    add_flag(p, "--data-dir")
    p.add_argument("--image-size", type=int, default=32, choices=IMAGE_SIZES)
    p.add_argument(
        "--resize",
        default="pad",
        choices=RESIZERS.names(),
        help="pad: aspect-preserving resize + zero pad (P1); crop: centre crop",
    )
    p.add_argument(
        "--window",
        default=None,
        metavar="WINDOW",
        help=f"DICOM window: {', '.join(window_names())} or CENTER/WIDTH (default: brain)",
    )
    p.add_argument("--seed", type=int, default=0, help="split seed")
    p.add_argument("--strict", action="store_true", help="stop at the first bad file")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m keras_medgan.data",
        description=__doc__.split("\n\n")[0],
        epilog="\n".join(__doc__.split("\n")[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    info = sub.add_parser(
        "info",
        help="counts per class and split, image sizes, a sample grid",
        epilog="example: python -m keras_medgan.data info --data phantom --out grid.png",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_data_args(info)
    info.add_argument("--out", default=None, help="write a sample grid PNG here")
    info.add_argument("--grid-n", type=int, default=24, help="images in the grid (default 24)")
    info.add_argument(
        "--report",
        default="data_report.json",
        metavar="PATH",
        help="where the data checks list every file concerned, when they find "
        "anything (default: data_report.json)",
    )

    conv = sub.add_parser(
        "convert",
        help="DICOM → windowed PNG, mirroring the folder structure",
        epilog="example: python -m keras_medgan.data convert --input dcm/ --out png/ "
        "--window brain",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    conv.add_argument("--input", nargs="+", required=True, metavar="DIR_OR_FILE")
    conv.add_argument("--out", required=True, help="output folder (inputs are never modified)")
    conv.add_argument(
        "--window",
        default="brain",
        metavar="WINDOW",
        help=f"{', '.join(window_names())} or CENTER/WIDTH (default: brain 40/80)",
    )
    conv.add_argument("--bits", type=int, default=8, choices=(8, 16), help="PNG bit depth")
    conv.add_argument("--overwrite", action="store_true", help="replace existing output PNGs")
    conv.add_argument("--strict", action="store_true", help="stop at the first bad file")

    ph = sub.add_parser(
        "phantom",
        help="write the procedural head-CT phantom (DICOM + RSNA CSV)",
        epilog="example: python -m keras_medgan.data phantom --out phantom --n 200 --seed 0",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ph.add_argument("--out", required=True, help="new (or empty) output folder")
    ph.add_argument("--n", type=int, default=200, help="slices (half normal, half hemorrhage)")
    ph.add_argument("--seed", type=int, default=0)
    ph.add_argument(
        "--size", type=int, default=256, choices=(128, 256, 512), help="stored matrix size"
    )
    ph.add_argument("--slices-per-patient", type=int, default=1)
    ph.add_argument("--grid", default=None, help="also write a labelled brain-window grid PNG here")
    ph.add_argument("--grid-n", type=int, default=24)
    for command in sub.choices.values():
        add_verbose_flag(command)
    return parser


# ---------------------------------------------------------------------------------------


def run_info(args) -> int:
    """Counts per class and split, sizes, skipped files, data checks and a grid.

    An empty split or class is reported in the table (a zero and a note), not raised:
    ``info`` is how a user finds out that their set is too small for the split.
    """
    print(f"dataset {args.data}")
    sets = {}
    for split in SPLITS[:3]:
        sets[split] = load_image_set(
            args.data,
            args.image_size,
            split,
            None,
            args.seed,
            args.data_dir,
            args.resize,
            args.strict,
            window=args.window,
            allow_empty=True,
        )
    if not any(len(s) for s in sets.values()):
        skipped = {p: r for s in sets.values() for p, r in s.skipped}
        raise DataError(
            f"dataset {args.data!r}: no readable images"
            + "".join(f"\n  {p}: {r}" for p, r in list(skipped.items())[:10])
        )
    names = sets["train"].class_names
    width = max(len(n) for n in names + ["class"])
    print(f"  {'class':<{width}}  " + "  ".join(f"{s:>6}" for s in SPLITS[:3]) + "   total")
    for i, name in enumerate(names):
        row = [int((sets[s].labels == i).sum()) for s in SPLITS[:3]]
        print(f"  {name:<{width}}  " + "  ".join(f"{n:>6}" for n in row) + f"  {sum(row):>6}")
    totals = [len(sets[s]) for s in SPLITS[:3]]
    print(f"  {'total':<{width}}  " + "  ".join(f"{n:>6}" for n in totals) + f"  {sum(totals):>6}")
    for split, image_set in sets.items():
        empty = [n for n, count in image_set.counts().items() if count == 0]
        if empty:
            print(f"  note: split {split!r} has no images of class(es) {', '.join(empty)}")
    every = [s for s in sets.values() if len(s)]
    shapes = np.concatenate([s.source_shapes for s in every])
    print(f"  patients: {len({p for s in every for p in s.patient_ids})}")
    print(
        f"  source sizes (HxW): min {shapes[:, 0].min()}x{shapes[:, 1].min()}, "
        f"max {shapes[:, 0].max()}x{shapes[:, 1].max()}, median "
        f"{int(np.median(shapes[:, 0]))}x{int(np.median(shapes[:, 1]))}"
    )
    print(f"  arrays: {sets['train'].images.shape[1:]} float32 in [-1, 1] ({args.resize})")
    skipped = {p: r for s in every for p, r in s.skipped}
    if skipped:
        print(f"  skipped {len(skipped)} bad input(s):")
        for p, r in list(skipped.items())[:10]:
            print(f"    {p}: {r}")
    findings = check_image_sets(
        {s: image_set for s, image_set in sets.items() if len(image_set)}, args.image_size
    )
    if skipped:
        findings.append(
            Finding(
                "unreadable",
                f"{len(skipped)} file(s) could not be read",
                [f"{p}: {r}" for p, r in skipped.items()],
            )
        )
    report_findings(findings, args.report, args.data, lambda line: print(f"  {line}"))
    if not findings:
        print(
            "  data checks: no near-constant images, duplicates, class imbalance or "
            "undersized sources found"
        )
    if args.out:
        images = np.concatenate([s.images for s in every])
        labels = np.concatenate([s.labels for s in every])
        order = _balanced_order(labels, args.grid_n, args.seed)
        save_grid(
            to_display_range(images[order]),
            args.out,
            [names[labels[i]] for i in order],
            suptitle=f"{args.data}: {args.image_size}x{args.image_size}",
        )
        print(f"  grid: {args.out}")
    return 0


def _balanced_order(labels: np.ndarray, n: int, seed: int) -> list[int]:
    """Up to ``n`` indices, classes interleaved, random within class."""
    rng = np.random.default_rng(seed)
    per_class = [list(rng.permutation(np.flatnonzero(labels == c))) for c in np.unique(labels)]
    out: list[int] = []
    while len(out) < n and any(per_class):
        for queue in per_class:
            if queue and len(out) < n:
                out.append(int(queue.pop(0)))
    return out


def run_convert(args) -> int:
    skips = SkipLog(strict=args.strict)
    written = convert_dicoms(
        args.input,
        args.out,
        window=args.window,
        bits=args.bits,
        overwrite=args.overwrite,
        skips=skips,
    )
    print(f"wrote {len(written)} PNG(s) to {args.out}")
    if skips.items:
        print(skips.summary())
    return 0


def run_phantom(args) -> int:
    out = Path(args.out).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError(f"{out}: exists and is not an empty folder (choose a new --out)")
    try:
        params = PhantomParams(
            n=args.n, seed=args.seed, size=args.size, slices_per_patient=args.slices_per_patient
        )
        bar = Progress(args.n, "phantom")
        generate_phantom(out, params, progress=lambda done, total: bar.update(done))
        bar.close()
    except ValueError as err:
        raise DataError(str(err)) from None
    print(f"wrote {args.n} DICOM slices + stage_2_train.csv to {out}")
    if args.grid:
        write_phantom_grid(out, args.grid, args.grid_n, args.seed)
        print(f"grid: {args.grid}")
    return 0


def write_phantom_grid(root, png_path, n: int = 24, seed: int = 0) -> str:
    """Brain-window grid of a phantom folder, titled normal / hemorrhage + subtypes, read
    back through the real RSNA parser and DICOM reader."""

    files = rsna(root, SkipLog(strict=True))
    labels = np.array([files.class_names.index(r.label) for r in files.records])
    order = _balanced_order(labels, n, seed)
    images, titles = [], []
    for i in order:
        rec = files.records[i]
        images.append(read_dicom(rec.path, window="brain")[0])
        subs = [s for s, flag in zip(RSNA_SUBTYPES, rec.subtypes) if flag]
        titles.append("normal" if not subs else "hemorrhage: " + " + ".join(subs))
    cols = 6 if len(images) >= 12 else min(4, len(images))
    return save_grid(
        np.stack(images),
        png_path,
        titles,
        cols=cols,
        cell_inches=2.4,
        suptitle="keras_medgan phantom, brain window (40/80)",
        dpi=80,
    )


COMMANDS = {"info": run_info, "convert": run_convert, "phantom": run_phantom}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        print(f"error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return 2
