"""A unit's full training state on disk, and getting it back.

What a checkpoint holds: both networks, both optimizers (with their slots: ``compile``
has built them before this is made, or a restore would skip the slots and silently reset
Adam's moments), the GAN's random stream, the epoch counter, the family's own variables
(BEGAN's k) and the layers' own random streams (Dropout). With all of it, a killed run
resumed gives the weights of an unbroken one.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable

from keras_medgan.training.errors import TrainingError


def layer_seed_states(*models) -> list:
    """The state variables of the layers' own ``SeedGenerator``s (Dropout, noise layers),
    in model order; part of the checkpoint so that a resumed run draws what an unbroken one
    would."""
    return [v for m in models for v in m.variables if v.path.endswith("seed_generator_state")]


def gan_extra_state(gan) -> list:
    """GAN variables outside G, D, the optimizers, the random stream and the metrics
    (e.g. BEGAN's k)."""
    owned = {id(v) for m in (gan.generator, gan.discriminator) for v in m.variables}
    owned.add(id(gan.seed_generator.state))
    metric_vars = {id(v) for m in gan.metrics for v in m.variables}
    return [v for v in gan.variables if id(v) not in owned and id(v) not in metric_vars]


class UnitCheckpoint:
    """The checkpoints of one unit in ``directory``: save through ``manager`` (the
    trainer's saver callback does), restore the newest readable one, read the epoch."""

    def __init__(self, gan, directory, keep: int, name: str, print_fn: Callable = print):
        # tf.train.Checkpoint: Keras has no full-state checkpoint
        import tensorflow as tf  # lazy: loads TensorFlow; module stays light

        self.directory, self.name, self.print = pathlib.Path(directory), name, print_fn
        with gan.distribute_strategy.scope():
            self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        parts = {
            "generator": gan.generator,
            "discriminator": gan.discriminator,
            "d_optimizer": gan.d_optimizer,
            "g_optimizer": gan.g_optimizer,
            "seed_state": gan.seed_generator.state,
            "epoch": self.epoch,
            "gan_state": gan_extra_state(gan),
        }
        latest = tf.train.latest_checkpoint(str(self.directory))
        if latest is None or any(
            name.startswith("layer_rng/") for name, _ in tf.train.list_variables(latest)
        ):
            # Dropout's own seed generators: tf.train.Checkpoint does not reach them through
            # the Keras models, and without them a resumed run draws other masks. Checkpoints
            # written before they were added resume without them (not bit-exact).
            parts["layer_rng"] = layer_seed_states(gan.generator, gan.discriminator)
        self.checkpoint = tf.train.Checkpoint(**parts)
        self.manager = tf.train.CheckpointManager(
            self.checkpoint, str(self.directory), max_to_keep=keep
        )

    @property
    def latest(self) -> str | None:
        return self.manager.latest_checkpoint

    def restore(self) -> int:
        """Restore the newest readable checkpoint (if any); returns the finished epochs.

        A corrupted newest checkpoint (a disk that filled up, a file damaged later) falls
        back to the one before it, saying so, rather than ending the run with a traceback.
        """
        import tensorflow as tf  # lazy: loads TensorFlow; module stays light

        for path in reversed(self.manager.checkpoints):
            try:
                self.checkpoint.restore(path).assert_existing_objects_matched()
            except (
                tf.errors.OpError,
                ValueError,
                AssertionError,
                IndexError,
                KeyError,
                OSError,
            ) as exc:  # what a truncated or damaged bundle raises
                first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
                self.print(
                    f"[{self.name}] checkpoint {path} is unreadable ({first}); "
                    "trying the one before"
                )
                continue
            return int(self.epoch.numpy())
        if self.manager.checkpoints:
            raise TrainingError(
                f"[{self.name}] no readable checkpoint in {self.directory}; "
                "move that folder away to start this class again"
            )
        return 0

    def restore_latest(self) -> int:
        """Go back to the newest checkpoint (after a NaN or inside an interrupted epoch);
        returns its epoch. The caller has checked that there is one."""
        self.checkpoint.restore(self.latest).assert_existing_objects_matched()
        return int(self.epoch.numpy())


def finished_epochs(directory) -> int:
    """The epoch count of the newest checkpoint in ``directory``, read without building a
    model (0 when there is none or it cannot be read: the trainer's restore reports it)."""
    import tensorflow as tf  # lazy: loads TensorFlow; module stays light

    latest = tf.train.latest_checkpoint(str(directory))
    if latest is None:
        return 0
    try:
        return int(tf.train.load_variable(latest, "epoch/.ATTRIBUTES/VARIABLE_VALUE"))
    except (ValueError, OSError, tf.errors.OpError):
        return 0
