"""docs/INTERFACES.md's code blocks are the contract between modules: they run, in order,
in one namespace (a block may use what an earlier one made), from an empty folder, so an
example that drifts from the code fails here instead of misleading a reader."""

import pathlib
import re

import pytest

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "INTERFACES.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_blocks_are_found_and_a_broken_one_fails():
    assert len(python_blocks(DOC.read_text())) >= 5
    with pytest.raises(AttributeError):
        exec(compile(python_blocks("```python\nimport json\njson.nope\n```")[0], "doc", "exec"), {})


def test_the_interface_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the training example writes runs/ here
    namespace = {}
    for number, block in enumerate(python_blocks(DOC.read_text()), 1):
        exec(compile(block, f"{DOC.name} block {number}", "exec"), namespace)
    assert namespace["fake"].shape == (4, 32, 32, 1)
    assert (
        tmp_path / "runs" / "00000-dcgan32-phantom" / "export" / "generator_normal.h5"
    ).is_file()
    assert namespace["images"].shape[0] == 16 and namespace["class_names"] == [
        "normal",
        "hemorrhage",
    ]
