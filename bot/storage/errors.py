"""Errors raised by the storage layer.

::

    CityBotError
    └── StorageError
        └── RecordNotFoundError   an update named a row that does not exist
"""

from __future__ import annotations

from bot.errors import CityBotError

__all__ = ["RecordNotFoundError", "StorageError"]


class StorageError(CityBotError):
    """Root of the storage layer's errors."""


class RecordNotFoundError(StorageError, LookupError):
    """An update named a row that does not exist."""

    def __init__(self, table: str, key: object) -> None:
        """Name the table and the key that were not found."""
        super().__init__(f"{table}: no row with id {key!r}")
        self.table = table
        self.key = key
