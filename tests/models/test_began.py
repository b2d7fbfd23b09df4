"""BEGAN networks: shapes, the auto-encoder's output, stock-layer export."""

import keras
import numpy as np
import pytest

from keras_medgan.models import (
    ARCHS,
    began,
)


def test_registered():
    spec = ARCHS.get("began")
    assert spec.image_sizes == (32, 64, 128)
    assert spec.paper_defaults()["loss"] == "began" and spec.paper_defaults()["lr"] == 1e-4


@pytest.mark.parametrize("size", [32, 64])
def test_shapes(size):
    g = began.build_began_generator(z_dim=5, image_size=size, filters=3)
    d = began.build_began_discriminator(image_size=size, filters=3, hidden=4)
    z = np.random.default_rng(0).normal(size=(2, 5)).astype("float32")
    img = g(z)
    assert img.shape == (2, size, size, 1)
    assert np.abs(np.asarray(img)).max() <= 1.0  # tanh
    assert d(img).shape == (2, size, size, 1)  # a reconstruction, not a logit
    code = d.get_layer("enc_code")
    assert code.output.shape == (None, 4)
    # Encoder filters grow linearly: n, 2n, ... at 8×8.
    levels = began.encoder_levels(size)
    assert d.get_layer("enc_8_conv1").filters == 3 * levels


def test_parameter_count_hand_computed():
    # 32×32, n = 2, z = 3: dense 3→8·8·2 (+bias) = 3·128+128 = 512; per resolution
    # (8, 16, 32) two 3×3 convs 2→2: 3·2·(9·2·2+2) = 228; to_image 9·2·1+1 = 19.
    g = began.build_began_generator(z_dim=3, image_size=32, filters=2)
    assert g.count_params() == 512 + 228 + 19


def test_conditional():
    g = began.build_began_generator(z_dim=5, image_size=32, num_classes=2, filters=3)
    d = began.build_began_discriminator(image_size=32, num_classes=2, filters=3, hidden=4)
    z, y = np.zeros((2, 5), "float32"), np.eye(2, dtype="float32")
    img = np.asarray(g([z, y]))
    assert d([img, y]).shape == (2, 32, 32, 1)
    assert np.abs(np.asarray(img[0]) - np.asarray(img[1])).max() > 0  # label matters


def test_bad_size():
    with pytest.raises(ValueError, match="image_size=48"):
        began.build_began_generator(image_size=48)


def test_generator_exports_with_stock_layers(tmp_path):
    g = began.build_began_generator(z_dim=5, image_size=32, filters=3)
    g.save(tmp_path / "g.h5")
    loaded = keras.models.load_model(tmp_path / "g.h5", compile=False)
    z = np.ones((1, 5), "float32")
    np.testing.assert_allclose(loaded(z), g(z), atol=1e-6)
