"""float16 loss scaling that a test can see: skipped steps counted, the scale halved and
nothing applied on an overflow, the applied step equal to fp32's for a scale-sensitive
optimizer (SGD), and a run that skips most steps or whose scale collapses stopped."""

import json
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_medgan.core.runtime import precision_policy
from keras_medgan.gans.base import CountingLossScaleOptimizer, _maybe_loss_scale
from keras_medgan.training import callbacks as cb


def _sgd_pair(lr=0.1, scale=1024.0):
    w = keras.Variable(np.ones(3, np.float32), name="w")
    opt = CountingLossScaleOptimizer(keras.optimizers.SGD(learning_rate=lr), initial_scale=scale)
    opt.build([w])
    return w, opt


def test_an_overflow_is_skipped_counted_and_halves_the_scale():
    w, opt = _sgd_pair()
    opt.apply([keras.ops.convert_to_tensor(np.array([np.inf, 1, 1], np.float32))], [w])
    assert int(opt.skipped_steps.numpy()) == 1
    assert float(opt.dynamic_scale.numpy()) == 512.0
    np.testing.assert_array_equal(w.numpy(), np.ones(3))  # nothing applied
    assert int(opt.iterations.numpy()) == 0


def test_a_skipped_step_does_not_advance_per_step_schedules():
    """BCE's instance-noise annealing reads ``d_optimizer.iterations``: under loss scaling
    that counts applied steps only, so skipped float16 steps leave the schedule where it
    was."""
    w, opt = _sgd_pair()
    for grad in (np.inf, 1.0, np.nan, 1.0):
        opt.apply([keras.ops.convert_to_tensor(np.full(3, grad, np.float32))], [w])
    assert int(opt.iterations.numpy()) == 2 and int(opt.skipped_steps.numpy()) == 2


def test_the_applied_step_is_the_unscaled_gradient_as_in_fp32():
    """SGD moves by lr · g: a gradient applied still multiplied by the scale (1024) would
    move w 1024 times too far (Adam would hide that; SGD cannot)."""
    w, opt = _sgd_pair(lr=0.1, scale=1024.0)
    grad = np.array([0.5, -1.0, 2.0], np.float32)
    opt.apply([keras.ops.convert_to_tensor(grad * 1024.0)], [w])  # what scale_loss gives
    np.testing.assert_allclose(w.numpy(), 1.0 - 0.1 * grad, rtol=1e-6)
    assert int(opt.skipped_steps.numpy()) == 0 and int(opt.iterations.numpy()) == 1


def test_fp16_policy_gets_the_counting_optimizer():
    with precision_policy("fp16"):
        assert isinstance(_maybe_loss_scale(keras.optimizers.Adam()), CountingLossScaleOptimizer)
    with precision_policy("bf16"):
        assert not isinstance(
            _maybe_loss_scale(keras.optimizers.Adam()), keras.optimizers.LossScaleOptimizer
        )


class _Model:
    def __init__(self, d, g):
        self.d_optimizer, self.g_optimizer, self.stop_training = d, g, False


def _epoch(monitor, d, g, d_steps, g_steps):
    monitor.on_epoch_begin(0)
    for finite in d_steps:
        d[1].apply(
            [keras.ops.convert_to_tensor(np.full(3, 1.0 if finite else np.inf, np.float32))], [d[0]]
        )
    for finite in g_steps:
        g[1].apply(
            [keras.ops.convert_to_tensor(np.full(3, 1.0 if finite else np.inf, np.float32))], [g[0]]
        )
    logs = {}
    monitor.on_epoch_end(0, logs)
    return logs


def test_monitor_logs_scale_and_skips_and_stops_when_most_steps_are_skipped():
    d, g = _sgd_pair(), _sgd_pair()
    guard = cb.NonFiniteGuard()
    monitor = cb.LossScaleMonitor(guard)
    monitor.set_model(_Model(d[1], g[1]))
    logs = _epoch(monitor, d, g, [True, True, False, True], [True])
    assert logs == {"d_loss_scale": 512.0, "d_skipped": 1, "g_loss_scale": 1024.0, "g_skipped": 0}
    assert not guard.tripped
    logs = _epoch(monitor, d, g, [False, False, False, True], [True])
    assert logs["d_skipped"] == 3 and guard.tripped and monitor.model.stop_training
    assert "skipped 3 of the discriminator's 4 steps" in guard.reason


def test_monitor_does_not_hold_the_first_scale_search_against_an_epoch():
    """Skips before the first applied step are the scale coming down from 2**15: logged,
    not a reason to stop (3 critic steps per epoch, 2 of them the search, stopped every
    float16 ProGAN run). The same count after an applied step still stops the run."""
    d, g = _sgd_pair(), _sgd_pair()
    guard = cb.NonFiniteGuard()
    monitor = cb.LossScaleMonitor(guard)
    monitor.set_model(_Model(d[1], g[1]))
    logs = _epoch(monitor, d, g, [False, False, True], [True])
    assert logs["d_skipped"] == 2 and logs["d_loss_scale"] == 256.0 and not guard.tripped
    assert int(d[1].warmup_skipped_steps.numpy()) == 2
    _epoch(monitor, d, g, [False, False, True], [True])
    assert guard.tripped and "skipped 2 of the discriminator's 3 steps" in guard.reason
    assert int(d[1].warmup_skipped_steps.numpy()) == 2  # the later skips are not warm-up


def test_monitor_stops_when_the_scale_falls_below_the_floor():
    d, g = _sgd_pair(scale=2.0), _sgd_pair()
    guard = cb.NonFiniteGuard()
    monitor = cb.LossScaleMonitor(guard, floor=1.0, max_skipped=1.0)
    monitor.set_model(_Model(d[1], g[1]))
    _epoch(monitor, d, g, [False, False] + [True] * 6, [True])  # 2 → 0.5
    assert guard.tripped and "loss scale fell to 0.5" in guard.reason
    assert guard.bad_values["d_loss_scale"] == 0.5


@pytest.mark.parametrize("reason", [None, "the generator's float16 loss scale fell to 0.5"])
def test_guard_keeps_the_reason(reason):
    guard = cb.NonFiniteGuard()
    guard.trip(3, {"g_loss_scale": 0.5}, reason=reason)
    assert guard.tripped_epoch == 3 and guard.reason == reason


@pytest.mark.parametrize("replica", [0, 1])
def test_mirrored_overflow_on_one_replica_is_skipped_on_both(replica):
    """MirroredStrategy over 2 logical CPUs, float16 loss scaling, an overflow in one
    replica's gradient only: no replica applies the step (weights unchanged everywhere,
    no NaN), the scale halves once, the skip is counted once."""
    from tests.conftest import subprocess_env

    script = pathlib.Path(__file__).with_name("mirrored_fp16_check.py")
    out = subprocess.run(
        [sys.executable, str(script), "counting", str(replica)],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=180,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["weights"] == [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    assert result["scale"] == 512.0 and result["skipped"] == 1
