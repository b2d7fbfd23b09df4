"""``python -m keras_medgan.study``: the leak-free cross-validated augmentation study.

All the logic lives in :mod:`keras_medgan.study.runner` and :mod:`keras_medgan.study.report`;
this module is the command line: argparse, the --quick profile, early clear errors.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys

import numpy as np

from keras_medgan.cli.flags import add_flag
from keras_medgan.compare.arms import ARM_ORDER
from keras_medgan.compare.classifier_flags import (
    add_classifier_arguments,
    train_config_from_args,
)
from keras_medgan.core.console import Preemption
from keras_medgan.evaluate.features import FEATURE_EXTRACTORS
from keras_medgan.generators.pretrained import models_dir, read_manifest
from keras_medgan.models.classifiers import CLASSIFIERS
from keras_medgan.study.cells import (
    STAGES,
    finished,
    gans_needed,
    order_sizes,
    parse_cell_ranges,
    parse_shard,
    read_cell,
    shard_cells,
)
from keras_medgan.study.config import StudyConfig, StudyError
from keras_medgan.study.plan import format_plan, plan_study
from keras_medgan.study.report import (
    archive_results,
    load_plan,
    planned_rows,
    summarize_arms,
    write_report,
)
from keras_medgan.study.runner import prepare_study, run_study, select_cells
from keras_medgan.training.trainer import TrainingError, TrainingInterrupted

EPILOG = """examples:
  # P1's question on the Kaggle head CT set: 5 folds x 2 repeats, P1's recipe and WGAN-GP,
  # ResNet-50 from a local ImageNet file, every arm
  python -m keras_medgan.study --data head_ct \\
      --recipe experiments/p1_dcgan32_head_ct.yaml experiments/p1_dcgan32_head_ct_wgangp.yaml \\
      --folds 5 --repeats 2 --weights ~/weights/resnet50_notop.h5 --out studies/p1

  # the whole study on the embedded phantom in minutes (small_cnn, 3 folds, 3 GAN epochs)
  python -m keras_medgan.study --data phantom --quick --out studies/phantom

  # how much synthetic data, and which images: ratio and realism filter as factors
  python -m keras_medgan.study --data head_ct --recipe experiments/p1_dcgan32_head_ct.yaml \\
      --synthetic-ratio 0.5 1 2 4 --keep-most-realistic 1 0.5 --out studies/p1_ratios

  # learning curve: the training part cut to 8, 16, 32 real images per class and all of
  # them; the GANs of each point train on exactly those images (nested subsets)
  python -m keras_medgan.study --data head_ct --recipe p1=experiments/p1_dcgan32_head_ct.yaml \
      --real-per-class 8 16 32 all --gan-batch-size 8 --out studies/p1_curve

  # shard: one fold per process (or per job-array task) sharing --out, then aggregate
  python -m keras_medgan.study --data head_ct --recipe p1=experiments/p1_dcgan32_head_ct.yaml \\
      --out studies/p1 --repeat 0 --fold 3
  python -m keras_medgan.study report --out studies/p1
  python -m keras_medgan.study report --out studies/p1 --archive experiments/results/study_p1

  # before training anything: cells, time and the smallest detectable differences
  python -m keras_medgan.study --data head_ct --folds 5 --repeats 3 --out studies/p1 --plan

  # P1's literal classifier recipe (early stopping) instead of equal steps
  python -m keras_medgan.study --data head_ct --protocol p1 --threshold fixed --seeds 1 \
      --out studies/p1_literal

  # list the cells with their numbers, then run cells 0-9
  python -m keras_medgan.study --data phantom --quick --out studies/phantom --list-cells
  python -m keras_medgan.study --data phantom --quick --out studies/phantom --cells 0-9

A rerun of the same command resumes: finished cells (OUT/cells/*.json) are skipped; a
killed GAN cell continues from its last checkpoint. Outputs: OUT/results.md (P1 Table 1
layout), results.json, results.png, predictions.csv, folds.json, gans/ (every fold's
exported generators and model cards). Every classifier cell keeps each seed's validation
and test probabilities and its training curve, so any endpoint can be recomputed later.
"""

#: The --quick profile: what it sets unless given explicitly.
QUICK = {"folds": 3, "gan_epochs": 3, "feature_epochs": 3, "features": "pixels"}
FULL = {"folds": 5, "gan_epochs": None, "feature_epochs": 10, "features": "domain_cnn"}
DEFAULT_RECIPE = "experiments/p1_dcgan32_head_ct.yaml"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m keras_medgan.study",
        description="Do GAN images help a classifier? Repeated stratified k-fold with the "
        "GANs trained inside every training fold, every image tested once per "
        "repeat; AUC, log-loss and Brier first, accuracy at a validation-chosen "
        "threshold second; corrected repeated-CV intervals and t-tests against "
        "the real arm, the detectable difference, and a leakage check from the "
        "model cards.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_flag(p, "--data", required=True)
    add_flag(p, "--data-dir")
    p.add_argument(
        "--recipe",
        nargs="+",
        default=None,
        metavar="[NAME=]YAML",
        help=f"GAN training recipes (train --config files), side by side; the name "
        f"defaults to the file's stem (default: {DEFAULT_RECIPE})",
    )
    p.add_argument(
        "--generators",
        metavar="NAME|DIR",
        help="not accepted here, on purpose: a fixed generator set (a shipped model "
        "such as p1_head_ct, or a run) saw images that other folds test on; "
        "the study trains its GANs inside each fold (--recipe). Use "
        "`benchmark --generators NAME --split-seed S` for a fixed set",
    )
    p.add_argument(
        "--arms",
        nargs="+",
        choices=list(ARM_ORDER),
        default=list(ARM_ORDER),
        help="training sets to compare (default: all five)",
    )
    p.add_argument("--out", required=False, help="study folder (default studies/<data>)")
    p.add_argument("--folds", type=int, default=None, help="k (default 5; --quick: 3)")
    p.add_argument("--repeats", type=int, default=1, help="r repeats of the k folds (default 1)")
    p.add_argument("--seed", type=int, default=0, help="repeat r deals its folds with seed + r")
    p.add_argument(
        "--val-fraction",
        type=float,
        default=0.2,
        help="part of each training fold held out for early stopping (default 0.2)",
    )
    p.add_argument(
        "--group-duplicates",
        action="store_true",
        help="keep the copies the data checks find (identical or rescaled images) "
        "in one fold, as if one patient (head CT: 188/189, 198/199)",
    )
    p.add_argument("--image-size", type=int, default=32, help="image size (P1: 32)")
    p.add_argument(
        "--gan-epochs",
        type=int,
        default=None,
        help="override every recipe's epochs (default: the recipe's; --quick: 3)",
    )
    p.add_argument(
        "--gan-batch-size",
        type=int,
        default=None,
        help="override every recipe's batch size (a --real-per-class below the "
        "recipe's batch needs it; P1: 16)",
    )
    p.add_argument(
        "--gan-workers",
        default="auto",
        metavar="N|auto",
        help="train a fold's GANs side by side, N processes (auto: 2 on a machine "
        "with no GPU and 2+ cores, where it measured 1.6× faster; else 1)",
    )
    p.add_argument(
        "--gan-precision",
        default=None,
        help="override the recipes' precision (auto / fp32 / bf16 / fp16)",
    )
    p.add_argument(
        "--synthetic-ratio",
        type=float,
        nargs="+",
        default=[1.0],
        metavar="R",
        help="synthetic images per real image in the +synthetic arms; several "
        "values = a study factor (default 1, P1)",
    )
    p.add_argument(
        "--real-per-class",
        nargs="+",
        default=["all"],
        metavar="N|all",
        help="learning curve: cut each fold's training part to N real images per "
        "class (stratified, seeded, nested), GANs trained on exactly those; "
        "several values = one curve point each (default: all)",
    )
    p.add_argument(
        "--keep-most-realistic",
        type=float,
        nargs="+",
        default=[1.0],
        metavar="F",
        help="realism filter levels: keep the fraction F of generated images the "
        "C2ST finds most realistic (1 = no filter; several = a study factor)",
    )
    add_classifier_arguments(p, CLASSIFIERS.names())
    p.add_argument(
        "--features",
        default=None,
        choices=FEATURE_EXTRACTORS.names(),
        help="features for GAN-train/GAN-test (default domain_cnn; --quick: pixels)",
    )
    p.add_argument(
        "--feature-epochs",
        type=int,
        default=None,
        help="domain_cnn training epochs (default 10; --quick: 3)",
    )
    add_flag(p, "--feature-weights")
    p.add_argument("--no-gan-train", action="store_true", help="skip GAN-train/GAN-test")
    p.add_argument("--confidence", type=float, default=0.95, help="interval level")
    p.add_argument("--cells", metavar="N-M[,K]", help="run only these cells (see --list-cells)")
    p.add_argument(
        "--shard",
        metavar="i/N|auto",
        help="run shard i of N (0-based; auto: from SLURM_ARRAY_TASK_ID / "
        "SLURM_ARRAY_TASK_COUNT); every process computes the same split",
    )
    p.add_argument(
        "--stage",
        choices=["all", "gans", "classifiers"],
        default="all",
        help="which cells: gans (run first, e.g. as their own job array), "
        "classifiers (needs those GANs finished), or all (default)",
    )
    p.add_argument("--repeat", type=int, default=None, help="run only this repeat's cells")
    p.add_argument("--fold", type=int, default=None, help="run only this fold's cells")
    p.add_argument(
        "--plan",
        action="store_true",
        help="print the cell count, a time estimate and the smallest differences "
        "this design detects at 80 %% power, then stop (trains nothing)",
    )
    p.add_argument(
        "--list-cells",
        action="store_true",
        help="print every cell with its number and state, run nothing",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="fast profile: small_cnn, 3 folds, 3 GAN epochs, 60 classifier steps, "
        "pixel features (explicit flags win)",
    )
    p.add_argument(
        "--verbose",
        action="store_true",
        help="Keras progress bars, and TensorFlow's start-up and warning messages",
    )
    return p


def build_report_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m keras_medgan.study report",
        description="Aggregate whatever cells of a study have finished (another machine's "
        "shards included) into results.md / .json / .png and predictions.csv, "
        "and say which cells are missing.",
    )
    p.add_argument("--out", required=True, help="the study folder")
    p.add_argument(
        "--archive",
        metavar="DEST",
        help="also copy the small files (settings, folds, finished cells, model "
        "cards, loss plots; no generator files) to DEST and report there",
    )
    return p


#: ``study report``: parsed by its own parser (see ``parser_for``); its help is stored too
SUBCOMMAND_PARSERS = {"report": build_report_parser}


def _find_recipe(path: str) -> str:
    """A recipe path as given, or, when it is not there, the same relative path in the
    checkout the package runs from (``experiments/…`` works from any folder)."""

    if pathlib.Path(path).exists() or pathlib.Path(path).is_absolute():
        return path
    beside = pathlib.Path(__file__).resolve().parents[2] / path
    return str(beside) if beside.is_file() else path


def parse_recipes(values: list[str] | None) -> dict[str, str]:
    recipes = {}
    for value in values or [DEFAULT_RECIPE]:
        name, sep, path = value.partition("=")
        if not sep:
            name, path = pathlib.Path(value).stem, value
        if not name or any(ch in name for ch in "/\\ "):
            raise StudyError(f"--recipe {value!r}: give NAME=PATH with a NAME without / or spaces")
        if name in recipes:
            raise StudyError(f"--recipe: two recipes named {name!r}; name them NAME=PATH")
        recipes[name] = _find_recipe(path)
    return recipes


def parse_sizes(values: list[str]) -> list[int | None]:
    """``["8", "16", "all"]`` → [8, 16, None]; StudyError naming a value that is neither."""

    sizes = []
    for value in values:
        if str(value).lower() == "all":
            sizes.append(None)
            continue
        try:
            n = int(value)
        except ValueError:
            raise StudyError(
                f"--real-per-class {value!r}: give whole numbers of images per class, or all"
            ) from None
        if n < 1:
            raise StudyError(f"--real-per-class {n}: give a number of images >= 1, or all")
        sizes.append(n)
    return order_sizes(sizes)


def config_from_args(args: argparse.Namespace, argv: list[str]) -> StudyConfig:
    pick = {
        k: (getattr(args, k) if getattr(args, k) is not None else v)
        for k, v in (QUICK if args.quick else FULL).items()
    }
    for name, value in (("--folds", pick["folds"]), ("--repeats", args.repeats)):
        if value < 1:
            raise StudyError(f"{name} must be >= 1, got {value}")
    if pick["gan_epochs"] is not None and pick["gan_epochs"] < 1:
        raise StudyError(f"--gan-epochs must be >= 1, got {pick['gan_epochs']}")
    if args.gan_workers != "auto" and (
        not str(args.gan_workers).isdigit() or int(args.gan_workers) < 1
    ):
        raise StudyError(f"--gan-workers {args.gan_workers!r}: give a number >= 1, or auto")
    classifier = args.classifier or ("small_cnn" if args.quick else "resnet50")
    if args.weights and classifier != "resnet50":
        raise StudyError("--weights is a local ImageNet file for --classifier resnet50")
    try:
        train = train_config_from_args(args, args.quick, args.weights)
    except ValueError as exc:
        raise StudyError(str(exc)) from None
    return StudyConfig(
        data=args.data,
        out=args.out or f"studies/{args.data.replace(':', '_').replace('/', '_')}",
        recipes=parse_recipes(args.recipe),
        arms=list(args.arms),
        folds=pick["folds"],
        repeats=args.repeats,
        seed=args.seed,
        image_size=args.image_size,
        data_dir=args.data_dir,
        val_fraction=args.val_fraction,
        group_duplicates=args.group_duplicates,
        synthetic_ratios=sorted(set(args.synthetic_ratio)),
        real_per_class=parse_sizes(args.real_per_class),
        gan_batch_size=args.gan_batch_size,
        gan_workers=args.gan_workers if args.gan_workers == "auto" else int(args.gan_workers),
        keep_fractions=sorted(set(args.keep_most_realistic), reverse=True),
        gan_epochs=pick["gan_epochs"],
        gan_precision=args.gan_precision,
        train=train,
        gan_train=not args.no_gan_train,
        features=pick["features"],
        feature_epochs=pick["feature_epochs"],
        feature_weights=args.feature_weights,
        confidence=args.confidence,
        profile="quick" if args.quick else "full",
        command=study_command(argv),
    )


#: Flags that pick which cells THIS process runs: not part of what the study is
SHARD_FLAGS = ("--cells", "--repeat", "--fold", "--shard", "--stage")


def study_command(argv: list[str]) -> str:
    """The command of the whole study: ``argv`` without the shard selectors, so the report
    and the GANs' cards of a study run as one process per fold name the same command."""
    kept, skip = [], False
    for word in argv:
        if skip:
            skip = False
        elif word in SHARD_FLAGS:
            skip = True
        elif not word.startswith(tuple(f + "=" for f in SHARD_FLAGS)):
            kept.append(word)
    return " ".join(["python -m keras_medgan.study", *kept])


def _cell_filter(args, out):
    def pick(cells):
        try:
            indices = parse_cell_ranges(args.cells, len(cells)) if args.cells else None
        except ValueError as exc:  # numbers as --list-cells prints them, not cell names
            raise StudyError(f"{exc}; --list-cells shows each cell's number") from None
        for flag, value, limit in (
            ("--repeat", args.repeat, max(c.repeat for c in cells)),
            ("--fold", args.fold, max(c.fold for c in cells)),
        ):
            if value is not None and not 0 <= value <= limit:
                raise StudyError(f"{flag} {value} is outside 0-{limit}")
        picked = select_cells(cells, indices=indices, repeat=args.repeat, fold=args.fold)
        if args.shard:
            try:
                index, count = parse_shard(args.shard)
            except ValueError as exc:
                raise StudyError(str(exc)) from None
            mine = {c.id for c in shard_cells(cells, index, count, args.stage)}
            picked = [c for c in picked if c.id in mine]
        else:
            picked = [c for c in picked if c.kind in STAGES[args.stage]]
        if args.stage == "classifiers":
            done = finished(out, cells)
            missing = [g.id for g in gans_needed(picked, cells) if g.id not in done]
            if missing:
                raise StudyError(
                    f"--stage classifiers: {len(missing)} GAN cell(s) these classifier "
                    f"cells sample have not finished (e.g. {missing[0]}); run the same "
                    "command with --stage gans first"
                )
        return picked

    return pick


def _list_cells(config: StudyConfig) -> int:
    _, _, cells = prepare_study(config)
    for i, cell in enumerate(cells):
        state = "done" if read_cell(config.out, cell) is not None else "todo"
        print(f"{i:5d}  {state}  {cell.id}")
    return 0


def _observed_sd(out) -> tuple[dict | None, str | None]:
    """SD of the real+synthetic − real fold differences among the finished cells in
    ``out`` (the recipes' variances pooled), when at least two folds are paired."""

    try:
        _, _, cells = load_plan(out)
    except StudyError:
        return None, None
    done = finished(out, cells)
    # one learning-curve size only (the whole training part when it is there): the same
    # arm at another size is another comparison, and would be paired with the wrong real
    sizes = {c.size for c in cells if c.kind == "arm" and c.id in done}
    size = None if None in sizes or not sizes else max(sizes)
    arms = [done[c.id] for c in cells if c.id in done and c.kind == "arm" and c.size == size]
    rows = summarize_arms(arms, planned_rows(cells, size), 2, 0.95)
    sd, n = {}, 0
    for metric in ("auc", "accuracy"):
        var, n = [], 0
        for row in rows.values():
            test = (row.get("vs_real") or {}).get(metric) or {}
            if row["arm"] == "real+synthetic" and test.get("n", 0) >= 2:
                var.append(_fold_variance(row, rows.get("real"), metric))
                n += test["n"]
        if not var:
            return None, None
        sd[metric] = math.sqrt(sum(var) / len(var))
    return sd, f"the {n} paired real+synthetic folds finished in {out}"


def _fold_variance(row: dict, real: dict | None, metric: str) -> float:
    real_by = {(f["repeat"], f["fold"]): f[metric] for f in (real or {}).get("folds", [])}
    diffs = [
        f[metric] - real_by[(f["repeat"], f["fold"])]
        for f in row["folds"]
        if (f["repeat"], f["fold"]) in real_by and f[metric] is not None
    ]
    return float(np.var(diffs, ddof=1))


def _print_plan(config: StudyConfig) -> int:
    data, recipes, cells = prepare_study(config)
    parts = [data.parts(config, 0, f) for f in range(config.folds)]
    n_train = float(np.mean([len(p.train) for p in parts]))
    n_test = float(np.mean([len(p.test) for p in parts]))
    counts = np.bincount(data.labels[parts[0].train], minlength=len(data.class_names))
    gan_images = {}
    for c in cells:
        if c.kind == "gan":
            rc = recipes[c.recipe].config
            per_class = counts if c.size is None else np.full_like(counts, c.size)
            n = (
                per_class.sum()
                if c.unit == "conditional"
                else per_class[data.class_names.index(c.unit)]
            )
            gan_images[c.id] = (float(n) * rc.epochs, (rc.arch, rc.loss))
    sd, source = _observed_sd(config.out)
    t = config.train
    plan = plan_study(
        cells=cells,
        folds=config.folds,
        repeats=config.repeats,
        n_train=n_train,
        n_test=n_test,
        seeds=t.seeds,
        steps=t.steps if t.protocol == "steps" else None,
        classifier=t.classifier,
        gan_images=gan_images,
        sd=sd,
        sd_source=source,
    )
    print(
        f"plan for {config.out} ({len(data.labels)} images, {config.repeats} repeat(s) × "
        f"{config.folds} folds); nothing is trained"
    )
    print(format_plan(plan))
    return 0


def report_main(argv: list[str]) -> int:
    args = build_report_parser().parse_args(argv)
    try:
        results = write_report(args.out)
        if args.archive:
            archive_results(args.out, args.archive)
    except StudyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    missing = results["missing"]
    print(
        f"{results['cells_done']} of {results['cells_planned']} cells finished"
        + (
            f"; missing: {', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}"
            if missing
            else ""
        )
    )
    print(f"wrote {args.out}/results.md, results.json, results.png, predictions.csv")
    if args.archive:
        print(f"copied the study's small files and its report to {args.archive}")
    return 0


def fixed_generators_refused(name: str) -> str:
    """Why ``--generators`` is refused: one line naming the set and the benchmark command
    that evaluates it without leakage (its split seed read from a shipped model's cards)."""
    split = "S"
    try:
        entry = read_manifest().get(name)
        if entry:
            card = next(iter(entry["files"].values()))["card"]
            split = str(json.loads((models_dir() / card).read_text()).get("split_seed", "S"))
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        split = "S"  # the message must come out whatever the manifest holds
    return (
        f"error: --generators {name}: the study trains its GANs inside each fold, so no "
        "GAN is tested on images it trained on; a fixed generator set trained on part of "
        f"these images would be. Evaluate it with `python -m keras_medgan.benchmark "
        f"--generators {name} --split-seed {split}` (tests only on images it never saw), "
        "or give the study its recipe with --recipe"
    )


def parser_for(argv: list[str]) -> tuple[argparse.ArgumentParser, list[str]]:
    """(parser, its arguments): ``report …`` → the report parser and what follows the word;
    anything else → the run parser and every argument."""
    if argv[:1] == ["report"]:
        return build_report_parser(), argv[1:]
    return build_parser(), argv


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["report"]:
        return report_main(argv[1:])

    args = build_parser().parse_args(argv)
    preemption = Preemption()
    if args.generators:
        print(fixed_generators_refused(args.generators), file=sys.stderr)
        return 2
    try:
        config = config_from_args(args, argv)
        if args.list_cells:
            return _list_cells(config)
        if args.plan:
            return _print_plan(config)
        with preemption:
            results = run_study(config, cells_wanted=_cell_filter(args, config.out))
    except StudyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TrainingError as exc:  # a GAN cell diverged, or the disk is full
        print(
            f"error: {exc}\nfinished cells are kept; rerun the same command to resume",
            file=sys.stderr,
        )
        return 1
    except TrainingInterrupted as stop:  # inside a GAN cell: its last whole epoch is kept
        print(
            f"\n{preemption.signal or 'interrupted'}: GAN {stop.unit} kept epoch "
            f"{stop.epoch}; finished cells are kept in OUT/cells/; rerun the same command "
            "to resume",
            file=sys.stderr,
        )
        return preemption.exit_code()
    except KeyboardInterrupt:
        print(
            f"\n{preemption.signal or 'interrupted'}: finished cells are kept in "
            "OUT/cells/; rerun the same command to resume",
            file=sys.stderr,
        )
        return preemption.exit_code()
    print(
        f"{results['cells_done']} of {results['cells_planned']} cells finished; wrote "
        f"{config.out}/results.md, results.json, results.png, predictions.csv"
    )
    return 0
