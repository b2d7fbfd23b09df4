"""Bad input is caught before training, with messages that name what is wrong."""

import numpy as np
import pytest

from keras_medgan.compare.errors import BenchmarkError
from keras_medgan.compare.generators import check_generator_cards, parse_generator_specs
from keras_medgan.compare.splits import Splits, check_splits

CLASSES = ["normal", "hemorrhage"]


def _card(**kw):
    card = {"image_size": 32, "channels": 1, "conditional": False, "class_names": CLASSES}
    card.update(kw)
    return card


def _check(cards):
    check_generator_cards(
        "dcgan",
        cards,
        {k: f"{k}.h5" for k in cards},
        image_size=32,
        channels=1,
        class_names=CLASSES,
    )


def test_matching_per_class_and_conditional_cards_pass():
    _check({"normal": _card(), "hemorrhage": _card()})
    _check({"conditional": _card(conditional=True)})


@pytest.mark.parametrize(
    "cards, message",
    [
        (
            {"normal": _card(image_size=64), "hemorrhage": _card()},
            r"'normal'.*normal\.h5.*64×64.*32×32",
        ),
        ({"normal": _card(), "hemorrhage": _card(channels=3)}, r"'hemorrhage'.*3-channel"),
        ({"normal": _card()}, r"no generator for class\(es\) \['hemorrhage'\]"),
        (
            {"normal": _card(), "hemorrhage": _card(), "tumour": _card()},
            r"class\(es\) \['tumour'\].*tumour\.h5",
        ),
        (
            {"conditional": _card(conditional=True, class_names=["normal", "tumour"])},
            r"\['hemorrhage'\] are not among them",
        ),
        ({"conditional": _card(conditional=True), "normal": _card()}, "mixes"),
        (
            {"all": _card(command="python -m keras_medgan.train --config p2.yaml")},
            (
                r"one unconditional GAN.*\n  python -m keras_medgan.train --config p2.yaml --per-class\n"
                r"  python -m keras_medgan.train --config p2.yaml --conditional"
            ),
        ),
    ],
)
def test_mismatches_raise_named_errors(cards, message):
    with pytest.raises(BenchmarkError, match=message):
        _check(cards)


def test_parse_generator_specs():
    sets = parse_generator_specs(
        [
            "runs/00001-dcgan32-head_ct/",
            "wgan=a/generator_normal.h5,a/generator_hemorrhage.h5",
            "g.h5",
        ]
    )
    assert sets == {
        "00001-dcgan32-head_ct": ["runs/00001-dcgan32-head_ct/"],
        "wgan": ["a/generator_normal.h5", "a/generator_hemorrhage.h5"],
        "g": ["g.h5"],
    }
    with pytest.raises(BenchmarkError, match="named 'g'"):
        parse_generator_specs(["g.h5", "x/g.keras"])


def test_split_without_a_class_reports_counts():
    x = np.zeros((1, 2, 2, 1), np.float32)
    splits = Splits(
        train=(np.repeat(x, 3, 0), np.array([0, 1, 1])),
        val=(x, np.array([0])),
        test=(np.repeat(x, 2, 0), np.array([0, 1])),
        class_names=CLASSES,
        seed=4,
    )
    with pytest.raises(BenchmarkError) as err:
        check_splits(splits, "tiny")
    text = str(err.value)
    assert "val split has no image of class(es) ['hemorrhage']" in text
    assert "train: normal=1, hemorrhage=2" in text and "seed 4" in text
