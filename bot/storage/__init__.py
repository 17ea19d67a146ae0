"""Storage: SQLAlchemy models, repositories, their in-memory twins and migrations.

Everything outside this package uses the names exported here and never sees ORM objects.
"""

from bot.storage.base import (
    ConversationRepo,
    FeedbackRepo,
    MessageRepo,
    OutboxRepo,
    Store,
    Unit,
    UserRepo,
    WebhookEventRepo,
)
from bot.storage.db import SqlStore, create_store, default_database_url, migrate
from bot.storage.errors import RecordNotFoundError, StorageError
from bot.storage.memory import InMemoryStore
from bot.storage.records import (
    ConversationRecord,
    ConversationStatus,
    EventRecord,
    EventStatus,
    FeedbackRecord,
    MessageRecord,
    OutboxRecord,
    OutboxStatus,
    UserRecord,
)

__all__ = [
    "ConversationRecord",
    "ConversationRepo",
    "ConversationStatus",
    "EventRecord",
    "EventStatus",
    "FeedbackRecord",
    "FeedbackRepo",
    "InMemoryStore",
    "MessageRecord",
    "MessageRepo",
    "OutboxRecord",
    "OutboxRepo",
    "OutboxStatus",
    "RecordNotFoundError",
    "SqlStore",
    "StorageError",
    "Store",
    "Unit",
    "UserRecord",
    "UserRepo",
    "WebhookEventRepo",
    "create_store",
    "default_database_url",
    "migrate",
]
