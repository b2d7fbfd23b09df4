"""``python -m keras_medgan.data``: see keras_medgan/data/cli.py."""

import sys

from keras_medgan.data.cli import main

sys.exit(main())
