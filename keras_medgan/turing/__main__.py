"""``python -m keras_medgan.turing`` — see ``keras_medgan.cli.turing``."""

from keras_medgan.cli.turing import main
from keras_medgan.core.console import run_main

if __name__ == "__main__":
    run_main(main)
