"""Generator / discriminator builders, looked up by name in ``ARCHS``.

Importing this package imports every builder module, and each module registers its
architectures (``ARCHS.add(ArchSpec(name=..., ...))``). ``ARCHS.names()`` is therefore
complete as soon as ``from keras_medgan.models import ARCHS`` returns.
"""

# Builder modules: importing one registers its architectures. A new builder module is
# added to this one import line.
from keras_medgan.models import began, dcgan, progan  # noqa: F401  (began; dcgan32/64/128; pggan)
from keras_medgan.models.spec import ARCHS, ArchSpec, check_image_size

__all__ = ["ARCHS", "ArchSpec", "check_image_size"]
