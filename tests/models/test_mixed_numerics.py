"""Every registered architecture stays finite under mixed precision on the inputs that
break float16 arithmetic: an all-zero latent (zero activations: PixelNorm's 0 · 1/sqrt(0)),
a tiny latent (squares underflow), a batch of identical constant images (MinibatchStdDev's
sqrt(0 + eps) with eps rounded to 0). Outputs are float32 and every gradient — of the
weights, and of the images (WGAN-GP's penalty) — is finite."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_medgan.core.runtime import precision_policy
from keras_medgan.models import ARCHS

#: Small widths so every architecture builds in a moment (structure unchanged).
SMALL = {"pggan": {"fmap_base": 64, "fmap_max": 16}, "began": {"filters": 8, "hidden": 8}}
PAPER_ARCHS = ("dcgan32", "dcgan64", "dcgan128", "began", "pggan")
BATCH = 4
Z_DIM = 16


def _finite(tensors) -> bool:
    """Every tensor finite; None (a weight of a stage this call does not use) is skipped,
    but at least one must be there."""
    present = [t for t in tensors if t is not None]
    return bool(present) and all(
        bool(np.all(np.isfinite(np.asarray(t, np.float32)))) for t in present
    )


def _cases():
    """float16 has no fast CPU kernels: the full-width DCGANs take minutes there, so their
    float16 cases run with ``-m slow`` (their normalisation is Keras BatchNorm, float32
    under any policy); bf16 runs for all."""
    for arch in PAPER_ARCHS:
        for precision in ("fp16", "bf16"):
            slow = precision == "fp16" and arch.startswith("dcgan")
            yield pytest.param(
                arch, precision, id=f"{arch}-{precision}", marks=[pytest.mark.slow] if slow else []
            )


@pytest.mark.parametrize("arch, precision", list(_cases()))
def test_generator_is_finite_on_zero_and_tiny_latents(arch, precision):
    spec = ARCHS.get(arch)
    size = spec.image_sizes[0]
    with precision_policy(precision):
        keras.utils.set_random_seed(0)
        g = spec.build_generator(z_dim=Z_DIM, image_size=size, **SMALL.get(arch, {}))
        zero = np.zeros((BATCH, Z_DIM), np.float32)
        tiny = np.full((BATCH, Z_DIM), 1e-4, np.float32)
        normal = np.random.default_rng(0).normal(size=(BATCH, Z_DIM)).astype(np.float32)
        for z in (zero, tiny, normal):
            grads_wanted = z is not zero
            z = tf.constant(z)
            with tf.GradientTape() as tape:
                tape.watch(z)
                images = g(z, training=True)
                loss = tf.reduce_mean(tf.cast(images, tf.float32))
            assert images.dtype == tf.float32, f"{arch} generator outputs {images.dtype}"
            assert _finite([images]), f"{arch} {precision}: non-finite images"
            if grads_wanted:
                # (at an exactly zero latent the true derivative of ProGAN's PixelNorm is
                # 1/sqrt(eps) = 1e4 per layer, 1e12 through three: beyond float16 in any
                # arithmetic, which is what loss scaling's skipped steps are for)
                grads = tape.gradient(loss, [*g.trainable_weights, z])
                assert _finite(grads), f"{arch} {precision}: non-finite generator gradients"


@pytest.mark.parametrize("arch, precision", list(_cases()))
def test_discriminator_is_finite_on_identical_constant_images(arch, precision):
    spec = ARCHS.get(arch)
    size = spec.image_sizes[0]
    with precision_policy(precision):
        keras.utils.set_random_seed(0)
        d = spec.build_discriminator(image_size=size, critic=True, **SMALL.get(arch, {}))
        for value in (-1.0, 0.0):
            x = tf.constant(np.full((BATCH, size, size, 1), value, np.float32))
            with tf.GradientTape(persistent=True) as tape:
                tape.watch(x)
                out = d(x, training=True)
                score = tf.reduce_mean(tf.cast(out, tf.float32))
            assert out.dtype == tf.float32, f"{arch} discriminator outputs {out.dtype}"
            grads = tape.gradient(score, [*d.trainable_weights, x])
            assert _finite([out]), f"{arch} {precision}: non-finite scores"
            assert _finite(grads), f"{arch} {precision}: non-finite gradients on x = {value}"


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_baked_pggan_generator_keeps_pixel_norm_in_float32(precision):
    """The exported ProGAN generator is stock layers; its pixel norm is UnitNormalization,
    whose sum of squares overflowed float16 (an fp16 run's report grid hit it). A latent
    of norm² 16 · 100² = 160 000 > 65 504 must give the float32 bake's images, and
    ``compute_in`` must not recast the layer."""
    from keras_medgan.generators.loading import compute_in

    spec = ARCHS.get("pggan")
    big = np.full((BATCH, Z_DIM), 100.0, np.float32)
    keras.utils.set_random_seed(0)
    g32 = spec.build_generator(z_dim=Z_DIM, image_size=8, **SMALL["pggan"])
    reference = np.asarray(g32.bake()(big))
    with precision_policy(precision):
        keras.utils.set_random_seed(0)
        g = spec.build_generator(z_dim=Z_DIM, image_size=8, **SMALL["pggan"])
        g.set_weights(g32.get_weights())
        baked = g.bake()
        units = [la for la in baked.layers if isinstance(la, keras.layers.UnitNormalization)]
        assert units and all(la.dtype_policy.name == "float32" for la in units)
        images = np.asarray(baked(big))
    assert np.all(np.isfinite(images))
    np.testing.assert_allclose(images, reference, atol=0.05 if precision == "fp16" else 0.1)
    recast = compute_in(g32.bake(), "bf16")  # fp16 is refused on a CPU
    assert all(
        la.dtype_policy.name == "float32"
        for la in recast.layers
        if isinstance(la, keras.layers.UnitNormalization)
    )
    assert any(la.dtype_policy.name.startswith("mixed") for la in recast.layers)
