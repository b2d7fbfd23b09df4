"""Stored --help texts (see keras_medgan/cli_help.py); data, not code."""
