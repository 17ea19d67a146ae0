"""Tables for operating the service across processes: failed console logins (throttling)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base
from bot.storage.types import BigIntPK

__all__ = ["LoginFailure"]


class LoginFailure(Base):
    """One failed console login, counted against a key (an address or a username).

    ``key`` is the SHA-256 of ``"ip:<address>"`` or ``"user:<name>"``: a password typed into the
    username field is never stored readable. Rows older than the throttle window are deleted.
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index(None, "key", "failed_at"), Index(None, "failed_at"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[dt.datetime]
