"""The LINE channel: the signed webhook in, replies and pushes out (line-bot-sdk v3, async).

    POST /webhooks/line       verify X-Line-Signature, store each event, answer 200 at once
    citybot line setup-richmenu --image menu.png

Replies use the webhook's reply token while it is fresh (first attempt, within ~50 s);
otherwise, or when LINE refuses the token, the same messages are pushed with an
``X-Line-Retry-Key`` that stays the same across the outbox's retries, so LINE drops repeats.
"""

from bot.channels.line.channel import LineChannel, build_messages, short_label, split_text
from bot.channels.line.inbound import event_key, parse_event, routes
from bot.channels.line.richmenu import RichMenuFile, load_richmenu, setup_richmenu

__all__ = [
    "LineChannel",
    "RichMenuFile",
    "build_messages",
    "event_key",
    "load_richmenu",
    "parse_event",
    "routes",
    "setup_richmenu",
    "short_label",
    "split_text",
]
