import csv
import json
import urllib.error
import urllib.request

import numpy as np
import pytest

from keras_medgan.cli.turing import main
from keras_medgan.turing.study import make_study
from tests.turing.conftest import tiny_images


def test_make_writes_a_blinded_shuffled_study(study):
    manifest = json.loads((study / "public" / "manifest.json").read_text())
    with open(study / "key.csv") as f:
        key = list(csv.DictReader(f))
    assert len(manifest["images"]) == 8 and len(key) == 8
    assert sorted(r["truth"] for r in key) == ["real"] * 4 + ["synthetic"] * 4
    assert [r["image"] for r in key] == manifest["images"]
    # neutral names: nothing in the served part mentions the truth
    served = " ".join(p.name for p in (study / "public").rglob("*")) + " ".join(manifest["images"])
    assert "real" not in served and "synth" not in served and "fake" not in served
    assert set(manifest) == {"title", "images", "choices"}
    assert (study / "grid.png").stat().st_size > 0
    grid = sorted(int(r["grid_position"]) for r in key if r["grid_position"])
    assert grid == list(range(1, 7))
    assert not (study / "public" / "key.csv").exists()


def test_make_refuses_to_overwrite_and_checks_n(study):
    x = tiny_images(4, 1.0, 0)
    with pytest.raises(ValueError, match="already holds a study"):
        make_study(x, x, 2, study)
    with pytest.raises(ValueError, match="needs at least 9"):
        make_study(x, x, 9, study.parent / "other")


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, r.read()


def _post(url, payload):
    req = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def test_server_saves_answers_atomically_and_never_serves_the_key(study, server):
    status, page = _get(server + "/")
    assert status == 200 and b"btn-synthetic" in page
    images = json.loads(_get(server + "/manifest.json")[1])["images"]
    status, png = _get(server + "/images/" + images[0])
    assert png[:4] == b"\x89PNG"
    for bad in (
        "/key.csv",
        "/images/../key.csv",
        "/images/%2e%2e%2fkey.csv",
        "/public/manifest.json",
    ):
        with pytest.raises(urllib.error.HTTPError) as err:
            _get(server + bad)
        assert err.value.code == 404
    assert _post(
        server + "/api/answer", {"reader": "Dr A", "image": images[0], "answer": "real"}
    ) == {"answered": 1, "total": 8}
    _post(server + "/api/answer", {"reader": "Dr A", "image": images[0], "answer": "synthetic"})
    saved = json.loads((study / "answers" / "Dr_A.json").read_text())
    assert saved["reader"] == "Dr A" and saved["answers"][images[0]]["answer"] == "synthetic"
    assert not list((study / "answers").glob(".*tmp*"))
    got = json.loads(_get(server + "/api/answers?reader=Dr%20A")[1])
    assert list(got["answers"]) == [images[0]] and got["total"] == 8
    for bad in (
        {"reader": "x", "image": "nope.png", "answer": "real"},
        {"reader": "x", "image": images[0], "answer": "maybe"},
        {"reader": "../../etc", "image": images[0], "answer": "real"},
    ):
        with pytest.raises(urllib.error.HTTPError) as err:
            _post(server + "/api/answer", bad)
        assert err.value.code == 400


def test_cli_score_and_user_errors(study, tmp_path, capsys):
    assert main(["score", str(study)]) == 2
    assert "no answers yet" in capsys.readouterr().err
    (study / "answers" / "a.json").write_text(json.dumps({"reader": "a", "answers": {}}))
    with open(study / "key.csv") as f:
        first = next(csv.DictReader(f))["image"]
    (study / "answers" / "a.json").write_text(
        json.dumps({"reader": "a", "answers": {first: {"answer": "real"}}})
    )
    assert main(["score", str(study), "--out", str(tmp_path / "s")]) == 0
    assert json.loads((tmp_path / "s" / "score.json").read_text())["readers"]["a"]["n"] == 1
    assert main(["score", str(tmp_path / "missing")]) == 2
    assert np.isfinite(1.0)
