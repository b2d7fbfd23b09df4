"""The flags several tools share, defined once: the same name, help and default everywhere.

A user who learnt ``--data`` in ``train`` should not meet ``--real`` in ``evaluate``; a
shipped model name that works in ``synthesize`` should work wherever generators are read.
Each tool adds a shared flag with :func:`add_flag`; older spellings stay as hidden aliases
(they parse, ``--help`` does not show them). ``docs/INTERFACES.md`` has the table, and
``tests/test_cli_flags.py`` checks every tool's parser against :data:`SHARED_FLAGS`.

This module imports argparse only, so building a parser stays cheap.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

__all__ = ["SHARED_FLAGS", "SharedFlag", "add_flag"]


@dataclass(frozen=True)
class SharedFlag:
    """One shared option: its name, the help every tool shows (a tool may append a
    sentence of its own, never replace it), its defaults and its hidden old spellings."""

    name: str
    help: str
    kwargs: dict = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        return self.name.lstrip("-").replace("-", "_")


_PRECISIONS = ("auto", "fp32", "bf16", "fp16")

SHARED_FLAGS: dict[str, SharedFlag] = {
    f.name: f
    for f in (
        SharedFlag(
            "--data",
            "data set: a registered name (phantom, head_ct, rsna_ich, brain_mri) or "
            "folder:PATH, csv:PATH, nifti:PATH",
            {"metavar": "DATA"},
            aliases=("--real",),
        ),
        SharedFlag(
            "--data-dir",
            "folder of the data set (else $KERAS_MEDGAN_DATA/<name>, then "
            "~/keras_medgan_data/<name>)",
            {"metavar": "DIR"},
        ),
        SharedFlag(
            "--generators",
            "generators: a run folder, an export folder, a .h5/.keras file, or the name "
            "of a shipped model (synthesize --list); an existing path wins over a name",
            {"metavar": "GENERATORS"},
            aliases=("--fake", "--generator", "--model"),
        ),
        SharedFlag(
            "--feature-weights",
            "local file for --features: InceptionV3 / VGG16 weights, or a whole Keras "
            "model for keras_model (nothing is ever downloaded)",
            {"metavar": "FILE"},
            aliases=("--inception-weights", "--vgg-weights"),
        ),
        SharedFlag(
            "--bootstrap",
            "bootstrap resamples for the intervals",
            {"type": int, "metavar": "N"},
            aliases=("--num-bootstrap",),
        ),
        SharedFlag(
            "--quiet",
            "no progress output (errors and the final summary only)",
            {"action": "store_true"},
        ),
        SharedFlag(
            "--precision",
            "compute dtype: auto (default) = bf16 where the hardware computes it fast "
            "(AVX512_BF16/AMX CPUs, Ampere+ GPUs), else fp32; or fp32, bf16, fp16",
            {"choices": _PRECISIONS, "default": "auto"},
        ),
    )
}


class _OldSpelling(argparse.Action):
    """An old spelling of a shared flag: stores into the same place, and sets what the old
    name implied (``--inception-weights F`` meant ``--features inception_v3``) unless the
    command line says otherwise."""

    def __init__(self, *args, implies: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.implies = implies or {}

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        for dest, value in self.implies.items():
            if getattr(namespace, dest, None) is None:
                setattr(namespace, dest, value)


def add_flag(
    parser,
    name: str,
    *,
    more_help: str = "",
    aliases: tuple[str, ...] | None = None,
    implies: dict[str, dict] | None = None,
    **overrides,
) -> argparse.Action:
    """Add shared flag ``name`` to ``parser`` (a parser, group or mutually exclusive group).

    ``more_help``: a tool's own sentence after the shared help. ``aliases``: which of the
    flag's old spellings this tool accepts (hidden; default none); ``implies``: alias →
    ``{dest: value}`` it also sets. ``overrides``: argparse keywords such as ``required``,
    ``nargs``, ``type`` or a tool's own ``default``.
    """
    flag = SHARED_FLAGS[name]
    kwargs = {**flag.kwargs, **overrides}
    text = flag.help + (f"; {more_help}" if more_help else "")
    if kwargs.get("default") not in (None, False, [], "") and "(default" not in text:
        text += " (default %(default)s)"
    for alias in aliases or ():
        if alias not in flag.aliases:
            raise ValueError(f"{alias} is not an old spelling of {name}")
    if aliases and kwargs.pop("required", False):
        # required, yet satisfied by an old spelling too: one of a required exclusive pair
        parser = parser.add_mutually_exclusive_group(required=True)
    action = parser.add_argument(name, dest=flag.dest, help=text, **kwargs)
    for alias in aliases or ():
        if (implies or {}).get(alias):
            parser.add_argument(
                alias,
                dest=flag.dest,
                help=argparse.SUPPRESS,
                action=_OldSpelling,
                implies=implies[alias],
                **{k: v for k, v in kwargs.items() if k != "action"},
            )
        else:
            parser.add_argument(alias, dest=flag.dest, help=argparse.SUPPRESS, **kwargs)
    return action
