"""``python -m keras_medgan.cli <tool> …``: the same as ``keras-medgan <tool> …``."""

from keras_medgan.cli import main

raise SystemExit(main())
