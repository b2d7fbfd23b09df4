"""Precision, XLA and distribution settings, by name (one place for global TF/Keras state).

* ``set_precision("fp32" | "bf16" | "fp16")`` sets Keras's global dtype policy. Call it
  BEFORE building models: layers read the policy when they are created. Every builder
  keeps its output layer float32, and ``GAN.compile`` wraps both optimizers in a
  ``LossScaleOptimizer`` under fp16 (bf16 needs no loss scaling).
* ``resolve_jit("auto" | "on" | "off")`` gives the value for ``compile(jit_compile=...)``.
  Keras turns "auto" on only with a GPU and no strategy.
* ``make_strategy("default" | "mirrored" | "multi-worker")`` builds a ``tf.distribute``
  strategy; create models, optimizers and the GAN inside ``strategy.scope()``. The GAN
  train steps divide per-replica losses by the replica count, so N replicas give the
  single-replica result for the same global batch (tested on 2 logical CPUs, and with
  MultiWorkerMirroredStrategy on two localhost worker processes; the GAN base class
  works around two Keras 3.15 reductions that failed under multi-worker).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from keras_medgan.registry import Registry

PRECISIONS: Registry[str] = Registry("precision")
PRECISIONS.register("fp32", "float32")
PRECISIONS.register("bf16", "mixed_bfloat16")
PRECISIONS.register("fp16", "mixed_float16")

JIT_MODES: Registry = Registry("jit mode")
JIT_MODES.register("auto", "auto")
JIT_MODES.register("on", True)
JIT_MODES.register("off", False)

STRATEGIES: Registry = Registry("distribution strategy")


@STRATEGIES.register("default")
def _default_strategy(devices: Sequence[str] | None = None):
    return tf.distribute.get_strategy()


@STRATEGIES.register("mirrored")
def _mirrored_strategy(devices: Sequence[str] | None = None):
    return tf.distribute.MirroredStrategy(devices=list(devices) if devices else None)


@STRATEGIES.register("multi-worker")
def _multi_worker_strategy(devices: Sequence[str] | None = None):
    # Reads the cluster from TF_CONFIG; `devices` does not apply.
    return tf.distribute.MultiWorkerMirroredStrategy()


def set_precision(name: str) -> str:
    """Set the global Keras dtype policy from a short name; returns the policy name."""
    policy = PRECISIONS.get(name)
    keras.mixed_precision.set_global_policy(policy)
    return policy


def current_precision() -> str:
    """The short name of the active global policy (``"fp32"`` for anything unknown)."""
    policy = keras.mixed_precision.global_policy().name
    for name in PRECISIONS.names():
        if PRECISIONS.get(name) == policy:
            return name
    return "fp32"


def resolve_jit(mode) -> object:
    """``"auto" | "on" | "off"`` (or a bool) → value for ``compile(jit_compile=...)``."""
    if isinstance(mode, bool):
        return mode
    return JIT_MODES.get(mode)


def make_strategy(name: str = "default", devices: Sequence[str] | None = None):
    """A ``tf.distribute.Strategy`` by name; ``devices`` only for "mirrored"."""
    return STRATEGIES.get(name)(devices)
