"""Run folders and the resolved training configuration.

A run lives in ``<out>/<NNNNN>-<arch>-<data>/`` (numbered like stylegan2-ada's
``00000-...`` folders, so runs sort by start and never overwrite one another) and holds
the fully resolved ``config.json`` next to everything it writes.

Configuration precedence (lowest → highest):

1. ``RUN_DEFAULTS`` (declared with each setting in ``training.config``: what no paper
   specifies, such as the seed and the sample / checkpoint cadence);
2. the architecture's and loss family's paper recipe
   (``keras_medgan.gans.training_defaults``: dcgan32 → 2 500 epochs, batch 16, Adam 2e-4
   β1 0.5, one GAN per class);
3. a ``--config file.yaml``;
4. command-line flags.

On ``--resume`` the run's own ``config.json`` takes the place of 1-3; only settings that
do not change what is being trained (epochs, cadence, precision, ...) may be overridden.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pathlib
import re
import socket
from typing import Any

import yaml

from keras_medgan.core.jsonio import write_text_atomic
from keras_medgan.core.runtime import (
    JIT_MODES,
    PRECISIONS,
    STRATEGIES,
    PrecisionError,
    resolve_precision,
)
from keras_medgan.gans import GAN_FAMILIES, training_defaults
from keras_medgan.gans.options import flag_aliases, resolve_options
from keras_medgan.generators.export import parse_export_formats
from keras_medgan.generators.naming import slug
from keras_medgan.models import ARCHS
from keras_medgan.training.config import (
    RUN_DEFAULTS,
    STRUCTURAL_KEYS,
    ConfigError,
    TrainingConfig,
    check_ranges,
)

RUN_NAME = re.compile(r"^(\d{5})-")
CONFIG_FILE = "config.json"


def option_aliases() -> dict[str, tuple]:
    """Friendly flag names → the option names each loss family actually takes (from the
    families' ``OPTIONS`` declarations: ``label_flip`` → ``flip_prob`` / ``label_flip_prob``)."""

    return flag_aliases(GAN_FAMILIES.get(n) for n in GAN_FAMILIES.names())


# ----------------------------------------------------------------------------- folders


def run_number(path: pathlib.Path) -> int | None:
    match = RUN_NAME.match(path.name)
    return int(match.group(1)) if match else None


def list_runs(out_root) -> list:
    """Run folders under ``out_root`` (those holding a config.json), oldest first."""
    root = pathlib.Path(out_root)
    if not root.is_dir():
        return []
    runs = [
        p
        for p in root.iterdir()
        if p.is_dir() and run_number(p) is not None and (p / CONFIG_FILE).is_file()
    ]
    return sorted(runs, key=run_number)


class RunLockedError(ConfigError):
    """Another process is training in this run folder."""


#: ``KERAS_MEDGAN_LOCK``: ``auto`` (flock, else a lock file), ``flock`` or ``file``
LOCK_ENV = "KERAS_MEDGAN_LOCK"
LOCK_MODES = ("auto", "flock", "file")
#: flock errors that mean "this filesystem cannot lock", not "someone holds the lock"
_NO_FLOCK = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}


@contextlib.contextmanager
def run_lock(run_dir, mode: str | None = None):
    """Hold a lock on ``run_dir`` while a process trains there, so that a second
    ``--resume`` of the same run (or a second shard taking the same study cell) cannot
    interleave checkpoints and metrics rows with the first.

    ``flock`` on ``run_dir/.lock`` first: the kernel drops it when the holder exits, even
    on SIGKILL, so a killed run never leaves a stale lock. Where the filesystem cannot
    flock (NFS without a lock daemon, some Lustre mounts: ENOLCK / EOPNOTSUPP), ``auto``
    falls back to :func:`file_lock`. Where flock works only per node (locks one node takes
    are invisible to another), set ``KERAS_MEDGAN_LOCK=file``. Without ``fcntl`` (Windows)
    the lock file is used.
    """
    mode = mode or os.environ.get(LOCK_ENV, "auto")
    if mode not in LOCK_MODES:
        raise ConfigError(f"{LOCK_ENV}={mode!r}: use one of {', '.join(LOCK_MODES)}")
    try:
        import fcntl  # lazy: POSIX only
    except ImportError:  # pragma: no cover - not POSIX
        fcntl = None
    if mode == "file" or fcntl is None:
        with file_lock(run_dir):
            yield
        return
    path = pathlib.Path(run_dir) / ".lock"
    handle = open(path, "a+")  # noqa: SIM115 - held for the whole run
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunLockedError(
                f"run folder {run_dir} is in use by {holder}; wait for it to "
                "finish or stop it, then resume"
            ) from None
        except OSError as exc:
            if exc.errno not in _NO_FLOCK:
                raise
            if mode == "flock":
                raise RunLockedError(
                    f"{path}: this filesystem cannot flock ({exc.strerror}); "
                    f"set {LOCK_ENV}=file to use a lock file"
                ) from None
            handle.close()
            with file_lock(run_dir):
                yield
            return
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


@contextlib.contextmanager
def file_lock(run_dir):
    """A lock for filesystems without a working flock: ``run_dir/.lock.owner``, created
    with O_EXCL (atomic on NFSv3+ and Lustre), holding ``pid host``, removed on exit.

    Stale rule: a lock whose holder ran on THIS host and is no longer alive (a killed
    process cannot remove its file) is taken over. A holder on another host cannot be
    checked from here: the error names the file to delete once that job is known gone."""
    path = pathlib.Path(run_dir) / ".lock.owner"
    host = socket.gethostname()
    mine = f"{os.getpid()} {host}\n"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid_text, _, holder_host = path.read_text().strip().partition(" ")
                pid = int(pid_text)
            except (OSError, ValueError):
                pid, holder_host = None, "?"
            if pid is not None and holder_host == host and not _alive(pid):
                path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            raise RunLockedError(
                f"run folder {run_dir} is in use by process {pid} on {holder_host} (lock file "
                f"{path}); if that process is gone, delete the file and resume"
            ) from None
        with os.fdopen(fd, "w") as handle:
            handle.write(mine)
        break
    else:  # pragma: no cover - a race that took the stale lock twice
        raise RunLockedError(f"run folder {run_dir}: could not take {path}")
    try:
        yield
    finally:
        try:
            if path.read_text() == mine:
                path.unlink()
        except OSError:
            pass


PATH_DATA_KINDS = ("folder", "csv", "nifti")  # `kind:PATH` data specs named by their path


def data_label(data: str) -> str:
    """The data part of a run folder's name: ``head_ct``, ``phantom`` (options dropped),
    and for ``folder:/data/brats64`` the folder's name, ``brats64``, not ``folder``."""
    kind, _, rest = data.partition(":")
    if kind in PATH_DATA_KINDS and rest.strip("/\\"):
        name = pathlib.PurePath(rest.rstrip("/\\")).name
        for suffix in (".nii.gz", ".nii", ".csv"):
            name = name[: -len(suffix)] if name.lower().endswith(suffix) else name
        return name or kind
    return kind


def new_run_dir(out_root, arch: str, data: str) -> pathlib.Path:
    """Create ``<out_root>/<next number>-<arch>-<data>/`` and return it."""
    root = pathlib.Path(out_root)
    root.mkdir(parents=True, exist_ok=True)
    numbers = [run_number(p) for p in root.iterdir() if run_number(p) is not None]
    number = max(numbers, default=-1) + 1
    while True:  # mkdir without exist_ok: two trainings started together get two folders
        path = root / f"{number:05d}-{slug(arch)}-{slug(data_label(data))}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            number += 1


def named_run_dir(out_root, name: str, create: bool = False) -> pathlib.Path:
    """``<out_root>/<name>`` (``--run-name``); ConfigError for a name that is not one plain
    folder name. ``create``: make it, refusing one that already holds a run."""
    if not name or name in (".", "..") or any(c in name for c in "/\\") or name != name.strip():
        raise ConfigError(
            f"--run-name {name!r}: give a plain folder name (no / or spaces around it)"
        )
    path = pathlib.Path(out_root) / name
    if create:
        if (path / CONFIG_FILE).is_file():
            raise ConfigError(
                f"--run-name {name}: {path} already holds a run; continue it "
                f"with --resume {path} (or --resume auto), or pick another name"
            )
        path.mkdir(parents=True, exist_ok=True)
    return path


def latest_run_dir(out_root) -> pathlib.Path:
    runs = list_runs(out_root)
    if not runs:
        raise ConfigError(f"--resume: no run folder with a {CONFIG_FILE} in {out_root}")
    return runs[-1]


def write_config(run_dir, config: TrainingConfig) -> pathlib.Path:
    path = pathlib.Path(run_dir) / CONFIG_FILE
    text = json.dumps(config.to_dict(), indent=2, sort_keys=True) + "\n"
    return write_text_atomic(path, text)


def read_config(run_dir) -> TrainingConfig:
    """A run folder's config.json as the typed value (any earlier version's file)."""
    path = pathlib.Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(f"--resume: {run_dir} is not a run folder (no {CONFIG_FILE})")
    try:
        values = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(values, dict) or not values.get("arch"):
        raise ConfigError(f"{path} is not a training config (no arch)")
    try:
        return TrainingConfig.from_dict(values)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def read_yaml_config(path) -> dict[str, Any]:
    """A ``--config`` YAML file → dict (keys as in config.json; dashes allowed)."""

    path = pathlib.Path(path)
    if not path.is_file():
        raise ConfigError(f"--config {path}: file not found")
    try:
        loaded = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"--config {path}: not valid YAML ({exc})") from None
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"--config {path}: expected a mapping of settings, got {type(loaded).__name__}"
        )
    return {str(k).replace("-", "_"): v for k, v in loaded.items()}


# ----------------------------------------------------------------------------- resolve


def _family(loss: str):
    if loss not in GAN_FAMILIES:
        raise ConfigError(f"unknown loss {loss!r}; valid names: {', '.join(GAN_FAMILIES.names())}")
    return GAN_FAMILIES.get(loss)


def normalize_options(options: dict[str, Any], loss: str) -> dict[str, Any]:
    """Friendly option names (label_flip, clip) → the loss family's own; unknown names and
    values out of an option's range → ``ConfigError`` (a one-line message, before any
    training starts, instead of a traceback from the GAN's constructor)."""

    family = _family(loss)
    family_options = family.option_defaults()
    aliases = option_aliases()
    out = {}
    for key, value in (options or {}).items():
        if key in family_options:
            out[key] = value
            continue
        targets = [t for t in aliases.get(key, ()) if t in family_options]
        if not targets:
            valid = ", ".join(sorted(family_options)) or "none"
            raise ConfigError(
                f"option {key!r} does not apply to loss {loss!r} (its options: {valid})"
            )
        out[targets[0]] = value
    try:
        resolve_options(family.OPTIONS, out, loss)
    except ValueError as exc:
        raise ConfigError(f"loss {loss!r}: {exc}") from None
    return out


def resolve_config(
    cli: dict[str, Any],
    yaml_config: dict[str, Any] | None = None,
    sources: dict[str, str] | None = None,
) -> TrainingConfig:
    """Merge defaults < arch/family recipe < YAML < CLI, validate once, freeze.

    ``cli`` holds only the flags the user actually gave (argparse defaults are None);
    loss-family options may be given top-level (``label_flip: 0.1``) or under ``options``.
    ``sources``, when given, is filled with where each value came from: ``default``,
    ``<arch> / <loss> recipe``, ``config`` (the YAML) or ``flag`` (options as
    ``options.<name>``); ``train --print-config`` shows it.
    """

    yaml_config = dict(yaml_config or {})
    cli = {k: v for k, v in cli.items() if v is not None}
    arch = cli.get("arch") or yaml_config.get("arch")
    if not arch:
        raise ConfigError("no architecture: give --arch (or arch: in --config)")
    if arch not in ARCHS:
        raise ConfigError(f"unknown architecture {arch!r}; valid names: {', '.join(ARCHS.names())}")
    spec = ARCHS.get(arch)
    loss = cli.get("loss") or yaml_config.get("loss") or spec.paper_defaults().get("loss", "bce")
    family = _family(loss)
    origins: dict[str, str] = {}
    recipe = training_defaults(spec, loss, origins)
    family_option_names = set(family.option_defaults())
    aliases = option_aliases()
    base = {k: v for k, v in recipe.items() if k not in family_option_names and k != "critic"}

    config = dict(RUN_DEFAULTS)
    config.update(base)
    where = {k: "default" for k in RUN_DEFAULTS}
    where.update({k: origins.get(k, f"{arch} / {loss} recipe") for k in base})
    where.update({f"options.{k}": f"{loss} default" for k in family.option_defaults()})
    options: dict[str, Any] = {}
    for name, layer in (("config", yaml_config), ("flag", cli)):
        layer = dict(layer)
        given = dict(layer.pop("options", None) or {})
        for key in list(layer):
            if key in aliases or key in family_option_names:
                given[key] = layer.pop(key)
        unknown = sorted(set(layer) - set(config) - {"loss"})
        if unknown:
            raise ConfigError(
                f"unknown setting(s) {', '.join(unknown)}; valid: "
                f"{', '.join(sorted(set(config) | set(aliases)))}"
            )
        config.update(layer)
        where.update({k: name for k in layer})
        where.update({f"options.{k}": name for k in normalize_options(given, loss)})
        options.update(given)
    config["arch"], config["loss"] = arch, loss
    config["options"] = {**family.option_defaults(), **normalize_options(options, loss)}
    validate_config(config)
    if sources is not None:
        sources.clear()
        sources.update(where)
        sources.setdefault("loss", f"{arch} architecture")
        for key in ("image_size",):  # filled in by validate_config from the architecture
            if key not in cli and key not in yaml_config and RUN_DEFAULTS.get(key) is None:
                sources[key] = f"{arch} architecture"
    return TrainingConfig.from_dict(config)


def validate_config(config: dict[str, Any]) -> None:
    """Raise ConfigError for values that cannot work, before any data is read; fills in
    what the architecture decides (image size, per class). Works on the merged dict,
    before it is frozen into a :class:`TrainingConfig`."""

    spec = ARCHS.get(config["arch"])
    if not config.get("data"):
        raise ConfigError("no data set: give --data (or data: in --config)")
    if config.get("image_size") is None:
        config["image_size"] = int(spec.paper_defaults().get("image_size", spec.image_sizes[0]))
    if int(config["image_size"]) not in tuple(spec.image_sizes):
        raise ConfigError(
            f"architecture {config['arch']!r} cannot build image size "
            f"{config['image_size']}; supported: "
            f"{', '.join(str(s) for s in spec.image_sizes)}"
        )
    config["image_size"] = int(config["image_size"])
    if config.get("loss") not in spec.losses:
        raise ConfigError(
            f"architecture {config['arch']!r} cannot be trained with loss "
            f"{config.get('loss')!r}; valid: {', '.join(spec.losses)}"
        )
    if config.get("per_class") is None:
        config["per_class"] = bool(spec.paper_defaults().get("per_class", False))
    if config["conditional"]:
        if not getattr(spec, "supports_conditional", True):
            raise ConfigError(f"architecture {config['arch']!r} has no conditional variant")
        config["per_class"] = False
    check_ranges(config)  # every declared range (training.config)
    for key, registry in (("precision", PRECISIONS), ("strategy", STRATEGIES)):
        if config[key] not in registry:
            raise ConfigError(
                f"unknown {key} {config[key]!r}; valid names: {', '.join(registry.names())}"
            )

    try:
        resolve_precision(config["precision"], bool(config.get("force")))
    except PrecisionError as exc:
        raise ConfigError(str(exc)) from None
    if not isinstance(config["jit"], bool) and config["jit"] not in JIT_MODES:
        raise ConfigError(
            f"unknown jit mode {config['jit']!r}; valid: {', '.join(JIT_MODES.names())}"
        )

    try:
        formats = config.get("export_formats", RUN_DEFAULTS["export_formats"])
        config["export_formats"] = list(parse_export_formats(formats))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if config.get("export_stages") and not _family(config["loss"]).STAGED:
        raise ConfigError(
            f"export_stages needs an architecture that grows by stage (pggan); "
            f"{config['arch']!r} with loss {config['loss']!r} has one stage"
        )
    if config.get("classes") is not None:
        classes = config["classes"]
        if isinstance(classes, str):
            classes = [c.strip() for c in classes.split(",") if c.strip()]
        if not classes:
            raise ConfigError("classes is empty")
        config["classes"] = list(classes)


def apply_resume_overrides(saved: TrainingConfig, cli: dict[str, Any]) -> TrainingConfig:
    """The saved config with the CLI flags that may change on resume (epochs, cadence...)."""
    before = saved.to_dict()
    config = dict(before)
    aliases = option_aliases()
    for key, value in cli.items():
        if value is None or key in ("resume", "config"):
            continue
        if key in STRUCTURAL_KEYS or key in aliases:
            if before.get(key) != value:
                raise ConfigError(
                    f"--resume cannot change {key} (run has {before.get(key)!r}, "
                    f"got {value!r}); start a new run instead"
                )
            continue
        if key not in config and key not in RUN_DEFAULTS:  # RUN_DEFAULTS: keys newer than the run
            raise ConfigError(f"unknown setting {key!r}")
        config[key] = value
    validate_config(config)
    return TrainingConfig.from_dict(config)
