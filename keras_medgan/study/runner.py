"""Run (or resume) a cross-validated augmentation study, one cell at a time.

For repeat r and fold f: the fold's test images are held out; the rest is split into a
training part and a validation part (``folds.fold_parts``). Each recipe's GANs train on
the training part ONLY, through ``keras_medgan.training.trainer.run_training`` (the call behind
``python -m keras_medgan.train``), and are exported with model cards listing the images
they trained on. Synthetic images come from ``keras_medgan.generators.sampling.synthesize_set``, the
one sampling path. Every arm's classifier trains on its training set, stops early on the
validation part, and predicts the fold's test images.

Seeds: repeat r deals folds with ``seed + r``; a fold's GANs start from the recipe's seed
+ 100·r + f; its synthetic images are drawn with sampling seed 100·r + f; its classifiers
use classifier seed 100·r + f in every arm (all arms of a fold share initial weights, which
is what makes the comparison with the real arm a paired one).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pathlib
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

from keras_medgan.compare.arms import ARMS, build_training_set, synthetic_needed
from keras_medgan.compare.cell import cell_summary, classifier_cell
from keras_medgan.compare.gan_train import gan_train_cell
from keras_medgan.core.console import CellProgress, Preemption, quiet_tensorflow
from keras_medgan.core.jsonio import jsonable, write_text_atomic
from keras_medgan.core.runtime import enable_memory_growth, enable_op_determinism
from keras_medgan.data import load_image_set
from keras_medgan.data.sanity import check_image_sets, report_findings
from keras_medgan.evaluate.c2st import most_realistic_selector
from keras_medgan.evaluate.features import get_extractor
from keras_medgan.generators.sampling import synthesize_set
from keras_medgan.study import folds as fold_split
from keras_medgan.study.cells import Cell, finished, order_sizes, plan_cells, read_cell, write_cell
from keras_medgan.study.config import (
    StudyConfig,
    StudyError,
    check_resume,
    write_config,
)
from keras_medgan.study.report import write_report
from keras_medgan.training.config import CADENCE_KEYS, TrainingConfig
from keras_medgan.training.runs import (
    ConfigError,
    RunLockedError,
    read_yaml_config,
    resolve_config,
    run_lock,
)
from keras_medgan.training.runs import write_config as write_run_config
from keras_medgan.training.trainer import (
    PreparedData,
    TrainingInterrupted,
    image_ids,
    plan_units,
    run_training,
)

__all__ = ["StudyData", "load_study_data", "resolve_recipes", "run_study"]

FOLDS_FILE = "folds.json"


@dataclass
class StudyData:
    """The whole image set, once: every fold is a set of indices into it."""

    images: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    groups: list[str]  # patient ids
    ids: list[str]  # image identifiers, as model cards list them
    findings: list = field(default_factory=list)  # data sanity (keras_medgan.data.sanity)

    def parts(
        self, config: StudyConfig, repeat: int, fold: int, size: int | None = None
    ) -> fold_split.FoldParts:
        """The fold's indices; with ``size``, its training part cut to ``size`` images per
        class (nested over sizes; validation and test parts untouched, so every point of
        a learning curve is scored on the same images)."""
        parts = fold_split.fold_parts(
            self.labels,
            self.groups,
            config.folds,
            repeat,
            fold,
            seed=config.seed,
            val_fraction=config.val_fraction,
        )
        if size is None:
            return parts
        train = fold_split.subsample_per_class(
            self.labels, parts.train, size, seed=config.seed + 100 * repeat + fold
        )
        return fold_split.FoldParts(train=train, val=parts.val, test=parts.test)


def load_study_data(config: StudyConfig, loader: Callable | None = None) -> StudyData:
    """Every image of ``config.data`` (split "all"); StudyError for an empty class."""

    loader = load_image_set if loader is None else loader
    try:
        s = loader(
            data=config.data,
            image_size=config.image_size,
            split="all",
            seed=0,
            data_dir=config.data_dir,
        )
    except ValueError as exc:  # DataError: the user's data or flags
        raise StudyError(str(exc)) from None
    labels = np.asarray(s.labels, np.int64)
    counts = np.bincount(labels, minlength=len(s.class_names))
    empty = [n for n, c in zip(s.class_names, counts.tolist()) if c == 0]
    if empty:
        raise StudyError(
            f"{config.data!r}: class(es) {empty} have no images (counts: "
            + ", ".join(f"{n}={c}" for n, c in zip(s.class_names, counts.tolist()))
            + ")"
        )
    findings = check_image_sets({"all": s}, config.image_size)
    groups = [str(g) for g in s.patient_ids]
    if config.group_duplicates:
        groups = group_duplicates(groups, [str(p) for p in s.paths], findings)
    return StudyData(
        np.asarray(s.images, np.float32),
        labels,
        list(s.class_names),
        groups,
        image_ids(s.paths),
        findings=findings,
    )


def group_duplicates(groups: list[str], paths: list[str], findings) -> list[str]:
    """Patient groups with every set of copies the data checks found merged into one
    group, so that the folds keep copies on one side of the test/train line."""
    index = {p: i for i, p in enumerate(paths)}
    groups = list(groups)
    for finding in findings:
        if finding.check != "duplicate":
            continue
        members = [index[f] for f in finding.files if f in index]
        for i in members[1:]:
            old = groups[i]
            groups = [groups[members[0]] if g == old else g for g in groups]
    return groups


@dataclass
class Recipe:
    name: str
    path: str
    config: TrainingConfig  # the resolved training config, as train would run it
    units: list[str]  # class names, or ["conditional"]

    def comparable(self) -> dict:
        """What the study records of the recipe and compares on resume (see
        ``training.config.result_changes``): its config without cadence and bookkeeping."""
        skip = {*CADENCE_KEYS, "command", "resumed_by"}
        return {k: v for k, v in self.config.to_dict().items() if k not in skip}


def resolve_recipes(config: StudyConfig, class_names: list[str]) -> dict[str, Recipe]:
    """Each recipe YAML resolved exactly as ``train --config`` would, on the study's data."""

    recipes = {}
    for name, path in config.recipes.items():
        try:
            yaml_config = read_yaml_config(path)
            cli = {
                "data": config.data,
                "data_dir": config.data_dir,
                "image_size": config.image_size,
                "split": "train",
            }
            if config.gan_epochs is not None:
                cli["epochs"] = int(config.gan_epochs)
            if config.gan_precision is not None:
                cli["precision"] = config.gan_precision
            if config.gan_batch_size is not None:
                cli["batch_size"] = int(config.gan_batch_size)
            resolved = resolve_config(cli, yaml_config)
        except ConfigError as exc:
            raise StudyError(f"recipe {name!r} ({path}): {exc}") from None
        resolved = resolved.replace(export_formats=("h5",), keep_checkpoints=1)
        if resolved.per_class:
            units = list(class_names)
        elif resolved.conditional:
            units = ["conditional"]
        else:
            raise StudyError(
                f"recipe {name!r} ({path}) trains one unconditional GAN on every class, whose "
                f"images carry no label; set per_class: true (one GAN per class, P1) or "
                f"conditional: true in it"
            )
        recipes[name] = Recipe(name, str(path), resolved, units)
    return recipes


def _check_inputs(config: StudyConfig) -> None:
    for arm in config.arms:
        if arm not in ARMS:
            raise StudyError(f"unknown arm {arm!r}; valid: {', '.join(ARMS.names())}")
    synthetic_arms = [a for a in config.arms if ARMS.get(a).uses_synthetic]
    if (synthetic_arms or config.gan_train) and not config.recipes:
        raise StudyError(f"arm(s) {synthetic_arms or ['GAN-train']} need GANs: give --recipe")
    if config.repeats < 1:
        raise StudyError(f"--repeats must be >= 1, got {config.repeats}")
    if config.gan_batch_size is not None and config.gan_batch_size < 1:
        raise StudyError(f"--gan-batch-size must be >= 1, got {config.gan_batch_size}")
    if not 0.0 < config.val_fraction < 0.5:
        raise StudyError(f"--val-fraction must be in (0, 0.5), got {config.val_fraction}")
    for r in config.synthetic_ratios:
        if not r > 0:
            raise StudyError(f"--synthetic-ratio values must be > 0, got {r}")
    for k in config.keep_fractions:
        if not 0.0 < k <= 1.0:
            raise StudyError(f"--keep-most-realistic values must be in (0, 1], got {k}")
    for name, path in config.recipes.items():
        if not pathlib.Path(path).is_file():
            raise StudyError(f"recipe {name!r}: file {path} not found")


class _Fold:
    """What one (repeat, fold)'s cells share: the indices and the synthetic pools."""

    def __init__(self, study: _Study, repeat: int, fold: int, size: int | None = None):
        self.study, self.repeat, self.fold, self.size = study, repeat, fold, size
        self.parts = study.data.parts(study.config, repeat, fold, size)
        self.seed = 100 * repeat + fold
        self._pools: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def xy(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        idx = getattr(self.parts, part)
        return self.study.data.images[idx], self.study.data.labels[idx]

    def ids(self, part: str) -> list[str]:
        return [self.study.data.ids[i] for i in getattr(self.parts, part)]

    def generator_files(self, recipe: str) -> list[pathlib.Path]:
        files = []
        for unit in self.study.recipes[recipe].units:
            gan = Cell("gan", self.repeat, self.fold, recipe=recipe, unit=unit, size=self.size)
            rec = read_cell(self.study.out, gan)
            if rec is None:
                raise _NotReady(f"GAN {gan.id} has not finished")
            if not _export_present(self.study.out, rec):
                raise _NotReady(
                    f"GAN {gan.id}'s generator file {rec['export']} is missing "
                    f"(an archive keeps records, not generators); a rerun "
                    f"trains it again"
                )
            files.append(self.study.out / rec["export"])
        return files

    def pool(self, recipe: str, keep: float) -> tuple[np.ndarray, np.ndarray]:
        """Synthetic images of one recipe (and realism filter), enough for every arm."""

        key = (recipe, keep)
        if key not in self._pools:
            cfg = self.study.config
            counts = np.bincount(self.xy("train")[1], minlength=len(self.study.data.class_names))
            n = max(
                synthetic_needed(cfg.arms, counts, max(cfg.synthetic_ratios)), int(counts.max())
            )
            select = None
            if keep < 1.0:
                train_x, train_y = self.xy("train")
                names = self.study.data.class_names
                select = most_realistic_selector(
                    keep, lambda name, _gen: train_x[train_y == names.index(name)]
                )
            images, labels, class_names = synthesize_set(
                [str(p) for p in self.generator_files(recipe)],
                n_per_class=n,
                seed=self.seed,
                select=select,
            )
            # the generators' class indices → the study's (the same names, maybe reordered)
            to_study = {
                class_names.index(name): i for i, name in enumerate(self.study.data.class_names)
            }
            labels = np.asarray([to_study[int(v)] for v in labels], np.int64)
            self._pools[key] = (images, labels)
        return self._pools[key]


class _NotReady(Exception):
    """A cell needs another cell (its fold's GANs) that has not finished yet."""


class _Study:
    def __init__(self, config: StudyConfig, data: StudyData, recipes: dict[str, Recipe], stream):
        self.config, self.data, self.recipes, self.stream = config, data, recipes, stream
        self.out = pathlib.Path(config.out)
        self._fold: _Fold | None = None

    def fold(self, cell: Cell) -> _Fold:
        key = (cell.repeat, cell.fold, cell.size)
        if self._fold is None or (self._fold.repeat, self._fold.fold, self._fold.size) != key:
            self._fold = _Fold(self, *key)  # one fold's (and size's) arrays at a time
        return self._fold

    def print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    # ------------------------------------------------------------------ cells

    def run_gan(self, cell: Cell) -> dict:
        f = self.fold(cell)
        recipe = self.recipes[cell.recipe]
        config = recipe.config.replace(
            seed=recipe.config.seed + f.seed,
            split_seed=None,
            classes=None if cell.unit == "conditional" else (cell.unit,),
            command=self.config.command + f"  # cell {cell.id}",
        )
        where = f"r{cell.repeat}-f{cell.fold}" + (f"-n{cell.size}" if cell.size else "")
        run_dir = self.out / "gans" / where / cell.recipe / cell.unit
        run_dir.mkdir(parents=True, exist_ok=True)
        write_run_config(run_dir, config)
        train_x, train_y = f.xy("train")
        units = plan_units(train_x, train_y, self.data.class_names, config, ids=f.ids("train"))
        prepared = PreparedData(self.data.class_names, units, len(train_y))
        with run_lock(run_dir):
            (result,) = run_training(
                config, run_dir, print_fn=lambda s: self.print("    " + s), prepared=prepared
            )
        shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)  # the export is what counts
        return {
            "kind": "gan",
            "repeat": cell.repeat,
            "fold": cell.fold,
            "size": cell.size,
            "recipe": cell.recipe,
            "unit": cell.unit,
            "run_dir": str(run_dir.relative_to(self.out)),
            "export": str(
                pathlib.Path(result.export["h5"]).resolve().relative_to(self.out.resolve())
            ),
            "status": result.status,
            "epochs": result.epochs,
            "n_train": len(units[0].images),
            "final_metrics": result.final_metrics,
        }

    def run_arm(self, cell: Cell) -> dict:
        f = self.fold(cell)
        num_classes = len(self.data.class_names)
        train_x, train_y = f.xy("train")
        synth = (None, None)
        v = cell.variant
        if v is not None:
            synth = f.pool(v.recipe, v.keep)
        ts = build_training_set(
            cell.arm,
            train_x,
            train_y,
            *synth,
            num_classes=num_classes,
            class_names=self.data.class_names,
            synthetic_ratio=v.ratio if v and v.ratio else 1.0,
            seed=f.seed,
        )
        cell_fields = classifier_cell(
            ts,
            f.xy("val"),
            f.xy("test"),
            num_classes=num_classes,
            config=self.config.train,
            seed=f.seed,
        )
        return {
            "kind": "arm",
            "repeat": cell.repeat,
            "fold": cell.fold,
            "size": cell.size,
            "arm": cell.arm,
            "recipe": v.recipe if v else None,
            "variant": v.name if v else None,
            "ratio": v.ratio if v else None,
            "keep": v.keep if v else None,
            "ids": f.ids("test"),
            "val_ids": f.ids("val"),
            **cell_fields,
        }

    def run_gan_train(self, cell: Cell) -> dict:
        f = self.fold(cell)
        train_x, train_y = f.xy("train")
        try:
            ext = get_extractor(
                self.config.features,
                real_images=train_x,
                real_labels=train_y,
                seed=f.seed,
                epochs=self.config.feature_epochs,
                weights=self.config.feature_weights,
            )
        except ValueError as exc:
            raise StudyError(f"--features {self.config.features}: {exc}") from None
        result = gan_train_cell(
            ext, (train_x, train_y), f.xy("test"), f.pool(cell.recipe, 1.0), seed=f.seed
        )
        return {
            "kind": "gan_train",
            "repeat": cell.repeat,
            "fold": cell.fold,
            "size": cell.size,
            "recipe": cell.recipe,
            **result,
        }

    def run(self, cell: Cell) -> dict:
        return {"gan": self.run_gan, "arm": self.run_arm, "gan_train": self.run_gan_train}[
            cell.kind
        ](cell)


def _summary(record: dict) -> str:
    if record["kind"] == "gan":
        return f"{record['status']}, {record['epochs']} epochs on {record['n_train']} images"
    if record["kind"] == "gan_train":
        s = record["scores"]
        return ", ".join(
            f"{k} HM {v['hm']:.3f}" if v.get("hm") is not None else f"{k}" for k, v in s.items()
        )
    return cell_summary(record)


def check_same_folds(path: pathlib.Path, new: dict) -> None:
    """StudyError when a study being resumed would deal its images differently than its
    finished cells were dealt (changed image files, or a scikit-learn whose
    StratifiedGroupKFold splits otherwise): those cells and new ones would mix two splits,
    and a GAN could have trained on a new fold's test images. Repeats present in both
    records are compared; added repeats are new folds, not a change."""
    try:
        old = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return
    for r, (old_folds, new_folds) in enumerate(zip(old.get("repeats", []), new["repeats"])):
        for f, (a, b) in enumerate(zip(old_folds, new_folds)):
            part = next((k for k in ("train", "val", "test") if a.get(k) != b[k]), None)
            if part:
                raise StudyError(
                    f"{path.parent} was dealt into other folds than this run computes (repeat "
                    f"{r}, fold {f}: its {part} part differs; see {path}). The images or the "
                    f"scikit-learn version changed since its cells were made; resume it with "
                    f"the data and packages it was made with, or start fresh with another "
                    f"--out."
                )


def _folds_record(config: StudyConfig, data: StudyData) -> dict:
    """Which images each fold trains, validates and tests on (the leakage check reads it);
    with learning-curve sizes, ``train_by_size``: the images each size trains on."""

    sizes = [n for n in order_sizes(config.real_per_class) if n is not None]
    repeats = []
    for r in range(config.repeats):
        folds = []
        for f in range(config.folds):
            p = data.parts(config, r, f)
            entry = {k: [data.ids[i] for i in getattr(p, k)] for k in ("train", "val", "test")}
            if sizes:
                entry["train_by_size"] = {
                    str(n): [data.ids[i] for i in data.parts(config, r, f, n).train] for n in sizes
                }
            folds.append(entry)
        repeats.append(folds)
    return {
        "class_names": data.class_names,
        "ids": data.ids,
        "labels": data.labels.tolist(),
        "groups": data.groups,
        "repeats": repeats,
    }


def select_cells(
    cells: list[Cell],
    *,
    indices: list[int] | None = None,
    repeat: int | None = None,
    fold: int | None = None,
) -> list[Cell]:
    picked = [cells[i] for i in indices] if indices is not None else list(cells)
    return [
        c
        for c in picked
        if (repeat is None or c.repeat == repeat) and (fold is None or c.fold == fold)
    ]


def prepare_study(config: StudyConfig, loader: Callable | None = None):
    """Check everything a study needs before any training: StudyError for bad input."""
    _check_inputs(config)
    data = load_study_data(config, loader)
    recipes = resolve_recipes(config, data.class_names)
    min_train = max([r.config.batch_size for r in recipes.values()] or [1])
    try:
        fold_split.check_fold_counts(
            data.labels,
            data.groups,
            data.class_names,
            config.folds,
            min_train=min_train,
            val_fraction=config.val_fraction,
        )
        fold_split.check_sizes(
            config.real_per_class,
            _smallest_train(config, data),
            {
                n: (r.config.batch_size, 1 if r.config.per_class else len(data.class_names))
                for n, r in recipes.items()
            },
        )
    except fold_split.FoldError as exc:
        raise StudyError(str(exc)) from None
    cells = plan_cells(
        repeats=config.repeats,
        folds=config.folds,
        recipes={n: r.units for n, r in recipes.items()},
        arms=config.arms,
        ratios=config.synthetic_ratios,
        keeps=config.keep_fractions,
        gan_train=config.gan_train and bool(recipes),
        sizes=config.real_per_class,
    )
    return data, recipes, cells


def _smallest_train(config: StudyConfig, data: StudyData) -> dict[str, int]:
    """Class → its fewest images in any training part of the study (what the largest
    learning-curve size may ask for)."""
    smallest = {n: len(data.labels) for n in data.class_names}
    for r in range(config.repeats):
        for f in range(config.folds):
            counts = np.bincount(
                data.labels[data.parts(config, r, f).train], minlength=len(data.class_names)
            )
            for n, c in zip(data.class_names, counts.tolist()):
                smallest[n] = min(smallest[n], c)
    return smallest


def run_study(
    config: StudyConfig,
    *,
    cells_wanted: Callable[[list[Cell]], list[Cell]] | None = None,
    loader: Callable | None = None,
    stream=None,
) -> dict:
    """Run the study's unfinished cells (``cells_wanted`` picks a subset), then report.

    Returns the report dict (see :mod:`keras_medgan.study.report`).
    """

    enable_memory_growth()  # shards of a job array may share one GPU
    stream = stream if stream is not None else sys.stderr
    data, recipes, cells = prepare_study(config, loader)
    if any(r.config.deterministic for r in recipes.values()):
        # before any cell: a GAN cell would switch it on for the cells after it in this
        # process only, and a classifier cell's numbers depend on it -- so a shard that runs
        # no GAN cell would disagree with one process that runs them all
        enable_op_determinism()
    out = pathlib.Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    stored = {
        **config.to_dict(),
        "resolved_recipes": {n: r.comparable() for n, r in recipes.items()},
    }
    check_resume(out, stored)
    write_config(out, stored)
    report_findings(
        data.findings,
        out / "data_report.json",
        config.data,
        lambda line: print(line, file=stream, flush=True),
    )
    folds = _folds_record(config, data)
    check_same_folds(out / FOLDS_FILE, folds)
    write_text_atomic(out / FOLDS_FILE, json.dumps(jsonable(folds)) + "\n")
    wanted = cells_wanted(cells) if cells_wanted else cells
    done = finished(out, cells)
    todo = [c for c in wanted if c.id not in done or _export_lost(out, c, done, cells)]
    print(
        f"study {out}: {len(data.labels)} images ({', '.join(f'{n} {int((data.labels == i).sum())}' for i, n in enumerate(data.class_names))}), "
        f"{config.repeats} repeat(s) × {config.folds} folds, recipes "
        f"{', '.join(recipes) or 'none'}; {len(cells)} cells, {len(wanted) - len(todo)} of "
        f"the {len(wanted)} asked for already done",
        file=stream,
        flush=True,
    )
    progress = CellProgress(
        {k: sum(c.kind == k for c in todo) for k in ("gan", "arm", "gan_train")},
        len(wanted),
        len(wanted) - len(todo),
        stream,
    )
    study = _Study(config, data, recipes, stream)
    (out / "locks").mkdir(exist_ok=True)
    waiting = []
    workers = resolve_gan_workers(config.gan_workers)
    for batch in _batches(todo, workers):
        if len(batch) > 1:  # a fold's GANs side by side, one process each
            for cell, record in _run_concurrently(config, data, batch, workers):
                progress.log(
                    cell.kind,
                    cell.label(),
                    record.get("seconds", 0.0),
                    _summary(record) if "kind" in record else record["skipped"],
                )
            continue
        (cell,) = batch
        if cell.id not in done and read_cell(out, cell) is not None:
            progress.log(cell.kind, cell.label(), 0.0, "finished by another process")
            continue
        try:
            record = _run_one(study, cell)
        except RunLockedError:
            print(f"  skip {cell.id}: another process is running it", file=stream, flush=True)
            continue
        except _NotReady as exc:
            waiting.append(cell.id)
            print(f"  skip {cell.id}: {exc}", file=stream, flush=True)
            continue
        progress.log(cell.kind, cell.label(), record["seconds"], _summary(record))
    if waiting:
        print(
            f"{len(waiting)} cell(s) wait for GANs of their fold; run those cells "
            f"(e.g. --repeat R --fold F), then rerun",
            file=stream,
            flush=True,
        )
    return write_report(out)


def _run_one(study: _Study, cell: Cell) -> dict:
    """Run one cell under its lock and write its record (the file that means "done").

    With a GPU the Keras session is cleared after each cell: a study runs hundreds of
    models in one process, and what one cell built must not hold the GPU's memory for the
    next. On a CPU it is not: clearing throws away traced functions that the next cell
    reuses (a toy study's test took 10× longer), and host memory is not the constraint."""
    start = time.time()
    try:
        with _cell_lock(study.out, cell):
            record = study.run(cell)
    finally:
        _free_gpu_memory()
    record["seconds"] = round(time.time() - start, 2)
    write_cell(study.out, cell, record)
    return record


def _free_gpu_memory() -> None:
    if tf.config.list_physical_devices("GPU"):
        keras.backend.clear_session()


def resolve_gan_workers(value: int | str) -> int:
    """``auto``: 2 on a machine with no GPU and at least 2 CPU cores (two GAN processes
    side by side trained P1's two class GANs 1.6× faster than one after the other on a
    2-core Xeon: experiments/results/study_cost_xeon_amx.json), else 1 (processes on one
    GPU would compete for its memory)."""

    if value != "auto":
        return max(1, int(value))
    if (os.cpu_count() or 1) < 2:
        return 1

    return 1 if tf.config.list_physical_devices("GPU") else 2


def _batches(todo: list[Cell], workers: int) -> list[list[Cell]]:
    """The cells in order, with each run of GAN cells of one (repeat, fold, size) grouped
    (up to ``workers`` long) so they can train side by side; every other cell alone."""
    batches: list[list[Cell]] = []
    for cell in todo:
        last = batches[-1] if batches else None
        if (
            workers > 1
            and cell.kind == "gan"
            and last
            and last[0].kind == "gan"
            and len(last) < workers
            and (last[0].repeat, last[0].fold, last[0].size) == (cell.repeat, cell.fold, cell.size)
        ):
            last.append(cell)
        else:
            batches.append([cell])
    return batches


def _gan_worker(config: StudyConfig, data: StudyData, cell: Cell) -> dict:
    """One GAN cell in a fresh process (spawned: TensorFlow does not survive a fork); the
    recipes are resolved again there from their files, as the parent did."""

    quiet_tensorflow(False)
    record = read_cell(config.out, cell)
    if record is not None and _export_present(pathlib.Path(config.out), record):
        return {"skipped": "finished by another process"}

    recipes = resolve_recipes(config, data.class_names)
    try:
        with Preemption():  # SIGTERM to the job's processes: keep the last whole epoch
            return _run_one(_Study(config, data, recipes, sys.stderr), cell)
    except RunLockedError:
        return {"skipped": "another process is running it"}
    except TrainingInterrupted as stop:
        return {"skipped": f"interrupted, kept epoch {stop.epoch}; rerun to resume"}


def _run_concurrently(config: StudyConfig, data: StudyData, batch: list[Cell], workers: int):
    """Yield (cell, record) as each of ``batch``'s GAN cells finishes in its own process."""

    context = multiprocessing.get_context("spawn")
    slim = StudyData(data.images, data.labels, data.class_names, data.groups, data.ids)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(_gan_worker, config, slim, cell): cell for cell in batch}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _export_present(out: pathlib.Path, gan_record: dict) -> bool:
    """A finished GAN cell's generator file is on disk (an archive keeps the record only)."""
    return (out / gan_record["export"]).is_file()


def _export_lost(out: pathlib.Path, cell: Cell, done: dict, cells: list[Cell]) -> bool:
    """A finished GAN whose exported file is gone (results copied to a fresh machine keep
    cell records and model cards, not the large generator files) is trained again while
    a cell that samples it is still unfinished."""
    if cell.kind != "gan" or _export_present(out, done[cell.id]):
        return False
    return any(
        c.id not in done
        for c in cells
        if c.kind != "gan"
        and c.recipe == cell.recipe
        and (c.repeat, c.fold, c.size) == (cell.repeat, cell.fold, cell.size)
    )


def _cell_lock(out: pathlib.Path, cell: Cell):
    """``run_lock`` on a per-cell folder: two processes never run the same cell (a killed
    holder's lock is dropped by the kernel, so a rerun takes the cell over)."""

    folder = out / "locks" / cell.id
    folder.mkdir(parents=True, exist_ok=True)
    return run_lock(folder)
