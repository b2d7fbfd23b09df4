"""``study --plan``: what a study will cost and what it can detect, before anything trains.

Power comes from the corrected resampled t-test the report uses: with J = repeats × folds
paired fold differences of standard deviation σ, the smallest true difference found with
80 % probability at α = 0.05 is ``(t_{.975,J-1} + t_{.8,J-1}) · σ · sqrt(1/J + n_test/n_train)``
(:func:`keras_medgan.evaluate.stats.detectable_difference`). The ``n_test/n_train`` term does not
shrink with repeats, so repeats alone cannot push the detectable difference below
``≈ 2.8 · σ · sqrt(n_test/n_train)``; only a smaller σ (more classifier seeds, a steadier
classifier) can.

σ comes from the finished cells in ``--out`` when at least two folds are paired with the
real arm; otherwise from :data:`REFERENCE_SD`, measured on the archived head CT study.
"""

from __future__ import annotations

import math

from scipy import stats

from keras_medgan.core.console import format_duration
from keras_medgan.evaluate.stats import detectable_difference

__all__ = ["REFERENCE_SD", "STEP_SECONDS", "format_plan", "plan_study"]

#: SD of the per-fold differences real+synthetic − real (the two recipes' variances
#: pooled) in the archived head CT study (experiments/results/study_p1_head_ct: 5 folds,
#: one classifier seed, P1's early-stopping protocol), re-scored with the new endpoints.
REFERENCE_SD = {"auc": 0.0263, "accuracy": 0.0548}
REFERENCE_SOURCE = (
    "the archived head CT study (5 folds, 1 seed, P1's protocol; real+synthetic vs real)"
)

#: Seconds per classifier step at 32×32, batch 32, fp32, measured on a 2-core Intel Xeon
#: (AMX) with `scripts/pilot_classifier.py`'s setting; other machines differ.
STEP_SECONDS = {"resnet50": 0.273, "resnet18_cifar": 0.062, "small_cnn": 0.011}
#: GAN training images per second by (arch, loss): the archived head CT study's GAN cells
#: (150 epochs, default precision, the 2-core CPU shared with other work): P1's BCE with
#: gradient penalty 22.7, WGAN-GP (5 critic steps) 7.9.
GAN_IMAGES_PER_SECOND = {("dcgan32", "bce"): 22.7, ("dcgan32", "wgan-gp"): 7.9}

REPEAT_OPTIONS = (1, 2, 3, 5, 10)
TARGET_AUC = 0.03


def plan_study(
    *,
    cells: list,
    folds: int,
    repeats: int,
    n_train: float,
    n_test: float,
    seeds: int,
    steps: int | None,
    classifier: str,
    gan_images: dict[str, tuple[float, tuple]],
    sd: dict[str, float] | None = None,
    sd_source: str | None = None,
) -> dict:
    """Cell counts, a time estimate and the detectable differences. ``gan_images``: GAN
    cell id → (images × epochs it trains on, (arch, loss))."""
    kinds = {k: sum(c.kind == k for c in cells) for k in ("gan", "arm", "gan_train")}
    sd = sd or REFERENCE_SD
    j = folds * repeats
    per_step = STEP_SECONDS.get(classifier)
    classifier_seconds = (
        kinds["arm"] * seeds * steps * per_step if per_step is not None and steps else None
    )
    gan_seconds = 0.0
    for images, kind in gan_images.values():
        rate = GAN_IMAGES_PER_SECOND.get(tuple(kind))
        if rate is None:
            gan_seconds = None
            break
        gan_seconds += images / rate
    detect = {m: detectable_difference(s, j, n_train, n_test) for m, s in sd.items()}
    by_repeats = {
        r: detectable_difference(sd["auc"], folds * r, n_train, n_test) for r in REPEAT_OPTIONS
    }
    floor = (_floor_factor() * sd["auc"] * math.sqrt(n_test / n_train)) if n_train else math.nan
    needed_sd = TARGET_AUC / detect["auc"] * sd["auc"] if detect["auc"] else math.nan
    return {
        "cells": kinds,
        "paired_folds": j,
        "seeds": seeds,
        "steps": steps,
        "classifier": classifier,
        "classifier_seconds": classifier_seconds,
        "gan_seconds": gan_seconds,
        "n_train": n_train,
        "n_test": n_test,
        "sd": sd,
        "sd_source": sd_source or REFERENCE_SOURCE,
        "detectable": detect,
        "detectable_auc_by_repeats": by_repeats,
        "detectable_auc_floor": floor,
        "sd_auc_for_target": needed_sd,
    }


def _floor_factor() -> float:
    """(z_.975 + z_.8): the t quantiles as J grows without bound."""

    return float(stats.norm.ppf(0.975) + stats.norm.ppf(0.8))


def _duration(seconds) -> str:
    return (
        "not estimated (no measured rate for this setting)"
        if seconds is None
        else format_duration(seconds)
    )


def format_plan(plan: dict) -> str:
    c = plan["cells"]
    lines = [
        (
            f"cells: {c['gan']} GAN, {c['arm']} classifier ({c['arm'] * plan['seeds']} "
            f"classifiers: {plan['seeds']} seed(s) each"
            + (f", {plan['steps']} steps" if plan["steps"] else "")
            + f"), {c['gan_train']} "
            f"GAN-train; {plan['paired_folds']} paired folds"
        ),
        (
            f"time on a 2-core CPU like ours: GANs {_duration(plan['gan_seconds'])}, classifiers "
            f"{_duration(plan['classifier_seconds'])} ({plan['classifier']})"
        ),
        (
            f"power (corrected resampled t, α = 0.05, 80 %; about {plan['n_train']:.0f} training "
            f"and {plan['n_test']:.0f} test images per fold; SD of the fold differences "
            f"Δ AUC {plan['sd']['auc']:.4f}, Δ accuracy {plan['sd']['accuracy']:.4f} from "
            f"{plan['sd_source']}):"
        ),
        (
            f"  smallest detectable Δ AUC {plan['detectable']['auc']:.3f}, Δ accuracy "
            f"{100 * plan['detectable']['accuracy']:.1f} points"
        ),
        "  Δ AUC by repeats of these folds: "
        + ", ".join(f"{r} → {v:.3f}" for r, v in plan["detectable_auc_by_repeats"].items()),
        (
            f"  no number of repeats goes below Δ AUC {plan['detectable_auc_floor']:.3f} at this "
            f"SD; Δ AUC {TARGET_AUC} with this design needs an SD of about "
            f"{plan['sd_auc_for_target']:.4f}"
        ),
    ]
    return "\n".join(lines)
