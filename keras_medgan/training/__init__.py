"""Training one GAN run: its configuration (resolved from presets, flags and a resumed
run), the run folder, the trainer with its checkpoints and callbacks, and the run report."""

from keras_medgan.core.aliases import forward_to

# 0.7's keras_medgan.training module (now training/trainer.py): its names, until 0.9
__getattr__ = forward_to("keras_medgan.training.trainer", __name__)
