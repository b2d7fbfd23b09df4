"""ProGAN's layers against hand/numpy computations."""

import math

import keras
import numpy as np
import pytest
from scipy.signal import correlate

from keras_medgan.models import layers as L


def _rng():
    return np.random.default_rng(0)


def test_pixel_norm_matches_formula():
    x = _rng().normal(size=(2, 3, 3, 5)).astype("float32")
    expected = x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + 1e-8)
    np.testing.assert_allclose(L.PixelNorm()(x), expected, rtol=1e-5, atol=1e-6)
    # Every pixel's feature vector ends with mean square 1.
    out = np.asarray(L.PixelNorm()(x))
    np.testing.assert_allclose(np.mean(out**2, axis=-1), 1.0, rtol=1e-5)


def test_stock_pixel_norm_equals_pixel_norm():
    x = _rng().normal(size=(2, 4, 4, 7)).astype("float32")
    inp = keras.Input((4, 4, 7))
    stock = keras.Model(inp, L.stock_pixel_norm(inp, "pn"))
    names = {type(layer).__name__ for layer in stock.layers}
    assert names == {"InputLayer", "UnitNormalization", "Rescaling"}
    np.testing.assert_allclose(stock(x), L.PixelNorm()(x), rtol=1e-5, atol=1e-6)


def test_he_scale():
    assert L.he_scale(9 * 16) == pytest.approx(math.sqrt(2) / 12)
    assert L.he_scale(4, gain=1.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="fan_in"):
        L.he_scale(0)


def test_equalized_conv_runtime_scale_and_output():
    layer = L.EqualizedConv2D(2, 3, gain=math.sqrt(2))
    x = _rng().normal(size=(1, 5, 5, 4)).astype("float32")
    out = np.asarray(layer(x))
    # fan_in = 3·3·4 = 36 → c = sqrt(2)/6
    assert layer.runtime_scale == pytest.approx(math.sqrt(2) / 6)
    kernel = np.asarray(layer.kernel)
    # Stored weights are N(0, 1), not pre-scaled.
    assert 0.5 < kernel.std() < 1.5
    np.testing.assert_allclose(layer.folded_kernel(), kernel * math.sqrt(2) / 6, rtol=1e-6)
    padded = np.pad(x[0], ((1, 1), (1, 1), (0, 0)))
    for f in range(2):
        expected = correlate(padded, kernel[..., f] * math.sqrt(2) / 6, mode="valid")[..., 0]
        np.testing.assert_allclose(out[0, ..., f], expected, rtol=1e-4, atol=1e-5)


def test_equalized_dense_runtime_scale_and_output():
    layer = L.EqualizedDense(3, gain=1.0)
    x = _rng().normal(size=(2, 16)).astype("float32")
    out = np.asarray(layer(x))
    assert layer.runtime_scale == pytest.approx(0.25)
    layer.bias.assign(np.array([1.0, 2.0, 3.0], "float32"))
    out = np.asarray(layer(x))
    np.testing.assert_allclose(
        out, x @ (np.asarray(layer.kernel) * 0.25) + [1, 2, 3], rtol=1e-5, atol=1e-5
    )


def _numpy_mbstd(x, group):
    """The reference implementation's computation, written out."""
    b, h, w, c = x.shape
    y = x.reshape(group, b // group, h, w, c)
    y = y - y.mean(axis=0, keepdims=True)
    y = np.sqrt((y**2).mean(axis=0) + 1e-8)
    y = y.mean(axis=(1, 2, 3))  # [B/G]
    feature = np.tile(y, group)  # sample i gets y[i % (B/G)]
    return np.concatenate([x, np.broadcast_to(feature[:, None, None, None], (b, h, w, 1))], -1)


@pytest.mark.parametrize("batch, group_size, group", [(8, 4, 4), (6, 4, 3), (4, 4, 4), (5, 4, 1)])
def test_minibatch_stddev_matches_numpy(batch, group_size, group):
    x = _rng().normal(size=(batch, 3, 3, 2)).astype("float32")
    assert L.minibatch_stddev_group(batch, group_size) == group
    out = np.asarray(L.MinibatchStdDev(group_size)(x))
    assert out.shape == (batch, 3, 3, 3)
    np.testing.assert_allclose(out, _numpy_mbstd(x, group), rtol=1e-5, atol=1e-6)


def test_minibatch_stddev_hand_value():
    # Two images, constant 0 and constant 2: per-pixel stddev over the group is 1.
    x = np.stack([np.zeros((2, 2, 1)), np.full((2, 2, 1), 2.0)]).astype("float32")
    out = np.asarray(L.MinibatchStdDev(2)(x))
    np.testing.assert_allclose(out[..., 1], 1.0, rtol=1e-6)


def test_resampling_helpers():
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    up = np.asarray(L.upsample(x, 2))
    assert up.shape == (1, 8, 8, 1) and up[0, 1, 1, 0] == 0 and up[0, 2, 3, 0] == 5
    np.testing.assert_array_equal(L.downsample(up, 2), x)  # average of copies = original
    np.testing.assert_allclose(L.downsample(x, 2)[0, 0, 0, 0], (0 + 1 + 4 + 5) / 4)
    assert float(L.lerp(2.0, 6.0, 0.25)) == 3.0
