"""``python -m keras_medgan.data``: see keras_medgan/cli/data.py."""

from keras_medgan.cli.data import main
from keras_medgan.core.console import run_main

run_main(main)
