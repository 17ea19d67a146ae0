"""What every staff action on a citizen's case shares: the audit line, the citizen, the send.

Used by :mod:`bot.handoff.escalation` (hand-off cases) and :mod:`bot.procedures.applications`
(applications).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.channels.base import Recipient
from bot.delivery.outbox import Delivery
from bot.errors import CityBotError
from bot.messages import Reply
from bot.storage.base import Unit
from bot.storage.records import UserRecord

logger = logging.getLogger(__name__)


async def audit(
    unit: Unit,
    staff_id: int,
    kind: str,
    record_id: int,
    action: str,
    detail: dict[str, Any] | None,
    ip: str | None,
) -> None:
    """One audit line ``<kind>.<action>`` on ``<kind>:<id>`` (no personal data in ``detail``)."""
    await unit.audit.add(
        staff_id, f"{kind}.{action}", target=f"{kind}:{record_id}", detail=detail, ip=ip
    )
    logger.info("%s %s: %s by staff %s", kind, record_id, action, staff_id)


async def citizen(unit: Unit, user_id: int, what: str, error: type[CityBotError]) -> UserRecord:
    """The citizen a case belongs to (missing only if the database is broken)."""
    user = await unit.users.get(user_id)
    if user is None:
        msg = f"{what}: its citizen ({user_id}) is missing"
        raise error(msg)
    return user


async def send_to_citizen(
    delivery: Delivery | None, user: UserRecord, text: str, message_id: int
) -> bool:
    """Send after the commit; the outbox keeps it (and retries) if the platform fails.

    The web chat cannot be reached later: the message waits in the transcript, which the chat
    page shows on the citizen's next visit.
    """
    if delivery is None:
        return False
    return await delivery.deliver(
        user.channel, Recipient(user.external_id), [Reply(text)], message_id=message_id
    )
