"""Meetings written one per row: a schedule table, or a dated list (one entry per meeting).

``| Date | Presenter | Paper | Slides |`` in any column order and with any of the usual header
words; ``- 2023-03-14 — Ada Lovelace: Attention Is All You Need [arXiv](…)``; ``**Week 5 (Jan 29)**
host …``. Each row becomes a meeting whose cells are kept, labelled by their column, as its
description; a column's header names the kind of the links in it (slides, video, code …).
"""

import re

from meetings.services.importer.parse.blocks import heading_words
from meetings.services.importer.parse.dates import find_date
from meetings.services.importer.parse.headings import MEETING_WORDS, tidy_title
from meetings.services.importer.parse.links import MD_LINK, html_links, link_read, links_read
from meetings.services.importer.parse.people import people_in, talk_from_text
from meetings.services.importer.parse.plan import (
    DESCRIPTION,
    MAX_TITLE,
    PlannedMeeting,
    PlannedSection,
    PlannedSpeaker,
    Reader,
)
from meetings.services.importer.parse.sessions import date_read
from meetings.services.research_lines import BULLET

TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)+\|?\s*$")
COLUMN_ROLES = [
    ("date", re.compile(r"^(?:date|dates|when|day|week|session date|meeting date)$")),
    (
        "speaker",
        re.compile(r"presenter|speaker|who|host|lead|leader|facilitator|^name|presented by|discussant"),
    ),
    ("title", re.compile(r"paper|title|topic|talk|reading|subject|article|book|chapter|theme")),
]
# An entry's date stands first: "2023-03-14 —", "**Week 5 (Jan 29)**", "~~12 March~~".
ENTRY_PREFIX = re.compile(rf"^(?:[\s(\[*_~]|(?:{MEETING_WORDS})\s*\d+\s*[(:,\u2013\u2014-]?\s*)*$", re.I)
CANCELLED_WORDS = re.compile(r"\b(?:cancell?ed|postponed|no meeting)\b", re.I)


def _cells(line: str) -> list[str]:
    text = line.strip()
    text = text[1:] if text.startswith("|") else text
    text = text[:-1] if text.endswith("|") and not text.endswith("\\|") else text
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", text)]


def _roles(headers: list[str]) -> list[str]:
    roles = []
    for header in headers:
        words = heading_words(header)
        role = next((name for name, pattern in COLUMN_ROLES if pattern.search(words)), "other")
        roles.append(role if role not in roles or role == "other" else "other")
    return roles


def rows_read(reader: Reader, free: list[int]) -> tuple[list[PlannedMeeting], set[int]]:
    """The meetings written as table rows or dated entries on the given lines; the lines they took."""
    meetings, taken = [], set()
    free_set = set(free)
    index = 0
    while index < len(free):
        number = free[index]
        line = reader.lines[number - 1]
        following = number + 1
        if "|" in line and following in free_set and TABLE_RULE.match(reader.lines[following - 1]):
            end = _table(reader, number, free_set, meetings, taken)
            while index < len(free) and free[index] <= end:
                index += 1
            continue
        index += 1
    _entries(reader, [n for n in free if n not in taken], meetings, taken)
    meetings.sort(key=lambda m: m.line)
    return meetings, taken


def _table(reader: Reader, header_line: int, free: set[int], meetings: list, taken: set[int]) -> int:
    """Read one table from its header line; returns its last line."""
    headers = [html_links(cell) for cell in _cells(reader.lines[header_line - 1])]
    rows, number = [], header_line + 2
    while number in free and "|" in reader.lines[number - 1] and reader.lines[number - 1].strip():
        rows.append((number, [html_links(cell) for cell in _cells(reader.lines[number - 1])]))
        number += 1
    last = number - 1
    roles = _roles(headers)
    if "date" not in roles:
        dated = [
            i
            for i in range(len(headers))
            if sum(_is_date(r[i]) for _, r in rows if i < len(r)) * 2 > len(rows)
        ]
        if not dated:
            return last  # a table, not a schedule: it stays in the text around it
        roles[dated[0]] = "date"
    taken.update(range(header_line, last + 1))
    for row_line, cells in rows:
        cells += [""] * (len(headers) - len(cells))
        by_role = {role: cells[i] for i, role in enumerate(roles) if role != "other"}
        labelled = [(headers[i] or f"Column {i + 1}", cells[i]) for i in range(len(headers)) if cells[i]]
        names = people_in(MD_LINK.sub(lambda m: m["text"], by_role.get("speaker", "")))
        meetings.append(
            _row_meeting(reader, row_line, by_role.get("date", ""), by_role.get("title", ""), names, labelled)
        )
    return last


def _is_date(cell: str) -> bool:
    """A cell that is a date (give or take a weekday or a time), not text that holds one."""
    plain = re.sub(r"[*_~`]", "", MD_LINK.sub(lambda m: m["text"], cell)).strip()
    found = find_date(plain)
    return bool(found) and (found.end - found.start) * 2 >= len(plain)


def _entries(reader: Reader, free: list[int], meetings: list, taken: set[int]) -> None:
    """Dated entries, when a document has at least two: each with the indented lines under it."""
    heads = []
    for number in free:
        raw = reader.lines[number - 1]
        bullet = BULLET.match(raw)
        if raw[:1].isspace() and not bullet:
            continue
        text = BULLET.sub("", raw, count=1) if bullet else raw
        found = find_date(text)
        if found and found.start <= 30 and ENTRY_PREFIX.match(text[: found.start]):
            heads.append((number, len(raw) - len(raw.lstrip()), text, found))
    if len(heads) < 2:
        return
    free_set = set(free)
    for number, indent, text, found in heads:
        body = [(number, text)]
        following = number + 1
        while following in free_set and reader.lines[following - 1].strip():
            child = reader.lines[following - 1]
            if len(child) - len(child.lstrip()) <= indent:
                break
            body.append((following, child.strip()))
            following += 1
        taken.update(n for n, _ in body)
        date_text = text[: found.end]
        rest = re.sub(r"^[\s)\]*_~:,.\u2013\u2014-]+|[\s*_~]+$", "", text[found.end :])
        plain = MD_LINK.sub(lambda m: m["text"] if not _is_bare(m) else "", rest)
        plain = re.sub(r"\[\s*[,;]?\s*\]|\(\s*\)|<?https?://\S+", " ", plain)
        names, title = talk_from_text(plain)
        labelled = [("", rest)] + [("", line) for _, line in body[1:]]
        meeting = _row_meeting(reader, number, date_text, title, names, labelled, lines=body)
        meeting.cancelled = meeting.cancelled or text.lstrip().startswith("~~")
        meetings.append(meeting)


def _is_bare(match) -> bool:
    """A link whose text only names its kind ("slides", "arXiv", "video"): not part of a title."""
    return bool(
        re.fullmatch(
            r"\W*(?:pdf|slides?|video|recording|code|notebook|arxiv|paper|link|doi|github|colab)\W*",
            match["text"],
            re.I,
        )
    )


def _row_meeting(
    reader: Reader, line: int, date_text: str, title: str, names: list[str], labelled: list, lines=None
) -> PlannedMeeting:
    plain_date = MD_LINK.sub(lambda m: m["text"], date_text)
    meeting = PlannedMeeting(key="", line=line, heading=plain_date.strip(), title="")
    found = find_date(plain_date)
    rest = date_read(reader, meeting, found, plain_date) if found else plain_date
    title_plain = re.sub(r"[*_~]", "", MD_LINK.sub(lambda m: m["text"], title))
    title_plain = tidy_title(CANCELLED_WORDS.sub(" ", title_plain))
    meeting.title = (title_plain or tidy_title(re.sub(r"[*_~()]", " ", rest)))[:MAX_TITLE]
    body_lines = [f"- {label}: {value}" if label else value for label, value in labelled]
    numbers = [n for n, _ in lines] if lines else [line] * len(body_lines)
    section = PlannedSection(
        kind=DESCRIPTION, heading="", body="\n".join(body_lines), first_line=line, last_line=numbers[-1],
        lines=list(zip(numbers, body_lines, strict=True)),
    )  # fmt: skip
    meeting.sections.append(section)
    links_read(reader, meeting)
    paper = next(
        (m for m in MD_LINK.finditer(title) if link_read(reader, m["target"], line, quiet=True)), None
    )
    url = link_read(reader, paper["target"], line, quiet=True)[0] if paper else ""
    for name in names:
        meeting.speakers.append(PlannedSpeaker(name=name, title=title_plain, line=line, resource_url=url))
    meeting.cancelled = bool(CANCELLED_WORDS.search(" ".join(body_lines)))
    if found:
        meeting.key = (
            f"date-{found.month:02d}-{found.day:02d}"  # as a dated heading's, so an export reads back
        )
    else:
        meeting.key = re.sub(r"[^a-z0-9]+", "-", meeting.title.lower()).strip("-")[:80] or "meeting"
    return meeting
