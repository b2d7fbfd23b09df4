"""keras_medgan: GANs for small medical image sets, and the numbers that say whether
their synthetic images help a classifier."""

__version__ = "0.1.0"


def load_pretrained(name: str, **kwargs):
    """A shipped generator set from ``models_h5/`` (see ``keras_medgan.pretrained``);
    imported on call so that ``import keras_medgan`` stays free of TensorFlow."""
    from keras_medgan.pretrained import load_pretrained as load

    return load(name, **kwargs)
