"""The cross-validated augmentation study: ``python -m keras_medgan.study``.

``folds`` deals the images into repeated stratified patient-level folds; ``cells`` plans
the units of work and stores each finished one; ``runner`` trains GANs inside every fold
and every arm's classifier; ``report`` turns finished cells into tables, intervals,
paired tests and the leakage check; ``cli`` is the command line.
"""

from keras_medgan.study.config import StudyConfig, StudyError

__all__ = ["StudyConfig", "StudyError"]
