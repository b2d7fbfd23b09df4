"""Run by test_distribution.py: one process per worker of a 2-worker
MultiWorkerMirroredStrategy cluster on localhost (``TF_CONFIG``), or, with ``single``,
the same training on one replica. Each prints its logs as one ``RESULT`` JSON line.

Usage: ``python multiworker_check.py single`` or
``python multiworker_check.py worker INDEX PORT0 PORT1``.
The models, data and families are mirrored_check.py's, so a pass means the same
train_step gives the one-replica losses for the same global batch across processes.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["CUDA_VISIBLE_DEVICES"] = ""
if len(sys.argv) > 1 and sys.argv[1] == "worker":
    _index, _ports = int(sys.argv[2]), sys.argv[3:5]
    os.environ["TF_CONFIG"] = json.dumps(
        {
            "cluster": {"worker": [f"localhost:{p}" for p in _ports]},
            "task": {"type": "worker", "index": _index},
        }
    )

import tensorflow as tf  # noqa: F401  (imported after TF_CONFIG is set)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mirrored_check import FAMILIES, run

from keras_medgan.core.runtime import make_strategy


def main():
    strategy = make_strategy("multi-worker" if sys.argv[1] == "worker" else "default")
    out = {family: run(strategy, family) for family in FAMILIES}
    out["replicas"] = strategy.num_replicas_in_sync
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
