"""``python -m keras_medgan.study`` — see ``keras_medgan.study.cli``."""

from keras_medgan.console import run_main
from keras_medgan.study.cli import main

if __name__ == "__main__":
    run_main(main)
