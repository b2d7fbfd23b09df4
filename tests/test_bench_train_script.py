"""scripts/bench_train.py's summary: ratios are taken within a round, then summarised."""

import importlib.util
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "bench_train.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_train_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def row(mode, speed, round_, jit="off"):
    return {"mode": mode, "jit": jit, "round": round_, "images_per_s": speed}


def test_ratio_is_per_round_not_median_over_median(bench):
    # The host halves its speed in round 2; within each round the CLI is 2x the reference.
    rows = [
        row("ref-fp32", 50, 1),
        row("cli-default", 100, 1),
        row("ref-fp32", 25, 2),
        row("cli-default", 50, 2),
        row("ref-fp32", 20, 3),
        row("cli-default", 40, 3),
    ]
    table = bench.summary_table(rows)
    assert "| cli-default | off | 3 | 50.0 | 2.00 (2.00–2.00) |" in table
    assert "| ref-fp32 | off | 3 | 25.0 | 1.00 (1.00–1.00) |" in table


def test_one_round_shows_no_range_and_missing_reference_shows_a_dash(bench):
    table = bench.summary_table(
        [row("ref-fp32", 40, 1), row("cli-fp32", 30, 1), row("cli-fp32", 30, 1, jit="on")]
    )
    assert "| cli-fp32 | off | 1 | 30.0 | 0.75 |" in table
    assert "| cli-fp32 | on | 1 | 30.0 | — |" in table


def test_rounds_below_one_is_a_usage_error(bench, capsys):
    with pytest.raises(SystemExit) as exit_:
        bench.main(["--rounds", "0"])
    assert exit_.value.code == 2
    assert "--rounds must be at least 1" in capsys.readouterr().err


def test_forward_flops_counts_convolutions_and_dense_layers(bench):
    import keras
    from keras import layers

    x = keras.Input((8, 8, 2))
    y = layers.Conv2D(4, 3, padding="same")(x)  # 8·8·4 · 3·3·2 = 4 608
    y = layers.BatchNormalization()(y)  # not counted
    y = layers.Conv2DTranspose(3, 2, strides=2, padding="same")(y)  # 8·8·4 · 2·2·3 = 3 072
    y = layers.Flatten()(y)
    y = layers.Dense(5)(y)  # 16·16·3 · 5 = 3 840
    model = keras.Model(x, y)
    assert bench.forward_flops(model) == 2.0 * (4608 + 3072 + 3840)


def test_fresh_costs_more_than_one_forward_modes(bench):
    step = bench.step_flops(g_flops=2.0, d_flops=0.2)
    assert step["joint"] < step["reuse"] < step["fresh"]
    assert step["fresh"] - step["joint"] == pytest.approx(2.0 + 0.2)  # one more G and D pass
