"""WGAN with weight clipping (Arjovsky et al., 2017; P4's recipe).

P4: "WGAN with DCGAN's network, 100-d z, 100 epochs, batch 64, RMSprop lr 5e-5, weight
clipping, n_critic critic steps per G step". Defaults: c = 0.01, n_critic = 5 (see
``wasserstein.py`` for how the n_critic loop maps onto ``fit``).

The critic keeps DCGAN's BatchNorm, as in Arjovsky's DCGAN critic (``CRITIC = False``).
Every trainable critic weight (BN's gamma/beta included) is clipped to [-c, c] at
construction and after each critic update, inside the critic optimizer's per-variable
update (see ``clip_after_each_update``; ``compile`` patches the d_optimizer instance).
"""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf
from keras import ops

from keras_medgan import losses
from keras_medgan.gans.base import GAN_FAMILIES
from keras_medgan.gans.wasserstein import WassersteinGAN


def clip_after_each_update(optimizer, clip_value: float) -> None:
    """Make ``optimizer`` clip every variable it updates to [-c, c], inside its update.

    Keras's TF optimizer runs ``update_step`` per variable in the distribution strategy's
    update context, where an assign is legal and needs no extra cross-replica call (an
    assign from the replica step itself needs one). Patches this optimizer instance only;
    for a ``LossScaleOptimizer`` the inner optimizer is patched.
    """
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    already = getattr(inner, "_keras_medgan_clip", None) is not None
    inner._keras_medgan_clip = float(clip_value)
    if already:
        return
    original = inner.update_step

    def update_step(gradient, variable, learning_rate):
        original(gradient, variable, learning_rate)
        c = inner._keras_medgan_clip
        variable.assign(ops.clip(variable, -c, c))

    inner.update_step = update_step


def clip_variables(variables, clip_value: float) -> None:
    """Clip variables in place (outside a train step)."""
    for v in variables:
        v.assign(ops.clip(v, -clip_value, clip_value))


@GAN_FAMILIES.register("wgan")
class WGAN(WassersteinGAN):
    NAME = "wgan"
    FAMILY_DEFAULTS: ClassVar[dict] = {"optimizer": "rmsprop", "lr": 5e-5, "batch_size": 64, "epochs": 100}
    CRITIC = False
    OPTIONS: ClassVar[dict] = {"clip_value": 0.01, "n_critic": 5}

    def __init__(self, generator, discriminator, z_dim=100, num_classes=0, *,
                 clip_value=0.01, n_critic=5, **kwargs):
        super().__init__(generator, discriminator, z_dim=z_dim, num_classes=num_classes,
                         n_critic=n_critic, **kwargs)
        if clip_value <= 0:
            raise ValueError(f"clip_value must be > 0. Received: clip_value={clip_value}")
        self.clip_value = float(clip_value)
        clip_variables(self.discriminator.trainable_variables, self.clip_value)

    def compile(self, d_optimizer, g_optimizer, **kwargs):
        super().compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, **kwargs)
        clip_after_each_update(self.d_optimizer, self.clip_value)

    def critic_step(self, images, labels):
        batch = ops.shape(images)[0]
        fake = self.generate_fake(self.sample_z(batch), labels, training=True)
        with tf.GradientTape() as tape:
            real_scores = self.discriminate(images, labels)
            fake_scores = self.discriminate(fake, labels)
            d_loss = losses.wasserstein_discriminator_loss(real_scores, fake_scores)
            scaled = self.replica_scaled(self.d_optimizer, d_loss)
        self.apply_gradients(
            self.d_optimizer, tape, scaled, self.discriminator.trainable_variables
        )
        return {"d_loss": d_loss, "real_scores": real_scores, "fake_scores": fake_scores}
