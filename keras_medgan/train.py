"""``python -m keras_medgan.train``: the entry point; the tool is :mod:`keras_medgan.cli.train`."""

from keras_medgan.cli.train import main
from keras_medgan.core.console import run_main

if __name__ == "__main__":
    run_main(main)
