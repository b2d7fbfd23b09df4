"""The 0.7 import paths keep working for one release after the 0.8 move into folders."""

import importlib
import sys

import pytest

from keras_medgan.core import aliases


@pytest.mark.parametrize("old", sorted(aliases.OLD_TO_NEW))
def test_an_old_path_gives_the_new_module_itself_and_names_it(old, monkeypatch):
    monkeypatch.delitem(sys.modules, f"keras_medgan.{old}", raising=False)
    new = importlib.import_module(f"keras_medgan.{aliases.OLD_TO_NEW[old]}")
    with pytest.warns(DeprecationWarning, match=f"keras_medgan.{aliases.OLD_TO_NEW[old]}"):
        module = importlib.import_module(f"keras_medgan.{old}")
    assert module is new  # one module object: a patch on either path patches both
    assert module.__spec__.name == new.__name__  # the new module's identity is untouched


def test_a_module_under_an_old_package_follows_it(monkeypatch):
    monkeypatch.delitem(sys.modules, "keras_medgan.bench.cell", raising=False)
    with pytest.warns(DeprecationWarning, match="keras_medgan.compare.cell"):
        cell = importlib.import_module("keras_medgan.bench.cell")
    from keras_medgan.compare import cell as new

    assert cell is new


def test_names_that_never_existed_still_fail():
    assert aliases.new_name("keras_medgan.nosuch") is None
    assert aliases.new_name("numpy.export") is None
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("keras_medgan.nosuch")
