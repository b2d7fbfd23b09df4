"""What the CLIs print: TensorFlow's start-up noise hidden unless --verbose; progress lines
that do not run together in a log."""

import io
import os
import re
import subprocess
import sys

from keras_medgan.core.console import NOISE, Progress, _DropNoise, wants_verbose

# absl/glog-style C++ log lines: "I0000 00:00:…", "E0000 …", and absl's preamble.
TF_LOG_LINE = re.compile(r"^([IWEF]\d{4} |WARNING: All log messages before absl)", re.MULTILINE)


def _run_tool(*argv):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP")}
    env.pop("KERAS_MEDGAN_VERBOSE", None)
    return subprocess.run(
        [sys.executable, "-m", "keras_medgan.synthesize", *argv],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_a_tool_that_loads_tensorflow_prints_no_start_up_lines_unless_verbose():
    quiet = _run_tool("--list")
    assert quiet.returncode == 0 and "p1_head_ct" in quiet.stdout
    assert not TF_LOG_LINE.search(quiet.stderr), quiet.stderr
    assert "cuInit" not in quiet.stderr
    verbose = _run_tool("--list", "--verbose")
    assert verbose.returncode == 0 and "p1_head_ct" in verbose.stdout
    # TensorFlow's own lines pass through (they differ by machine; at least one is printed)
    assert TF_LOG_LINE.search(verbose.stderr) or "tensorflow" in verbose.stderr.lower()


def test_wants_verbose_reads_the_flag_or_the_environment(monkeypatch):
    monkeypatch.delenv("KERAS_MEDGAN_VERBOSE", raising=False)
    assert not wants_verbose(["--n", "3"]) and wants_verbose(["--n", "3", "--verbose"])
    monkeypatch.setenv("KERAS_MEDGAN_VERBOSE", "1")
    assert wants_verbose([])


def test_noise_filter_drops_only_the_known_messages():
    import logging

    def record(message):
        return logging.LogRecord("absl", logging.WARNING, __file__, 1, message, None, None)

    keep = _DropNoise()
    assert not keep.filter(record(f"You are {NOISE[0]} via model.save()"))
    assert keep.filter(record("Gradients do not exist for variables"))


class _Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self.tty = tty

    def isatty(self):
        return self.tty


def _progress(tty):
    stream = _Stream(tty)
    bar = Progress(10, "decoding", delay=0, every=0, log_every=0, stream=stream)
    for done in range(1, 11):
        bar.update(done)
    bar.close()
    return stream.getvalue()


def test_progress_rewrites_one_line_on_a_terminal_and_writes_whole_lines_to_a_log():
    on_terminal = _progress(tty=True)
    assert on_terminal.count("\r") == 11 and on_terminal.count("\n") == 1
    in_log = _progress(tty=False)
    assert "\r" not in in_log
    lines = in_log.splitlines()
    assert len(lines) == 11 and lines[0].startswith("decoding: 1/10")
    assert lines[-1].startswith("decoding: 10/10 done in")


def test_output_cut_by_a_closed_pipe_ends_quietly():
    """`python -m keras_medgan.<tool> ... | head`: no BrokenPipeError traceback, exit 141."""
    import subprocess
    import sys

    code = (
        "from keras_medgan.core.console import run_main\n"
        "def main():\n"
        "    for i in range(200000):\n"
        "        print('line', i)\n"
        "    return 0\n"
        "run_main(main)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout.readline() == b"line 0\n"
    proc.stdout.close()  # what `head -1` does after its first line
    _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
    assert proc.returncode == 141


def test_subprocesses_import_the_checkout_under_test(tmp_path):
    """Tools started by tests run this checkout, not an installed copy elsewhere."""
    from tests.conftest import REPO, subprocess_env

    code = "import keras_medgan, pathlib; print(pathlib.Path(keras_medgan.__file__).resolve())"
    for env in (dict(os.environ), subprocess_env()):
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=120,
        ).stdout.strip()
        assert out == str(REPO / "keras_medgan" / "__init__.py")
