"""Setuptools shim: all metadata lives in setup.cfg.

One build step of our own: two folders of the checkout that live outside the package
are copied into the built package, so a non-editable install (a wheel, ``pip install .``)
works like the checkout:

* the paper recipes (``experiments/*.yaml``, the one place a paper's numbers live) as
  ``keras_medgan/recipes/``, so ``--arch dcgan32`` and ``--preset p1`` resolve;
* the shipped generators (``models_h5/``: manifest, cards, ``.h5`` files) as
  ``keras_medgan/models_h5/``, so ``load_pretrained("p1_head_ct")`` and
  ``synthesize --model p1_head_ct`` work without a source checkout.

An editable install reads both folders in the checkout (``keras_medgan.core.presets``,
``keras_medgan.generators.pretrained``).
"""

import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent


class BuildPyWithRecipesAndModels(build_py):
    def run(self):
        super().run()
        package = pathlib.Path(self.build_lib) / "keras_medgan"
        recipes = package / "recipes"
        recipes.mkdir(parents=True, exist_ok=True)
        for recipe in sorted((HERE / "experiments").glob("*.yaml")):
            shutil.copyfile(recipe, recipes / recipe.name)
        models = HERE / "models_h5"
        if (models / "manifest.json").is_file():
            shutil.copytree(models, package / "models_h5", dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithRecipesAndModels})
