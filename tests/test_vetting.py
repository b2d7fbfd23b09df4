"""Untrusted generator files are checked before Keras builds or reads anything from them."""

import json
import pathlib
import subprocess
import sys
import zipfile

import h5py
import keras
import numpy as np
import pytest

from keras_medgan.generators import vetting
from keras_medgan.generators.cards import GeneratorLoadError
from keras_medgan.generators.loading import load_generator
from keras_medgan.models import ARCHS
from tests.standins import tiny_generator


def _arch_generators():
    for name in ARCHS.names():
        spec = ARCHS.get(name)
        for classes in [0, 2] if spec.supports_conditional else [0]:
            yield pytest.param(name, classes, id=f"{name}-{classes}")


@pytest.mark.parametrize("arch, num_classes", list(_arch_generators()))
@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_every_generator_we_export_passes_with_its_exact_size(arch, num_classes, suffix, tmp_path):
    spec = ARCHS.get(arch)
    small = {"pggan": {"z_dim": 16, "fmap_base": 64, "fmap_max": 16}}.get(arch, {})
    g = spec.build_generator(image_size=spec.image_sizes[0], num_classes=num_classes, **small)
    if arch == "pggan":
        g = g.bake()  # what pggan exports: stock layers
    path = tmp_path / f"generator{suffix}"
    g.save(path)
    assert vetting.vet_generator_file(path) == sum(int(np.prod(w.shape)) for w in g.weights)


def _h5_with_config(path, config, datasets=()):
    with h5py.File(path, "w") as handle:
        handle.attrs["model_config"] = json.dumps(config)
        group = handle.create_group("model_weights")
        for name, shape in datasets:
            group.create_dataset(name, shape=shape, dtype="float32", chunks=True)
    return path


def _functional(*layers, outputs="out"):
    return {
        "class_name": "Functional",
        "config": {
            "name": "g",
            "layers": list(layers),
            "input_layers": [["z", 0, 0]],
            "output_layers": [outputs, 0, 0],
        },
    }


def _input(name="z", dim=8):
    return {
        "class_name": "InputLayer",
        "name": name,
        "config": {"batch_shape": [None, dim], "dtype": "float32", "name": name},
    }


def _layer(cls, name, source, **config):
    ref = {
        "class_name": "__keras_tensor__",
        "config": {"shape": [None, 8], "dtype": "float32", "keras_history": [source, 0, 0]},
    }
    return {
        "module": "keras.layers",
        "class_name": cls,
        "name": name,
        "registered_name": None,
        "config": {"name": name, **config},
        "inbound_nodes": [{"args": [ref], "kwargs": {}}],
    }


def _small_image_model():
    """z (8) → Dense 4 → Reshape 2×2×1: 36 parameters."""
    return _functional(
        _input(),
        _layer("Dense", "d", "z", units=4),
        _layer("Reshape", "out", "d", target_shape=[2, 2, 1]),
    )


def test_a_huge_layer_is_refused_from_its_config_alone(tmp_path):
    path = _h5_with_config(
        tmp_path / "g.h5", _functional(_input(dim=1000), _layer("Dense", "out", "z", units=500_000))
    )
    with pytest.raises(vetting.UntrustedModelError, match="more than 250,000,000 parameters"):
        vetting.vet_generator_file(path)
    path = _h5_with_config(
        tmp_path / "g.h5",
        _functional(_input(dim=100), _layer("Dense", "out", "z", units=5_000_000)),
    )
    with pytest.raises(vetting.UntrustedModelError, match="units=5000000 is not a positive"):
        vetting.vet_generator_file(path)


def test_weights_declared_larger_than_the_file_are_refused(tmp_path):
    path = _h5_with_config(tmp_path / "g.h5", _small_image_model(), datasets=[("big", (1 << 28,))])
    assert path.stat().st_size < 1 << 20
    with pytest.raises(vetting.UntrustedModelError, match="weights declare 1,073,741,824 bytes"):
        vetting.vet_generator_file(path)


def test_weights_that_disagree_with_the_config_are_refused(tmp_path):
    path = _h5_with_config(tmp_path / "g.h5", _small_image_model(), datasets=[("kernel", (8, 4))])
    with pytest.raises(
        vetting.UntrustedModelError, match="hold 32 values but its config builds 36"
    ):
        vetting.vet_generator_file(path)


@pytest.mark.parametrize(
    "layer, message",
    [
        (_layer("Lambda", "out", "z", function="..."), "Lambda.*not on the allow-list"),
        (_layer("Dense", "out", "z", units=4, activation="os.system"), "activation 'os.system'"),
        (
            {**_layer("Dense", "out", "z", units=4), "module": "os", "class_name": "system"},
            "names os.system",
        ),
        (
            _layer(
                "Dense",
                "out",
                "z",
                units=4,
                kernel_initializer={
                    "module": "my_pkg",
                    "class_name": "Evil",
                    "config": {},
                    "registered_name": "my>Evil",
                },
            ),
            "names my_pkg.Evil",
        ),
        (
            _layer("Dense", "out", "nowhere", units=4),
            "inputs \\['nowhere'\\] are not earlier layers",
        ),
    ],
)
def test_anything_but_stock_layers_is_refused(layer, message, tmp_path):
    path = _h5_with_config(tmp_path / "g.h5", _functional(_input(), layer))
    with pytest.raises(vetting.UntrustedModelError, match=message):
        vetting.vet_generator_file(path)


def test_a_two_output_or_non_image_model_is_refused(tmp_path):
    z = keras.Input((8,))
    image = keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64)(z))
    two = tmp_path / "two.h5"
    keras.Model(z, [image, keras.layers.Dense(2)(z)]).save(two)
    with pytest.raises(vetting.UntrustedModelError, match="1 inputs and 2 outputs"):
        vetting.vet_generator_file(two)
    flat = tmp_path / "flat.h5"
    keras.Model(z, keras.layers.Dense(64)(z)).save(flat)
    with pytest.raises(vetting.UntrustedModelError, match=r"output shape \(64,\) is not an image"):
        vetting.vet_generator_file(flat)


def test_external_links_are_refused(tmp_path):
    g = tiny_generator()
    path = tmp_path / "g.h5"
    g.save(path)
    with h5py.File(path, "a") as handle:
        handle["model_weights"]["leak"] = h5py.ExternalLink("/etc/hostname", "/")
    with pytest.raises(vetting.UntrustedModelError, match="leak is a ExternalLink"):
        vetting.vet_generator_file(path)


def test_a_keras_archive_with_extra_members_is_refused(tmp_path):
    path = tmp_path / "g.keras"
    tiny_generator().save(path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("payload.py", "print('hi')")
    with pytest.raises(vetting.UntrustedModelError, match="unexpected archive members"):
        vetting.vet_generator_file(path)


def test_load_generator_vets_unless_trusted(tmp_path):
    path = _h5_with_config(
        tmp_path / "generator_x.h5",
        _functional(_input(dim=100), _layer("Dense", "out", "z", units=5_000_000)),
    )
    with pytest.raises(GeneratorLoadError, match="refused to load .*generator_x.h5.*--trust-model"):
        load_generator(path)


@pytest.mark.skipif(not pathlib.Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_refusing_a_bomb_stays_small_in_memory(tmp_path):
    """Peak memory of a fresh process that vets two bombs (issue: under 1.5 GB)."""
    big = _h5_with_config(
        tmp_path / "a.h5",
        _functional(_input(dim=100), _layer("Dense", "out", "z", units=5_000_000)),
    )
    sparse = _h5_with_config(
        tmp_path / "b.h5", _small_image_model(), datasets=[("big", (1 << 29,))]
    )
    code = (
        "import sys\n"
        "from keras_medgan import vetting\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n"
        "        vetting.vet_generator_file(p)\n"
        "    except vetting.UntrustedModelError:\n"
        "        pass\n"
        "    else:\n"
        "        sys.exit(3)\n"
        # VmHWM: this process's own peak (ru_maxrss would include the forking parent's)
        "status = open('/proc/self/status').read()\n"
        "print(int(status.split('VmHWM:')[1].split()[0]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(big), str(sparse)],
        check=True,
        capture_output=True,
        text=True,
        cwd=pathlib.Path(__file__).parents[1],
    )
    assert int(out.stdout.split()[-1]) * 1024 < 1.5e9


def test_a_trusted_file_skips_vetting(tmp_path):
    z = keras.Input((8,))
    x = keras.layers.Reshape((8, 8, 1))(keras.layers.Dense(64)(z))
    x = keras.layers.ZeroPadding2D(0)(x)  # stock but not on the allow-list
    path = tmp_path / "generator_pad.h5"
    keras.Model(z, x).save(path)
    with pytest.raises(GeneratorLoadError, match="ZeroPadding2D"):
        load_generator(path)
    assert load_generator(path, trust_model=True).generate(2).shape == (2, 8, 8, 1)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_config_nested_200000_deep_is_one_line_not_a_recursion_error(tmp_path, suffix):
    """A small hostile file whose config is 200 000 nested brackets."""
    bomb = "[" * 200_000 + "]" * 200_000
    path = tmp_path / f"g{suffix}"
    if suffix == ".keras":
        tiny_generator().save(path)
        rebuilt = tmp_path / "rebuilt.keras"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(rebuilt, "w") as dst:
            for info in src.infolist():
                data = bomb if info.filename == "config.json" else src.read(info.filename)
                dst.writestr(info.filename, data)
        path = rebuilt
    else:
        tiny_generator().save(path)
        with h5py.File(path, "a") as handle:
            handle.attrs["model_config"] = bomb
    with pytest.raises(vetting.UntrustedModelError, match="nested too deeply|not an object"):
        vetting.vet_generator_file(path)


def test_a_config_that_is_not_an_object_is_refused():
    with pytest.raises(vetting.UntrustedModelError, match="x.h5: model config is a JSON list"):
        vetting.parse_config("[1, 2]", "x.h5")
    with pytest.raises(vetting.UntrustedModelError, match="not JSON"):
        vetting.parse_config(b"\xff\xfe", "x.h5")
