"""Train a GAN: ``python -m keras_medgan.train --arch dcgan32 --data head_ct``.

A thin CLI: argparse with ``choices=`` from the registries, early clear errors (exit
code 2), then one library call, :func:`keras_medgan.training.trainer.run_training`. Defaults come
from the papers through the architecture's and loss family's recipe; see
:mod:`keras_medgan.training.runs` for the precedence (CLI > --config YAML > arch/family defaults).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Any

import yaml

from keras_medgan.cli.flags import add_flag
from keras_medgan.core.console import Preemption, add_verbose_flag
from keras_medgan.core.errors import KerasMedganError
from keras_medgan.core.errors import report as report_error
from keras_medgan.core.presets import find_preset, presets_help
from keras_medgan.core.runtime import JIT_MODES, STRATEGIES
from keras_medgan.gans import GAN_FAMILIES, OPTIMIZERS
from keras_medgan.gans.options import cli_flags
from keras_medgan.generators.cards import command_line
from keras_medgan.models import ARCHS
from keras_medgan.training import runs
from keras_medgan.training.config import flag_help
from keras_medgan.training.runs import option_aliases

PROG = "python -m keras_medgan.train"  # how a run records the command that made it

EPILOG = """examples:
  # P1: one DCGAN per class on the Kaggle head CT set, 32x32 (2 500 epochs, batch 16, Adam 2e-4)
  python -m keras_medgan.train --arch dcgan32 --data head_ct

  # try it now on the built-in phantom, a few epochs
  python -m keras_medgan.train --arch dcgan32 --data phantom --epochs 5

  # P0's conditional GAN at 128x128 from a YAML recipe, overriding the epochs
  python -m keras_medgan.train --config experiments/p0_cgan128_rsna.yaml --epochs 50

  # a paper's recipe by name; see every resolved value and where it comes from
  python -m keras_medgan.train --preset p1_dcgan32_head_ct --print-config

  # P4: WGAN (weight clipping, 5 critic steps) at 64x64 in bfloat16
  python -m keras_medgan.train --arch dcgan64 --loss wgan --data folder:/data/brats64 --precision bf16

  # continue the last run in runs/ (or name one); optionally to more epochs
  python -m keras_medgan.train --resume
  python -m keras_medgan.train --resume runs/00003-dcgan32-head_ct --epochs 5000

Ctrl-C saves a checkpoint and exports the generators, then prints the resume command.
Run folder: runs/<NNNNN>-<arch>-<data>/ with config.json, metrics.jsonl/.csv, logs/
(TensorBoard), samples/<class>/epoch_*.png, loss_<class>.png, checkpoints/<class>/,
export/generator_<class>.{h5,keras,json} (+ _savedmodel/ with --export-formats).
"""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _option(text: str):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")

    return key.strip().replace("-", "_"), yaml.safe_load(value)


def arch_defaults_help(archs) -> str:
    """One line per architecture with its paper defaults (what a flag left out means)."""
    lines = [
        (
            "\narchitecture defaults (each from the recipe file it names in experiments/; "
            "--config, --preset and flags override them):"
        )
    ]
    for name in archs.names():
        spec = archs.get(name)
        d = spec.paper_defaults()
        keys = ("loss", "epochs", "batch_size", "optimizer", "lr", "beta_1", "z_dim", "per_class")
        shown = ", ".join(f"{k} {d[k]}" for k in keys if k in d)
        sizes = "/".join(str(s) for s in spec.image_sizes)
        source = f" [{spec.recipe}]" if spec.recipe else ""
        lines.append(f"  {name} ({sizes} px){source}: {shown}")
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    # lazy: loads OpenCV+pydicom+pandas; module stays light
    from keras_medgan.data.datasets import (
        check_data_arg,
        data_help,
    )

    p = argparse.ArgumentParser(
        prog=PROG,
        description="Train GAN(s) on a medical image set; writes a numbered run folder with "
        "config, logs, sample grids, loss plots, checkpoints and exported generators.",
        epilog=EPILOG + arch_defaults_help(ARCHS) + presets_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = p.add_argument_group("what to train")
    what.add_argument("--arch", choices=ARCHS.names(), help=flag_help("arch"))
    add_flag(what, "--data", type=check_data_arg, more_help=data_help())
    add_flag(what, "--data-dir")
    source = what.add_mutually_exclusive_group()
    source.add_argument("--config", metavar="FILE.yaml", help="settings file (CLI flags win)")
    source.add_argument(
        "--preset",
        metavar="NAME",
        help="a paper's recipe by name (listed below; = --config experiments/NAME.yaml)",
    )
    what.add_argument("--loss", choices=GAN_FAMILIES.names(), help=flag_help("loss"))
    what.add_argument("--image-size", type=_positive_int, help=flag_help("image_size"))
    what.add_argument("--classes", help=flag_help("classes"))
    what.add_argument(
        "--conditional",
        action="store_true",
        default=None,
        help=flag_help("conditional"),
    )
    what.add_argument(
        "--per-class",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=flag_help("per_class"),
    )
    what.add_argument("--z-dim", type=_positive_int, help=flag_help("z_dim"))

    how = p.add_argument_group("optimisation (defaults: the paper's recipe)")
    how.add_argument("--epochs", type=_positive_int, help=flag_help("epochs"))
    how.add_argument("--batch-size", type=_positive_int, help=flag_help("batch_size"))
    how.add_argument("--lr", type=_positive_float, help=flag_help("lr"))
    how.add_argument("--beta-1", type=float, help=flag_help("beta_1"))
    how.add_argument("--beta-2", type=float, help=flag_help("beta_2"))
    how.add_argument("--optimizer", choices=OPTIMIZERS.names(), help=flag_help("optimizer"))
    how.add_argument(
        "--seed",
        type=int,
        help=flag_help("seed"),
    )
    how.add_argument(
        "--split-seed",
        type=int,
        help=flag_help("split_seed"),
    )

    tricks = p.add_argument_group("loss-family options (an option the loss lacks is an error)")
    families = {name: GAN_FAMILIES.get(name) for name in GAN_FAMILIES.names()}
    for flag, (kind, text) in cli_flags(families).items():
        kind = {int: _positive_int, str: str}.get(kind, float)
        tricks.add_argument("--" + flag.replace("_", "-"), dest=flag, type=kind, help=text)
    tricks.add_argument(
        "--option",
        type=_option,
        action="append",
        metavar="KEY=VALUE",
        help="any other loss-family option (repeatable)",
    )

    run = p.add_argument_group("run")
    run.add_argument("--out", help=flag_help("out"))
    run.add_argument(
        "--resume",
        nargs="?",
        const="last",
        metavar="RUN_DIR|auto",
        help="continue the last run in --out, or RUN_DIR; auto (with "
        "--run-name): continue OUT/NAME if it exists, else start it -- one "
        "command that a requeued job can run again and again",
    )
    run.add_argument(
        "--run-name",
        metavar="NAME",
        help="name the run folder OUT/NAME instead of OUT/<number>-<arch>-<data>",
    )
    add_flag(
        run, "--precision", default=None, more_help="a --config file's value counts as the default"
    )
    run.add_argument(
        "--force",
        action="store_true",
        default=None,
        help=flag_help("force"),
    )
    run.add_argument(
        "--jit",
        nargs="?",
        const="on",
        choices=JIT_MODES.names(),
        help=flag_help("jit"),
    )
    run.add_argument("--strategy", choices=STRATEGIES.names(), help=flag_help("strategy"))
    run.add_argument("--checkpoint-every", type=_positive_int, help=flag_help("checkpoint_every"))
    run.add_argument(
        "--checkpoint-minutes",
        type=float,
        help=flag_help("checkpoint_minutes"),
    )
    run.add_argument(
        "--sample-every",
        type=_positive_int,
        help=flag_help("sample_every"),
    )
    run.add_argument(
        "--log-every",
        type=_positive_int,
        metavar="N",
        help=flag_help("log_every"),
    )
    run.add_argument(
        "--export-formats",
        metavar="LIST",
        help=flag_help("export_formats"),
    )
    run.add_argument(
        "--export-stages",
        action="store_true",
        default=None,
        help=flag_help("export_stages"),
    )
    run.add_argument(
        "--deterministic",
        action="store_true",
        default=None,
        help=flag_help("deterministic"),
    )
    run.add_argument(
        "--max-loss",
        type=float,
        help=flag_help("max_loss"),
    )
    run.add_argument("--sample-count", type=_positive_int, help=flag_help("sample_count"))
    run.add_argument(
        "--print-config",
        action="store_true",
        help="print the resolved settings with where each value comes from "
        "(default / recipe / config / flag), then exit without training",
    )
    add_verbose_flag(p)
    return p


def cli_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The flags the user gave, as config keys (argparse defaults are None = not given)."""
    settings = {
        k: v
        for k, v in vars(args).items()
        if v is not None
        and k not in ("config", "preset", "resume", "option", "verbose", "print_config", "run_name")
    }
    options = dict(args.option or [])

    for key in option_aliases():
        if key in settings:
            options[key] = settings.pop(key)
    if options:
        settings["options"] = options
    if "classes" in settings:
        settings["classes"] = [c.strip() for c in settings["classes"].split(",") if c.strip()]
    return settings


def resolve(args, settings, sources: dict[str, str] | None = None):
    """(config, run_dir or None): a resumed run's dir, or None for a new run. ``sources``
    is filled with where each value came from (a new run's only)."""

    out = settings.get("out", runs.RUN_DEFAULTS["out"])
    if args.resume == "auto":
        if not args.run_name:
            raise runs.ConfigError(
                "--resume auto needs --run-name NAME (the run it starts or continues)"
            )
        named = runs.named_run_dir(out, args.run_name)
        if not (named / runs.CONFIG_FILE).is_file():
            args.resume = None  # not there yet: start it (main creates OUT/NAME)
        else:
            args.resume = str(named)
            if args.config:  # the same command again: its YAML counts as flags
                yaml_settings = runs.read_yaml_config(args.config)
                options = {**yaml_settings.get("options", {}), **settings.get("options", {})}
                settings = {**yaml_settings, **settings}
                if options:
                    settings["options"] = options
                args.config = None
    if args.resume:
        run_dir = runs.latest_run_dir(out) if args.resume == "last" else pathlib.Path(args.resume)
        saved = runs.read_config(run_dir)
        if args.config:
            raise runs.ConfigError("--resume uses the run's own config.json; drop --config")
        if "options" in settings:
            settings["options"] = {
                **saved.options,
                **runs.normalize_options(settings["options"], saved.loss),
            }
        return runs.apply_resume_overrides(saved, settings), run_dir
    yaml_config = runs.read_yaml_config(args.config) if args.config else None
    return runs.resolve_config(settings, yaml_config, sources), None


def print_config(config, sources: dict[str, str]) -> None:
    """The resolved settings (a TrainingConfig), one per line, with where each came from."""

    values = config.to_dict()
    rows = [(k, v, sources.get(k, "")) for k, v in values.items() if k != "options"]
    rows += [
        (f"options.{k}", v, sources.get(f"options.{k}", "")) for k, v in values["options"].items()
    ]
    width = max(len(k) for k, _, _ in rows)
    for key, value, source in rows:
        print(f"{key:<{width}}  {json.dumps(value):<28}  # {source}")


def main(argv=None) -> int:
    # lazy: loads OpenCV+pydicom+pandas; module stays light
    from keras_medgan.training import trainer as training

    parser = build_parser()
    args = parser.parse_args(argv)
    if not (args.arch or args.config or args.preset or args.resume):
        parser.error("give --arch and --data (or --preset NAME, --config FILE.yaml, or --resume)")
    settings = cli_settings(args)
    sources: dict[str, str] = {}
    try:
        if args.preset:
            try:
                args.config = str(find_preset(args.preset))
            except ValueError as exc:
                raise runs.ConfigError(f"--preset: {exc}") from None
        config, run_dir = resolve(args, settings, sources)
        if args.print_config:
            layer = f"preset {args.preset}" if args.preset else f"config {args.config}"
            print_config(
                config,
                {k: layer if v == "config" else v for k, v in sources.items()}
                if run_dir is None
                else dict.fromkeys(
                    [*config.to_dict(), *(f"options.{k}" for k in config.options)],
                    f"{run_dir}/config.json",
                ),
            )
            return 0
        prepared = training.prepare_training(config)
    except KerasMedganError as exc:
        return report_error(exc)
    except KeyboardInterrupt:
        print("\ninterrupted while loading the data; nothing was written", file=sys.stderr)
        return 130
    if run_dir is None:
        config = config.replace(command=command_line(argv, prog=PROG))
        run_dir = (
            runs.named_run_dir(config.out, args.run_name, create=True)
            if args.run_name
            else runs.new_run_dir(config.out, config.arch, config.data)
        )
    else:
        config = config.replace(resumed_by=(*config.resumed_by, command_line(argv, prog=PROG)))

    preemption = Preemption()
    try:
        with preemption, runs.run_lock(run_dir):
            runs.write_config(run_dir, config)
            training.run_training(config, run_dir, prepared=prepared)
    except training.TrainingInterrupted as stop:
        kept = (
            f"kept epoch {stop.epoch} (checkpoint + export in {stop.run_dir})"
            if stop.epoch
            else "no epoch finished yet, nothing kept"
        )
        why = f"{preemption.signal} received" if preemption.signal else "interrupted"
        print(
            f"\n{why}: {stop.unit} {kept}.\nresume with: python -m keras_medgan.train "
            f"--resume {stop.run_dir}",
            file=sys.stderr,
        )
        return preemption.exit_code()
    except KerasMedganError as exc:  # bad input 2, a failed run (NaN, disk full) 1
        return report_error(exc)
    except KeyboardInterrupt:  # outside an epoch: start-up, export, a second Ctrl-C
        print(
            f"\n{preemption.signal or 'interrupted'}; files are written atomically, so "
            f"resume with: python -m keras_medgan.train --resume {run_dir}",
            file=sys.stderr,
        )
        return preemption.exit_code()
    return 0
