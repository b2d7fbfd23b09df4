"""WGAN-GP (Gulrajani et al., 2017): Wasserstein loss + gradient penalty, λ = 10.

Defaults as Gulrajani: Adam lr 1e-4, beta_1 0, beta_2 0.9, n_critic 5, λ 10; α ~ U(0, 1)
per sample; ε inside the sqrt of the gradient norm (see ``losses.gradient_penalty``).
The critic must not use BatchNorm (the penalty is per sample; BN couples samples), so
this family asks the builder for ``critic=True`` (per-sample LayerNorm; see
``models.dcgan``). Logged: ``d_loss`` (critic loss incl. λ·gp), ``w_distance``
(E[D(x)] - E[D(G(z))]) and ``gp`` (from the step's last critic iteration).
"""

from __future__ import annotations

from typing import ClassVar

import tensorflow as tf
from keras import ops

from keras_medgan import losses
from keras_medgan.gans.base import GAN_FAMILIES
from keras_medgan.gans.wasserstein import WassersteinGAN


@GAN_FAMILIES.register("wgan-gp")
class WGANGP(WassersteinGAN):
    NAME = "wgan-gp"
    FAMILY_DEFAULTS: ClassVar[dict] = {"optimizer": "adam", "lr": 1e-4, "beta_1": 0.0, "beta_2": 0.9}
    CRITIC = True
    OPTIONS: ClassVar[dict] = {"gp_weight": 10.0, "n_critic": 5, "gp_epsilon": 1e-12}
    METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake", "w_distance", "gp")

    def __init__(self, generator, discriminator, z_dim=100, num_classes=0, *,
                 gp_weight=10.0, n_critic=5, gp_epsilon=1e-12, **kwargs):
        super().__init__(generator, discriminator, z_dim=z_dim, num_classes=num_classes,
                         n_critic=n_critic, **kwargs)
        if gp_weight < 0 or gp_epsilon < 0:
            raise ValueError(
                "gp_weight and gp_epsilon must be >= 0. "
                f"Received: gp_weight={gp_weight}, gp_epsilon={gp_epsilon}"
            )
        self.gp_weight = float(gp_weight)
        self.gp_epsilon = float(gp_epsilon)

    def critic_step(self, images, labels):
        batch = ops.shape(images)[0]
        fake = self.generate_fake(self.sample_z(batch), labels, training=True)
        alpha = self.random_uniform(batch, (1, 1, 1))
        with tf.GradientTape() as tape:
            real_scores = self.discriminate(images, labels)
            fake_scores = self.discriminate(fake, labels)
            gp = losses.gradient_penalty(
                lambda x: self.discriminate(x, labels), images, fake, alpha, self.gp_epsilon
            )
            d_loss = losses.wasserstein_discriminator_loss(real_scores, fake_scores)
            d_loss = d_loss + self.gp_weight * gp
            scaled = self.replica_scaled(self.d_optimizer, d_loss)
        self.apply_gradients(
            self.d_optimizer, tape, scaled, self.discriminator.trainable_variables
        )
        return {"d_loss": d_loss, "gp": gp, "real_scores": real_scores,
                "fake_scores": fake_scores}
