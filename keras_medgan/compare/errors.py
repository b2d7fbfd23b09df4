"""The one exception type the benchmark raises for problems a user can fix."""

from keras_medgan.core.errors import KerasMedganError


class BenchmarkError(KerasMedganError, ValueError):
    """Bad input to the benchmark (generator/data mismatch, missing class, too few images).

    The CLI prints its message and exits with code 2; the message names the file, class or
    setting at fault and the reason.
    """
