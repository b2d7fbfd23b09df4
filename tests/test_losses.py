"""Losses against hand-computed values."""

import math

import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from keras_medgan.gans import losses


def softplus(x):
    return math.log1p(math.exp(x))


def val(x):
    return float(ops.convert_to_numpy(x))


def test_sigmoid_cross_entropy_values_and_stability():
    out = ops.convert_to_numpy(
        losses.sigmoid_cross_entropy(
            np.array([1.0, 0.0, 1.0, 0.0, 0.9]), np.array([0.0, 0.0, 2.0, 100.0, 1.0])
        )
    )
    expected = [
        math.log(2),
        math.log(2),
        softplus(-2.0),
        100.0,
        0.9 * softplus(-1.0) + 0.1 * softplus(1.0),
    ]
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_minimax_discriminator_loss():
    real, fake = np.array([[0.0], [2.0]]), np.array([[-1.0], [0.0]])
    expected = (math.log(2) + softplus(-2.0)) / 2 + (softplus(-1.0) + math.log(2)) / 2
    assert val(losses.minimax_discriminator_loss(real, fake)) == pytest.approx(expected, rel=1e-6)


def test_one_sided_label_smoothing():
    real, fake = np.array([[1.0]]), np.array([[-1.0]])
    real_t, fake_t = losses.discriminator_targets(1, smoothing=0.1)
    assert val(real_t[0, 0]) == pytest.approx(0.9) and val(fake_t[0, 0]) == 0.0
    expected = (0.9 * softplus(-1.0) + 0.1 * softplus(1.0)) + softplus(-1.0)
    got = losses.minimax_discriminator_loss(real, fake, real_t, fake_t)
    assert val(got) == pytest.approx(expected, rel=1e-6)


def test_label_flipping_masks():
    flip_real = np.array([[True], [False]])
    flip_fake = np.array([[False], [True]])
    real_t, fake_t = losses.discriminator_targets(2, 0.1, flip_real, flip_fake)
    np.testing.assert_allclose(ops.convert_to_numpy(real_t), [[0.0], [0.9]], rtol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(fake_t), [[0.0], [0.9]], rtol=1e-6)


def test_noisy_targets_move_toward_one_half():
    targets = np.array([[1.0], [0.0], [0.9], [0.0]])
    shifts = np.array([[0.1], [0.2], [0.05], [0.0]])
    got = ops.convert_to_numpy(losses.noisy_targets(targets, shifts))
    np.testing.assert_allclose(got, [[0.9], [0.2], [0.85], [0.0]], rtol=1e-6)


def test_noisy_flipped_labels_stay_in_unit_interval():
    flip = np.array([[True], [False]])
    real_t, fake_t = losses.discriminator_targets(2, 0.0, flip, flip)
    real_n = ops.convert_to_numpy(losses.noisy_targets(real_t, np.full((2, 1), 0.3)))
    fake_n = ops.convert_to_numpy(losses.noisy_targets(fake_t, np.full((2, 1), 0.3)))
    np.testing.assert_allclose(real_n, [[0.3], [0.7]], rtol=1e-6)  # flipped real -> 0 + 0.3
    np.testing.assert_allclose(fake_n, [[0.7], [0.3]], rtol=1e-6)  # flipped fake -> 1 - 0.3


def test_generator_losses():
    fake = np.array([[0.0], [3.0]])
    assert val(losses.non_saturating_generator_loss(fake)) == pytest.approx(
        (math.log(2) + softplus(-3.0)) / 2, rel=1e-6
    )
    assert val(losses.minimax_generator_loss(fake)) == pytest.approx(
        -(math.log(2) + softplus(3.0)) / 2, rel=1e-6
    )


def test_wasserstein_losses():
    real, fake = np.array([[1.0], [3.0]]), np.array([[0.5], [-0.5]])
    assert val(losses.wasserstein_discriminator_loss(real, fake)) == pytest.approx(-2.0)
    assert val(losses.wasserstein_generator_loss(fake)) == pytest.approx(0.0)
    assert val(losses.wasserstein_distance(real, fake)) == pytest.approx(2.0)


def test_interpolate_endpoints():
    real, fake = np.ones((2, 2, 2, 1), "float32"), np.zeros((2, 2, 2, 1), "float32")
    alpha = np.array([1.0, 0.25], "float32").reshape(2, 1, 1, 1)
    out = ops.convert_to_numpy(losses.interpolate(real, fake, alpha))
    np.testing.assert_allclose(out[0], 1.0)
    np.testing.assert_allclose(out[1], 0.25)


def test_gradient_norm_penalty_hand_values():
    grads = np.array([[3.0, 4.0], [0.0, 1.0]], "float32")  # norms 5 and 1
    assert val(losses.gradient_norm_penalty(grads, epsilon=0.0)) == pytest.approx(8.0)


def test_gradient_norm_penalty_epsilon_inside_sqrt_keeps_zero_gradient_finite():
    g = tf.Variable(np.zeros((1, 3), "float32"))
    with tf.GradientTape() as tape:
        penalty = losses.gradient_norm_penalty(g, epsilon=1e-12)
    grad = tape.gradient(penalty, g)
    assert val(penalty) == pytest.approx(1.0, abs=1e-5)
    assert np.all(np.isfinite(grad.numpy()))


@pytest.mark.parametrize("w_scale", [0.3, 1.0, 2.5])
def test_gradient_penalty_closed_form_on_linear_critic(w_scale):
    rng = np.random.default_rng(0)
    w = (w_scale * rng.normal(size=(1, 4, 4, 1))).astype("float32")
    w_norm = float(np.linalg.norm(w))

    def critic(x):
        return ops.sum(x * w, axis=(1, 2, 3))[:, None]

    real = rng.uniform(-1, 1, (3, 4, 4, 1)).astype("float32")
    fake = rng.uniform(-1, 1, (3, 4, 4, 1)).astype("float32")
    alpha = rng.uniform(0, 1, (3, 1, 1, 1)).astype("float32")
    gp = losses.gradient_penalty(critic, real, fake, alpha, epsilon=1e-12)
    assert val(gp) == pytest.approx((w_norm - 1.0) ** 2, rel=1e-5, abs=1e-6)


def test_gradient_penalty_is_differentiable_wrt_critic_weights():
    w = tf.Variable(np.full((1, 2, 2, 1), 2.0, "float32"))  # ||w|| = 4

    def critic(x):
        return tf.reduce_sum(x * w, axis=(1, 2, 3))[:, None]

    x = np.ones((2, 2, 2, 1), "float32")
    with tf.GradientTape() as tape:
        gp = losses.gradient_penalty(critic, x, -x, np.full((2, 1, 1, 1), 0.5, "float32"))
    grad = tape.gradient(gp, w).numpy()
    # d/dw (||w|| - 1)² = 2(||w|| - 1) · w / ||w|| = 2·3·2/4 = 3 for every entry.
    np.testing.assert_allclose(grad, 3.0, rtol=1e-5)


def test_r1_penalty_of_a_linear_critic_is_the_squared_weight_norm():
    w = tf.constant([[0.5], [-1.0], [2.0], [0.0]])

    def critic(x):
        return tf.reshape(x, (-1, 4)) @ w

    real = tf.random.normal((3, 2, 2, 1))
    assert float(losses.r1_penalty(critic, real)) == pytest.approx(0.25 + 1.0 + 4.0)
