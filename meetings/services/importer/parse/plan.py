"""The ImportPlan a document is read into: plain data the preview shows and the writer applies."""

import datetime
from dataclasses import dataclass, field

# Section kinds: the four MeetingSection kinds, the two Minutes kinds, the agenda, and two
# that are read into other rows (research items, talks) rather than stored as text.
MINUTES, RECAP, AGENDA = "minutes", "recap", "agenda"
DESCRIPTION, MATERIALS, READING, NOTES = "description", "materials", "reading", "notes"
RESEARCH, SPEAKERS = "research", "speakers"
SECTION_KINDS = (DESCRIPTION, MATERIALS, READING, NOTES)
# The headings an export writes, and the ones an import takes as the plain label of a kind.
KIND_HEADINGS = {
    MINUTES: "Minutes",
    RECAP: "Post-meeting recap",
    AGENDA: "Agenda",
    RESEARCH: "To research",
    SPEAKERS: "Speakers",
}
STANDARD_LABELS = {
    MINUTES: {"minutes", "meeting minutes"},
    RECAP: {"post-meeting recap", "post meeting recap", "recap"},
    AGENDA: {"agenda"},
}

MAX_TITLE = 300
DASHES = "\u2013\u2014"  # en and em dash: separators in headings ("Lecture 1 \u2014 Monday")
MAX_ITEM = 1000
MAX_KEY = 200


class ImportFailed(Exception):
    """The document cannot be imported; the message names the file and line."""

    def __init__(reader, message: str, *, source: str = "", line: int | None = None):
        reader.message, reader.source, reader.line = message, source, line
        where = ", ".join(part for part in [source, f"line {line}" if line else ""] if part)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass
class Notice:
    line: int
    message: str
    source: str = ""

    def __str__(reader):
        where = ", ".join(
            part for part in [reader.source, f"line {reader.line}" if reader.line else ""] if part
        )
        return f"{where}: {reader.message}" if where else reader.message


@dataclass
class PlannedLink:
    url: str  # the library's normalised URL
    href: str  # as written (after adding a missing scheme)
    title: str
    kind: str
    section: str
    line: int
    has_identifier: bool = False


@dataclass
class PlannedSpeaker:
    name: str
    title: str = ""
    line: int = 0
    resource_url: str = ""


@dataclass
class PlannedItem:
    key: str
    text: str
    status: str  # open / done / dropped
    reason: str
    line: int
    url: str = ""  # the item's first link, normalised: it becomes the item's resource


@dataclass
class PlannedSection:
    kind: str
    heading: str
    body: str
    first_line: int
    last_line: int
    key: str = ""
    lines: list[tuple[int, str]] = field(default_factory=list, repr=False)


@dataclass
class PlannedMeeting:
    key: str
    line: int
    heading: str
    title: str
    date: datetime.date | None = None
    time: datetime.time | None = None
    speakers: list[PlannedSpeaker] = field(default_factory=list)
    sections: list[PlannedSection] = field(default_factory=list)
    items: list[PlannedItem] = field(default_factory=list)
    links: list[PlannedLink] = field(default_factory=list)
    recording_url: str = ""
    heading_links: list[PlannedLink] = field(default_factory=list)
    cancelled: bool = False
    cancelled_mark: bool = False  # the heading says so ("… (cancelled)")

    def bodies(reader, kind: str) -> list[PlannedSection]:
        return [section for section in reader.sections if section.kind == kind]

    def text_of(reader, kind: str) -> str:
        """The Markdown for a kind stored as one text (minutes, recap, agenda)."""
        return "\n\n".join(section.body for section in reader.bodies(kind) if section.body).strip()


@dataclass
class ImportPlan:
    source: str
    title: str  # the document's title, as the series' name (a known label like "Outline:" removed)
    title_line: int | None
    description: str  # the opening text, Markdown
    description_lines: tuple[int, int] | None
    header_lines: list[str] = field(
        default_factory=list
    )  # front matter, and a title line changed in the name
    meetings: list[PlannedMeeting] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    year: int | None = None
    weekday: int | None = None
    cadence_weeks: int | None = None
    start_time: datetime.time | None = None
    line_count: int = 0
    title_raw: str = ""  # the heading line the title came from, as written
    document_title: str = ""  # the title as written, before a label like "Outline:" is taken off
    description_links: list[PlannedLink] = field(default_factory=list)  # the opening text's links
    # (a short name, the fuller names it may be): "CK" and "Dr. CK Chan", for the organiser to confirm
    same_people: list[tuple[str, list[str]]] = field(default_factory=list)
    one_meeting: bool = False  # the document is one meeting's page (one file per meeting)

    def warn(reader, line: int, message: str) -> None:
        reader.warnings.append(Notice(line=line, message=message, source=reader.source))

    def series_description(reader, *, name: str) -> str:
        """The opening text, headed by a comment that keeps what the name and front matter took."""
        header = list(reader.header_lines)
        if reader.title_raw and name != reader.document_title and reader.title_raw not in header:
            header.append(reader.title_raw)
        if not header:
            return reader.description
        comment = "<!-- From the imported document:\n" + "\n".join(header).replace("-->", "- ->") + "\n-->"
        return comment + ("\n\n" + reader.description if reader.description else "")


class Reader:
    """One document being read: its lines, the plan being filled, and the options given."""

    def __init__(self, lines: list[str], *, source: str, year: int | None):
        self.lines, self.source, self.year_option = lines, source, year
        self.plan = ImportPlan(
            source=source, title="", title_line=None, description="", description_lines=None,
            line_count=len(lines),
        )  # fmt: skip
        self.previous_date: datetime.date | None = None
        # The year of the heading that groups the meetings being read ("## 2023", "## Autumn term 2024").
        self.group_year: int | None = None
        self.year_headings: list[tuple[int, int, int]] = []  # (line, level, year) of headings naming a year

    def year_before(self, line: int, level: int = 7) -> int | None:
        """The year of the nearest heading above the line (and above the level) that names one."""
        found = [year for at, lvl, year in self.year_headings if at < line and lvl < level]
        return found[-1] if found else None

    def fail(self, line: int, message: str):
        raise ImportFailed(message, source=self.source, line=line)

    def warn(self, line: int, message: str) -> None:
        self.plan.warn(line, message)
