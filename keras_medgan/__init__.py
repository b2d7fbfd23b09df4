"""keras_medgan: GANs for small medical image sets, and the numbers that say whether
their synthetic images help a classifier."""

import sys

from keras_medgan._version import __version__  # noqa: F401  (the package version)
from keras_medgan.core import aliases

aliases.install()  # the 0.7 import paths (keras_medgan.export, ...) for one more release

if sys.argv[:1] == ["-m"]:
    # `python -m keras_medgan.<tool>`: Python imports this package while it locates the
    # tool (argv[0] is "-m" only then), before any tool module can import TensorFlow. The
    # moment to answer `--help` from its stored text (cli/stored_help.py), and to make the
    # TensorFlow import quiet (--verbose keeps the noise). Neither loads TensorFlow.
    from keras_medgan.cli.stored_help import print_stored_help
    from keras_medgan.core.console import quiet_tensorflow, wants_verbose

    if print_stored_help(getattr(sys, "orig_argv", ())):
        raise SystemExit(0)

    quiet_tensorflow(wants_verbose())
elif "--multiprocessing-fork" in getattr(sys, "orig_argv", ()):
    # a worker process a tool spawned (the study's side-by-side GAN cells): it imports the
    # tool's module again, and with it TensorFlow; as quiet as its parent
    from keras_medgan.core.console import quiet_tensorflow, wants_verbose

    quiet_tensorflow(wants_verbose())


def load_pretrained(name: str, **kwargs):
    """A shipped generator set from ``models_h5/`` (see ``keras_medgan.generators.pretrained``);
    imported on call so that ``import keras_medgan`` stays free of TensorFlow."""
    # lazy: loads TensorFlow; module stays light
    from keras_medgan.generators.pretrained import load_pretrained as load

    return load(name, **kwargs)
