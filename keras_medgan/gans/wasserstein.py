"""What the two Wasserstein families share: the n_critic loop and the generator step.

With ``model.fit`` a step sees one real batch, so each step runs ``n_critic`` critic
updates on that batch (fresh z each time) and then one generator update -- the keras.io
convention. Arjovsky/Gulrajani draw a fresh real batch per critic iteration; over an epoch
the critic still sees every image ``n_critic`` times. Scores are raw critic outputs:
``d_real``/``d_fake`` are their batch means and ``w_distance = d_real - d_fake`` is the
critic's estimate of W1 (from the last critic iteration of the step).
"""

from __future__ import annotations

import tensorflow as tf
from keras import ops

from keras_medgan import losses
from keras_medgan.gans.base import GAN


class WassersteinGAN(GAN):
    """Base of ``wgan`` and ``wgan-gp``; subclasses implement :meth:`critic_step`."""

    METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake", "w_distance")

    def __init__(self, generator, discriminator, z_dim=100, num_classes=0, *, n_critic=5,
                 **kwargs):
        super().__init__(generator, discriminator, z_dim=z_dim, num_classes=num_classes, **kwargs)
        if int(n_critic) < 1:
            raise ValueError(f"n_critic must be >= 1. Received: n_critic={n_critic}")
        self.n_critic = int(n_critic)

    def critic_step(self, images, labels) -> dict:
        """One critic update; returns at least d_loss, real_scores, fake_scores."""
        raise NotImplementedError

    def generator_step(self, batch, labels):
        z = self.sample_z(batch)
        with tf.GradientTape() as tape:
            fake_scores = self.discriminate(self.generate_fake(z, labels, training=True), labels)
            g_loss = losses.wasserstein_generator_loss(fake_scores)
            scaled = self.replica_scaled(self.g_optimizer, g_loss)
        self.apply_gradients(self.g_optimizer, tape, scaled, self.generator.trainable_variables)
        return g_loss

    def train_batch(self, images, labels):
        for _ in range(self.n_critic):
            out = self.critic_step(images, labels)
        real_scores, fake_scores = out.pop("real_scores"), out.pop("fake_scores")
        out.update(
            g_loss=self.generator_step(ops.shape(images)[0], labels),
            d_real=ops.mean(real_scores),
            d_fake=ops.mean(fake_scores),
            w_distance=losses.wasserstein_distance(real_scores, fake_scores),
        )
        return out
