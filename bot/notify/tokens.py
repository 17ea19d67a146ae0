"""API tokens of other systems: made once, shown once, kept only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "cbn_"  # recognisable in a leaked-secret scan


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
