"""Repeated stratified patient-level folds: each image tested once per repeat, patients
never split, validation carved from the non-test part, clear errors for small sets."""

import numpy as np
import pytest

from keras_medgan.study.folds import (
    FoldError,
    assign_test_folds,
    check_fold_counts,
    fold_parts,
)

LABELS = np.repeat([0, 1], 30)
GROUPS = [f"p{i // 2}" for i in range(60)]  # two slices per patient


def test_every_image_is_tested_exactly_once_per_repeat():
    for repeat in range(2):
        tested = np.concatenate([fold_parts(LABELS, GROUPS, 5, repeat, f).test for f in range(5)])
        assert sorted(tested.tolist()) == list(range(60))


def test_parts_are_disjoint_patient_level_and_stratified():
    for f in range(5):
        p = fold_parts(LABELS, GROUPS, 5, 0, f)
        sets = [set(p.train), set(p.val), set(p.test)]
        assert sum(len(s) for s in sets) == 60
        assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
        patients = [{GROUPS[i] for i in s} for s in sets]
        assert not (patients[0] & patients[1] or patients[0] & patients[2]
                    or patients[1] & patients[2])
        for part in (p.train, p.val, p.test):
            assert set(LABELS[part]) == {0, 1}
        assert 0.1 < len(p.val) / (len(p.train) + len(p.val)) < 0.3


def test_folds_are_deterministic_and_repeats_differ():
    a = assign_test_folds(LABELS, GROUPS, 5, seed=3)
    assert (a == assign_test_folds(LABELS, GROUPS, 5, seed=3)).all()
    assert not (a == assign_test_folds(LABELS, GROUPS, 5, seed=4)).all()


def test_too_few_patients_names_the_counts():
    labels = np.repeat([0, 1], [30, 4])
    groups = [str(i) for i in range(34)]
    with pytest.raises(FoldError, match=r"hemorrhage \(4 images, 4 patients\)"):
        check_fold_counts(labels, groups, ["normal", "hemorrhage"], 5)
    check_fold_counts(LABELS, [str(i) for i in range(60)], ["normal", "hemorrhage"], 5)
