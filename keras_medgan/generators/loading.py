"""Loading exported generators, safely: a generator file is untrusted input.

``keras_medgan.generators.vetting`` checks a ``.h5`` / ``.keras`` file's config and weight
layout before Keras builds anything (stock layers only, bounded sizes, weights no larger
than the file), then Keras loads it in ``safe_mode`` (no ``Lambda`` bytecode). A SavedModel
runs a TF graph, which can read or write files, and no op deny-list can be complete, so it
loads only with ``trust_model=True`` -- the explicit opt-in a user gives with
``--trust-model``. Every format loads into one :class:`LoadedGenerator` with one
``generate``.
"""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from keras_medgan.core.runtime import PRECISIONS, resolve_precision
from keras_medgan.generators.cards import GeneratorLoadError, card_path_for, read_model_card
from keras_medgan.generators.vetting import UntrustedModelError, vet_generator_file
from keras_medgan.models.latents import images_from, latent_vectors

# importing models.layers also registers our serializable layers (PixelNorm, ...), so
# generators using them load: they are our code, not code from the file
from keras_medgan.models.layers import FLOAT32_STOCK_LAYERS

#: Order in which formats are preferred when several exports of one generator exist:
#: ``.h5`` first because it is the format the papers used and loads fastest.
FORMAT_PREFERENCE = (".h5", ".keras", "_savedmodel")


#: What Keras / h5py / TF raise for a missing, corrupt, refused or foreign model file.
LOAD_ERRORS = (ValueError, TypeError, OSError, KeyError, AttributeError, IndexError, ImportError)


@dataclasses.dataclass
class LoadedGenerator:
    """A generator loaded from any exported format, with one ``generate`` for all."""

    path: pathlib.Path
    card: dict[str, Any]
    _predict: Any  # callable(list_of_inputs or array) -> array

    @property
    def conditional(self) -> bool:
        return bool(self.card.get("conditional"))

    @property
    def z_dim(self) -> int:
        return int(self.card["z_dim"])

    @property
    def name(self) -> str:
        """The class this generator makes, or ``conditional``."""
        return "conditional" if self.conditional else str(self.card.get("label") or "unlabelled")

    def label_index(self, label) -> int:
        """Class index of ``label`` (a class name or an int) for a conditional generator."""
        names = list(self.card.get("class_names") or [])
        num_classes = int(self.card.get("num_classes") or len(names))
        if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
            index = int(label)
        elif str(label) in names:
            index = names.index(str(label))
        elif str(label).isdigit():
            index = int(label)
        else:
            raise ValueError(
                f"unknown class {label!r} for generator {self.path}; "
                f"valid classes: {', '.join(names) or f'0..{num_classes - 1}'}"
            )
        if not 0 <= index < num_classes:
            raise ValueError(
                f"class index {index} out of range 0..{num_classes - 1} for generator {self.path}"
            )
        return index

    def generate(self, n: int, label=None, seed: int = 0, batch_size: int = 256) -> np.ndarray:
        """``n`` images, float32 [n, H, W, C] in [-1, 1], from z ~ N(0, 1) with ``seed``.

        The seed rule and batching of :mod:`keras_medgan.models.latents`, shared with
        ``GAN.generate``: the images do not depend on ``batch_size``.
        """
        n = int(n)
        z = latent_vectors(n, self.z_dim, seed)
        one_hot = None
        if self.conditional:
            if label is None:
                raise ValueError(
                    f"generator {self.path} is conditional: give a label "
                    f"(one of {', '.join(self.card.get('class_names') or [])})"
                )
            num_classes = int(self.card["num_classes"])
            one_hot = np.zeros((n, num_classes), np.float32)
            one_hot[:, self.label_index(label)] = 1.0
        elif (
            label is not None
            and self.card.get("label") is not None
            and str(label) != str(self.card["label"])
        ):
            raise ValueError(
                f"generator {self.path} makes class {self.card.get('label')!r}, not {label!r}"
            )
        size = int(self.card.get("image_size") or 0)
        channels = int(self.card.get("channels") or 1)
        return images_from(self._predict, z, one_hot, batch_size, lambda: (size, size, channels))


def _card_from_shapes(path, input_shapes, output_shape) -> dict[str, Any]:
    """A minimal card inferred from a model's input/output shapes (no card on disk)."""
    conditional = len(input_shapes) > 1
    num_classes = int(input_shapes[1][-1]) if conditional else 0
    return {
        "arch": None,
        "data": None,
        "class_names": [str(i) for i in range(num_classes)],
        "label": None if conditional else pathlib.Path(path).stem.replace("generator_", ""),
        "conditional": conditional,
        "num_classes": num_classes,
        "image_size": int(output_shape[1]),
        "channels": int(output_shape[-1]),
        "z_dim": int(input_shapes[0][-1]),
        "inferred": True,
    }


def compute_in(model: keras.Model, precision: str) -> keras.Model:
    """A copy of a functional ``model`` computing in ``precision`` (``auto`` = what
    ``runtime.resolve_precision`` picks for this machine), same weights, output float32.

    A generator file carries the dtype policy it was trained with: one trained in bf16 on
    an AVX512_BF16 machine would be emulated (slowly) on a CPU without it, and an fp32 one
    leaves a bf16 CPU's fast path unused (dcgan32 synthesis here: 110 img/s fp32, 207 bf16).
    Returns ``model`` itself when it already computes in that precision. Numerically
    sensitive stock layers (``models.layers.FLOAT32_STOCK_LAYERS``) stay float32.
    """

    policy = PRECISIONS.get(resolve_precision(precision)[0])
    last = model.layers[-1]
    body = [
        layer
        for layer in model.layers
        if layer is not last
        and not isinstance(layer, (keras.layers.InputLayer, *FLOAT32_STOCK_LAYERS))
    ]
    if all(layer.dtype_policy.name == policy for layer in body):
        return model

    recast = {id(layer) for layer in body}

    def clone(layer):
        config = layer.get_config()
        if id(layer) in recast:
            config["dtype"] = policy
        return layer.__class__.from_config(config)

    typed = keras.models.clone_model(model, clone_function=clone)
    typed.set_weights(model.get_weights())
    return typed


def load_generator(
    path, trust_model: bool = False, precision: str | None = None
) -> LoadedGenerator:
    """Load an exported generator (.h5 / .keras / SavedModel dir) for sampling.

    Raises GeneratorLoadError, naming the file and the reason, for a missing, corrupt or
    refused file. ``trust_model`` turns Keras safe mode off (Lambda layers) and skips the
    SavedModel op check — only for files the user trusts. ``precision`` (``auto``, fp32,
    bf16, fp16) recasts a .h5 / .keras generator's compute dtype (:func:`compute_in`);
    None keeps the file's own, as do trusted files and SavedModels.
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise GeneratorLoadError(f"generator file {path} does not exist")
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            found = find_generators(path)
            if len(found) != 1:
                raise GeneratorLoadError(
                    f"{path} holds {len(found)} generators ({', '.join(found)}); name one file"
                )
            return load_generator(
                next(iter(found.values())), trust_model=trust_model, precision=precision
            )
        if not trust_model:
            _vet(path)  # refuses: a graph cannot be vetted
        return _load_savedmodel(path, trust_model)
    if path.suffix not in (".h5", ".keras", ".hdf5"):
        raise GeneratorLoadError(
            f"{path}: unknown generator format {path.suffix!r}; "
            "expected .h5, .keras or a SavedModel folder"
        )
    if not trust_model:
        _vet(path)
    try:
        model = keras.models.load_model(path, compile=False, safe_mode=not trust_model)
    except LOAD_ERRORS as exc:
        raise GeneratorLoadError(_explain_load_failure(path, exc, trust_model)) from None
    if precision is not None and not trust_model:
        # a trusted file may hold layers (Lambda) that cannot be rebuilt in safe mode: it
        # runs as it was saved
        model = compute_in(model, precision)
    card = read_model_card(path)
    inputs = model.inputs if isinstance(model.inputs, (list, tuple)) else [model.inputs]
    inferred = _card_from_shapes(path, [tuple(i.shape) for i in inputs], tuple(model.output.shape))
    card = {**inferred, **card} if card else inferred
    _check_card_matches(path, card, inferred)
    return LoadedGenerator(path=path, card=card, _predict=model.predict_on_batch)


def _vet(path: pathlib.Path) -> None:
    """``vetting.vet_generator_file``, its refusal as a GeneratorLoadError."""

    try:
        vet_generator_file(path)
    except UntrustedModelError as exc:
        raise GeneratorLoadError(
            f"refused to load {exc}. Pass --trust-model only for files you trust."
        ) from None


def _check_card_matches(path, card, inferred) -> None:
    for key in ("z_dim", "image_size", "num_classes"):
        if card.get(key) is not None and int(card[key]) != int(inferred[key]):
            raise GeneratorLoadError(
                f"model card of {path} says {key}={card[key]} but the "
                f"model has {key}={inferred[key]}"
            )


def _explain_load_failure(path, exc, trust_model) -> str:
    text = str(exc)
    if not trust_model and ("safe_mode" in text or "Lambda" in text):
        return (
            f"refused to load {path}: it holds a Lambda layer (Python code that would run "
            "on load). Rebuild the generator from stock layers, or pass --trust-model "
            "if you trust where the file came from."
        )
    if "Could not locate" in text or "Unknown layer" in text or "custom" in text.lower():
        return (
            f"refused to load {path}: it holds custom objects keras_medgan does not know "
            f"({text.splitlines()[0][:200]}). Generators must be built from stock Keras layers."
        )
    first = text.strip().splitlines()[0][:300] if text.strip() else type(exc).__name__
    return f"cannot read generator {path}: not a valid Keras model file ({first})"


def _load_savedmodel(path: pathlib.Path, trust_model: bool) -> LoadedGenerator:
    """A SavedModel the user trusts (``load_generator`` refuses it otherwise)."""

    try:
        obj = tf.saved_model.load(str(path))
        serve = obj.serve
        spec = serve.concrete_functions[0].structured_input_signature[0][0]
    except (*LOAD_ERRORS, tf.errors.OpError) as exc:
        raise GeneratorLoadError(
            f"cannot read SavedModel {path}: {str(exc).splitlines()[0][:300]}"
        ) from None
    specs = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    out_spec = serve.concrete_functions[0].structured_outputs
    inferred = _card_from_shapes(path, [tuple(s.shape) for s in specs], tuple(out_spec.shape))
    card = read_model_card(path)
    card = {**inferred, **card} if card else inferred
    _check_card_matches(path, card, inferred)

    def predict(inputs, _keep_alive=obj):  # the restored object owns the variables
        if isinstance(inputs, list):
            return serve([tf.constant(x) for x in inputs]).numpy()
        return serve(tf.constant(inputs)).numpy()

    return LoadedGenerator(path=path, card=card, _predict=predict)


def find_generators(path) -> dict[str, pathlib.Path]:
    """Generators under ``path`` (run folder, export dir or one file) by class name.

    Returns ``{class_name_or_"conditional": file}``, one file per generator, the format
    chosen by FORMAT_PREFERENCE. A run folder means its ``export/`` folder.
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise GeneratorLoadError(f"{path} does not exist")
    if path.is_file() or (path / "saved_model.pb").is_file():
        card = read_model_card(path) or {}
        return {_name_from_card(card, path): path}
    if (path / "export").is_dir():
        path = path / "export"
    candidates: dict[str, dict[str, pathlib.Path]] = {}
    for entry in sorted(path.iterdir()):
        if entry.name.startswith(".tmp-") or not entry.name.startswith("generator_"):
            continue
        for fmt in FORMAT_PREFERENCE:
            is_fmt = (
                (
                    entry.is_dir()
                    and entry.name.endswith(fmt)
                    and (entry / "saved_model.pb").is_file()
                )
                if fmt == "_savedmodel"
                else (entry.is_file() and entry.suffix == fmt)
            )
            if is_fmt:
                stem = card_path_for(entry).stem
                candidates.setdefault(stem, {})[fmt] = entry
    found = {}
    for stem, by_fmt in candidates.items():
        best = next(by_fmt[f] for f in FORMAT_PREFERENCE if f in by_fmt)
        card = read_model_card(best) or {}
        found[_name_from_card(card, best)] = best
    if not found:
        raise GeneratorLoadError(
            f"no exported generator (generator_*.h5/.keras/_savedmodel) found in {path}"
        )
    return dict(sorted(found.items()))


def _name_from_card(card: dict[str, Any], path: pathlib.Path) -> str:
    if card.get("conditional"):
        return "conditional"
    if card.get("label") is not None:
        return str(card["label"])
    return card_path_for(path).stem.replace("generator_", "", 1)
