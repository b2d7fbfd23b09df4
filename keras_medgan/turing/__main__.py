"""``python -m keras_medgan.turing`` — see ``keras_medgan.turing.cli``."""

import sys

from keras_medgan.turing.cli import main

if __name__ == "__main__":
    sys.exit(main())
