"""Typed replies to what the bot has just asked: a number, a label, はい/いいえ, 「最初の」.

Whenever the bot offers choices (buttons, quick replies, numbered lines), the engine keeps them
in the conversation state with the time they were asked (:func:`remember`)::

    state["asked"] = {
        "at": "2026-12-07T01:00:00+00:00",
        "choices": [["はい", "y:faq.x"], ["いいえ", "n:faq.x"], ["職員と話す", "c:staff"]],
        "feedback": "faq.x",
    }

The next message, if typed, is first read as the answer to that question: 2, ２, ②, 二, 2番,
a label (or a close misspelling of one), 最初の/最後の, or はい/いいえ/うん/違う/👍 for the
yes/no buttons. A reply that names a choice becomes that button press (:func:`press`), and the
handlers after this one answer it exactly as they answer the button; anything else is read as a
new message. The question lapses with the next reply of the bot or after :data:`ASKED_FOR`.

Guided flows, life events and "delete my data" read their own typed answers; for them only a
bare number or a button's whole label is read here (typing it is pressing it).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from rapidfuzz import fuzz

from bot.choices import COMMAND, ENTRY, FEEDBACK_NO, FEEDBACK_YES, SAY, decode
from bot.messages import Kind, Reply
from bot.procedures.parsers.numbers import kanji_to_int
from handlers.acts import act_in, strip_emoji
from handlers.base import NOT_HANDLED, Turn, _NotHandled
from handlers.flows.state import FLOW_KEY
from handlers.life_event import LIFE_KEY
from handlers.privacy import PENDING as DELETE_PENDING
from intents.normalize import normalize
from knowledge.system import Acts, fold_short

logger = logging.getLogger(__name__)

ASKED_KEY = "asked"
ASKED_FOR = dt.timedelta(minutes=30)  # a reply later than this is a new message
# State keys of handlers that ask their own questions and read the typed answers themselves.
OWN_QUESTIONS = (FLOW_KEY, LIFE_KEY, DELETE_PENDING)
FLOW_START = "flow:start:"  # the command of the "apply in this chat" button
LABEL_SIMILARITY = 80  # rapidfuzz ratio (0..100) for a misspelt label
MIN_PARTIAL = 3  # characters of a label typed in part (コンビニ for コンビニで取る)
MAX_EXTRA = 3  # characters typed after a whole label (…のほう) that still name it

Offered = list[tuple[str, str]]  # (label, value), in the order shown

_NUMBER = re.compile(
    r"^(\d{1,2}|[一二三四五六七八九十]{1,2})"
    r"(?:番目|番|つ目|個目|ばんめ|ばん)?"
    # (after normalizing, which drops です/ます: 2番でお願いします -> 2番でお願いし)
    r"(?:の|ので|のほう|の方|のやつ|にし|で|を)?(?:お願い(?:いたし|し)?|おねがい(?:し)?)?$"
)
_EN_NUMBER = re.compile(r"^(?:number|no|option|choice|#)(\d{1,2})$")


def remember(state: dict[str, Any], replies: Sequence[Reply], now: dt.datetime) -> None:
    """Keep the choices the bot is offering now (or forget the last ones when it offers none)."""
    choices = [[c.label, c.value] for r in replies for c in r.choices]
    state["last_choices"] = [value for _, value in choices]
    if not choices:
        state.pop(ASKED_KEY, None)
        return
    asked: dict[str, Any] = {"at": now.isoformat(), "choices": choices}
    feedback = next((a for _, v in choices if (a := _feedback_entry(v)) is not None), None)
    if feedback is not None:
        asked["feedback"] = feedback  # "did this help?" is open on this entry
    state[ASKED_KEY] = asked


def _feedback_entry(value: str) -> str | None:
    action, argument = _decoded(value)
    return argument if action in (FEEDBACK_YES, FEEDBACK_NO) else None


def offered(state: dict[str, Any], now: dt.datetime) -> Offered:
    """The choices still waiting for an answer (none once :data:`ASKED_FOR` has passed)."""
    asked = state.get(ASKED_KEY)
    if not isinstance(asked, dict):
        return []
    try:
        at = dt.datetime.fromisoformat(str(asked.get("at")))
    except ValueError:
        return []
    if now - at > ASKED_FOR:
        return []
    return [(str(label), str(value)) for label, value in asked.get("choices") or []]


def number_in(text: str, count: int) -> int | None:
    """The position (0-based) a reply names by number: 2, ２, ②, 二, 2番, 2番目, 2つ目, #2."""
    folded = fold_short(text)
    found = _NUMBER.match(folded) or _EN_NUMBER.match(folded)
    if found is None:
        return None
    said = found.group(1)
    number = int(said) if said.isdigit() else kanji_to_int(said)
    return number - 1 if number is not None and 1 <= number <= count else None


def read_reply(acts: Acts, text: str, choices: Offered) -> str | None:
    """The value of the choice a typed reply names, or ``None`` when it names none."""
    position = number_in(text, len(choices))
    if position is not None:
        return choices[position][1]
    folded = fold_short(text)
    word = acts.reply_word(folded) or acts.reply_word(fold_short(strip_emoji(text)))
    if word is None:
        word = _leading_yes_no(acts, text)
    if word in ("yes", "no"):
        return _yes_no(acts, choices, word == "yes")
    if word in ("first", "last"):  # of the entries offered, when there are (not はい/いいえ)
        listed = [v for _, v in choices if _decoded(v)[0] == ENTRY] or [v for _, v in choices]
        return listed[0] if word == "first" else listed[-1]
    if word == "apply":
        flow = [v for _, v in choices if _decoded(v)[1].startswith(FLOW_START)]
        if flow:
            return flow[0]
    if act_in(acts, text) == "thanks":  # "did this help?" -> ありがとうございます
        helpful = [v for _, v in choices if _decoded(v)[0] == FEEDBACK_YES]
        if helpful:
            return helpful[0]
    return _label(folded, choices)


def _decoded(value: str) -> tuple[str, str]:
    """``(action, argument)`` of a choice value; empty strings for one that is not ours."""
    found = decode(value)
    return (found.action, found.argument) if found is not None else ("", "")


def _leading_yes_no(acts: Acts, text: str) -> str | None:
    """「はい、助かりました」「いいえ、違います」: a yes or no, and nothing but acts after it."""
    parts = [fold_short(p) for p in normalize(strip_emoji(text)).split(" ") if p]
    if len(parts) < 2:
        return None
    first = acts.reply_word(parts[0])
    if first not in ("yes", "no"):
        return None
    for part in parts[1:]:
        if acts.reply_word(part) not in (first, None):
            return None  # はい、いいえ: unclear
        if acts.reply_word(part) is None and act_in(acts, part) is None:
            return None  # いいえ、除雪について知りたい: a new question
    return first


def _yes_no(acts: Acts, choices: Offered, yes: bool) -> str | None:
    """The yes (or no) button: feedback buttons, or a choice labelled はい/いいえ."""
    wanted = FEEDBACK_YES if yes else FEEDBACK_NO
    for _, value in choices:
        if _decoded(value)[0] == wanted:
            return value
    for label, value in choices:
        if acts.reply_word(fold_short(label)) == ("yes" if yes else "no"):
            return value
    return None


def _label(folded: str, choices: Offered) -> str | None:
    """A label typed exactly, in part (from its start), or with a small misspelling."""
    if not folded:
        return None
    labels = [(fold_short(label), value) for label, value in choices]
    if any(label == folded for label, _ in labels):
        return exact_label(folded, choices)
    # A menu topic is not a question: 証明書 typed after the menu is a question of its own.
    partial = {
        value
        for label, value in labels
        if _decoded(value)[0] != SAY
        and len(folded) >= MIN_PARTIAL
        and len(folded) * 2 >= len(label)
        and (label.startswith(folded) or _label_and_a_little(folded, label))
    }
    if len(partial) == 1:
        return partial.pop()
    scored = sorted(((fuzz.ratio(folded, label), value) for label, value in labels), reverse=True)
    if not scored or scored[0][0] < LABEL_SIMILARITY:
        return None
    if len(scored) > 1 and scored[1][0] >= LABEL_SIMILARITY and scored[1][1] != scored[0][1]:
        return None  # two labels as close: not a reply to pick from
    return scored[0][1]


def exact_label(folded: str, choices: Offered) -> str | None:
    """The one choice whose label is exactly what was typed (folded)."""
    exact = {value for label, value in choices if fold_short(label) == folded}
    return exact.pop() if folded and len(exact) == 1 else None


def _label_and_a_little(folded: str, label: str) -> bool:
    """The label and a few more characters (コンビニで取るほう), not a new sentence after it."""
    return (
        len(label) >= MIN_PARTIAL + 1
        and folded.startswith(label)
        and (len(folded) - len(label) <= MAX_EXTRA)
    )


def press(turn: Turn, value: str) -> None:
    """Make the turn the press of the button whose value is ``value``."""
    decoded = decode(value)
    if decoded is None:
        return
    turn.normalized = normalize(value)
    if decoded.action == COMMAND:
        turn.text, turn.command = "", decoded.argument
    elif decoded.action == SAY:
        turn.text = menu_text(turn, decoded.argument)
        turn.normalized = normalize(turn.text)
    else:
        turn.text, turn.choice = "", decoded


def menu_text(turn: Turn, index: str) -> str:
    """What a menu button sends: its question, in the citizen's language."""
    menu = turn.knowledge.system.menu
    if index.isdigit() and int(index) < len(menu):
        return menu[int(index)].send.get(turn.language)
    return ""


class ContextHandler:
    """A typed reply to the bot's last question becomes the button it names."""

    name = "context"

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        self.clock = clock

    async def accepts(self, turn: Turn) -> str | None:
        if turn.incoming.kind is not Kind.TEXT or turn.command or turn.choice is not None:
            return None
        choices = offered(turn.state, self.clock())
        if not choices or not turn.text.strip():
            return None
        if any(key in turn.state for key in OWN_QUESTIONS):  # a number or a whole label only
            typed = turn.text.strip()
            if typed.isdigit():
                ok = 1 <= int(typed) <= len(choices)
                return choices[int(typed) - 1][1] if ok else None
            return exact_label(fold_short(typed), choices)
        return read_reply(turn.knowledge.system.acts, turn.text, choices)

    async def handle(self, turn: Turn, found: str) -> _NotHandled:
        logger.info("conversation %s: typed reply read as %s", turn.conversation_id, found)
        press(turn, found)
        return NOT_HANDLED  # the handlers after this one answer the press
