"""Progressive growing (Karras et al., ICLR 2018) as one ``keras.Model``, trained by ``fit``.

The networks (``keras_medgan.models.progan``) hold every stage from the start; this GAN
decides which stage runs. Its only training state is ``images_shown``, a variable (so
``tf.train.Checkpoint`` / ``save_weights`` restore a run in the middle of a stage), and the
stage and fade-in α are a pure function of it (:func:`progress_at`):

    phase p = images_shown // stage_images
    p = 0            stage 0 (4×4), α = 1
    p = 2s - 1       stage s fades in, α = (images_shown - p·stage_images) / stage_images
    p = 2s           stage s stabilises, α = 1
    p ≥ 2·(S-1)      the final stage, α = 1, for the rest of training

So one ``fit`` call grows the networks. The train step is traced for one stage at a time
(at its own resolution, with its own batch size — ``batch_sizes``: ProGAN shrinks the
batch as the resolution grows; a stage uses the first ``b_s`` images of the dataset's
batch, so give the dataset the largest batch). α is a run-time value inside a stage; when
the schedule enters the next stage, a callback that ``fit`` adds by itself re-traces the
step (``make_train_function(force=True)``; Keras's loop calls ``self.train_function``
afresh at every step), so a run makes one trace per stage it visits. Real images are average-pooled to the stage and,
during a fade, blended with their ×2 down-up version exactly as the generator's output is
(paper, appendix A.1).

Loss: WGAN-GP (λ = 10) plus the drift term ``ε_drift·E[D(x)²]`` (ε_drift = 1e-3) that
keeps the critic's output near zero; one critic step per generator step (ProGAN).
P3's options: ``label_flip_prob`` (default 1/3, P3's "labels flipped once in three
times": the critic's real/fake roles are swapped for a whole batch with this
probability; 0 gives Karras's plain recipe), conditional
information from stage ``label_start_stage`` on (before it, the label input is zeros).

Export: ``exportable_generator()`` (the hook ``keras_medgan.training.trainer`` calls) returns a stock-layer generator at the final stage (or any
stage, see ``ProgressiveGenerator.bake``) for ``keras_medgan.generators.export.export_generator``.
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Sequence
from typing import ClassVar

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_medgan.gans import losses
from keras_medgan.gans.base import GAN, GAN_FAMILIES
from keras_medgan.gans.options import Option, at_least, within
from keras_medgan.gans.wgan_gp import GP_EPSILON
from keras_medgan.models.layers import downsample, lerp, upsample
from keras_medgan.models.progan import stage_resolution


def progress_at(images_shown: int, stage_images: int, num_stages: int) -> tuple[int, float]:
    """(stage, α) after ``images_shown`` images — the schedule in plain Python."""
    if stage_images <= 0:
        raise ValueError(f"stage_images must be positive. Received: {stage_images}")
    phase = int(images_shown) // int(stage_images)
    stage = min((phase + 1) // 2, num_stages - 1)
    fading = phase % 2 == 1 and (phase + 1) // 2 <= num_stages - 1
    alpha = (images_shown - phase * stage_images) / stage_images if fading else 1.0
    return stage, float(alpha)


def progress_tensor(images_shown, stage_images, num_stages: int):
    """:func:`progress_at` in tensor ops (int64 counters), for use inside a train step."""
    images_shown = ops.cast(images_shown, "int64")
    stage_images = ops.cast(stage_images, "int64")
    phase = images_shown // stage_images
    grown = (phase + 1) // 2
    stage = ops.minimum(grown, num_stages - 1)
    fading = ops.logical_and(phase % 2 == 1, grown <= num_stages - 1)
    fraction = ops.cast(images_shown - phase * stage_images, "float32") / ops.cast(
        stage_images, "float32"
    )
    alpha = ops.where(fading, fraction, ops.ones_like(fraction))
    return ops.cast(stage, "int32"), alpha


def images_to_grow(stage_images: int, num_stages: int) -> int:
    """Images shown until the final stage has faded in and stabilised once."""
    return int(stage_images) * (2 * num_stages - 1)


def stage_images_for(total_steps: int, num_stages: int, batch_sizes: Sequence[int]) -> int:
    """The phase length (images) that spreads ``total_steps`` steps over all 2S-1 phases.

    Phases at stage s take ``stage_images / b_s`` steps, so
    ``stage_images = total_steps / Σ_phases 1/b_stage(phase)``.
    """
    steps_per_image = sum(1.0 / batch_sizes[(p + 1) // 2] for p in range(2 * num_stages - 1))
    # + 1e-9: 9 steps over three phases at batch 5 is 15 images, not 14.999999999999998
    return max(1, int(total_steps / steps_per_image + 1e-9))


@GAN_FAMILIES.add
class ProgressiveGAN(GAN):
    """WGAN-GP + drift on growing networks; see the module docstring."""

    NAME = "pggan"
    # P3's Adam (2e-4; β1 0, β2 0.99 as Karras et al., whose own lr was 1e-3)
    RECIPE = ("p3_pggan", ("optimizer", "lr", "beta_1", "beta_2"))
    CRITIC = True
    STAGED = True
    OPTIONS: ClassVar[tuple] = (
        Option(
            "stage_images",
            None,
            "images per fade/stabilise phase (None: spread the run)",
            kind=None,
        ),
        Option("batch_sizes", None, "batch per stage: int, list or {resolution: batch}", kind=None),
        Option("gp_weight", 10.0, "gradient penalty weight", flag="gp_weight", **at_least(0.0)),
        Option("drift_weight", 1e-3, "weight of the drift term E[D(x)^2]", **at_least(0.0)),
        Option(
            "label_flip_prob",
            1.0 / 3.0,
            "probability of flipping D's labels",
            flag="label_flip",
            **within(0.0, 1.0, closed_high=True),
        ),
        Option(
            "label_start_stage",
            0,
            "stage from which the label conditions the networks",
            kind=int,
            **at_least(0),
        ),
        GP_EPSILON,
    )
    METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake", "w_distance", "gp")

    def __init__(self, generator, discriminator, z_dim=512, num_classes=0, **kwargs):
        super().__init__(generator, discriminator, z_dim=z_dim, num_classes=num_classes, **kwargs)
        for net in (generator, discriminator):
            if not hasattr(net, "forward") or not hasattr(net, "num_stages"):
                raise ValueError(
                    "pggan needs the progressive networks of "
                    "keras_medgan.models.progan. Received: "
                    f"{type(net).__name__}"
                )
        if generator.num_stages != discriminator.num_stages:
            raise ValueError(
                "generator and critic must have the same number of stages. "
                f"Received: {generator.num_stages} and {discriminator.num_stages}"
            )
        self.num_stages = generator.num_stages
        self.image_size = generator.image_size
        self.batch_sizes = self._parse_batch_sizes(self.batch_sizes)
        stage_images = self.stage_images
        self.images_shown = self.add_weight(
            name="images_shown", shape=(), dtype="int64", initializer="zeros", trainable=False
        )
        # 0 = "not chosen yet": fit() then spreads the run's steps over all phases.
        self.stage_images = self.add_weight(
            name="stage_images", shape=(), dtype="int64", initializer="zeros", trainable=False
        )
        if stage_images is not None:
            if int(stage_images) <= 0:
                raise ValueError(f"stage_images must be positive. Received: {stage_images}")
            self.stage_images.assign(int(stage_images))
        self._traced_stage = None
        self._sync_networks()

    def _parse_batch_sizes(self, batch_sizes):
        """None, one int, a list per stage, or {resolution: batch} → list per stage."""
        if batch_sizes is None:
            return None
        if isinstance(batch_sizes, (int, np.integer)):
            return [int(batch_sizes)] * self.num_stages
        if isinstance(batch_sizes, dict):
            sizes, last = [], None
            for s in range(self.num_stages):
                res = stage_resolution(s)
                last = int(batch_sizes.get(res, batch_sizes.get(str(res), last or 0)))
                sizes.append(last)
        else:
            sizes = [int(b) for b in batch_sizes]
        if len(sizes) != self.num_stages or min(sizes) <= 0:
            raise ValueError(
                f"batch_sizes needs a positive batch for each of the "
                f"{self.num_stages} stages. Received: {batch_sizes}"
            )
        return sizes

    # ------------------------------------------------------------------ progress
    def progress(self) -> tuple[int, float]:
        """(stage, α) now, as Python numbers."""
        stage, alpha = progress_tensor(
            self.images_shown, ops.maximum(self.stage_images, 1), self.num_stages
        )
        return int(ops.convert_to_numpy(stage)), float(ops.convert_to_numpy(alpha))

    def _sync_networks(self):
        stage, alpha = progress_tensor(
            self.images_shown, ops.maximum(self.stage_images, 1), self.num_stages
        )
        for net in (self.generator, self.discriminator):
            net.stage.assign(stage)
            net.alpha.assign(alpha)

    def stage_batch(self, stage: int, batch) -> int:
        """Images the stage uses from a dataset batch of ``batch`` (static) images."""
        if self.batch_sizes is None:
            return batch
        return self.batch_sizes[stage] if batch is None else min(batch, self.batch_sizes[stage])

    def fit(self, x=None, *args, epochs=1, steps_per_epoch=None, initial_epoch=0, **kwargs):
        """``keras.Model.fit``; first fixes ``stage_images`` if it was left to choose.

        Unset, the run's remaining steps (``(epochs - initial_epoch) × steps per epoch``)
        are spread evenly over the 2S-1 fade/stabilise phases, so the last stage
        finishes stabilising when training ends.
        """
        if int(ops.convert_to_numpy(self.stage_images)) == 0:
            steps = steps_per_epoch
            if steps is None and isinstance(x, tf.data.Dataset):
                card = int(x.cardinality())
                steps = card if card > 0 else None
            if steps is None:
                raise ValueError(
                    "pggan cannot choose stage_images: the dataset's length is "
                    "unknown. Pass stage_images=... (images per fade/stabilise "
                    "phase) or steps_per_epoch."
                )
            batch = _dataset_batch(x)
            if batch is None and self.batch_sizes is None:
                raise ValueError(
                    "pggan cannot choose stage_images: the dataset's batch size is "
                    "unknown (batch it with drop_remainder=True). Pass stage_images=... "
                    "or batch_sizes=..."
                )
            sizes = [self.stage_batch(s, batch) for s in range(self.num_stages)]
            total = max(1, (int(epochs) - int(initial_epoch))) * int(steps)
            self.stage_images.assign(stage_images_for(total, self.num_stages, sizes))
            self._sync_networks()
        if self.train_function is not None and self._traced_stage != self.progress()[0]:
            self.train_function = None  # e.g. restored from a checkpoint at another stage
        callbacks = list(kwargs.pop("callbacks", None) or []) + [_StageWatcher()]
        return super().fit(
            x,
            *args,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            **kwargs,
        )

    # ------------------------------------------------------------------ one step
    def _stage_labels(self, labels, stage: int, batch: int):
        if not self.conditional:
            return None
        labels = labels[:batch]
        if stage < self.label_start_stage:
            return ops.zeros_like(labels)
        return labels

    def _net_inputs(self, x, labels):
        return [x, labels] if labels is not None else x

    def _real_at_stage(self, images, stage: int, alpha):
        """Reals pooled to the stage; during a fade, blended with their ×2 down-up copy."""
        real = downsample(images, self.image_size // stage_resolution(stage))
        if stage > 0:
            real = lerp(upsample(downsample(real, 2), 2), real, alpha)
        return real

    def begin_step(self, images, labels):
        """The traced stage, α, the stage's batch of pooled reals and P3's flip draw."""
        stage = self._traced_stage  # a Python int: this graph trains one stage
        if tuple(images.shape[1:3]) != (self.image_size, self.image_size):
            raise ValueError(
                f"pggan was built for image_size={self.image_size}. Received: "
                f"images of shape {tuple(images.shape)}"
            )
        now_stage, alpha = progress_tensor(
            self.images_shown, ops.maximum(self.stage_images, 1), self.num_stages
        )
        # If the schedule moved past this stage inside one execution (steps_per_execution
        # > 1), finish the old stage at α = 1 until the callback re-traces.
        alpha = ops.where(now_stage > stage, ops.ones_like(alpha), alpha)
        batch = self.stage_batch(stage, images.shape[0])
        real = self._real_at_stage(images[:batch], stage, alpha)
        return {
            "stage": stage,
            "alpha": alpha,
            "real": real,
            "labels": self._stage_labels(labels, stage, batch),
            "flip": self.random_uniform(1, ())[0] < self.label_flip_prob,
        }

    def generate_fake(self, z, labels, ctx=None, training=True):
        return ops.cast(
            self.generator.forward(self._net_inputs(z, labels), ctx["stage"], ctx["alpha"]),
            "float32",
        )

    def discriminate(self, images, labels, ctx=None, training=True):
        return ops.cast(
            self.discriminator.forward(
                self._net_inputs(images, labels), ctx["stage"], ctx["alpha"]
            ),
            "float32",
        )

    def discriminator_loss(self, real_out, fake_out, real, fake, ctx):
        # P3's label flip: the critic is told the fakes are real and vice versa.
        as_real = ops.where(ctx["flip"], fake_out, real_out)
        as_fake = ops.where(ctx["flip"], real_out, fake_out)
        d_loss = losses.wasserstein_discriminator_loss(
            as_real, as_fake
        ) + self.drift_weight * ops.mean(ops.square(real_out))
        d_real, d_fake = ops.mean(real_out), ops.mean(fake_out)
        return d_loss, {"d_real": d_real, "d_fake": d_fake, "w_distance": d_real - d_fake}

    def generator_loss(self, fake_out, fake, ctx):
        return losses.wasserstein_generator_loss(fake_out)

    def end_step(self, logs, ctx):
        self.images_shown.assign_add(ops.cast(ops.shape(ctx["real"])[0], "int64"))
        self._sync_networks()
        return logs

    def make_train_function(self, force=False):
        """Trace the train step for the stage the schedule is at now.

        One graph per stage keeps each trace small (a graph holding every stage behind a
        switch, with the gradient penalty's second-order gradients, traced ~10× slower).
        α stays a run-time value, so a fade needs no re-trace; ``_StageWatcher`` re-traces
        when a stage ends, and Keras's fit loop picks the new function up at the next step.
        """
        if self.train_function is not None and not force:
            return self.train_function
        self._traced_stage = self.progress()[0]
        return super().make_train_function(force=True)

    def step_logs(self, data):
        logs = super().step_logs(data)
        # The latest stage/α/count (not epoch means), so metrics.jsonl shows the growth.
        logs["stage"] = self.generator.stage
        logs["alpha"] = self.generator.alpha
        logs["images_shown"] = self.images_shown
        return logs

    # ------------------------------------------------------------------ export
    def exportable_generator(
        self, stage: int | None = None, alpha: float | None = None
    ) -> keras.Model:
        """The generator as stock Keras layers (plain ``load_model``), output at full size.

        Defaults to the current stage and α — the final stage at α = 1 after a complete
        run. Pass ``stage``/``alpha`` to export an earlier stage's generator.
        """
        return self.generator.bake(stage=stage, alpha=alpha)

    def training_callbacks(self, config=None, stage_export_dir=None):
        """Callbacks the trainer adds to ``fit``: per-stage exports when given a folder."""
        return [StageSnapshots(stage_export_dir)] if stage_export_dir else []

    def get_config(self) -> dict:
        return {
            "z_dim": self.z_dim,
            "num_classes": self.num_classes,
            "batch_sizes": self.batch_sizes,
            "gp_weight": self.gp_weight,
            "drift_weight": self.drift_weight,
            "label_flip_prob": self.label_flip_prob,
            "label_start_stage": self.label_start_stage,
        }


class StageSnapshots(keras.callbacks.Callback):
    """Exports each finished stage's generator (α = 1, stock layers, ``.h5``).

    When the schedule leaves stage ``s``, the generator as it ended that stage is baked
    and saved to ``<folder>/generator_stage<s>_<res>px.h5`` (output upsampled to the full
    image size, so ``keras_medgan.generators.loading.load_generator``/``synthesize`` take it as is).
    The final stage is the run's ordinary export.
    """

    def __init__(self, folder):
        super().__init__()
        self.folder = folder
        self.saved = []
        self._stage = None

    def on_train_begin(self, logs=None):
        self._stage = self.model.progress()[0]

    def on_train_batch_end(self, batch, logs=None):
        stage = self.model.progress()[0]
        if stage == self._stage:
            return

        folder = pathlib.Path(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        finished = self._stage
        res = stage_resolution(finished)
        path = folder / f"generator_stage{finished}_{res}px.h5"
        self.model.generator.bake(stage=finished, alpha=1.0, name=f"pggan_stage{finished}").save(
            path
        )
        self.saved.append(path)
        self._stage = stage


class _StageWatcher(keras.callbacks.Callback):
    """Re-traces the GAN's train step when the schedule enters a new stage (added by fit)."""

    def on_train_batch_end(self, batch, logs=None):
        gan = self.model
        if gan.progress()[0] != gan._traced_stage:
            gan.make_train_function(force=True)


def _dataset_batch(x):
    """The static batch size of a dataset's image element, or None."""
    spec = getattr(x, "element_spec", None)
    if spec is None:
        return None
    first = spec[0] if isinstance(spec, (tuple, list)) else spec
    shape = getattr(first, "shape", None)
    return None if shape is None or shape.rank is None else shape[0]


def epochs_for(stage_images: int, num_stages: int, dataset_images: int, batch_size: int) -> int:
    """Epochs a ``fit`` needs to grow to the final stage and stabilise it once."""
    per_epoch = (dataset_images // batch_size) * batch_size
    if per_epoch <= 0:
        raise ValueError(
            f"batch_size {batch_size} is larger than the dataset ({dataset_images} images)"
        )
    return math.ceil(images_to_grow(stage_images, num_stages) / per_epoch)
