"""The floor every other folder stands on: registries, JSON files, console output,
runtime (precision, determinism, devices), the error base and the paper presets.
Nothing here imports TensorFlow at module level or any other keras_medgan folder."""
