"""Helpers shared by the data-layer tests."""

import pytest


def pydicom_file(name):
    """A DICOM file shipped inside pydicom, never downloaded."""
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom test file {name} is not in this pydicom wheel")
    return path
