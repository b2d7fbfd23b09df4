"""WGAN-GP (Gulrajani et al., 2017): Wasserstein loss + gradient penalty, λ = 10.

Defaults as Gulrajani: Adam lr 1e-4, beta_1 0, beta_2 0.9, n_critic 5, λ 10; α ~ U(0, 1)
per sample; ε inside the sqrt of the gradient norm (see ``losses.gradient_penalty``; the
penalty itself is ``GAN.penalty``). The critic must not use BatchNorm (the penalty is per
sample; BN couples samples), so this family asks the builder for ``critic=True``
(per-sample LayerNorm; see ``models.dcgan``). Logged: ``d_loss`` (critic loss incl.
λ·gp), ``w_distance`` (E[D(x)] - E[D(G(z))]) and ``gp`` (from the step's last critic
iteration).
"""

from __future__ import annotations

from typing import ClassVar

from keras_medgan.gans.base import GAN_FAMILIES
from keras_medgan.gans.options import Option, at_least
from keras_medgan.gans.wasserstein import N_CRITIC, WassersteinGAN

GP_EPSILON = Option("gp_epsilon", 1e-12, "epsilon inside the gradient norm's sqrt", **at_least(0.0))


@GAN_FAMILIES.add
class WGANGP(WassersteinGAN):
    NAME = "wgan-gp"
    RECIPE = (
        "p1_dcgan32_head_ct_wgangp",
        ("optimizer", "lr", "beta_1", "beta_2"),
    )  # Gulrajani et al.'s Adam
    CRITIC = True
    OPTIONS: ClassVar[tuple] = (
        Option("gp_weight", 10.0, "gradient penalty weight", flag="gp_weight", **at_least(0.0)),
        N_CRITIC,
        GP_EPSILON,
    )
    METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake", "w_distance", "gp")
