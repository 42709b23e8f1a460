"""The id -> buffer table both native devices keep, and its lookups.

Rule: an id the table does not hold (never allocated, or freed) is a `DeviceError`, never
a KeyError or a crash.
"""

from __future__ import annotations

from .protocol import DeviceError


class BufferTable:
    """Mixin: `self._buffers` maps ids to records with `size` and `dtype`."""

    _buffers: dict

    def _get(self, buf: int):
        try:
            return self._buffers[buf]
        except (KeyError, TypeError):
            raise DeviceError(f"unknown buffer id {buf!r} (never allocated, or freed)") from None
