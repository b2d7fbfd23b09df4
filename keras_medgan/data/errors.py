"""The one error type the data layer raises for problems the user can cause.

A ``DataError`` is a ``ValueError`` whose message names the file or dataset and the
reason, so a CLI can print it as-is and exit 2 instead of showing a traceback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from keras_medgan.core.errors import KerasMedganError

log = logging.getLogger("keras_medgan.data")


class DataError(KerasMedganError, ValueError):
    """A bad input file, label, or dataset; the message is meant for the user."""


def file_error(path, reason: str) -> DataError:
    """The standard wording: ``<path>: <reason>``."""
    return DataError(f"{path}: {reason}")


@dataclass
class SkipLog:
    """Collects bad inputs: skipped with a reason by default, fatal when ``strict``.

    Every reader reports its problems through one of these so that non-strict runs end
    with a single summary instead of a wall of warnings, and ``--strict`` stops at the
    first bad file with the same message.
    """

    strict: bool = False
    items: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, path, reason: str) -> None:
        if self.strict:
            raise file_error(path, reason)
        self.items.append((str(path), reason))

    def skip_error(self, err: DataError, path=None) -> None:
        """Record a DataError raised by a reader (its message already names the file)."""
        if self.strict:
            raise err
        message = str(err)
        prefix = f"{path}: "
        if path is not None and message.startswith(prefix):
            message = message[len(prefix) :]
        self.items.append((str(path) if path is not None else "?", message))

    def summary(self, limit: int = 10) -> str:
        if not self.items:
            return ""
        lines = [f"skipped {len(self.items)} bad input(s):"]
        lines += [f"  {p}: {r}" for p, r in self.items[:limit]]
        if len(self.items) > limit:
            lines.append(
                f"  ... and {len(self.items) - limit} more (all of them: ImageSet.skipped, "
                "or data_report.json from `python -m keras_medgan.data info`)"
            )
        return "\n".join(lines)

    def report(self) -> None:
        """Log the summary once, at the end of a load."""
        if self.items:
            log.warning(self.summary())
