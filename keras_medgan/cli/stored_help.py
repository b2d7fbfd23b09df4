"""Fast ``--help``: each tool's help text, stored in ``keras_medgan/cli/help/``, printed
before TensorFlow is imported.

Building the train / synthesize / benchmark parsers needs the registries (architectures,
loss families, precisions), and those live beside Keras models: ``--help`` took 6–7 s,
almost all of it importing TensorFlow. The text a parser prints is a pure function of the
code, so it is rendered once (``python scripts/write_cli_help.py``) and stored; ``python
-m keras_medgan.<tool> --help`` (or ``<tool> <command> --help``) prints the stored file
from the package's ``__init__``, before the tool module loads. ``tests/test_cli_help.py``
renders every parser again and fails when a stored text is stale, so the two cannot drift.
Any other command line, and tools or commands without a stored text, take the normal path.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pathlib
import sys
from collections.abc import Iterator, Sequence

HELP_DIR = pathlib.Path(__file__).resolve().parent / "help"
WIDTH = 100  # columns the stored texts are wrapped to

#: tool (``python -m keras_medgan.<tool>``) → the module with its ``build_parser``
TOOLS = {
    "train": "keras_medgan.cli.train",
    "synthesize": "keras_medgan.cli.synthesize",
    "benchmark": "keras_medgan.cli.benchmark",
    "evaluate": "keras_medgan.cli.evaluate",
    "data": "keras_medgan.cli.data",
    "turing": "keras_medgan.cli.turing",
    "study": "keras_medgan.cli.study",
}
HELP_FLAGS = ("-h", "--help")


def help_key(tool: str, args: Sequence[str]) -> str | None:
    """``train`` for ``train --help``; ``data-info`` for ``data info --help``; None for any
    other command line (it is not a plain request for help)."""
    if tool not in TOOLS:
        return None
    if len(args) == 1 and args[0] in HELP_FLAGS:
        return tool
    if len(args) == 2 and args[1] in HELP_FLAGS and not args[0].startswith("-"):
        return f"{tool}-{args[0]}"
    return None


@contextlib.contextmanager
def _columns(width: int) -> Iterator[None]:
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved


def render_all() -> dict[str, str]:
    """Every tool's (and sub-command's) help text, rendered from the live parsers."""
    texts = {}
    with _columns(WIDTH):
        for tool, module in TOOLS.items():
            mod = importlib.import_module(module)
            parser = mod.build_parser()
            texts[tool] = parser.format_help()
            # commands a tool parses itself, outside argparse (``study report``)
            for name, build in getattr(mod, "SUBCOMMAND_PARSERS", {}).items():
                texts[f"{tool}-{name}"] = build().format_help()
            for action in parser._actions:  # argparse keeps sub-commands here
                choices = getattr(action, "choices", None)
                if isinstance(choices, dict):
                    for name, sub in choices.items():
                        texts[f"{tool}-{name}"] = sub.format_help()
    return texts


def write_all(directory: pathlib.Path = HELP_DIR) -> list[pathlib.Path]:
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.txt"):
        stale.unlink()
    paths = []
    for key, text in render_all().items():
        path = directory / f"{key}.txt"
        path.write_text(text)
        paths.append(path)
    return paths


def print_stored_help(orig_argv: Sequence[str]) -> bool:
    """Print the stored help for ``python -m keras_medgan.<tool> [command] --help`` and
    return True; False (nothing printed) for anything else."""
    argv = list(orig_argv)
    if "-m" not in argv:
        return False
    i = argv.index("-m")
    module = argv[i + 1] if i + 1 < len(argv) else ""
    if not module.startswith("keras_medgan."):
        return False
    text = stored_help(module.split(".", 1)[1], argv[i + 2 :])
    if text is None:
        return False
    sys.stdout.write(text)
    sys.stdout.flush()
    return True


def stored_help(tool: str, args: Sequence[str]) -> str | None:
    """The stored help text for a plain help request (see :func:`help_key`), else None."""
    key = help_key(tool, args)
    path = HELP_DIR / f"{key}.txt" if key else None
    return path.read_text() if path is not None and path.is_file() else None
