"""The same train_step under MirroredStrategy (2 logical CPUs) = one replica, same batch."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

SCRIPT = pathlib.Path(__file__).with_name("mirrored_check.py")


def test_mirrored_two_replicas_match_single_replica():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False,
                          env=env, timeout=300)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT "):])
    assert result.pop("replicas") == 2
    assert set(result) == {"bce", "wgan", "wgan-gp"}
    for family, runs in result.items():
        single, mirrored = runs["single"], runs["mirrored"]
        assert set(single) == set(mirrored)
        for name, value in single.items():
            assert mirrored[name] == pytest.approx(value, rel=1e-4, abs=1e-6), (family, name)
