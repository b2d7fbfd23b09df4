"""Callbacks: ETA line, history means, NaN guard, checkpoint rules, grids, metric logs."""

import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_medgan.core.console import format_duration
from keras_medgan.training import callbacks as cb


def test_format_duration():
    assert format_duration(4.2) == "4s"
    assert format_duration(75) == "1m15s"
    assert format_duration(3725) == "1h02m"
    assert format_duration(float("nan")) == "?"


def test_last_mean_is_over_the_last_min_20_epochs():
    h = cb.EpochHistory()
    for e in range(1, 26):
        h.add(e, {"d_fake": float(e)})
    assert h.last_mean("d_fake", 20) == pytest.approx(15.5)  # mean of 6..25
    assert h.summary()["d_fake_last20"] == pytest.approx(15.5)
    short = cb.EpochHistory()
    for e, v in enumerate([0.2, 0.4, 0.9], start=1):
        short.add(e, {"d_fake": v})
    assert short.last_mean("d_fake", 20) == pytest.approx(0.5)


def test_history_add_replaces_rerun_epochs():
    h = cb.EpochHistory([{"epoch": 1, "d_loss": 1.0}, {"epoch": 2, "d_loss": 2.0}])
    h.add(2, {"d_loss": 5.0})
    assert h.series("d_loss").tolist() == [1.0, 5.0]


def test_run_progress_prints_one_line_with_the_whole_run_eta():
    lines = []
    clock = cb.RunClock(epochs_to_train=11)  # e.g. 6 epochs left here + 5 in another class
    ticks = iter([100.0, 102.0])  # a fake timer: the epoch takes exactly 2 s
    progress = cb.RunProgress(
        total_epochs=6,
        clock=clock,
        label="hemorrhage",
        print_fn=lines.append,
        timer=lambda: next(ticks),
    )
    progress.on_epoch_begin(0)
    progress.on_epoch_end(0, {"d_loss": 0.5, "g_loss": 1.25, "d_fake": 0.3})
    assert lines[0].startswith(
        "epoch 1/6 [class hemorrhage] d_loss 0.5000 g_loss 1.2500 d_fake 0.3000 2.00 s/epoch"
    )
    assert lines[0].endswith("s/epoch ETA 20s")  # 10 epochs left × 2 s
    clock.tick(4.0)  # EMA with smoothing 0.3: 2 + 0.3·(4 − 2) = 2.6 s
    assert clock.remaining == 9 and clock.eta_seconds == pytest.approx(9 * 2.6)


def _run_epochs(progress, epochs):
    progress.on_train_begin()
    for epoch in epochs:
        progress.on_epoch_begin(epoch)
        progress.on_epoch_end(epoch, {"d_loss": 0.5})


def test_run_progress_keeps_a_line_every_n_epochs_first_and_last():
    lines, live = [], []
    clock = cb.RunClock(epochs_to_train=250)
    progress = cb.RunProgress(
        total_epochs=250,
        clock=clock,
        print_fn=lines.append,
        timer=lambda: 0.0,
        every=cb.log_every(250),
        live=True,
        write=live.append,
    )
    _run_epochs(progress, range(12))
    _run_epochs(progress, range(12, 250))  # a resumed fit starts with a line again
    kept = [int(line.split()[1].split("/")[0].strip("\r\x1b[K")) for line in lines]
    assert cb.log_every(250) == 5 and cb.log_every(5) == 1 and cb.log_every(2500) == 50
    assert kept == [1, 5, 10, 13, *range(15, 251, 5)]
    assert len(live) == 250 - len(kept)  # the other epochs only rewrite the terminal line
    assert all(text.startswith("\r\x1b[K") for text in live)
    assert lines[1].startswith("\r\x1b[K")  # a kept line clears the live one first


def test_run_progress_off_a_terminal_writes_nothing_between_kept_lines():
    lines, live = [], []
    progress = cb.RunProgress(
        total_epochs=7,
        clock=cb.RunClock(7),
        print_fn=lines.append,
        timer=lambda: 0.0,
        every=3,
        write=live.append,
    )
    _run_epochs(progress, range(7))
    assert [line.split()[1] for line in lines] == ["1/7", "3/7", "6/7", "7/7"] and live == []


def _tiny_model():
    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Dense(2)(x))
    model.stop_training = False  # fit() sets this; the callbacks are driven by hand here
    return model


def test_nan_guard_stops_on_d_or_g_loss_not_only_loss():
    model = _tiny_model()
    guard = cb.NonFiniteGuard()
    guard.set_model(model)
    guard.on_epoch_begin(0)
    guard.on_train_batch_end(0, {"d_loss": 0.7, "g_loss": 0.9})
    assert not guard.tripped and not model.stop_training
    guard.on_epoch_begin(1)
    guard.on_train_batch_end(0, {"d_loss": 0.7, "g_loss": float("inf")})
    assert guard.tripped and model.stop_training and guard.tripped_epoch == 2
    assert guard.bad_values == {"d_loss": 0.7, "g_loss": float("inf")}


def test_checkpoint_saver_saves_every_n_and_at_the_end_but_never_nan(tmp_path):
    model = _tiny_model()
    epoch = tf.Variable(0, dtype=tf.int64)
    ckpt = tf.train.Checkpoint(model=model, epoch=epoch)
    manager = tf.train.CheckpointManager(ckpt, str(tmp_path), max_to_keep=10)
    guard = cb.NonFiniteGuard()
    saver = cb.CheckpointSaver(
        manager, epoch, every=2, total_epochs=5, guard=guard, models=(model,)
    )
    for m in (guard, saver):
        m.set_model(model)
    good = {"d_loss": 0.5, "g_loss": 0.5}
    for e in range(4):
        saver.on_epoch_end(e, good)
    saver.on_epoch_end(4, {"d_loss": float("nan"), "g_loss": 0.5})  # last epoch is NaN
    assert [int(p.rsplit("-", 1)[1]) for p in manager.checkpoints] == [2, 4]
    assert saver.last_good_epoch == 4
    assert (
        tf.train.load_variable(manager.latest_checkpoint, "epoch/.ATTRIBUTES/VARIABLE_VALUE") == 4
    )


def test_checkpoint_saver_refuses_nan_weights_with_finite_losses(tmp_path):
    model = _tiny_model()
    epoch = tf.Variable(0, dtype=tf.int64)
    manager = tf.train.CheckpointManager(
        tf.train.Checkpoint(model=model, epoch=epoch), str(tmp_path), max_to_keep=3
    )
    guard = cb.NonFiniteGuard()
    saver = cb.CheckpointSaver(
        manager, epoch, every=1, total_epochs=3, guard=guard, models=(model,)
    )
    for m in (guard, saver):
        m.set_model(model)
    saver.on_epoch_end(0, {"d_loss": 0.1, "g_loss": 0.1})
    kernel = model.layers[-1].kernel
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))
    saver.on_epoch_end(1, {"d_loss": 0.1, "g_loss": 0.1})
    assert len(manager.checkpoints) == 1 and guard.tripped and model.stop_training


def test_image_grid_layout_and_range():
    images = np.stack([np.full((2, 3, 1), v, np.float32) for v in (-1.0, 0.0, 1.0)])
    grid = cb.image_grid(images, pad=1)
    # 3 images → 2 columns × 2 rows of 2×3 tiles with 1-pixel borders
    assert grid.shape == (2 * 3 + 1, 2 * 4 + 1) and grid.dtype == np.uint8
    assert grid[1, 1] == 0 and grid[1, 5] == 128 and grid[4, 1] == 255 and grid[0, 0] == 0
    assert grid[4, 5] == 0  # the empty fourth cell stays black
    big = cb.image_grid(images, pad=1, scale=4)
    assert big.shape == (grid.shape[0] * 4, grid.shape[1] * 4)
    np.testing.assert_array_equal(big[::4, ::4], grid)  # nearest: no invented pixels


def test_fixed_grid_inputs_are_fixed_and_conditional_cycles_classes():
    a = cb.fixed_grid_inputs(5, 4, seed=3)
    np.testing.assert_array_equal(a, cb.fixed_grid_inputs(5, 4, seed=3))
    z, y = cb.fixed_grid_inputs(5, 4, seed=3, num_classes=2)
    np.testing.assert_array_equal(z, a)
    assert y.argmax(1).tolist() == [0, 1, 0, 1]


def test_metrics_log_writes_jsonl_csv_and_null_for_nan(tmp_path):
    history = cb.EpochHistory()
    log = cb.MetricsLog(tmp_path, history, label="normal", tensorboard_dir=tmp_path / "tb")
    log.on_train_begin()
    log.on_epoch_end(0, {"d_loss": 0.25, "g_loss": float("nan")})
    log.on_epoch_end(1, {"d_loss": 0.5, "g_loss": 1.0})
    log.on_train_end()
    rows = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert rows[0]["class"] == "normal" and rows[0]["epoch"] == 1
    assert rows[0]["d_loss"] == 0.25 and rows[0]["g_loss"] is None
    assert (tmp_path / "metrics.csv").read_text().splitlines()[
        0
    ] == "class,epoch,d_loss,g_loss,time"
    assert list((tmp_path / "tb").glob("events.out.tfevents.*"))
    assert math.isnan(history.series("g_loss")[0]) and history.series("d_loss")[1] == 0.5


def test_loss_plot_and_sample_grid_write_pngs(tmp_path):
    import cv2

    history = cb.EpochHistory()
    for e in range(1, 4):
        history.add(e, {"d_loss": 1.0 / e, "g_loss": float(e), "d_real": 0.6, "d_fake": 0.4})
    path = cb.LossPlot(history, tmp_path / "loss.png").write()
    assert cv2.imread(str(path)) is not None
    z = keras.Input((4,))
    g = keras.Model(z, keras.layers.Reshape((2, 2, 1))(keras.layers.Dense(4, activation="tanh")(z)))
    grid = cb.SampleGrid(
        g, cb.fixed_grid_inputs(4, 4, seed=0), tmp_path / "s", every=2, total_epochs=3
    )
    for e in range(3):
        grid.on_epoch_end(e, {"d_loss": 0.1})
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "epoch_00002.png",
        "epoch_00003.png",
    ]
    scale = cb.GRID_MIN_TILE // 2  # 2×2 fakes, shown at least GRID_MIN_TILE px wide
    side = (2 * 4 + 2) * scale
    assert cv2.imread(str(tmp_path / "s" / "epoch_00002.png"), 0).shape == (side, side)


def test_loss_plot_of_a_short_run_has_whole_epoch_ticks(tmp_path, monkeypatch):
    from matplotlib import pyplot as plt

    h = cb.EpochHistory()
    for e in (1, 2, 3):
        h.add(e, {"d_loss": 1.0 / e, "g_loss": float(e), "d_real": 0.6, "d_fake": 0.4})
    ticks = []
    real_close = plt.close
    monkeypatch.setattr(
        plt, "close", lambda fig: (ticks.extend(fig.axes[-1].get_xticks()), real_close(fig))
    )
    cb.plot_losses(h, tmp_path / "loss.png")
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_history_upto_keeps_what_a_checkpoint_of_that_epoch_holds():
    history = cb.EpochHistory()
    for epoch in (1, 2, 3):
        history.add(epoch, {"d_fake": epoch / 10})
    kept = history.upto(2)
    assert [r["epoch"] for r in kept.records] == [1, 2]
    assert kept.summary()["epochs_trained"] == 2
    assert kept.summary()["d_fake_last20"] == pytest.approx(0.15)
    assert len(history.records) == 3  # the full history is untouched
