"""Greeting, help and menu: the bot introducing itself (thanks and other acts: handlers.acts)."""

from __future__ import annotations

from bot.choices import encode_command, encode_say
from bot.messages import Choice, Kind, Reply
from handlers.acts import strip_emoji
from handlers.base import Response, Turn, info
from intents.normalize import normalize

GREETED = "greeted"  # state key: the citizen has had the full introduction


def menu_reply(turn: Turn) -> Reply:
    items = turn.knowledge.system.menu
    choices = tuple(
        Choice(item.label.get(turn.language), encode_say(i)) for i, item in enumerate(items)
    )
    return Reply(turn.say("menu"), choices)


class GreetingHandler:
    """First contact (follow, /start) and hellos: what the bot can do, with the menu.

    A hello later in the conversation gets a short hello back, not the introduction again.
    """

    name = "greeting"

    async def accepts(self, turn: Turn) -> str | None:
        if turn.incoming.kind is Kind.FOLLOW or turn.command == "start":
            return "introduce"
        if turn.incoming.kind is not Kind.TEXT or turn.choice is not None or turn.command:
            return None
        rules = turn.knowledge.system
        said = normalize(strip_emoji(turn.text))  # こんにちは😊
        if rules.matches("greeting", turn.normalized) or rules.matches("greeting", said):
            return "again" if turn.state.get(GREETED) else "introduce"
        return None

    async def handle(self, turn: Turn, found: str) -> Response:
        turn.state["failures"] = 0
        if found == "again":
            again = turn.knowledge.system.acts.replies["greeting_again"]
            return info(Reply(again.get(turn.language)), act="greeting")
        turn.state[GREETED] = True
        return info(Reply(turn.say("greeting")), menu_reply(turn))


class HelpHandler:
    name = "help"

    async def accepts(self, turn: Turn) -> str | None:
        if turn.command in ("help", "menu"):
            return turn.command
        return "help" if turn.knowledge.system.matches("help", turn.normalized) else None

    async def handle(self, turn: Turn, found: str) -> Response:
        if found == "menu":
            return info(menu_reply(turn))
        staff = turn.option("choice_staff", encode_command("staff"))
        return info(Reply(turn.say("help"), (staff,)), menu_reply(turn))
