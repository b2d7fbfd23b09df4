"""Render every tool's --help into keras_medgan/cli/help/ (see keras_medgan/cli/stored_help.py).

Run after changing a parser, an epilog or a registry; tests/test_cli_help.py fails until
the stored texts match the live parsers.

    python scripts/write_cli_help.py
"""

from keras_medgan.cli.stored_help import write_all

if __name__ == "__main__":
    for path in write_all():
        print(path)
