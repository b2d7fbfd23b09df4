"""``keras-medgan <tool> …``: one installed command for every tool.

``keras-medgan train --epochs 5`` runs what ``python -m keras_medgan.train --epochs 5`` runs.
A plain ``--help`` (``keras-medgan study --help``, ``keras-medgan data info --help``) is
answered from the stored help texts (:mod:`keras_medgan.cli.stored_help`) before TensorFlow is
imported; anything else imports the tool quietly and calls its ``main``. The older
commands ``keras-medgan-train`` and ``keras-medgan-synthesize`` go through here too.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from keras_medgan.cli import stored_help as cli_help
from keras_medgan.cli.stored_help import TOOLS
from keras_medgan.core.console import quiet_tensorflow, wants_verbose

PROG = "keras-medgan"

SUMMARY = {
    "train": "train a GAN (a paper's recipe, or your flags) and export its generators",
    "synthesize": "generate images from exported generators or a shipped model",
    "evaluate": "score synthetic images against real ones (FID, KID, SWD, C2ST, ...)",
    "benchmark": "does synthetic data help a classifier? one generator set, K splits",
    "study": "the same question, cross-validated with the GANs trained inside each fold",
    "turing": "a visual Turing test: make, serve, score",
    "data": "inspect, convert and create data sets (info, convert, phantom)",
}


def overview() -> str:
    width = max(len(t) for t in TOOLS)
    lines = [
        f"usage: {PROG} <tool> [arguments]   ({PROG} <tool> --help for a tool's flags)",
        "",
        "tools:",
    ]
    lines += [f"  {tool:<{width}}  {SUMMARY.get(tool, '')}" for tool in TOOLS]
    lines += ["", f"example: {PROG} train --arch dcgan32 --data phantom --epochs 5"]
    return "\n".join(lines) + "\n"


def stored_help(tool: str, args: Sequence[str]) -> str | None:
    """The stored help text for a plain help request, with this command's name in it."""
    text = cli_help.stored_help(tool, list(args))
    return (
        None if text is None else text.replace(f"python -m keras_medgan.{tool}", f"{PROG} {tool}")
    )


def run_tool(tool: str, args: Sequence[str]) -> int:
    text = stored_help(tool, args)
    if text is not None:
        sys.stdout.write(text)
        return 0
    quiet_tensorflow(wants_verbose(list(args)))
    module = importlib.import_module(TOOLS[tool])
    return int(module.main(list(args)) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(overview())
        return 0 if argv else 2
    tool, args = argv[0], argv[1:]
    if tool not in TOOLS:
        print(f"{PROG}: unknown tool {tool!r}; tools: {', '.join(TOOLS)}", file=sys.stderr)
        return 2
    return run_tool(tool, args)


def train_main() -> int:
    """``keras-medgan-train`` (kept): ``keras-medgan train``."""
    return run_tool("train", sys.argv[1:])


def synthesize_main() -> int:
    """``keras-medgan-synthesize`` (kept): ``keras-medgan synthesize``."""
    return run_tool("synthesize", sys.argv[1:])
