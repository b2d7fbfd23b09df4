"""The shipped models' manifest: where ``models_h5/`` is, which models it names, and
their files, each checked against the SHA-256 the manifest records before anyone reads it.

Where the models live: ``$KERAS_MEDGAN_MODELS``, else the ``models_h5/`` folder of the
source checkout (editable install), else ``keras_medgan/models_h5/`` inside an installed
package (setup.py copies the checkout's folder there when it builds a wheel), else
``<prefix>/share/keras_medgan/models_h5``. Loading them is ``keras_medgan.generators.pretrained``;
naming one wherever generators are read is ``keras_medgan.generators.sampling``.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
from typing import Any

from keras_medgan.generators.cards import GeneratorLoadError
from keras_medgan.generators.export import sha256_of

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1


class PretrainedError(GeneratorLoadError):
    """An unknown model name, a hash mismatch, a missing card or class; the message says which."""


def models_dir() -> pathlib.Path:
    """The folder holding ``manifest.json`` (see the module docstring for the search order)."""
    env = os.environ.get("KERAS_MEDGAN_MODELS")
    if env:
        return pathlib.Path(env)
    package = pathlib.Path(__file__).resolve().parents[1]  # keras_medgan/
    for candidate in (
        package.parent / "models_h5",
        package / "models_h5",
        pathlib.Path(sys.prefix) / "share" / "keras_medgan" / "models_h5",
    ):
        if (candidate / MANIFEST).is_file():
            return candidate
    return package.parent / "models_h5"


def read_manifest(root=None) -> dict[str, Any]:
    """``{name: entry}`` from ``root/manifest.json`` (empty when none is shipped)."""
    root = pathlib.Path(root) if root is not None else models_dir()
    path = root / MANIFEST
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise PretrainedError(f"model manifest {path} is not valid JSON: {exc}") from None
    if manifest.get("format") != MANIFEST_FORMAT or not isinstance(manifest.get("models"), dict):
        raise PretrainedError(
            f"model manifest {path}: unknown format "
            f"{manifest.get('format')!r} (expected {MANIFEST_FORMAT})"
        )
    return manifest["models"]


def model_entry(name: str, root=None) -> dict[str, Any]:
    models = read_manifest(root)
    if name not in models:
        valid = ", ".join(sorted(models)) or "none shipped"
        raise PretrainedError(f"unknown model {name!r}; shipped models: {valid}")
    return models[name]


def verified_file(root: pathlib.Path, name: str, relative: str, expected: str) -> pathlib.Path:
    """``root/relative`` if its SHA-256 is ``expected``; else a PretrainedError naming it."""
    path = root / relative
    if not path.is_file():
        raise PretrainedError(f"model {name!r}: file {path} is missing")
    actual = sha256_of(path)
    if actual != expected:
        raise PretrainedError(
            f"model {name!r}: {path} has SHA-256 {actual[:16]}…, the manifest "
            f"says {expected[:16]}…; refusing a changed or corrupted file"
        )
    return path


def shipped_generator_files(name: str, root=None) -> list[str]:
    """The verified generator files of model ``name``, for code that takes paths
    (benchmark / study ``--generators``)."""
    root = pathlib.Path(root) if root is not None else models_dir()
    entry = model_entry(name, root)
    files = []
    for spec in entry["files"].values():
        verified_file(root, name, spec["card"], spec["card_sha256"])
        files.append(str(verified_file(root, name, spec["file"], spec["sha256"])))
    return files
