"""The typed training config: frozen, validated once, and the same config.json as before."""

import dataclasses
import json

import pytest

from keras_medgan.training import runs
from keras_medgan.training.config import TrainingConfig

#: the keys a dcgan32 config.json held before the type existed (file format unchanged)
DCGAN32_KEYS = {
    "arch",
    "batch_size",
    "beta_1",
    "beta_2",
    "checkpoint_every",
    "checkpoint_minutes",
    "classes",
    "conditional",
    "data",
    "data_dir",
    "deterministic",
    "epochs",
    "export_formats",
    "export_stages",
    "force",
    "image_size",
    "jit",
    "keep_checkpoints",
    "log_every",
    "loss",
    "lr",
    "max_loss",
    "optimizer",
    "options",
    "out",
    "per_class",
    "precision",
    "resize",
    "sample_count",
    "sample_every",
    "seed",
    "split",
    "split_seed",
    "strategy",
    "z_dim",
}


def test_resolved_config_is_typed_and_writes_the_old_keys():
    config = runs.resolve_config({"arch": "dcgan32", "data": "phantom", "classes": ["normal"]})
    assert isinstance(config, TrainingConfig)
    assert config.epochs == 2500 and config.batch_size == 16 and config.per_class is True
    assert config.classes == ("normal",) and config.image_size == 32
    assert set(config.to_dict()) == DCGAN32_KEYS
    assert TrainingConfig.from_dict(config.to_dict()) == config


def test_a_recipe_without_beta_2_reads_back_without_it():
    """RMSprop (WGAN) has no beta_2: absent in the file, None in the value, absent again."""
    config = runs.resolve_config({"arch": "dcgan32", "data": "phantom", "loss": "wgan"})
    assert config.optimizer == "rmsprop" and config.beta_2 is None
    assert "beta_2" not in config.to_dict()
    assert TrainingConfig.from_dict(config.to_dict()) == config


def test_architecture_width_options_stay_top_level_in_the_file():
    config = runs.resolve_config({"arch": "pggan", "data": "phantom", "fmap_base": 64})
    assert config.arch_options["fmap_base"] == 64
    assert config.to_dict()["fmap_base"] == 64 and "arch_options" not in config.to_dict()


def test_config_cannot_be_changed_in_place_only_replaced():
    config = runs.resolve_config({"arch": "dcgan32", "data": "phantom"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.epochs = 3
    with pytest.raises(TypeError):
        config.options["label_smoothing"] = 0.5
    changed = config.replace(epochs=3, command="python -m keras_medgan.train ...")
    assert (changed.epochs, config.epochs) == (3, 2500)
    assert changed.to_dict()["command"].startswith("python -m")
    assert "command" not in config.to_dict() and "resumed_by" not in config.to_dict()


def test_an_older_config_json_resumes_and_keeps_keys_it_does_not_know(tmp_path):
    """A run folder from before a setting existed (or after one was added elsewhere)."""
    values = runs.resolve_config({"arch": "dcgan32", "data": "phantom"}).to_dict()
    for newer in ("max_loss", "deterministic", "export_formats", "checkpoint_minutes"):
        del values[newer]
    values["from_a_future_version"] = {"x": 1}
    (tmp_path / "config.json").write_text(json.dumps(values))
    config = runs.read_config(tmp_path)
    assert config.max_loss == runs.RUN_DEFAULTS["max_loss"]
    assert config.export_formats == tuple(runs.RUN_DEFAULTS["export_formats"])
    resumed = runs.apply_resume_overrides(config, {"epochs": 9})
    assert resumed.epochs == 9 and resumed.to_dict()["from_a_future_version"] == {"x": 1}


def test_a_config_json_that_is_not_a_training_config_is_one_line(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"data": "phantom"}))
    with pytest.raises(runs.ConfigError, match="not a training config"):
        runs.read_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"arch": "dcgan32", "data": "phantom"}))
    with pytest.raises(runs.ConfigError, match="missing .*batch_size"):
        runs.read_config(tmp_path)


def test_resume_still_refuses_a_structural_change():
    config = runs.resolve_config({"arch": "dcgan32", "data": "phantom"})
    with pytest.raises(runs.ConfigError, match="cannot change batch_size"):
        runs.apply_resume_overrides(config, {"batch_size": 8})
