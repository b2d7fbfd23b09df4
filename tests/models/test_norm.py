"""FusedBatchNorm computes Keras's BatchNormalization; export turns it into the stock layer."""

import keras
import numpy as np

from keras_medgan.models import ARCHS
from keras_medgan.models.norm import FusedBatchNorm, to_stock_layers


def pair(momentum=0.9):
    stock = keras.layers.BatchNormalization(momentum=momentum)
    fused = FusedBatchNorm(momentum=momentum)
    x = np.random.default_rng(0).normal(2.0, 3.0, (8, 6, 6, 5)).astype("float32")
    stock.build(x.shape)
    fused.build(x.shape)
    rng = np.random.default_rng(1)
    weights = [rng.normal(1, 0.2, 5), rng.normal(0, 0.2, 5), rng.normal(0, 1, 5),
               rng.uniform(0.5, 2, 5)]
    stock.set_weights(weights)
    fused.set_weights(weights)
    return stock, fused, x


def test_training_output_and_running_statistics_match_keras():
    stock, fused, x = pair()
    np.testing.assert_allclose(fused(x, training=True), stock(x, training=True),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(fused.moving_mean, stock.moving_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused.moving_variance, stock.moving_variance, rtol=1e-5)
    assert not np.allclose(fused.moving_mean, pair()[1].moving_mean)  # it did update


def test_inference_output_matches_keras_and_2d_inputs_fall_back():
    stock, fused, x = pair()
    np.testing.assert_allclose(fused(x, training=False), stock(x, training=False), rtol=1e-5,
                               atol=1e-5)
    flat = FusedBatchNorm()
    v = np.random.default_rng(2).normal(size=(4, 7)).astype("float32")
    np.testing.assert_allclose(flat(v, training=True),
                               keras.layers.BatchNormalization()(v, training=True), atol=1e-5)


def test_export_copy_is_stock_keras_with_the_same_function(tmp_path):
    g = ARCHS.get("dcgan32").build_generator(z_dim=100, image_size=32)
    assert any(isinstance(la, FusedBatchNorm) for la in g.layers)
    stock = to_stock_layers(g)
    assert not any(isinstance(la, FusedBatchNorm) for la in stock.layers)
    trainable = [sum(int(np.prod(w.shape)) for w in m.trainable_weights) for m in (stock, g)]
    assert trainable == [4_870_785, 4_870_785] and stock.count_params() == g.count_params()
    z = np.random.default_rng(0).normal(size=(3, 100)).astype("float32")
    np.testing.assert_allclose(stock(z, training=False), g(z, training=False), atol=1e-5)
    stock.save(tmp_path / "g.h5")
    loaded = keras.models.load_model(tmp_path / "g.h5", compile=False)  # no custom objects
    np.testing.assert_allclose(loaded(z, training=False), g(z, training=False), atol=1e-5)


def test_fused_path_runs_under_mixed_bfloat16():
    from keras_medgan.runtime import precision_policy

    with precision_policy("bf16"):
        layer = FusedBatchNorm()
        x = np.random.default_rng(0).normal(size=(4, 4, 4, 3)).astype("float32")
        y = layer(keras.ops.cast(x, "bfloat16"), training=True)
    assert keras.backend.standardize_dtype(y.dtype) == "bfloat16" and np.isfinite(np.asarray(y, np.float32)).all()
