"""The error a training run ends with when it cannot go on (its message says what was
kept and what to try); the CLIs print it and exit 1."""

from keras_medgan.core.errors import KerasMedganError


class TrainingError(KerasMedganError, RuntimeError):
    """Training stopped (a NaN, no readable checkpoint, a full disk); the message says what
    was kept and what to do."""

    exit_code = 1  # the run failed on its own; the input was fine
