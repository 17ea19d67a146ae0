"""The Telegram channel: webhook, update parser, sender, polling and set-webhook.

    POST /webhooks/telegram                      # X-Telegram-Bot-Api-Secret-Token checked first
    citybot telegram poll                        # long polling, no public URL needed
    citybot telegram set-webhook https://city.example/webhooks/telegram

python-telegram-bot is only the client and the parser (``Update.de_json``); the engine routes.
Photos (the largest size Telegram offers) and image documents arrive as file ids;
:meth:`TelegramChannel.download` fetches their bytes (getFile, then the file URL) before the
engine sees the message.
"""

from bot.channels.telegram.channel import TelegramChannel, split_text
from bot.channels.telegram.inbound import routes
from bot.channels.telegram.polling import poll, set_webhook
from bot.channels.telegram.updates import NAME

__all__ = ["NAME", "TelegramChannel", "poll", "routes", "set_webhook", "split_text"]
