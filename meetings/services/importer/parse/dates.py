"""Dates and times written in headings, list items and table cells."""

import calendar
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
_MONTH = (
    r"(?P<month>january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\b\.?"
)
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
DATE_PATTERNS = [
    re.compile(rf"\b(?:{_WEEKDAY}\s+)?(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?\b", re.I),
    re.compile(rf"\b(?:{_WEEKDAY}\s+)?{_MONTH}\s+{_DAY}\b(?:,?\s+{_YEAR})?", re.I),
    re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(r"\b(?P<day>\d{1,2})[/.](?P<month>\d{1,2})[/.](?P<year>(?:19|20)\d{2})\b"),
]
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


def find_date(text: str) -> FoundDate | None:
    for pattern in DATE_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        month = match["month"]
        month = int(month) if month.isdigit() else MONTHS.get(month.lower().rstrip("."))
        if month is None or not 1 <= month <= 12:
            continue
        weekday = None
        if "weekday" in match.groupdict() and match["weekday"]:
            stem = match["weekday"].lower()[:3]
            weekday = next(n for name, n in WEEKDAYS.items() if name.startswith(stem))
        year = int(match["year"]) if match["year"] else None
        return FoundDate(match.start(), match.end(), int(match["day"]), month, year, weekday)
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
