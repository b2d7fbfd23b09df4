"""SIGTERM / SIGUSR1 (a scheduler's time limit or preemption) stop training the way Ctrl-C
does — the last whole epoch kept, the command to resume printed — with exit status 143,
which a requeue wrapper can tell from a user's Ctrl-C (130) and from a failure (1, 2)."""

import json
import signal
import subprocess
import sys
import time

import pytest

from keras_medgan.console import EXIT_PREEMPTED, Preemption
from tests.conftest import subprocess_env


@pytest.mark.parametrize("name", ["SIGTERM", "SIGUSR1"])
def test_preemption_turns_the_signal_into_an_interrupt_and_restores_handlers(name):
    sig = getattr(signal, name)
    before = signal.getsignal(sig)
    with pytest.raises(KeyboardInterrupt), Preemption() as stop:
        signal.raise_signal(sig)
    assert stop.signal == name and stop.exit_code() == EXIT_PREEMPTED == 143
    assert signal.getsignal(sig) is before
    assert Preemption().exit_code() == 130  # no signal: a Ctrl-C


def test_sigterm_keeps_the_last_epoch_and_the_run_resumes(tmp_path):
    cmd = [sys.executable, "-m", "keras_medgan.train", "--arch", "dcgan32", "--data",
           "phantom:n=16", "--epochs", "400", "--batch-size", "4", "--precision", "fp32",
           "--checkpoint-every", "1", "--sample-every", "1000", "--out", str(tmp_path)]
    proc = subprocess.Popen(cmd, env=subprocess_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    metrics = None
    while time.monotonic() < deadline and proc.poll() is None:
        found = list(tmp_path.glob("*/metrics.jsonl"))
        if found and found[0].read_text().count("\n") >= 2:
            metrics = found[0]
            break
        time.sleep(0.5)
    assert metrics is not None, "training never finished two epochs"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=240)
    assert proc.returncode == 143, err[-2000:]
    assert "SIGTERM received" in err and "resume with: python -m keras_medgan.train" in err
    run_dir = metrics.parent
    kept = json.loads((run_dir / "summary.json").read_text()) if (
        run_dir / "summary.json").is_file() else None
    epochs_done = max(json.loads(line)["epoch"] for line in metrics.read_text().splitlines())
    assert epochs_done >= 2 and kept is None  # stopped, not finished
    again = subprocess.run([sys.executable, "-m", "keras_medgan.train", "--resume",
                            str(run_dir), "--epochs", str(epochs_done + 1)],
                           env=subprocess_env(), capture_output=True, text=True, timeout=240,
                           check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resuming at epoch" in again.stdout + again.stderr


@pytest.mark.parametrize("signalled, code", [(None, 130), ("SIGTERM", 143)])
def test_a_study_stopped_inside_a_gan_cell_says_so_in_one_line(tmp_path, capsys,
                                                                 monkeypatch, signalled, code):
    """Ctrl-C (or SIGTERM) while a GAN cell trains: the cell keeps its last epoch and the
    study ends with one line and 130 (143 for a scheduler's signal), not a traceback."""
    from keras_medgan.study import runner
    from keras_medgan.study.cli import main as study_main
    from keras_medgan.training import TrainingInterrupted

    def stopped(study, cell):
        if signalled:
            signal.raise_signal(getattr(signal, signalled))  # Preemption → KeyboardInterrupt
        raise TrainingInterrupted(tmp_path / "run", "normal", 3)

    monkeypatch.setattr(runner._Study, "run", stopped)
    argv = ["--data", "phantom", "--quick", "--gan-workers", "1", "--out", str(tmp_path / "s")]
    assert study_main(argv) == code
    err = capsys.readouterr().err
    assert "rerun the same command to resume" in err and "Traceback" not in err
    assert (signalled or "interrupted") in err
