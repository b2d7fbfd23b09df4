"""Setuptools shim: all metadata lives in setup.cfg.

One build step of our own: the paper recipes (``experiments/*.yaml``, the one place a
paper's numbers live) are copied into the built package as ``keras_medgan/recipes/``, so
a non-editable install still knows what ``--arch dcgan32`` and ``--preset p1`` mean. An
editable install reads ``experiments/`` in the checkout (``keras_medgan.presets``).
"""

import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent


class BuildPyWithRecipes(build_py):
    def run(self):
        super().run()
        target = pathlib.Path(self.build_lib) / "keras_medgan" / "recipes"
        target.mkdir(parents=True, exist_ok=True)
        for recipe in sorted((HERE / "experiments").glob("*.yaml")):
            shutil.copyfile(recipe, target / recipe.name)


setup(cmdclass={"build_py": BuildPyWithRecipes})
