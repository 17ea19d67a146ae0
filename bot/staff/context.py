"""What the console's routes use, handed to them when the app is composed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.delivery.outbox import Delivery
    from bot.engine import Engine
    from bot.events import EventBus
    from bot.handoff.escalation import EscalationService
    from bot.knowledge_loop.service import KnowledgeLoop
    from bot.knowledge_service import Knowledge
    from bot.notify.worker import Notifications
    from bot.procedures.applications import ApplicationService
    from bot.procedures.attachments import AttachmentStore
    from bot.settings import Settings
    from bot.storage.base import Store


@dataclass(frozen=True)
class Console:
    """The services behind the staff console (one per app, kept in ``app.state.console``)."""

    settings: Settings
    clock: Clock
    store: Store
    knowledge: Knowledge
    engine: Engine
    events: EventBus
    delivery: Delivery
    escalations: EscalationService
    applications: ApplicationService
    attachments: AttachmentStore
    knowledge_loop: KnowledgeLoop | None = None
    notifications: Notifications | None = None
