"""A whole document: front matter, title, opening text, and the meetings in it."""

import re
from datetime import date

from meetings.services.importer.parse.blocks import front_matter, trim_block
from meetings.services.importer.parse.dates import WEEKDAYS, YEAR_IN_TEXT, find_date, find_time
from meetings.services.importer.parse.headings import DOCUMENT_LABEL, MEETING_HEADING, Heading, headings_scan
from meetings.services.importer.parse.items import dedupe_items, item_key
from meetings.services.importer.parse.links import MD_LINK
from meetings.services.importer.parse.plan import MAX_KEY, ImportFailed, ImportPlan, Reader
from meetings.services.importer.parse.sessions import meeting_read


def document_read(reader: Reader) -> ImportPlan:
    """Fill the reader's plan: the series' name and opening text, then each meeting in order."""
    plan = reader.plan
    body_start, front, front_lines = front_matter(reader)
    if not any(line.strip() for line in reader.lines[body_start:]) and not front:
        reader.fail(1, "the document is empty")
    headings = headings_scan(reader.lines, body_start)
    skip = {h.line + 1 for h in headings if h.setext}  # the underline of a setext heading
    meeting_headings = [h for h in headings if not h.pseudo and is_meeting(h.text)]
    first_meeting = meeting_headings[0].line if meeting_headings else len(reader.lines) + 1
    _title(reader, front, headings, first_meeting, skip)
    plan.header_lines = [line.rstrip() for line in front_lines]
    opening = [
        reader.lines[i]
        for i in range(body_start, min(first_meeting - 1, len(reader.lines)))
        if i + 1 not in skip
    ]
    description = trim_block(opening)
    if front.get("description") and str(front["description"]).strip() not in description:
        description = (str(front["description"]).strip() + "\n\n" + description).strip()
    plan.description = description
    if description:
        plan.description_lines = (body_start + 1, first_meeting - 1)
    year = document_year(front)
    if year is None and (found := YEAR_IN_TEXT.search(plan.document_title + " " + " ".join(opening))):
        year = int(found.group(1))
    plan.year = reader.year_option or year
    series_habits(reader, " ".join(opening) + " " + plan.document_title)
    plan.start_time = find_time(" ".join(opening))
    _meetings(reader, headings, meeting_headings, skip)
    if not plan.meetings and not plan.description:
        reader.fail(body_start + 1, "nothing to import: no meetings and no text")
    return plan


def _title(reader: Reader, front: dict, headings: list[Heading], first_meeting: int, skip: set[int]) -> None:
    """The series' name: the front matter's title, else the first level-1 heading before any meeting."""
    plan = reader.plan
    title = str(front.get("title") or "").strip()
    title_line = 2 if title else None
    if not title:
        first_h1 = next(
            (h for h in headings if h.level == 1 and not h.pseudo and h.line < first_meeting), None
        )
        if first_h1 is not None:
            title, title_line = first_h1.text, first_h1.line
            plan.title_raw = reader.lines[first_h1.line - 1].strip()
            skip.add(first_h1.line)
            if first_h1.setext:
                plan.title_raw += "\n" + reader.lines[first_h1.line].strip()
    # "Outline: IGR-data Machine Learning Club" names the club; "Outline" names the document.
    plan.document_title = title
    plan.title = re.sub(DOCUMENT_LABEL, "", title, flags=re.I)[:200]
    plan.title_line = title_line


def _meetings(
    reader: Reader, headings: list[Heading], meeting_headings: list[Heading], skip: set[int]
) -> None:
    keys: dict[str, int] = {}
    enclosing: list[tuple[int, date | None]] = []
    for position, heading in enumerate(meeting_headings):
        following = meeting_headings[position + 1].line - 1 if position + 1 < len(meeting_headings) else None
        end = following if following is not None else len(reader.lines)
        inner = [h for h in headings if heading.line < h.line <= end]
        meeting = meeting_read(reader, heading, end, inner, skip)
        # "Day 1 — 10 July" over "Lecture 1", "Lecture 2": the lectures are on that day.
        while enclosing and enclosing[-1][0] >= heading.level:
            enclosing.pop()
        if meeting.date is None and enclosing and enclosing[-1][1]:
            meeting.date = enclosing[-1][1]
        enclosing.append((heading.level, meeting.date))
        base = meeting.key
        keys[base] = keys.get(base, 0) + 1
        if keys[base] > 1:
            meeting.key = f"{base}-{keys[base]}"
        for item in meeting.items:
            item.key = item_key(meeting.key, item.text)
        meeting.items = dedupe_items(meeting.items)
        for number, section in enumerate(meeting.sections, start=1):
            section.key = f"{meeting.key}:{section.kind}:{number}"[:MAX_KEY]
        reader.plan.meetings.append(meeting)


def document_year(front: dict) -> int | None:
    value = front.get("date")
    if isinstance(value, date):
        return value.year
    if value and (match := YEAR_IN_TEXT.search(str(value))):
        return int(match.group(1))
    return None


def series_habits(reader, text: str) -> None:
    lower = text.lower()
    named = [
        (match.start(), number)
        for name, number in WEEKDAYS.items()
        if (match := re.search(rf"\b{name}s?\b", lower))
    ]
    if named:
        reader.plan.weekday = min(named)[1]
    if re.search(r"fortnightly|bi-?weekly|every (?:two|2|other) weeks?", lower):
        reader.plan.cadence_weeks = 2
    elif re.search(r"\bweekly\b|every week", lower):
        reader.plan.cadence_weeks = 1
    elif re.search(r"every (?:three|3) weeks", lower):
        reader.plan.cadence_weeks = 3


def is_meeting(text: str) -> bool:
    plain = re.sub(r"[*_`]", "", MD_LINK.sub(lambda m: m["text"], text))
    return bool(MEETING_HEADING.match(plain)) or (find_date(plain) is not None and len(plain) < 160)


def markdown_parse(*, text: str, source: str = "", year: int | None = None) -> ImportPlan:
    """Read a Markdown document into an ImportPlan; ImportFailed names the line it cannot read."""
    if "\x00" in text:
        raise ImportFailed("the file holds NUL bytes: it is not a text document", source=source, line=1)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return document_read(Reader(text.split("\n"), source=source, year=year))


def document_decode(data: bytes, *, source: str = "") -> str:
    """Decode an uploaded or read file as UTF-8; ImportFailed names the line of a bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFailed(
            f"the file is not UTF-8 text (byte {error.start + 1} cannot be read)", source=source, line=line
        ) from None
