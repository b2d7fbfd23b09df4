"""GAN loss families (``keras.Model`` subclasses overriding ``train_step``), by name.

``GAN_FAMILIES.get("bce" | "wgan" | "wgan-gp")`` returns the class; construct it with
``(generator=..., discriminator=..., z_dim=..., num_classes=..., **options)``, compile it
with ``compile(d_optimizer=..., g_optimizer=...)`` (see ``make_optimizers``) and train it
with ``fit``. Importing this package imports every family module, which registers itself.
"""

# Family modules: importing one registers its family. A new family module is added to
# this one import line.
from keras_medgan.gans import bce, began, progressive, wgan_clip, wgan_gp  # noqa: F401
from keras_medgan.gans.base import GAN, GAN_FAMILIES, labels_to_one_hot
from keras_medgan.gans.optimizers import OPTIMIZERS, make_optimizers, training_defaults

__all__ = [
    "GAN",
    "GAN_FAMILIES",
    "OPTIMIZERS",
    "labels_to_one_hot",
    "make_optimizers",
    "training_defaults",
]
