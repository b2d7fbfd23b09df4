"""Every tool spells a shared idea the same way (issue #29): the flags of
``keras_medgan.cli.flags.SHARED_FLAGS`` are added through ``add_flag`` everywhere, old
spellings parse but stay hidden, and docs/INTERFACES.md's table lists exactly them."""

import argparse
import importlib
import pathlib
import re

import pytest

from keras_medgan.cli.flags import SHARED_FLAGS, add_flag
from keras_medgan.cli.stored_help import TOOLS

ROOT = pathlib.Path(__file__).resolve().parents[1]
OLD_SPELLINGS = {alias for flag in SHARED_FLAGS.values() for alias in flag.aliases}
#: a tool's own flag that shares a name on purpose, with the reason
EXEMPT = {("study", "--generators"): "refused on purpose: GANs train inside each fold"}


def _parsers():
    for tool, module in TOOLS.items():
        parser = importlib.import_module(module).build_parser()
        yield tool, parser
        for action in parser._actions:
            if isinstance(getattr(action, "choices", None), dict):
                for name, sub in action.choices.items():
                    yield f"{tool} {name}", sub


PARSERS = dict(_parsers())


@pytest.mark.parametrize("tool", sorted(PARSERS))
def test_every_tool_uses_the_shared_definitions(tool):
    parser = PARSERS[tool]
    for action in parser._actions:
        for option in action.option_strings:
            if option in SHARED_FLAGS and (tool, option) not in EXEMPT:
                flag = SHARED_FLAGS[option]
                assert action.dest == flag.dest, (tool, option)
                assert action.help.startswith(flag.help), (
                    f"{tool} {option}: help does not start with the shared text"
                )
            if option in OLD_SPELLINGS:
                assert action.help == argparse.SUPPRESS, f"{tool}: {option} shown in --help"
                owner = next(f for f in SHARED_FLAGS.values() if option in f.aliases)
                assert action.dest == owner.dest, (tool, option)


def test_real_data_and_generators_have_one_name_in_every_tool():
    """No tool shows --real / --fake / --generator / --model any more; every tool that
    reads real data has --data, every one that reads generators has --generators."""
    visible = {
        tool: {o for a in p._actions if a.help != argparse.SUPPRESS for o in a.option_strings}
        for tool, p in PARSERS.items()
    }
    for tool, options in visible.items():
        assert not options & OLD_SPELLINGS, (tool, options & OLD_SPELLINGS)
    for tool in (
        "train",
        "synthesize",
        "benchmark",
        "evaluate",
        "turing make",
        "study",
        "data info",
    ):
        assert "--data" in visible[tool] and "--data-dir" in visible[tool], tool
    for tool in ("synthesize", "benchmark", "evaluate", "turing make"):
        assert "--generators" in visible[tool], tool


def test_old_spellings_still_parse_to_the_new_names():
    evaluate = PARSERS["evaluate"]
    args = evaluate.parse_args(
        [
            "--real",
            "head_ct",
            "--fake",
            "synth/",
            "--out",
            "e",
            "--num-bootstrap",
            "7",
            "--inception-weights",
            "w.h5",
        ]
    )
    assert (args.data, args.generators, args.bootstrap) == ("head_ct", "synth/", 7)
    assert (args.feature_weights, args.features) == ("w.h5", "inception_v3")
    # an explicit --features wins over what the old name implied, in either order
    for argv in (
        ["--features", "vgg16", "--inception-weights", "w.h5"],
        ["--inception-weights", "w.h5", "--features", "vgg16"],
    ):
        args = evaluate.parse_args(["--data", "x", "--generators", "y", "--out", "e", *argv])
        assert args.features == "vgg16"
    assert (
        PARSERS["evaluate"].parse_args(["--data", "x", "--generators", "y", "--out", "e"]).bootstrap
        == 50
    )
    synth = PARSERS["synthesize"]
    for old in ("--model", "--generator"):
        assert synth.parse_args([old, "p1_head_ct"]).generators == "p1_head_ct"
    assert (
        PARSERS["turing make"].parse_args(["--real", "a", "--fake", "b", "--out", "o"]).generators
        == "b"
    )
    with pytest.raises(SystemExit):  # required: one of the spellings must be there
        evaluate.parse_args(["--generators", "y", "--out", "e"])


def test_precision_default_is_auto_where_a_network_trains_or_generates():
    from keras_medgan.core.runtime import PRECISIONS

    assert sorted(SHARED_FLAGS["--precision"].kwargs["choices"]) == sorted(PRECISIONS.names())
    for tool in ("synthesize", "benchmark"):
        assert PARSERS[tool].parse_args(_minimal(tool)).precision == "auto", tool
    # train: a --config file's precision is the default, else auto (resolved later)
    assert PARSERS["train"].parse_args([]).precision is None


def _minimal(tool):
    return {"synthesize": ["--generators", "x"], "benchmark": ["--data", "phantom"]}[tool]


def test_classifier_auto_precision_is_fp32_on_a_cpu(monkeypatch):
    from keras_medgan.core import runtime

    monkeypatch.setattr(runtime, "gpu_compute_capability", lambda: None)
    assert runtime.resolve_classifier_precision("auto") is None
    assert runtime.resolve_classifier_precision("fp32") is None
    assert runtime.resolve_classifier_precision("bf16") == "bf16"
    monkeypatch.setattr(runtime, "gpu_compute_capability", lambda: (8, 0))
    monkeypatch.setattr(runtime, "resolve_precision", lambda name, force=False: ("bf16", ""))
    assert runtime.resolve_classifier_precision("auto") == "bf16"


def test_add_flag_refuses_an_alias_that_is_not_an_old_spelling():
    with pytest.raises(ValueError, match="not an old spelling"):
        add_flag(argparse.ArgumentParser(), "--data", aliases=("--fake",))


def test_the_interfaces_table_lists_exactly_the_shared_flags():
    text = (ROOT / "docs" / "INTERFACES.md").read_text()
    table = text[text.index("### Shared flags") :]
    rows = re.findall(r"^\| `(--[a-z-]+)` \|", table, flags=re.MULTILINE)
    assert rows == list(SHARED_FLAGS)
    for name, flag in SHARED_FLAGS.items():
        row = next(line for line in table.splitlines() if line.startswith(f"| `{name}` |"))
        for alias in flag.aliases:
            assert f"`{alias}`" in row, (name, alias)
