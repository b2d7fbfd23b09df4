"""Which way each loss pushes: signs of the gradients with respect to real and fake scores,
the gradient penalty at the interpolates (a critic whose gradient depends on where it is
evaluated), and a toy run where the generator's output moves toward the data.

A flipped sign or swapped argument keeps every loss finite and every weight moving, so
plumbing tests pass it; these fail it."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from keras_medgan.gans import GAN_FAMILIES, losses, make_optimizers
from keras_medgan.gans.began import reconstruction_loss, update_k

from .tiny import Z_DIM

SCORES = np.array([[0.3], [-1.2], [2.0], [0.0]], np.float32)


def _grad(fn, x):
    x = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = fn(x)
    return tape.gradient(y, x).numpy()


# (name, D loss(real, fake), G loss(fake)): every D loss falls as real scores rise and as
# fake scores fall; every G loss falls as fake scores rise.
PAIRS = [
    ("bce", losses.minimax_discriminator_loss, losses.non_saturating_generator_loss),
    ("bce-minimax", losses.minimax_discriminator_loss, losses.minimax_generator_loss),
    ("wasserstein", losses.wasserstein_discriminator_loss, losses.wasserstein_generator_loss),
]


@pytest.mark.parametrize("name, d_loss, g_loss", PAIRS, ids=[p[0] for p in PAIRS])
def test_loss_gradients_point_the_right_way(name, d_loss, g_loss):
    fake = SCORES[::-1].copy()
    d_real = _grad(lambda r: d_loss(r, tf.constant(fake)), SCORES)
    d_fake = _grad(lambda f: d_loss(tf.constant(SCORES), f), fake)
    g_fake = _grad(g_loss, fake)
    assert (d_real < 0).all(), f"{name}: D's loss must fall as D(real) rises"
    assert (d_fake > 0).all(), f"{name}: D's loss must fall as D(fake) falls"
    assert (g_fake < 0).all(), f"{name}: G's loss must fall as D(fake) rises"


def test_wasserstein_values_by_hand():
    real, fake = np.array([[2.0], [4.0]]), np.array([[1.0], [-1.0]])
    assert float(losses.wasserstein_discriminator_loss(real, fake)) == pytest.approx(0 - 3)
    assert float(losses.wasserstein_distance(real, fake)) == pytest.approx(3.0)
    assert float(losses.wasserstein_generator_loss(fake)) == pytest.approx(0.0)


def test_began_d_loss_rewards_reconstructing_real_and_failing_on_fake():
    x = np.full((2, 4, 4, 1), 0.5, np.float32)
    k = 0.3

    def d_loss(real_out, fake_out):
        return reconstruction_loss(x, real_out) - k * reconstruction_loss(x, fake_out)

    out = np.zeros_like(x)
    to_real = _grad(lambda r: d_loss(r, tf.constant(out)), out)
    to_fake = _grad(lambda f: d_loss(tf.constant(out), f), out)
    # moving the real reconstruction toward x lowers D's loss; moving the fake one toward
    # x raises it (D wants to reconstruct fakes badly)
    assert (to_real < 0).all() and (to_fake > 0).all()
    # k grows when fakes are reconstructed too well (γ·L(x) > L(G(z))) and stays in [0, 1]
    assert float(update_k(0.5, 1.0, 0.1, gamma=0.5, lambda_k=0.1)) == pytest.approx(0.54)
    assert float(update_k(0.5, 1.0, 0.9, gamma=0.5, lambda_k=0.1)) == pytest.approx(0.46)
    assert float(update_k(0.99, 10.0, 0.0, gamma=1.0, lambda_k=1.0)) == 1.0


def test_interpolate_runs_from_fake_at_alpha_zero_to_real_at_one():
    real, fake = np.ones((1, 2, 2, 1), np.float32), np.zeros((1, 2, 2, 1), np.float32)
    for a in (0.0, 0.25, 1.0):
        got = losses.interpolate(real, fake, np.full((1, 1, 1, 1), a, np.float32))
        assert np.allclose(got, a)


def _square_critic(size=4):
    """D(x) = ½·Σx² (through Keras layers): ∇D(x) = x, whose norm depends on x."""
    inputs = keras.Input((size, size, 1))
    x = layers.Flatten()(inputs)
    x = layers.Multiply()([x, x])
    out = layers.Dense(
        1, use_bias=False, kernel_initializer=keras.initializers.Constant(0.5), dtype="float32"
    )(x)
    return keras.Model(inputs, out)


def _tiny_generator(size=4):
    inputs = keras.Input((Z_DIM,))
    x = layers.Dense(size * size)(inputs)
    return keras.Model(inputs, layers.Reshape((size, size, 1))(layers.Activation("tanh")(x)))


@pytest.mark.parametrize("family", ["wgan-gp", "bce"])
def test_gradient_penalty_is_taken_at_the_interpolates(family, monkeypatch):
    """real = 1, fake = 0 over 16 pixels, α = ¼: at x̂ = ¼ the gradient norm is ¼·4 = 1 and
    the penalty is 0; at the real images it would be (4 − 1)² = 9, at the fakes 1."""
    cls = GAN_FAMILIES.get(family)
    gan = cls(
        generator=_tiny_generator(),
        discriminator=_square_critic(),
        z_dim=Z_DIM,
        gp_weight=10.0,
        seed=0,
    )
    monkeypatch.setattr(
        gan, "random_uniform", lambda batch, tail, *a, **k: tf.fill((batch, *tail), 0.25)
    )
    real, fake = tf.ones((3, 4, 4, 1)), tf.zeros((3, 4, 4, 1))
    total, logs = gan.penalty(real, fake, None, None, {})
    assert float(logs["gp"]) == pytest.approx(0.0, abs=1e-5)
    monkeypatch.setattr(
        gan, "random_uniform", lambda batch, tail, *a, **k: tf.fill((batch, *tail), 0.5)
    )
    total, logs = gan.penalty(real, fake, None, None, {})
    assert float(logs["gp"]) == pytest.approx(1.0, rel=1e-4)  # norm 2 → (2 − 1)²
    assert float(total) == pytest.approx(10.0, rel=1e-4)  # λ = 10


def _toy_images(n=64, size=4, level=0.6):
    """The 'data': every pixel ``level`` plus a little noise."""
    rng = np.random.default_rng(0)
    return np.clip(level + rng.normal(0, 0.05, (n, size, size, 1)), -1, 1).astype("float32")


def _toy_critic(size=4, critic=False):
    inputs = keras.Input((size, size, 1))
    x = layers.Flatten()(inputs)
    x = layers.Dense(16)(x)
    x = layers.LeakyReLU(0.2)(x)
    return keras.Model(inputs, layers.Dense(1, dtype="float32")(x))


#: WGAN's clipped critic (|w| ≤ 0.01) learns slowly: more steps
STEPS = {"bce": 60, "wgan": 200, "wgan-gp": 60}


@pytest.mark.parametrize(
    "family, options",
    [
        ("bce", {}),
        ("wgan", {"n_critic": 2}),
        ("wgan-gp", {"n_critic": 2}),
    ],
)
def test_a_short_run_moves_the_generator_toward_the_data(family, options):
    """Data at +0.6, a generator that starts near 0: a few dozen steps must bring its mean
    output toward +0.6 and leave the critic scoring real above fake. A sign flip in either
    loss sends the generator the other way (or leaves the critic preferring fakes)."""
    keras.utils.set_random_seed(3)
    cls = GAN_FAMILIES.get(family)
    gan = cls(
        generator=_tiny_generator(), discriminator=_toy_critic(), z_dim=Z_DIM, seed=3, **options
    )
    d_opt, g_opt = make_optimizers(family, lr=5e-3)
    if family == "wgan":  # RMSprop 5e-5 is WGAN's; this toy needs larger steps
        d_opt, g_opt = keras.optimizers.RMSprop(5e-3), keras.optimizers.RMSprop(5e-3)
    gan.compile(d_opt, g_opt, run_eagerly=False)
    z = np.random.default_rng(1).normal(size=(256, Z_DIM)).astype("float32")
    before = float(np.mean(gan.generator.predict(z, verbose=0)))
    data = tf.data.Dataset.from_tensor_slices(_toy_images()).batch(16, drop_remainder=True)
    gan.fit(data.repeat(), steps_per_epoch=STEPS[family], epochs=1, verbose=0, shuffle=False)
    after = float(np.mean(gan.generator.predict(z, verbose=0)))
    assert abs(before) < 0.3
    assert after > before + 0.2, (family, before, after)  # toward +0.6
    real_score = float(np.mean(gan.discriminator.predict(_toy_images(16), verbose=0)))
    fake_score = float(
        np.mean(gan.discriminator.predict(gan.generator.predict(z[:16], verbose=0), verbose=0))
    )
    assert real_score >= fake_score - 1e-3, (family, real_score, fake_score)
