"""Shipped generators: manifest, hash check, one-call loading, synthesize --model/--list.

The first half builds a tiny manifest in a temp folder (what ``scripts/ship_generators.py``
writes); the second half checks the real ``models_h5/`` the repository ships.
"""

import json
import shutil

import numpy as np
import pytest

import keras_medgan
from keras_medgan.cli.synthesize import main as synthesize
from keras_medgan.generators import pretrained
from keras_medgan.generators.cards import make_model_card
from keras_medgan.generators.export import export_generator
from tests.standins import tiny_generator

CLASSES = ["normal", "hemorrhage"]


def _card(label):
    return make_model_card(
        arch="tiny",
        data="phantom",
        class_names=CLASSES,
        label=label,
        image_size=8,
        z_dim=8,
        epochs=3,
        seed=5,
    )


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """A models folder with a per-class set and a conditional model, manifest and hashes."""
    root = tmp_path_factory.mktemp("models_h5")
    files = {}
    for i, name in enumerate(CLASSES):
        paths = export_generator(tiny_generator(seed=i), root / "tiny_pair", name, _card(name))
        files[name] = paths["h5"]
    cond = export_generator(
        tiny_generator(num_classes=2, seed=3), root / "tiny_cond", "conditional", _card(None)
    )["h5"]
    models = {
        "tiny_pair": pretrained.manifest_entry(
            files=files,
            root=root,
            classes=CLASSES,
            image_size=8,
            recipe="test",
            epochs=3,
            metrics={"swd": 1.5},
        ),
        "tiny_cond": pretrained.manifest_entry(
            files={"conditional": cond}, root=root, classes=CLASSES, image_size=8
        ),
    }
    pretrained.write_manifest(models, root)
    for extra in root.rglob("*_savedmodel"):  # only the .h5 ships
        shutil.rmtree(extra)
    return root


def test_manifest_lists_hashes_cards_classes(shipped):
    models = pretrained.read_manifest(shipped)
    assert sorted(models) == ["tiny_cond", "tiny_pair"]
    entry = models["tiny_pair"]
    assert entry["classes"] == CLASSES and entry["image_size"] == 8
    spec = entry["files"]["hemorrhage"]
    assert spec["file"] == "tiny_pair/generator_hemorrhage.h5"
    assert spec["sha256"] == pretrained.sha256_of(shipped / spec["file"])
    assert len(spec["card_sha256"]) == 64


@pytest.mark.parametrize("name", ["tiny_pair", "tiny_cond"])
def test_load_pretrained_generates_each_class(shipped, name):
    model = keras_medgan.load_pretrained(name, root=shipped)
    assert model.classes == CLASSES
    for label in CLASSES:
        images = model.generate(5, label=label, seed=1)
        assert images.shape == (5, 8, 8, 1) and images.dtype == np.float32
        assert -1.0 <= images.min() and images.max() <= 1.0
        np.testing.assert_array_equal(images, model.generate(5, label=label, seed=1))
    a, b = model.generate(4, label="normal"), model.generate(4, label="hemorrhage")
    assert not np.allclose(a, b)


def test_load_pretrained_draws_what_synthesize_writes(shipped, tmp_path, monkeypatch):
    """One seed rule (keras_medgan.generators.sampling) for the Python API, the CLI and the benchmark."""
    import cv2

    from keras_medgan.compare.generators import load_generator_set
    from keras_medgan.data.pipeline import to_uint8

    monkeypatch.setenv("KERAS_MEDGAN_MODELS", str(shipped))
    api = pretrained.load_pretrained("tiny_pair", root=shipped, precision=None)
    images = api.generate(3, label="hemorrhage", seed=4)
    assert (
        synthesize(
            [
                "--model",
                "tiny_pair",
                "--n",
                "3",
                "--seed",
                "4",
                "--precision",
                "fp32",
                "--out",
                str(tmp_path / "s"),
            ]
        )
        == 0
    )
    written = cv2.imread(str(tmp_path / "s" / "hemorrhage" / "hemorrhage_00000.png"), 0)
    np.testing.assert_array_equal(written, to_uint8(images)[0, ..., 0])
    bench = load_generator_set(
        "tiny_pair", ["tiny_pair"], image_size=8, channels=1, class_names=CLASSES
    )
    bench_images, labels = bench.generate(CLASSES, 3, seed=4)
    np.testing.assert_array_equal(bench_images[labels == 1], images)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda m: m.generate(2, label="tumour"),
            "has no class 'tumour'; its classes: normal, hemorrhage",
        ),
        (lambda m: m.generate(2), "give label="),
    ],
)
def test_bad_class_is_one_clear_error(shipped, call, message):
    model = pretrained.load_pretrained("tiny_pair", root=shipped)
    with pytest.raises(pretrained.PretrainedError, match=message):
        call(model)


def test_unknown_name_lists_the_valid_ones(shipped):
    with pytest.raises(
        pretrained.PretrainedError, match="unknown model 'p9'; shipped models: tiny_cond, tiny_pair"
    ):
        pretrained.load_pretrained("p9", root=shipped)


def _copy(shipped, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(shipped, root)
    return root


def test_a_corrupted_file_is_refused_before_keras_reads_it(shipped, tmp_path):
    root = _copy(shipped, tmp_path)
    target = root / "tiny_pair" / "generator_normal.h5"
    data = bytearray(target.read_bytes())
    data[-100] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(
        pretrained.PretrainedError, match="generator_normal.h5 has SHA-256 .*refusing"
    ):
        pretrained.load_pretrained("tiny_pair", root=root)


def test_an_edited_or_missing_card_is_refused(shipped, tmp_path):
    root = _copy(shipped, tmp_path)
    card = root / "tiny_pair" / "generator_hemorrhage.json"
    card.write_text(card.read_text().replace('"epochs": 3', '"epochs": 2500'))
    with pytest.raises(pretrained.PretrainedError, match="generator_hemorrhage.json has SHA-256"):
        pretrained.load_pretrained("tiny_pair", root=root)
    card.unlink()
    with pytest.raises(pretrained.PretrainedError, match="generator_hemorrhage.json is missing"):
        pretrained.load_pretrained("tiny_pair", root=root)


def test_synthesize_model_and_list(shipped, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_MEDGAN_MODELS", str(shipped))
    assert synthesize(["--list"]) == 0
    printed = capsys.readouterr().out
    assert "tiny_pair: normal, hemorrhage; 8×8; test, 3 epochs; swd 1.5" in printed
    out = tmp_path / "synth"
    assert synthesize(["--model", "tiny_cond", "--n", "3", "--out", str(out)]) == 0
    rows = (out / "labels.csv").read_text().splitlines()
    assert len(rows) == 1 + 6 and sum("hemorrhage" in r for r in rows[1:]) == 3
    assert synthesize(["--model", "nope", "--n", "1", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "nope: no such file or folder, nor a shipped model (shipped: tiny_" in err


def test_benchmark_accepts_a_shipped_name(shipped, monkeypatch):
    from keras_medgan.compare.generators import load_generator_set

    monkeypatch.setenv("KERAS_MEDGAN_MODELS", str(shipped))
    gen_set = load_generator_set(
        "tiny_pair", ["tiny_pair"], image_size=8, channels=1, class_names=CLASSES
    )
    assert sorted(gen_set.generators) == sorted(CLASSES)


# ----------------------------------------------------------------- what models_h5/ ships

SHIPPED_ROOT = pretrained.models_dir()
SHIPPED = pretrained.read_manifest(SHIPPED_ROOT)


def test_the_repository_ships_the_p1_models():
    assert {"p1_head_ct", "p1_head_ct_conditional"} <= set(SHIPPED)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_model_loads_safely_and_matches_its_card(name):
    import keras

    entry = SHIPPED[name]
    for key, spec in entry["files"].items():
        path = SHIPPED_ROOT / spec["file"]
        assert pretrained.sha256_of(path) == spec["sha256"]
        keras.models.load_model(path, compile=False, safe_mode=True)  # stock Keras, safe mode
        card = json.loads((SHIPPED_ROOT / spec["card"]).read_text())
        assert card["class_names"] == entry["classes"]
        assert card["image_size"] == entry["image_size"]
        assert card["label"] == (None if key == "conditional" else key)
        assert card["intended_use"].startswith("research")
        assert card["train_ids"] and card["evaluation"]
    model = pretrained.load_pretrained(name)
    for label in entry["classes"]:
        images = model.generate(8, label=label)
        size = entry["image_size"]
        assert images.shape == (8, size, size, 1)
        assert -1.0 <= images.min() < images.max() <= 1.0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_card_swd_is_measured_again_within_two_percent(name, shared_head_ct):
    """The SWD a card states, measured again as scripts/ship_generators.py measured it:
    256 fakes per class (seed 0, fp32) against the val + test images of split seed 0."""
    from keras_medgan.data import load_image_set
    from keras_medgan.evaluate.swd import swd_repeats
    from keras_medgan.generators.sampling import synthesize_set

    model = pretrained.load_pretrained(name, precision="fp32")
    fakes, labels, class_names = synthesize_set(model.generators, n_per_class=256, seed=0)
    held = [
        load_image_set("head_ct", data_dir=shared_head_ct, image_size=32, split=s, seed=0)
        for s in ("val", "test")
    ]
    real = np.concatenate([h.images for h in held])
    real_labels = np.concatenate([h.labels for h in held])
    for c, klass in enumerate(class_names):
        card = model.generator_for(klass).card["evaluation"][klass]
        measured = swd_repeats(real[real_labels == c], fakes[labels == c], seeds=(0, 1, 2))
        assert measured["mean"] == pytest.approx(card["swd_x1e3"], rel=0.02)
