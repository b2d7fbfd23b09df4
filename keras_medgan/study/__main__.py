"""``python -m keras_medgan.study`` — see ``keras_medgan.study.cli``."""

import sys

from keras_medgan.study.cli import main

if __name__ == "__main__":
    sys.exit(main())
