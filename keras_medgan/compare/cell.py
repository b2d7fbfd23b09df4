"""One classifier cell: train → predict → score, the same for the benchmark and the study.

A cell is one training set (an arm) on one split. It trains ``config.seeds`` classifiers
(seeds ``seed``, ``seed + 1000``, …: the same seeds in every arm of the split, so arms are
paired), predicts the validation and the test images with each, scores each seed's test
predictions at the threshold its own validation predictions chose, and AVERAGES THE
METRICS over seeds (each seed is a classifier a user could deploy; averaging their
probabilities would score an ensemble nobody trains). The stored probabilities of every
seed, validation and test, let any endpoint be recomputed later without retraining.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from keras_medgan.compare.arms import TrainingSet
from keras_medgan.compare.classifier_training import TrainConfig, predict_proba, train_classifier
from keras_medgan.compare.endpoints import average_metrics, score_predictions

__all__ = ["PROTOCOL_VERSION", "SEED_STRIDE", "cell_summary", "classifier_cell", "seeds_of"]

#: Record layout of a classifier cell; a study made with another one is not resumed.
PROTOCOL_VERSION = 2
SEED_STRIDE = 1000


def seeds_of(seed: int, count: int) -> list[int]:
    return [int(seed) + SEED_STRIDE * i for i in range(int(count))]


def _rounded(probs: np.ndarray) -> list:
    return np.round(np.asarray(probs, np.float64), 6).tolist()


def classifier_cell(
    ts: TrainingSet,
    val: tuple,
    test: tuple,
    *,
    num_classes: int,
    config: TrainConfig,
    seed: int,
    on_model: Callable | None = None,
) -> dict:
    """Train and score ``config.seeds`` classifiers on ``ts``; ``val``/``test`` are
    ``(images, labels)``. ``on_model(model, seed)`` sees each trained model (the
    benchmark's class fidelity labels the fakes with the real arm's). Returns the record
    fields both runners write."""
    val_x, val_y = val
    test_x, test_y = test
    runs = []
    for s in seeds_of(seed, config.seeds):
        model, info = train_classifier(
            ts.images,
            ts.labels,
            val_x,
            val_y,
            num_classes=num_classes,
            config=config,
            augment=ts.augment,
            seed=s,
        )
        val_p, test_p = predict_proba(model, val_x), predict_proba(model, test_x)
        metrics = score_predictions(test_y, test_p, val_y, val_p, config.threshold_rule)
        if on_model is not None:
            on_model(model, s)
        runs.append(
            {
                "seed": s,
                "val_probs": _rounded(val_p),
                "test_probs": _rounded(test_p),
                "metrics": metrics,
                "training": info,
            }
        )
    steps = sorted({r["training"]["steps"] for r in runs})
    return {
        "protocol_version": PROTOCOL_VERSION,
        "labels": np.asarray(test_y).tolist(),
        "val_labels": np.asarray(val_y).tolist(),
        # the seeds' mean probability: predictions.csv and the pooled view
        "probs": _rounded(np.mean([r["test_probs"] for r in runs], axis=0)),
        "seeds": runs,
        "metrics": average_metrics([r["metrics"] for r in runs]),
        "training": {
            "protocol": config.protocol,
            "steps": steps,
            "train_seconds": round(sum(r["training"]["train_seconds"] for r in runs), 2),
        },
        "n_train": len(ts.labels),
        "n_real": ts.n_real,
        "n_synthetic": ts.n_synthetic,
        "train_class_counts": ts.class_counts(num_classes),
    }


def cell_summary(record: dict) -> str:
    """One progress line: the seed-mean endpoints and the steps every seed trained for."""
    m = record["metrics"]
    parts = [
        f"{name} {m[key]:.3f}"
        for key, name in (("auc", "AUC"), ("log_loss", "log-loss"), ("accuracy", "acc"))
        if m.get(key) is not None and m[key] == m[key]
    ]
    steps = record["training"]["steps"]
    return (
        ", ".join(parts) + f" ({m.get('seeds', 1)} seed(s), "
        f"{'/'.join(str(s) for s in steps)} steps)"
    )
