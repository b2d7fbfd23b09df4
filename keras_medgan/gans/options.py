"""A loss family's options, declared once: name, default, meaning, CLI flag and valid range.

A family lists ``Option``s in ``OPTIONS``; from that one declaration come the constructor's
keyword arguments and their checks (``GAN.__init__``), the defaults a run config starts
from (``option_defaults``), the friendly flag names shared across families
(``flag_aliases``: ``--label-flip`` is ``flip_prob`` for bce and ``label_flip_prob`` for
pggan) and the train CLI's flags with their help (``cli_flags``). Nothing repeats it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any


@dataclasses.dataclass(frozen=True)
class Option:
    """One constructor option of a loss family.

    ``kind`` converts a given value (float, int, str, or ``None`` = keep as given);
    ``valid`` is the range check and ``rule`` says it in words for the error message.
    ``flag`` is the friendly config / CLI name (``label_flip`` → ``--label-flip``); options
    without one are reachable as ``--option name=value``.
    """

    name: str
    default: Any
    help: str
    flag: str | None = None
    kind: Callable[[Any], Any] | None = float
    valid: Callable[[Any], bool] | None = None
    rule: str = ""

    def resolve(self, value: Any) -> Any:
        """The checked, converted value; raises ``ValueError`` naming the option."""
        if value is None or self.kind is None:
            converted = value
        else:
            try:
                converted = self.kind(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{self.name} must be a {self.kind.__name__}. Received: {self.name}={value!r}"
                ) from None
            if self.kind is int and isinstance(value, float) and value != converted:
                raise ValueError(f"{self.name} must be an integer. Received: {self.name}={value!r}")
        if converted is not None and self.valid is not None and not self.valid(converted):
            raise ValueError(f"{self.name} must be {self.rule}. Received: {self.name}={value!r}")
        return converted


def at_least(low: float) -> dict:
    return {"valid": lambda v: v >= low, "rule": f">= {low:g}"}


def above(low: float) -> dict:
    return {"valid": lambda v: v > low, "rule": f"> {low:g}"}


def within(low: float, high: float, closed_high: bool = False) -> dict:
    if closed_high:
        return {"valid": lambda v: low <= v <= high, "rule": f"in [{low:g}, {high:g}]"}
    return {"valid": lambda v: low <= v < high, "rule": f"in [{low:g}, {high:g})"}


def one_of(*choices: str) -> dict:
    return {"valid": lambda v: v in choices, "rule": "one of " + ", ".join(choices)}


def option_defaults(options: Iterable[Option]) -> dict[str, Any]:
    return {o.name: o.default for o in options}


def resolve_options(
    options: Iterable[Option], given: dict[str, Any], family: str
) -> dict[str, Any]:
    """Every declared option's value (given or default), checked; unknown names → error."""
    declared = {o.name: o for o in options}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ValueError(
            f"Unknown option(s) {', '.join(unknown)} for loss family {family!r}; "
            f"its options: {', '.join(declared) or 'none'}"
        )
    return {name: o.resolve(given.get(name, o.default)) for name, o in declared.items()}


def flag_aliases(families: Iterable[type]) -> dict[str, tuple[str, ...]]:
    """Friendly flag → the option names it sets, over every family (in family order)."""
    out: dict[str, list[str]] = {}
    for cls in families:
        for o in cls.OPTIONS:
            if o.flag and o.name not in out.setdefault(o.flag, []):
                out[o.flag].append(o.name)
    return {k: tuple(v) for k, v in out.items()}


def cli_flags(families: dict[str, type]) -> dict[str, tuple[Callable, str]]:
    """Friendly flag → (value type, help naming the families that take it, e.g.
    ``"bce/pggan: probability of flipping D's labels"``)."""
    kinds: dict[str, Callable] = {}
    meanings: dict[str, dict[str, list[str]]] = {}  # flag → help text → family names
    for fam_name, cls in families.items():
        for o in cls.OPTIONS:
            if o.flag:
                kinds.setdefault(o.flag, o.kind or str)
                meanings.setdefault(o.flag, {}).setdefault(o.help, []).append(fam_name)
    return {
        flag: (
            kinds[flag],
            "; ".join(f"{'/'.join(names)}: {text}" for text, names in by_text.items()),
        )
        for flag, by_text in meanings.items()
    }
