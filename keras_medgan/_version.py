"""The package version, in a module of its own so that modules recording it (model cards,
synthesized files) need not import the package that lazily imports them."""

__version__ = "0.8.1"  # semantic; bumped with each landed feature set (CHANGELOG.md)
