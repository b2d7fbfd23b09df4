"""A tiny name → object registry.

Architectures, loss families, datasets, metrics and feature extractors are all looked up
by name from the command line. A registry keeps that lookup in one place, gives every CLI
its ``choices=`` list, and turns a typo into an error that lists the valid names instead
of an ``if name == ...`` chain somewhere deep in the code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects; ``register`` works as a decorator or a plain call."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, obj: T | None = None):
        """Register ``obj`` under ``name``; without ``obj`` returns a decorator."""

        def _add(item: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is already registered.")
            self._items[name] = item
            return item

        if obj is not None:
            return _add(obj)
        return _add

    def add(self, item: T) -> T:
        """Register ``item`` under its own name -- ``item.NAME`` (a class) or ``item.name``
        (a spec) -- so the name is written once; also a class decorator (``@FAMILIES.add``)."""
        name = getattr(item, "NAME", None) or getattr(item, "name", None)
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.kind} {item!r} has no NAME / name to register it under.")
        return self.register(name, item)

    def unregister(self, name: str) -> T:
        """Remove and return ``name`` (plugins and tests that register stand-ins)."""
        self.get(name)  # the usual error, with the valid names, for an unknown one
        return self._items.pop(name)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            valid = ", ".join(self.names()) or "(none registered)"
            raise KeyError(f"Unknown {self.kind} {name!r}. Valid names: {valid}.") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)


def unknown_name_message(kind: str, name: str, valid: list[str] | Callable[[], list[str]]) -> str:
    """The one wording every CLI uses for a bad ``--arch``/``--data``/``--metric`` value."""
    names = valid() if callable(valid) else valid
    return f"unknown {kind} {name!r}; valid names: {', '.join(names)}"
