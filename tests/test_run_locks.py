"""Run locks where flock does not work (issue #30): the O_EXCL lock file, its stale rule,
and the automatic fallback from flock."""

import errno
import os
import socket
import subprocess
import sys

import pytest

from keras_medgan.training import runs
from keras_medgan.training.runs import RunLockedError, file_lock, run_lock


def test_a_file_lock_excludes_a_second_holder_and_is_removed_on_exit(tmp_path):
    with file_lock(tmp_path):
        owner = (tmp_path / ".lock.owner").read_text()
        assert owner == f"{os.getpid()} {socket.gethostname()}\n"
        with pytest.raises(RunLockedError, match="in use by process"), file_lock(tmp_path):
            pass
    assert not (tmp_path / ".lock.owner").exists()
    with file_lock(tmp_path):  # free again
        pass


def test_a_dead_process_on_this_host_leaves_a_lock_that_is_taken_over(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (tmp_path / ".lock.owner").write_text(f"{dead.stdout.strip()} {socket.gethostname()}\n")
    with file_lock(tmp_path):
        assert (tmp_path / ".lock.owner").read_text().startswith(str(os.getpid()))


def test_a_holder_on_another_host_is_not_guessed_dead(tmp_path):
    (tmp_path / ".lock.owner").write_text("12345 node-elsewhere\n")
    with (
        pytest.raises(RunLockedError, match="node-elsewhere .*delete the file"),
        file_lock(tmp_path),
    ):
        pass
    assert (tmp_path / ".lock.owner").read_text() == "12345 node-elsewhere\n"  # untouched


def test_auto_falls_back_to_the_lock_file_where_flock_is_unsupported(tmp_path, monkeypatch):
    import fcntl

    def no_flock(handle, flags):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_flock)
    with run_lock(tmp_path):
        assert (tmp_path / ".lock.owner").is_file()
        with pytest.raises(RunLockedError), run_lock(tmp_path):
            pass
    with (
        pytest.raises(RunLockedError, match="cannot flock.*KERAS_MEDGAN_LOCK=file"),
        run_lock(tmp_path, mode="flock"),
    ):
        pass


def test_the_lock_mode_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(runs.LOCK_ENV, "file")
    with run_lock(tmp_path):
        assert (tmp_path / ".lock.owner").is_file()
    monkeypatch.setenv(runs.LOCK_ENV, "nfs")
    with pytest.raises(runs.ConfigError, match="use one of auto, flock, file"), run_lock(tmp_path):
        pass
