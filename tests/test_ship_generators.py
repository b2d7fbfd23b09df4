"""scripts/ship_generators.py: a shipped model as a candidate (read back from its cards) and
re-shipped in place, so a new candidate can be compared with, and replace, what ships."""

import importlib.util
import json
import pathlib

import numpy as np
import pytest

from keras_medgan.generators import pretrained
from keras_medgan.generators.cards import make_model_card
from keras_medgan.generators.export import export_generator
from tests.standins import tiny_generator

REPO = pathlib.Path(__file__).resolve().parents[1]
CLASSES = ["normal", "hemorrhage"]


@pytest.fixture(scope="module")
def ship_script():
    spec = importlib.util.spec_from_file_location(
        "ship_generators", REPO / "scripts" / "ship_generators.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_shipped_model_reads_back_as_its_recipe_and_cards(ship_script):
    """The shipped P1 pair: the recipe file its cards name, overlaid with the run's epochs;
    wall time per generator and the machine it was trained on come from the cards."""
    run = ship_script.read_candidate(REPO / "models_h5" / "p1_head_ct")
    config = run["config"]
    cards = {
        c: json.loads((REPO / f"models_h5/p1_head_ct/generator_{c}.json").read_text())
        for c in CLASSES
    }
    assert config["arch"] == "dcgan32" and config["batch_size"] == 16  # from the recipe
    assert config["epochs"] == cards["normal"]["epochs"] != 2500  # the card beats the recipe
    assert ship_script.split_of(config) == 0
    assert run["wall_seconds"] == {c: cards[c]["wall_seconds"] for c in CLASSES}
    assert run["machine"] == cards["normal"]["machine"]


def test_a_folder_that_is_neither_run_nor_model_is_refused(ship_script, tmp_path):
    with pytest.raises(SystemExit, match="neither a training run"):
        ship_script.read_candidate(tmp_path)


def test_reshipping_a_model_from_its_own_folder_keeps_its_files(ship_script, tmp_path):
    """The candidate folder is the one being replaced: the generators are copied out first,
    so the model survives with the same weights, a fresh card and matching hashes."""
    root = tmp_path / "models"
    for i, klass in enumerate(CLASSES):
        card = make_model_card(
            arch="tiny",
            data="phantom",
            class_names=CLASSES,
            label=klass,
            image_size=8,
            z_dim=8,
            epochs=3,
            seed=0,
            machine="elsewhere",
            wall_seconds=12.5,
            split="train",
            split_seed=0,
            loss="bce",
        )
        export_generator(tiny_generator(seed=i), root / "tiny", klass, card, formats=("h5",))
    before = {c: pretrained.sha256_of(root / "tiny" / f"generator_{c}.h5") for c in CLASSES}
    run = ship_script.read_candidate(root / "tiny")
    run["config"].update(batch_size=4, lr=1e-3)  # what a recipe file would give
    summary = dict.fromkeys(
        (
            "swd_x1e3",
            "swd_real_vs_real",
            "kid_x1e3",
            "kid_real_vs_real_x1e3",
            "fid_domain_cnn",
            "fid_real_vs_real",
            "ms_ssim_fake",
            "ms_ssim_real",
            "c2st_accuracy",
            "near_copies",
            "class_fidelity",
        ),
        0.5,
    )
    evaluation = {c: {"summary": summary} for c in CLASSES}
    real = {
        "held_out": np.zeros((16, 8, 8, 1), np.float32),
        "held_out_labels": np.repeat([0, 1], 8),
    }
    entry = ship_script.ship(
        "tiny", "again", root / "tiny", run, evaluation, root, "test", real, tmp_path / "grids"
    )
    for klass in CLASSES:
        path = root / "tiny" / f"generator_{klass}.h5"
        assert pretrained.sha256_of(path) == before[klass] == entry["files"][klass]["sha256"]
        card = json.loads(path.with_suffix(".json").read_text())
        assert card["candidate"] == "again" and card["machine"] == "elsewhere"
        assert card["wall_seconds"] == 12.5
    assert not list(root.glob(".ship-*"))  # the staging folder is gone
    assert (tmp_path / "grids" / "tiny_grid.png").is_file()
