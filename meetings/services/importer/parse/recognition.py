"""The recognition map: each line of the source, marked with what the import made of it.

The preview shows it beside the document and ``--json`` reports it, so an organiser sees at a
glance what was understood (a meeting, its date, a speaker, a research item, a resource) and
what was kept as text.
"""

from meetings.services.importer.parse.plan import AGENDA, MINUTES, RECAP, ImportPlan

SERIES, DESCRIPTION_TEXT, MEETING, DATE, SPEAKER, TALK = (
    "series", "series description", "meeting", "date", "speaker", "talk",
)  # fmt: skip
SECTION, ITEM, RESOURCE, TEXT = "section", "research item", "resource", "text"
SECTION_LABELS = {MINUTES: "minutes", RECAP: "recap", AGENDA: "agenda"}


def recognition_map(plan: ImportPlan, lines: list[str]) -> list[dict]:
    """One entry per source line: its number, its text, and what it became (most specific first)."""
    marks: dict[int, list[str]] = {}

    def mark(line: int | None, label: str) -> None:
        if line:
            marks.setdefault(line, [])
            if label not in marks[line]:
                marks[line].append(label)

    if plan.title_line:
        mark(plan.title_line, SERIES)
    for link in plan.description_links:
        mark(link.line, RESOURCE)
    for meeting in plan.meetings:
        mark(meeting.line, MEETING)
        if meeting.date:
            mark(meeting.line, DATE)
        for speaker in meeting.speakers:
            mark(speaker.line, TALK if speaker.title else SPEAKER)
        for item in meeting.items:
            mark(item.line, ITEM)
        for link in meeting.links + meeting.heading_links:
            mark(link.line, RESOURCE)
        for section in meeting.sections:
            label = f"{SECTION_LABELS.get(section.kind, section.kind)} section"
            for number, _ in section.lines:
                mark(number, label)
            if section.heading:
                mark(section.first_line, label)
    if plan.description_lines:
        # The opening's lines not taken by a meeting written in it (a table row, a dated entry).
        first, last = plan.description_lines
        for number in range(first, last + 1):
            if not any(label != RESOURCE for label in marks.get(number, [])):
                mark(number, DESCRIPTION_TEXT)
    return [
        {"line": number, "text": text, "became": marks.get(number, [TEXT] if text.strip() else [])}
        for number, text in enumerate(lines, start=1)
    ]
