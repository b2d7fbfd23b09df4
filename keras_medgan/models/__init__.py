"""Generator / discriminator builders, looked up by name in ``ARCHS``.

Importing this package imports every builder module, and each module registers its
architectures (``ARCHS.register(name, ArchSpec(...))``). ``ARCHS.names()`` is therefore
complete as soon as ``from keras_medgan.models import ARCHS`` returns.
"""

# Builder modules: importing one registers its architectures. A new builder module is
# added to this one import line (PGGAN/BEGAN engineer: make it `began, dcgan, progan`).
from keras_medgan.models import dcgan  # noqa: F401  (dcgan32, dcgan64, dcgan128)
from keras_medgan.models.spec import ARCHS, ArchSpec, check_image_size

__all__ = ["ARCHS", "ArchSpec", "check_image_size"]
