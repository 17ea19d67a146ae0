"""Staff passwords: argon2id hashes only; the clear text is never stored or logged.

hashed = hash_password("correct horse battery staple")
await verify_password(hashed, "guess")      # False (runs in a worker thread)
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

logger = logging.getLogger(__name__)

MIN_LENGTH = 10  # characters; long passphrases beat complexity rules


class WeakPasswordError(ValueError):
    """The new password is too short."""


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile (64 MiB, t=3)


@cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so that both cases take as long.
    return _hasher().hash("citybot-no-such-user")


def check_strength(password: str) -> None:
    """Raise :class:`WeakPasswordError` for a password staff should not use."""
    if len(password) < MIN_LENGTH:
        msg = f"the password must have at least {MIN_LENGTH} characters"
        raise WeakPasswordError(msg)


def hash_password(password: str) -> str:
    """Hash a new password (argon2id with a random salt)."""
    check_strength(password)
    return _hasher().hash(password)


def _verify(hashed: str | None, password: str) -> bool:
    try:
        return _hasher().verify(hashed or _dummy_hash(), password) and hashed is not None
    except VerificationError:
        return False
    except InvalidHashError:
        logger.error("a stored staff password hash is not an argon2 hash")
        return False


async def verify_password(hashed: str | None, password: str) -> bool:
    """Whether ``password`` matches ``hashed``; ``None`` (unknown user) is always ``False``.

    Argon2 is deliberately slow (~0.2 s): it runs in a worker thread, off the event loop.
    """
    return await asyncio.to_thread(_verify, hashed, password)
