"""One module per kind of turn; :func:`default_handlers` is the order they are tried in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.base import Handler

if TYPE_CHECKING:
    from handlers.flows.state import FlowServices
    from handlers.handoff import Availability


def default_handlers(
    availability: Availability, services: FlowServices | None = None
) -> list[Handler]:
    """The first handler that accepts a turn answers it; the fallback accepts everything.

    ``availability`` (office hours and a clock) decides what hand-offs promise the citizen;
    ``services`` (flows, store, clock) enable guided procedures, life events, status questions
    and "delete my data". A typed reply to the bot's last question (a number, a label, はい)
    becomes the button it names before anything else reads it; a flow in progress then reads
    each message before the usual handlers; conversation acts (thanks, OK, stickers …) are
    answered before any knowledge matching.
    """
    from handlers.acts import ActHandler
    from handlers.choice import ChoiceHandler
    from handlers.complaint import ComplaintHandler
    from handlers.content import AttachmentHandler, CancelHandler, EmptyHandler, UnfollowHandler
    from handlers.context import ContextHandler
    from handlers.emergency import EmergencyHandler
    from handlers.fallback import FallbackHandler
    from handlers.faq import FaqHandler
    from handlers.greeting import GreetingHandler, HelpHandler
    from handlers.handoff import BotBackHandler, HandoffHandler, StaffQuietHandler
    from handlers.language import LanguageHandler
    from handlers.life_event import LifeEventHandler
    from handlers.privacy import DeleteDataHandler
    from handlers.procedure import ProcedureHandler
    from handlers.status import StatusHandler
    from handlers.subscribe import SubscribeHandler

    clock = services.clock if services is not None else availability.clock
    procedures: list[Handler] = []
    if services is not None:
        procedures = [
            SubscribeHandler(services),
            DeleteDataHandler(),
            StatusHandler(services),
            ProcedureHandler(services, availability),
            LifeEventHandler(services.catalog),
        ]
    return [
        UnfollowHandler(),
        EmergencyHandler(),
        BotBackHandler(),
        StaffQuietHandler(),
        ContextHandler(clock),
        *procedures,
        ActHandler(),
        EmptyHandler(),
        AttachmentHandler(),
        ChoiceHandler(),
        LanguageHandler(),
        ComplaintHandler(availability),
        HandoffHandler(availability),
        CancelHandler(),
        GreetingHandler(),
        HelpHandler(),
        FaqHandler(),
        FallbackHandler(availability),
    ]
