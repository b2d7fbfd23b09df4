"""The floor every other folder stands on: registries, JSON files, console output,
runtime (precision, determinism, devices), the error base and the paper presets.
Nothing here imports another keras_medgan folder, and only ``runtime`` (precision,
devices, determinism) loads TensorFlow: the rest serves ``import keras_medgan`` and the
command-line dispatcher, which stay light."""
