"""The typed training config: frozen, validated once, and the same config.json as before."""

import dataclasses
import json
import re

import pytest

from keras_medgan.study.config import StudyError, check_resume
from keras_medgan.training import runs
from keras_medgan.training.config import (
    CADENCE_KEYS,
    RUN_DEFAULTS,
    SETTINGS,
    STRUCTURAL_KEYS,
    ConfigError,
    TrainingConfig,
    check_ranges,
    result_changes,
)

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


# ---------------------------------------------------------------- declared once (#31)


def test_every_field_is_a_declared_setting_with_help():
    bookkeeping = {"arch_options", "command", "resumed_by", "extra"}
    names = {f.name for f in dataclasses.fields(TrainingConfig)} - bookkeeping
    assert set(SETTINGS) == names
    assert all(len(s.help) > 10 for s in SETTINGS.values())
    # what a resume may not change, listed by hand: what is trained, with which numbers
    assert set(STRUCTURAL_KEYS) == {
        "arch", "data", "loss", "image_size", "classes", "conditional", "per_class", "split",
        "resize", "seed", "split_seed", "z_dim", "batch_size", "optimizer", "lr", "beta_1",
        "beta_2", "options",
    }  # fmt: skip
    assert "epochs" not in CADENCE_KEYS and "precision" not in CADENCE_KEYS
    assert {"log_every", "checkpoint_minutes", "out"} <= set(CADENCE_KEYS)
    assert RUN_DEFAULTS["checkpoint_every"] == 50 and RUN_DEFAULTS["export_formats"] == [
        "h5",
        "keras",
    ]
    assert "epochs" not in RUN_DEFAULTS  # the recipe gives it


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("epochs", 0, "a positive integer"),
        ("batch_size", True, "a positive integer"),
        ("log_every", -1, "0 (auto) or a positive integer"),
        ("beta_1", 1.0, "in [0, 1)"),
        ("lr", 0, "a positive number"),
        ("checkpoint_minutes", 0, "a positive number"),
        ("max_loss", -1.0, "a positive number"),
    ],
)
def test_a_value_outside_its_declared_range_names_the_setting(key, value, rule):
    good = {"epochs": 1, "batch_size": 2, "z_dim": 3, "lr": 1e-4}
    check_ranges(good)  # absent run settings take their (valid) defaults
    with pytest.raises(ConfigError, match=rf"^{key} must be {re.escape(rule)}, got {value!r}$"):
        check_ranges({**good, key: value})
    config = {"arch": "dcgan32", "data": "phantom", key: value}
    with pytest.raises(ConfigError, match=key):
        runs.resolve_config(config)  # the train CLI's path reads the same declaration


def test_result_changes_ignore_cadence_and_settings_added_later():
    old = runs.resolve_config({"arch": "dcgan32", "data": "phantom"}).to_dict()
    assert result_changes(old, {**old, "log_every": 7, "out": "elsewhere", "command": "x"}) == []
    assert result_changes(old, {**old, "epochs": 3, "lr": 1.0}) == ["epochs", "lr"]
    older = {k: v for k, v in old.items() if k != "max_loss"}  # a version before max_loss
    assert result_changes(older, old) == []  # the new setting at its default: same result
    assert result_changes(older, {**old, "max_loss": 5.0}) == ["max_loss"]
    assert result_changes({**old, "fmap_base": 64}, {**old, "fmap_base": 128}) == ["fmap_base"]


def test_a_study_resumes_across_a_new_setting_and_a_cadence_change(tmp_path):
    recipe = runs.resolve_config({"arch": "dcgan32", "data": "phantom"}).to_dict()
    stored = {"data": "phantom", "protocol_version": 2}
    older = {k: v for k, v in recipe.items() if k not in ("max_loss", *CADENCE_KEYS)}
    (tmp_path / "config.json").write_text(json.dumps({**stored, "resolved_recipes": {"p1": older}}))
    check_resume(tmp_path, {**stored, "resolved_recipes": {"p1": {**recipe, "log_every": 9}}})
    with pytest.raises(StudyError, match=r"recipe 'p1' \(epochs\)"):
        check_resume(tmp_path, {**stored, "resolved_recipes": {"p1": {**recipe, "epochs": 1}}})


def test_the_train_flags_show_the_declared_help_and_default():
    from keras_medgan.cli.train import build_parser
    from keras_medgan.training.config import flag_help

    actions = {a.dest: a for a in build_parser()._actions}
    for name in ("checkpoint_every", "max_loss", "export_formats", "seed", "epochs"):
        assert actions[name].help == flag_help(name)
    assert flag_help("checkpoint_every") == "epochs between checkpoints (default 50)"
    assert flag_help("max_loss").endswith("(default 1e6)")
    assert flag_help("export_formats").endswith("(default h5,keras)")
    assert flag_help("epochs").endswith("raise them)")  # the recipe's default, not ours


def test_a_flag_shows_its_default_only_when_it_has_one_worth_showing():
    from keras_medgan.training.config import _shown, flag_help

    assert flag_help("force") == SETTINGS["force"].help  # default False: nothing to show
    assert flag_help("jit") == SETTINGS["jit"].help  # its help already says the default
    assert flag_help("data_dir") == SETTINGS["data_dir"].help  # default None
    assert flag_help("seed").endswith("(default 0)")
    assert [_shown(v) for v in (1e6, 1e10, 2.5e-5, 5.0, ["h5", "keras"], 50)] == [
        "1e6",
        "1e10",
        "2.5e-05",
        "5",
        "h5,keras",
        "50",
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [("lr", "fast"), ("checkpoint_minutes", True), ("max_loss", None), ("beta_2", "0.9")],
)
def test_a_value_of_the_wrong_type_is_a_config_error_not_a_crash(key, value):
    with pytest.raises(ConfigError, match=rf"^{key} must be"):
        check_ranges({"epochs": 1, "batch_size": 2, "z_dim": 3, "lr": 1e-4, key: value})


def test_result_changes_read_a_missing_setting_as_its_default_on_either_side():
    new = runs.resolve_config({"arch": "dcgan32", "data": "phantom"}).to_dict()
    older = {k: v for k, v in new.items() if k != "max_loss"}
    assert result_changes(new, older) == [] and result_changes(older, new) == []


def test_a_config_of_an_architecture_no_longer_registered_still_reads_back():
    values = runs.resolve_config({"arch": "dcgan32", "data": "phantom"}).to_dict()
    config = TrainingConfig.from_dict({**values, "arch": "retired_arch", "fmap_base": 64})
    assert config.arch == "retired_arch" and config.extra["fmap_base"] == 64


def test_resumed_by_round_trips_and_a_missing_setting_is_named():
    config = runs.resolve_config({"arch": "dcgan32", "data": "phantom"})
    resumed = config.replace(resumed_by=("python -m keras_medgan.train --resume r",))
    values = resumed.to_dict()
    assert values["resumed_by"] == ["python -m keras_medgan.train --resume r"]
    assert TrainingConfig.from_dict(values).resumed_by == resumed.resumed_by
    assert "resumed_by" not in config.to_dict()  # written only when set
    cut = {k: v for k, v in values.items() if k not in ("epochs", "lr")}
    with pytest.raises(ConfigError, match=r"^config is missing epochs, lr$"):
        TrainingConfig.from_dict(cut)
