"""Dates as written in trade-press text, as precise as the text gives them: "YYYY-MM-DD",
"YYYY-MM" or "YYYY".

Absolute dates ("June 3, 2025", "15 July 2024", "Nov 17, 2021", "November 2023", "2016-09-26",
"in 2019", "Q4'21", "spring 2025") need nothing else; relative ones ("today", "last month", "this
week", "last year", "in August", "on Monday") are resolved against the document's own date (its
dateline) and are dropped when the document has none. A date that does not exist ("February 30,
2024", "2024-13-01") is not a date.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from assistant.core.text import MONTHS

_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|"
          r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?")
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_YEAR = r"(?:19[89]\d|20[0-4]\d)"
_PATTERNS = [
    ("mdy", re.compile(rf"(?:{_WEEKDAY},?\s+)?(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>{_YEAR})\b")),
    ("dmy", re.compile(rf"(?:{_WEEKDAY},?\s+)?\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH}),?\s+(?P<year>{_YEAR})\b")),
    ("iso", re.compile(rf"\b(?P<year>{_YEAR})-(?P<month>\d{{2}})-(?P<day>\d{{2}})\b")),
    # a US table's month-first figures: "2.3.2021", "4/15/15" (month, day, year)
    # (with hyphens only before a year of four digits: "11-19-2013")
    ("num", re.compile(rf"(?<![\d./-])\b(?P<month>\d{{1,2}})(?:(?P<sep>[./])(?P<day>\d{{1,2}})(?P=sep)"
                       rf"(?P<year>{_YEAR}|\d{{2}})|-(?P<day2>\d{{1,2}})-(?P<year2>{_YEAR}))\b(?![./-]\d)")),
    ("my", re.compile(rf"\b(?P<month>{_MONTH})(?:\s+of)?,?\s+(?P<year>{_YEAR})\b")),
    ("quarter", re.compile(rf"\b(?:Q[1-4]\s*'?(?P<yy>\d{{2}})\b|Q[1-4]\s+(?P<year>{_YEAR})\b|"
                           rf"(?:first|second|third|fourth)\s+quarter\s+of\s+(?P<year2>{_YEAR})\b)", re.I)),
    ("part", re.compile(rf"\b(?:early|mid|late|end of|the end of|spring|summer|fall|autumn|winter|"
                        rf"first half of|second half of|H[12])[\s-]+(?P<year>{_YEAR})\b", re.I)),
    ("year", re.compile(rf"(?<![\d,.$€£/-])\b(?P<year>{_YEAR})\b(?![\d,/%-]|\.\d)")),
    ("rel", re.compile(r"\b(?P<rel>today|yesterday|this week|last week|this month|last month|"
                       r"earlier this month|this year|earlier this year|last year|"
                       rf"(?:on|last|said|announced)\s+{_WEEKDAY}|(?:in|since|during|on)\s+(?:early\s+|late\s+)?{_MONTH}"
                       rf"(?!\s*\d))\b", re.I)),
    # a day without its year ("on 10 June", "on June 10"): the last such day up to the
    # document's date
    ("dm", re.compile(rf"\b(?:on|since)\s+(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?"
                      rf"(?P<month>{_MONTH})|(?P<month2>{_MONTH})\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?)"
                      rf"(?![\w,]*\s*,?\s*\d)", re.I)),
]


@dataclass(frozen=True)
class DateMention:
    value: str  # YYYY-MM-DD, YYYY-MM or YYYY
    start: int
    end: int
    text: str
    kind: str  # mdy, dmy, iso, num, my, quarter, part, year, rel, dm


def _valid(year: int, month: int, day: int | None = None) -> bool:
    try:
        dt.date(year, month, day or 1)
        return True
    except ValueError:
        return False


def _month_num(raw: str) -> int:
    return MONTHS[raw.rstrip(".").lower()]


def _absolute(kind: str, m: re.Match) -> str | None:
    g = m.groupdict()
    if kind in ("mdy", "dmy", "iso", "num"):
        year, day = g.get("year") or g.get("year2"), g.get("day") or g.get("day2")
        y = int(year) if len(year) == 4 else 2000 + int(year)
        mo = int(g["month"]) if kind in ("iso", "num") else _month_num(g["month"])
        d = int(day)
        return f"{y:04d}-{mo:02d}-{d:02d}" if _valid(y, mo, d) else None
    if kind == "my":
        return f"{int(g['year']):04d}-{_month_num(g['month']):02d}"
    if kind == "quarter":
        if g.get("yy"):
            return f"20{g['yy']}"
        return g.get("year") or g.get("year2")
    return g.get("year")


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    n = year * 12 + (month - 1) + delta
    return n // 12, n % 12 + 1


def _relative(raw: str, anchor: str | None) -> str | None:
    """`raw` resolved against the document's date `anchor` (YYYY-MM-DD, YYYY-MM or YYYY)."""
    if not anchor:
        return None
    parts = [int(p) for p in anchor.split("-")]
    year = parts[0]
    month = parts[1] if len(parts) > 1 else None
    day = parts[2] if len(parts) > 2 else None
    low = raw.lower().strip()
    if low in ("this year", "earlier this year"):
        return f"{year:04d}"
    if low == "last year":
        return f"{year - 1:04d}"
    if month is None:
        return None
    if low in ("this month", "earlier this month"):
        return f"{year:04d}-{month:02d}"
    if low == "last month":
        y, mo = _shift_month(year, month, -1)
        return f"{y:04d}-{mo:02d}"
    words = low.split()
    if words[0] in ("in", "since", "during", "on") and words[-1].rstrip(".") in MONTHS:
        # "in August" in an October 2019 article: the last August up to the article's month
        mo = _month_num(words[-1])
        y = year if mo <= month else year - 1
        return f"{y:04d}-{mo:02d}"
    if day is None:
        if low == "this week":  # only as precise as the month it falls in
            return f"{year:04d}-{month:02d}"
        return None
    today = dt.date(year, month, day)
    if low == "today":
        return today.isoformat()
    if low == "yesterday":
        return (today - dt.timedelta(days=1)).isoformat()
    if low in ("this week", "last week"):
        start = today - dt.timedelta(days=today.weekday() + (7 if low == "last week" else 0))
        end = start + dt.timedelta(days=6)
        if low == "this week":
            end = today
        return f"{start.year:04d}-{start.month:02d}" if (start.year, start.month) == \
            (end.year, end.month) else None
    if words[0] in ("said", "announced"):
        words = ["on"] + words[1:]
    if words[-1] in [d.lower() for d in calendar.day_name]:
        target = [d.lower() for d in calendar.day_name].index(words[-1])
        back = (today.weekday() - target) % 7
        if words[0] == "last" and back == 0:
            back = 7
        return (today - dt.timedelta(days=back)).isoformat()
    return None


def _day_month(m: re.Match, anchor: str | None) -> str | None:
    """"on 10 June" in a 14 June 2024 article -> 2024-06-10 (a later day: the year before)."""
    if not anchor or anchor.count("-") < 1:
        return None
    parts = [int(p) for p in anchor.split("-")]
    mo = _month_num(m.group("month") or m.group("month2"))
    d = int(m.group("day") or m.group("day2"))
    y = parts[0]
    if (mo, d) > (parts[1], parts[2] if len(parts) > 2 else 31):
        y -= 1
    return f"{y:04d}-{mo:02d}-{d:02d}" if _valid(y, mo, d) else None


def find_dates(text: str, anchor: str | None = None) -> list[DateMention]:
    """Date mentions in `text`, in order, without overlaps; relative ones only with an anchor."""
    out: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.start(), m.end()
            if any(a < end and start < b for a, b in taken):
                continue
            if kind == "rel":
                value = _relative(m.group("rel"), anchor)
            elif kind == "dm":
                value = _day_month(m, anchor)
            else:
                value = _absolute(kind, m)
            if not value:
                if kind in ("mdy", "dmy", "iso", "num"):  # a malformed date is no date, not a year
                    taken.append((start, end))
                continue
            out.append(DateMention(value, start, end, text[start:end], kind))
            taken.append((start, end))
    return sorted(out, key=lambda d: d.start)


def precision(value: str) -> int:
    """1 (year), 2 (month) or 3 (day)."""
    return len(value.split("-"))


def same_date(value: str, gold: str) -> bool:
    """Equal at the gold's precision (a gold "2024-06" matches "2024-06-15"); a value less
    precise than the gold never matches."""
    if not value or not gold:
        return False
    v, g = value.split("-"), gold.split("-")
    return len(v) >= len(g) and v[:len(g)] == g
