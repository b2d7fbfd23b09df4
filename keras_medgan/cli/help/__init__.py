"""Stored --help texts (see keras_medgan/cli/stored_help.py); data, not code."""
