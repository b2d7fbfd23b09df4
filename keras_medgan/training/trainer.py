"""``run_training(config, run_dir)``: the library call behind ``python -m keras_medgan.train``.

One run trains one or more *units*, each one GAN with its own checkpoints, samples and
exported generator:

* one per class (P1: "one GAN per class", the dcgan32 default) — unit name = class name;
* one class-conditional GAN (P0's cGAN, ``conditional``) — unit name ``conditional``;
* one unconditional GAN on every image (P2, P4) — unit name ``all``.

Units train in turn in the same run folder; a resumed run skips finished units and
continues the unfinished one from its last checkpoint (weights, both optimizers' state,
the GAN's random stream and the epoch counter, restored with
``assert_existing_objects_matched``).
"""

from __future__ import annotations

import dataclasses
import errno
import json
import pathlib
import re
import shutil
import sys
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_medgan.core.console import stop_at_epoch_end, stop_requested
from keras_medgan.core.errors import KerasMedganError
from keras_medgan.core.jsonio import write_text_atomic
from keras_medgan.core.runtime import (
    enable_memory_growth,
    enable_op_determinism,
    make_strategy,
    precision_policy,
    resolve_jit,
    resolve_precision,
)
from keras_medgan.data import load_image_set, make_epoch_dataset
from keras_medgan.data.sanity import check_image_sets, report_findings
from keras_medgan.gans import GAN_FAMILIES, make_optimizers
from keras_medgan.generators.cards import GeneratorLoadError, make_model_card
from keras_medgan.generators.export import (
    DEFAULT_EXPORT_FORMATS,
    export_generator,
    export_is_complete,
    export_paths,
)
from keras_medgan.generators.naming import check_distinct_slugs, slug
from keras_medgan.models import ARCHS
from keras_medgan.training import callbacks as cb
from keras_medgan.training import metrics_file
from keras_medgan.training.checkpoints import UnitCheckpoint, finished_epochs
from keras_medgan.training.config import TrainingConfig
from keras_medgan.training.errors import TrainingError
from keras_medgan.training.run_report import real_vs_fake_grids, write_run_report


class DiskFullError(TrainingError):
    """No space left on the device: half-written files were removed, complete ones kept."""


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC as Python raises it, or as TensorFlow's savers report it (ResourceExhausted)."""

    return (
        isinstance(exc, OSError) and exc.errno == errno.ENOSPC
    ) or "No space left on device" in str(exc)


def _failed_path(exc: BaseException) -> str | None:
    """The file a failed write names: ``OSError.filename``, HDF5's ``filename = '…'``, or
    the first absolute path in TensorFlow's message."""

    if getattr(exc, "filename", None):
        return str(exc.filename)
    text = str(exc)
    match = re.search(r"filename = '([^']+)'", text) or re.search(r"(/[^\s;',]+)", text)
    return match.group(1) if match else None


def remove_partial_writes(run_dir) -> list[pathlib.Path]:
    """TensorFlow's unfinished checkpoint bundles (``ckpt-N_temp/``) and our own ``.tmp-*``
    files anywhere in the run folder; returns what was removed."""
    run_dir = pathlib.Path(run_dir)
    removed = [
        *run_dir.glob("checkpoints/*/ckpt-*_temp"),
        *run_dir.rglob(".tmp-*"),
        *run_dir.rglob(".*.tmp-*"),
    ]
    for path in removed:
        _remove_leftover(path)
    return removed


class EmptyClassError(KerasMedganError, ValueError):
    """A class the run should train has no (or too few) training images."""


class ClassNameError(KerasMedganError, ValueError):
    """Two classes would share one checkpoint / export file name after ``slug``."""


class TrainingInterrupted(Exception):
    """Ctrl-C: a checkpoint and an export were saved; ``run_dir`` says how to resume."""

    def __init__(self, run_dir, unit: str, epoch: int):
        super().__init__(f"interrupted in {unit} after epoch {epoch}")
        self.run_dir, self.unit, self.epoch = pathlib.Path(run_dir), unit, epoch


@dataclasses.dataclass
class Unit:
    """One GAN of a run: its name, label for the model card and training images."""

    name: str
    label: str | None  # model-card label: class name, None = conditional
    images: np.ndarray
    labels: np.ndarray  # class indices into class_names
    ids: list[str] = dataclasses.field(default_factory=list)  # image identifiers, for the card


def _remove_leftover(path: pathlib.Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@dataclasses.dataclass
class UnitResult:
    name: str
    status: str  # "trained" | "skipped" (already finished) | "nan"
    epochs: int
    final_metrics: dict[str, float]
    export: dict[str, str]


def image_ids(paths) -> list[str]:
    """Identifiers of training images for a model card: file names, or the last two path
    parts where names repeat (DICOM series); never the user's absolute folders."""
    parts = [pathlib.PurePath(str(p)).parts for p in paths]
    names = [q[-1] if q else "" for q in parts]
    if len(set(names)) == len(names):
        return names
    return ["/".join(q[-2:]) for q in parts]


def plan_units(images, labels, class_names: list[str], config, ids=None) -> list[Unit]:
    """Split the training set into units (see the module docstring); check none is empty.
    ``ids`` (one per image) go to each unit's model card: which images trained it."""
    wanted = list(config.classes or class_names)
    try:
        check_distinct_slugs(wanted)
    except ValueError as exc:
        raise ClassNameError(str(exc)) from None
    for name in wanted:
        if name not in class_names:
            raise EmptyClassError(
                f"class {name!r} is not in data {config.data!r}; "
                f"its classes: {', '.join(class_names)}"
            )
    keep_idx = [class_names.index(n) for n in wanted]
    for name, idx in zip(wanted, keep_idx):
        count = int((labels == idx).sum())
        if count == 0:
            raise EmptyClassError(
                f"class {name!r} has no {config.split} images in data {config.data!r}"
            )
    mask = np.isin(labels, keep_idx)
    ids = np.asarray(list(ids) if ids is not None else [""] * len(labels), dtype=object)

    def unit(name, label, keep):
        return Unit(name, label, images[keep], labels[keep], [str(i) for i in ids[keep] if i])

    if config.per_class:
        units = [unit(n, n, labels == i) for n, i in zip(wanted, keep_idx)]
    elif config.conditional:
        units = [unit("conditional", None, mask)]
    else:
        units = [unit("all", "all", mask)]
    smallest = min(len(u.images) for u in units)
    for unit in units:
        if len(unit.images) < config.batch_size:
            raise EmptyClassError(
                f"{'class ' + repr(unit.name) if config.per_class else unit.name!r} has "
                f"{len(unit.images)} training images, fewer than one batch "
                f"(batch_size {config.batch_size}); give --batch-size {smallest} or less"
            )
    return units


class UnitTrainer:
    """Builds, restores, trains, checkpoints and exports one unit."""

    def __init__(
        self,
        config,
        run_dir,
        unit: Unit,
        class_names,
        unit_index: int,
        clock,
        strategy,
        print_fn=print,
    ):
        self.config, self.run_dir, self.unit = config, pathlib.Path(run_dir), unit
        self.class_names, self.unit_index, self.clock = class_names, unit_index, clock
        self.strategy, self.print = strategy, print_fn
        self.ckpt_dir = self.run_dir / "checkpoints" / slug(unit.name)
        self.samples_dir = self.run_dir / "samples" / slug(unit.name)
        self.export_dir = self.run_dir / "export"
        self.export_formats = config.export_formats or DEFAULT_EXPORT_FORMATS
        self._build()

    # ---------------------------------------------------------------- build / restore
    def _build(self) -> None:
        c = self.config
        spec = ARCHS.get(c.arch)
        family = GAN_FAMILIES.get(c.loss)
        self.num_classes = len(self.class_names) if self.unit.label is None else 0
        seed = c.seed * 1000 + self.unit_index
        keras.utils.set_random_seed(seed)  # weight init: same run → same start
        with self.strategy.scope():
            width = spec.builder_kwargs(c.arch_options)
            g = spec.build_generator(
                z_dim=c.z_dim, image_size=c.image_size, num_classes=self.num_classes, **width
            )
            d = spec.build_discriminator(
                image_size=c.image_size, num_classes=self.num_classes, critic=family.CRITIC, **width
            )
            self.gan = family(
                generator=g,
                discriminator=d,
                z_dim=c.z_dim,
                num_classes=self.num_classes,
                seed=seed,
                **c.options,
            )
            d_opt, g_opt = make_optimizers(
                family, optimizer=c.optimizer, lr=c.lr, beta_1=c.beta_1, beta_2=c.beta_2
            )
            # compile builds both optimizers: a checkpoint restore skips slot variables
            # that do not exist yet, silently resetting Adam's moments
            self.gan.compile(
                d_optimizer=d_opt,
                g_optimizer=g_opt,
                jit_compile=resolve_jit(c.jit),
                steps_per_execution=self.steps_per_execution(),
            )
        self.generator, self.discriminator = g, d
        self.state = UnitCheckpoint(
            self.gan, self.ckpt_dir, c.keep_checkpoints, self.unit.name, self.print
        )

    @property
    def steps_per_epoch(self) -> int:
        return len(self.unit.images) // self.config.batch_size

    def steps_per_execution(self) -> int:
        """A whole epoch per ``fit`` execution (one Python round trip per epoch instead
        of per step) -- except for staged families, whose callback must see every step to
        re-trace at a stage change, and under tf.distribute strategies, where Keras's
        multi-step loop is not what the distribution tests cover."""
        if self.config.strategy != "default" or self.gan_family().STAGED:
            return 1
        return self.steps_per_epoch

    def gan_family(self):
        return GAN_FAMILIES.get(self.config.loss)

    # ---------------------------------------------------------------- train
    def dataset(self, start_epoch: int = 0):
        """Endless batches from ``start_epoch`` on, each epoch's order a function of
        (seed, epoch) only (``make_epoch_dataset``), so a resumed run sees the batches an
        unbroken run would."""

        c = self.config
        return make_epoch_dataset(
            self.unit.images,
            self.unit.labels,
            num_classes=len(self.class_names),
            batch_size=c.batch_size,
            seed=c.seed + self.unit_index,
            start_epoch=start_epoch,
            static_batch=not c.deterministic,  # see make_epoch_dataset
        )

    def card(self, epochs: int, final_metrics: dict[str, float]) -> dict[str, Any]:
        c = self.config
        return make_model_card(
            arch=c.arch,
            data=c.data,
            class_names=self.class_names,
            label=self.unit.label,
            image_size=c.image_size,
            z_dim=c.z_dim,
            epochs=epochs,
            seed=c.seed,
            final_metrics=final_metrics,
            command=c.command,
            loss=c.loss,
            precision=c.precision,
            run=self.run_dir.name,
            train_images=len(self.unit.images),
            split=c.split,
            split_seed=c.data_split_seed,
            train_ids=list(self.unit.ids),
        )

    def export(self, epochs: int, history: cb.EpochHistory) -> dict[str, str]:
        """Export the generator as it is after ``epochs`` epochs; its card's metrics come
        from those epochs only (after a NaN or a Ctrl-C the weights are an earlier
        checkpoint's, and the history may run further)."""
        paths = export_generator(
            self.gan.exportable_generator(),
            self.export_dir,
            self.unit.name,
            self.card(epochs, history.upto(epochs).summary()),
            self.export_formats,
        )
        return {k: str(v) for k, v in paths.items()}

    def train(self) -> UnitResult:
        c = self.config
        for leftover in self.export_dir.glob(f".tmp-generator_{slug(self.unit.name)}*"):
            _remove_leftover(leftover)  # from an export killed half way
        start = self.state.restore()
        target = c.epochs
        metrics_file.drop_after(self.run_dir, self.unit.name, start)
        history = cb.EpochHistory(metrics_file.unit_records(self.run_dir, self.unit.name, start))
        if start >= target:
            done = export_paths(self.export_dir, self.unit.name, self.export_formats)
            if not export_is_complete(self.export_dir, self.unit.name, start, self.export_formats):
                self.print(
                    f"[{self.unit.name}] export incomplete or from another epoch "
                    f"(killed while exporting?); exporting epoch {start} again"
                )
                self.export(start, history)
            self.print(f"[{self.unit.name}] finished earlier ({start}/{target} epochs); skipped")
            return UnitResult(
                self.unit.name,
                "skipped",
                start,
                history.summary(),
                {k: str(v) for k, v in done.items()},
            )
        if stop_requested():  # the signal came while an earlier unit was finishing
            raise TrainingInterrupted(self.run_dir, self.unit.name, start)
        if start:
            self.print(
                f"[{self.unit.name}] resuming at epoch {start + 1}/{target} "
                f"(optimizer step {int(self.gan.g_optimizer.iterations.numpy())})"
            )
        guard = cb.NonFiniteGuard(limit=float(c.max_loss))
        log = cb.MetricsLog(
            self.run_dir,
            history,
            label=self.unit.name,
            tensorboard_dir=self.run_dir / "logs" / slug(self.unit.name),
        )
        saver = cb.CheckpointSaver(
            self.state.manager,
            self.state.epoch,
            c.checkpoint_every,
            target,
            guard=guard,
            models=(self.generator, self.discriminator),
            before_save=log.flush,
            max_seconds=60.0 * float(c.checkpoint_minutes),
        )
        grid = cb.SampleGrid(
            self.generator,
            cb.fixed_grid_inputs(c.z_dim, c.sample_count, c.seed, self.num_classes),
            self.samples_dir,
            every=c.sample_every,
            total_epochs=target,
        )
        callbacks = [
            cb.LossScaleMonitor(guard),  # before the log: its scale/skip counts are logged
            guard,
            log,
            grid,
            cb.LossPlot(
                history,
                self.run_dir / f"loss_{slug(self.unit.name)}.png",
                every=c.sample_every,
                title=f"{c.arch} on {c.data} — {self.unit.name}",
            ),
            saver,
            cb.RunProgress(
                target,
                self.clock,
                label=self.unit.name,
                print_fn=self.print,
                every=c.log_every or cb.log_every(target),
                live=self.print is print and sys.stdout.isatty(),
            ),
            cb.StopOnSignal(),
        ]
        callbacks += self._family_callbacks()
        try:
            with stop_at_epoch_end():
                self.gan.fit(
                    self.dataset(start),
                    epochs=target,
                    initial_epoch=start,
                    steps_per_epoch=self.steps_per_epoch,
                    verbose=0,
                    shuffle=False,
                    callbacks=callbacks,
                )
        except KeyboardInterrupt:
            log.flush()
            raise TrainingInterrupted(
                self.run_dir, self.unit.name, self._keep_after_interrupt(saver, guard, history)
            ) from None
        if guard.tripped:
            return self._after_nan(guard, history)
        epochs = int(self.state.epoch.numpy())
        if saver.last_saved_epoch != target:  # e.g. stopped early by a callback
            epochs = saver.last_good_epoch or epochs
            saver.save(epochs)
        export = self.export(epochs, history)
        if stop_requested() and epochs < target:  # checkpointed and exported: requeue resumes
            raise TrainingInterrupted(self.run_dir, self.unit.name, epochs)
        return UnitResult(self.unit.name, "trained", epochs, history.summary(), export)

    def _keep_after_interrupt(self, saver, guard, history) -> int:
        """Ctrl-C: keep an epoch boundary, never weights from inside an epoch.

        At a boundary (the generator has made exactly ``epochs × steps_per_epoch`` updates:
        Ctrl-C in a callback or between epoch executions) the weights are saved as that
        epoch; inside an epoch they are dropped and the newest checkpoint is restored, so
        checkpoint N always holds exactly N epochs of updates. Returns the epoch kept
        (0: nothing saved yet).
        """
        done = saver.last_good_epoch or 0
        steps = int(self.gan.g_optimizer.iterations.numpy())
        healthy = cb.weights_finite(self.generator, self.discriminator) and not guard.tripped
        if done and healthy and steps == done * self.steps_per_epoch:
            if saver.last_saved_epoch != done:
                saver.save(done)
            kept = done
        elif self.state.latest is not None:
            kept = self.state.restore_latest()
        else:
            return 0
        if not export_is_complete(self.export_dir, self.unit.name, kept, self.export_formats):
            self.export(kept, history)
        return kept

    def _family_callbacks(self) -> list:
        """Callbacks a loss family adds to ``fit`` (pggan: per-stage exports when asked)."""
        stage_dir = (
            self.export_dir / "stages" / slug(self.unit.name) if self.config.export_stages else None
        )
        return list(self.gan.training_callbacks(self.config, stage_export_dir=stage_dir))

    def _after_nan(self, guard: cb.NonFiniteGuard, history: cb.EpochHistory) -> UnitResult:
        bad = ", ".join(f"{k}={v}" for k, v in guard.bad_values.items())
        what = guard.reason or "non-finite or diverged (|loss| > --max-loss) loss"
        latest = self.state.latest
        if latest is None:
            raise TrainingError(
                f"[{self.unit.name}] {what} in epoch {guard.tripped_epoch} ({bad}) before any "
                "checkpoint was saved; nothing exported. Try a lower --lr, --precision fp32 "
                "or bf16, or another --loss."
            )
        good = self.state.restore_latest()
        export = self.export(good, history)
        raise TrainingError(
            f"[{self.unit.name}] {guard.reason or 'non-finite or diverged loss'} in epoch "
            f"{guard.tripped_epoch} ({bad}); stopped. Kept the last good checkpoint (epoch {good}, {latest}) and exported "
            f"it to {export['h5']}. Try a lower --lr, --precision fp32 or another --loss."
        )


def load_training_set(config):
    return load_image_set(
        config.data,
        image_size=config.image_size,
        split=config.split,
        classes=None,
        seed=config.data_split_seed,
        data_dir=config.data_dir,
        resize=config.resize,
    )


@dataclasses.dataclass
class PreparedData:
    """The training set split into units, checked before a run folder is created."""

    class_names: list[str]
    units: list[Unit]
    total_images: int
    findings: list = dataclasses.field(default_factory=list)  # data sanity (data/sanity.py)


def prepare_training(config: TrainingConfig) -> PreparedData:
    """Load the data and plan the units; raises DataError / EmptyClassError for bad input."""
    data = load_training_set(config)
    class_names = list(data.class_names)
    units = plan_units(
        np.asarray(data.images),
        np.asarray(data.labels),
        class_names,
        config,
        ids=image_ids(data.paths),
    )
    findings = check_image_sets({config.split: data}, config.image_size)
    return PreparedData(class_names, units, len(data.images), findings)


def run_training(
    config: TrainingConfig,
    run_dir,
    print_fn: Callable[[str], None] = print,
    prepared: PreparedData | None = None,
) -> list[UnitResult]:
    """Train every unit of the run in ``run_dir`` (created, config written, by the CLI).

    Raises DataError / EmptyClassError (bad input), TrainingError (NaN: last good
    checkpoint kept and exported), TrainingInterrupted (Ctrl-C: the last epoch boundary kept and exported).
    """

    enable_memory_growth()  # before anything touches a GPU: shards may share one
    precision, note = resolve_precision(config.precision, config.force)
    print_fn(note)
    if config.deterministic:
        enable_op_determinism()
    config = config.replace(precision=precision)  # what the model cards record

    try:
        with precision_policy(precision):  # process-global: restored when the run ends
            return _run_units(
                config, pathlib.Path(run_dir), print_fn, prepared, make_strategy(config.strategy)
            )
    except (OSError, tf.errors.OpError) as exc:
        if not is_disk_full(exc):
            raise
        removed = remove_partial_writes(run_dir)
        where = _failed_path(exc) or f"into {run_dir}"
        raise DiskFullError(
            f"no space left on the device while writing {where}; removed {len(removed)} "
            f"half-written file(s) or folder(s), kept every complete checkpoint and export. "
            f"Free some space, then resume with: python -m keras_medgan.train --resume "
            f"{run_dir}"
        ) from None


def _run_units(config, run_dir, print_fn, prepared, strategy) -> list[UnitResult]:
    prepared = prepared or prepare_training(config)
    class_names, units = prepared.class_names, prepared.units
    remaining = 0
    for unit in units:
        finished = finished_epochs(run_dir / "checkpoints" / slug(unit.name))
        remaining += max(config.epochs - finished, 0)
    clock = cb.RunClock(remaining)
    batches = {u.name: len(u.images) // config.batch_size for u in units}
    print_fn(
        f"run {run_dir}: {config.arch} on {config.data} "
        f"({prepared.total_images} {config.split} images, classes "
        f"{', '.join(class_names)}), units: "
        + ", ".join(
            f"{u.name} ({len(u.images)} images, {batches[u.name]} batches/epoch)" for u in units
        )
        + f"; {config.epochs} epochs each"
    )
    report_findings(prepared.findings, run_dir / "data_report.json", config.data, print_fn)
    results = []
    for index, unit in enumerate(units):
        trainer = UnitTrainer(
            config, run_dir, unit, class_names, index, clock, strategy, print_fn=print_fn
        )
        results.append(trainer.train())
    write_summary(run_dir, results)
    report = _write_run_report(run_dir, units, results, print_fn)
    for result in results:
        metrics = result.final_metrics
        shown = ", ".join(
            f"{k} {metrics[k]:.4f}"
            for k in ("d_loss", "g_loss")
            if isinstance(metrics.get(k), float)
        )
        if isinstance(metrics.get("d_fake_last20"), float) and result.epochs >= 20:
            shown += f", d_fake mean of the last 20 epochs {metrics['d_fake_last20']:.4f}"
        print_fn(f"[{result.name}] {result.status}: {result.epochs} epochs; {shown}")
    print_fn(f"generators exported to {run_dir / 'export'}")
    if report:
        print_fn(f"report: {report} (open it in a browser)")
    return results


def _write_run_report(
    run_dir: pathlib.Path,
    units: list[Unit],
    results: list[UnitResult],
    print_fn: Callable[[str], None],
) -> pathlib.Path | None:
    """report.html with a real-vs-fake grid per generator; a failure here costs the page,
    never the trained run."""

    try:
        real_vs_fake_grids(run_dir, units, results)
        return write_run_report(run_dir)
    except (OSError, ValueError, GeneratorLoadError) as exc:
        print_fn(f"warning: {run_dir / 'report.html'} not written: {exc}")
        return None


def write_summary(run_dir, results: list[UnitResult]) -> pathlib.Path:
    path = pathlib.Path(run_dir) / "summary.json"
    write_text_atomic(
        path,
        json.dumps(
            {r.name: dataclasses.asdict(r) for r in results}, indent=2, default=lambda v: None
        )
        + "\n",
    )
    return path
