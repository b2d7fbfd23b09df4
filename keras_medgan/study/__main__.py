"""``python -m keras_medgan.study`` — see ``keras_medgan.cli.study``."""

from keras_medgan.cli.study import main
from keras_medgan.core.console import run_main

if __name__ == "__main__":
    run_main(main)
