"""Recipes as data: a paper's training numbers live in its experiments/*.yaml only; an
architecture names that file and carries nothing but structural defaults."""

import pathlib

import pytest

from keras_medgan.core import presets
from keras_medgan.gans import GAN_FAMILIES
from keras_medgan.models import ARCHS
from keras_medgan.training.runs import resolve_config

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("arch", ARCHS.names())
def test_every_arch_names_a_recipe_file_for_itself(arch):
    spec = ARCHS.get(arch)
    assert spec.recipe in presets.preset_paths(), f"{arch}: no experiments/{spec.recipe}.yaml"
    import yaml

    recipe = yaml.safe_load(presets.find_preset(spec.recipe).read_text())
    assert recipe["arch"] == arch
    assert not set(spec.defaults) & set(presets.RECIPE_KEYS), (
        f"{arch}: training numbers in ArchSpec.defaults, not in its recipe file"
    )
    assert {k: spec.paper_defaults()[k] for k in presets.RECIPE_KEYS if k in recipe} == {
        k: recipe[k] for k in presets.RECIPE_KEYS if k in recipe
    }


@pytest.mark.parametrize("arch", ARCHS.names())
def test_arch_alone_and_its_preset_train_the_same_recipe(arch):
    """``--arch X`` and ``--preset <X's recipe>`` resolve to the same training numbers."""
    import yaml

    spec = ARCHS.get(arch)
    recipe = yaml.safe_load(presets.find_preset(spec.recipe).read_text())
    alone = resolve_config({"arch": arch, "data": "phantom"})
    preset = resolve_config({"data": "phantom"}, recipe)
    for key in presets.RECIPE_KEYS:
        assert getattr(alone, key) == getattr(preset, key), key


def test_editing_a_recipe_file_changes_what_the_arch_means(tmp_path):
    """The file is the one place: a changed value reaches the arch's defaults."""
    text = (REPO / "experiments" / "p1_dcgan32_head_ct_plain.yaml").read_text()
    (tmp_path / "p1_dcgan32_head_ct_plain.yaml").write_text(
        text.replace("lr: 2.0e-4", "lr: 3.0e-4")
    )
    assert presets.recipe_defaults("p1_dcgan32_head_ct_plain", tmp_path)["lr"] == 3.0e-4
    assert presets.recipe_defaults("p1_dcgan32_head_ct_plain")["lr"] == 2.0e-4


def test_a_missing_recipe_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="recipe 'p9_gone' is not in"):
        presets.recipe_defaults("p9_gone", tmp_path)


def test_a_built_package_carries_the_recipes(tmp_path):
    """setup.py's build step copies experiments/*.yaml into keras_medgan/recipes/, which a
    non-editable install then reads (``presets.PRESETS_DIR``)."""
    import subprocess
    import sys

    build = tmp_path / "lib"
    done = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(build)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    packaged = sorted(p.name for p in (build / "keras_medgan" / "recipes").glob("*.yaml"))
    assert packaged == sorted(p.name for p in (REPO / "experiments").glob("*.yaml"))
    code = "import keras_medgan.core.presets as p; print(p.PRESETS_DIR)"
    found = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(build), "PATH": ""},
        check=False,
    )
    assert found.stdout.strip() == str(build / "keras_medgan" / "recipes"), found.stderr


@pytest.mark.parametrize("loss", GAN_FAMILIES.names())
def test_every_loss_family_reads_its_paper_optimizer_from_a_recipe_file(loss):
    """A family's optimizer recipe (used when --loss switches an arch's loss) is the keys it
    names of one recipe file, all present there; the family class holds no paper number
    beyond Adam's own beta_2."""
    family = GAN_FAMILIES.get(loss)
    name, keys = family.RECIPE
    recipe = presets.recipe_defaults(name)
    assert set(keys) <= set(recipe), f"{loss}: {name}.yaml lacks {set(keys) - set(recipe)}"
    assert {k: family.family_defaults()[k] for k in keys} == {k: recipe[k] for k in keys}
    assert set(family.FAMILY_DEFAULTS) <= {"beta_2"}
