"""One base for the errors a user can act on: a tool catches KerasMedganError and prints
one line, exiting 2 for bad input and 1 for a run that failed on its own."""

import importlib
import io
import pkgutil

import keras_medgan
from keras_medgan.core.errors import KerasMedganError, report


def _error_classes():
    for info in pkgutil.walk_packages(keras_medgan.__path__, "keras_medgan."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Exception)
                and value.__module__ == info.name
                and value.__name__.endswith("Error")
            ):
                yield value


def test_every_error_class_shares_the_base_and_keeps_its_builtin_base():
    classes = sorted(set(_error_classes()), key=lambda c: c.__qualname__)
    assert len(classes) >= 15  # the walk found the package's error classes
    outside = [c.__qualname__ for c in classes if not issubclass(c, KerasMedganError)]
    assert outside == []
    # user code that catches the built-in base keeps working
    for c in classes:
        if c is not KerasMedganError:
            assert issubclass(c, (ValueError, RuntimeError)), c


def test_exit_codes_bad_input_2_a_failed_run_1():
    from keras_medgan.data import DataError
    from keras_medgan.training.trainer import DiskFullError, TrainingError

    stream = io.StringIO()
    assert report(DataError("scans/a.png: not an image"), stream) == 2
    assert report(TrainingError("NaN in epoch 3; kept epoch 2"), stream) == 1
    assert DiskFullError.exit_code == 1
    assert (
        stream.getvalue()
        == "error: scans/a.png: not an image\nerror: NaN in epoch 3; kept epoch 2\n"
    )


def test_the_version_is_the_changelogs_newest():
    """A landed feature set bumps both; a model card's keras_medgan_version then says
    which code wrote it."""
    import pathlib
    import re

    text = (pathlib.Path(__file__).resolve().parents[1] / "CHANGELOG.md").read_text()
    newest = re.search(r"^## (\d+\.\d+\.\d+) ", text, re.M)
    assert newest and newest.group(1) == keras_medgan.__version__
