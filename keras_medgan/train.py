"""``python -m keras_medgan.train``: the entry point; the tool is :mod:`keras_medgan.cli.train`."""

from keras_medgan.cli.train import main
from keras_medgan.core.aliases import forward_to
from keras_medgan.core.console import run_main

__getattr__ = forward_to("keras_medgan.cli.train", __name__)  # 0.7's names, until 0.9
if __name__ == "__main__":
    run_main(main)
