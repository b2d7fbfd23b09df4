"""The 0.7 import paths keep working for one release after the 0.8 move into folders."""

import importlib
import sys

import pytest

from keras_medgan.core import aliases

MOVED = sorted(k for k, v in aliases.OLD_TO_NEW.items() if isinstance(v, str))


@pytest.mark.parametrize("old", MOVED)
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


#: the public names of 0.7's keras_medgan.export, which 0.8 split in four modules
EXPORT_07 = (
    "CARD_KEYS", "DEFAULT_EXPORT_FORMATS", "EXPORT_FORMATS", "FORMAT_PREFERENCE",
    "GeneratorLoadError", "LOAD_ERRORS", "LoadedGenerator", "card_path_for",
    "check_distinct_slugs", "command_line", "compute_in", "export_fingerprints",
    "export_generator", "export_is_complete", "export_paths", "find_generators",
    "load_generator", "make_model_card", "parse_export_formats", "read_model_card",
    "sha256_of", "slug",
)  # fmt: skip


def test_the_split_export_module_still_offers_every_name_it_had(monkeypatch):
    monkeypatch.delitem(sys.modules, "keras_medgan.export", raising=False)
    with pytest.warns(DeprecationWarning, match="generators.loading"):
        old = importlib.import_module("keras_medgan.export")
    from keras_medgan.generators import cards, export, loading, naming

    for name in EXPORT_07:  # every name is the very object of a new module
        value = getattr(old, name)
        assert any(getattr(m, name, None) is value for m in (export, loading, cards, naming))
    assert old.load_generator is loading.load_generator and old.slug is naming.slug
    assert old.make_model_card is cards.make_model_card
    assert old.export_generator is export.export_generator
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        old.nosuch


def test_emptied_names_forward_their_old_attributes_with_a_warning():
    """``keras_medgan.train`` is now only an entry point and ``keras_medgan.training`` a
    folder; 0.7 code reading their old names still runs."""
    from keras_medgan import train, training
    from keras_medgan.cli.train import build_parser
    from keras_medgan.training.trainer import run_training

    with pytest.warns(DeprecationWarning, match="keras_medgan.cli.train.build_parser"):
        assert train.build_parser is build_parser
    with pytest.warns(DeprecationWarning, match="training.trainer.run_training"):
        assert training.run_training is run_training
    with pytest.raises(AttributeError):
        training.nosuch


def test_a_submodule_of_an_emptied_package_imports_without_a_warning(recwarn):
    sys.modules.pop("keras_medgan.training.metrics_file", None)
    from keras_medgan.training import metrics_file

    assert metrics_file.METRICS_FILE == "metrics.jsonl"
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]
