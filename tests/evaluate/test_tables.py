"""Report rows are made from a metric's values, also once those went through results.json."""

import json

from keras_medgan.evaluate.tables import rows_for


def test_swd_rows_are_the_same_from_memory_and_from_results_json():
    swd = {"mean": 40.0, "std": 2.0, "resolutions": [32, 16], "levels": {32: 30.0, 16: 50.0}}
    values = {
        "all": swd,
        "same_size": swd,
        "real_vs_real": {**swd, "mean": 20.0},
        "n_per_side_same_size": 28,
    }
    rows = rows_for("swd", values)
    assert rows == rows_for("swd", json.loads(json.dumps(values)))  # JSON keys are strings
    assert rows[1] == [
        "SWD mean at n = 28 per side",
        "40.00 ± 2.00",
        "20.00 ± 2.00",
        "≈ real-vs-real",
    ]
    assert rows[-1][:3] == ["SWD level 16×16", "50.00", "50.00"]


def test_a_metric_without_a_table_has_no_rows():
    assert rows_for("tsne", {"figure": "figures/tsne.png"}) == []
