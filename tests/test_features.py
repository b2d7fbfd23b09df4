"""The pluggable feature extractors (keras_medgan.evaluate.features)."""

import numpy as np
import pytest

from keras_medgan.evaluate.features import (
    FEATURE_EXTRACTORS,
    FeatureExtractorError,
    get_extractor,
    resize_images,
    to_three_channels,
)
from tests.evaluate.conftest import blob_images


def test_registry_names():
    assert FEATURE_EXTRACTORS.names() == [
        "domain_cnn",
        "inception_v3",
        "keras_model",
        "pixels",
        "vgg16",
    ]


def test_pixels_is_the_flattened_image():
    x = blob_images(3, 8)
    ext = get_extractor("pixels")
    f = ext(x)
    assert f.dtype == np.float32 and f.shape == (3, 64)
    np.testing.assert_array_equal(f, x.reshape(3, -1))
    assert ext.name == "pixels" and "pixel" in ext.description


@pytest.mark.parametrize("name", ["inception_v3", "vgg16"])
def test_imagenet_nets_refuse_to_download(name):
    with pytest.raises(FeatureExtractorError, match="nothing is downloaded"):
        get_extractor(name)
    with pytest.raises(FeatureExtractorError, match="nothing is downloaded"):
        get_extractor(name, weights="imagenet")


def test_missing_weights_file_names_the_path(tmp_path):
    missing = tmp_path / "nope" / "inception.h5"
    with pytest.raises(FeatureExtractorError, match=str(missing).replace(".", r"\.")):
        get_extractor("inception_v3", weights=str(missing))


def test_grayscale_to_rgb_and_float_antialiased_resize():
    x = blob_images(2, 16)
    rgb = to_three_channels(x)
    assert rgb.shape == (2, 16, 16, 3)
    np.testing.assert_array_equal(rgb[..., 0], rgb[..., 2])
    # a constant image stays exactly constant (no uint8 rounding, no ringing)
    const = np.full((1, 16, 16, 1), 0.123, np.float32)
    up = resize_images(const, 40)
    assert up.shape == (1, 40, 40, 1) and up.dtype == np.float32
    np.testing.assert_allclose(up, 0.123, atol=1e-6)
    # antialiased downscaling of a 1-pixel checkerboard gives its mean, not an alias
    checker = np.indices((32, 32)).sum(0) % 2 * 2.0 - 1.0
    down = resize_images(checker[None, ..., None].astype(np.float32), 8)
    assert np.abs(down).max() < 0.1
    assert (
        resize_images(
            np.full((1, 4, 4, 1), 0.9, np.float32) * np.array([1, -1, 1, -1]).reshape(1, 1, 4, 1),
            13,
        ).max()
        <= 1.0
    )


def test_domain_cnn_trains_on_real_labels_and_is_deterministic():
    x = np.concatenate([blob_images(16, 8, seed=1), blob_images(16, 8, seed=2, sign=-1.0)])
    y = np.repeat([0, 1], 16)
    ext = get_extractor("domain_cnn", real_images=x, real_labels=y, seed=0, epochs=1)
    f = ext(x[:5])
    assert f.shape == (5, 64) and f.dtype == np.float32
    assert "2-class" in ext.description and ext.name == "domain_cnn"
    again = get_extractor("domain_cnn", real_images=x, real_labels=y, seed=0, epochs=1)
    np.testing.assert_allclose(again(x[:5]), f, rtol=1e-4, atol=1e-5)


def test_domain_cnn_without_classes_uses_rotation_prediction():
    x = blob_images(8, 8, seed=1)
    ext = get_extractor("domain_cnn", real_images=x, real_labels=np.zeros(8), seed=0, epochs=1)
    assert "rotation" in ext.description
    assert ext(x).shape == (8, 64)
    with pytest.raises(FeatureExtractorError, match="real_images"):
        get_extractor("domain_cnn")


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, builder, size, dim",
    [
        ("inception_v3", "InceptionV3", 299, 2048),
        ("vgg16", "VGG16", 224, 512),
    ],
)
def test_imagenet_net_from_a_local_weights_file(tmp_path, name, builder, size, dim):
    import keras

    path = tmp_path / f"{name}_notop.weights.h5"
    keras.utils.set_random_seed(0)
    getattr(keras.applications, builder)(
        include_top=False, weights=None, input_shape=(size, size, 3), pooling="avg"
    ).save_weights(path)
    ext = get_extractor(name, weights=str(path))
    f = ext(blob_images(2, 32))
    assert f.shape == (2, dim) and f.dtype == np.float32 and np.isfinite(f).all()
    assert "antialiased bicubic" in ext.description and path.name in ext.description
