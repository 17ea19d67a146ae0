"""The conversation engine: the one way in for every channel.

    outcome = await engine.handle(Incoming(channel="line", user_id="U1", text="ごみの出し方"))

Each message is stored (and committed) before it is answered; one citizen's messages are handled
in order; a handler's error is caught here, logged with the conversation id, and answered with an
apology and the offer of a person.

Guided flows (:mod:`knowledge.flows`) run through the same turn: a flow in progress lives in the
conversation state; :meth:`Engine.sweep_flows` deletes the ones left unfinished too long.

With an :class:`bot.handoff.escalation.EscalationService`, hand-offs are recorded for the staff
console:
a handler's escalation request opens (or touches) one, every citizen message while one is active
touches it, and asking for the bot again resolves it; the console hears of each change after the
commit. Without one (``citybot ask``) hand-offs still answer and only the status is kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from bot.choices import COMMAND, SAY, decode
from bot.clock import Clock
from bot.delivery.keyed_lock import KeyedLock
from bot.handoff.office_hours import OfficeHours
from bot.knowledge_service import Knowledge
from bot.logs import citizen_ref
from bot.messages import Incoming, Kind, Outcome, OutcomeKind, Reply
from bot.metrics import Metrics
from bot.stats.record import turn_record
from bot.storage.base import Store, Unit
from bot.storage.records import (
    Channel,
    ConversationRecord,
    ConversationStatus,
    EscalationRecord,
    MessageKind,
    UserRecord,
)
from handlers import default_handlers
from handlers.base import NOT_HANDLED, Handler, Response, Turn
from handlers.context import remember
from handlers.flows.state import (
    FLOW_KEY,
    FlowServices,
    delete_files,
    expire_in_unit,
    flow_deadline,
)
from handlers.handoff import BOT, STAFF, WAITING, Availability
from handlers.privacy import ERASE, erase_user
from intents.normalize import clean, has_japanese, looks_english, normalize
from knowledge.flows import FlowCatalog, load_flows
from knowledge.system import fold_short

if TYPE_CHECKING:
    from bot.handoff.escalation import EscalationService
    from bot.knowledge_loop.inquiries import InquiryLog
    from bot.procedures.attachments import AttachmentStore
    from knowledge.loader import KnowledgeBase

logger = logging.getLogger(__name__)

MAX_TEXT = 2000  # characters read from one message; the rest is stored but not matched
TOUCH_EVERY = dt.timedelta(minutes=1)  # how stale a citizen's "last seen" may be

_KIND_STORED: dict[Kind, MessageKind] = {
    Kind.TEXT: "text",
    Kind.CHOICE: "choice",
    Kind.LOCATION: "location",
    Kind.IMAGE: "image",
    Kind.FOLLOW: "event",
    Kind.UNFOLLOW: "event",
    Kind.OTHER: "event",
}
_SLASH_COMMANDS = {
    "/start": "start",
    "/help": "help",
    "/menu": "menu",
    "/cancel": "cancel",
    "/staff": "staff",
    "/bot": "bot",
    "/lang": "lang",
    "/lang ja": "lang:ja",
    "/lang en": "lang:en",
    "/subscribe": "subscribe",
    "/stop": "stop",
}


#: Called inside the transaction that stores a turn's answer, with its replies.
Finish = Callable[[Unit, Sequence[Reply]], Awaitable[None]]
#: A stored citizen: their user and open conversation.
Citizen = tuple[UserRecord, ConversationRecord]

_CATALOGS: dict[int, tuple[KnowledgeBase, FlowCatalog]] = {}


def shipped_flows(kb: KnowledgeBase) -> FlowCatalog:
    """The shipped flows and life events, checked against ``kb`` (loaded once per base)."""
    cached = _CATALOGS.get(id(kb))
    if cached is None or cached[0] is not kb:
        cached = (kb, load_flows(kb=kb))
        _CATALOGS[id(kb)] = cached
    return cached[1]


class Engine:
    """Channel-agnostic: an :class:`Incoming` goes in, an :class:`Outcome` comes out."""

    def __init__(
        self,
        knowledge: Knowledge,
        store: Store,
        handlers: Sequence[Handler] | None = None,
        escalations: EscalationService | None = None,
        *,
        office_hours: OfficeHours | None = None,
        clock: Clock | None = None,
        flows: FlowCatalog | None = None,
        attachments: AttachmentStore | None = None,
        inquiries: InquiryLog | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        """Build the engine.

        Args:
            handlers: the handlers in order; by default :func:`handlers.default_handlers`.
            escalations: records hand-offs for staff; ``None`` records only the status.
            office_hours: what hand-offs promise; by default the service's, else the defaults.
            clock: the time for office hours and flows; by default the store's (the runtime
                hands the same clock to both).
            flows: the guided flows and life events; by default the shipped ones.
            attachments: where photos sent during a flow are kept (deleted on cancel).
            inquiries: records what became of each question, for staff to review.
            metrics: counts messages by outcome and times them; by default a private set.
        """
        self.knowledge = knowledge
        self.store = store
        self.metrics = metrics or Metrics()
        self.escalations = escalations
        self.inquiries = inquiries
        hours = office_hours or (escalations.office_hours if escalations else OfficeHours())
        self.clock = clock or store.clock
        availability = Availability(hours, self.clock)
        self.flows = flows if flows is not None else shipped_flows(knowledge.kb)
        self.services = FlowServices(self.flows, store, self.clock, attachments)
        self.handlers = (
            list(handlers)
            if handlers is not None
            else default_handlers(availability, self.services)
        )
        self._locks = KeyedLock()  # one process's order; across processes the inbox's claims

    async def handle(
        self,
        msg: Incoming,
        *,
        stored: int | None = None,
        finish: Finish | None = None,
        known: Citizen | None = None,
    ) -> Outcome:
        """Answer one message.

        Args:
            stored: the citizen's user id when the message was already stored with its webhook
                event (:meth:`store_incoming`); it is not stored again.
            finish: called inside the transaction that stores the answer and the conversation
                state, with the replies: the inbox queues them in the outbox and marks the event
                processed there, so all of it is committed together or not at all.
            known: the stored citizen's user and open conversation, read by the caller in an
                earlier transaction (:meth:`known_citizen`; the inbox reads them with its claim).
        """
        started = time.perf_counter()
        async with self._locks.hold((msg.channel, msg.user_id)):
            outcome = await self._handle(msg, stored, finish, known)
        self.metrics.turn(msg.channel, outcome.kind.value, time.perf_counter() - started)
        return outcome

    async def store_incoming(self, unit: Unit, msg: Incoming, user: UserRecord | None) -> int:
        """Store a citizen's message (and the citizen, on first contact) in ``unit``.

        Returns the user id, for :meth:`handle`'s ``stored``.
        """
        user, _convo = await self._store_incoming(unit, msg, user)
        return user.id

    async def _store_incoming(
        self, unit: Unit, msg: Incoming, user: UserRecord | None = None
    ) -> tuple[UserRecord, ConversationRecord]:
        channel = cast(Channel, msg.channel)
        if user is None:
            user = await unit.users.get_or_create(
                channel, msg.user_id, display_name=msg.display_name
            )
        convo = await unit.conversations.open_for(user.id)
        await unit.messages.add(
            convo.id,
            direction="in",
            author="citizen",
            text=msg.text,
            kind=_KIND_STORED[msg.kind],
            payload=dict(msg.payload) if msg.payload else None,
            platform_id=msg.platform_id,
        )
        if self.clock() - user.last_seen_at >= TOUCH_EVERY:  # a write saved on most messages
            await unit.users.touch(user.id)
        return user, convo

    async def known_citizen(self, unit: Unit, user_id: int) -> Citizen | None:
        """A stored citizen's user and open conversation (``None``: no such user)."""
        user = await unit.users.get(user_id)
        if user is None:
            return None
        return user, await unit.conversations.open_for(user.id)

    async def _handle(
        self, msg: Incoming, stored: int | None, finish: Finish | None, known: Citizen | None
    ) -> Outcome:
        started = time.perf_counter()
        found = known if known is not None and known[0].id == stored else None
        if found is None and stored is not None:  # the message was committed with its event
            async with self.store.unit() as unit:
                found = await self.known_citizen(unit, stored)
        if found is None:
            async with self.store.unit() as unit:  # stored and committed before it is answered
                found = await self._store_incoming(unit, msg)
        user, convo = found
        state: dict[str, Any] = dict(convo.state or {})
        turn = self._turn(msg, state, str(convo.status), user.language)
        turn.user_id, turn.conversation_id = user.id, convo.id
        try:
            response = await self._run(turn)
        except Exception:
            logger.exception("conversation %s: handler failed", convo.id)
            response = Response(
                OutcomeKind.FALLBACK,
                (Reply(turn.say("error"), (turn.option("choice_staff", "c:staff"),)),),
            )
        replies = response.replies
        if turn.truncated and response.kind in (OutcomeKind.ANSWER, OutcomeKind.CHOICES):
            replies = (Reply(turn.say("too_long")), *replies)
        remember(state, replies, self.services.now())  # what a typed reply may answer
        had_flow = FLOW_KEY in (convo.state or {})
        if response.extra.get(ERASE):
            return await self._erase(msg, user, convo, response, turn.language, started, finish)
        escalation: tuple[EscalationRecord, str] | None = None
        last_entry = state.get("last_entry")  # read back by the published figures:
        turn_keys = turn_record(response, self.knowledge.kb, last_entry)
        async with self.store.unit() as unit:
            for index, reply in enumerate(replies):
                payload = dict(turn_keys) if index == 0 else {}
                if reply.choices:
                    payload["choices"] = [[c.label, c.value] for c in reply.choices]
                await unit.messages.add(
                    convo.id,
                    direction="out",
                    author="bot",
                    text=reply.text,
                    payload=payload or None,
                )
            convo = await unit.conversations.update(
                convo.id, status=_status(response.status), state=state
            )
            if self.escalations is not None:
                escalation = await self._escalation(unit, convo, user, turn.status, response)
            if turn.language != user.language:
                await unit.users.set_language(user.id, "en" if turn.language == "en" else "ja")
            if response.feedback is not None:
                await unit.feedback.add(convo.id, *response.feedback)
            if self.inquiries is not None:
                await self.inquiries.record(unit, convo.id, turn, response)
            if response.extra.get("inactive"):
                await unit.users.set_active(user.id, False)
            elif not user.active:
                await unit.users.set_active(user.id, True)
            if had_flow or FLOW_KEY in state:  # the sweep finds it by this deadline
                await unit.deadlines.set(convo.id, flow_deadline(state, self.flows))
            if finish is not None:
                await finish(unit, replies)
        extra = response.extra
        if response.escalate is not None:  # e.g. two failures in a row: staff take over
            extra = {**extra, "handed_off": True}
        if escalation is not None and self.escalations is not None:
            record, action = escalation
            self.escalations.publish(record, action)  # after the commit: the console can read it
            extra = {**extra, "escalation_id": record.id}
        outcome = Outcome(
            kind=response.kind,
            replies=replies,
            language=turn.language,
            entry_id=response.entry_id,
            confidence=response.confidence,
            candidates=response.candidates,
            conversation_id=convo.id,
            extra=extra,
        )
        logger.info(
            "conversation %s: %s %s entry=%s confidence=%.3f candidates=%s in %.1f ms",
            convo.id,
            citizen_ref(msg.channel, msg.user_id),
            outcome.kind.value,
            outcome.entry_id,
            outcome.confidence,
            list(outcome.candidates),
            (time.perf_counter() - started) * 1000,
        )
        return outcome

    async def _erase(
        self,
        msg: Incoming,
        user: UserRecord,
        convo: ConversationRecord,
        response: Response,
        language: str,
        started: float,
        finish: Finish | None,
    ) -> Outcome:
        """The citizen asked for their data to be deleted: nothing of this turn is stored."""
        keys = await erase_user(self.store, user.id)
        await delete_files(self.services, keys)
        if finish is not None:
            async with self.store.unit() as unit:
                await finish(unit, response.replies)
        logger.info(
            "conversation %s: %s %s (citizen data deleted) in %.1f ms",
            convo.id,
            citizen_ref(msg.channel, msg.user_id),
            response.kind.value,
            (time.perf_counter() - started) * 1000,
        )
        return Outcome(
            kind=response.kind,
            replies=response.replies,
            language=language,
            conversation_id=None,
            extra={ERASE: True},
        )

    async def sweep_flows(self) -> int:
        """Delete flows left unfinished past their time (their partial answers and photos).

        Runs periodically in every server process: the flows are found by their deadline in the
        database, and each is taken by one process only. A flow is also expired at the
        citizen's next message. Returns how many were deleted.
        """
        now = self.services.now()
        async with self.store.unit() as unit:
            due = await unit.deadlines.due(now)
        deleted = 0
        for conversation_id in due:
            async with self.store.unit() as unit:
                if not await unit.deadlines.take(conversation_id, now):
                    continue  # another process took it
                keys = await expire_in_unit(unit, self.services, conversation_id, now)
                if keys is None:  # touched since: still within its time
                    convo = await unit.conversations.get(conversation_id)
                    state = convo.state if convo is not None else {}
                    await unit.deadlines.set(conversation_id, flow_deadline(state, self.flows))
                    continue
            deleted += 1
            await delete_files(self.services, keys)
        return deleted

    async def _escalation(
        self,
        unit: Unit,
        convo: ConversationRecord,
        user: UserRecord,
        before: str,
        response: Response,
    ) -> tuple[EscalationRecord, str] | None:
        """Record what this turn means for the staff queue; the action name for the console."""
        assert self.escalations is not None
        service = self.escalations
        request = response.escalate
        if request is not None:
            record = await service.escalate(
                unit,
                convo,
                user,
                request.reason,
                category=request.category,
                entry_id=request.entry_id,
                priority=request.priority,
            )
            return record, "escalated"
        with_staff = before in (WAITING, STAFF)
        if with_staff and response.status == BOT:
            returned = await service.citizen_returned(unit, convo.id)
            return (returned, "citizen_returned") if returned is not None else None
        touched = await service.touch(unit, convo.id)
        if touched is not None:
            return touched, "message"
        if with_staff:  # still with staff, but the case was closed: open a new one
            record = await service.escalate(unit, convo, user, "requested")
            return record, "escalated"
        return None

    def _turn(self, msg: Incoming, state: dict[str, Any], status: str, stored: str) -> Turn:
        text = clean(msg.text)
        truncated = len(text) > MAX_TEXT
        text = text[:MAX_TEXT]
        command: str | None = None
        choice = None
        kind = msg.kind
        if kind is Kind.TEXT:
            stripped = text.strip()
            command = _SLASH_COMMANDS.get(stripped.split("@")[0]) if stripped[:1] == "/" else None
        if kind is Kind.CHOICE:
            value = decode(text)
            if value is not None and value.action == COMMAND:
                command = value.argument
            elif value is not None and value.action == SAY:
                text = self._menu_text(value.argument, str(state.get("language") or stored))
            else:
                choice = value
        current = str(state.get("language") or stored or "ja")
        pressed = kind is Kind.CHOICE and (choice is not None or command is not None)
        # A slash command's own word ("/start") says nothing about the citizen's language.
        # OK, www, 2, 👍: written alike in both languages, so they keep the current one.
        neutral = kind is Kind.TEXT and (
            self.knowledge.system.acts.language_neutral(fold_short(text))
            or (bool(text.strip()) and not any(ch.isalpha() for ch in text))
        )
        keep = pressed or command or neutral
        language = current if keep else _language(text, msg.language, current)
        return Turn(
            incoming=msg,
            text="" if pressed else text,
            normalized=normalize(text),
            language=language,
            state=state,
            status=status,
            knowledge=self.knowledge,
            flows=self.flows,
            truncated=truncated,
            command=command,
            choice=choice,
        )

    def _menu_text(self, index: str, language: str) -> str:
        menu = self.knowledge.system.menu
        if index.isdigit() and int(index) < len(menu):
            return menu[int(index)].send.get(language)
        return ""

    async def _run(self, turn: Turn) -> Response:
        for handler in self.handlers:
            found = await handler.accepts(turn)
            if found is None:
                continue
            result = await handler.handle(turn, found)
            if result is NOT_HANDLED:
                continue
            return cast(Response, result)
        msg = "no handler accepted the turn (the fallback handler must be last)"
        raise RuntimeError(msg)


def _language(text: str, hint: str | None, current: str) -> str:
    """Reply in the language the citizen writes; else keep their current language."""
    if looks_english(text):
        return "en"
    if has_japanese(text):
        return "ja"
    if hint in ("ja", "en"):
        return hint
    return current if current in ("ja", "en") else "ja"


def _status(value: str | None) -> ConversationStatus | None:
    return ConversationStatus(value) if value else None
