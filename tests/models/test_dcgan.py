"""DCGAN builders: the papers' parameter counts, shapes, conditioning and precision."""

import keras
import numpy as np
import pytest

from keras_medgan.core.runtime import set_precision
from keras_medgan.models import ARCHS


def trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def layer_types(model):
    return {type(layer).__name__ for layer in model.layers}


def has_batchnorm(model):
    return any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)


@pytest.fixture
def restore_policy():
    previous = keras.mixed_precision.global_policy()
    yield
    keras.mixed_precision.set_global_policy(previous)


def test_dcgan32_matches_p1_parameter_counts():
    spec = ARCHS.get("dcgan32")
    g = spec.build_generator(z_dim=100, image_size=32, num_classes=0)
    d = spec.build_discriminator(image_size=32, num_classes=0, critic=False)
    assert trainable(g) == 4_870_785
    assert trainable(d) == 791_169
    assert g.output_shape == (None, 32, 32, 1) and d.output_shape == (None, 1)
    assert g.layers[-1].get_config()["activation"] == "tanh"
    assert d.layers[-1].get_config()["activation"] == "linear"  # logits
    lrelu = [
        layer.get_config()["negative_slope"]
        for layer in g.layers + d.layers
        if isinstance(layer, keras.layers.LeakyReLU)
    ]
    assert lrelu and set(np.round(lrelu, 6)) == {0.01}


@pytest.mark.parametrize("name,size", [("dcgan64", 64), ("dcgan128", 128)])
def test_radford_shapes_unconditional_and_conditional(name, size):
    spec = ARCHS.get(name)
    for classes in (0, 3):
        g = spec.build_generator(z_dim=100, image_size=size, num_classes=classes)
        d = spec.build_discriminator(image_size=size, num_classes=classes)
        assert g.output_shape == (None, size, size, 1)
        assert d.output_shape == (None, 1)
        assert len(g.inputs) == len(d.inputs) == (2 if classes else 1)
        if classes:
            assert g.inputs[1].shape == (None, 3) and d.inputs[1].shape == (None, 3)


def test_dcgan64_is_the_pytorch_tutorial_network():
    spec = ARCHS.get("dcgan64")
    g, d = spec.build_generator(image_size=64), spec.build_discriminator(image_size=64)
    # The PyTorch DCGAN tutorial (nc=1, nz=100, ngf=ndf=64, no conv biases) + D's output bias.
    assert trainable(g) == 3_574_656
    assert trainable(d) == 2_763_521
    convs = [layer for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [64, 128, 256, 512, 1]
    # no normalisation on D's first layer (Radford)
    assert isinstance(d.layers[d.layers.index(convs[0]) + 1], keras.layers.LeakyReLU)
    assert np.std(convs[1].get_weights()[0]) == pytest.approx(0.02, rel=0.1)


def test_dcgan128_discriminator_base_is_quarter_of_generator():
    spec = ARCHS.get("dcgan128")
    g, d = spec.build_generator(image_size=128), spec.build_discriminator(image_size=128)
    g_filters = [
        layer.filters for layer in g.layers if isinstance(layer, keras.layers.Conv2DTranspose)
    ]
    d_filters = [layer.filters for layer in d.layers if isinstance(layer, keras.layers.Conv2D)]
    assert g_filters == [1024, 512, 256, 128, 64, 1]
    assert d_filters == [16, 32, 64, 128, 256, 1]
    assert d_filters[0] * 4 == g_filters[-2]


@pytest.mark.parametrize("name", ["dcgan32", "dcgan64"])
def test_critic_has_no_batchnorm(name):
    spec = ARCHS.get(name)
    size = spec.image_sizes[0]
    critic = spec.build_discriminator(image_size=size, critic=True)
    assert not has_batchnorm(critic)
    assert "GroupNormalization" in layer_types(critic)
    assert has_batchnorm(spec.build_discriminator(image_size=size))


def test_conditional_dcgan32_output_depends_on_label():
    spec = ARCHS.get("dcgan32")
    keras.utils.set_random_seed(0)
    g = spec.build_generator(z_dim=100, image_size=32, num_classes=2)
    d = spec.build_discriminator(image_size=32, num_classes=2)
    z = np.random.default_rng(0).normal(size=(2, 100)).astype("float32")
    y0, y1 = np.eye(2, dtype="float32")[[0, 0]], np.eye(2, dtype="float32")[[1, 1]]
    a, b = g([z, y0], training=False), g([z, y1], training=False)
    assert np.abs(np.asarray(a) - np.asarray(b)).max() > 1e-4
    images = np.zeros((2, 32, 32, 1), "float32")
    assert not np.allclose(d([images, y0]), d([images, y1]))


@pytest.mark.parametrize("name,size", [("dcgan32", 64), ("dcgan64", 32), ("dcgan128", 256)])
def test_unsupported_image_size_raises(name, size):
    spec = ARCHS.get(name)
    with pytest.raises(ValueError, match=rf"Received: image_size={size}; supported: "):
        spec.build_generator(image_size=size)
    with pytest.raises(ValueError, match=rf"Received: image_size={size}"):
        spec.build_discriminator(image_size=size)


def test_bad_arguments_raise():
    spec = ARCHS.get("dcgan32")
    with pytest.raises(ValueError, match="Received: z_dim=0"):
        spec.build_generator(z_dim=0)
    with pytest.raises(ValueError, match="Received: num_classes=-1"):
        spec.build_discriminator(num_classes=-1)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_outputs_stay_float32_under_mixed_precision(precision, restore_policy):
    set_precision(precision)
    spec = ARCHS.get("dcgan32")
    g = spec.build_generator(num_classes=2)
    d = spec.build_discriminator(num_classes=2, critic=True)
    assert g.layers[1].compute_dtype != "float32"  # the body really is mixed
    assert g.output.dtype == "float32" and d.output.dtype == "float32"


def test_conditional_generator_h5_roundtrip_needs_no_custom_objects(tmp_path):
    g = ARCHS.get("dcgan32").build_generator(num_classes=2)
    path = tmp_path / "g.h5"
    g.save(path)
    loaded = keras.models.load_model(path, compile=False)
    z = np.random.default_rng(1).normal(size=(2, 100)).astype("float32")
    y = np.eye(2, dtype="float32")
    np.testing.assert_allclose(loaded([z, y]), g([z, y]), atol=1e-6)


def test_registry_defaults():
    assert {"dcgan32", "dcgan64", "dcgan128"} <= set(ARCHS.names())
    p1 = ARCHS.get("dcgan32").paper_defaults()
    assert (
        p1["epochs"],
        p1["batch_size"],
        p1["lr"],
        p1["beta_1"],
        p1["loss"],
        p1["z_dim"],
        p1["per_class"],
    ) == (2500, 16, 2e-4, 0.5, "bce", 100, True)
    p2 = ARCHS.get("dcgan64").paper_defaults()
    assert (p2["batch_size"], p2["lr"], p2["beta_1"], p2["loss"]) == (128, 2e-4, 0.5, "bce")
    p0 = ARCHS.get("dcgan128").paper_defaults()
    assert (p0["batch_size"], p0["lr"], p0["beta_1"]) == (32, 2e-4, 0.5)
    for name in ("dcgan32", "dcgan64", "dcgan128"):
        spec = ARCHS.get(name)
        assert spec.supports_conditional and spec.paper
