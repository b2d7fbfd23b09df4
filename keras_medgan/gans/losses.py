"""GAN losses as pure functions of discriminator LOGITS (no sigmoid anywhere).

Every discriminator in keras_medgan outputs a logit; the papers' sigmoid outputs (P1, P2)
are applied here in a numerically stable form (``from_logits``). Each loss returns a
scalar: the mean over the (local) batch. The train steps divide by the replica count
before differentiating (see ``gans.base.GAN.replica_scaled``).

Pairs (as in TF-GAN's ``losses_impl``):

* ``minimax_discriminator_loss`` / ``minimax_generator_loss`` (Goodfellow 2014, the
  saturating game) and ``non_saturating_generator_loss`` (what every DCGAN paper
  actually trains with: maximise log D(G(z)));
* ``wasserstein_discriminator_loss`` / ``wasserstein_generator_loss`` (Arjovsky 2017);
* ``gradient_penalty`` (Gulrajani 2017), with α ~ U(0, 1) per sample and ε inside the sqrt;
* ``r1_penalty`` (Mescheder 2018): zero-centred gradient penalty on real images;
* ``discriminator_targets``: one-sided label smoothing (Salimans 2016) and label flipping
  (P3: D's labels flipped once in three times).
"""

from __future__ import annotations

import tensorflow as tf
from keras import ops


def sigmoid_cross_entropy(targets, logits):
    """Elementwise BCE of ``sigmoid(logits)`` against ``targets``, stable for any logit:
    ``softplus(x) - x·t``, whose gradient is ``sigmoid(x) - t`` everywhere. (The common
    ``max(x, 0) - x·t + log(1 + exp(-|x|))`` has the same value, but autodiff takes the
    derivative of ``|x|`` at 0 as 0 and of ``max`` as 1, giving gradient 0 instead of
    ``0.5 - t`` at a logit of exactly 0.)"""
    logits = ops.cast(logits, "float32")
    targets = ops.cast(targets, "float32")
    return ops.softplus(logits) - logits * targets


def minimax_discriminator_loss(real_logits, fake_logits, real_targets=1.0, fake_targets=0.0):
    """``-E[log D(x)] - E[log(1 - D(G(z)))]`` (sum of the two batch means).

    ``real_targets``/``fake_targets`` are scalars or per-sample arrays; pass the output of
    :func:`discriminator_targets` for smoothing or flipping.
    """
    real_targets = ops.broadcast_to(ops.cast(real_targets, "float32"), ops.shape(real_logits))
    fake_targets = ops.broadcast_to(ops.cast(fake_targets, "float32"), ops.shape(fake_logits))
    return ops.mean(sigmoid_cross_entropy(real_targets, real_logits)) + ops.mean(
        sigmoid_cross_entropy(fake_targets, fake_logits)
    )


def minimax_generator_loss(fake_logits):
    """``E[log(1 - D(G(z)))]``, minimised by G: Goodfellow's saturating loss, kept for
    reference and tests (its gradient vanishes exactly when D wins)."""
    return -ops.mean(sigmoid_cross_entropy(ops.zeros_like(fake_logits), fake_logits))


def non_saturating_generator_loss(fake_logits):
    """``-E[log D(G(z))]``: the generator loss every DCGAN paper trains with."""
    return ops.mean(sigmoid_cross_entropy(ops.ones_like(fake_logits), fake_logits))


def discriminator_targets(batch_size, smoothing=0.0, flip_real=None, flip_fake=None):
    """(real_targets, fake_targets), each float32 [batch_size, 1].

    ``smoothing``: one-sided label smoothing -- real targets become ``1 - smoothing``,
    fake targets stay 0 (smoothing fakes would reward G's mistakes; Salimans et al.).
    ``flip_real``/``flip_fake``: boolean [batch_size, 1] masks; a flipped real is labelled
    fake (0) and a flipped fake is labelled real (``1 - smoothing``) -- P3's "labels of D
    flipped once in three times" with masks drawn at p = 1/3.
    """
    real_value = 1.0 - float(smoothing)
    real = ops.full((batch_size, 1), real_value, dtype="float32")
    fake = ops.zeros((batch_size, 1), dtype="float32")
    if flip_real is not None:
        real = ops.where(flip_real, ops.zeros_like(real), real)
    if flip_fake is not None:
        fake = ops.where(flip_fake, ops.full_like(fake, real_value), fake)
    return real, fake


def noisy_targets(targets, shifts):
    """Soft, noisy labels (P1's "real distributed noise"; Salimans et al. 2016, ganhacks):
    every target moves ``shifts`` (drawn per image, U(0, label_noise)) toward 0.5, so a
    real target 1 becomes a value in (1 - n, 1] and a fake target 0 one in [0, n).

    Pure: ``noisy_targets([[1.], [0.]], [[0.1], [0.2]])`` is ``[[0.9], [0.2]]``. Applied
    after flips, so a flipped (inverted) label is noisy too. Targets stay in [0, 1], where
    BCE has a minimum (ganhacks' 1.2 would push the logits to infinity).
    """
    targets = ops.cast(targets, "float32")
    shifts = ops.cast(shifts, "float32")
    return ops.where(targets > 0.5, targets - shifts, targets + shifts)


def wasserstein_discriminator_loss(real_scores, fake_scores):
    """Critic loss ``E[D(G(z))] - E[D(x)]`` (minimised; its negative estimates W1)."""
    return ops.mean(ops.cast(fake_scores, "float32")) - ops.mean(ops.cast(real_scores, "float32"))


def wasserstein_generator_loss(fake_scores):
    """``-E[D(G(z))]``."""
    return -ops.mean(ops.cast(fake_scores, "float32"))


def wasserstein_distance(real_scores, fake_scores):
    """The critic's estimate of W1: ``E[D(x)] - E[D(G(z))]`` (logged as ``w_distance``)."""
    return -wasserstein_discriminator_loss(real_scores, fake_scores)


def interpolate(real, fake, alpha):
    """``x̂ = α·x + (1 - α)·x̃`` per sample; ``alpha`` has shape [B, 1, 1, 1], α ~ U(0, 1)."""
    real = ops.cast(real, "float32")
    fake = ops.cast(fake, "float32")
    return fake + ops.cast(alpha, "float32") * (real - fake)


def gradient_norm_penalty(gradients, epsilon=1e-12):
    """``E[(||g||₂ - 1)²]`` with ``||g|| = sqrt(Σg² + ε)`` per sample.

    ε sits INSIDE the sqrt: the sqrt's derivative is infinite at 0, and the penalty is
    itself differentiated (a second-order term), so ``sqrt(Σg²) + ε`` would still give
    NaN for a zero gradient.
    """
    g = ops.cast(gradients, "float32")
    axes = tuple(range(1, len(g.shape)))
    norms = ops.sqrt(ops.sum(ops.square(g), axis=axes) + epsilon)
    return ops.mean(ops.square(norms - 1.0))


def gradient_penalty(critic, real, fake, alpha, epsilon=1e-12):
    """WGAN-GP penalty ``E[(||∇_x̂ D(x̂)||₂ - 1)²]`` at ``x̂ = interpolate(real, fake, α)``.

    ``critic`` maps an image batch to scores [B, 1] (close over labels for a conditional
    critic). Uses ``tf.GradientTape`` (Keras has no backend-neutral input gradient); the
    result is differentiable w.r.t. the critic's weights when called inside an outer tape.
    For a linear critic ``D(x) = w·x`` the gradient is ``w`` everywhere, so the penalty is
    exactly ``(sqrt(||w||² + ε) - 1)²``.
    """
    x_hat = interpolate(real, fake, alpha)
    with tf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = ops.cast(critic(x_hat), "float32")
    grads = tape.gradient(scores, x_hat)
    return gradient_norm_penalty(grads, epsilon=epsilon)


def r1_penalty(critic, real):
    """R1 (Mescheder et al. 2018): ``E[||∇_x D(x)||²]`` on REAL images, zero-centred.

    Multiply by γ/2 in the loss (``GAN.penalty`` does). For a linear critic
    ``D(x) = w·x`` it is exactly ``||w||²``.
    """
    real = ops.cast(real, "float32")
    with tf.GradientTape() as tape:
        tape.watch(real)
        scores = ops.cast(critic(real), "float32")
    grads = ops.cast(tape.gradient(scores, real), "float32")
    axes = tuple(range(1, len(grads.shape)))
    return ops.mean(ops.sum(ops.square(grads), axis=axes))
