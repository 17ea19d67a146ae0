"""Notifications in the chat: subscribe in one's own words, choose a district, see, change, stop.

    「除雪のお知らせがほしい」 → subscribed to snow; asks the district if unknown
    「通知の設定」 → topics and district, with buttons to change them
    「通知停止」 / /stop → every topic stopped
    「次のごみの日は？」 → the next collection in the citizen's district (sample calendar)

Every button also works typed: its number (the engine maps it) or its label.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.choices import encode_command
from bot.messages import Choice, Kind, Reply
from bot.notify.areas import district_by_label, district_of_address, district_of_point
from bot.notify.calendar import next_collection
from bot.notify.service import notify_repo
from handlers.base import NOT_HANDLED, Response, Turn, _NotHandled, info
from handlers.flows.state import FLOW_KEY, FlowServices
from knowledge.notify import District, NotifyKnowledge, shipped_notify

STATE = "notify"  # {"step": "topics" | "area", "then": "garbage"?}


class SubscribeHandler:
    name = "subscribe"

    def __init__(self, services: FlowServices, notify: NotifyKnowledge | None = None) -> None:
        self.services = services
        self.notify = notify or shipped_notify()

    # --- what was asked -----------------------------------------------------------------

    async def accepts(self, turn: Turn) -> tuple[str, str] | None:
        command = turn.command or ""
        if command in ("subscribe", "stop"):
            return command, ""
        if command.startswith("notify"):
            action, _, argument = command.partition(":")[2].partition(":")
            return action or "settings", argument
        step = (turn.state.get(STATE) or {}).get("step")
        if step == "area" and (turn.incoming.kind is Kind.LOCATION or turn.text.strip()):
            return "area_answer", ""
        if step == "topics" and self._topics_in(turn.text, exact=True):
            return "topics_answer", ""
        if FLOW_KEY in turn.state or not turn.text:
            return None
        n = self.notify
        for rule in ("stop", "settings", "next_garbage", "subscribe"):
            if n.matches(rule, turn.normalized):
                return rule, ""
        return None

    async def handle(self, turn: Turn, found: tuple[str, str]) -> Response | _NotHandled:
        action, argument = found
        if action not in ("area_answer", "topics_answer"):
            turn.state.pop(STATE, None)
        if action in ("subscribe", "topics_answer"):
            topics = self._topics_in(turn.text, exact=action == "topics_answer")
            return await self._subscribe(turn, topics)
        if action == "add":
            return await self._subscribe(turn, [argument] if self.notify.topic(argument) else [])
        if action == "remove":
            return await self._remove(turn, argument)
        if action in ("stop", "stop_all"):
            return await self._stop(turn)
        if action == "settings":
            return await self._settings(turn)
        if action == "area" and argument:
            district = self.notify.district(argument)
            return await self._set_area(turn, district, "list") if district else self._ask(turn)
        if action == "area":
            return self._ask(turn)
        if action == "area_answer":
            return await self._area_answer(turn)
        if action == "next_garbage":
            return await self._next_garbage(turn)
        return NOT_HANDLED

    # --- helpers ------------------------------------------------------------------------

    def _say(self, turn: Turn, key: str, **values: str) -> str:
        return self.notify.text(key, turn.language, **values)

    def _topics_in(self, text: str, *, exact: bool) -> list[str]:
        folded = text.strip().lower()
        found: list[str] = []
        for topic in self.notify.topics:
            labels = (topic.label.ja.lower(), topic.label.en.lower())
            if exact:
                hit = folded in labels or folded == topic.id
            else:
                hit = any(word.lower() in folded for word in topic.words)
            if hit:
                found.append(topic.id)
        return found

    def _label(self, turn: Turn, topic_id: str) -> str:
        topic = self.notify.topic(topic_id)
        return topic.label.get(turn.language) if topic else topic_id

    def _area_label(self, turn: Turn, area: str | None) -> str:
        district = self.notify.district(area) if area else None
        return (
            district.label.get(turn.language) if district else self._say(turn, "notify_area_none")
        )

    def _ask(self, turn: Turn, key: str = "notify_area_prompt", then: str = "") -> Response:
        turn.state[STATE] = {"step": "area", **({"then": then} if then else {})}
        choices = tuple(
            Choice(d.label.get(turn.language), encode_command(f"notify:area:{d.id}"))
            for d in self.notify.districts.districts
        )
        text = self._say(turn, key)
        if key != "notify_area_prompt":
            text = f"{text}\n{self._say(turn, 'notify_area_prompt')}"
        return info(Reply(text, choices))

    async def _state(self, turn: Turn) -> tuple[list[str], str | None]:
        assert turn.user_id is not None
        async with self.services.store.unit() as unit:
            repo = notify_repo(unit)
            topics = [s.topic for s in await repo.subscriptions(turn.user_id)]
            return topics, await repo.area(turn.user_id)

    # --- actions ------------------------------------------------------------------------

    async def _subscribe(self, turn: Turn, topics: list[str]) -> Response:
        if not topics:
            turn.state[STATE] = {"step": "topics"}
            choices = tuple(
                Choice(t.label.get(turn.language), encode_command(f"notify:add:{t.id}"))
                for t in self.notify.topics
            )
            return info(Reply(self._say(turn, "notify_topics_prompt"), choices))
        assert turn.user_id is not None
        labels = "、".join(self._label(turn, t) for t in topics)
        consent = self._say(turn, "notify_subscribed", topics=labels)
        now = self.services.now()
        async with self.services.store.unit() as unit:
            repo = notify_repo(unit)
            added = [t for t in topics if await repo.subscribe(turn.user_id, t, consent, now)]
            area = await repo.area(turn.user_id)
        text = consent if added else self._say(turn, "notify_already", topics=labels)
        if turn.incoming.channel == "web" and added:
            text = f"{text}\n{self._say(turn, 'notify_web_note')}"
        if area is None:
            turn.state.pop(STATE, None)
            asked = self._ask(turn)
            return info(Reply(text), *asked.replies)
        turn.state.pop(STATE, None)
        text = f"{text}\n{self._say(turn, 'notify_area_set', area=self._area_label(turn, area))}"
        return info(Reply(text, self._setting_choices(turn, [*topics], area)))

    async def _remove(self, turn: Turn, topic: str) -> Response:
        assert turn.user_id is not None
        async with self.services.store.unit() as unit:
            await notify_repo(unit).unsubscribe(turn.user_id, [topic])
        return info(Reply(self._say(turn, "notify_removed", topics=self._label(turn, topic))))

    async def _stop(self, turn: Turn) -> Response:
        assert turn.user_id is not None
        async with self.services.store.unit() as unit:
            removed = await notify_repo(unit).unsubscribe(turn.user_id)
        return info(
            Reply(self._say(turn, "notify_stopped" if removed else "notify_nothing_to_stop"))
        )

    def _setting_choices(
        self, turn: Turn, topics: list[str], area: str | None
    ) -> tuple[Choice, ...]:
        choices: list[Choice] = []
        for topic in self.notify.topics:
            label = topic.label.get(turn.language)
            if topic.id in topics:
                text = self._say(turn, "notify_choice_remove", topic=label)
                choices.append(Choice(text, encode_command(f"notify:remove:{topic.id}")))
            else:
                text = self._say(turn, "notify_choice_add", topic=label)
                choices.append(Choice(text, encode_command(f"notify:add:{topic.id}")))
        choices.append(
            Choice(self._say(turn, "notify_choice_area"), encode_command("notify:area"))
        )
        if topics:
            choices.append(Choice(self._say(turn, "notify_choice_stop"), encode_command("stop")))
        return tuple(choices)

    async def _settings(self, turn: Turn) -> Response:
        topics, area = await self._state(turn)
        names = "、".join(self._label(turn, t) for t in topics) or self._say(turn, "notify_none")
        text = self._say(turn, "notify_settings", topics=names, area=self._area_label(turn, area))
        hint = self._say(turn, "notify_settings_hint")
        return info(Reply(f"{text}\n{hint}", self._setting_choices(turn, topics, area)))

    async def _area_answer(self, turn: Turn) -> Response | _NotHandled:
        district: District | None = None
        source = "list"
        if turn.incoming.kind is Kind.LOCATION:
            district, source = (
                district_of_point(self.notify, turn.incoming.payload or {}),
                "location",
            )
        else:
            district = district_by_label(self.notify, turn.text)
            if district is None:
                today = self.services.today()
                district, source = district_of_address(self.notify, turn.text, today), "address"
                if district is None and not _addressish(turn.text):
                    turn.state.pop(STATE, None)  # not an answer: let the others try
                    return NOT_HANDLED
        if district is None:
            return self._ask(
                turn, "notify_area_unknown", (turn.state.get(STATE) or {}).get("then", "")
            )
        return await self._set_area(turn, district, source)

    async def _set_area(self, turn: Turn, district: District, source: str) -> Response:
        assert turn.user_id is not None
        then = (turn.state.pop(STATE, None) or {}).get("then")
        async with self.services.store.unit() as unit:
            await notify_repo(unit).set_area(
                turn.user_id, district.id, source, self.services.now()
            )
        reply = Reply(self._say(turn, "notify_area_set", area=district.label.get(turn.language)))
        if then == "garbage":
            return info(reply, self._garbage_reply(turn, district))
        return info(reply)

    async def _next_garbage(self, turn: Turn) -> Response:
        _, area = await self._state(turn)
        district = self.notify.district(area) if area else None
        if district is None:
            return self._ask(turn, "garbage_need_area", then="garbage")
        return info(self._garbage_reply(turn, district))

    def _garbage_reply(self, turn: Turn, district: District) -> Reply:
        calendar = self.notify.garbage
        area = district.label.get(turn.language)
        found = next_collection(calendar, district.id, self.services.today())
        if found is None:
            text = self._say(turn, "garbage_none", area=area)
        else:
            day, kinds = found
            text = self._say(
                turn,
                "garbage_next",
                area=area,
                date=_date(day, turn.language),
                weekday=getattr(self.notify.weekdays, turn.language)[day.weekday()],
                kinds="、".join(calendar.kinds[k].get(turn.language) for k in kinds),
            )
        if calendar.sample:
            text = f"{text}\n{self._say(turn, 'garbage_sample_note')}"
        return Reply(text)


def _date(day: dt.date, language: str) -> str:
    return day.strftime("%b %d") if language == "en" else f"{day.month}月{day.day}日"


def _addressish(text: str) -> bool:
    return any(mark in text for mark in ("条", "丁目", "番", "号", "線", "旭川"))


__all__: list[Any] = ["SubscribeHandler"]
