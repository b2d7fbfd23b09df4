"""SIGTERM / SIGUSR1 (a scheduler's time limit or preemption) stop training the way Ctrl-C
does — the last whole epoch kept, the command to resume printed — with exit status 143,
which a requeue wrapper can tell from a user's Ctrl-C (130) and from a failure (1, 2)."""

import signal

import pytest

from keras_medgan.core.console import EXIT_PREEMPTED, Preemption


@pytest.mark.parametrize("name", ["SIGTERM", "SIGUSR1"])
def test_preemption_turns_the_signal_into_an_interrupt_and_restores_handlers(name):
    sig = getattr(signal, name)
    before = signal.getsignal(sig)
    with pytest.raises(KeyboardInterrupt), Preemption() as stop:
        signal.raise_signal(sig)
    assert stop.signal == name and stop.exit_code() == EXIT_PREEMPTED == 143
    assert signal.getsignal(sig) is before
    assert Preemption().exit_code() == 130  # no signal: a Ctrl-C


def test_inside_a_training_loop_the_first_signal_waits_for_the_epoch_end():
    """A training loop (``stop_at_epoch_end``) gets the first SIGTERM as a request it reads
    at its next epoch end, so the epoch in progress is not thrown away; a second signal
    stops at once. Outside a loop (start-up, export) the signal interrupts at once.
    tests/test_exact_resume.py runs it end to end."""
    from keras_medgan.core.console import stop_at_epoch_end, stop_requested

    with Preemption() as stop:
        assert stop_requested() is None
        with stop_at_epoch_end():
            signal.raise_signal(signal.SIGTERM)  # recorded, not raised
            assert stop_requested() == "SIGTERM" and stop.signal == "SIGTERM"
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGUSR1)
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGTERM)
    assert stop.exit_code() == 143
    with Preemption():
        assert stop_requested() is None  # a new tool run starts without the old request


@pytest.mark.parametrize("signalled, code", [(None, 130), ("SIGTERM", 143)])
def test_a_study_stopped_inside_a_gan_cell_says_so_in_one_line(
    tmp_path, capsys, monkeypatch, signalled, code
):
    """Ctrl-C (or SIGTERM) while a GAN cell trains: the cell keeps its last epoch and the
    study ends with one line and 130 (143 for a scheduler's signal), not a traceback."""
    from keras_medgan.cli.study import main as study_main
    from keras_medgan.study import runner
    from keras_medgan.training.trainer import TrainingInterrupted

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
