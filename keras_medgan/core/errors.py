"""The one base of every error a user can act on.

A tool catches :class:`KerasMedganError`, prints ``error: <message>`` as one line (the
message names the file or the setting and the fix) and exits with the error's
``exit_code``: 2 for bad input or settings, 1 for a run that failed on its own (a
diverged GAN, a full disk). Each subclass keeps the built-in base it had (ValueError,
RuntimeError), so ``except ValueError`` in user code keeps working.
"""

from __future__ import annotations

import sys


class KerasMedganError(Exception):
    """A problem the user can fix; ``exit_code`` is what a tool exits with."""

    exit_code = 2


def report(exc: KerasMedganError, stream=None) -> int:
    """Print ``exc`` as a tool's one-line error and return the exit code to use."""
    print(f"error: {exc}", file=stream if stream is not None else sys.stderr)
    return exc.exit_code
