import json

import numpy as np
import pytest

from keras_medgan.turing.score import (
    cohen_kappa,
    markdown,
    score_study,
    table_from_answers,
    turing_metrics,
)


def test_reproduces_p4_table_exactly():
    m = turing_metrics(real_real=18, real_synt=32, synt_real=15, synt_synt=35)
    assert m["n"] == 100 and m["correct"] == 53
    assert m["accuracy"] == pytest.approx(0.53)
    assert m["sensitivity"] == pytest.approx(0.36)  # positive class = real
    assert m["specificity"] == pytest.approx(0.70)
    assert round(m["lr_plus"], 2) == 1.20
    assert round(m["lr_minus"], 2) == 0.91
    # two-sided exact binomial test of 53/100 against 50 %
    assert m["binomial_p"] == pytest.approx(0.6173, abs=1e-4)
    text = markdown({"images": 100, "readers": {"P4 physician": m}, "pooled": m, "kappa": []})
    assert "| real | 18 | 32 |" in text and "| synthetic | 15 | 35 |" in text
    assert "| 53% | 36% | 70% | 1.20 | 0.91 |" in text


def test_cohen_kappa_hand_value_and_sklearn():
    a = ["real", "real", "synthetic", "synthetic", "real", "synthetic"]
    b = ["real", "synthetic", "synthetic", "synthetic", "real", "real"]
    # po = 4/6, pe = 0.5·0.5 + 0.5·0.5 = 0.5 → kappa = (2/3 - 1/2) / (1/2) = 1/3
    assert cohen_kappa(a, b) == pytest.approx(1 / 3)
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    x = rng.choice(["real", "synthetic"], 40).tolist()
    y = rng.choice(["real", "synthetic"], 40).tolist()
    assert cohen_kappa(x, y) == pytest.approx(sk.cohen_kappa_score(x, y))
    assert cohen_kappa(a, a) == pytest.approx(1.0)


def test_table_counts_only_known_images():
    key = {"a": "real", "b": "synthetic", "c": "real"}
    cells = table_from_answers(key, {"a": "real", "b": "real", "c": "synthetic", "zzz": "real"})
    assert cells == {"real_real": 1, "real_synt": 1, "synt_real": 1, "synt_synt": 0}


def test_score_study_from_answer_files(study):
    import csv

    with open(study / "key.csv") as f:
        key = {r["image"]: r["truth"] for r in csv.DictReader(f)}
    perfect = {img: truth for img, truth in key.items()}
    always_real = {img: "real" for img in key}
    for name, ans in (("ann", perfect), ("bob", always_real)):
        (study / "answers" / f"{name}.json").write_text(
            json.dumps({"reader": name, "answers": {k: {"answer": v} for k, v in ans.items()}})
        )
    r = score_study(study)
    assert r["readers"]["ann"]["accuracy"] == 1.0 and r["readers"]["ann"]["complete"]
    assert r["readers"]["bob"]["sensitivity"] == 1.0 and r["readers"]["bob"]["specificity"] == 0.0
    assert r["pooled"]["n"] == 16 and r["pooled"]["correct"] == 12
    assert r["kappa"][0]["readers"] == ["ann", "bob"] and r["kappa"][0]["kappa"] == pytest.approx(
        0.0
    )
