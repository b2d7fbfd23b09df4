"""What the two Wasserstein families share: the loss pair and the n_critic schedule.

With ``model.fit`` a step sees one real batch, so each step runs ``n_critic`` critic
updates on that batch (fresh z each time) and then one generator update with fresh z --
the keras.io convention (the skeleton in ``gans.base`` does the looping). Arjovsky /
Gulrajani draw a fresh real batch per critic iteration; over an epoch the critic still
sees every image ``n_critic`` times. Scores are raw critic outputs: ``d_real``/``d_fake``
are their batch means and ``w_distance = d_real - d_fake`` is the critic's estimate of
W1 (from the last critic iteration of the step).
"""

from __future__ import annotations

from keras import ops

from keras_medgan.gans import losses
from keras_medgan.gans.base import GAN
from keras_medgan.gans.options import Option, at_least

N_CRITIC = Option(
    "n_critic", 5, "critic steps per G step", flag="n_critic", kind=int, **at_least(1)
)


class WassersteinGAN(GAN):
    """Base of ``wgan`` and ``wgan-gp``: the Wasserstein loss pair."""

    METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake", "w_distance")

    def discriminator_loss(self, real_out, fake_out, real, fake, ctx):
        return losses.wasserstein_discriminator_loss(real_out, fake_out), {
            "d_real": ops.mean(real_out),
            "d_fake": ops.mean(fake_out),
            "w_distance": losses.wasserstein_distance(real_out, fake_out),
        }

    def generator_loss(self, fake_out, fake, ctx):
        return losses.wasserstein_generator_loss(fake_out)
