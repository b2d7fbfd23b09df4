"""Precision / jit / strategy helpers."""

import keras
import pytest
import tensorflow as tf

from keras_medgan import runtime


@pytest.fixture
def restore_policy():
    previous = keras.mixed_precision.global_policy()
    yield
    keras.mixed_precision.set_global_policy(previous)


@pytest.mark.parametrize("name,policy", [("fp32", "float32"), ("bf16", "mixed_bfloat16"),
                                         ("fp16", "mixed_float16")])
def test_set_precision(name, policy, restore_policy):
    assert runtime.set_precision(name) == policy
    assert keras.mixed_precision.global_policy().name == policy
    assert runtime.current_precision() == name


def test_unknown_precision_lists_valid_names(restore_policy):
    with pytest.raises(KeyError, match="bf16, fp16, fp32"):
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
