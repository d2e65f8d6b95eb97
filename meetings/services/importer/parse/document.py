"""A whole document: front matter, title, opening text, and the meetings in it."""

import re
from datetime import date

from meetings.services.importer.parse.blocks import front_matter, trim_block
from meetings.services.importer.parse.dates import WEEKDAYS, YEAR_IN_TEXT, find_date, find_time
from meetings.services.importer.parse.headings import DOCUMENT_LABEL, MEETING_HEADING, Heading, headings_scan
from meetings.services.importer.parse.items import dedupe_items, item_key
from meetings.services.importer.parse.links import MD_LINK, links_read
from meetings.services.importer.parse.people import people_resolve
from meetings.services.importer.parse.plan import (
    DESCRIPTION,
    MAX_KEY,
    MAX_TITLE,
    ImportFailed,
    ImportPlan,
    PlannedMeeting,
    PlannedSection,
    Reader,
)
from meetings.services.importer.parse.rows import rows_read
from meetings.services.importer.parse.sessions import meeting_read
from meetings.text import clean_text


def document_read(reader: Reader) -> ImportPlan:
    """Fill the reader's plan: the series' name and opening text, then each meeting in order."""
    plan = reader.plan
    body_start, front, front_lines = front_matter(reader)
    if not any(line.strip() for line in reader.lines[body_start:]) and not front:
        reader.fail(1, "the document is empty")
    headings = headings_scan(reader.lines, body_start)
    skip = {h.line + 1 for h in headings if h.setext}  # the underline of a setext heading
    sessions = _sessions([h for h in headings if not h.pseudo and is_meeting(h.text)])
    first_meeting = sessions[0].line if sessions else len(reader.lines) + 1
    _title(reader, front, headings, first_meeting, skip)
    plan.header_lines = [line.rstrip() for line in front_lines]
    year = document_year(front)
    opening_text = " ".join(reader.lines[body_start : first_meeting - 1])
    if year is None and (found := YEAR_IN_TEXT.search(plan.document_title + " " + opening_text)):
        year = int(found.group(1))
    plan.year = reader.year_option or year
    reader.year_headings = [
        (h.line, h.level, int(m.group(1)))
        for h in headings
        if h not in sessions and not find_date(h.text) and (m := YEAR_IN_TEXT.search(h.text))
    ]
    ranges = _ranges(reader, headings, sessions)
    in_sessions = {n for start, end in ranges for n in range(start, end + 1)}
    free = [n for n in range(body_start + 1, len(reader.lines) + 1) if n not in skip and n not in in_sessions]
    rows, taken = rows_read(reader, free)
    one = _one_meeting(reader, front, headings, skip) if not sessions and not rows else None
    if one is None:
        _description(reader, front, [n for n in free if n not in taken], body_start)
    series_habits(reader, opening_text + " " + plan.document_title)
    plan.start_time = find_time(opening_text)
    meetings = [one] if one else _meetings(reader, headings, sessions, ranges, skip) + rows
    _finish(reader, sorted(meetings, key=lambda m: m.line))
    people_resolve(plan)
    if not plan.meetings and not plan.description:
        reader.fail(body_start + 1, "nothing to import: no meetings and no text")
    return plan


def _description(reader: Reader, front: dict, lines: list[int], body_start: int) -> None:
    """The text outside every meeting (before the first, and under headings that group them)."""
    plan = reader.plan
    description = trim_block([reader.lines[n - 1] for n in lines])
    if front.get("description") and str(front["description"]).strip() not in description:
        description = (str(front["description"]).strip() + "\n\n" + description).strip()
    plan.description = description
    if description:
        written = [n for n in lines if reader.lines[n - 1].strip()] or [body_start + 1]
        plan.description_lines = (written[0], written[-1])
        # The opening's links (a playlist, a project page, a notebook) join the library too.
        holder = PlannedMeeting(key="", line=written[0], heading="", title="")
        holder.sections.append(
            PlannedSection(kind=DESCRIPTION, heading="", body=description, first_line=written[0],
                           last_line=written[-1], lines=[(n, reader.lines[n - 1]) for n in lines])
        )  # fmt: skip
        links_read(reader, holder)
        plan.description_links = holder.links


CONTAINER_WORDS = {"day", "week", "module", "unit", "chapter"}


def _sessions(meeting_headings: list[Heading]) -> list[Heading]:
    """The headings that start a meeting. "Part 1" under "Session 3" is a part of that session;
    "Lecture 1" under "Day 1" is a meeting of that day (a day or a week holds meetings)."""
    kept: list[Heading] = []
    stack: list[Heading] = []
    for heading in meeting_headings:
        while stack and stack[-1].level >= heading.level:
            stack.pop()
        if stack and not _holds_meetings(stack[-1]):
            continue
        kept.append(heading)
        stack.append(heading)
    return kept


def _holds_meetings(heading: Heading) -> bool:
    plain = re.sub(r"[*_`]", "", MD_LINK.sub(lambda m: m["text"], heading.text))
    match = MEETING_HEADING.match(plain)
    return match is None or match["word"].lower() in CONTAINER_WORDS


def _ranges(reader: Reader, headings: list[Heading], sessions: list[Heading]) -> list[tuple[int, int]]:
    """Each session's lines: to the next session, or to a heading above its level that groups sessions."""
    ranges = []
    for position, heading in enumerate(sessions):
        end = sessions[position + 1].line - 1 if position + 1 < len(sessions) else len(reader.lines)
        inside = (h for h in headings if heading.line < h.line <= end and not h.pseudo)
        group = next((h for h in inside if h.level < heading.level and h not in sessions), None)
        ranges.append((heading.line, group.line - 1 if group else end))
    return ranges


def _one_meeting(reader: Reader, front: dict, headings: list[Heading], skip: set[int]):
    """A document that is one meeting's page, dated by its front matter or its file name."""
    plan = reader.plan
    when = front.get("date")
    found = when if isinstance(when, date) else None
    if found is None and when and (written := find_date(str(when))) and written.year:
        found = date(written.year, written.month, written.day)
    if found is None and (named := re.search(r"((?:19|20)\d{2})-(\d{2})-(\d{2})", plan.source)):
        found = date(*map(int, named.groups()))
    title = next((h for h in headings if h.line == plan.title_line and not h.pseudo), None)
    if found is None or title is None:
        return None
    skip.discard(title.line)
    inner = [h for h in headings if h.line > title.line]
    meeting = meeting_read(reader, title, len(reader.lines), inner, skip)
    meeting.date = meeting.date or found
    meeting.key = f"date-{meeting.date:%m-%d}"  # as a dated heading's, so its export reads back
    plan.one_meeting = True
    plan.title, plan.title_line, plan.title_raw = "", None, ""
    return meeting


def _meetings(reader: Reader, headings, sessions, ranges, skip) -> list:
    meetings = []
    enclosing: list[tuple[int, date | None]] = []
    for heading, (start, end) in zip(sessions, ranges, strict=True):
        inner = [h for h in headings if start < h.line <= end]
        reader.group_year = reader.year_before(heading.line, heading.level)
        meeting = meeting_read(reader, heading, end, inner, skip)
        # "Day 1 — 10 July" over "Lecture 1", "Lecture 2": the lectures are on that day.
        while enclosing and enclosing[-1][0] >= heading.level:
            enclosing.pop()
        if meeting.date is None and enclosing and enclosing[-1][1]:
            meeting.date = enclosing[-1][1]
        enclosing.append((heading.level, meeting.date))
        meetings.append(meeting)
    reader.group_year = None
    return meetings


def _finish(reader: Reader, meetings: list) -> None:
    """Keys, unique in the document, for the meetings, their items and their sections."""
    keys: dict[str, int] = {}
    for meeting in meetings:
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
    return bool(MEETING_HEADING.match(plain)) or (find_date(plain) is not None and len(plain) <= MAX_TITLE)


def markdown_parse(*, text: str, source: str = "", year: int | None = None) -> ImportPlan:
    """Read a Markdown document into an ImportPlan; ImportFailed names the line it cannot read."""
    if "\x00" in text:
        raise ImportFailed("the file holds NUL bytes: it is not a text document", source=source, line=1)
    # Other control characters (pasted from PDFs and terminals) are dropped: feeds and
    # calendars cannot carry them.
    text = clean_text(text)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return document_read(Reader(text.split("\n"), source=source, year=year))
