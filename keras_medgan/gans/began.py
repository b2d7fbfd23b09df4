"""BEGAN (Berthelot, Schumm & Metz 2017): an auto-encoder critic and a balance term k_t.

The discriminator ``D`` is an auto-encoder (``keras_medgan.models.began``); its loss of an
image is the L1 reconstruction error ``L(v) = mean|v - D(v)|``. With ``z_D, z_G`` noise:

    L_D = L(x) - k_t · L(G(z_D))          (D reconstructs reals, fails on fakes)
    L_G = L(G(z_G))                        (G makes images D reconstructs well)
    k_{t+1} = clip(k_t + λ_k · (γ · L(x) - L(G(z_G))), 0, 1)

γ = E[L(G(z))] / E[L(x)] is the diversity ratio the balance aims at (0.5 here, as P4/the
paper's default), λ_k = 0.001 the proportional gain, k_0 = 0. The global convergence
measure ``M = L(x) + |γ·L(x) - L(G(z_G))|`` falls as training converges; it is logged
as ``m_global`` (mean over the epoch, like every logged metric) next to ``k``.

As in the paper's code both networks step on one forward pass (z_D = z_G, the skeleton's
``FORWARD = "joint"``); k is updated from that step's losses. ``d_real``/``d_fake`` are L(x) and L(G(z)).

The paper's learning rate, 1e-4, is "decayed by a factor of 2 when the measure of
convergence stalls". The paper does not define a stall; here it is ``lr_decay_patience``
epochs (default 10; 0 turns the decay off) without a new lowest epoch-mean M. The
learning rates live in the optimizers, so checkpoints and ``--resume`` keep them; the
patience counter restarts on resume.
"""

from __future__ import annotations

import math
from typing import ClassVar

import keras
from keras import ops

from keras_medgan.gans.base import GAN, GAN_FAMILIES
from keras_medgan.gans.options import Option, at_least, within


def reconstruction_loss(images, reconstructions):
    """BEGAN's ``L(v) = mean |v - D(v)|`` (η = 1), averaged over pixels and the batch."""
    return ops.mean(ops.abs(ops.cast(images, "float32") - ops.cast(reconstructions, "float32")))


def update_k(k, loss_real, loss_fake, gamma, lambda_k):
    """``clip(k + λ_k (γ L(x) - L(G(z))), 0, 1)`` — the proportional control of k_t.

    A step whose losses are not finite (a float16 overflow, a diverging batch) leaves k as
    it was: ``clip(NaN)`` is NaN, and one NaN would make k NaN for every later step. A
    mixed-precision step skipped only because its scaled GRADIENTS overflowed, with finite
    losses, still updates k, on purpose: k follows the balance of the losses, and those
    losses were measured."""
    k, loss_real, loss_fake = (ops.cast(v, "float32") for v in (k, loss_real, loss_fake))
    balance = gamma * loss_real - loss_fake
    updated = ops.clip(k + lambda_k * balance, 0.0, 1.0)
    return ops.where(ops.isfinite(balance), updated, k)


def convergence_measure(loss_real, loss_fake, gamma):
    """``M_global = L(x) + |γ L(x) - L(G(z))|`` (paper, eq. 5)."""
    loss_real, loss_fake = ops.cast(loss_real, "float32"), ops.cast(loss_fake, "float32")
    return loss_real + ops.abs(gamma * loss_real - loss_fake)


@GAN_FAMILIES.add
class BEGAN(GAN):
    """BEGAN's equilibrium game; see the module docstring."""

    NAME = "began"
    RECIPE = (
        "p4_began64",
        ("optimizer", "lr", "beta_1", "beta_2"),
    )  # Berthelot et al., as P4 trains it
    CRITIC = False
    FORWARD = "joint"
    OPTIONS: ClassVar[tuple] = (
        Option(
            "gamma",
            0.5,
            "diversity ratio E[L(G(z))]/E[L(x)]",
            valid=lambda v: 0.0 < v <= 1.0,
            rule="in (0, 1]",
        ),
        Option("lambda_k", 0.001, "proportional gain of k_t", **at_least(0.0)),
        Option("k_init", 0.0, "k_0", **within(0.0, 1.0, closed_high=True)),
        Option(
            "lr_decay_patience",
            10,
            "epochs without a new lowest M before the lr halves (0 = off)",
            kind=int,
            **at_least(0),
        ),
    )
    METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake", "k", "m_global")

    def __init__(self, generator, discriminator, z_dim=64, num_classes=0, **kwargs):
        super().__init__(generator, discriminator, z_dim=z_dim, num_classes=num_classes, **kwargs)
        k_init = self.k_init
        # A variable, so checkpoints (and --resume) carry the balance state.
        self.k = self.add_weight(
            name="k",
            shape=(),
            dtype="float32",
            trainable=False,
            initializer=lambda shape, dtype: ops.full(shape, k_init, dtype),
        )

    def begin_step(self, images, labels):
        # One read of k_t: the loss and the update both use it, so the logged k is the k
        # of this step (a bare variable read could be ordered after the assign below).
        return {"k_t": ops.add(ops.cast(self.k, "float32"), 0.0)}

    def discriminator_loss(self, real_out, fake_out, real, fake, ctx):
        loss_real = reconstruction_loss(real, real_out)
        loss_fake = reconstruction_loss(fake, fake_out)
        return loss_real - ctx["k_t"] * loss_fake, {"d_real": loss_real, "d_fake": loss_fake}

    def generator_loss(self, fake_out, fake, ctx):
        return reconstruction_loss(fake, fake_out)

    def end_step(self, logs, ctx):
        k_t, loss_real, loss_fake = ctx["k_t"], logs["d_real"], logs["g_loss"]
        self.k.assign(update_k(k_t, loss_real, loss_fake, self.gamma, self.lambda_k))
        logs.update(k=k_t, m_global=convergence_measure(loss_real, loss_fake, self.gamma))
        return logs

    def training_callbacks(self, config=None, stage_export_dir=None):
        """Callbacks the trainer adds to ``fit``: the paper's lr halving on a stalled M."""
        if not self.lr_decay_patience:
            return []
        return [HalveLearningRateOnStall(self.lr_decay_patience)]


class HalveLearningRateOnStall(keras.callbacks.Callback):
    """Halves both optimizers' learning rates when ``monitor`` has not improved for
    ``patience`` epochs (BEGAN: M, the global convergence measure; lower is better).

    ``keras.callbacks.ReduceLROnPlateau`` changes only ``model.optimizer``; a GAN has two.
    """

    def __init__(
        self,
        patience: int,
        monitor: str = "m_global",
        factor: float = 0.5,
        min_lr: float = 1e-7,
        print_fn=print,
    ):
        super().__init__()
        if patience < 1 or not 0.0 < factor < 1.0:
            raise ValueError(
                f"need patience >= 1 and 0 < factor < 1. "
                f"Received: patience={patience}, factor={factor}"
            )
        self.patience, self.monitor, self.factor, self.min_lr = patience, monitor, factor, min_lr
        self.print = print_fn
        self.best = math.inf
        self.wait = 0
        self.decays = []  # (epoch, new learning rate), for logs and tests

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not math.isfinite(float(value)):
            return
        if float(value) < self.best:
            self.best, self.wait = float(value), 0
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        self.wait = 0
        new = None
        for optimizer in (self.model.d_optimizer, self.model.g_optimizer):
            old = float(ops.convert_to_numpy(optimizer.learning_rate))
            new = max(old * self.factor, self.min_lr)
            optimizer.learning_rate = new
        self.decays.append((epoch + 1, new))
        self.print(
            f"  {self.monitor} stalled for {self.patience} epochs (best "
            f"{self.best:.4f}): learning rate halved to {new:.3g}"
        )
