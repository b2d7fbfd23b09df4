"""Class fidelity (P0): does a classifier trained on real data agree with the fakes' labels?

P0 trained a healthy/hemorrhagic classifier on real slices and let it label the
conditional GAN's "hemorrhagic" fakes: 45.3 % were called hemorrhagic — no better than a
coin. Here every class's fakes are labelled by the classifier of the benchmark's ``real``
arm (trained on the real training split of the same repeat), and the agreement per class
is reported with an exact binomial test against chance (1 / number of classes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from keras_medgan.evaluate.stats import binomial_test

__all__ = ["P0_REFERENCE", "class_agreement", "pool_agreement"]

#: P0: share of the cGAN's hemorrhagic fakes a real-trained classifier called hemorrhagic.
P0_REFERENCE = {"hemorrhage": 0.453}


def class_agreement(intended, predicted, class_names: Sequence[str]) -> dict[str, dict]:
    """Per class: how many fakes of that class the classifier labelled as that class."""
    intended = np.asarray(intended).reshape(-1)
    predicted = np.asarray(predicted).reshape(-1)
    out = {}
    for c, name in enumerate(class_names):
        mask = intended == c
        n = int(mask.sum())
        if n == 0:
            continue
        k = int(np.sum(predicted[mask] == c))
        out[name] = {"agree": k, "n": n, "rate": k / n}
    return out


def pool_agreement(per_repeat: Sequence[dict[str, dict]], num_classes: int) -> dict[str, dict]:
    """Sum agreement counts over repeats; add the binomial p-value against chance."""
    pooled: dict[str, dict] = {}
    for entry in per_repeat:
        for name, v in entry.items():
            acc = pooled.setdefault(name, {"agree": 0, "n": 0, "rates": []})
            acc["agree"] += v["agree"]
            acc["n"] += v["n"]
            acc["rates"].append(v["rate"])
    chance = 1.0 / num_classes
    for v in pooled.values():
        v["rate"] = v["agree"] / v["n"]
        v["chance"] = chance
        v["binomial_pvalue_vs_chance"] = binomial_test(v["agree"], v["n"], chance)
    return pooled
