"""Run by test_loss_scale.py in a fresh interpreter (logical CPU devices must exist before
TensorFlow initialises): one loss-scaled SGD step under MirroredStrategy over 2 logical
CPUs, with an overflow planted in ONE replica's gradient only. Prints JSON: each replica's
weights after the step, the scale, the skipped-step count.

``argv[1]``: ``counting`` (the project's optimizer) or ``keras`` (Keras's own);
``argv[2]``: the replica (0 or 1) whose gradient overflows.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import tensorflow as tf

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras
import numpy as np

from keras_medgan.gans.base import CountingLossScaleOptimizer

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    w = keras.Variable(np.ones(3, np.float32), name="w")
    inner = keras.optimizers.SGD(learning_rate=0.1)
    kind = sys.argv[1]
    opt = (
        CountingLossScaleOptimizer(inner, initial_scale=1024.0)
        if kind == "counting"
        else keras.optimizers.LossScaleOptimizer(inner, initial_scale=1024.0)
    )
    opt.build([w])


@tf.function
def step():
    def replica_fn():
        replica = tf.distribute.get_replica_context().replica_id_in_sync_group
        bad = tf.cast(tf.equal(replica, int(sys.argv[2])), tf.float32)
        grad = tf.ones(3) + bad * tf.constant([np.inf, 0.0, 0.0])  # inf on one replica
        opt.apply([grad], [w])

    strategy.run(replica_fn)


step()
values = [v.numpy().tolist() for v in strategy.experimental_local_results(w.value)]
print(
    json.dumps(
        {
            "weights": values,
            "scale": float(opt.dynamic_scale.numpy()),
            "skipped": int(opt.skipped_steps.numpy()) if kind == "counting" else None,
        }
    )
)
