"""Errors raised by the storage layer.

::

    CityBotError
    └── StorageError
        ├── RecordNotFoundError   an update named a row that does not exist
        └── DuplicateError        a unique value (a staff username …) is taken already
"""

from __future__ import annotations

from bot.errors import CityBotError

__all__ = ["DuplicateError", "RecordNotFoundError", "StorageError"]


class StorageError(CityBotError):
    """Root of the storage layer's errors."""


class RecordNotFoundError(StorageError, LookupError):
    """An update named a row that does not exist."""

    def __init__(self, table: str, key: object) -> None:
        """Name the table and the key that were not found."""
        super().__init__(f"{table}: no row with id {key!r}")
        self.table = table
        self.key = key


class DuplicateError(StorageError):
    """A row with this unique value exists already."""

    def __init__(self, table: str, field: str, value: object) -> None:
        """Name the table, the field and the value that is taken."""
        super().__init__(f"{table}: {field} {value!r} exists already")
        self.table = table
        self.field = field
        self.value = value
