"""The (non-saturating) BCE GAN of P0-P2 with the small-data tricks as options.

D minimises the minimax BCE on logits; G minimises the non-saturating ``-log D(G(z))``
(Goodfellow's practical variant; what Radford's DCGAN and P0-P2 train with). By default
each update draws its own fakes (``forward="fresh"``, Goodfellow's Algorithm 1): D steps,
then G on new z through the updated D. ``forward="reuse"`` (the PyTorch DCGAN tutorial P0
follows) and ``"joint"`` (the TF DCGAN tutorial) run G once per step; docs/train.md
compares the three on the phantom.

Options (all off by default = the papers' plain DCGAN):

* ``label_smoothing``: one-sided (real target ``1 - s``; Salimans et al. use 0.1).
* ``flip_prob``: each real/fake label of D flipped with this probability (P3: 1/3; P1's
  "label inversion").
* ``label_noise``: soft noisy labels (P1's "real distributed noise"): each of D's targets
  moves U(0, n) toward 0.5 per image (real in (1-n, 1], fake in [0, n); applied after the
  flips, ``losses.noisy_targets``).
* ``instance_noise``: std of Gaussian noise added to BOTH real and fake inputs of D (P0:
  "random noise added to D's input"); with ``instance_noise_anneal_steps`` > 0 the std
  decays linearly to 0 over that many D updates (Sønderby et al.), else it stays fixed.
  "Updates" are APPLIED steps (``d_optimizer.iterations``; under float16 a step that loss
  scaling skips does not count, so the schedule does not run ahead of training).
* ``diffaugment``: DiffAugment policy, e.g. ``"translation,cutout,brightness"``, applied
  to real AND fake images before D in both steps (for ~100-image sets).
* ``gp_weight``: P1's "binary crossentropy loss using gradient penalty": the 1-centred
  penalty ``E[(||∇D(x̂)|| - 1)²]`` on real/fake interpolates (as WGAN-GP) added to D's loss.
* ``r1_weight``: zero-centred R1 ``γ/2·E[||∇D(x)||²]`` on real images (Mescheder 2018).
"""

from __future__ import annotations

from typing import ClassVar

from keras import ops

from keras_medgan.gans import losses
from keras_medgan.gans.augment import diff_augment, parse_policy
from keras_medgan.gans.base import GAN, GAN_FAMILIES
from keras_medgan.gans.options import Option, at_least, one_of, within


@GAN_FAMILIES.add
class BCEGAN(GAN):
    NAME = "bce"
    RECIPE = ("p2_dcgan64_brain_mri", ("optimizer", "lr", "beta_1"))  # Radford's Adam, as P2
    FAMILY_DEFAULTS: ClassVar[dict] = {"beta_2": 0.999}  # Adam's own; no paper changes it
    CRITIC = False
    OPTIONS: ClassVar[tuple] = (
        Option(
            "forward",
            "fresh",
            "fakes per step: fresh (new z for D and for G), reuse "
            "(one G forward, D first: PyTorch DCGAN tutorial), joint (one forward, "
            "both gradients: TF DCGAN tutorial)",
            flag="forward",
            kind=str,
            **one_of(*GAN.FORWARDS),
        ),
        Option(
            "label_smoothing",
            0.0,
            "one-sided, real target 1-s",
            flag="label_smoothing",
            **within(0.0, 0.5),
        ),
        Option(
            "flip_prob",
            0.0,
            "probability of flipping D's labels",
            flag="label_flip",
            **within(0.0, 1.0),
        ),
        Option(
            "label_noise",
            0.0,
            "soft noisy labels: targets move U(0,n) toward 0.5",
            flag="label_noise",
            **within(0.0, 0.5),
        ),
        Option(
            "instance_noise",
            0.0,
            "std of noise added to D's inputs (P0)",
            flag="instance_noise",
            **at_least(0.0),
        ),
        Option(
            "instance_noise_anneal_steps",
            0,
            "D updates over which the noise decays to 0",
            kind=int,
            **at_least(0),
        ),
        Option(
            "diffaugment",
            "",
            "DiffAugment policy, e.g. translation,cutout",
            flag="diffaugment",
            kind=str,
        ),
        Option("gp_weight", 0.0, "gradient penalty weight", flag="gp_weight", **at_least(0.0)),
        Option(
            "r1_weight",
            0.0,
            "R1 penalty weight (zero-centred, on reals)",
            flag="r1_weight",
            **at_least(0.0),
        ),
    )
    METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake")

    def __init__(self, generator, discriminator, z_dim=100, num_classes=0, **kwargs):
        super().__init__(generator, discriminator, z_dim=z_dim, num_classes=num_classes, **kwargs)
        self.diffaugment_ops = parse_policy(self.diffaugment)

    # -- what D sees --------------------------------------------------------------------
    def instance_noise_std(self):
        """Current instance-noise std (linear decay over D updates when annealed)."""
        if self.instance_noise_anneal_steps <= 0:
            return ops.convert_to_tensor(self.instance_noise, "float32")
        step = ops.cast(self.d_optimizer.iterations, "float32")
        frac = ops.maximum(0.0, 1.0 - step / float(self.instance_noise_anneal_steps))
        return self.instance_noise * frac

    def d_view(self, images, ctx):
        batch = ops.shape(images)[0]
        if self.diffaugment_ops:
            images = diff_augment(
                images, self.diffaugment_ops, lambda k: self.random_uniform(batch, (k,))
            )
        if self.instance_noise > 0:
            images = images + ctx["noise_std"] * self.random_normal(batch, tuple(images.shape[1:]))
        return images

    # -- the loss pair ------------------------------------------------------------------
    def begin_step(self, images, labels):
        batch = ops.shape(images)[0]
        flip_real = flip_fake = None
        if self.flip_prob > 0:
            flip_real = self.random_uniform(batch, (1,)) < self.flip_prob
            flip_fake = self.random_uniform(batch, (1,)) < self.flip_prob
        real_t, fake_t = losses.discriminator_targets(
            batch, self.label_smoothing, flip_real, flip_fake
        )
        if self.label_noise > 0:
            real_t = losses.noisy_targets(
                real_t, self.random_uniform(batch, (1,), maxval=self.label_noise)
            )
            fake_t = losses.noisy_targets(
                fake_t, self.random_uniform(batch, (1,), maxval=self.label_noise)
            )
        noise_std = self.instance_noise_std() if self.instance_noise > 0 else 0.0
        return {"real_targets": real_t, "fake_targets": fake_t, "noise_std": noise_std}

    def discriminator_loss(self, real_out, fake_out, real, fake, ctx):
        d_loss = losses.minimax_discriminator_loss(
            real_out, fake_out, ctx["real_targets"], ctx["fake_targets"]
        )
        return d_loss, {
            "d_real": ops.mean(ops.sigmoid(real_out)),
            "d_fake": ops.mean(ops.sigmoid(fake_out)),
        }

    def generator_loss(self, fake_out, fake, ctx):
        return losses.non_saturating_generator_loss(fake_out)
