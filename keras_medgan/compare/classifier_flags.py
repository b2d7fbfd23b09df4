"""The classifier flags of ``benchmark`` and ``study``: declared once, read once.

Both commands train the same classifier cell (:mod:`keras_medgan.compare.cell`), so they take
the same flags with the same defaults; ``--quick`` swaps in the fast profile for whatever
the user did not give. Imports nothing heavy: ``--help`` stays instant.
"""

from __future__ import annotations

import argparse

from keras_medgan.compare.classifier_augment import AUGMENT_OPS, DEFAULT_AUGMENT_OPS
from keras_medgan.compare.classifier_training import PROTOCOLS, TrainConfig, check_train_config
from keras_medgan.evaluate.stats import THRESHOLD_RULES

__all__ = ["PROFILES", "add_classifier_arguments", "train_config_from_args"]

#: Defaults per profile. ``full``: P1's ResNet-50 under the equal-steps protocol, 3 seeds
#: per cell; the step budget comes from the pilot in docs/benchmark.md.
PROFILES = {
    "full": {
        "classifier": "resnet50",
        "steps": 400,
        "eval_every": 50,
        "seeds": 3,
        "epochs": 100,
        "warmup_epochs": 10,
    },
    "quick": {
        "classifier": "small_cnn",
        "steps": 60,
        "eval_every": 20,
        "seeds": 3,
        "epochs": 15,
        "warmup_epochs": 8,
    },
}


def add_classifier_arguments(p: argparse.ArgumentParser, classifiers: list[str]) -> None:
    # the names and defaults live where they are used; a plain --help is answered from
    # the stored texts (keras_medgan/cli/help) before this runs

    g = p.add_argument_group("classifier (the same in every arm)")
    g.add_argument(
        "--classifier",
        choices=classifiers,
        default=None,
        help="network (default resnet50, P1; --quick: small_cnn)",
    )
    g.add_argument(
        "--protocol",
        choices=list(PROTOCOLS),
        default="steps",
        help="steps: every arm trains the same --steps optimizer steps with a "
        "cosine-decayed learning rate and keeps its final weights (default); "
        "p1: P1's recipe, early stopping on the validation loss",
    )
    g.add_argument(
        "--steps",
        type=int,
        default=None,
        help="optimizer steps per classifier, equal for every arm (default 400; --quick: 60)",
    )
    g.add_argument(
        "--eval-every",
        type=int,
        default=None,
        help="steps between two points of the recorded training curve "
        "(default 50; --quick: 20); must divide --steps",
    )
    g.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="classifiers per cell, metrics averaged over them (default 3)",
    )
    g.add_argument(
        "--threshold",
        choices=THRESHOLD_RULES,
        default="youden",
        help="decision threshold for accuracy/sensitivity/specificity, chosen on "
        "the validation predictions: youden (max sensitivity + specificity, "
        "default), accuracy, or fixed (0.5, P1)",
    )
    g.add_argument(
        "--augment",
        nargs="+",
        choices=AUGMENT_OPS,
        default=list(DEFAULT_AUGMENT_OPS),
        metavar="OP",
        help=f"what the classical arms apply, each op with probability 0.5: "
        f"{' '.join(AUGMENT_OPS)} (default: {' '.join(DEFAULT_AUGMENT_OPS)}, "
        f"the best on the head CT pilot's validation parts)",
    )
    g.add_argument(
        "--weights",
        help="local ImageNet weights file (never downloaded) for "
        "resnet50 (benchmark: also the vgg16/inception_v3 "
        "feature extractor's)",
    )
    g.add_argument("--batch-size", type=int, default=32, help="classifier batch (P1: 32)")
    g.add_argument(
        "--lr",
        type=float,
        default=1e-3,
        help="RMSprop learning rate (P1: 1e-3; the start of the cosine decay)",
    )
    g.add_argument("--dropout", type=float, default=0.4, help="dropout before softmax (P1: 0.4)")
    g.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="--protocol p1: epoch cap under early stopping (default 100; --quick: 15)",
    )
    g.add_argument(
        "--patience", type=int, default=5, help="--protocol p1: early-stopping patience (P1: 5)"
    )
    g.add_argument(
        "--warmup-epochs",
        type=int,
        default=None,
        help="--protocol p1: epochs before early stopping watches (default 10; "
        "--quick: 8; 0 = P1's literal rule)",
    )


def _divisor_at_most(steps: int, most: int) -> int:
    """The default curve spacing: the largest divisor of ``steps`` not above ``most``."""
    if steps < 1:
        return most  # --steps itself is refused by the check
    return next(d for d in range(min(most, steps), 0, -1) if steps % d == 0)


def train_config_from_args(args: argparse.Namespace, quick: bool, weights: str | None):
    """The TrainConfig the flags describe; ValueError naming the flag when one cannot work."""

    profile = PROFILES["quick" if quick else "full"]
    pick = {
        k: (getattr(args, k) if getattr(args, k, None) is not None else v)
        for k, v in profile.items()
    }
    config = TrainConfig(
        classifier=pick["classifier"],
        weights=weights,
        dropout=args.dropout,
        protocol=args.protocol,
        steps=pick["steps"],
        eval_every=(
            _divisor_at_most(pick["steps"], pick["eval_every"])
            if args.eval_every is None
            else pick["eval_every"]
        ),
        seeds=pick["seeds"],
        threshold_rule=args.threshold,
        augment_ops=tuple(args.augment),
        epochs=pick["epochs"],
        batch_size=args.batch_size,
        learning_rate=args.lr,
        patience=args.patience,
        warmup_epochs=pick["warmup_epochs"],
        verbose=1 if getattr(args, "verbose", False) else 0,
    )
    check_train_config(config)
    if config.protocol == "p1" and config.patience < 1:
        raise ValueError(f"--patience must be >= 1, got {config.patience}")
    return config
