"""keras_medgan: GANs for small medical image sets, and the numbers that say whether
their synthetic images help a classifier."""

__version__ = "0.1.0"
