"""--help answers from stored texts, without TensorFlow, and those texts match the parsers."""

import os
import subprocess
import sys

import pytest

from keras_medgan.cli.stored_help import (
    HELP_DIR,
    TOOLS,
    help_key,
    print_stored_help,
    render_all,
)


def test_stored_help_matches_the_live_parsers():
    live = render_all()
    stored = {p.stem: p.read_text() for p in HELP_DIR.glob("*.txt")}
    assert set(TOOLS) <= set(live)
    stale = sorted(k for k in live if stored.get(k) != live[k]) + sorted(set(stored) - set(live))
    assert not stale, f"stale help texts {stale}: run python scripts/write_cli_help.py"


@pytest.mark.parametrize(
    "args,key",
    [
        (["--help"], "train"),
        (["-h"], "train"),
        (["info", "--help"], "data-info"),
        (["--arch", "dcgan32", "--help"], None),
        (["--data", "x"], None),
        ([], None),
    ],
)
def test_only_a_plain_help_request_is_answered_from_a_file(args, key):
    tool = key.split("-")[0] if key else "train"
    assert help_key(tool, args) == key


def test_print_stored_help_reads_the_original_command_line(capsys):
    assert print_stored_help(["python", "-m", "keras_medgan.data", "info", "--help"])
    assert capsys.readouterr().out.startswith("usage: python -m keras_medgan.data info")
    assert not print_stored_help(["python", "-m", "keras_medgan.train", "--epochs", "5"])
    assert not print_stored_help(["python", "-m", "keras_medgan.nosuch", "--help"])
    assert not print_stored_help(["python", "script.py", "--help"])


def test_help_of_a_tool_that_needs_tensorflow_does_not_import_it():
    code = (
        "import runpy, sys; sys.argv = ['-m', '--help']; sys.orig_argv = ['python', '-m', "
        "'keras_medgan.train', '--help']\n"
        "try:\n    import keras_medgan\nexcept SystemExit as e:\n"
        "    print('exit', e.code, 'tensorflow' in sys.modules)"
    )
    env = {**os.environ, "COLUMNS": "100"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    assert out.startswith("usage: python -m keras_medgan.train")
    assert out.rstrip().endswith("exit 0 False")
