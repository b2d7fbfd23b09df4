"""``keras-medgan <tool>``: one command; plain --help from the stored texts without
TensorFlow; anything else reaches the tool's own main."""

import subprocess
import sys

from keras_medgan import cli
from keras_medgan.cli.stored_help import TOOLS
from tests.conftest import subprocess_env


def test_overview_lists_every_tool_and_a_bare_call_is_a_usage_error(capsys):
    assert cli.main([]) == 2
    text = capsys.readouterr().out
    assert all(f"  {tool}" in text for tool in TOOLS)
    assert cli.main(["--help"]) == 0


def test_unknown_tool_is_one_line_exit_2(capsys):
    assert cli.main(["trian"]) == 2
    err = capsys.readouterr().err
    assert "unknown tool 'trian'" in err and "train" in err


def test_help_of_every_tool_and_command_comes_from_the_stored_text_without_tensorflow():
    code = (
        "import sys, io, contextlib\n"
        "from keras_medgan import cli\n"
        "for argv in (['train', '--help'], ['study', 'report', '--help'], "
        "['data', 'info', '-h']):\n"
        "    out = io.StringIO()\n"
        "    with contextlib.redirect_stdout(out):\n"
        "        assert cli.main(argv) == 0\n"
        "    assert out.getvalue().startswith('usage: keras-medgan ' + argv[0]), argv\n"
        "print('tensorflow' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_other_arguments_reach_the_tool(capsys):
    assert cli.main(["train", "--arch", "dcgan32", "--data", "phantom", "--print-config"]) == 0
    assert "dcgan32" in capsys.readouterr().out
