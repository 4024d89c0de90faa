"""The package version (one place; the package and the published site read it)."""

__version__ = "0.1.0"
