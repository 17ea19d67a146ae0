"""Column types that behave the same on SQLite and PostgreSQL.

Each type here designs one known pitfall out of the schema:

* ``UTCDateTime``: SQLite drops the offset of ``DateTime(timezone=True)`` and PostgreSQL with
  asyncpg refuses to mix naive and aware values, so values are stored in UTC, naive input is
  rejected and every value read back is an aware UTC datetime.
* ``JSONDict``: a JSON object column that notices in-place edits (``MutableDict``) and uses
  ``JSONB`` on PostgreSQL.
* ``JSONList``: the same for a JSON array (``MutableList``).
* ``BigIntPK``: a 64-bit primary key that still autoincrements on SQLite, where only
  ``INTEGER PRIMARY KEY`` is an alias of the rowid.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.mutable import MutableDict, MutableList
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["BigIntPK", "JSONDict", "JSONList", "UTCDateTime", "require_aware"]


def require_aware(value: dt.datetime, name: str = "datetime") -> dt.datetime:
    """Return ``value`` converted to UTC, refusing naive datetimes.

    Raises:
        ValueError: ``value`` has no time zone.
    """
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        msg = f"{name} must be timezone-aware, got naive {value.isoformat()}"
        raise ValueError(msg)
    return value.astimezone(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned as an aware UTC datetime."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        """Convert an aware datetime to UTC (naive UTC for SQLite, which keeps no offset)."""
        if value is None:
            return None
        value = require_aware(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        """Return the stored value as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


#: 64-bit integer primary key; plain ``INTEGER`` on SQLite so that it autoincrements.
BigIntPK: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")

#: JSON object column: ``JSONB`` on PostgreSQL, in-place edits tracked.
#: ``None`` is stored as SQL ``NULL``, not as the JSON text ``null``.
JSONDict: TypeEngine[dict[str, Any]] = MutableDict.as_mutable(
    cast("TypeEngine[dict[str, Any]]", JSON(none_as_null=True).with_variant(JSONB(), "postgresql"))
)

#: JSON array column: ``JSONB`` on PostgreSQL, in-place edits tracked.
JSONList: TypeEngine[list[Any]] = MutableList.as_mutable(
    cast("TypeEngine[list[Any]]", JSON().with_variant(JSONB(), "postgresql"))
)
