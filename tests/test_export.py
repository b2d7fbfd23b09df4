"""Export → load round trips for all three formats, model cards, safe loading."""

import json

import keras
import numpy as np
import pytest

from keras_medgan.generators.cards import CARD_KEYS, GeneratorLoadError, make_model_card
from keras_medgan.generators.export import EXPORT_FORMATS, export_generator
from keras_medgan.generators.loading import find_generators, load_generator
from tests.standins import lambda_generator, tiny_generator


def _card(label="hemorrhage", **kw):
    return make_model_card(
        arch="tiny",
        data="phantom",
        class_names=["normal", "hemorrhage"],
        label=label,
        image_size=8,
        z_dim=8,
        epochs=3,
        seed=5,
        final_metrics={"d_loss": 0.5, "d_fake_last20": 0.25},
        **kw,
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    g = tiny_generator()
    paths = export_generator(g, out, "hemorrhage", _card(), formats=EXPORT_FORMATS)
    gc = tiny_generator(num_classes=2, seed=1)
    cpaths = export_generator(
        gc,
        out.parent / "cond_export",
        "conditional",
        _card(label=None),
        formats=EXPORT_FORMATS,
    )
    return g, paths, gc, cpaths


def test_export_writes_four_artifacts_and_a_complete_card(exported):
    _, paths, _, _ = exported
    assert paths["h5"].name == "generator_hemorrhage.h5" and paths["h5"].is_file()
    assert paths["keras"].is_file()
    assert (paths["savedmodel"] / "saved_model.pb").is_file()
    card = json.loads(paths["card"].read_text())
    assert set(CARD_KEYS) <= set(card)
    assert card["label"] == "hemorrhage" and card["conditional"] is False
    assert card["num_classes"] == 0 and card["z_dim"] == 8 and card["epochs"] == 3
    assert card["final_metrics"]["d_fake_last20"] == 0.25
    assert not list(paths["h5"].parent.glob(".tmp-*"))


@pytest.mark.parametrize("fmt", ["h5", "keras", "savedmodel"])
def test_every_format_reproduces_the_generator_exactly(exported, fmt):
    g, paths, _, _ = exported
    z = np.random.default_rng(0).standard_normal((5, 8)).astype("float32")
    expected = keras.ops.convert_to_numpy(g(z, training=False))
    loaded = load_generator(paths[fmt], trust_model=fmt == "savedmodel")
    got = loaded.generate(5, seed=0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert loaded.card["label"] == "hemorrhage" and loaded.card["arch"] == "tiny"


def test_h5_loads_with_plain_keras_without_custom_objects(exported):
    _, paths, _, _ = exported
    model = keras.models.load_model(paths["h5"], compile=False)
    assert tuple(model.output.shape) == (None, 8, 8, 1)


@pytest.mark.parametrize("fmt", ["h5", "keras", "savedmodel"])
def test_conditional_generator_round_trip(exported, fmt):
    _, _, gc, cpaths = exported
    loaded = load_generator(cpaths[fmt], trust_model=fmt == "savedmodel")
    assert loaded.conditional and loaded.name == "conditional"
    z = np.random.default_rng(3).standard_normal((4, 8)).astype("float32")
    y = np.tile(np.array([[0.0, 1.0]], "float32"), (4, 1))
    expected = keras.ops.convert_to_numpy(gc([z, y], training=False))
    np.testing.assert_allclose(
        loaded.generate(4, label="hemorrhage", seed=3), expected, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(loaded.generate(4, label=1, seed=3), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="conditional"):
        loaded.generate(2)
    with pytest.raises(ValueError, match="unknown class 'tumour'"):
        loaded.generate(2, label="tumour")


def test_generate_does_not_depend_on_batch_size(exported):
    _, paths, _, _ = exported
    loaded = load_generator(paths["h5"])
    a = loaded.generate(7, seed=4, batch_size=3)
    b = loaded.generate(7, seed=4, batch_size=256)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert a.shape == (7, 8, 8, 1) and a.min() >= -1 and a.max() <= 1
    assert not np.allclose(a, loaded.generate(7, seed=5))


def test_find_generators_prefers_h5_and_keys_by_class(exported, tmp_path):
    _, paths, _, cpaths = exported
    found = find_generators(paths["h5"].parent)
    assert found == {"hemorrhage": paths["h5"]}
    assert find_generators(cpaths["keras"]) == {"conditional": cpaths["keras"]}
    run = tmp_path / "00000-tiny-phantom"
    (run / "export").mkdir(parents=True)
    with pytest.raises(GeneratorLoadError, match="no exported generator"):
        find_generators(run)


def test_lambda_model_is_refused_unless_trusted(tmp_path):
    path = tmp_path / "generator_evil.h5"
    lambda_generator().save(path)
    with pytest.raises(GeneratorLoadError, match="Lambda.*--trust-model"):
        load_generator(path)
    loaded = load_generator(path, trust_model=True)
    assert loaded.generate(2, seed=0).shape == (2, 8, 8, 1)
    assert loaded.card["inferred"] is True and loaded.card["z_dim"] == 8


def test_missing_and_corrupt_files_give_clear_errors(tmp_path):
    with pytest.raises(GeneratorLoadError, match="does not exist"):
        load_generator(tmp_path / "nope.h5")
    bad = tmp_path / "generator_bad.h5"
    bad.write_bytes(b"this is not HDF5")
    with pytest.raises(GeneratorLoadError, match="generator_bad.h5"):
        load_generator(bad)
    sm = tmp_path / "generator_x_savedmodel"
    sm.mkdir()
    (sm / "saved_model.pb").write_bytes(b"\x00garbage\xff")
    with pytest.raises(GeneratorLoadError, match="generator_x_savedmodel"):
        load_generator(sm, trust_model=True)


def test_card_that_contradicts_the_model_is_an_error(exported, tmp_path):
    _, paths, _, _ = exported
    copy = tmp_path / "generator_hemorrhage.h5"
    copy.write_bytes(paths["h5"].read_bytes())
    card = json.loads(paths["card"].read_text())
    card["z_dim"] = 100
    (tmp_path / "generator_hemorrhage.json").write_text(json.dumps(card))
    with pytest.raises(GeneratorLoadError, match="z_dim=100"):
        load_generator(copy)


def test_any_savedmodel_is_refused_unless_trusted(exported):
    _, paths, _, _ = exported
    with pytest.raises(
        GeneratorLoadError, match="SavedModel runs a TensorFlow graph.*--trust-model"
    ):
        load_generator(paths["savedmodel"])


def test_savedmodel_with_file_io_ops_is_refused_unless_trusted(tmp_path):
    import tensorflow as tf

    secret = tmp_path / "secret.txt"
    secret.write_text("abc")

    class Snoop(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
        def serve(self, z):
            leak = tf.cast(tf.strings.length(tf.io.read_file(str(secret))), tf.float32)
            return tf.zeros([tf.shape(z)[0], 8, 8, 1]) + 0.0 * leak

    path = tmp_path / "generator_snoop_savedmodel"
    tf.saved_model.save(Snoop(), str(path))
    with pytest.raises(
        GeneratorLoadError, match="SavedModel runs a TensorFlow graph.*--trust-model"
    ):
        load_generator(path)
    loaded = load_generator(path, trust_model=True)
    assert loaded.generate(3).shape == (3, 8, 8, 1)


class _Doubler(keras.layers.Layer):
    """A custom layer keras_medgan does not know (not registered)."""

    def call(self, x):
        return x * 2.0


def test_unknown_custom_layer_is_refused_with_a_clear_message(tmp_path):
    z = keras.Input((8,))
    x = keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64)(z))
    path = tmp_path / "generator_custom.keras"
    keras.Model(z, _Doubler()(x)).save(path)
    with pytest.raises(GeneratorLoadError, match="_Doubler.*only stock Keras objects"):
        load_generator(path)


def test_compute_in_recasts_a_generator_and_keeps_its_function(tmp_path):
    from keras_medgan.generators.loading import compute_in

    g = tiny_generator()
    assert compute_in(g, "fp32") is g  # already fp32: nothing to copy
    bf16 = compute_in(g, "bf16")
    assert bf16 is not g and bf16.layers[-1].dtype_policy.name == "float32"
    assert {la.dtype_policy.name for la in bf16.layers[1:-1]} == {"mixed_bfloat16"}
    z = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    out = keras.ops.convert_to_numpy(bf16(z, training=False))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, keras.ops.convert_to_numpy(g(z, training=False)), atol=0.05)
    g.save(tmp_path / "g.h5")
    loaded = load_generator(tmp_path / "g.h5", precision="bf16")
    np.testing.assert_allclose(
        loaded.generate(4, seed=1), load_generator(tmp_path / "g.h5").generate(4, seed=1), atol=0.05
    )


@pytest.mark.parametrize("conditional", [False, True])
def test_the_training_object_and_its_exported_file_draw_the_same_images(exported, conditional):
    """One seed rule (keras_medgan.models.latents): GAN.generate during training and
    LoadedGenerator.generate after export give the same images for the same seed, whatever
    the batch size."""
    from keras_medgan.gans import GAN_FAMILIES
    from tests.standins import tiny32_discriminator

    g, paths, gc, cpaths = exported
    net, path = (gc, cpaths["h5"]) if conditional else (g, paths["h5"])
    gan = GAN_FAMILIES.get("bce")(
        generator=net,
        discriminator=tiny32_discriminator(image_size=8, num_classes=2 if conditional else 0),
        z_dim=8,
        num_classes=2 if conditional else 0,
    )
    loaded = load_generator(path)
    label = {"labels": 1} if conditional else {}
    trained = gan.generate(5, seed=3, batch_size=2, **label)
    exported_images = loaded.generate(5, label=1 if conditional else None, seed=3, batch_size=4)
    np.testing.assert_allclose(trained, exported_images, atol=1e-5)
    assert trained.shape == (5, 8, 8, 1)
    assert not np.allclose(trained, gan.generate(5, seed=4, **label))  # the seed matters
