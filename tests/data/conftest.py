"""Data-layer test setup: every test gets a private, session-shared cache folder."""

import pytest


@pytest.fixture(scope="session")
def data_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("keras_medgan_cache")


@pytest.fixture(autouse=True)
def _isolated_cache(data_cache, monkeypatch):
    """Never touch ~/.cache or a real $KERAS_MEDGAN_DATA from tests."""
    monkeypatch.setenv("KERAS_MEDGAN_CACHE", str(data_cache))
    monkeypatch.delenv("KERAS_MEDGAN_DATA", raising=False)
