"""Private Keras / TensorFlow APIs are used in one module, which knows the versions it
was checked on."""

import pathlib
import re

import pytest

from keras_medgan.models import keras_compat

PACKAGE = pathlib.Path(keras_compat.__file__).resolve().parents[1]
#: the private names the package relies on; each may appear only in keras_compat.py
PRIVATE = re.compile(
    r"_maybe_symbolic_build|_stateful_handle_non_finite_grads|_in_multi_worker_mode"
    r"|_distribute_strategy\b|_flatten_layers|keras\.src\b"
)


def test_private_keras_apis_appear_only_in_the_compat_module():
    users = sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if PRIVATE.search(p.read_text()) and p.name != "keras_compat.py"
    )
    assert users == []


def test_a_keras_version_nobody_checked_warns_once_and_names_the_module():
    assert keras_compat.check_keras_version("3.15.9") is True
    with pytest.warns(RuntimeWarning, match=r"keras_compat\.py.*Keras 3\.16\.0"):
        assert keras_compat.check_keras_version("3.16.0") is False


def test_the_loss_scale_hook_reaches_the_counting_optimizer():
    import keras
    import numpy as np

    from keras_medgan.gans.base import CountingLossScaleOptimizer

    var = keras.Variable(np.ones(2, "float32"))
    opt = CountingLossScaleOptimizer(keras.optimizers.SGD(0.1))
    opt.build([var])
    opt.apply([keras.ops.convert_to_tensor(np.array([np.inf, 1.0], "float32"))], [var])
    assert int(opt.skipped_steps.numpy()) == 1  # the private hook fired our public one
    np.testing.assert_array_equal(var.numpy(), [1.0, 1.0])  # and nothing was applied
