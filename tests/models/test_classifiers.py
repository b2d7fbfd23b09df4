"""Classifier builders: shapes, the "features" cut, dropout, local weights, bad arguments."""

import keras
import numpy as np
import pytest

from keras_medgan.models.classifiers import (
    CLASSIFIERS,
    FEATURES_LAYER,
    build_classifier,
)


def test_registry_names():
    assert CLASSIFIERS.names() == ["resnet18_cifar", "resnet50", "small_cnn"]


def test_resnet18_cifar_keeps_resolution_in_its_first_stage_and_has_features():
    model = build_classifier("resnet18_cifar", (32, 32, 1), 2)
    assert model.get_layer("s0b1_out").output.shape[1:3] == (32, 32)  # 3×3 stem, no pooling
    assert model.get_layer("s3b1_out").output.shape[1:] == (4, 4, 128)  # strides 1-2-2-2
    assert model.get_layer("features").output.shape[-1] == 128
    assert 650_000 < model.count_params() < 750_000
    probs = model.predict(np.zeros((2, 32, 32, 1), "float32"), verbose=0)
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_small_cnn_outputs_softmax_and_has_features_layer():
    model = build_classifier("small_cnn", (32, 32, 1), 2)
    x = np.random.default_rng(0).uniform(-1, 1, (3, 32, 32, 1)).astype("float32")
    probs = model.predict(x, verbose=0)
    assert probs.shape == (3, 2) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    extractor = keras.Model(model.input, model.get_layer(FEATURES_LAYER).output)
    assert extractor.predict(x, verbose=0).shape == (3, 64)
    assert model.get_layer("dropout").rate == pytest.approx(0.4)


def test_small_cnn_weights_round_trip(tmp_path):
    model = build_classifier("small_cnn", (32, 32, 1), 3, dropout=0.2)
    path = str(tmp_path / "cnn.weights.h5")
    model.save_weights(path)
    again = build_classifier("small_cnn", (32, 32, 1), 3, dropout=0.2, weights=path)
    x = np.zeros((1, 32, 32, 1), "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), again.predict(x, verbose=0))


def test_resnet50_grey_32_and_local_weights(tmp_path):
    model = build_classifier("resnet50", (32, 32, 1), 2)
    assert model.get_layer("grey_to_rgb") is not None
    assert model.get_layer("dropout").rate == pytest.approx(0.4)
    assert model.get_layer(FEATURES_LAYER).output.shape[-1] == 2048
    bns = [
        la
        for la in model.get_layer("resnet50").layers
        if isinstance(la, keras.layers.BatchNormalization)
    ]
    assert len(bns) == 53 and {la.momentum for la in bns} == {0.9}
    # Stock layers only: nothing that needs safe_mode=False to reload.
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in model.layers)
    # A local "ImageNet" file: a notop backbone's weights saved to disk.
    backbone = keras.applications.ResNet50(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = str(tmp_path / "resnet50_notop.weights.h5")
    backbone.save_weights(path)
    loaded = build_classifier("resnet50", (32, 32, 1), 2, weights=path)
    inner = loaded.get_layer("resnet50")
    np.testing.assert_allclose(
        inner.get_layer("conv1_conv").get_weights()[0],
        backbone.get_layer("conv1_conv").get_weights()[0],
    )
    assert loaded.get_layer("imagenet_centre") is not None


def test_resnet50_upsamples_small_inputs():
    model = build_classifier("resnet50", (16, 16, 1), 2)
    assert model.get_layer("upsample").output.shape[1:3] == (32, 32)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "vgg", "input_shape": (32, 32, 1), "num_classes": 2}, "Unknown classifier"),
        ({"name": "small_cnn", "input_shape": (32, 32, 2), "num_classes": 2}, "channels"),
        ({"name": "small_cnn", "input_shape": (32, 32, 1), "num_classes": 1}, "num_classes"),
        (
            {
                "name": "small_cnn",
                "input_shape": (32, 32, 1),
                "num_classes": 2,
                "weights": "imagenet",
            },
            "download",
        ),
        (
            {
                "name": "small_cnn",
                "input_shape": (32, 32, 1),
                "num_classes": 2,
                "weights": "/nonexistent/w.h5",
            },
            "not found",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises((ValueError, KeyError), match=message):
        build_classifier(**kwargs)
