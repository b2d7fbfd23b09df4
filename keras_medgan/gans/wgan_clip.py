"""WGAN with weight clipping (Arjovsky et al., 2017; P4's recipe).

P4: "WGAN with DCGAN's network, 100-d z, 100 epochs, batch 64, RMSprop lr 5e-5, weight
clipping, n_critic critic steps per G step". Defaults: c = 0.01, n_critic = 5 (see
``wasserstein.py`` for how the n_critic loop maps onto ``fit``).

The critic keeps DCGAN's BatchNorm, as in Arjovsky's DCGAN critic (``CRITIC = False``).
Every trainable critic weight (BN's gamma/beta included) is clipped to [-c, c] at
construction and after each critic update: clipping is a :class:`Clip` constraint on each
critic variable, which Keras's optimizer applies right after the variable's update.
"""

from __future__ import annotations

from typing import ClassVar

import keras
from keras import ops

from keras_medgan.gans.base import GAN_FAMILIES
from keras_medgan.gans.options import Option, above
from keras_medgan.gans.wasserstein import N_CRITIC, WassersteinGAN


class Clip(keras.constraints.Constraint):
    """``clip(w, -c, c)``: Arjovsky's weight clipping as a Keras variable constraint."""

    def __init__(self, clip_value: float):
        self.clip_value = float(clip_value)

    def __call__(self, w):
        return ops.clip(w, -self.clip_value, self.clip_value)

    def get_config(self):
        return {"clip_value": self.clip_value}


@GAN_FAMILIES.add
class WGAN(WassersteinGAN):
    NAME = "wgan"
    RECIPE = ("p4_wgan64_brats", ("optimizer", "lr", "batch_size", "epochs"))  # P4 / Arjovsky
    CRITIC = False
    OPTIONS: ClassVar[tuple] = (
        Option("clip_value", 0.01, "weight clipping value", flag="clip", **above(0.0)),
        N_CRITIC,
    )

    def __init__(self, generator, discriminator, z_dim=100, num_classes=0, **kwargs):
        super().__init__(generator, discriminator, z_dim=z_dim, num_classes=num_classes, **kwargs)
        clip = Clip(self.clip_value)
        for variable in self.discriminator.trainable_variables:
            variable.constraint = clip
            variable.assign(clip(variable))
