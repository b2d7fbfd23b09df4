"""Splits: stratified, by patient, reproducible, P1's 144/34/22."""

import numpy as np

from keras_medgan.data import split_indices


def test_p1_counts_and_stratification():
    labels = np.array([0] * 100 + [1] * 100)
    groups = [f"p{i}" for i in range(200)]
    s = split_indices(labels, groups, seed=0)
    assert [len(s[k]) for k in ("train", "val", "test")] == [144, 34, 22]
    for k, n in (("train", 72), ("val", 17), ("test", 11)):
        assert (labels[s[k]] == 0).sum() == n and (labels[s[k]] == 1).sum() == n
    together = np.sort(np.concatenate([s["train"], s["val"], s["test"]]))
    np.testing.assert_array_equal(together, np.arange(200))


def test_reproducible_and_seeded():
    labels = np.array([0, 1] * 50)
    groups = [f"p{i}" for i in range(100)]
    a = split_indices(labels, groups, seed=3)
    b = split_indices(labels, groups, seed=3)
    c = split_indices(labels, groups, seed=4)
    np.testing.assert_array_equal(a["train"], b["train"])
    assert set(a["test"]) != set(c["test"])


def test_independent_of_input_order():
    labels = np.array([0] * 30 + [1] * 30)
    groups = np.array([f"p{i}" for i in range(60)])
    perm = np.random.default_rng(1).permutation(60)
    a = split_indices(labels, groups, seed=0)
    b = split_indices(labels[perm], groups[perm], seed=0)
    assert set(groups[a["val"]]) == set(groups[perm][b["val"]])


def test_all_slices_of_a_patient_in_one_split():
    groups = [f"p{i // 4}" for i in range(120)]  # 30 patients x 4 slices
    labels = [(i // 4) % 2 for i in range(120)]
    s = split_indices(labels, groups, seed=0)
    owner = {}
    for name in ("train", "val", "test"):
        for i in s[name]:
            assert owner.setdefault(groups[i], name) == name
    assert len(owner) == 30
