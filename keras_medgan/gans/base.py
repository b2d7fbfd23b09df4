"""What every GAN family shares: ONE train-step skeleton, trackers, sampling, optimizers.

A loss family is a ``keras.Model`` subclass of :class:`GAN` trained with the ordinary
``model.fit(dataset, callbacks=...)`` (batches of ``(images, one_hot)``; see
``keras_medgan.data.make_tf_dataset``). It does not write a train step. It supplies:

* a pure loss pair from :mod:`keras_medgan.gans.losses` (``discriminator_loss`` /
  ``generator_loss``);
* optional regularisers: gradient penalty on interpolates (``gp_weight``), R1 on reals
  (``r1_weight``), both in :meth:`GAN.penalty`; ProGAN adds drift; weight clipping is a
  variable constraint the optimizer applies (``wgan_clip``);
* its schedule: ``n_critic`` D updates per G update, and how a step gets its fakes
  (``FORWARD``, or a ``forward`` option where the family lets the user choose): each
  update draws its own ("fresh": D, then G on new z through the updated D), one
  generator forward feeds D's update and then G's loss through the updated D ("reuse":
  the PyTorch DCGAN tutorial), or one forward feeds both gradients before either
  network moves ("joint": the TF DCGAN tutorial, BEGAN's code);
* optional hooks: ``d_view`` (augmentation / instance noise), ``begin_step`` (per-step
  draws), ``end_step`` (BEGAN's k, ProGAN's counters);
* its options as one declaration (``OPTIONS``, see :mod:`keras_medgan.gans.options`).

:meth:`GAN.train_batch` runs the D updates then the G update for every family, and
distribution (losses divided by the replica count: gradients are SUM-reduced) and fp16
loss scaling (``compile`` wraps both optimizers; Keras wraps only ``self.optimizer``) are
handled once, in ``replica_scaled`` / ``apply_gradients``.

Also shared here: metric trackers returned from ``metrics`` (Keras resets them every
epoch); a seeded, replica-safe random stream (``keras.random`` draws, which XLA honours;
under ``tf.distribute`` each replica takes its slice of ONE global-batch draw, so 1 and N
replicas see the same noise); conditional labels (the real batch's one-hot labels are
reused for the fakes); and ``generate(n, labels, seed)``. The two Keras 3.15
workarounds that let ``fit`` run under MultiWorkerMirroredStrategy live with every other
private-API use in ``models/keras_compat.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_medgan.core.presets import recipe_defaults
from keras_medgan.core.registry import Registry
from keras_medgan.gans import losses
from keras_medgan.gans.options import Option, option_defaults, resolve_options
from keras_medgan.models.keras_compat import (
    NonFiniteStepHook,
    PerLeafSymbolicBuild,
    reducible_logs,
)
from keras_medgan.models.latents import images_from, latent_vectors

GAN_FAMILIES: Registry[type] = Registry("GAN family")

#: keyword arguments ``keras.Model`` itself takes (everything else must be an option).
_MODEL_KWARGS = {"name", "dtype", "trainable"}


class ReplicaSafeSeedGenerator(keras.random.SeedGenerator):
    """A ``keras.random.SeedGenerator`` whose state can advance inside a replica context.

    The stock generator's state variable has aggregation ``"none"``, documented by
    ``tf.VariableAggregation`` as an error for updates with multiple replicas (TF 2.21
    happens to accept it). Every replica computes the same next state, so "take the first
    replica's write" (``only_first_replica``) is exact and says so explicitly.
    """

    def __init__(self, seed=None, name=None):
        super().__init__(seed=seed, name=name)
        initial = self.state.numpy() if hasattr(self.state, "numpy") else None
        if initial is None:  # pragma: no cover - symbolic state (not the TF backend)
            return
        self.state = keras.Variable(
            initial,
            shape=(2,),
            dtype=self.state.dtype,
            trainable=False,
            aggregation="only_first_replica",
            name="seed_generator_state",
        )


def _replica_context():
    """(replica id, replica count); (0, 1) outside ``tf.distribute``."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None:  # cross-replica context: not inside a step
        return 0, 1
    return ctx.replica_id_in_sync_group, ctx.num_replicas_in_sync


def labels_to_one_hot(labels, num_classes: int, n: int) -> np.ndarray:
    """``None`` (cycle 0, 1, ..., C-1), an int, int indices [n] or one-hot [n, C] → one-hot."""
    if labels is None:
        idx = np.arange(n) % num_classes
    else:
        arr = np.asarray(labels)
        if arr.ndim == 2:
            if arr.shape != (n, num_classes):
                raise ValueError(
                    f"One-hot labels must have shape ({n}, {num_classes}). "
                    f"Received: labels.shape={arr.shape}"
                )
            return arr.astype("float32")
        idx = np.broadcast_to(arr.astype("int64"), (n,)) if arr.ndim == 0 else arr.astype("int64")
        if idx.shape != (n,):
            raise ValueError(f"Expected {n} labels. Received: labels.shape={arr.shape}")
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(
            f"Label indices must lie in [0, {num_classes}). Received: labels={np.unique(idx)}"
        )
    return np.eye(num_classes, dtype="float32")[idx]


class GAN(PerLeafSymbolicBuild, keras.Model):
    """Base class of every loss family: the one train-step skeleton (module docstring)."""

    #: Where the loss paper's optimizer recipe is written: ``(preset name, keys)`` -- the
    #: ``experiments/*.yaml`` that states it and which of its keys (optimizer, lr, beta_1,
    #: beta_2, and for WGAN batch_size, epochs) belong to the loss rather than the
    #: reproduction. Used when ``--loss`` moves an architecture off its own loss (see
    #: ``gans.optimizers.training_defaults``). A family with no recipe file (a test's tiny
    #: one) may give the values inline as ``FAMILY_DEFAULTS``.
    RECIPE: ClassVar[tuple[str, tuple[str, ...]] | None] = None
    FAMILY_DEFAULTS: ClassVar[dict[str, Any]] = {}
    #: Value to pass as ``critic=`` to the architecture's discriminator builder.
    CRITIC: bool = False
    #: The family's options, declared once (see ``gans.options``); each becomes an
    #: attribute of the instance, checked in ``__init__``.
    OPTIONS: ClassVar[tuple[Option, ...]] = ()
    #: True for families that grow through resolution stages (pggan): they can export
    #: each finished stage's generator (``--export-stages``).
    STAGED: bool = False
    #: How a step with ``n_critic == 1`` gets its fakes (with more critic updates: "fresh"),
    #: one of ``FORWARDS``: "fresh": the D update and the G update each run G on their own
    #: z (WGAN, WGAN-GP, ProGAN, as their papers; BCE's default, Goodfellow's algorithm);
    #: "reuse": ONE G forward, D updated on it first, then G's loss through the UPDATED D
    #: on the same fakes (the PyTorch DCGAN tutorial P0 follows); "joint": one forward and
    #: both gradients before either network moves (the TF DCGAN tutorial, BEGAN's code).
    #: A family whose ``OPTIONS`` declare ``forward`` lets a run choose (bce).
    FORWARD: str = "fresh"
    FORWARDS: ClassVar[tuple[str, ...]] = ("fresh", "reuse", "joint")
    #: Logged metric names, in order.
    METRIC_NAMES: Sequence[str] = ("d_loss", "g_loss", "d_real", "d_fake")
    #: Critic updates per generator update (families with an ``n_critic`` option set it).
    n_critic: int = 1
    #: The penalties the step skeleton applies (``penalty``), off unless a family's
    #: ``OPTIONS`` declare them: a family's option values replace these per instance.
    gp_weight: float = 0.0
    gp_epsilon: float = 1e-12
    r1_weight: float = 0.0
    #: Per-instance forward mode for families whose ``OPTIONS`` declare ``forward``.
    forward: str | None = None

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        z_dim: int = 100,
        num_classes: int = 0,
        seed: int | None = None,
        **kwargs,
    ):
        declared = {o.name for o in self.OPTIONS}
        given = {k: kwargs.pop(k) for k in list(kwargs) if k in declared}
        unknown = sorted(set(kwargs) - _MODEL_KWARGS)
        if unknown:
            raise ValueError(
                f"Unknown option(s) {', '.join(unknown)} for loss family "
                f"{self.family_name()!r}; its options: "
                f"{', '.join(sorted(declared)) or 'none'}"
            )
        super().__init__(**kwargs)
        if z_dim <= 0:
            raise ValueError(f"z_dim must be positive. Received: z_dim={z_dim}")
        if num_classes < 0:
            raise ValueError(f"num_classes must be >= 0. Received: num_classes={num_classes}")
        for name, value in resolve_options(self.OPTIONS, given, self.family_name()).items():
            setattr(self, name, value)
        self.generator = generator
        self.discriminator = discriminator
        self.z_dim = int(z_dim)
        self.num_classes = int(num_classes)
        self.seed_generator = ReplicaSafeSeedGenerator(seed=seed)
        self._trackers = [keras.metrics.Mean(name=name) for name in self.metric_names]
        self.d_optimizer = None
        self.g_optimizer = None
        # G and D arrive built; marking the wrapper built keeps Keras from "building" it
        # by calling it on an image batch (fit does that under a tf.distribute strategy).
        self.built = True

    @property
    def metric_names(self) -> tuple[str, ...]:
        """``METRIC_NAMES`` plus the penalties this instance has switched on."""
        extra = tuple(
            name
            for name, weight in (("gp", self.gp_weight), ("r1", self.r1_weight))
            if weight and name not in self.METRIC_NAMES
        )
        return tuple(self.METRIC_NAMES) + extra

    @classmethod
    def family_name(cls) -> str:
        return getattr(cls, "NAME", cls.__name__)

    @classmethod
    def option_defaults(cls) -> dict[str, Any]:
        """``{option name: default}`` -- what a run config starts from."""
        return option_defaults(cls.OPTIONS)

    def get_config(self) -> dict:
        return {
            "z_dim": self.z_dim,
            "num_classes": self.num_classes,
            **{o.name: getattr(self, o.name) for o in self.OPTIONS},
        }

    # ------------------------------------------------------------------ Keras plumbing
    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    @property
    def metrics(self):
        return list(self._trackers)

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        """Attach the two optimizers; ``kwargs`` (``jit_compile``, ``steps_per_execution``,
        ``run_eagerly``) go to ``keras.Model.compile``.

        Under the global ``mixed_float16`` policy both optimizers are wrapped in
        ``keras.optimizers.LossScaleOptimizer`` here, because ``Model.compile`` only wraps
        ``self.optimizer``, which a GAN does not use.

        Both optimizers are built here (slot variables created for their networks), so
        that (a) under ``tf.distribute`` their variables are created in the strategy's
        scope instead of inside a replica step (which fails), and (b) a checkpoint
        restore finds their state instead of skipping it. Call ``compile`` inside
        ``strategy.scope()``.
        """
        super().compile(**kwargs)
        self.d_optimizer = _maybe_loss_scale(d_optimizer)
        self.g_optimizer = _maybe_loss_scale(g_optimizer)
        self.build_optimizers()

    @classmethod
    def family_defaults(cls) -> dict[str, Any]:
        """The loss paper's optimizer recipe: ``FAMILY_DEFAULTS`` overlaid with the
        ``RECIPE`` keys read from their recipe file (the one place the numbers live)."""
        values = dict(cls.FAMILY_DEFAULTS)
        if cls.RECIPE is not None:
            name, keys = cls.RECIPE
            recipe = recipe_defaults(name)
            values.update({k: recipe[k] for k in keys if k in recipe})
        return values

    def build_optimizers(self) -> None:
        """Create both optimizers' slot variables now (before restoring a checkpoint, so
        their state is restored: a restore silently skips slot variables that do not
        exist yet, which would reset Adam's moments on every resume)."""
        for opt, net in (
            (self.d_optimizer, self.discriminator),
            (self.g_optimizer, self.generator),
        ):
            if opt is not None and not opt.built:
                with self.distribute_strategy.scope():
                    opt.build(net.trainable_variables)

    def training_callbacks(self, config=None, stage_export_dir=None) -> list:
        """Callbacks the trainer adds to ``fit`` for this family (pggan: per-stage exports
        into ``stage_export_dir``; began: lr halving). None by default."""
        return []

    def exportable_generator(self) -> keras.Model:
        """The generator to export; a family whose generator is not a plain functional
        model (pggan's growing one) returns a stock-layer equivalent."""
        return self.generator

    def call(self, inputs, training=False):
        """The generator: ``z`` or ``[z, one_hot]`` → images (lets ``gan(...)`` work)."""
        return self.generator(inputs, training=training)

    def train_step(self, data):
        return reducible_logs(self.step_logs(data), self.distribute_strategy)

    def step_logs(self, data) -> dict[str, Any]:
        """One step: train on the batch, update the trackers, return the epoch-mean logs."""
        images, labels = self.unpack(data)
        values = self.train_batch(images, labels)
        for tracker in self._trackers:
            tracker.update_state(values[tracker.name])
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):  # fit(validation_data=...) has no meaning for a GAN
        return {m.name: m.result() for m in self.metrics}

    # ------------------------------------------------------------------ the step skeleton
    @property
    def forward_mode(self) -> str:
        mode = self.forward or self.FORWARD
        if mode not in self.FORWARDS:
            raise ValueError(
                f"forward must be one of {', '.join(self.FORWARDS)}. Received: {mode!r}"
            )
        return mode if self.n_critic == 1 else "fresh"

    def train_batch(self, images, labels) -> dict[str, Any]:
        """One training step: ``n_critic`` D updates then one G update (or, for the
        "reuse" / "joint" forward modes, both updates on one generator forward). Returns a
        value for every ``METRIC_NAMES``. Families change the pieces below, not this order."""
        ctx = self.begin_step(images, labels)
        real, labels = ctx.get("real", images), ctx.get("labels", labels)
        mode = self.forward_mode
        if mode == "joint":
            logs = self._joint_update(real, labels, ctx)
        elif mode == "reuse":
            logs = self._reuse_update(real, labels, ctx)
        else:
            for _ in range(self.n_critic):
                logs = self._d_update(real, labels, ctx)
            logs["g_loss"] = self._g_update(ops.shape(real)[0], labels, ctx)
        return self.end_step(logs, ctx)

    def _d_objective(self, real, fake, labels, ctx):
        real_out = self.discriminate(self.d_view(real, ctx), labels, ctx)
        fake_out = self.discriminate(self.d_view(fake, ctx), labels, ctx)
        d_loss, logs = self.discriminator_loss(real_out, fake_out, real, fake, ctx)
        penalty, penalty_logs = self.penalty(real, fake, labels, real_out, ctx)
        d_loss = d_loss + penalty
        logs.update(penalty_logs, d_loss=d_loss)
        return d_loss, logs, fake_out

    def _d_update(self, real, labels, ctx, fake=None) -> dict[str, Any]:
        if fake is None:
            fake = self.generate_fake(self.sample_z(ops.shape(real)[0]), labels, ctx)
        with tf.GradientTape() as tape:
            d_loss, logs, _ = self._d_objective(real, fake, labels, ctx)
            scaled = self.replica_scaled(self.d_optimizer, d_loss)
        self.apply_gradients(self.d_optimizer, tape, scaled, self.discriminator.trainable_variables)
        return logs

    def _g_update(self, batch, labels, ctx):
        z = self.sample_z(batch)
        with tf.GradientTape() as tape:
            fake = self.generate_fake(z, labels, ctx)
            g_loss = self.generator_loss(
                self.discriminate(self.d_view(fake, ctx), labels, ctx), fake, ctx
            )
            scaled = self.replica_scaled(self.g_optimizer, g_loss)
        self.apply_gradients(self.g_optimizer, tape, scaled, self.generator.trainable_variables)
        return g_loss

    def _reuse_update(self, real, labels, ctx) -> dict[str, Any]:
        z = self.sample_z(ops.shape(real)[0])
        with tf.GradientTape() as g_tape:
            fake = self.generate_fake(z, labels, ctx)
            with g_tape.stop_recording():  # D's update is not part of G's gradient
                logs = self._d_update(real, labels, ctx, fake=fake)
            fake_out = self.discriminate(self.d_view(fake, ctx), labels, ctx)
            g_loss = self.generator_loss(fake_out, fake, ctx)
            g_scaled = self.replica_scaled(self.g_optimizer, g_loss)
        self.apply_gradients(self.g_optimizer, g_tape, g_scaled, self.generator.trainable_variables)
        logs["g_loss"] = g_loss
        return logs

    def _joint_update(self, real, labels, ctx) -> dict[str, Any]:
        z = self.sample_z(ops.shape(real)[0])
        with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
            fake = self.generate_fake(z, labels, ctx)
            d_loss, logs, fake_out = self._d_objective(real, fake, labels, ctx)
            g_loss = self.generator_loss(fake_out, fake, ctx)
            d_scaled = self.replica_scaled(self.d_optimizer, d_loss)
            g_scaled = self.replica_scaled(self.g_optimizer, g_loss)
        self.apply_gradients(
            self.d_optimizer, d_tape, d_scaled, self.discriminator.trainable_variables
        )
        self.apply_gradients(self.g_optimizer, g_tape, g_scaled, self.generator.trainable_variables)
        logs["g_loss"] = g_loss
        return logs

    # -- what a family supplies (pure pieces; ``ctx`` is the step's own state) ----------
    def begin_step(self, images, labels) -> dict[str, Any]:
        """Per-step state drawn once (targets, masks, stage, ...). May replace the reals
        (``ctx["real"]``) and labels (``ctx["labels"]``) the step trains on."""
        return {}

    def end_step(self, logs: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
        """Updates after both networks stepped (BEGAN's k, ProGAN's counters); the logs."""
        return logs

    def d_view(self, images, ctx):
        """The images as D sees them (augmentation, instance noise); the identity here."""
        return images

    def discriminator_loss(self, real_out, fake_out, real, fake, ctx):
        """(D's loss, logs with d_real / d_fake and any family extras)."""
        raise NotImplementedError

    def generator_loss(self, fake_out, fake, ctx):
        raise NotImplementedError

    def penalty(self, real, fake, labels, real_out, ctx):
        """(regulariser added to D's loss, its logs): the gradient penalty on interpolates
        when the family has a ``gp_weight`` > 0, zero-centred R1 on reals when it has an
        ``r1_weight`` > 0; nothing otherwise."""
        total, logs = 0.0, {}

        def critic(x):
            return self.discriminate(x, labels, ctx)

        if self.gp_weight:
            alpha = self.random_uniform(ops.shape(real)[0], (1, 1, 1))
            gp = losses.gradient_penalty(critic, real, fake, alpha, self.gp_epsilon)
            total, logs["gp"] = total + self.gp_weight * gp, gp
        elif "gp" in self.METRIC_NAMES:  # switched off (gp_weight 0): nothing to compute
            logs["gp"] = ops.zeros((), "float32")
        if self.r1_weight:
            r1 = losses.r1_penalty(critic, real)
            total, logs["r1"] = total + 0.5 * self.r1_weight * r1, r1
        return total, logs

    # ------------------------------------------------------------------ data / labels
    def unpack(self, data):
        """``(images, one_hot)`` or ``images`` → (float32 images, one-hot or None)."""
        if isinstance(data, (tuple, list)):
            images = data[0]
            labels = data[1] if len(data) > 1 else None
        else:
            images, labels = data, None
        images = ops.cast(images, "float32")
        if not self.conditional:
            return images, None
        if labels is None:
            raise ValueError(
                "A conditional GAN needs (images, one_hot) batches. Received: images only"
            )
        return images, ops.cast(labels, "float32")

    # ------------------------------------------------------------------ randomness
    def _replica_slice(self, draw, local_batch, tail):
        """Draw for the GLOBAL batch and keep this replica's rows.

        Costs a few extra numbers per step, and makes a step under N replicas see exactly
        the noise a single replica sees for the same global batch (and keeps replicas
        from drawing identical noise).
        """
        rid, n = _replica_context()
        full = draw((local_batch * n,) + tuple(tail))
        if n == 1:
            return full
        return full[rid * local_batch : (rid + 1) * local_batch]

    def random_normal(self, local_batch, tail, stddev=1.0):
        return self._replica_slice(
            lambda shape: keras.random.normal(shape, stddev=stddev, seed=self.seed_generator),
            local_batch,
            tail,
        )

    def random_uniform(self, local_batch, tail, minval=0.0, maxval=1.0):
        return self._replica_slice(
            lambda shape: keras.random.uniform(
                shape, minval=minval, maxval=maxval, seed=self.seed_generator
            ),
            local_batch,
            tail,
        )

    def sample_z(self, batch_size):
        """z ~ N(0, I), shape [batch_size, z_dim] (Radford; P0-P4 all use 100-d z)."""
        return self.random_normal(batch_size, (self.z_dim,))

    # ------------------------------------------------------------------ networks
    def generate_fake(self, z, labels, ctx=None, training=True):
        inputs = [z, labels] if self.conditional else z
        return ops.cast(self.generator(inputs, training=training), "float32")

    def discriminate(self, images, labels, ctx=None, training=True):
        inputs = [images, labels] if self.conditional else images
        return ops.cast(self.discriminator(inputs, training=training), "float32")

    # ------------------------------------------------------------------ gradients
    @staticmethod
    def replica_scaled(optimizer, loss):
        """The loss to differentiate: local mean / replica count, loss-scaled for fp16.

        Call INSIDE the tape. ``optimizer.apply`` SUM-reduces gradients across replicas
        and (LossScaleOptimizer) unscales them, so nothing is divided twice.
        """
        _, n = _replica_context()
        return optimizer.scale_loss(loss / float(n) if n > 1 else loss)

    @staticmethod
    def apply_gradients(optimizer, tape, scaled_loss, variables):
        # A variable the loss did not reach (a growing network's inactive stage) gets a
        # zero gradient, so the optimizer sees the same variable list every step.
        grads = tape.gradient(scaled_loss, variables)
        grads = [ops.zeros_like(v) if g is None else g for g, v in zip(grads, variables)]
        optimizer.apply(grads, variables)

    # ------------------------------------------------------------------ sampling API
    def generate(self, n: int, labels=None, seed: int | None = None, batch_size: int = 256):
        """``n`` images (float32 numpy [n, H, W, C] in [-1, 1]) from the generator.

        ``labels`` (conditional only): None cycles through the classes, an int gives one
        class, or int indices [n] / one-hot [n, C]. ``seed`` fixes z by the seed rule an
        exported generator follows too (:mod:`keras_medgan.models.latents`: numpy RNG, so
        the training random stream is not disturbed); None draws fresh noise.
        """
        n = int(n)
        z = latent_vectors(n, self.z_dim, seed)
        y = None
        if self.conditional:
            y = labels_to_one_hot(labels, self.num_classes, n)
        elif labels is not None:
            raise ValueError("This GAN is unconditional. Received: labels (expected None)")

        def predict(inputs):
            return ops.convert_to_numpy(self.generator(inputs, training=False))

        return images_from(
            predict, z, y, batch_size, lambda: tuple(self.generator.output_shape[1:])
        )


class CountingLossScaleOptimizer(NonFiniteStepHook, keras.optimizers.LossScaleOptimizer):
    """Keras's dynamic loss scaling, plus a count of the steps it skipped.

    A skipped step (non-finite scaled gradients) halves the scale and applies nothing;
    Keras counts neither, so a run whose every step is skipped looks like a run that
    trains. ``skipped_steps`` (an optimizer variable: checkpointed, resumed) is what the
    trainer's loss-scale monitor reports per epoch and stops on.

    ``warmup_skipped_steps`` counts the skips before the first applied step: the scale
    starts high on purpose (2**15) and halves until the gradients fit float16, so a
    penalised critic (WGAN-GP, ProGAN) skips its first two or three steps in every healthy
    run. Those are the search for the scale, not a sign of trouble; the monitor judges the
    steps after them."""

    def build(self, var_list):
        super().build(var_list)
        self.skipped_steps = self._counter("skipped_steps")
        self.warmup_skipped_steps = self._counter("warmup_skipped_steps")

    def _counter(self, name: str):
        return self.add_variable(
            shape=(),
            dtype="int",
            initializer=keras.initializers.Zeros(),
            aggregation="none",
            name=name,
        )

    def on_non_finite_step(self):
        self.skipped_steps.assign_add(1)
        before_first = ops.cast(ops.equal(self.iterations, 0), self.warmup_skipped_steps.dtype)
        self.warmup_skipped_steps.assign_add(before_first)


def _maybe_loss_scale(optimizer):
    if optimizer is None:
        raise ValueError("compile() needs both d_optimizer and g_optimizer. Received: None")
    policy = keras.mixed_precision.dtype_policy()
    if policy.name == "mixed_float16" and not isinstance(
        optimizer, keras.optimizers.LossScaleOptimizer
    ):
        return CountingLossScaleOptimizer(optimizer)
    return optimizer
