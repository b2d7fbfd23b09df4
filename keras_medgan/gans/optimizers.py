"""Optimizers by name, and the rule that merges an architecture's and a family's recipe.

``make_optimizers(family, ...)`` returns a fresh ``(d_optimizer, g_optimizer)`` pair so a
CLI never needs an ``if loss == "wgan"`` chain. ``training_defaults(arch, family)`` gives
the merged paper defaults a CLI should start from before applying the user's flags.
"""

from __future__ import annotations

from typing import Any

import keras

from keras_medgan.core.registry import Registry

# the registry; the package's __init__ fills it before any submodule is used
from keras_medgan.gans.base import GAN_FAMILIES
from keras_medgan.models import ARCHS

OPTIMIZERS: Registry = Registry("optimizer")


@OPTIMIZERS.register("adam")
def _adam(lr: float, beta_1: float = 0.9, beta_2: float = 0.999, **_):
    return keras.optimizers.Adam(learning_rate=lr, beta_1=beta_1, beta_2=beta_2)


@OPTIMIZERS.register("rmsprop")
def _rmsprop(lr: float, **_):
    # Arjovsky et al. (and P4) use RMSprop because momentum destabilises weight-clipped
    # critics; betas do not apply.
    return keras.optimizers.RMSprop(learning_rate=lr)


def _family_class(family):
    if isinstance(family, str):
        return GAN_FAMILIES.get(family)
    return family


def make_optimizers(
    family,
    optimizer: str | None = None,
    lr: float | None = None,
    beta_1: float | None = None,
    beta_2: float | None = None,
) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
    """``(d_optimizer, g_optimizer)`` for a family name or class.

    Arguments left ``None`` come from ``family.family_defaults()`` (e.g. "wgan": RMSprop
    5e-5; "wgan-gp": Adam 1e-4, beta_1 0, beta_2 0.9; "bce": Adam 2e-4, beta_1 0.5).
    Call it inside ``strategy.scope()`` when training distributed.
    """
    cls = _family_class(family)
    d = cls.family_defaults()
    args: dict[str, Any] = {
        "lr": d.get("lr") if lr is None else lr,
        "beta_1": d.get("beta_1", 0.9) if beta_1 is None else beta_1,
        "beta_2": d.get("beta_2", 0.999) if beta_2 is None else beta_2,
    }
    if args["lr"] is None:
        raise ValueError(f"No learning rate for family {cls.__name__}. Received: lr=None")
    build = OPTIMIZERS.get(optimizer or d.get("optimizer", "adam"))
    return build(**args), build(**args)


def training_defaults(arch, family, origins: dict[str, str] | None = None) -> dict[str, Any]:
    """The merged recipe for an architecture (name or ``ArchSpec``) and a loss family.

    Rule: the paper that defines an architecture's default loss also defines its
    optimizer, so when ``family`` is the architecture's own recipe loss the architecture's
    values win; when the user switches loss (e.g. dcgan64 + "wgan" = P4), the loss
    family's paper recipe wins (RMSprop 5e-5, batch 64, 100 epochs).
    Family constructor options (``OPTIONS``) are included under their own names.
    ``origins``, when given, is filled with which layer gave each recipe value
    (``recipe <file>`` or ``<loss> family``), what ``train --print-config`` shows.
    """

    spec = ARCHS.get(arch) if isinstance(arch, str) else arch
    name = family if isinstance(family, str) else family.NAME
    cls = GAN_FAMILIES.get(name)
    arch_defaults = spec.paper_defaults()
    layers = [
        (cls.family_defaults(), f"{name} family"),
        (arch_defaults, f"recipe {spec.recipe}" if spec.recipe else f"{spec.name} architecture"),
    ]
    if arch_defaults.get("loss") != name:
        layers.reverse()  # the later layer wins
    merged: dict[str, Any] = {}
    for values, label in layers:
        merged.update(values)
        if origins is not None:
            origins.update(dict.fromkeys(values, label))
    merged["loss"] = name
    merged.update(cls.option_defaults())
    merged["critic"] = cls.CRITIC
    return merged
