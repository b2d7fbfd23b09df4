"""The --data registry: names, parsing, phantom options."""

import argparse

import pytest

from keras_medgan.data import DATASETS, DataError, data_names, parse_data
from keras_medgan.data.datasets import check_data_arg, parse_phantom_arg
from keras_medgan.data.phantom import PhantomParams


def test_names_cover_the_issue():
    assert data_names() == [
        "brain_mri",
        "head_ct",
        "phantom",
        "rsna_ich",
        "csv:PATH",
        "folder:PATH",
        "nifti:PATH",
    ]
    assert set(DATASETS.names()) == {
        "brain_mri",
        "head_ct",
        "phantom",
        "rsna_ich",
        "csv",
        "folder",
        "nifti",
    }


def test_parse_data_forms():
    spec, arg = parse_data("folder:/a/b:c")
    assert spec.name == "folder" and arg == "/a/b:c"
    assert parse_data("head_ct")[0].real
    assert parse_data("phantom:n=4")[1] == "n=4"
    with pytest.raises(DataError, match="needs a path: csv:PATH"):
        parse_data("csv")
    with pytest.raises(argparse.ArgumentTypeError, match="valid names: brain_mri"):
        check_data_arg("mnist")


def test_phantom_defaults_and_options():
    assert parse_phantom_arg(None) == PhantomParams(n=200, seed=0, size=256, slices_per_patient=1)
    assert parse_phantom_arg("n=40,seed=3,size=512") == PhantomParams(n=40, seed=3, size=512)
    with pytest.raises(DataError, match="bad phantom option 'count=3'"):
        parse_phantom_arg("count=3")
    with pytest.raises(DataError, match="size in 128/256/512"):
        parse_phantom_arg("size=100")
    assert PhantomParams(n=40).key() != PhantomParams(n=41).key()


def test_slices_per_patient_keeps_patients_together():
    from keras_medgan.data import load_image_set

    s = load_image_set("phantom:n=12,seed=4,size=128,slices_per_patient=3", split="all")
    assert len(s) == 12 and len(set(s.patient_ids)) == 4
    for pid in set(s.patient_ids):
        labels = {int(y) for y, p in zip(s.labels, s.patient_ids) if p == pid}
        assert len(labels) == 1
