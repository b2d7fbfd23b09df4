"""``python -m keras_medgan.evaluate`` — see ``keras_medgan.evaluate.cli``."""

from keras_medgan.console import run_main
from keras_medgan.evaluate.cli import main

if __name__ == "__main__":
    run_main(main)
