"""Values → strict JSON, and atomic text writes: one way for every file the toolkit writes.

``json.dumps`` writes ``NaN``/``Infinity``, which strict parsers (a browser's
``JSON.parse``, jq) reject, and it cannot serialise numpy scalars or arrays. Model cards,
benchmark records and evaluation reports all pass through :func:`jsonable`.

Two conventions for a non-finite float, chosen by the writer:

* ``"null"`` (default): a missing value, e.g. an undefined sensitivity in a benchmark
  record or a metric that never got a finite value in a model card;
* ``"string"``: ``"nan"``, ``"inf"`` or ``"-inf"``, where the kind matters to a reader
  (an evaluation metric that diverged is not the same as one that was not computed).
"""

from __future__ import annotations

import math
import os
import pathlib
import threading
from typing import Any

import numpy as np

NONFINITE = ("null", "string")


def jsonable(value: Any, nonfinite: str = "null") -> Any:
    """``value`` with numpy types made Python and non-finite floats made strict JSON."""
    if nonfinite not in NONFINITE:
        raise ValueError(f"nonfinite must be one of {NONFINITE}, got {nonfinite!r}")
    if isinstance(value, dict):
        return {str(k): jsonable(v, nonfinite) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, nonfinite) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist(), nonfinite)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        if nonfinite == "null":
            return None
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def write_text_atomic(path, text: str) -> pathlib.Path:
    """Write ``text`` to ``path`` via a hidden temp file and ``os.replace``.

    A reader (or a run killed mid-write) sees the old file or the new one, never half of
    one. The temp name carries the process and thread id, so concurrent writers (the
    Turing server's threads) never share one, and starts with a dot, so ``*.json`` globs
    skip it.
    """
    path = pathlib.Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def changed_settings(old: dict, new: dict, keys) -> list[str]:
    """What differs between two saved settings dicts, for the "--out holds results made with
    other settings" refusals: ``key (old → new)``, or ``key.sub`` inside a nested dict.
    A key the old dict lacks (settings added since) is not a difference."""
    changed = []
    for key in keys:
        if key not in old or old[key] == new.get(key):
            continue
        if isinstance(old[key], dict) and isinstance(new.get(key), dict):
            changed += [
                f"{key}.{sub}"
                for sub in sorted(set(old[key]) | set(new[key]))
                if old[key].get(sub) != new[key].get(sub)
            ]
        else:
            changed.append(f"{key} ({old[key]!r} → {new.get(key)!r})")
    return changed
