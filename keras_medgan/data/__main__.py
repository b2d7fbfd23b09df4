"""``python -m keras_medgan.data``: see keras_medgan/data/cli.py."""

from keras_medgan.console import run_main
from keras_medgan.data.cli import main

run_main(main)
