"""A tiny study folder shared by the Turing tests."""

import threading

import numpy as np
import pytest

from keras_medgan.turing.server import make_server
from keras_medgan.turing.study import make_study


def tiny_images(n, sign, seed):
    rng = np.random.default_rng(seed)
    return np.clip(sign * 0.5 + 0.3 * rng.standard_normal((n, 8, 8, 1)), -1, 1).astype(np.float32)


@pytest.fixture
def study(tmp_path):
    make_study(
        tiny_images(6, 1.0, 0),
        tiny_images(5, -1.0, 1),
        n=4,
        out_dir=tmp_path / "study",
        seed=0,
        grid_size=6,
    )
    return tmp_path / "study"


@pytest.fixture
def server(study):
    """The rating server on 127.0.0.1 with a free port, stopped after the test."""
    srv = make_server(study, "127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()
    thread.join(5)
