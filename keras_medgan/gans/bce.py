"""The (non-saturating) BCE GAN of P0-P2 with the small-data tricks as options.

D minimises the minimax BCE on logits; G minimises the non-saturating ``-log D(G(z))``
(Goodfellow's practical variant; what Radford's DCGAN and P0-P2 train with).

Options (all off by default = the papers' plain DCGAN):

* ``label_smoothing``: one-sided (real target ``1 - s``; Salimans et al. use 0.1).
* ``flip_prob``: each real/fake label of D flipped with this probability (P3: 1/3; P1's
  "label inversion").
* ``instance_noise``: std of Gaussian noise added to BOTH real and fake inputs of D (P0:
  "random noise added to D's input"); with ``instance_noise_anneal_steps`` > 0 the std
  decays linearly to 0 over that many D updates (Sønderby et al.), else it stays fixed.
* ``diffaugment``: DiffAugment policy, e.g. ``"translation,cutout,brightness"``, applied
  to real AND fake images before D in both steps (for ~100-image sets).
"""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf
from keras import ops

from keras_medgan import losses
from keras_medgan.gans.augment import diff_augment, parse_policy
from keras_medgan.gans.base import GAN, GAN_FAMILIES


@GAN_FAMILIES.register("bce")
class BCEGAN(GAN):
    NAME = "bce"
    FAMILY_DEFAULTS: ClassVar[dict] = {"optimizer": "adam", "lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999}
    CRITIC = False
    OPTIONS: ClassVar[dict] = {
        "label_smoothing": 0.0,
        "flip_prob": 0.0,
        "instance_noise": 0.0,
        "instance_noise_anneal_steps": 0,
        "diffaugment": "",
    }
    METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(
        self,
        generator,
        discriminator,
        z_dim=100,
        num_classes=0,
        *,
        label_smoothing=0.0,
        flip_prob=0.0,
        instance_noise=0.0,
        instance_noise_anneal_steps=0,
        diffaugment="",
        **kwargs,
    ):
        super().__init__(generator, discriminator, z_dim=z_dim, num_classes=num_classes, **kwargs)
        if not 0.0 <= label_smoothing < 0.5:
            raise ValueError(
                f"label_smoothing must be in [0, 0.5). Received: label_smoothing={label_smoothing}"
            )
        if not 0.0 <= flip_prob < 1.0:
            raise ValueError(f"flip_prob must be in [0, 1). Received: flip_prob={flip_prob}")
        if instance_noise < 0 or instance_noise_anneal_steps < 0:
            raise ValueError(
                "instance_noise and instance_noise_anneal_steps must be >= 0. Received: "
                f"instance_noise={instance_noise}, "
                f"instance_noise_anneal_steps={instance_noise_anneal_steps}"
            )
        self.label_smoothing = float(label_smoothing)
        self.flip_prob = float(flip_prob)
        self.instance_noise = float(instance_noise)
        self.instance_noise_anneal_steps = int(instance_noise_anneal_steps)
        self.diffaugment = parse_policy(diffaugment)

    # -- what D sees --------------------------------------------------------------------
    def instance_noise_std(self):
        """Current instance-noise std (linear decay over D updates when annealed)."""
        if self.instance_noise_anneal_steps <= 0:
            return ops.convert_to_tensor(self.instance_noise, "float32")
        step = ops.cast(self.d_optimizer.iterations, "float32")
        frac = ops.maximum(0.0, 1.0 - step / float(self.instance_noise_anneal_steps))
        return self.instance_noise * frac

    def d_input(self, images, noise_std):
        batch = ops.shape(images)[0]
        if self.diffaugment:
            images = diff_augment(
                images, self.diffaugment, lambda k: self.random_uniform(batch, (k,))
            )
        if self.instance_noise > 0:
            images = images + noise_std * self.random_normal(batch, tuple(images.shape[1:]))
        return images

    # -- the step -----------------------------------------------------------------------
    def train_batch(self, images, labels):
        batch = ops.shape(images)[0]
        noise_std = self.instance_noise_std() if self.instance_noise > 0 else 0.0

        flip_real = flip_fake = None
        if self.flip_prob > 0:
            flip_real = self.random_uniform(batch, (1,)) < self.flip_prob
            flip_fake = self.random_uniform(batch, (1,)) < self.flip_prob
        real_t, fake_t = losses.discriminator_targets(
            batch, self.label_smoothing, flip_real, flip_fake
        )

        fake = self.generate_fake(self.sample_z(batch), labels, training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminate(self.d_input(images, noise_std), labels)
            fake_logits = self.discriminate(self.d_input(fake, noise_std), labels)
            d_loss = losses.minimax_discriminator_loss(real_logits, fake_logits, real_t, fake_t)
            scaled = self.replica_scaled(self.d_optimizer, d_loss)
        self.apply_gradients(
            self.d_optimizer, tape, scaled, self.discriminator.trainable_variables
        )

        z = self.sample_z(batch)
        with tf.GradientTape() as tape:
            fake = self.generate_fake(z, labels, training=True)
            g_logits = self.discriminate(self.d_input(fake, noise_std), labels)
            g_loss = losses.non_saturating_generator_loss(g_logits)
            scaled = self.replica_scaled(self.g_optimizer, g_loss)
        self.apply_gradients(self.g_optimizer, tape, scaled, self.generator.trainable_variables)

        return {
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": ops.mean(ops.sigmoid(real_logits)),
            "d_fake": ops.mean(ops.sigmoid(fake_logits)),
        }
