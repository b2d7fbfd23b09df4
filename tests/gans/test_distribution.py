"""The same train_step under MirroredStrategy (2 logical CPUs) = one replica, same batch."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).with_name("mirrored_check.py")
MULTI_WORKER = pathlib.Path(__file__).with_name("multiworker_check.py")


def test_mirrored_two_replicas_match_single_replica():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT ") :])
    assert result.pop("replicas") == 2
    assert set(result) == {"bce", "wgan", "wgan-gp"}
    for family, runs in result.items():
        single, mirrored = runs["single"], runs["mirrored"]
        assert set(single) == set(mirrored)
        for name, value in single.items():
            assert mirrored[name] == pytest.approx(value, rel=1e-4, abs=1e-6), (family, name)


def _free_ports(n):
    import socket

    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [str(s.getsockname()[1]) for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _result(proc):
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, proc.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


@pytest.mark.slow  # three TensorFlow processes and two ports; the mirrored test covers the step
def test_multi_worker_two_processes_match_single_replica():
    """MultiWorkerMirroredStrategy over two localhost worker processes (TF_CONFIG)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    ports = _free_ports(2)
    workers = [
        subprocess.Popen(
            [sys.executable, str(MULTI_WORKER), "worker", str(i), *ports],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(2)
    ]
    done = []
    try:
        single = subprocess.run(
            [sys.executable, str(MULTI_WORKER), "single"],
            capture_output=True,
            text=True,
            check=False,
            env=env,
            timeout=300,
        )
        for worker in workers:
            out, err = worker.communicate(timeout=300)
            done.append(subprocess.CompletedProcess(worker.args, worker.returncode, out, err))
    finally:  # a worker waiting for a dead peer must not outlive the test
        for worker in workers:
            worker.kill()
    expected = _result(single)
    assert expected.pop("replicas") == 1
    for proc in done:
        got = _result(proc)
        assert got.pop("replicas") == 2
        assert set(got) == set(expected) == {"bce", "wgan", "wgan-gp"}
        for family, logs in expected.items():
            assert set(got[family]) == set(logs)
            for name, value in logs.items():
                assert got[family][name] == pytest.approx(value, rel=1e-4, abs=1e-6), (family, name)
