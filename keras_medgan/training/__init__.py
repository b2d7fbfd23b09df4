"""Training one GAN run: its configuration (resolved from presets, flags and a resumed
run), the run folder, the trainer with its checkpoints and callbacks, and the run report."""
