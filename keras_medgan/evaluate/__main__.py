"""``python -m keras_medgan.evaluate`` — see ``keras_medgan.evaluate.cli``."""

import sys

from keras_medgan.evaluate.cli import main

if __name__ == "__main__":
    sys.exit(main())
