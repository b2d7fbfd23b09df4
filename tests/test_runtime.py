"""Precision / jit / strategy helpers."""

import keras
import pytest
import tensorflow as tf

from keras_medgan.core import runtime


@pytest.fixture
def restore_policy():
    previous = keras.mixed_precision.global_policy()
    yield
    keras.mixed_precision.set_global_policy(previous)


@pytest.mark.parametrize(
    "name,policy", [("fp32", "float32"), ("bf16", "mixed_bfloat16"), ("fp16", "mixed_float16")]
)
def test_set_precision(name, policy, restore_policy):
    assert runtime.set_precision(name) == policy
    assert keras.mixed_precision.global_policy().name == policy
    assert runtime.current_precision() == name


def test_unknown_precision_lists_valid_names(restore_policy):
    with pytest.raises(KeyError, match="auto, bf16, fp16, fp32"):
        runtime.set_precision("int8")


def test_resolve_jit():
    assert runtime.resolve_jit("on") is True
    assert runtime.resolve_jit("off") is False
    assert runtime.resolve_jit("auto") == "auto"
    assert runtime.resolve_jit(False) is False


def test_make_strategy_default_and_registry():
    assert runtime.make_strategy("default") is tf.distribute.get_strategy()
    assert set(runtime.STRATEGIES.names()) == {"default", "mirrored", "multi-worker"}
    with pytest.raises(KeyError, match="mirrored"):
        runtime.make_strategy("tpu")


@pytest.fixture
def machine(monkeypatch):
    """Pretend to be a machine with the given CPU flags and GPU compute capability."""

    def set_machine(flags=(), gpu=None):
        monkeypatch.setattr(runtime, "cpu_flags", lambda: set(flags))
        monkeypatch.setattr(runtime, "gpu_compute_capability", lambda: gpu)

    return set_machine


@pytest.mark.parametrize(
    "flags,gpu,chosen,why",
    [
        (("avx2", "avx512_bf16"), None, "bf16", "AVX512_BF16"),
        (("avx2", "amx_bf16"), None, "bf16", "AMX-BF16"),
        (("avx2", "avx512f"), None, "fp32", "neither AVX512_BF16 nor AMX"),
        ((), (8, 0), "bf16", "compute capability 8.0"),
        (("avx512_bf16",), (7, 5), "fp32", "older than Ampere"),  # the GPU trains, not the CPU
    ],
)
def test_auto_precision_follows_the_hardware(machine, flags, gpu, chosen, why):
    machine(flags, gpu)
    got, note = runtime.resolve_precision("auto")
    assert got == chosen and why in note and note.startswith(f"precision: {chosen} (auto")


def test_bf16_on_slow_hardware_warns_and_fp16_on_cpu_needs_force(machine):
    machine(("avx2",), None)
    got, note = runtime.resolve_precision("bf16")
    assert got == "bf16" and note.startswith("warning: --precision bf16 will be slow")
    with pytest.raises(runtime.PrecisionError, match="fp16 needs a GPU.*--force"):
        runtime.resolve_precision("fp16")
    assert runtime.resolve_precision("fp16", force=True)[0] == "fp16"
    machine((), (8, 6))
    assert runtime.resolve_precision("fp16") == ("fp16", "precision: fp16")


def test_precision_policy_restores_the_global_policy(restore_policy):
    keras.mixed_precision.set_global_policy("float32")
    with pytest.raises(RuntimeError), runtime.precision_policy("bf16"):
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        raise RuntimeError("boom")
    assert keras.mixed_precision.global_policy().name == "float32"


def test_grappler_options_apply_inside_and_restore_after():
    import tensorflow as tf

    from keras_medgan.core.runtime import grappler_options

    before = tf.config.optimizer.get_experimental_options().get("remapping", True)
    with grappler_options(remapping=False):
        assert tf.config.optimizer.get_experimental_options()["remapping"] is False
    assert tf.config.optimizer.get_experimental_options().get("remapping", True) == before
