"""Publish a model's microscope as a static site: :func:`publish` (format in ``FORMAT.md``)."""

from ._build import PublishResult, publish

__all__ = ["PublishResult", "publish"]
