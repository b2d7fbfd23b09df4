"""DiffAugment transforms: exact outputs for chosen random draws, and differentiable."""

import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from keras_medgan.gans.augment import (
    brightness,
    cutout,
    diff_augment,
    parse_policy,
    translation,
)


def image():
    return np.arange(1, 65, dtype="float32").reshape(1, 8, 8, 1)


def shifted(x, dy, dx):
    out = np.zeros_like(x)
    h, w = x.shape[1:3]
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[:, i, j] = x[:, i - dy, j - dx]
    return out


@pytest.mark.parametrize(
    "u,dy,dx", [((0.5, 0.5), 0, 0), ((0.0, 0.99), -1, 1), ((0.99, 0.0), 1, -1)]
)
def test_translation_matches_zero_filled_shift(u, dy, dx):
    # 8×8, ratio 1/8 → shifts in {-1, 0, 1}; u maps to floor(u·3) - 1.
    x = image()
    out = ops.convert_to_numpy(translation(x, np.array([u], "float32")))
    np.testing.assert_array_equal(out, shifted(x, dy, dx))


def test_cutout_zeroes_one_square():
    x = np.ones((1, 8, 8, 1), "float32")
    # centre (4, 4), side 4 → rows/cols 2..5 zeroed.
    out = ops.convert_to_numpy(cutout(x, np.array([[0.5, 0.5]], "float32")))[0, :, :, 0]
    expected = np.ones((8, 8), "float32")
    expected[2:6, 2:6] = 0.0
    np.testing.assert_array_equal(out, expected)


def test_brightness_adds_per_image_offset():
    x = np.zeros((2, 4, 4, 1), "float32")
    out = ops.convert_to_numpy(brightness(x, np.array([[0.75], [0.0]], "float32")))
    np.testing.assert_allclose(out[0], 0.25)
    np.testing.assert_allclose(out[1], -0.5)


def test_pipeline_is_differentiable():
    x = tf.Variable(image())
    u = np.array([[0.9, 0.1]], "float32")
    with tf.GradientTape() as tape:
        y = diff_augment(x, ("translation", "cutout", "brightness"), lambda k: u[:, :k])
        loss = tf.reduce_sum(y)
    grad = tape.gradient(loss, x).numpy()
    assert grad.shape == x.shape and 0 < grad.sum() < 64  # some pixels moved out / cut


def test_parse_policy():
    assert parse_policy("translation, cutout") == ("translation", "cutout")
    assert parse_policy(None) == () and parse_policy("") == ()
    with pytest.raises(ValueError, match="Received: 'color'"):
        parse_policy("color")
