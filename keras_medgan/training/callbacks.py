"""Keras callbacks a GAN run needs and Keras does not ship.

* :class:`RunProgress` — one line per epoch with the WHOLE run's ETA (all classes of a
  one-GAN-per-class run), not Keras's per-epoch bar;
* :class:`MetricsLog` — ``metrics.jsonl`` + ``metrics.csv`` + TensorBoard scalars;
* :class:`SampleGrid` — a PNG grid from a fixed z every N epochs (watch one set of z
  vectors evolve, as P0/P2's figures do);
* :class:`LossPlot` — G vs D loss per epoch (P2's figure) and mean D output on real/fake;
* :class:`NonFiniteGuard` — stops on NaN/Inf ``d_loss``/``g_loss`` (Keras's
  ``TerminateOnNaN`` watches only ``loss``, which a GAN never logs);
* :class:`CheckpointSaver` — ``tf.train.CheckpointManager`` every N epochs and at the end,
  never for an epoch whose losses are not finite.

Callbacks that need the epoch history share one :class:`EpochHistory`, seeded from
``metrics.jsonl`` on resume so plots and ``d_fake_last20`` cover the whole run.
"""

from __future__ import annotations

import math
import pathlib
import sys
import time
from collections.abc import Callable, Sequence

import cv2
import keras
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from keras_medgan.core.console import format_duration, stop_requested
from keras_medgan.data.pipeline import to_uint8
from keras_medgan.gans.base import labels_to_one_hot
from keras_medgan.training import metrics_file

WATCHED_LOSSES = ("d_loss", "g_loss")


def _float(value) -> float:
    return float(np.asarray(value, dtype=np.float64))


def weights_finite(*models) -> bool:
    """True when every weight of every model is finite (no NaN/Inf)."""
    return all(np.isfinite(np.asarray(w)).all() for m in models for w in m.get_weights())


def is_finite_logs(
    logs: dict | None, keys: Sequence[str] = WATCHED_LOSSES, limit: float = math.inf
) -> bool:
    """True when every watched loss present in ``logs`` is a finite number of magnitude at
    most ``limit`` (a loss of 1e14 has diverged as surely as NaN)."""
    logs = logs or {}
    return all(math.isfinite(v := _float(logs[k])) and abs(v) <= limit for k in keys if k in logs)


class EpochHistory:
    """Per-epoch metric records of one generator (one class), in epoch order."""

    def __init__(self, records: list[dict] | None = None):
        self.records: list[dict] = list(records or [])

    def add(self, epoch: int, logs: dict) -> dict:
        record = {"epoch": int(epoch)}
        record.update({k: _float(v) for k, v in (logs or {}).items()})
        self.records = [r for r in self.records if r["epoch"] < epoch] + [record]
        return record

    def upto(self, epoch: int) -> EpochHistory:
        """The records of epochs 1..``epoch`` (what a checkpoint of that epoch holds)."""
        return EpochHistory([r for r in self.records if r["epoch"] <= epoch])

    def series(self, key: str) -> np.ndarray:
        return np.array([r.get(key, np.nan) for r in self.records], dtype=np.float64)

    def last_mean(self, key: str, n: int = 20) -> float:
        """Mean of ``key`` over the last ``min(n, epochs)`` epochs (P0: mean D(G(z)) over
        the last 20 epochs = 0.314)."""
        values = self.series(key)[-n:]
        values = values[np.isfinite(values)]
        return float(values.mean()) if values.size else float("nan")

    def summary(self) -> dict[str, float]:
        """Final metrics for the model card: last epoch's values + ``d_fake_last20``."""
        if not self.records:
            return {}
        out = {k: v for k, v in self.records[-1].items() if k != "epoch"}
        out["epochs_trained"] = self.records[-1]["epoch"]
        if "d_fake" in self.records[-1]:
            out["d_fake_last20"] = self.last_mean("d_fake", 20)
        return out


class RunClock:
    """Epoch timing shared by every generator of a run, for the run-wide ETA."""

    def __init__(self, epochs_to_train: int, smoothing: float = 0.3):
        self.remaining = int(epochs_to_train)
        self.seconds_per_epoch = float("nan")
        self.smoothing = smoothing

    def tick(self, seconds: float) -> None:
        self.remaining = max(self.remaining - 1, 0)
        if math.isnan(self.seconds_per_epoch):
            self.seconds_per_epoch = seconds
        else:  # exponential average: follows speed changes, ignores one slow epoch
            self.seconds_per_epoch += self.smoothing * (seconds - self.seconds_per_epoch)

    @property
    def eta_seconds(self) -> float:
        return self.remaining * self.seconds_per_epoch


class RunProgress(keras.callbacks.Callback):
    """Prints ``epoch 12/2500 [class hemorrhage] d_loss … g_loss … 0.4 s/epoch ETA 16m``.

    A line is kept for the first epoch of each ``fit``, every ``every`` epochs and the
    last one, so a 2 500-epoch log holds a few dozen lines, not 2 500. With ``live`` (a
    terminal) every other epoch rewrites one status line in place through ``write``.
    """

    def __init__(
        self,
        total_epochs: int,
        clock: RunClock,
        label: str | None = None,
        keys: Sequence[str] = ("d_loss", "g_loss", "d_real", "d_fake"),
        print_fn: Callable[[str], None] = print,
        timer: Callable[[], float] = time.perf_counter,
        every: int = 1,
        live: bool = False,
        write: Callable[[str], None] | None = None,
    ):
        super().__init__()
        self.total_epochs = int(total_epochs)
        self.clock = clock
        self.timer = timer  # injectable so tests measure exact, not wall-clock, epochs
        self.label = label
        self.keys = tuple(keys)
        self.print_fn = print_fn
        self.every = max(int(every), 1)
        self.live = live
        self.write = write or _write_stdout
        self._start = None
        self._first = True
        self._dirty = False  # a live line is on screen, to be overwritten

    def on_train_begin(self, logs=None):
        self._first = True

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self.timer()

    def on_epoch_end(self, epoch, logs=None):
        now = self.timer()
        seconds = now - (now if self._start is None else self._start)
        self.clock.tick(seconds)
        logs = logs or {}
        parts = [f"epoch {epoch + 1}/{self.total_epochs}"]
        if self.label is not None:
            # a class name, or a unit that is not one class ("conditional", "all")
            parts.append(
                f"[{self.label}]"
                if self.label in ("conditional", "all")
                else f"[class {self.label}]"
            )
        parts += [f"{k} {_float(logs[k]):.4f}" for k in self.keys if k in logs]
        parts.append(f"{seconds:.2f} s/epoch ETA {format_duration(self.clock.eta_seconds)}")
        line = " ".join(parts)
        done = epoch + 1
        if self._first or done % self.every == 0 or done >= self.total_epochs:
            self.print_fn(f"\r{_CLEAR_LINE}{line}" if self._dirty else line)
            self._first = self._dirty = False
        elif self.live:
            self.write(f"\r{_CLEAR_LINE}{line}")
            self._dirty = True


_CLEAR_LINE = "\033[K"


def _write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def log_every(epochs: int, lines: int = 50) -> int:
    """The epoch-line cadence ``--log-every auto`` picks: at most about ``lines`` lines per
    generator (2 500 epochs → every 50; 5 epochs → every one)."""
    return max(1, math.ceil(int(epochs) / lines))


class MetricsLog(keras.callbacks.Callback):
    """One record per epoch in ``metrics.jsonl`` / ``metrics.csv`` and TensorBoard.

    Records carry ``class`` so one run folder's log holds every class of a
    one-GAN-per-class run (stylegan2-ada's ``stats.jsonl`` idea). They are written in
    batches -- every ``flush_every`` epochs, before each checkpoint (the trainer passes
    :meth:`flush` to :class:`CheckpointSaver`) and at the end -- because opening three
    files per epoch cost as much as a training step on short epochs. Each record keeps
    the wall time of its own epoch's end.
    """

    def __init__(
        self,
        run_dir,
        history: EpochHistory,
        label: str | None = None,
        tensorboard_dir=None,
        flush_every: int = 10,
    ):
        super().__init__()
        self.run_dir = pathlib.Path(run_dir)
        self.history = history
        self.label = label
        self.tensorboard_dir = pathlib.Path(tensorboard_dir) if tensorboard_dir else None
        self.flush_every = max(int(flush_every), 1)
        self._writer = None
        self._pending: list[dict] = []

    def on_epoch_end(self, epoch, logs=None):
        record = self.history.add(epoch + 1, logs or {})
        self._pending.append({"class": self.label, **record, "time": round(time.time(), 3)})
        if (epoch + 1) % self.flush_every == 0:
            self.flush()

    def flush(self) -> None:
        """Write the records not yet on disk (a no-op when there are none)."""
        if not self._pending:
            return
        lines, self._pending = self._pending, []
        metrics_file.append_records(self.run_dir, lines, self.label)
        if self.tensorboard_dir is not None:
            self._write_tensorboard(lines)

    def _write_tensorboard(self, lines: list[dict]) -> None:
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.tensorboard_dir))
        metadata = _scalar_metadata()
        with self._writer.as_default():
            for line in lines:
                for key, value in line.items():
                    if key not in ("class", "epoch", "time"):
                        tf.summary.write(
                            key,
                            tf.constant(value, tf.float32),
                            step=line["epoch"],
                            metadata=metadata,
                        )
        self._writer.flush()

    def on_train_end(self, logs=None):
        self.flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _scalar_metadata():
    """What TensorBoard's scalar plugin writes: lets ``tf.summary.write`` (core TF) log
    scalars TensorBoard plots, without needing the tensorboard package installed."""

    metadata = summary_pb2.SummaryMetadata()
    metadata.plugin_data.plugin_name = "scalars"
    metadata.data_class = summary_pb2.DATA_CLASS_SCALAR
    return metadata


#: Sample grids show each image at least this many pixels wide: a 32×32 fake saved 1:1 is
#: too small to judge by eye. Nearest-neighbour, so no pixel is invented.
GRID_MIN_TILE = 128


def image_grid(
    images: np.ndarray, cols: int | None = None, pad: int = 2, scale: int = 1
) -> np.ndarray:
    """[n, h, w, c] in [-1, 1] → one uint8 [H, W] (or [H, W, c]) grid with a black border,
    each pixel repeated ``scale`` times in both directions."""
    images = np.asarray(images, np.float32)
    n, h, w, c = images.shape
    cols = cols or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), np.uint8)
    pixels = to_uint8(images)
    for i in range(n):
        r, col = divmod(i, cols)
        y, x = pad + r * (h + pad), pad + col * (w + pad)
        grid[y : y + h, x : x + w] = pixels[i]
    if scale > 1:
        grid = np.repeat(np.repeat(grid, scale, axis=0), scale, axis=1)
    return grid[..., 0] if c == 1 else grid


def fixed_grid_inputs(z_dim: int, n: int, seed: int, num_classes: int = 0):
    """The fixed z (and cycling one-hot labels for a conditional G) every grid uses."""
    z = np.random.default_rng([int(seed), 0x5A17]).standard_normal((n, z_dim)).astype(np.float32)
    if not num_classes:
        return z
    return [z, labels_to_one_hot(None, num_classes, n)]


class SampleGrid(keras.callbacks.Callback):
    """Writes ``<out_dir>/epoch_<NNNNN>.png`` from the same inputs every ``every`` epochs."""

    def __init__(
        self,
        generator: keras.Model,
        inputs,
        out_dir,
        every: int = 1,
        total_epochs: int | None = None,
    ):
        super().__init__()
        self.generator = generator
        self.inputs = inputs
        self.out_dir = pathlib.Path(out_dir)
        self.every = max(int(every), 1)
        self.total_epochs = total_epochs
        self.last_path: pathlib.Path | None = None

    def write(self, epoch: int) -> pathlib.Path:
        images = keras.ops.convert_to_numpy(self.generator(self.inputs, training=False))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"epoch_{epoch:05d}.png"
        scale = max(1, GRID_MIN_TILE // int(images.shape[1]))
        cv2.imwrite(str(path), image_grid(images, scale=scale))
        self.last_path = path
        return path

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if (done % self.every == 0 or done == self.total_epochs) and is_finite_logs(logs):
            self.write(done)


class LossPlot(keras.callbacks.Callback):
    """G vs D loss per epoch (P2's figure) + mean D output on real and fake images.

    Redrawn every ``every`` epochs, but at most once per ``min_seconds`` of training
    (a matplotlib figure costs a few dcgan32 steps; on 1-second epochs a redraw every 10
    epochs was several percent of the run), and always at the end.
    """

    def __init__(
        self,
        history: EpochHistory,
        path,
        every: int = 1,
        title: str = "",
        min_seconds: float = 60.0,
        timer: Callable[[], float] = time.monotonic,
    ):
        super().__init__()
        self.history = history
        self.path = pathlib.Path(path)
        self.every = max(int(every), 1)
        self.title = title
        self.min_seconds = float(min_seconds)
        self.timer = timer  # injectable so tests need no wall clock
        self._last = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        now = self.timer()
        if self._last is None or now - self._last >= self.min_seconds:
            self.write()
            self._last = now

    def on_train_end(self, logs=None):
        self.write()

    def write(self) -> pathlib.Path | None:
        if not self.history.records:
            return None
        return plot_losses(self.history, self.path, self.title)


def plot_losses(history: EpochHistory, path, title: str = "") -> pathlib.Path:
    import matplotlib  # lazy: loads matplotlib; module stays light

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt  # lazy: loads matplotlib; module stays light

    epochs = history.series("epoch")
    extra = [k for k in ("d_real", "d_fake", "w_distance") if k in history.records[-1]]
    fig, axes = plt.subplots(
        1 + bool(extra), 1, figsize=(7, 6 if extra else 3.5), sharex=True, squeeze=False
    )
    ax = axes[0, 0]
    ax.plot(epochs, history.series("g_loss"), label="G loss")
    ax.plot(epochs, history.series("d_loss"), label="D loss")
    ax.set_ylabel("loss")
    ax.legend()
    ax.set_title(title or "Generator and discriminator loss")
    if extra:
        ax2 = axes[1, 0]
        for key in extra:
            ax2.plot(epochs, history.series(key), label=key)
        ax2.set_ylabel("D output")
        ax2.legend()
    axes[-1, 0].set_xlabel("epoch")
    from matplotlib.ticker import MaxNLocator  # lazy: loads matplotlib; module stays light

    axes[-1, 0].xaxis.set_major_locator(MaxNLocator(integer=True))  # no "epoch 1.5" on short runs
    fig.tight_layout()
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


class LossScaleMonitor(keras.callbacks.Callback):
    """float16's loss scale, watched: per epoch and per loss-scaled optimizer (D, G), the
    scale and the steps skipped in the epoch go into the logs (``d_loss_scale``,
    ``d_skipped``, … → metrics.jsonl, TensorBoard, report.html); a scale below ``floor``
    or more than ``max_skipped`` of an epoch's steps skipped trips ``guard`` with the
    reason, which stops the run as a NaN loss does — instead of training on nothing while
    every loss stays finite (ProGAN's float16 critic once skipped every update, its scale
    falling from 32768 to 4e-6). The skips before an optimizer's first applied step (the
    scale's descent from 2**15 to what fits float16) are logged but not held against the
    epoch: with 3 steps per epoch they would stop every penalised float16 run; a descent
    that never ends is caught by the floor."""

    def __init__(self, guard: NonFiniteGuard, floor: float = 1.0, max_skipped: float = 0.5):
        super().__init__()
        self.guard, self.floor, self.max_skipped = guard, float(floor), float(max_skipped)
        self._start: dict[str, tuple[int, int]] = {}

    def _scaled(self):
        for prefix in ("d", "g"):
            opt = getattr(self.model, f"{prefix}_optimizer", None)
            if opt is not None and getattr(opt, "built", False) and hasattr(opt, "skipped_steps"):
                yield prefix, opt

    def _counts(self, opt) -> tuple[int, int, int]:
        """(skipped, applied, skipped before the first applied step) so far."""
        return (
            int(opt.skipped_steps.numpy()),
            int(opt.iterations.numpy()),
            int(opt.warmup_skipped_steps.numpy()),
        )

    def on_epoch_begin(self, epoch, logs=None):
        self._start = {p: self._counts(opt) for p, opt in self._scaled()}

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for prefix, opt in self._scaled():
            start = self._start.get(prefix, (0, 0, 0))
            skipped, applied, warmup = (a - b for a, b in zip(self._counts(opt), start))
            held = skipped - warmup  # the scale's first descent is not held against the epoch
            scale = float(opt.dynamic_scale.numpy())
            logs[f"{prefix}_loss_scale"] = scale
            logs[f"{prefix}_skipped"] = skipped
            name = {"d": "discriminator", "g": "generator"}[prefix]
            if scale < self.floor:
                reason = (
                    f"the {name}'s float16 loss scale fell to {scale:.3g} (< "
                    f"{self.floor:g}): its gradients overflow float16 even unscaled"
                )
            elif held and held > self.max_skipped * (held + applied):
                reason = (
                    f"float16 overflow skipped {skipped} of the {name}'s "
                    f"{skipped + applied} steps in this epoch"
                    + (f" ({warmup} of them finding the first scale)" if warmup else "")
                )
            else:
                continue
            self.guard.trip(
                epoch + 1,
                {f"{prefix}_loss_scale": scale, f"{prefix}_skipped": skipped},
                reason=reason,
            )
            self.model.stop_training = True
            return


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training when ``d_loss`` or ``g_loss`` is NaN/Inf or beyond ``limit`` in
    magnitude (``--max-loss``: diverged); remembers the epoch.

    Checked after every batch too (the logged values are the epoch's running means, so a
    NaN stays visible), which stops the epoch early instead of training on garbage.
    """

    def __init__(self, keys: Sequence[str] = WATCHED_LOSSES, limit: float = math.inf):
        super().__init__()
        self.keys = tuple(keys)
        self.limit = float(limit)
        self.tripped = False
        self.tripped_epoch: int | None = None
        self.bad_values: dict[str, float] = {}
        self.reason: str | None = None  # set by trip(); None = a non-finite loss
        self._epoch = 0

    def _check(self, logs) -> None:
        if not self.tripped and not is_finite_logs(logs, self.keys, self.limit):
            self.tripped = True
            self.tripped_epoch = self._epoch
            self.bad_values = {k: _float(logs[k]) for k in self.keys if k in logs}
            self.model.stop_training = True

    def trip(
        self, epoch: int | None, bad_values: dict[str, float], reason: str | None = None
    ) -> None:
        """Mark training as failed (also used when weights, not losses, went NaN, and by
        :class:`LossScaleMonitor` with its ``reason``)."""
        if not self.tripped:
            self.tripped, self.tripped_epoch, self.bad_values = True, epoch, dict(bad_values)
            self.reason = reason

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch + 1

    def on_train_batch_end(self, batch, logs=None):
        if logs:
            self._check(logs)

    def on_epoch_end(self, epoch, logs=None):
        self._epoch = epoch + 1
        if logs:
            self._check(logs)


class StopOnSignal(keras.callbacks.Callback):
    """Ends ``fit`` at the epoch end after a scheduler's SIGTERM/SIGUSR1 (see
    :class:`keras_medgan.core.console.Preemption`); the trainer then checkpoints and exports
    that epoch, so the requeued run continues from it."""

    def on_epoch_end(self, epoch, logs=None):
        if stop_requested():
            self.model.stop_training = True


class CheckpointSaver(keras.callbacks.Callback):
    """Saves the run's ``tf.train.Checkpoint`` every ``every`` epochs, at the end, and at
    the end of any epoch that finishes ``max_seconds`` or more after the last save (so a
    killed long run loses minutes, not 50 slow epochs; ``timer`` is injectable for tests).

    ``epoch_var`` is set to the number of finished epochs before each save, so a resume
    continues from the next one. A save is skipped when the epoch's losses are not finite
    or ``guard`` has tripped: the last checkpoint on disk is always a good one.
    """

    def __init__(
        self,
        manager,
        epoch_var,
        every: int,
        total_epochs: int,
        guard: NonFiniteGuard | None = None,
        models: Sequence = (),
        before_save: Callable[[], None] | None = None,
        max_seconds: float = math.inf,
        timer: Callable[[], float] = time.monotonic,
    ):
        super().__init__()
        self.before_save = before_save  # e.g. MetricsLog.flush: logs never lag a checkpoint
        self.max_seconds = float(max_seconds)
        self.timer = timer
        self.last_save_time = timer()
        self.models = tuple(models)
        self.manager = manager
        self.epoch_var = epoch_var
        self.every = max(int(every), 1)
        self.total_epochs = int(total_epochs)
        self.guard = guard
        self.last_saved_epoch: int | None = None
        self.last_good_epoch: int | None = None

    def save(self, epoch: int) -> str:
        if self.before_save is not None:
            self.before_save()
        self.epoch_var.assign(epoch)
        path = self.manager.save(checkpoint_number=epoch)
        self.last_saved_epoch = epoch
        self.last_save_time = self.timer()
        return path

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if not is_finite_logs(logs) or (self.guard is not None and self.guard.tripped):
            return
        due = self.timer() - self.last_save_time >= self.max_seconds
        if done % self.every == 0 or done == self.total_epochs or due:
            # The last batch's update can turn weights to NaN while the epoch's mean
            # losses still look finite: check the weights themselves before saving.
            if not weights_finite(*self.models):
                if self.guard is not None:
                    self.guard.trip(done, {"weights": float("nan")})
                self.model.stop_training = True
                return
            self.save(done)
        self.last_good_epoch = done
