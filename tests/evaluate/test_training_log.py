import json

import pytest

from keras_medgan.evaluate import training_log


def test_mean_d_fake_over_the_last_20_epochs(tmp_path):
    lines = [json.dumps({"epoch": e, "d_fake": e / 100.0, "d_loss": 1.0}) for e in range(30)]
    lines.insert(3, "")
    (tmp_path / "metrics.jsonl").write_text("\n".join(lines))
    r = training_log.mean_d_fake(training_log.read_metrics(tmp_path))
    assert r["last_epochs"] == 20 and r["num_epochs"] == 30
    assert r["mean"] == pytest.approx(sum(range(10, 30)) / 20 / 100.0)


def test_last_record_of_an_epoch_wins_and_missing_key_is_an_error(tmp_path):
    recs = [{"epoch": 0, "d_fake": 0.9}, {"epoch": 0, "d_fake": 0.3}, {"epoch": 1, "d_fake": 0.5}]
    assert training_log.mean_d_fake(recs)["mean"] == pytest.approx(0.4)
    with pytest.raises(ValueError, match="d_fake"):
        training_log.mean_d_fake([{"epoch": 0, "g_loss": 1.0}])
    with pytest.raises(FileNotFoundError, match="metrics.jsonl"):
        training_log.read_metrics(tmp_path)
