"""Export trained generators and load them back — the hand-off between training and use.

P1 saved its generators as ``.h5`` and loaded them later to make augmentation images;
we keep that and add the current formats, so that each generator exists as

    export/generator_<name>.h5            plain ``keras.models.load_model``, no custom objects
    export/generator_<name>.keras
    export/generator_<name>_savedmodel/   only on request (``--export-formats h5,keras,savedmodel``):
                                          ``model.export`` for TF Serving; ≈ 1/3 of a run's disk
    export/generator_<name>.json          model card (what the file is, how it was made)

``<name>`` is the class the generator was trained on (one GAN per class, P1) or
``conditional`` for one class-conditional generator (P0's cGAN).

Loading them back (safely: a generator file is untrusted input) is
:mod:`keras_medgan.generators.loading`; the cards, :mod:`keras_medgan.generators.cards`.
Loading is safe by default: a generator file is untrusted input. ``keras_medgan.generators.vetting``
checks a ``.h5`` / ``.keras`` file's config and weight layout before Keras builds anything
(stock layers only, bounded sizes, weights no larger than the file), then Keras loads it in
``safe_mode`` (no ``Lambda`` bytecode). A SavedModel runs a TF graph, which can read or
write files, and no op deny-list can be complete, so it loads only with
``trust_model=True`` — the explicit opt-in a user gives with ``--trust-model``.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
from collections.abc import Sequence
from typing import Any

import keras

from keras_medgan.core.jsonio import write_text_atomic
from keras_medgan.generators.naming import slug

#: Every format a generator can be exported in, and the default set: the paper's ``.h5``
#: plus the current ``.keras``. SavedModel doubles an export's size and only serving needs it.
EXPORT_FORMATS = ("h5", "keras", "savedmodel")


DEFAULT_EXPORT_FORMATS = ("h5", "keras")


def parse_export_formats(value) -> tuple[str, ...]:
    """``"h5,keras"`` or a list → a tuple in EXPORT_FORMATS order; ValueError naming the
    unknown one(s)."""
    names = [
        v.strip().lower().lstrip(".")
        for v in (value.split(",") if isinstance(value, str) else list(value or ()))
        if v.strip()
    ]
    unknown = sorted(set(names) - set(EXPORT_FORMATS))
    if unknown or not names:
        raise ValueError(
            f"export formats must be a comma-separated subset of "
            f"{', '.join(EXPORT_FORMATS)}; got {value!r}"
        )
    return tuple(f for f in EXPORT_FORMATS if f in names)


def export_paths(
    export_dir, name: str, formats: Sequence[str] | None = None
) -> dict[str, pathlib.Path]:
    """Where the files of generator ``name`` go inside ``export_dir``: every format's, or
    only ``formats``' (the card always)."""
    base = pathlib.Path(export_dir) / f"generator_{slug(name)}"
    paths = {
        "h5": base.with_name(base.name + ".h5"),
        "keras": base.with_name(base.name + ".keras"),
        "savedmodel": base.with_name(base.name + "_savedmodel"),
        "card": base.with_name(base.name + ".json"),
    }
    if formats is None:
        return paths
    return {k: v for k, v in paths.items() if k in formats or k == "card"}


def sha256_of(path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_fingerprints(
    paths: dict[str, pathlib.Path], formats: tuple[str, ...] = EXPORT_FORMATS
) -> dict[str, str]:
    """SHA-256 of each exported format (a SavedModel: of its files, in name order)."""

    out = {key: sha256_of(paths[key]) for key in ("h5", "keras") if key in formats}
    if "savedmodel" in formats:
        folder = hashlib.sha256()
        for file in sorted(p for p in paths["savedmodel"].rglob("*") if p.is_file()):
            folder.update(file.relative_to(paths["savedmodel"]).as_posix().encode())
            folder.update(sha256_of(file).encode())
        out["savedmodel"] = folder.hexdigest()
    return out


def export_is_complete(
    export_dir, name: str, epochs: int, formats: tuple[str, ...] | None = None
) -> bool:
    """Whether generator ``name``'s export is whole and of ``epochs``: the card (written
    last) exists, names that epoch count, holds the ``formats`` asked for (None: any), and
    every format's bytes match the fingerprints it recorded. A kill mid-export leaves new
    files beside an old card: not complete."""
    paths = export_paths(export_dir, name)
    try:
        card = json.loads(paths["card"].read_text())
        if int(card.get("epochs", -1)) != int(epochs):
            return False
        recorded = card.get("files_sha256")
        if recorded is None:  # runs from before fingerprints
            return formats is None
        if formats is not None and set(recorded) != set(formats):
            return False
        return recorded == export_fingerprints(paths, tuple(recorded))
    except (OSError, ValueError):
        return False


def export_generator(
    generator: keras.Model,
    export_dir,
    name: str,
    card: dict[str, Any],
    formats: tuple[str, ...] = DEFAULT_EXPORT_FORMATS,
) -> dict[str, pathlib.Path]:
    """Write ``generator`` in ``formats`` (.h5, .keras, SavedModel) plus its model card.

    Each file is written under a temporary name and renamed into place, so an export
    interrupted half way (Ctrl-C, full disk) never leaves a truncated file that looks
    finished; the card comes last and records every format's SHA-256, so a set of files
    from two epochs is recognised (``export_is_complete``) and written again on resume.
    A format not asked for that an earlier export of this run left behind is removed: it
    would hold other weights than the card describes. Returns the paths written.
    """
    formats = parse_export_formats(formats)
    paths = export_paths(export_dir, name)
    paths["h5"].parent.mkdir(parents=True, exist_ok=True)
    for key in ("h5", "keras"):
        if key not in formats:
            paths[key].unlink(missing_ok=True)
            continue
        tmp = paths[key].with_name(".tmp-" + paths[key].name)
        generator.save(tmp)
        os.replace(tmp, paths[key])
    tmp_dir = paths["savedmodel"].with_name(".tmp-" + paths["savedmodel"].name)
    _remove_tree(tmp_dir)
    if "savedmodel" in formats:
        generator.export(str(tmp_dir), verbose=False)
    _remove_tree(paths["savedmodel"])
    if "savedmodel" in formats:
        os.replace(tmp_dir, paths["savedmodel"])
    card = {**card, "files_sha256": export_fingerprints(paths, formats)}
    write_text_atomic(paths["card"], json.dumps(card, indent=2, sort_keys=False) + "\n")
    return export_paths(export_dir, name, formats)


def _remove_tree(path: pathlib.Path) -> None:
    """Remove a folder this module wrote itself (only ever our own export/tmp dirs)."""
    if path.is_dir():
        shutil.rmtree(path)
