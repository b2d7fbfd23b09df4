"""How classes become file names: ``generator_<slug>.h5``; two classes that would share a
file name are refused before anything is written."""

from __future__ import annotations

import re


def slug(name: str) -> str:
    """A file-name-safe form of a class name (the card keeps the real name): letters,
    digits, ``_ . -`` only, never starting with a dot (no ``..``, no hidden files), at most
    100 characters. Class names come from users' folders and from model cards of files
    from elsewhere, so this is what keeps a name from writing outside its folder."""
    text = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).lstrip("._").rstrip("_")[:100]
    return text or "unnamed"


def check_distinct_slugs(names, what: str = "classes") -> None:
    """Refuse names that would share one file name after ``slug`` (e.g. ``x y`` and ``x_y``,
    or two non-Latin class names): one would silently overwrite the other."""
    seen: dict[str, str] = {}
    for name in names:
        key = slug(name)
        if key in seen and seen[key] != name:
            raise ValueError(
                f"{what} {seen[key]!r} and {name!r} would share the file name {key!r}; rename one"
            )
        seen[key] = name
