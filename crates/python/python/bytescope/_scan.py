"""``bytescope.scan``, re-exported from the native module."""

from ._native import scan

__all__ = ["scan"]
