"""One module per kind of turn; :func:`default_handlers` is the order they are tried in."""

from __future__ import annotations

from handlers.base import Handler


def default_handlers() -> list[Handler]:
    """The first handler that accepts a turn answers it; the fallback accepts everything."""
    from handlers.choice import ChoiceHandler
    from handlers.content import AttachmentHandler, CancelHandler, EmptyHandler, UnfollowHandler
    from handlers.emergency import EmergencyHandler
    from handlers.fallback import FallbackHandler
    from handlers.faq import FaqHandler
    from handlers.greeting import GreetingHandler, HelpHandler, ThanksHandler
    from handlers.handoff import BotBackHandler, HandoffHandler, StaffQuietHandler
    from handlers.language import LanguageHandler

    return [
        UnfollowHandler(),
        EmergencyHandler(),
        BotBackHandler(),
        StaffQuietHandler(),
        EmptyHandler(),
        AttachmentHandler(),
        ChoiceHandler(),
        LanguageHandler(),
        HandoffHandler(),
        CancelHandler(),
        GreetingHandler(),
        HelpHandler(),
        ThanksHandler(),
        FaqHandler(),
        FallbackHandler(),
    ]
