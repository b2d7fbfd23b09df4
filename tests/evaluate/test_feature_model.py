"""``--features keras_model --feature-weights FILE``: a user's own feature network
(issue #29), loaded as untrusted input; and shipped model names wherever fakes are read."""

import numpy as np
import pytest

from keras_medgan.evaluate.features import FeatureExtractorError, get_extractor


def _tiny_feature_model(channels=1, size=16):
    import keras

    inp = keras.Input((size, size, channels))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    return keras.Model(inp, x)  # a feature map: the extractor pools it


@pytest.mark.parametrize("channels", [1, 3])
def test_a_saved_keras_model_gives_its_pooled_output_as_features(tmp_path, channels):
    """The features are the model's own output on the images resized to its input size
    (and repeated to RGB when it takes 3 channels), averaged over space: computed here
    independently with the model itself."""
    from keras_medgan.evaluate.features import resize_images

    model = _tiny_feature_model(channels)
    path = tmp_path / "features.keras"
    model.save(path)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (5, 32, 32, 1)).astype(np.float32)
    ext = get_extractor("keras_model", weights=str(path))
    feats = ext(images)
    x = resize_images(images, 16)
    x = np.repeat(x, 3, axis=-1) if channels == 3 else x
    expected = np.asarray(model.predict_on_batch(x)).mean(axis=(1, 2))
    assert feats.shape == (5, 4)
    np.testing.assert_allclose(feats, expected, rtol=1e-5, atol=1e-6)
    assert "features.keras" in ext.description and ext.info["input_size"] == 16


def test_a_feature_model_with_code_in_it_is_refused_in_one_line(tmp_path):
    import keras

    inp = keras.Input((8, 8, 1))
    out = keras.layers.Lambda(lambda t: t * 2.0)(inp)
    path = tmp_path / "lambda.keras"
    keras.Model(inp, out).save(path)
    with pytest.raises(FeatureExtractorError, match="lambda.keras") as info:
        get_extractor("keras_model", weights=str(path))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "content,suffix,reason",
    [
        (b"not a zip", ".keras", "not a readable Keras model file"),
        (b"{}", ".json", "must be a .keras or .h5 file"),
    ],
)
def test_a_broken_or_foreign_feature_file_is_refused(tmp_path, content, suffix, reason):
    path = tmp_path / f"model{suffix}"
    path.write_bytes(content)
    with pytest.raises(FeatureExtractorError, match=reason):
        get_extractor("keras_model", weights=str(path))


def test_a_deeply_nested_feature_config_is_one_line(tmp_path):
    import zipfile

    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "[" * 200_000 + "]" * 200_000)
        archive.writestr("model.weights.h5", b"")
    with pytest.raises(FeatureExtractorError, match="nested too deeply"):
        get_extractor("keras_model", weights=str(path))


def test_keras_model_without_a_file_names_the_flag():
    with pytest.raises(FeatureExtractorError, match="--feature-weights"):
        get_extractor("keras_model")


def test_evaluate_and_turing_read_a_shipped_model_by_name():
    from keras_medgan.evaluate.inputs import InputError, load_fake

    fake = load_fake("p1_head_ct", n_per_class=2, seed=0)
    assert fake.images.shape == (4, 32, 32, 1) and sorted(fake.class_names) == [
        "hemorrhage",
        "normal",
    ]
    with pytest.raises(InputError, match="nor a shipped model"):
        load_fake("p1_head_ct_typo", n_per_class=2)
