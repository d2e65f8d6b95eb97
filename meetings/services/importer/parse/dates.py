"""Dates and times written in headings, list items and table cells."""

import calendar
import difflib
import re
from dataclasses import dataclass
from datetime import time

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
WEEKDAYS = {name.lower(): number for number, name in enumerate(calendar.day_name)}
_WEEKDAY = (
    r"(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|"
    r"fri|sat|sun)\b\.?,?"
)
# Any word in a month's place: a misspelled or abbreviated month ("Febuary", "Sept.") is read
# by closeness to a month's name; a word near no month's name is not a date.
_MONTH = r"(?P<month>[a-z]{3,10})\b\.?"
_OTHER_MONTH = r"[a-z]{3,10}\b\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_TO_DAY = r"(?:\s*(?:-|\u2013|\u2014|to|until)\s*\d{1,2}(?:st|nd|rd|th)?)"  # "12-14 July": a range
_YEAR = r"(?P<year>(?:19|20)\d{2})"
DATE_PATTERNS = [
    re.compile(
        rf"\b(?:{_WEEKDAY}\s+)?(?:the\s+)?{_DAY}(?P<range>{_TO_DAY}(?:\s+{_OTHER_MONTH})?)?\s+(?:of\s+)?{_MONTH}"
        rf"(?:{_TO_DAY}\s+{_OTHER_MONTH})?(?:,?\s+{_YEAR})?\b",
        re.I,
    ),
    re.compile(rf"\b(?:{_WEEKDAY}\s+)?{_MONTH}\s+{_DAY}{_TO_DAY}?\b(?:,?\s+{_YEAR})?", re.I),
    re.compile(r"\b(?P<year>(?:19|20)\d{2})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})\b"),
    re.compile(r"\b(?P<day>\d{1,2})[/.](?P<month>\d{1,2})[/.](?P<year>(?:19|20)\d{2})\b"),
]
_MONTH_NAMES = [name.lower() for name in calendar.month_name if name]
# "Meeting 1 - 12 October": the 1 numbers the meeting, it does not start a range of days.
_NUMBERED = re.compile(
    r"(?:meeting|session|lecture|lesson|part|day|week|class|seminar|talk|module|chapter|workshop|tutorial|"
    r"episode|unit|sprint|lab|practical)\s*(?:#|no\.?\s*)?$",
    re.I,
)


def month_number(word: str) -> int | None:
    """The month a word names: a name, an abbreviation, or a full name misspelled by a letter or two."""
    word = word.lower().rstrip(".")
    if word.isdigit():
        return int(word)
    if word in MONTHS:
        return MONTHS[word]
    if len(word) >= 5 and (close := difflib.get_close_matches(word, _MONTH_NAMES, n=1, cutoff=0.8)):
        return _MONTH_NAMES.index(close[0]) + 1
    return None


TIME_IN_TEXT = re.compile(
    r"\b(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)\s*(?P<ampm>[ap]\.?m\b\.?)?"
    r"|\b(?P<h12>1[0-2]|[1-9])\s*(?P<ampm12>[ap]\.?m\b\.?)",
    re.I,
)
YEAR_IN_TEXT = re.compile(r"\b((?:19|20)\d{2})\b")


@dataclass
class FoundDate:
    start: int
    end: int
    day: int
    month: int
    year: int | None
    weekday: int | None


def find_date(text: str, start: int = 0) -> FoundDate | None:
    """The first date written in the text (the first day of a range), or None."""
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text, start):
            if match.groupdict().get("range") and _NUMBERED.search(text[: match.start()]):
                return find_date(text, match.start("range"))
            day, month = int(match["day"]), month_number(match["month"])
            if month is None:
                continue
            if month > 12 and match["month"].isdigit() and day <= 12:
                day, month = month, day  # "03/14/2023": month first
            if not 1 <= month <= 12 or not 1 <= day <= 31:
                continue
            weekday = None
            if "weekday" in match.groupdict() and match["weekday"]:
                stem = match["weekday"].lower()[:3]
                weekday = next(n for name, n in WEEKDAYS.items() if name.startswith(stem))
            year = int(match["year"]) if match["year"] else None
            return FoundDate(match.start(), match.end(), day, month, year, weekday)
    return None


def find_time(text: str) -> time | None:
    match = TIME_IN_TEXT.search(text)
    if not match:
        return None
    if match["h12"]:
        hour, minute, ampm = int(match["h12"]), 0, match["ampm12"]
    else:
        hour, minute, ampm = int(match["hour"]), int(match["minute"]), match["ampm"]
    if ampm:
        hour = hour % 12 + (12 if ampm.lower().startswith("p") else 0)
    return time(hour, minute)
