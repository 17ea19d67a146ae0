"""Date libraries measured against our date parser's own test cases, with the same "today".

    pip install ja-timex japanera kanjize      (into a scratch environment: not our dependencies)
    python -m bench.date_parsers

Every case of ``tests/procedures/parsers/date_cases.py`` is given to each parser as the citizen
typed it. An expected date counts when the parser returns that date; an expected refusal counts
when it returns no date. The era cases (令和/平成/昭和, R8.12.5 …) are also counted apart, since
an era library is only meant to cover those. A library that is not installed is reported so.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import warnings
from collections.abc import Callable
from typing import Any

from bot.procedures.parsers import parse_date
from tests.procedures.parsers.date_cases import DATE_CASES, LOOK_BACK_CASES
from tests.procedures.parsers.helpers import MONDAY, Refused

DateParser = Callable[[str, dt.date, bool], str | None]  # (answer, today, past) -> ISO or None
_ERA = re.compile(r"令和|平成|昭和|㋿|^[RrHhSs]\d")


def ours(answer: str, today: dt.date, past: bool) -> str | None:
    limits = {"min_days_ahead": -365, "max_days_ahead": 0} if past else {}
    parsed = parse_date(answer, today=today, **limits)
    if parsed.ok:
        return str(parsed.value)
    # A refusal for a limit still means the date was read; the cases expect the refusal.
    return None


def ja_timex() -> DateParser | None:
    try:
        import pendulum
        from ja_timex import TimexParser
    except ImportError:
        return None

    def parse(answer: str, today: dt.date, past: bool) -> str | None:
        reference = pendulum.datetime(today.year, today.month, today.day, tz="Asia/Tokyo")
        for timex in TimexParser(reference=reference).parse(answer):
            try:
                moment = timex.to_datetime()
            except (ValueError, TypeError, AttributeError):
                moment = None
            if moment is None and timex.type == "DURATION":
                duration = timex.to_duration()
                sign = -1 if timex.mod == "BEFORE" else 1
                moment = reference + sign * duration if duration is not None else None
            if moment is not None:
                return moment.date().isoformat()
        return None

    return parse


def japanera() -> DateParser | None:
    try:
        from japanera import EraDate
    except ImportError:
        return None
    formats = (
        "%-K%-y年%m月%d日",
        "%-K%-n年%-m月%-d日",
        "%-h%-y.%m.%d",
        "%-h%-y/%m/%d",
        "%Y年%m月%d日",
        "%Y/%m/%d",
        "%Y-%m-%d",
    )

    def parse(answer: str, today: dt.date, past: bool) -> str | None:
        for fmt in formats:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    found = EraDate.strptime(answer, fmt)
            except (ValueError, KeyError, TypeError, IndexError):
                continue
            if found:
                return found[0].to_date().isoformat()
        return None

    return parse


def folded(parser: DateParser | None) -> DateParser | None:
    """The same library given the answer as our parser sees it (NFKC: ８→8, ㋿→令和; R8.12.5)."""
    if parser is None:
        return None

    def parse(answer: str, today: dt.date, past: bool) -> str | None:
        said = unicodedata.normalize("NFKC", answer).strip()
        return parser(re.sub(r"^[rhs](?=\d)", lambda m: m.group().upper(), said), today, past)

    return parse


def cases() -> list[tuple[str, dt.date, bool, str | None]]:
    """``(answer, today, past, expected ISO or None for a refusal)`` for every text case."""
    both = [(a, today, False, e) for a, today, e in DATE_CASES]
    both += [(a, MONDAY, True, e) for a, e in LOOK_BACK_CASES]
    return [
        (answer, today, past, None if isinstance(expected, Refused) else expected)
        for answer, today, past, expected in both
        if isinstance(answer, str)
    ]


def score(parser: DateParser, only: Callable[[str], bool] = lambda _: True) -> dict[str, Any]:
    dates = refusals = right_dates = right_refusals = 0
    for answer, today, past, expected in cases():
        if not only(answer):
            continue
        try:
            got = parser(answer, today, past)
        except Exception:  # a library crashing on an answer counts as wrong
            got = "error"
        if expected is None:
            refusals += 1
            right_refusals += got is None
        else:
            dates += 1
            right_dates += got == expected
    return {
        "dates": f"{right_dates}/{dates}",
        "refusals": f"{right_refusals}/{refusals}",
        "total": f"{right_dates + right_refusals}/{dates + refusals}",
    }


def main() -> None:
    parsers: dict[str, DateParser | None] = {
        "ours (bot.procedures.parsers.dates)": ours,
        "ja-timex": ja_timex(),
        "japanera": japanera(),
        "japanera, answer folded first": folded(japanera()),
    }
    print(f"{len(cases())} text cases; 'dates' = right date, 'refusals' = no date where refused")
    for name, parser in parsers.items():
        if parser is None:
            print(f"{name}: not installed")
            continue
        every = score(parser)
        era = score(parser, lambda answer: bool(_ERA.search(answer)))
        print(
            f"{name}: all {every['total']} (dates {every['dates']}, refusals "
            f"{every['refusals']}); era cases {era['total']} (dates {era['dates']}, "
            f"refusals {era['refusals']})"
        )


if __name__ == "__main__":
    main()
