"""Each loss family trains two steps on tiny data and moves both networks."""

import keras
import numpy as np
import pytest

from keras_medgan.core.runtime import set_precision
from keras_medgan.gans import GAN_FAMILIES, make_optimizers

from .tiny import Z_DIM, tiny_dataset, tiny_discriminator, tiny_generator

ALL_TRICKS = {
    "label_smoothing": 0.1,
    "flip_prob": 1 / 3,
    "label_noise": 0.2,
    "instance_noise": 0.1,
    "instance_noise_anneal_steps": 10,
    "diffaugment": "translation,cutout,brightness",
}


def make_gan(family, num_classes=0, run_eagerly=True, **options):
    keras.utils.set_random_seed(1)
    cls = GAN_FAMILIES.get(family)
    gan = cls(
        generator=tiny_generator(num_classes),
        discriminator=tiny_discriminator(num_classes, critic=cls.CRITIC),
        z_dim=Z_DIM,
        num_classes=num_classes,
        seed=7,
        **options,
    )
    gan.compile(*make_optimizers(family, lr=1e-3), run_eagerly=run_eagerly)
    return gan


def weights(model):
    return [np.array(w) for w in model.trainable_weights]


def changed(before, after, fraction=1.0):
    """At least ``fraction`` of the weight tensors moved."""
    moved = [not np.array_equal(a, b) for a, b in zip(before, after)]
    return sum(moved) >= fraction * len(moved)


@pytest.mark.parametrize(
    "family,num_classes,options,run_eagerly",
    [
        ("bce", 0, ALL_TRICKS, False),  # graph mode once: what fit really runs
        ("bce", 2, {}, True),  # conditional
        ("bce", 0, {"gp_weight": 10.0, "r1_weight": 1.0}, True),  # P1's BCE + penalties
        ("wgan", 0, {"n_critic": 2}, True),
        ("wgan-gp", 0, {"n_critic": 2}, True),
        ("wgan-gp", 2, {"n_critic": 1}, True),  # conditional critic inside the penalty
    ],
)
def test_two_steps_change_both_networks(family, num_classes, options, run_eagerly):
    gan = make_gan(family, num_classes, run_eagerly, **options)
    g0, d0 = weights(gan.generator), weights(gan.discriminator)
    history = gan.fit(tiny_dataset(num_classes=2), epochs=1, verbose=0, shuffle=False).history
    assert sorted(history) == sorted(gan.metric_names)
    assert {"gp", "r1"} <= set(history) if options.get("r1_weight") else True
    assert all(np.isfinite(v[-1]) for v in history.values())
    assert changed(g0, weights(gan.generator))
    d1 = weights(gan.discriminator)
    if family == "bce":
        assert changed(d0, d1)
    else:
        # The critic's output bias cancels in E[D(x)] - E[D(G(z))] (zero gradient), and a
        # clipped WGAN weight pushed outwards stays pinned at ±c.
        assert np.array_equal(d0[-1], d1[-1])
        assert changed(d0[:-1], d1[:-1], 0.5 if family == "wgan" else 1.0)
    assert int(gan.g_optimizer.iterations) == 2
    assert int(gan.d_optimizer.iterations) == 2 * options.get("n_critic", 1)


def test_bce_metrics_are_probabilities():
    history = make_gan("bce").fit(tiny_dataset(), epochs=1, verbose=0, shuffle=False).history
    assert 0.0 < history["d_real"][-1] < 1.0 and 0.0 < history["d_fake"][-1] < 1.0


def test_weight_clipping_bounds_every_critic_weight():
    gan = make_gan("wgan", n_critic=2, clip_value=0.01)
    # Construction already clips (Glorot/zeros init is outside ±0.01 for some kernels).
    assert max(float(np.abs(w).max()) for w in weights(gan.discriminator)) <= 0.01
    gan.fit(tiny_dataset(), epochs=1, verbose=0, shuffle=False)
    tops = [float(np.abs(w).max()) for w in weights(gan.discriminator)]
    assert max(tops) <= 0.01 + 1e-7
    assert max(tops) == pytest.approx(0.01)  # clipping was active, not vacuous


def test_wgan_gp_logs_w_distance_and_gp():
    history = (
        make_gan("wgan-gp", n_critic=1)
        .fit(tiny_dataset(), epochs=1, verbose=0, shuffle=False)
        .history
    )
    assert history["w_distance"][-1] == pytest.approx(
        history["d_real"][-1] - history["d_fake"][-1], abs=1e-5
    )
    # the critic's loss is E[D(fake)] − E[D(real)] + λ·gp with λ = 10 (sign and weight)
    assert history["d_loss"][-1] == pytest.approx(
        history["d_fake"][-1] - history["d_real"][-1] + 10.0 * history["gp"][-1], abs=1e-4
    )
    assert history["gp"][-1] > 0.0  # a random critic's gradient norm is not exactly 1


def test_conditional_generator_depends_on_label():
    gan = make_gan("bce", num_classes=2)
    a = gan.generate(4, labels=0, seed=3)
    b = gan.generate(4, labels=1, seed=3)
    assert a.shape == (4, 32, 32, 1) and a.dtype == np.float32
    assert np.abs(a - b).max() > 1e-4
    np.testing.assert_array_equal(a, gan.generate(4, labels=[0, 0, 0, 0], seed=3))
    np.testing.assert_array_equal(a, gan.generate(4, labels=np.eye(2)[[0, 0, 0, 0]], seed=3))
    with pytest.raises(ValueError, match="Received: labels"):
        gan.generate(2, labels=[0, 5])


def test_generate_is_seeded_and_bounded():
    gan = make_gan("bce")
    x = gan.generate(5, seed=0, batch_size=2)
    assert x.shape == (5, 32, 32, 1) and np.all(np.abs(x) <= 1.0)
    # same seed, same images; another batch size may round differently in the last bit
    np.testing.assert_allclose(x, gan.generate(5, seed=0), rtol=0, atol=1e-6)
    assert not np.array_equal(x, gan.generate(5, seed=1))
    with pytest.raises(ValueError, match="unconditional"):
        gan.generate(2, labels=[0, 1])


def test_conditional_gan_needs_labels():
    gan = make_gan("bce", num_classes=2)
    with pytest.raises(ValueError, match="one_hot"):
        gan.unpack(np.zeros((2, 32, 32, 1), "float32"))


@pytest.mark.parametrize(
    "family,bad",
    [
        ("bce", {"label_smoothing": 0.7}),
        ("bce", {"flip_prob": 1.0}),
        ("bce", {"diffaugment": "rotate"}),
        ("wgan", {"clip_value": 0.0}),
        ("wgan-gp", {"n_critic": 0}),
    ],
)
def test_bad_options_raise(family, bad):
    with pytest.raises(ValueError, match="Received"):
        make_gan(family, **bad)


def test_label_noise_targets_are_soft_and_bounded():
    gan = make_gan("bce", label_noise=0.3)
    ctx = gan.begin_step(np.zeros((256, 8, 8, 1), "float32"), None)
    real, fake = np.array(ctx["real_targets"]), np.array(ctx["fake_targets"])
    assert real.min() > 0.7 - 1e-6 and real.max() <= 1.0 and real.std() > 0.05
    assert fake.min() >= 0.0 and fake.max() < 0.3 + 1e-6 and fake.std() > 0.05
    with pytest.raises(ValueError, match="label_noise"):
        make_gan("bce", label_noise=0.5)


def test_instance_noise_anneals_linearly():
    gan = make_gan("bce", instance_noise=0.2, instance_noise_anneal_steps=4)
    assert float(gan.instance_noise_std()) == pytest.approx(0.2)
    gan.d_optimizer.iterations.assign(1)
    assert float(gan.instance_noise_std()) == pytest.approx(0.15)
    gan.d_optimizer.iterations.assign(9)
    assert float(gan.instance_noise_std()) == 0.0


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_steps_are_finite_with_float32_outputs(precision, fp32_policy):
    set_precision(precision)
    gan = make_gan("bce", run_eagerly=True)
    if precision == "fp16":
        assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)
        assert isinstance(gan.g_optimizer, keras.optimizers.LossScaleOptimizer)
    history = gan.fit(tiny_dataset(), epochs=1, verbose=0, shuffle=False).history
    assert all(np.isfinite(v[-1]) for v in history.values())
    z = np.zeros((2, Z_DIM), "float32")
    assert gan.generator(z).dtype == "float32"
    assert gan.discriminator(np.zeros((2, 32, 32, 1), "float32")).dtype == "float32"
    assert gan.generate(2, seed=0).dtype == np.float32


@pytest.mark.slow
def test_xla_step_runs():
    gan = make_gan("wgan-gp", n_critic=1, run_eagerly=False)
    gan.compile(*make_optimizers("wgan-gp", lr=1e-3), jit_compile=True)
    history = gan.fit(tiny_dataset(), epochs=1, verbose=0, shuffle=False).history
    assert all(np.isfinite(v[-1]) for v in history.values())
