"""Real-browser tests (a package so its conftest does not shadow tests/conftest.py, which the
unit tests import as ``conftest``)."""
