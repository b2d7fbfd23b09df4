"""``python -m keras_medgan.turing`` — see ``keras_medgan.turing.cli``."""

from keras_medgan.console import run_main
from keras_medgan.turing.cli import main

if __name__ == "__main__":
    run_main(main)
