"""``python -m keras_medgan.benchmark``: the entry point; the tool is :mod:`keras_medgan.cli.benchmark`."""

from keras_medgan.cli.benchmark import main
from keras_medgan.core.console import run_main

if __name__ == "__main__":
    run_main(main)
