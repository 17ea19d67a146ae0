"""Delete my data: explain what goes, ask for a clear yes, then delete everything of this user.

Everything the bot keeps about one channel user goes: the conversation and its messages,
feedback, hand-offs, applications and their photos. The engine carries the deletion out after
the reply is decided (:data:`ERASE` in the response), so nothing of that turn is stored again;
one audit entry without personal data records that it happened.
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.choices import encode_command
from bot.messages import Kind, OutcomeKind, Reply
from bot.procedures import parsers
from bot.storage.base import Store
from handlers.base import Response, Turn, info

logger = logging.getLogger(__name__)

ERASE = "erase_user"  # Response.extra key: the engine deletes the citizen's data
PENDING = "delete_pending"  # state key: the confirmation was asked
_YES, _NO = "privacy:delete", "privacy:keep"


async def erase_user(store: Store, user_id: int) -> list[str]:
    """Delete everything stored about ``user_id``; the attachment files to delete after."""
    async with store.unit() as unit:
        files = [a.storage_key for a in await unit.attachments.for_user(user_id)]
        applications = await unit.applications.delete_for_user(user_id)
        removed = await unit.users.erase(user_id)
        await unit.audit.add(
            None,
            "citizen_data_deleted",
            target=f"user:{user_id}",
            detail={
                "applications": applications,
                "attachments": len(files),
                "messages": removed.get("messages", 0),
                "conversations": removed.get("conversations", 0),
            },
        )
    logger.info(
        "user %s: data deleted on request (%d applications, %d attachments)",
        user_id,
        applications,
        len(files),
    )
    return files


class DeleteDataHandler:
    """The citizen asks for their data to be deleted, then confirms (or not)."""

    name = "delete_data"

    async def accepts(self, turn: Turn) -> str | None:
        if turn.command in (_YES, _NO) or (turn.state.get(PENDING) and turn.text.strip()):
            return "answer"
        if turn.incoming.kind is Kind.TEXT and turn.knowledge.system.matches(
            "delete_data", turn.normalized
        ):
            return "ask"
        return None

    async def handle(self, turn: Turn, found: str) -> Response:
        if found == "ask":
            turn.state[PENDING] = True
            choices = (
                turn.option("choice_delete_yes", encode_command(_YES)),
                turn.option("choice_delete_no", encode_command(_NO)),
            )
            return info(Reply(turn.say("delete_confirm"), choices))
        pending = bool(turn.state.pop(PENDING, False))
        if turn.command == _YES and pending:
            agreed = True
        elif turn.command in (_YES, _NO):
            agreed = False
        else:
            parsed = parsers.parse_yes_no(
                turn.text, today=dt.date.min, language=turn.language, strict=True
            )
            agreed = parsed.ok and parsed.value is True
        if not agreed:
            return info(Reply(turn.say("delete_kept")))
        return Response(OutcomeKind.INFO, (Reply(turn.say("delete_done")),), extra={ERASE: True})
