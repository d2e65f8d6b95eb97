"""One meeting: its heading (date, time, title, speakers) and the sections under it."""

import calendar
import contextlib
import re
from datetime import date

from meetings.services.importer.parse.blocks import (
    CANCELLED,
    heading_words,
    o_bullet,
    promote_headings,
    slug,
    trim_block,
)
from meetings.services.importer.parse.dates import TIME_IN_TEXT, find_date, find_time
from meetings.services.importer.parse.headings import (
    MEETING_HEADING,
    Heading,
    heading_label,
    section_kind,
    talk_title,
    tidy_title,
)
from meetings.services.importer.parse.items import research_read
from meetings.services.importer.parse.links import MD_LINK, heading_links_read, links_read
from meetings.services.importer.parse.people import (
    NAMES,
    names_in,
    speakers_read,
    split_names,
    talk_from_text,
)
from meetings.services.importer.parse.plan import (
    DESCRIPTION,
    MAX_TITLE,
    NOTES,
    STANDARD_LABELS,
    PlannedMeeting,
    PlannedSection,
    PlannedSpeaker,
)


def meeting_read(reader, heading: Heading, end: int, inner: list[Heading], skip: set[int]) -> PlannedMeeting:
    """The meeting a heading starts, with everything down to line ``end``."""
    plain_heading = re.sub(r"\s+", " ", MD_LINK.sub(lambda m: m["text"], heading.text)).strip()
    meeting = PlannedMeeting(key="", line=heading.line, heading=heading.text, title=plain_heading)
    heading_links_read(reader, meeting, heading.text)
    found = find_date(plain_heading)
    title = tidy_title(date_read(reader, meeting, found, plain_heading))
    title = _heading_speakers(meeting, title)
    if marked := MARKED_CANCELLED.search(title):
        # "Normalising flows (cancelled)", "29 Jan — cancelled": the meeting did not take place.
        title, meeting.cancelled_mark = tidy_title(title[: marked.start()]), True
    if len(title) > MAX_TITLE:
        reader.warn(heading.line, f"the heading is longer than {MAX_TITLE} characters: cut short")
        title = title[:MAX_TITLE]
    meeting.title = title
    if match := MEETING_HEADING.match(re.sub(r"[*_`]", "", plain_heading)):
        meeting.key = f"{match['word'].lower()}-{match['number'].lower()}"
    elif found:
        meeting.key = f"date-{found.month:02d}-{found.day:02d}"
    else:
        meeting.key = slug(title)[:80] or "meeting"

    sections_read(reader, meeting, heading, end, inner, skip)
    first_words = next((s.body for s in meeting.sections if s.body), "")
    meeting.cancelled = bool(
        meeting.cancelled_mark or CANCELLED.match(plain_heading) or CANCELLED.match(first_words)
    )
    _part_speakers(meeting)
    speakers_read(reader, meeting)
    research_read(reader, meeting)
    links_read(reader, meeting)
    return meeting


MARKED_CANCELLED = re.compile(r"(?:^|[\s(\u2013\u2014-])\(?(?:cancell?ed|postponed)\)?\W*$", re.I)


def date_read(reader, meeting: PlannedMeeting, found, title: str) -> str:
    """Date the meeting from its heading; the heading's words without the date and time.

    "MONDAY 12th October", "12 October 2020", "2020-10-12": the year from the heading, else
    --year or the document, rolling over when the months run backwards.
    """
    if not found:
        return title
    line = meeting.line
    written = title[found.start : found.end].strip()
    year = found.year or reader.group_year or reader.plan.year
    if year is None:
        try:
            date(2000, found.month, found.day)  # a leap year: 29 February is possible
        except ValueError:
            reader.warn(
                line,
                f"“{written}” is not a date (no day {found.day} in "
                f"{calendar.month_name[found.month]}): kept in the text, the meeting is not dated",
            )
            return title
        reader.warn(
            line,
            f"“{written}” has no year: the meeting is imported "
            "without a date (pass --year, or set the date on the site)",
        )
        return title
    try:
        meeting.date = date(year, found.month, found.day)
    except ValueError:
        reader.warn(
            line,
            f"“{written}” is not a date (there is no {found.day} "
            f"{calendar.month_name[found.month]} {year}): kept in the text, the meeting is not dated",
        )
        return title
    if found.year is None and reader.previous_date and meeting.date < reader.previous_date:
        with contextlib.suppress(ValueError):  # 29 February of a leap year, rolled over
            meeting.date = meeting.date.replace(year=year + 1)
    if found.weekday is not None and meeting.date.weekday() != found.weekday:
        reader.warn(
            line,
            f"{meeting.date:%-d %B %Y} is a {meeting.date:%A}, not a {calendar.day_name[found.weekday]}",
        )
    reader.previous_date = meeting.date
    title = title[: found.start] + " " + title[found.end :]
    meeting.time = find_time(title)
    if meeting.time:
        title = TIME_IN_TEXT.sub(" ", title, count=1)
    return title


def _heading_speakers(meeting: PlannedMeeting, title: str) -> str:
    """Speakers named in the heading: "Lecture 3: Title (Jane Doe & John Roe)", "… presented by X"."""
    bracket = re.search(r"\((?P<names>[^()]+)\)\s*$", title)
    if bracket and (names := split_names(bracket["names"])):
        title = tidy_title(title[: bracket.start()])
        for name in names:
            meeting.speakers.append(PlannedSpeaker(name=name, title=talk_title(title), line=meeting.line))
    by = re.search(
        rf"[\s,:\u2013\u2014-]*\b(?:presented|led|given|taught|run|hosted|chaired) by"
        rf"\s+(?P<names>{NAMES})\s*$",
        title,
    )
    if by and (names := names_in(by["names"])):
        # "…, presented by X" stays in the title as the club wrote it; the talk gets the rest.
        rest = talk_title(tidy_title(title[: by.start()]))
        for name in names:
            meeting.speakers.append(PlannedSpeaker(name=name, title=rest, line=meeting.line))
    return title


def _part_speakers(meeting: PlannedMeeting) -> None:
    """A part of a session that names its speaker ("Part 2: Graphs by Alan Turing") is a talk."""
    for section in meeting.sections:
        plain = re.sub(r"[*_`]", "", MD_LINK.sub(lambda m: m["text"], section.heading))
        if not MEETING_HEADING.match(plain):
            continue
        names, title = talk_from_text(MEETING_HEADING.sub("", plain, count=1))
        for name in names:
            if all(s.name.lower() != name.lower() for s in meeting.speakers):
                meeting.speakers.append(PlannedSpeaker(name=name, title=title, line=section.first_line))


def sections_read(reader, meeting, heading, end, inner, skip) -> None:
    """Cut the meeting's lines into sections at the headings the importer knows."""
    intro = PlannedSection(kind=DESCRIPTION, heading="", body="", first_line=0, last_line=0)
    current, level = intro, heading.level
    sections = [intro]
    inner_at = {h.line: h for h in inner}
    for number in range(heading.line + 1, end + 1):
        if number in skip:
            continue
        sub = inner_at.get(number)
        if sub is not None:
            kind = section_kind(sub.text)
            # A heading the importer does not know starts a notes section, unless it sits
            # deeper than the section it is in: then it is part of that section's text.
            if kind is not None or sub.level <= level or current is intro:
                current = PlannedSection(
                    kind=kind or NOTES, heading=heading_label(sub.text), body="",
                    first_line=number, last_line=number,
                )  # fmt: skip
                level = level if sub.pseudo else sub.level  # a bold label does not deepen the section
                sections.append(current)
                continue
        current.lines.append((number, reader.lines[number - 1]))
    for section in sections:
        body = promote_headings(trim_block([o_bullet(text) for _, text in section.lines]))
        numbers = [n for n, text in section.lines if text.strip()]
        if numbers:
            section.first_line = section.first_line or numbers[0]
            section.last_line = numbers[-1]
        if not body and not section.heading:
            continue
        if (
            section.kind in STANDARD_LABELS
            and heading_words(section.heading) not in STANDARD_LABELS[section.kind]
        ):
            # The club's own heading ("Topics", "Discussion notes") stays with its text.
            body = f"**{section.heading}**\n\n{body}".strip()
        section.body = body
        meeting.sections.append(section)
