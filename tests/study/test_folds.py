"""Repeated stratified patient-level folds: each image tested once per repeat, patients
never split, validation carved from the non-test part, clear errors for small sets."""

import numpy as np
import pytest

from keras_medgan.study.folds import (
    FoldError,
    assign_test_folds,
    check_fold_counts,
    fold_parts,
    subsample_per_class,
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
        assert not (
            patients[0] & patients[1] or patients[0] & patients[2] or patients[1] & patients[2]
        )
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


def test_the_validation_part_follows_val_fraction():
    """val is one of round(1 / val_fraction) inner folds of the non-test patients (at
    least two), so its share follows the setting."""
    for fraction, share in ((0.5, 0.5), (0.25, 0.25), (0.2, 0.2), (0.9, 0.5)):
        sizes = [fold_parts(LABELS, GROUPS, 3, 0, f, val_fraction=fraction) for f in range(3)]
        got = sum(len(p.val) for p in sizes) / sum(len(p.val) + len(p.train) for p in sizes)
        assert got == pytest.approx(share, abs=0.06), fraction


# The folds of a study are part of its identity: a resumed (or sharded) study mixes cells
# computed before and after, so a change to how images are dealt would silently mix two
# different splits. These are the deals for this input; they change only on purpose (or
# with scikit-learn's StratifiedGroupKFold, which a study's folds.json then catches).
GOLDEN_TEST_FOLDS_SEED_0 = [1, 2, 2, 1, 1, 2, 0, 1, 2, 2]
GOLDEN_VAL_REPEAT_1_FOLD_2 = [2, 3, 16, 17, 38, 39, 42, 43, 50, 51]
GOLDEN_SUBSAMPLE = [5, 6, 7, 32, 41, 49]


def test_the_deal_is_pinned_so_a_resumed_study_keeps_its_folds():
    which = assign_test_folds(LABELS, GROUPS, 3, seed=0)
    assert which[::6].tolist() == GOLDEN_TEST_FOLDS_SEED_0
    assert fold_parts(LABELS, GROUPS, 5, 1, 2).val.tolist() == GOLDEN_VAL_REPEAT_1_FOLD_2
    train = fold_parts(LABELS, GROUPS, 5, 0, 0).train
    assert subsample_per_class(LABELS, train, 3, seed=0).tolist() == GOLDEN_SUBSAMPLE


def test_fold_count_checks_name_the_limit():
    names = ["normal", "hemorrhage"]
    ids = [str(i) for i in range(60)]
    with pytest.raises(FoldError, match="--folds must be >= 2, got 1"):
        check_fold_counts(LABELS, ids, names, 1)
    # 5 folds x 5 inner parts need 25 patients per class: 25 is enough, 24 is not
    check_fold_counts(np.repeat([0, 1], 25), [str(i) for i in range(50)], names, 5)
    with pytest.raises(
        FoldError,
        match=r"at least 25 patients.*normal \(24 images, 24 "
        r"patients\)",
    ):
        check_fold_counts(np.repeat([0, 1], [24, 25]), [str(i) for i in range(49)], names, 5)
    # 30 images: (30 - 30/5) x (1 - 1/5) = 19.2 per training part
    check_fold_counts(LABELS, ids, names, 5, min_train=19)
    with pytest.raises(
        FoldError,
        match=r"class 'normal' has 30 images: about 19 per training "
        r"part with 5 folds, fewer than one GAN batch \(20\)",
    ):
        check_fold_counts(LABELS, ids, names, 5, min_train=20)


def test_check_sizes_limits_are_inclusive():
    from keras_medgan.study.folds import check_sizes

    check_sizes([1], {"normal": 5, "hemorrhage": 5}, {"p1": (1, 1)})  # 1 image, batch 1
    check_sizes([5], {"normal": 5, "hemorrhage": 6}, {"p1": (5, 1)})  # exactly the smallest
    with pytest.raises(FoldError, match="give a number of images >= 1"):
        check_sizes([0], {"normal": 5}, {"p1": (1, 1)})
    with pytest.raises(FoldError, match=r"2 normal images; give sizes up to 2, or all"):
        check_sizes([3], {"normal": 2, "hemorrhage": 9}, {"p1": (1, 1)})
    with pytest.raises(
        FoldError,
        match=r"a \(batch_size 9\), b \(batch_size 7\) cannot .* "
        r"sizes >= 9",
    ):
        check_sizes([3], {"normal": 9}, {"a": (9, 1), "b": (7, 2), "c": (6, 2)})


def test_fold_count_limits_are_inclusive_and_messages_name_every_class():
    names = ["normal", "hemorrhage"]
    # 2 folds with a 0.5 validation part: 2 x 2 = 4 patients per class suffice, and each
    # training part holds (4 - 4/2) x (1 - 1/2) = 1 image, one GAN batch of the default 1
    check_fold_counts(np.repeat([0, 1], 4), [str(i) for i in range(8)], names, 2, val_fraction=0.5)
    # (25 - 25/5) x (1 - 1/5) = 16 training images: a batch of exactly 16 fits
    check_fold_counts(np.repeat([0, 1], 25), [str(i) for i in range(50)], names, 5, min_train=16)
    with pytest.raises(
        FoldError,
        match=r"normal \(3 images, 3 patients\), hemorrhage \(2 images, "
        r"2 patients\) fall short \(whole set: normal=3, "
        r"hemorrhage=2\)",
    ):
        check_fold_counts(
            np.repeat([0, 1], [3, 2]), [str(i) for i in range(5)], names, 2, val_fraction=0.5
        )


def test_check_sizes_checks_every_size_and_names_every_short_class():
    from keras_medgan.study.folds import check_sizes

    with pytest.raises(FoldError, match="--real-per-class 64"):  # 'all' first, then a bad one
        check_sizes([None, 64], {"normal": 50}, {"p1": (8, 1)})
    with pytest.raises(FoldError, match=r"only 2 normal, 3 hemorrhage images"):
        check_sizes([4], {"normal": 2, "hemorrhage": 3}, {"p1": (1, 1)})


def test_subsample_keeps_the_index_type():
    train = fold_parts(LABELS, GROUPS, 5, 0, 0).train.astype(np.int32)
    assert subsample_per_class(LABELS, train, 3, seed=0).dtype == np.int32
