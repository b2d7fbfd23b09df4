"""``python -m keras_medgan.evaluate`` — see ``keras_medgan.cli.evaluate``."""

from keras_medgan.cli.evaluate import main
from keras_medgan.core.console import run_main

if __name__ == "__main__":
    run_main(main)
