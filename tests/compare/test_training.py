"""The classifier protocols: equal optimizer steps whatever the set size, a recorded curve,
and settings that cannot work refused before anything trains."""

import numpy as np
import pytest

from keras_medgan.compare.arms import TrainingSet
from keras_medgan.compare.cell import classifier_cell, seeds_of
from keras_medgan.compare.classifier_training import (
    TrainConfig,
    check_train_config,
    train_classifier,
)


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(0, 0.3, (n, 8, 8, 1)).astype("float32") + (y[:, None, None, None] - 0.5)
    return np.clip(x, -1, 1), y


STEPS = TrainConfig(
    classifier="small_cnn", steps=6, eval_every=3, batch_size=4, seeds=1, run_eagerly=True
)


@pytest.mark.parametrize("n", [12, 40])
def test_steps_protocol_trains_the_same_steps_whatever_the_set_size(n):
    x, y = _data(n)
    vx, vy = _data(8, seed=1)
    model, info = train_classifier(x, y, vx, vy, num_classes=2, config=STEPS, seed=0)
    assert int(model.optimizer.iterations.numpy()) == 6
    assert info["protocol"] == "steps" and info["steps"] == 6
    assert [p["step"] for p in info["curve"]] == [3, 6]
    assert all(p["val_loss"] is not None for p in info["curve"])
    # the cosine schedule ends at zero learning rate
    lr = model.optimizer.learning_rate
    assert float(lr.numpy() if hasattr(lr, "numpy") else lr) == pytest.approx(0.0, abs=1e-9)


def test_p1_protocol_records_the_steps_of_the_restored_epoch():
    x, y = _data(12)
    vx, vy = _data(8, seed=1)
    config = TrainConfig(
        classifier="small_cnn",
        protocol="p1",
        epochs=3,
        patience=1,
        warmup_epochs=0,
        batch_size=4,
        run_eagerly=True,
    )
    _, info = train_classifier(x, y, vx, vy, num_classes=2, config=config, seed=0)
    assert info["protocol"] == "p1"
    assert info["steps"] == info["best_epoch"] * 3  # 12 images / batch 4
    assert len(info["curve"]) == info["epochs_run"]


def test_cell_pairs_seeds_and_averages_metrics_over_them():
    x, y = _data(12)
    ts = TrainingSet(images=x, labels=y.astype(np.int64), augment=False, n_real=12, n_synthetic=0)
    config = TrainConfig(
        classifier="small_cnn", steps=2, eval_every=2, batch_size=4, seeds=2, run_eagerly=True
    )
    rec = classifier_cell(ts, _data(8, 1), _data(10, 2), num_classes=2, config=config, seed=7)
    assert [r["seed"] for r in rec["seeds"]] == seeds_of(7, 2) == [7, 1007]
    assert rec["training"]["steps"] == [2]
    assert len(rec["seeds"][0]["val_probs"]) == 8 and len(rec["seeds"][0]["test_probs"]) == 10
    aucs = [r["metrics"]["auc"] for r in rec["seeds"]]
    assert rec["metrics"]["auc"] == pytest.approx(np.mean(aucs))
    assert rec["metrics"]["seeds"] == 2
    assert np.allclose(
        rec["probs"], np.mean([r["test_probs"] for r in rec["seeds"]], axis=0), atol=2e-6
    )


@pytest.mark.parametrize(
    "change, flag",
    [
        ({"steps": 0}, "--steps"),
        ({"steps": 10, "eval_every": 3}, "--eval-every"),
        ({"seeds": 0}, "--seeds"),
        ({"threshold_rule": "median"}, "--threshold"),
        ({"protocol": "sgd"}, "--protocol"),
        ({"augment_ops": ("shear",)}, "--augment"),
        ({"learning_rate": 0.0}, "--lr"),
    ],
)
def test_settings_that_cannot_work_name_their_flag(change, flag):
    from dataclasses import replace

    with pytest.raises(ValueError, match=flag):
        check_train_config(replace(TrainConfig(), **change))
