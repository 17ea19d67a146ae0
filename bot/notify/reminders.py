"""Garbage-day reminders: the evening before a district's collection, once per district and day.

    await plan_reminders(service, clock(), tz)     # from ``citybot notify due`` or the server

Between the calendar's ``remind_from`` and ``remind_until`` (18:00–20:00 local, before quiet
hours), one notice per district collecting tomorrow is queued. Its key
``garbage:<district>:<date>:<kinds>`` is unique in the database, so however many processes
or timer runs plan the same evening, each district gets it once.
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.notify.calendar import kinds_on
from bot.notify.service import Author, NoticeService
from bot.storage.base_notify import NoticeDraft

logger = logging.getLogger(__name__)

CALENDAR = Author("calendar", "calendar")


async def plan_reminders(service: NoticeService, now: dt.datetime, tz: dt.tzinfo) -> int:
    """Queue tomorrow's reminders if it is reminder time; how many new notices."""
    notify = service.notify
    calendar = notify.garbage
    local = now.astimezone(tz)
    if not calendar.remind_from <= local.time() < calendar.remind_until:
        return 0
    tomorrow = local.date() + dt.timedelta(days=1)
    created = 0
    for district_id in calendar.districts:
        district = notify.district(district_id)
        kinds = kinds_on(calendar, district_id, tomorrow)
        if district is None or not kinds:
            continue
        texts = {}
        for language in ("ja", "en"):
            names = "、".join(calendar.kinds[k].get(language) for k in kinds)
            date = f"{tomorrow.month}/{tomorrow.day}"
            text = notify.text(
                "garbage_reminder",
                language,
                kinds=names,
                date=date,
                area=district.label.get(language),
            )
            if calendar.sample:
                text = f"{text}\n{notify.text('garbage_sample_note', language)}"
            texts[language] = text
        key = f"garbage:{district_id}:{tomorrow.isoformat()}:{'+'.join(kinds)}"
        draft = NoticeDraft("garbage", (district_id,), texts["ja"], texts["en"])
        if await service.create(draft, CALENDAR, dedupe_key=key) is not None:
            created += 1
    if created:
        logger.info("queued %d garbage reminders for %s", created, tomorrow)
    return created
