"""Train one classifier the way P1 does and score it on the held-out real test split.

P1: ResNet-50, dropout 0.4 before the softmax, RMSprop lr 1e-3, batch 32, early stopping
with patience 5. Early stopping watches the validation loss of the REAL validation split
(never the test split) and restores the best epoch's weights.

One deliberate addition, ``warmup_epochs`` (Keras ``start_from_epoch``): with 144 training
images an epoch is 5 steps, and a BatchNorm network's moving statistics are still far from
the data's for the first several epochs, so the validation loss first RISES (measured on
head_ct with small_cnn: 0.69 → 0.99 over epochs 1–6, then 0.63 at epoch 9). P1's literal
patience-5 rule stops such a run at epoch 6 and restores epoch 1 — an untrained model
that predicts one class. Early stopping therefore starts watching after the warm-up;
``warmup_epochs=0`` is P1's literal recipe.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import keras
import numpy as np

from keras_medgan.bench.augment import with_augmentation
from keras_medgan.models.classifiers import build_classifier
from keras_medgan.stats import binary_metrics

__all__ = ["TrainConfig", "predict_proba", "score", "train_classifier"]


@dataclass(frozen=True)
class TrainConfig:
    """P1's defaults; ``epochs`` is the cap early stopping works under."""

    classifier: str = "resnet50"
    weights: str | None = None
    dropout: float = 0.4
    epochs: int = 100
    batch_size: int = 32
    learning_rate: float = 1e-3
    patience: int = 5
    warmup_epochs: int = 10
    verbose: int = 0
    #: Eager execution skips tf.function tracing: faster only for toy sets (tests);
    #: from ~100 images and 10 epochs on, graph mode wins.
    run_eagerly: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def train_classifier(train_x, train_y, val_x, val_y, *, num_classes: int,
                     config: TrainConfig, augment: bool = False, seed: int = 0):
    """Fit a fresh classifier; returns ``(model, info)`` with epochs run and best epoch."""
    keras.utils.set_random_seed(int(seed))
    train_x = np.asarray(train_x, np.float32)
    model = build_classifier(config.classifier, train_x.shape[1:], num_classes,
                             dropout=config.dropout, weights=config.weights)
    if augment:
        model = with_augmentation(model, seed=int(seed))
    model.compile(optimizer=keras.optimizers.RMSprop(config.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  run_eagerly=config.run_eagerly)
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience,
                                            restore_best_weights=True,
                                            start_from_epoch=int(config.warmup_epochs))
    start = time.time()
    history = model.fit(
        train_x, np.asarray(train_y, np.int64),
        validation_data=(np.asarray(val_x, np.float32), np.asarray(val_y, np.int64)),
        epochs=int(config.epochs), batch_size=int(config.batch_size), shuffle=True,
        callbacks=[stopper], verbose=config.verbose)
    val_loss = history.history.get("val_loss", [])
    info = {
        "epochs_run": len(val_loss),
        # the epoch whose weights the model ends with (the last one if the run never got
        # past the warm-up, when early stopping restores nothing)
        "best_epoch": (stopper.best_epoch + 1 if stopper.best_weights is not None
                       else len(val_loss)),
        "best_val_loss": (float(val_loss[stopper.best_epoch]) if stopper.best_weights is not None
                          else (float(val_loss[-1]) if val_loss else None)),
        "train_seconds": round(time.time() - start, 2),
    }
    return model, info


def predict_proba(model: keras.Model, images, batch_size: int = 256) -> np.ndarray:
    """Class probabilities, float32 [N, C] (the model ends in a float32 softmax)."""
    return np.asarray(model.predict(np.asarray(images, np.float32), batch_size=batch_size,
                                    verbose=0), np.float32)


def score(y_true, probs: np.ndarray) -> dict:
    """Test metrics. Binary tasks: :func:`keras_medgan.stats.binary_metrics` with class 1
    as positive and its probability as the AUC score. More classes: accuracy and the
    confusion matrix (sensitivity/specificity/HM/AUC are None)."""
    y_true = np.asarray(y_true, np.int64).reshape(-1)
    pred = probs.argmax(axis=1)
    if probs.shape[1] == 2:
        return binary_metrics(y_true, pred, probs[:, 1])
    c = probs.shape[1]
    confusion = np.zeros((c, c), np.int64)
    np.add.at(confusion, (y_true, pred), 1)
    return {"accuracy": float(np.mean(pred == y_true)), "sensitivity": None,
            "specificity": None, "hm": None, "auc": None, "confusion": confusion.tolist(),
            "n": int(y_true.size)}
