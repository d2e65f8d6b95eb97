"""Research items: checklists, "To research" lists and sections, each item keyed for re-imports."""

import hashlib
import re

from meetings.services.importer.parse.blocks import heading_words, is_rule, trim_block
from meetings.services.importer.parse.links import MD_LINK, link_read
from meetings.services.importer.parse.plan import (
    MAX_ITEM,
    MAX_KEY,
    NOTES,
    RESEARCH,
    PlannedItem,
    PlannedMeeting,
    PlannedSection,
    Reader,
)
from meetings.services.research_lines import BOX, BULLET, MENTION, research_line_read


def normalise_item(text: str) -> str:
    """An item's identity: its words, without markup or the @member it is assigned to."""
    text = MENTION.sub(" ", text)
    text = MD_LINK.sub(lambda m: m["text"], text)
    text = re.sub(r"[*_~`]", "", text)
    return re.sub(r"\s+", " ", text).strip(" .;:").lower()


def item_key(meeting_key: str, text: str) -> str:
    digest = hashlib.sha1(normalise_item(text).encode()).hexdigest()[:16]
    return f"{meeting_key[: MAX_KEY - 18]}:{digest}"


def dedupe_items(items: list[PlannedItem]) -> list[PlannedItem]:
    """One item per key; a later mention of the same item (an export's list) gives its state."""
    by_key: dict[str, PlannedItem] = {}
    for item in items:
        if item.key in by_key:
            first = by_key[item.key]
            first.status, first.reason = item.status, item.reason
            first.url = first.url or item.url
        else:
            by_key[item.key] = item
    return list(by_key.values())


TRIGGER = re.compile(
    r"to[- ]?research|to[- ]?do|todo|research(?: items)?|action items?|actions|follow[- ]?ups?|to read"
)


def research_read(reader: Reader, meeting: PlannedMeeting) -> None:
    """Checklists, "To research:" lists and a "To research" section become research items."""
    for section in meeting.sections:
        if section.kind == RESEARCH:
            _research_section(reader, section, meeting)
            continue
        lines = section.lines
        index = 0
        while index < len(lines):
            number, raw = lines[index]
            bullet = BULLET.match(raw)
            text = BULLET.sub("", raw, count=1).strip() if bullet else raw.strip()
            if TRIGGER.fullmatch(re.sub(r"[*_]", "", text).strip().rstrip(":").strip().lower()):
                index = _listed_items(reader, lines, index, meeting)
                continue
            if bullet and BOX.match(text):
                item_read(reader, raw, number, meeting)
            index += 1


def _research_section(reader: Reader, section: PlannedSection, meeting: PlannedMeeting) -> None:
    leftover = []
    for number, raw in section.lines:
        if raw.strip() and not is_rule(raw) and item_read(reader, raw, number, meeting) is None:
            leftover.append(raw)
    if heading_words(section.heading) != "to research":
        # The club's own list ("Action items") stays on the page as written, as
        # checklists in minutes do; only an export's "To research" list is the items alone.
        section.kind = NOTES
    elif any(line.strip() for line in leftover):
        section.body, section.kind = trim_block(leftover), NOTES


def _listed_items(reader: Reader, lines: list[tuple[int, str]], index: int, meeting: PlannedMeeting) -> int:
    """The list under a "To research:" line, each entry an item; the index after the list."""
    bullet = BULLET.match(lines[index][1])
    indent = len(bullet["indent"]) if bullet else -1
    index += 1
    block_indent = None
    while index < len(lines):
        number, raw = lines[index]
        if not raw.strip():
            index += 1
            continue
        own_indent = len(raw) - len(raw.lstrip())
        child = BULLET.match(raw)
        if (bullet and own_indent <= indent) or (not bullet and not child and own_indent == 0):
            break
        if child and (block_indent is None or own_indent <= block_indent):
            block_indent = own_indent
            item_read(reader, raw, number, meeting)
        elif meeting.items:
            # A wrapped line or a sub-bullet belongs to the item above it.
            extra = BULLET.sub("", raw, count=1).strip()
            last = meeting.items[-1]
            last.text = f"{last.text}; {extra}" if child else f"{last.text} {extra}"
        index += 1
    return index


def item_read(reader: Reader, raw: str, number: int, meeting: PlannedMeeting) -> PlannedItem | None:
    """One research-item line (the syntax of research_lines) into the meeting's items."""
    read = research_line_read(raw)
    if read is None or not read.text:
        return None
    text = read.text
    if len(text) > MAX_ITEM:
        reader.warn(number, f"a research item longer than {MAX_ITEM} characters was cut short")
        text = text[:MAX_ITEM]
    url = ""
    for match in MD_LINK.finditer(text):
        if parsed := link_read(reader, match["target"], number, quiet=True):
            url = parsed[0]
            break
    item = PlannedItem(key="", text=text, status=read.status, reason=read.reason, line=number, url=url)
    meeting.items.append(item)
    return item
