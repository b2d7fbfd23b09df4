"""The layers of a progressive-growing GAN (Karras et al., ICLR 2018).

Three tricks of that paper live here:

* **Equalized learning rate** (§4.1): weights are drawn from N(0, 1) and multiplied at run
  time by the He constant ``c = gain / sqrt(fan_in)``. With Adam (whose steps are scale
  free) every weight then learns at the same speed whatever its layer's fan-in.
* **Pixelwise feature normalisation** (§4.2): in the generator, after every conv,
  ``b = a / sqrt(mean_over_channels(a**2) + 1e-8)``.
* **Minibatch standard deviation** (§3): the critic gets one extra feature map holding the
  average, over features and pixels, of the per-feature standard deviation across a group
  of images, which lets it notice a generator that has collapsed to few modes.

Exported generators must load with plain ``keras.models.load_model`` (no custom objects),
so the helpers at the bottom rebuild the same maths from stock Keras layers: a ``Conv2D``
whose kernel has the equalized-LR constant folded in, and pixel norm as
``UnitNormalization(axis=-1)`` times ``sqrt(C)`` (a ``Rescaling`` layer), which equals
``x / sqrt(mean(x**2))`` — the paper's formula without its 1e-8, a difference below float32
resolution for any activation with ``mean(x**2) >> 1e-8``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

PIXEL_NORM_EPSILON = 1e-8


def he_scale(fan_in: int, gain: float = math.sqrt(2.0)) -> float:
    """The run-time weight multiplier of an equalized layer: ``gain / sqrt(fan_in)``."""
    if fan_in <= 0:
        raise ValueError(f"fan_in must be positive. Received: fan_in={fan_in}")
    return float(gain) / math.sqrt(fan_in)


@keras.saving.register_keras_serializable(package="keras_medgan")
class PixelNorm(layers.Layer):
    """``x / sqrt(mean(x**2, channels) + eps)`` — ProGAN's generator normalisation (§4.2).

    Computed in float32 under any mixed policy: in float16 the 1e-8 epsilon rounds to 0,
    so a zero activation gives 0 · inf = NaN and a small one (1e-4, whose square
    underflows) gives inf. The result is cast back to the layer's compute dtype."""

    def __init__(self, epsilon: float = PIXEL_NORM_EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        mean_square = ops.mean(ops.square(x), axis=-1, keepdims=True)
        return ops.cast(x * ops.rsqrt(mean_square + self.epsilon), inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="keras_medgan")
class EqualizedConv2D(layers.Layer):
    """A 'same'-padded, stride-1 conv whose N(0, 1) kernel is scaled by ``gain/sqrt(fan_in)``.

    ``fan_in = kernel_size**2 * input_channels``. ``runtime_scale`` is that constant;
    ``folded_kernel()`` returns ``kernel * runtime_scale`` for baking into a stock ``Conv2D``.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int = 3,
        gain: float = math.sqrt(2.0),
        use_bias: bool = True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if filters <= 0 or kernel_size <= 0:
            raise ValueError(
                f"filters and kernel_size must be positive. Received: filters={filters}, "
                f"kernel_size={kernel_size}"
            )
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.gain = float(gain)
        self.use_bias = bool(use_bias)
        self.runtime_scale = None

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        self.runtime_scale = he_scale(self.kernel_size * self.kernel_size * in_channels, self.gain)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.kernel_size, self.kernel_size, in_channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
            if self.use_bias
            else None
        )

    def call(self, inputs):
        outputs = ops.conv(inputs, self.kernel * self.runtime_scale, strides=1, padding="same")
        if self.bias is not None:
            outputs = outputs + self.bias
        return outputs

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def folded_kernel(self) -> np.ndarray:
        return ops.convert_to_numpy(self.kernel) * self.runtime_scale

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "gain": self.gain,
            "use_bias": self.use_bias,
        }


@keras.saving.register_keras_serializable(package="keras_medgan")
class EqualizedDense(layers.Layer):
    """A dense layer with an N(0, 1) kernel scaled at run time by ``gain / sqrt(fan_in)``."""

    def __init__(self, units: int, gain: float = math.sqrt(2.0), use_bias: bool = True, **kwargs):
        super().__init__(**kwargs)
        if units <= 0:
            raise ValueError(f"units must be positive. Received: units={units}")
        self.units = int(units)
        self.gain = float(gain)
        self.use_bias = bool(use_bias)
        self.runtime_scale = None

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.runtime_scale = he_scale(fan_in, self.gain)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
            if self.use_bias
            else None
        )

    def call(self, inputs):
        outputs = ops.matmul(inputs, self.kernel * self.runtime_scale)
        if self.bias is not None:
            outputs = outputs + self.bias
        return outputs

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def folded_kernel(self) -> np.ndarray:
        return ops.convert_to_numpy(self.kernel) * self.runtime_scale

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "gain": self.gain,
            "use_bias": self.use_bias,
        }


def minibatch_stddev_group(batch_size: int, group_size: int) -> int:
    """The largest group size ``<= group_size`` that divides the batch (ProGAN needs one)."""
    for size in range(min(group_size, batch_size), 0, -1):
        if batch_size % size == 0:
            return size
    return 1


@keras.saving.register_keras_serializable(package="keras_medgan")
class MinibatchStdDev(layers.Layer):
    """Appends one feature map: the mean per-feature stddev across a group of images (§3).

    The batch is split into groups of ``group_size`` consecutive-stride images (sample ``i``
    is in group ``i % (B / G)``, as the reference implementation's reshape does); within a
    group, the stddev of each (pixel, channel) is taken over the group, averaged over
    pixels and channels, and broadcast to a constant ``H×W×1`` map for every member.
    The statistics are computed in float32 under any mixed policy: in float16 the 1e-8
    epsilon rounds to 0, and a pixel equal in every image of a group (a black background)
    has a stddev of sqrt(0), whose gradient is NaN.
    """

    def __init__(self, group_size: int = 4, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        self.group_size = int(group_size)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        batch = inputs.shape[0]
        if batch is None:
            batch = ops.shape(inputs)[0]
            group = self.group_size  # batch unknown while tracing: it must divide at run time
        else:
            group = minibatch_stddev_group(int(batch), self.group_size)
        height, width, channels = inputs.shape[1], inputs.shape[2], inputs.shape[3]
        grouped = ops.reshape(ops.cast(inputs, "float32"), (group, -1, height, width, channels))
        centred = grouped - ops.mean(grouped, axis=0, keepdims=True)
        stddev = ops.sqrt(ops.mean(ops.square(centred), axis=0) + self.epsilon)  # [M,H,W,C]
        feature = ops.mean(stddev, axis=(1, 2, 3))  # [M]
        feature = ops.reshape(feature, (1, -1, 1, 1, 1))
        feature = ops.tile(feature, (group, 1, height, width, 1))
        feature = ops.reshape(feature, (-1, height, width, 1))
        return ops.concatenate([inputs, ops.cast(feature, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}


def downsample(images, factor: int):
    """Average-pool by an integer factor (the critic's and real images' downscaling)."""
    if factor == 1:
        return images
    return ops.average_pool(images, pool_size=factor, strides=factor, padding="valid")


def upsample(images, factor: int):
    """Nearest-neighbour upscaling by an integer factor (ProGAN's generator upscaling)."""
    if factor == 1:
        return images
    return ops.repeat(ops.repeat(images, factor, axis=1), factor, axis=2)


def lerp(low, high, alpha):
    """``low + alpha * (high - low)``: the fade-in blend (alpha=0 → low, alpha=1 → high)."""
    return low + (high - low) * alpha


# ---- stock-layer equivalents, used to bake an exportable generator -----------------------


#: Stock layers an exported generator computes in float32 under any mixed policy (and that
#: ``loading.compute_in`` leaves float32): ``UnitNormalization`` sums squares over the
#: channels, which overflows float16 (max 65504) once 512 activations average above 11.
FLOAT32_STOCK_LAYERS = (layers.UnitNormalization,)


def stock_pixel_norm(x, name: str):
    """Pixel norm from stock layers: unit L2 norm over channels (in float32), times
    ``sqrt(C)``."""
    channels = int(x.shape[-1])
    x = layers.UnitNormalization(axis=-1, name=f"{name}_unit", dtype="float32")(x)
    return layers.Rescaling(math.sqrt(channels), name=f"{name}_sqrt_c")(x)


def stock_conv_from(equalized: EqualizedConv2D, name: str) -> layers.Conv2D:
    """A built stock ``Conv2D`` with ``equalized``'s scale folded into its kernel.

    Call the result on a tensor, then ``set_folded_weights(conv, equalized)``.
    """
    return layers.Conv2D(
        equalized.filters,
        equalized.kernel_size,
        padding="same",
        use_bias=equalized.use_bias,
        name=name,
    )


def stock_dense_from(equalized: EqualizedDense, name: str) -> layers.Dense:
    return layers.Dense(equalized.units, use_bias=equalized.use_bias, name=name)


def set_folded_weights(stock_layer, equalized) -> None:
    """Copy an equalized layer's weights into a built stock layer, folding the He scale."""
    weights = [equalized.folded_kernel()]
    if equalized.use_bias:
        weights.append(ops.convert_to_numpy(equalized.bias))
    stock_layer.set_weights(weights)
