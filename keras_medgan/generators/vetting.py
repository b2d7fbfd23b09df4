"""Vet a generator file from elsewhere BEFORE Keras builds or reads anything from it.

A shared generator is untrusted input. Keras's ``safe_mode`` refuses ``Lambda`` bytecode,
but a file can still (a) name any importable class in its config, (b) declare layers so
large that building them exhausts memory (``Dense(units=5e6)``), (c) declare weight
datasets far larger than the file (HDF5 chunks that are never written, external files,
virtual datasets), and a SavedModel runs a TF graph, whose ops can read and write files.
So, unless the user passes ``--trust-model``:

* only ``.h5`` / ``.keras`` files load (a SavedModel is refused: graphs are not vetted);
* the model config is read with h5py / zipfile and checked first: every layer's class is
  on ``LAYER_RULES`` (stock Keras layers whose output shape and parameter count we can
  compute), every serialized object inside it comes from a ``keras`` module and is not a
  registered custom object, and the shapes are propagated from the inputs so that the
  parameter count is known (and under ``MAX_PARAMS``) before anything is allocated;
* the weight datasets are walked without reading them: no external or soft links, no
  external storage, no virtual or filtered (compressed) datasets, their declared bytes no
  more than the file's own size, and their element count equal to the config's.

Only then does ``loading.load_generator`` hand the file to Keras (still in safe mode).
"""

from __future__ import annotations

import json
import math
import pathlib
import tempfile
import zipfile
from collections.abc import Callable

from keras_medgan.core.errors import KerasMedganError

MAX_FILE_BYTES = 2 << 30  # 2 GiB: no generator of ours is near (dcgan128: ~60 MB)
MAX_CONFIG_BYTES = 16 << 20  # the JSON config
MAX_PARAMS = 250_000_000  # 1 GB of float32: far above any paper's generator
MAX_ACTIVATION = 1 << 28  # elements of one layer output per example
MAX_LAYERS = 2_000
MAX_H5_OBJECTS = 20_000


class UntrustedModelError(KerasMedganError, ValueError):
    """The file is refused before loading; the message names it and the reason."""


Shape = tuple  # per-example shape (no batch dim)


def _same(shapes, cfg):
    if len({tuple(s) for s in shapes}) != 1:
        raise ValueError(f"inputs of different shapes {shapes}")
    return shapes[0], 0


def _one(shapes):
    if len(shapes) != 1:
        raise ValueError(f"expects one input, got {len(shapes)}")
    return shapes[0]


def _dense(shapes, cfg):
    shape = _one(shapes)
    units = _positive(cfg, "units")
    return shape[:-1] + (units,), shape[-1] * units + (units if cfg.get("use_bias", True) else 0)


def _pair(value, name):
    pair = tuple(value) if isinstance(value, (list, tuple)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, int) and 0 < v <= 64 for v in pair):
        raise ValueError(f"{name}={value!r} is not a pair of small positive integers")
    return pair


def _conv_common(shapes, cfg):
    shape = _one(shapes)
    if len(shape) != 3 or cfg.get("data_format", "channels_last") != "channels_last":
        raise ValueError("only 2-D channels_last convolutions are allowed")
    if cfg.get("groups", 1) != 1 or _pair(cfg.get("dilation_rate", 1), "dilation_rate") != (1, 1):
        raise ValueError("grouped or dilated convolutions are not allowed")
    if cfg.get("padding") not in ("same", "valid"):
        raise ValueError(f"padding {cfg.get('padding')!r}")
    kernel, strides = _pair(cfg["kernel_size"], "kernel_size"), _pair(cfg["strides"], "strides")
    filters = _positive(cfg, "filters")
    params = kernel[0] * kernel[1] * shape[2] * filters + (
        filters if cfg.get("use_bias", True) else 0
    )
    return shape, kernel, strides, filters, params


def _conv2d(shapes, cfg):
    shape, kernel, strides, filters, params = _conv_common(shapes, cfg)
    if cfg["padding"] == "same":
        out = [math.ceil(shape[i] / strides[i]) for i in (0, 1)]
    else:
        out = [(shape[i] - kernel[i]) // strides[i] + 1 for i in (0, 1)]
    return (out[0], out[1], filters), params


def _conv2d_transpose(shapes, cfg):
    shape, kernel, strides, filters, params = _conv_common(shapes, cfg)
    if cfg.get("output_padding") is not None:
        raise ValueError("output_padding is not allowed")
    if cfg["padding"] == "same":
        out = [shape[i] * strides[i] for i in (0, 1)]
    else:
        out = [shape[i] * strides[i] + max(kernel[i] - strides[i], 0) for i in (0, 1)]
    return (out[0], out[1], filters), params


def _batch_norm(shapes, cfg):
    shape = _one(shapes)
    if cfg.get("axis", -1) not in (-1, [-1], len(shape), [len(shape)]):
        raise ValueError(f"BatchNormalization axis {cfg.get('axis')!r}")
    per_channel = 2 + int(cfg.get("center", True)) + int(cfg.get("scale", True))
    return shape, per_channel * shape[-1]


def _reshape(shapes, cfg):
    shape = _one(shapes)
    target = tuple(cfg["target_shape"])
    if not all(isinstance(d, int) and d > 0 for d in target) or math.prod(target) != math.prod(
        shape
    ):
        raise ValueError(f"target_shape {target} does not fit {shape}")
    return target, 0


def _upsampling(shapes, cfg):
    shape = _one(shapes)
    if len(shape) != 3 or cfg.get("data_format", "channels_last") != "channels_last":
        raise ValueError("only 2-D channels_last upsampling is allowed")
    size = _pair(cfg["size"], "size")
    return (shape[0] * size[0], shape[1] * size[1], shape[2]), 0


def _concatenate(shapes, cfg):
    axis = cfg.get("axis", -1)
    rank = len(shapes[0])
    if len(shapes) < 2 or any(len(s) != rank for s in shapes) or axis not in (-1, rank):
        raise ValueError("Concatenate only along the last axis of same-rank inputs")
    if len({tuple(s[:-1]) for s in shapes}) != 1:
        raise ValueError(f"Concatenate inputs {shapes} differ outside the last axis")
    return shapes[0][:-1] + (sum(s[-1] for s in shapes),), 0


def _flatten(shapes, cfg):
    return (math.prod(_one(shapes)),), 0


def _elementwise(shapes, cfg):
    return _one(shapes), 0


#: class name → (per-example input shapes, layer config) → (output shape, parameter count)
LAYER_RULES: dict[str, Callable] = {
    "Dense": _dense,
    "Conv2D": _conv2d,
    "Conv2DTranspose": _conv2d_transpose,
    "BatchNormalization": _batch_norm,
    "Reshape": _reshape,
    "UpSampling2D": _upsampling,
    "Concatenate": _concatenate,
    "Flatten": _flatten,
    "Add": _same,
    "Multiply": _same,
    "Average": _same,
    **{
        name: _elementwise
        for name in (
            "Activation",
            "ReLU",
            "LeakyReLU",
            "ELU",
            "Softmax",
            "Dropout",
            "Identity",
            "UnitNormalization",
            "Rescaling",
        )
    },
}

#: What ``Activation``/``activation=`` may name (all stock element-wise functions).
ACTIVATIONS = frozenset(
    {
        "linear",
        "tanh",
        "sigmoid",
        "relu",
        "leaky_relu",
        "elu",
        "selu",
        "gelu",
        "softplus",
        "softsign",
        "swish",
        "silu",
        "hard_sigmoid",
        "softmax",
        "relu6",
        "exponential",
        "mish",
    }
)


def _positive(cfg, key, cap=1 << 20):
    value = cfg.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= cap:
        raise ValueError(f"{key}={value!r} is not a positive integer ≤ {cap}")
    return value


def check_serialized_objects(value, where: str) -> None:
    """Every nested ``{"module", "class_name"}`` object must come from Keras itself and not
    be a registered custom object (Keras imports the named module when it deserializes)."""
    if isinstance(value, dict):
        if "class_name" in value and ("module" in value or "registered_name" in value):
            module = value.get("module") or ""
            registered = value.get("registered_name")
            # Keras's own classes register under their plain name; custom objects under
            # "package>Name" (and their module is the user's)
            if registered not in (None, value.get("class_name")) or not (
                module == "keras" or module.startswith("keras.")
            ):
                raise UntrustedModelError(
                    f"{where}: names {module or '?'}.{value.get('class_name')} — only stock "
                    "Keras objects are allowed"
                )
        for item in value.values():
            check_serialized_objects(item, where)
    elif isinstance(value, list):
        for item in value:
            check_serialized_objects(item, where)


def _activation_ok(cfg, where):
    for key in ("activation",):
        act = cfg.get(key)
        if act is not None and (not isinstance(act, str) or act not in ACTIVATIONS):
            raise UntrustedModelError(
                f"{where}: activation {act!r} is not a stock element-wise one"
            )


def _input_shape(cfg, where) -> Shape:
    shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
    if not isinstance(shape, list) or len(shape) < 2:
        raise UntrustedModelError(f"{where}: input without a fixed shape")
    dims = tuple(shape[1:])
    if not all(isinstance(d, int) and 0 < d <= 1 << 16 for d in dims):
        raise UntrustedModelError(f"{where}: input shape {shape} is not fixed and bounded")
    return dims


def _history_refs(args) -> list[str]:
    """Names of the layers whose outputs feed a node (``keras_history`` in its args)."""
    refs = []
    if isinstance(args, dict):
        if args.get("class_name") == "__keras_tensor__":
            history = args.get("config", {}).get("keras_history")
            if not (isinstance(history, list) and len(history) == 3 and history[1:] == [0, 0]):
                raise ValueError(f"unsupported tensor reference {history!r}")
            return [history[0]]
        for item in args.values():
            refs += _history_refs(item)
    elif isinstance(args, list):
        for item in args:
            refs += _history_refs(item)
    return refs


def count_params(config: dict, where: str) -> int:
    """Parameters (weights + BN statistics) a model config builds, checked layer by layer;
    raises UntrustedModelError for anything outside the allow-list or the bounds."""
    check_serialized_objects(config, where)
    kind = config.get("class_name")
    body = config.get("config") or {}
    layers = body.get("layers")
    if kind not in ("Functional", "Sequential") or not isinstance(layers, list):
        raise UntrustedModelError(
            f"{where}: a {kind!r} model; only Functional and Sequential "
            "models of stock layers are allowed"
        )
    if len(layers) > MAX_LAYERS:
        raise UntrustedModelError(f"{where}: {len(layers)} layers (limit {MAX_LAYERS})")
    shapes: dict[str, Shape] = {}
    total, previous = 0, None
    for layer in layers:
        name, cls, cfg = (
            layer.get("name") or layer.get("config", {}).get("name"),
            layer.get("class_name"),
            layer.get("config") or {},
        )
        at = f"{where}: layer {name!r} ({cls})"
        if cls == "InputLayer":
            shapes[name] = previous = _input_shape(cfg, at)
            continue
        rule = LAYER_RULES.get(cls)
        if rule is None:
            raise UntrustedModelError(
                f"{at} is not on the allow-list of stock layers ({', '.join(sorted(LAYER_RULES))})"
            )
        _activation_ok(cfg, at)
        try:
            if kind == "Sequential":
                if previous is None:
                    raise ValueError("Sequential model without an InputLayer")
                inputs = [previous]
            else:
                nodes = layer.get("inbound_nodes") or []
                if len(nodes) != 1:
                    raise ValueError(f"{len(nodes)} call sites (shared layers are not allowed)")
                refs = _history_refs(nodes[0].get("args"))
                if not refs or any(r not in shapes for r in refs):
                    raise ValueError(f"inputs {refs} are not earlier layers")
                inputs = [shapes[r] for r in refs]
            out, params = rule([tuple(s) for s in inputs], cfg)
        except (ValueError, KeyError, TypeError) as exc:
            raise UntrustedModelError(f"{at}: {exc}") from None
        if not all(isinstance(d, int) and d > 0 for d in out) or math.prod(out) > MAX_ACTIVATION:
            raise UntrustedModelError(f"{at}: output shape {out} is out of bounds")
        total += params
        if total > MAX_PARAMS:
            raise UntrustedModelError(
                f"{at}: the model would hold more than {MAX_PARAMS:,} parameters"
            )
        shapes[name] = previous = out
    if kind == "Functional":
        outputs = body.get("output_layers") or []
        if outputs and isinstance(outputs[0], str):  # one output: ["name", 0, 0]
            outputs = [outputs]
        for ref in outputs:
            if not isinstance(ref, list) or ref[0] not in shapes:
                raise UntrustedModelError(f"{where}: output {ref!r} is not a layer")
        inputs = body.get("input_layers") or []
        if inputs and isinstance(inputs[0], str):
            inputs = [inputs]
        if len(outputs) != 1 or len(inputs) not in (1, 2):
            raise UntrustedModelError(
                f"{where}: {len(inputs)} inputs and {len(outputs)} outputs; "
                "a generator maps z (and a one-hot label) to one image"
            )
        if len(shapes[outputs[0][0]]) != 3:
            raise UntrustedModelError(
                f"{where}: output shape {shapes[outputs[0][0]]} is not an "
                "image (height, width, channels)"
            )
    return total


# ------------------------------------------------------------------------- the files


def _h5_weight_elements(handle, where: str, file_bytes: int) -> int:
    """Element count of every dataset, checked without reading any (see module docstring)."""
    import h5py  # lazy: loads h5py; module stays light

    count, declared, seen = 0, 0, 0
    stack = [handle]
    while stack:
        group = stack.pop()
        for key in group:
            seen += 1
            if seen > MAX_H5_OBJECTS:
                raise UntrustedModelError(f"{where}: more than {MAX_H5_OBJECTS} HDF5 objects")
            link = group.get(key, getlink=True)
            if not isinstance(link, h5py.HardLink):
                raise UntrustedModelError(
                    f"{where}: {group.name}/{key} is a "
                    f"{type(link).__name__} (only plain datasets allowed)"
                )
            item = group[key]
            if isinstance(item, h5py.Group):
                stack.append(item)
                continue
            if item.external or item.is_virtual or item.compression or item.dtype.kind != "f":
                raise UntrustedModelError(
                    f"{where}: dataset {item.name} uses external, "
                    "virtual, compressed or non-float storage"
                )
            count += int(item.size)
            declared += int(item.size) * item.dtype.itemsize
    if declared > file_bytes:
        raise UntrustedModelError(
            f"{where}: weights declare {declared:,} bytes but the file holds {file_bytes:,}"
        )
    return count


def _read_h5_config(handle, where: str) -> dict:
    if "model_config" not in handle.attrs:
        raise UntrustedModelError(f"{where}: no model_config (not a Keras model file)")
    size = handle.attrs.get_id("model_config").get_storage_size()
    if size > MAX_CONFIG_BYTES:
        raise UntrustedModelError(f"{where}: model config of {size:,} bytes")
    raw = handle.attrs["model_config"]
    return parse_config(raw, where)


def parse_config(raw, where: str) -> dict:
    """A model config's JSON, or one UntrustedModelError line: not JSON, or nested deeper
    than Python's parser recurses (a small file of 200 000 brackets is a RecursionError
    traceback otherwise)."""
    try:
        config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UntrustedModelError(f"{where}: model config is not JSON ({exc})") from None
    except RecursionError:
        raise UntrustedModelError(
            f"{where}: model config nested too deeply to be a model"
        ) from None
    if not isinstance(config, dict):
        raise UntrustedModelError(
            f"{where}: model config is a JSON {type(config).__name__}, not an object"
        )
    return config


def _count(config: dict, where: str) -> int:
    try:
        return count_params(config, where)
    except RecursionError:
        raise UntrustedModelError(
            f"{where}: model config nested too deeply to be a model"
        ) from None


def vet_h5(path: pathlib.Path) -> int:
    """Check a legacy ``.h5`` Keras model file; returns its parameter count."""
    import h5py  # lazy: loads h5py; module stays light

    where = str(path)
    try:
        with h5py.File(path, "r") as handle:
            params = _count(_read_h5_config(handle, where), where)
            if "model_weights" not in handle:
                raise UntrustedModelError(f"{where}: no model_weights group")
            elements = _h5_weight_elements(handle, where, path.stat().st_size)
    except OSError as exc:
        raise UntrustedModelError(f"{where}: not a readable HDF5 file ({exc})") from None
    _check_counts(where, params, elements)
    return params


def vet_keras_zip(path: pathlib.Path) -> int:
    """Check a ``.keras`` archive: sizes from the zip directory, then its config and its
    ``model.weights.h5`` exactly as ``vet_h5`` does (the weights are copied out, capped)."""

    import h5py  # lazy: loads h5py; module stays light

    where = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {i.filename: i for i in archive.infolist()}
            unexpected = set(infos) - {"metadata.json", "config.json", "model.weights.h5"}
            if unexpected or "config.json" not in infos or "model.weights.h5" not in infos:
                raise UntrustedModelError(
                    f"{where}: unexpected archive members {sorted(unexpected) or sorted(infos)}"
                )
            if infos["config.json"].file_size > MAX_CONFIG_BYTES:
                raise UntrustedModelError(
                    f"{where}: config.json of {infos['config.json'].file_size:,} bytes"
                )
            weights_size = infos["model.weights.h5"].file_size
            if weights_size > MAX_FILE_BYTES:
                raise UntrustedModelError(f"{where}: weights of {weights_size:,} bytes")
            params = _count(parse_config(archive.read("config.json"), where), where)
            with tempfile.TemporaryFile() as tmp:
                with archive.open("model.weights.h5") as src:
                    copied = 0
                    while block := src.read(1 << 20):
                        copied += len(block)
                        if copied > weights_size:
                            raise UntrustedModelError(f"{where}: weights larger than declared")
                        tmp.write(block)
                tmp.seek(0)
                with h5py.File(tmp, "r") as handle:
                    elements = _h5_weight_elements(handle, where, copied)
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        if isinstance(exc, UntrustedModelError):
            raise
        raise UntrustedModelError(f"{where}: not a readable .keras archive ({exc})") from None
    _check_counts(where, params, elements)
    return params


def _check_counts(where, params, elements):
    if elements != params:
        raise UntrustedModelError(
            f"{where}: its weights hold {elements:,} values but its config builds {params:,}"
        )


VETTERS = {".h5": vet_h5, ".hdf5": vet_h5, ".keras": vet_keras_zip}


def vet_generator_file(path) -> int:
    """Refuse (UntrustedModelError) or return the parameter count of an untrusted file."""
    path = pathlib.Path(path)
    if path.is_dir():
        raise UntrustedModelError(
            f"{path}: a SavedModel runs a TensorFlow graph, which can "
            "read and write files and cannot be vetted"
        )
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UntrustedModelError(f"{path}: {size:,} bytes (limit {MAX_FILE_BYTES:,})")
    vetter = VETTERS.get(path.suffix)
    if vetter is None:
        raise UntrustedModelError(f"{path}: unknown model format {path.suffix!r}")
    return vetter(path)


def vet_feature_model_file(path) -> dict:
    """Checks for a user's feature network (``evaluate --features keras_model``) before
    Keras reads it; returns its parsed config.

    A feature network is any stock Keras model (ResNets, Inception: layers outside
    ``LAYER_RULES``), so its shapes are not propagated as a generator's are; what is kept:
    only ``.keras`` / ``.h5``, a size cap, the config read with zipfile / h5py and refused
    in one line when it is not a JSON object, nests too deeply, or names any object that
    is not stock Keras. Keras's safe mode then loads it."""
    path = pathlib.Path(path)
    where = str(path)
    if not path.is_file():
        raise UntrustedModelError(f"{where}: no such file")
    if path.suffix not in VETTERS:
        raise UntrustedModelError(
            f"{where}: a feature model must be a .keras or .h5 file, "
            f"not {path.suffix or 'a file without a suffix'}"
        )
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UntrustedModelError(f"{where}: {size:,} bytes (limit {MAX_FILE_BYTES:,})")
    try:
        if path.suffix == ".keras":
            with zipfile.ZipFile(path) as archive:
                info = archive.getinfo("config.json")
                if info.file_size > MAX_CONFIG_BYTES:
                    raise UntrustedModelError(f"{where}: config.json of {info.file_size:,} bytes")
                config = parse_config(archive.read("config.json"), where)
        else:
            import h5py  # lazy: loads h5py; module stays light

            with h5py.File(path, "r") as handle:
                config = _read_h5_config(handle, where)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise UntrustedModelError(f"{where}: not a readable Keras model file ({exc})") from None
    try:
        check_serialized_objects(config, where)
    except RecursionError:
        raise UntrustedModelError(
            f"{where}: model config nested too deeply to be a model"
        ) from None
    return config
