"""``python -m keras_medgan.synthesize``: the entry point; the tool is :mod:`keras_medgan.cli.synthesize`."""

from keras_medgan.cli.synthesize import main
from keras_medgan.core.console import run_main

if __name__ == "__main__":
    run_main(main)
