"""Train one classifier under a named protocol; predict class probabilities.

Two protocols (``TrainConfig.protocol``, registry ``PROTOCOLS``):

* ``steps`` (the default): every arm gets the SAME number of optimizer steps
  (``steps``, batch ``batch_size``) with the same cosine-decayed learning rate, whatever the
  size of its training set, and keeps its final weights. Nothing is chosen on the small
  validation part, so no arm is favoured by where early stopping happened to fall: with
  P1's protocol the real arm (144 images, 5 steps an epoch) stopped after 48–72 steps and
  the +synthetic arms (288 images) after 88–192. The validation loss is still recorded
  every ``eval_every`` steps (the cell's training curve) and the validation predictions
  choose the decision threshold.
* ``p1``: P1's literal recipe — RMSprop 1e-3, batch 32, early stopping on the validation
  loss with patience 5, best weights restored — plus one deliberate change,
  ``warmup_epochs`` (Keras ``start_from_epoch``): a BatchNorm network's validation loss
  first RISES while its moving statistics settle (head CT, small_cnn: 0.69 → 0.99 over
  epochs 1–6, then 0.63 at epoch 9), so P1's rule would stop at epoch 6 and restore an
  untrained epoch-1 model. ``warmup_epochs=0`` is the paper's rule exactly.

Both record the steps the returned weights were trained for, so a report can show that the
arms were (or were not) trained equally.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import keras
import numpy as np
import tensorflow as tf

from keras_medgan.compare.classifier_augment import (
    DEFAULT_AUGMENT_OPS,
    check_ops,
    with_augmentation,
)
from keras_medgan.evaluate.stats import THRESHOLD_RULES
from keras_medgan.models.classifiers import build_classifier

__all__ = ["PROTOCOLS", "TrainConfig", "check_train_config", "predict_proba", "train_classifier"]


@dataclass(frozen=True)
class TrainConfig:
    """How one classifier trains. ``steps``/``eval_every`` belong to the ``steps``
    protocol, ``epochs``/``patience``/``warmup_epochs`` to ``p1``; ``seeds`` classifiers
    (seeds 0 … seeds-1 offset by the cell's seed) are trained per cell and their metrics
    averaged; ``threshold_rule`` picks the decision threshold on validation predictions."""

    classifier: str = "resnet50"
    weights: str | None = None
    dropout: float = 0.4
    protocol: str = "steps"
    steps: int = 400
    eval_every: int = 50
    seeds: int = 3
    threshold_rule: str = "youden"
    #: what the classical arms' augmentation does (keras_medgan.compare.classifier_augment)
    augment_ops: tuple[str, ...] = DEFAULT_AUGMENT_OPS
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
        d = asdict(self)
        d["augment_ops"] = list(self.augment_ops)
        return d


def check_train_config(config: TrainConfig) -> None:
    """ValueError naming the flag when a setting cannot work (before anything trains)."""
    if config.protocol not in PROTOCOLS:
        raise ValueError(f"--protocol {config.protocol!r}; valid: {', '.join(PROTOCOLS)}")
    if config.threshold_rule not in THRESHOLD_RULES:
        raise ValueError(
            f"--threshold {config.threshold_rule!r}; valid: {', '.join(THRESHOLD_RULES)}"
        )
    check_ops(config.augment_ops)
    for flag, value in (("--seeds", config.seeds), ("--batch-size", config.batch_size)):
        if value < 1:
            raise ValueError(f"{flag} must be >= 1, got {value}")
    if not config.learning_rate > 0:
        raise ValueError(f"--lr must be > 0, got {config.learning_rate}")
    if config.protocol == "steps":
        if config.steps < 1:
            raise ValueError(f"--steps must be >= 1, got {config.steps}")
        if not 1 <= config.eval_every <= config.steps or config.steps % config.eval_every:
            raise ValueError(f"--eval-every {config.eval_every} must divide --steps {config.steps}")
    else:
        if config.epochs < 1:
            raise ValueError(f"--epochs must be >= 1, got {config.epochs}")
        if config.warmup_epochs < 0:
            raise ValueError(f"--warmup-epochs must be >= 0, got {config.warmup_epochs}")


def _compile(model: keras.Model, learning_rate, config: TrainConfig) -> None:
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        run_eagerly=config.run_eagerly,
    )


def _curve(history: keras.callbacks.History, step_of: Callable[[int], int]) -> list[dict]:
    h = history.history
    return [
        {
            "step": step_of(i),
            "loss": round(float(h["loss"][i]), 5),
            "val_loss": round(float(h["val_loss"][i]), 5) if "val_loss" in h else None,
        }
        for i in range(len(h.get("loss", [])))
    ]


def _fit_steps(model, x, y, val, config: TrainConfig, seed: int) -> dict:
    """``config.steps`` RMSprop steps, cosine-decayed to 0, batches drawn from an endlessly
    reshuffled copy of the set (every image once per pass); the final weights are kept."""

    schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, config.steps)
    _compile(model, schedule, config)
    batch = min(int(config.batch_size), len(y))
    data = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(len(y), seed=int(seed), reshuffle_each_iteration=True)
        .repeat()
        .batch(batch, drop_remainder=True)
    )
    every = int(config.eval_every)
    history = model.fit(
        data,
        steps_per_epoch=every,
        epochs=int(config.steps) // every,
        validation_data=val,
        shuffle=False,  # the dataset shuffles
        verbose=config.verbose,
    )
    return {
        "steps": int(config.steps),
        "images_seen_per_image": round(config.steps * batch / len(y), 2),
        "curve": _curve(history, lambda i: (i + 1) * every),
    }


def _fit_p1(model, x, y, val, config: TrainConfig, seed: int) -> dict:
    _compile(model, config.learning_rate, config)
    stopper = keras.callbacks.EarlyStopping(
        monitor="val_loss",
        patience=config.patience,
        restore_best_weights=True,
        start_from_epoch=int(config.warmup_epochs),
    )
    history = model.fit(
        x,
        y,
        validation_data=val,
        epochs=int(config.epochs),
        batch_size=int(config.batch_size),
        shuffle=True,
        callbacks=[stopper],
        verbose=config.verbose,
    )
    val_loss = history.history.get("val_loss", [])
    restored = stopper.best_weights is not None
    # the epoch whose weights the model ends with (the last one if the run never got past
    # the warm-up, when early stopping restores nothing)
    best = stopper.best_epoch + 1 if restored else len(val_loss)
    per_epoch = math.ceil(len(y) / int(config.batch_size))
    return {
        "steps": best * per_epoch,
        "epochs_run": len(val_loss),
        "best_epoch": best,
        "best_val_loss": (float(val_loss[best - 1]) if val_loss else None),
        "curve": _curve(history, lambda i: (i + 1) * per_epoch),
    }


#: protocol name → fit(model, x, y, (val_x, val_y), config, seed) → training record
PROTOCOLS: dict[str, Callable[..., dict]] = {"steps": _fit_steps, "p1": _fit_p1}


def train_classifier(
    train_x,
    train_y,
    val_x,
    val_y,
    *,
    num_classes: int,
    config: TrainConfig,
    augment: bool = False,
    seed: int = 0,
):
    """Fit a fresh classifier under ``config.protocol``; returns ``(model, info)`` where
    ``info`` holds the protocol, the steps its final weights trained for and the curve."""
    check_train_config(config)
    keras.utils.set_random_seed(int(seed))
    train_x = np.asarray(train_x, np.float32)
    model = build_classifier(
        config.classifier,
        train_x.shape[1:],
        num_classes,
        dropout=config.dropout,
        weights=config.weights,
    )
    if augment:
        model = with_augmentation(model, seed=int(seed), ops=config.augment_ops)
    start = time.time()
    val = (np.asarray(val_x, np.float32), np.asarray(val_y, np.int64))
    info = PROTOCOLS[config.protocol](
        model, train_x, np.asarray(train_y, np.int64), val, config, int(seed)
    )
    info = {"protocol": config.protocol, **info, "train_seconds": round(time.time() - start, 2)}
    return model, info


def predict_proba(model: keras.Model, images, batch_size: int = 256) -> np.ndarray:
    """Class probabilities, float32 [N, C] (the model ends in a float32 softmax)."""
    return np.asarray(
        model.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0), np.float32
    )
