"""Every use of a private Keras or TensorFlow API in the package, in one place.

Each workaround says which public behaviour it restores and the version it was checked
on. Importing this module compares the installed Keras with ``CHECKED_KERAS``: a newer
minor version warns once (the hooks below may have been renamed or fixed upstream), so
a failure after an upgrade points here first instead of deep inside a training step.
"""

from __future__ import annotations

import warnings

import keras
import tensorflow as tf
from keras import ops

#: the Keras minor versions these workarounds were checked on
CHECKED_KERAS = ("3.15",)


def _keras_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def check_keras_version(version: str = keras.__version__) -> bool:
    """True when ``version`` is one the workarounds were checked on; warns otherwise."""
    if _keras_minor(version) in CHECKED_KERAS:
        return True
    warnings.warn(
        f"keras_medgan's workarounds for private Keras APIs (keras_medgan/models/"
        f"keras_compat.py) were checked on Keras {', '.join(CHECKED_KERAS)}; this is "
        f"Keras {version}. Training under a multi-worker strategy, float16 loss scaling "
        f"and feature statistics rely on them.",
        RuntimeWarning,
        stacklevel=2,
    )
    return False


check_keras_version()


def multi_worker_mode(strategy) -> bool:
    """Whether ``strategy`` is a MultiWorkerMirroredStrategy with more than one worker
    (TensorFlow has no public question for it)."""
    return (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and strategy.extended._in_multi_worker_mode()
    )


def reducible_logs(logs: dict, strategy) -> dict:
    """Logs Keras can reduce across workers: scalars become shape [1] in multi-worker mode.

    Keras 3.15 reduces per-replica logs of a MultiWorkerMirroredStrategy with
    ``strategy.reduce("MEAN", v, axis=0)``, which fails on a scalar ("Invalid reduction
    dimension 0 for input with 0 dimensions"); a [1] vector reduces to the same mean.
    Other strategies keep scalars (their reduction has no axis).
    """
    if not multi_worker_mode(strategy):
        return logs
    return {k: ops.reshape(ops.cast(v, "float32"), (1,)) for k, v in logs.items()}


class PerLeafSymbolicBuild:
    """A ``keras.Model`` mixin: Keras's build-before-fit under a strategy, with the first
    batch reduced leaf by leaf.

    Keras 3.15 reduces the whole ``(images, labels)`` batch with one ``strategy.reduce``
    call (private hook ``_maybe_symbolic_build``). MirroredStrategy accepts that nested
    structure; MultiWorkerMirroredStrategy's collective ops do not ("Attempt to convert a
    value (PerReplica...) to a Tensor"), so ``fit`` failed before the first step. Reducing
    each tensor on its own gives the same batch under both (it only sets shapes).
    """

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        strategy = self._distribute_strategy
        if strategy is not None and iterator is not None and data_batch is None:
            for _, _, it in iterator:
                data_batch = tf.nest.map_structure(
                    lambda v: (
                        strategy.reduce("MEAN", v, axis=None)
                        if isinstance(v, tf.distribute.DistributedValues)
                        else v
                    ),
                    next(it),
                )
                break
            iterator = None
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)


class NonFiniteStepHook:
    """A ``keras.optimizers.LossScaleOptimizer`` mixin: calls ``on_non_finite_step()``
    whenever the optimizer skips a step because the scaled gradients were not finite.

    Keras 3.15 handles such a step in the private ``_stateful_handle_non_finite_grads``
    (halve the scale, apply nothing) and counts nothing a caller can read.
    """

    def on_non_finite_step(self) -> None:  # pragma: no cover - overridden
        pass

    def _stateful_handle_non_finite_grads(self):
        self.on_non_finite_step()
        super()._stateful_handle_non_finite_grads()


def flatten_layers(model: keras.Model):
    """Every layer of ``model``, nested models' layers included (Keras's private
    ``_flatten_layers``; ``model.layers`` stops at the first level)."""
    return model._flatten_layers()
