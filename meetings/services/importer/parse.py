"""Read a club's Markdown document into an ImportPlan: pure, no database.

The plan is what the preview and --dry-run show and what the writer applies. Every line of
the source lands somewhere in it: the series' name or description, a meeting's heading, a
section's body, a research item, a speaker; nothing is silently left out.
"""

import calendar
import contextlib
import datetime
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, time

import yaml

from meetings.markdown import extract_links, markdown_problem
from meetings.text import clean_text
from resources.services.links import InvalidLink, infer_kind, parse_link

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

    def __init__(self, message: str, *, source: str = "", line: int | None = None):
        self.message, self.source, self.line = message, source, line
        where = ", ".join(part for part in [source, f"line {line}" if line else ""] if part)
        super().__init__(f"{where}: {message}" if where else message)


@dataclass
class Notice:
    line: int
    message: str
    source: str = ""

    def __str__(self):
        where = ", ".join(part for part in [self.source, f"line {self.line}" if self.line else ""] if part)
        return f"{where}: {self.message}" if where else self.message


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

    def bodies(self, kind: str) -> list[PlannedSection]:
        return [section for section in self.sections if section.kind == kind]

    def text_of(self, kind: str) -> str:
        """The Markdown for a kind stored as one text (minutes, recap, agenda)."""
        return "\n\n".join(section.body for section in self.bodies(kind) if section.body).strip()


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

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Notice(line=line, message=message, source=self.source))

    def series_description(self, *, name: str) -> str:
        """The opening text, headed by a comment that keeps what the name and front matter took."""
        header = list(self.header_lines)
        if self.title_raw and name != self.document_title and self.title_raw not in header:
            header.append(self.title_raw)
        if not header:
            return self.description
        comment = "<!-- From the imported document:\n" + "\n".join(header).replace("-->", "- ->") + "\n-->"
        return comment + ("\n\n" + self.description if self.description else "")


# --- Lines ----------------------------------------------------------------------------------

ATX = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(?P<char>=+|-+)[ \t]*$")
RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$|^\s*<hr\s*/?>\s*$", re.I)
FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
BULLET = re.compile(r"^(?P<indent>\s*)(?P<marker>[-*+•◦▪]|o|\d+[.)])(?:\s+|$)")
O_BULLET = re.compile(r"^(?P<indent>\s*)[o•◦▪](?=\s+\S)")
BOX = re.compile(r"^\[(?P<mark>[ xX])\]\s*")
STRUCK = re.compile(r"^~~(?P<text>.+?)~~\s*(?P<reason>.*)$")
BOLD_LINE = re.compile(r"^\s*(?:\*\*|__)(?P<text>[^*_]+?)(?:\*\*|__)\s*:?\s*$")
BR = re.compile(r"<br\s*/?>", re.I)
CANCELLED = re.compile(r"^\W*(?:cancell?ed|postponed)\b", re.I)
COMMENT_OPEN, COMMENT_CLOSE = "<!--", "-->"


def _heading_text(text: str) -> str:
    text = BR.sub(" ", text or "")
    text = re.sub(r"\s+", " ", text).strip()
    # Emphasis around the whole heading ("## **Minutes:**") is decoration.
    while len(text) > 4 and text[:2] in ("**", "__") and text[-2:] == text[:2]:
        text = text[2:-2].strip()
    return text


def _label(text: str) -> str:
    """A heading's words for classifying: lower case, no markup, no trailing colon."""
    text = re.sub(r"[*_`]", "", _heading_text(text)).strip().lower()
    return text.rstrip(":").strip()


def _is_rule(line: str) -> bool:
    return bool(RULE.match(line))


# --- Headings: what kind of thing they start ------------------------------------------------

MEETING_WORDS = (
    r"meeting|session|lecture|lesson|part|day|week|class|seminar|talk|module|chapter|workshop|"
    r"tutorial|episode|unit|sprint|lab|practical"
)
NUMBER_WORDS = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
DOCUMENT_LABEL = (
    r"^(?:outline|minutes|notes|meeting notes|agenda|overview|syllabus|schedule|readme)\s*[:\u2013\u2014-]\s*"
)
MEETING_HEADING = re.compile(
    rf"^(?:the\s+)?(?P<word>{MEETING_WORDS})\s*(?:#|no\.?\s*)?(?P<number>\d+[a-z]?|[ivxlc]+|{NUMBER_WORDS})\b",
    re.I,
)

_SECTION_RULES = [
    (RESEARCH, re.compile(r"^(?:to[- ]?research|research(?: items| list)?|to[- ]?do|todo|action items?)$")),
    (SPEAKERS, re.compile(r"^(?:speakers?|presenters?|lecturers?)$")),
    (RECAP, re.compile(r"recap|summary|takeaways?|wrap[- ]?up")),
    (MINUTES, re.compile(r"minutes|^discussion|^meeting notes|^notes$|^notes from|^discussion notes")),
    (AGENDA, re.compile(r"agenda|^topics?\b|^topic list|^plan\b|^programme|^program\b|^schedule$")),
    (
        READING,
        re.compile(r"further|reading|learn more|references|bibliography|relevant links|see also|^links$"),
    ),
    (
        MATERIALS,
        re.compile(
            r"material|slides|notebooks?|recordings?|^meeting activities|^resources$|^code$|^handouts?|"
            r"^exercises?|^downloads?"
        ),
    ),
    (DESCRIPTION, re.compile(r"description|activities|abstract|^overview|^about\b|^summary of activities")),
]


def section_kind(heading: str) -> str | None:
    """The kind a heading under a meeting names, or None for one the importer does not know."""
    label = _label(heading)
    for kind, pattern in _SECTION_RULES:
        if pattern.search(label):
            return kind
    return None


# --- Dates ----------------------------------------------------------------------------------

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


# --- Names ----------------------------------------------------------------------------------

_UP = "A-ZÀ-ÖØ-Þ"
_NAME_WORD = rf"[{_UP}][\w'\u2019.-]*"
_PARTICLE = r"(?:van|von|de|der|den|da|del|di|du|le|la|bin|al)"
NAME = (
    rf"(?:(?:Dr|Prof|Professor|Mr|Mrs|Ms|Mx)\.?\s+)?{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_WORD}){{0,3}}"
)
NAMES = rf"{NAME}(?:\s*(?:,|&|\band\b)\s*{NAME})*"
_STOP_START = {
    "the", "then", "and", "also", "but", "after", "afterwards", "finally", "first", "next", "later",
    "today", "we", "they", "he", "she", "it", "this", "that", "in", "on", "at", "our", "a", "an",
    "here", "there", "meanwhile", "so",
}  # fmt: skip
_NOT_PEOPLE = {
    "participants", "everyone", "group", "team", "students", "attendees", "members", "organisers",
    "organizers", "speaker", "speakers", "researcher", "researchers", "people", "all", "session",
    "presentation", "lecture", "slides", "notebook", "link",
}  # fmt: skip
_ACTIVITY = re.compile(
    r"presentation|talk|lecture|tutorial|activity|session|workshop|demo|hands-on|seminar|keynote|"
    r"introduction|overview|discussion|walkthrough",
    re.I,
)
_BY_VERBS = {"presented", "led", "given", "taught", "run", "hosted", "chaired", "delivered", "introduced"}
_BY_EXCLUDED = {
    "written", "organized", "organised", "created", "made", "funded", "supported", "sponsored",
    "followed", "replaced", "recorded", "inspired", "authored", "shared", "posted", "provided",
    "edited", "maintained", "compiled", "sorted", "caused", "driven", "powered", "trained",
}  # fmt: skip
_PROSE_SPEAKER = re.compile(
    rf"(?P<names>{NAMES})\s+(?:(?:then|also|first|later|next|briefly|finally)\s+)?"
    r"(?:(?P<gave>gave|delivered)\s+(?:a|an|the|his|her|their)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:presentation|talk|introduction|lecture|tutorial|overview|demo|demonstration|walkthrough|keynote|seminar)"
    r"|(?P<led>led|ran)\s+(?:a|an|the)\s+\w"
    r"|presented\s+(?:a|an|the|his|her|their|on)\b)"
)
_BY_SPEAKER = re.compile(rf"(?P<pre>[\w-]+)\s+by\s+(?P<names>{NAMES})")
_LABEL_SPEAKER = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?P<label>speakers?|presenters?|presented by|led by|lecturers?|"
    r"facilitators?|hosts?|chair)\s*:?\s*(?:\*\*|__)?\s*:?\s*(?P<rest>.+)$",
    re.I,
)


def _clean_name(raw: str) -> str:
    words = raw.split()
    while words and words[0].lower() in _STOP_START:
        words.pop(0)
    name = " ".join(words).strip(" ,;:")
    # A sentence's full stop is not part of a name; an initial's ("J.") is.
    if name.endswith(".") and not re.search(r"(?:^|\s)[A-Z]\.$|(?:Dr|Prof|Mr|Mrs|Ms|Mx)\.$", name):
        name = name[:-1]
    if not name or any(word.lower().strip(".,") in _NOT_PEOPLE for word in name.split()):
        return ""
    if not any(ch.islower() for ch in name):
        return ""  # "CNN", "GPU": an acronym, not a person
    return name


def split_names(text: str) -> list[str]:
    """The people in "Jane Doe & John Roe", "A, B and C"; empty when the text is not only names."""
    text = BR.sub(" ", text).strip().rstrip(".")
    text = re.sub(r"[*_]", "", text).strip()
    if not text or not re.fullmatch(NAMES, text):
        return []
    names = [_clean_name(part) for part in re.split(r"\s*(?:,|&|\band\b)\s*", text) if part.strip()]
    return [name for name in names if name]


def _names_in(text: str) -> list[str]:
    names = [_clean_name(part) for part in re.split(r"\s*(?:,|&|\band\b)\s*", text) if part.strip()]
    return [name for name in names if name]


# --- Links ----------------------------------------------------------------------------------

# [text](target "title"), where text may be an image: [![alt](src)](target).
MD_LINK = re.compile(
    r"(?<!!)\[(?P<text>(?:!\[[^\]]*\]\([^)]*\)|[^\[\]])*)\]\((?P<target><[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+\"[^\"]*\")?\)"
)
SCHEMELESS = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:[/?#]\S*)?$", re.I)
GENERIC_TEXT = re.compile(
    r"^(?:link|here|this|click here|\d+|pdf|slides|video|url|source|website|page)$", re.I
)
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\([^)]*\)")


def _link_label(line: str, start: int) -> str:
    """The label of a "label: link" line, as in "Zoom recording: [link](...)"; else empty."""
    before = BULLET.sub("", line[:start], count=1).rstrip()
    if not before.endswith(":"):
        return ""
    before = MD_LINK.sub(lambda m: m["text"], before)
    return re.sub(r"\s+", " ", re.sub(r"\*\*|__|`", "", before)).strip(" :\t")


# --- The parser -----------------------------------------------------------------------------


@dataclass
class _Heading:
    line: int  # 1-based
    level: int
    text: str
    pseudo: bool = False  # a bold line ("**Discussion notes:**"), not a Markdown heading
    setext: bool = False


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def normalise_item(text: str) -> str:
    """An item's identity: its words, without markup or the @member it is assigned to."""
    text = re.sub(r"(?<![\w@])@[\w.+-]+", " ", text)
    text = MD_LINK.sub(lambda m: m["text"], text)
    text = re.sub(r"[*_~`]", "", text)
    return re.sub(r"\s+", " ", text).strip(" .;:").lower()


def item_key(meeting_key: str, text: str) -> str:
    digest = hashlib.sha1(normalise_item(text).encode()).hexdigest()[:16]
    return f"{meeting_key[: MAX_KEY - 18]}:{digest}"


class _Parser:
    def __init__(self, text: str, *, source: str, year: int | None):
        if "\x00" in text:
            raise ImportFailed("the file holds NUL bytes: it is not a text document", source=source, line=1)
        # Other control characters (pasted from PDFs and terminals) are dropped: feeds and
        # calendars cannot carry them.
        text = clean_text(text)
        text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        self.lines = text.split("\n")
        self.source = source
        self.year_option = year
        self.plan = ImportPlan(
            source=source, title="", title_line=None, description="", description_lines=None,
            line_count=len(self.lines),
        )  # fmt: skip

    def fail(self, line: int, message: str):
        raise ImportFailed(message, source=self.source, line=line)

    # Front matter --------------------------------------------------------------------------
    def front_matter(self) -> tuple[int, dict, list[str]]:
        """(index of the first body line, the front matter's data, its lines as written)."""
        if not self.lines or self.lines[0].strip() != "---":
            return 0, {}, []
        for index in range(1, len(self.lines)):
            if self.lines[index].strip() in ("---", "..."):
                raw = "\n".join(self.lines[1:index])
                try:
                    data = yaml.safe_load(raw) if raw.strip() else {}
                except yaml.YAMLError as error:
                    mark = getattr(error, "problem_mark", None)
                    line = (mark.line + 2) if mark is not None else 1
                    problem = getattr(error, "problem", None) or "not valid YAML"
                    self.fail(line, f"the front matter is not valid YAML ({problem})")
                if data is None:
                    data = {}
                if not isinstance(data, dict):
                    self.fail(2, "the front matter must be “key: value” lines")
                return index + 1, data, self.lines[: index + 1]
        self.fail(1, "the front matter opened on line 1 is never closed with “---”")
        return 0, {}, []  # unreachable

    # Headings ------------------------------------------------------------------------------
    def headings(self, start: int) -> list[_Heading]:
        found: list[_Heading] = []
        fence = None
        in_comment = False
        previous_blank = True
        for index in range(start, len(self.lines)):
            line = self.lines[index]
            number = index + 1
            if in_comment:
                if COMMENT_CLOSE in line:
                    in_comment = False
                previous_blank = False
                continue
            if fence:
                match = FENCE.match(line)
                if match and match["fence"][0] == fence[0] and len(match["fence"]) >= len(fence):
                    fence = None
                continue
            if match := FENCE.match(line):
                fence = match["fence"]
                continue
            stripped = line.strip()
            if stripped.startswith(COMMENT_OPEN) and COMMENT_CLOSE not in stripped[4:]:
                in_comment = True
                continue
            if match := ATX.match(line):
                text = _heading_text(match["text"] or "")
                if text:
                    found.append(_Heading(number, len(match["hashes"]), text))
                previous_blank = False
                continue
            # "Title\n=====" headings, as Google Docs and pandoc write them.
            following = self.lines[index + 1] if index + 1 < len(self.lines) else ""
            setext = SETEXT.match(following)
            if stripped and previous_blank and setext and not BULLET.match(line) and len(setext["char"]) >= 2:
                found.append(
                    _Heading(
                        number, 1 if setext["char"][0] == "=" else 2, _heading_text(stripped), setext=True
                    )
                )
                previous_blank = False
                continue
            if (bold := BOLD_LINE.match(line)) and section_kind(bold["text"]) is not None:
                found.append(_Heading(number, 7, _heading_text(bold["text"]), pseudo=True))
            previous_blank = not stripped
        return found

    # The whole document --------------------------------------------------------------------
    def parse(self) -> ImportPlan:
        plan = self.plan
        body_start, front, front_lines = self.front_matter()
        if not any(line.strip() for line in self.lines[body_start:]) and not front:
            self.fail(1, "the document is empty")
        headings = self.headings(body_start)
        skip = {h.line + 1 for h in headings if h.setext}  # the underline of a setext heading
        meeting_headings = [h for h in headings if not h.pseudo and self._is_meeting(h.text)]
        first_meeting = meeting_headings[0].line if meeting_headings else len(self.lines) + 1

        title = str(front.get("title") or "").strip()
        title_line = 2 if title else None
        if not title:
            first_h1 = next(
                (h for h in headings if h.level == 1 and not h.pseudo and h.line < first_meeting), None
            )
            if first_h1 is not None:
                title, title_line = first_h1.text, first_h1.line
                plan.title_raw = self.lines[first_h1.line - 1].strip()
                skip.add(first_h1.line)
                if first_h1.setext:
                    plan.title_raw += "\n" + self.lines[first_h1.line].strip()
        # "Outline: IGR-data Machine Learning Club" names the club; "Outline" names the document.
        plan.document_title = title
        plan.title = re.sub(DOCUMENT_LABEL, "", title, flags=re.I)[:200]
        plan.title_line = title_line
        plan.header_lines = [line.rstrip() for line in front_lines]

        opening = [
            self.lines[i]
            for i in range(body_start, min(first_meeting - 1, len(self.lines)))
            if i + 1 not in skip
        ]
        description = _trim_block(opening)
        if front.get("description") and str(front["description"]).strip() not in description:
            description = (str(front["description"]).strip() + "\n\n" + description).strip()
        plan.description = description
        if description:
            plan.description_lines = (body_start + 1, first_meeting - 1)
        document_year = self._document_year(front)
        if document_year is None and (found := YEAR_IN_TEXT.search(title + " " + " ".join(opening))):
            document_year = int(found.group(1))
        plan.year = self.year_option or document_year
        self._series_habits(" ".join(opening) + " " + title)
        plan.start_time = find_time(" ".join(opening))

        keys: dict[str, int] = {}
        enclosing: list[tuple[int, date | None]] = []
        for position, heading in enumerate(meeting_headings):
            following = (
                meeting_headings[position + 1].line - 1 if position + 1 < len(meeting_headings) else None
            )
            end = following if following is not None else len(self.lines)
            inner = [h for h in headings if heading.line < h.line <= end]
            meeting = self._meeting(heading, end, inner, skip)
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
            meeting.items = _dedupe_items(meeting.items)
            for number, section in enumerate(meeting.sections, start=1):
                section.key = f"{meeting.key}:{section.kind}:{number}"[:MAX_KEY]
            plan.meetings.append(meeting)
        if not plan.meetings and not plan.description:
            self.fail(body_start + 1, "nothing to import: no meetings and no text")
        return plan

    def _document_year(self, front: dict) -> int | None:
        value = front.get("date")
        if isinstance(value, date):
            return value.year
        if value and (match := YEAR_IN_TEXT.search(str(value))):
            return int(match.group(1))
        return None

    def _series_habits(self, text: str) -> None:
        lower = text.lower()
        named = [
            (match.start(), number)
            for name, number in WEEKDAYS.items()
            if (match := re.search(rf"\b{name}s?\b", lower))
        ]
        if named:
            self.plan.weekday = min(named)[1]
        if re.search(r"fortnightly|bi-?weekly|every (?:two|2|other) weeks?", lower):
            self.plan.cadence_weeks = 2
        elif re.search(r"\bweekly\b|every week", lower):
            self.plan.cadence_weeks = 1
        elif re.search(r"every (?:three|3) weeks", lower):
            self.plan.cadence_weeks = 3

    def _is_meeting(self, text: str) -> bool:
        plain = re.sub(r"[*_`]", "", MD_LINK.sub(lambda m: m["text"], text))
        return bool(MEETING_HEADING.match(plain)) or (find_date(plain) is not None and len(plain) < 160)

    # One meeting ---------------------------------------------------------------------------
    def _meeting(self, heading: _Heading, end: int, inner: list[_Heading], skip: set[int]) -> PlannedMeeting:
        plain_heading = re.sub(r"\s+", " ", MD_LINK.sub(lambda m: m["text"], heading.text)).strip()
        meeting = PlannedMeeting(key="", line=heading.line, heading=heading.text, title=plain_heading)
        self._heading_links(meeting, heading.text)
        title = plain_heading

        # A date: "MONDAY 12th October", "12 October 2020", "2020-10-12"; the year from the
        # heading, else --year or the document, rolling over when the months run backwards.
        found = find_date(title)
        if found:
            year = found.year or self.plan.year
            if year is None:
                try:
                    date(2000, found.month, found.day)  # a leap year: 29 February is possible
                except ValueError:
                    self.fail(
                        heading.line, f"there is no day {found.day} in {calendar.month_name[found.month]}"
                    )
                self.plan.warn(
                    heading.line,
                    f"“{title[found.start : found.end].strip()}” has no year: the meeting is imported "
                    "without a date (pass --year, or set the date on the site)",
                )
            else:
                try:
                    meeting.date = date(year, found.month, found.day)
                except ValueError:
                    self.fail(
                        heading.line, f"there is no {found.day} {calendar.month_name[found.month]} {year}"
                    )
                if found.year is None and self._previous_date and meeting.date < self._previous_date:
                    with contextlib.suppress(ValueError):  # 29 February of a leap year, rolled over
                        meeting.date = meeting.date.replace(year=year + 1)
                if found.weekday is not None and meeting.date.weekday() != found.weekday:
                    self.plan.warn(
                        heading.line,
                        f"{meeting.date:%-d %B %Y} is a {meeting.date:%A}, not a "
                        f"{calendar.day_name[found.weekday]}",
                    )
                self._previous_date = meeting.date
                title = title[: found.start] + " " + title[found.end :]
                meeting.time = find_time(title)
                if meeting.time:
                    title = TIME_IN_TEXT.sub(" ", title, count=1)
        title = _tidy_title(title)

        # Speakers in the heading: "Lecture 3: Title (Jane Doe & John Roe)", "... presented by X".
        bracket = re.search(r"\((?P<names>[^()]+)\)\s*$", title)
        if bracket and (names := split_names(bracket["names"])):
            title = _tidy_title(title[: bracket.start()])
            for name in names:
                meeting.speakers.append(
                    PlannedSpeaker(name=name, title=_talk_title(title), line=heading.line)
                )
        by = re.search(
            rf"[\s,:\u2013\u2014-]*\b(?:presented|led|given|taught|run|hosted|chaired) by"
            rf"\s+(?P<names>{NAMES})\s*$",
            title,
        )
        if by and (names := _names_in(by["names"])):
            # "…, presented by X" stays in the title as the club wrote it; the talk gets the rest.
            talk_title = _talk_title(_tidy_title(title[: by.start()]))
            for name in names:
                meeting.speakers.append(PlannedSpeaker(name=name, title=talk_title, line=heading.line))
        if len(title) > MAX_TITLE:
            self.plan.warn(heading.line, f"the heading is longer than {MAX_TITLE} characters: cut short")
            title = title[:MAX_TITLE]
        meeting.title = title
        if match := MEETING_HEADING.match(re.sub(r"[*_`]", "", plain_heading)):
            meeting.key = f"{match['word'].lower()}-{match['number'].lower()}"
        elif found:
            meeting.key = f"date-{found.month:02d}-{found.day:02d}"
        else:
            meeting.key = _slug(title)[:80] or "meeting"

        self._sections(meeting, heading, end, inner, skip)
        first_words = next((s.body for s in meeting.sections if s.body), "")
        meeting.cancelled = bool(CANCELLED.match(plain_heading) or CANCELLED.match(first_words))
        self._speakers_from_text(meeting)
        self._research(meeting)
        self._links(meeting)
        return meeting

    _previous_date: date | None = None

    def _heading_links(self, meeting: PlannedMeeting, text: str) -> None:
        for match in MD_LINK.finditer(text):
            link = self._link(match["target"], meeting.line)
            if link:
                url, href, identifier = link
                meeting.heading_links.append(
                    PlannedLink(
                        url,
                        href,
                        "" if identifier else _title_text(match["text"]),
                        _kind(url, match["text"], "", "talk"),
                        "talk",
                        meeting.line,
                        identifier,
                    )
                )

    def _sections(self, meeting, heading, end, inner, skip) -> None:
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
                        kind=kind or NOTES, heading=_heading_label(sub.text), body="",
                        first_line=number, last_line=number,
                    )  # fmt: skip
                    level = sub.level
                    sections.append(current)
                    continue
            current.lines.append((number, self.lines[number - 1]))
        for section in sections:
            body = _trim_block([_o_bullet(text) for _, text in section.lines])
            numbers = [n for n, text in section.lines if text.strip()]
            if numbers:
                section.first_line = section.first_line or numbers[0]
                section.last_line = numbers[-1]
            if not body and not section.heading:
                continue
            if (
                section.kind in STANDARD_LABELS
                and _label(section.heading) not in STANDARD_LABELS[section.kind]
            ):
                # The club's own heading ("Topics", "Discussion notes") stays with its text.
                body = f"**{section.heading}**\n\n{body}".strip()
            section.body = body
            meeting.sections.append(section)

    def _speakers_from_text(self, meeting: PlannedMeeting) -> None:
        def add(name, title="", line=0, url=""):
            for speaker in meeting.speakers:
                if speaker.name.lower() == name.lower():
                    if title and not speaker.title:
                        speaker.title = title
                    if url and not speaker.resource_url:
                        speaker.resource_url = url
                    return
            meeting.speakers.append(PlannedSpeaker(name=name, title=title, line=line, resource_url=url))

        kept = []
        for section in meeting.sections:
            if section.kind == SPEAKERS:
                leftover = []
                for number, raw in section.lines:
                    text = BULLET.sub("", raw.strip(), count=1).strip()
                    if not text:
                        continue
                    name, title = _split_speaker_line(text)
                    names = split_names(name)
                    if names:
                        for person in names:
                            add(person, title, number)
                    else:
                        leftover.append(raw)
                if any(line.strip() for line in leftover):
                    section.kind, section.body = NOTES, _trim_block(leftover)
                    kept.append(section)
                continue
            kept.append(section)
        meeting.sections = kept
        for section in meeting.sections:
            if section.kind in (READING, RESEARCH):
                continue
            for number, raw in section.lines:
                line = BR.sub(" ", raw)
                if label := _LABEL_SPEAKER.match(line):
                    names = split_names(label["rest"])
                    if not names and (start := re.match(rf"\s*(?P<names>{NAMES})", label["rest"])):
                        names = _names_in(start["names"])
                    for person in names:
                        add(person, "", number)
                plain = MD_LINK.sub(lambda m: m["text"], line)
                for match in _PROSE_SPEAKER.finditer(plain):
                    for person in _names_in(match["names"]):
                        add(person, "", number)
                for match in _BY_SPEAKER.finditer(plain):
                    pre = match["pre"].lower()
                    if pre in _BY_EXCLUDED:
                        continue
                    clause = plain[: match.start("names")]
                    clause = BULLET.sub("", clause, count=1)
                    if pre not in _BY_VERBS and not _ACTIVITY.search(clause):
                        continue
                    title = ""
                    if pre not in _BY_VERBS:
                        head = BULLET.sub("", plain, count=1)
                        head = re.split(r":\s|\s\[|\shttps?://", head, maxsplit=1)[0]
                        title = re.sub(rf"\s+by\s+{re.escape(match['names'])}", "", head, count=1)
                        title = re.sub(r"\s+", " ", re.sub(r"[*_]", "", title)).strip(" :-" + DASHES)
                    links = [m["target"] for m in MD_LINK.finditer(line)]
                    url = ""
                    if links and (parsed := self._link(links[0], number)):
                        url = parsed[0]
                    for person in _names_in(match["names"]):
                        add(person, title[:MAX_TITLE], number, url)

    def _research(self, meeting: PlannedMeeting) -> None:
        """Checklists, "To research:" lists and a "To research" section become research items."""
        for section in meeting.sections:
            if section.kind == RESEARCH:
                leftover = []
                for number, raw in section.lines:
                    if raw.strip() and not _is_rule(raw) and self._item(raw, number, meeting) is None:
                        leftover.append(raw)
                if _label(section.heading) != "to research":
                    # The club's own list ("Action items") stays on the page as written, as
                    # checklists in minutes do; only an export's "To research" list is the items alone.
                    section.kind = NOTES
                elif any(line.strip() for line in leftover):
                    section.body, section.kind = _trim_block(leftover), NOTES
                continue
            lines = section.lines
            index = 0
            while index < len(lines):
                number, raw = lines[index]
                bullet = BULLET.match(raw)
                text = BULLET.sub("", raw, count=1).strip() if bullet else raw.strip()
                trigger = re.sub(r"[*_]", "", text).strip().rstrip(":").strip().lower()
                if re.fullmatch(
                    r"to[- ]?research|to[- ]?do|todo|research(?: items)?|action items?|actions|"
                    r"follow[- ]?ups?|to read",
                    trigger,
                ):
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
                        if bullet and own_indent <= indent:
                            break
                        if not bullet and not child and own_indent == 0:
                            break
                        if child and (block_indent is None or own_indent <= block_indent):
                            block_indent = own_indent
                            self._item(raw, number, meeting)
                        elif meeting.items:
                            # A wrapped line or a sub-bullet belongs to the item above it.
                            extra = BULLET.sub("", raw, count=1).strip()
                            last = meeting.items[-1]
                            last.text = f"{last.text}; {extra}" if child else f"{last.text} {extra}"
                        index += 1
                    continue
                if bullet and BOX.match(text):
                    self._item(raw, number, meeting)
                index += 1

    def _item(self, raw: str, number: int, meeting: PlannedMeeting) -> PlannedItem | None:
        text = BULLET.sub("", raw.strip(), count=1).strip()
        status, reason = "open", ""
        if box := BOX.match(text):
            text = text[box.end() :].strip()
            if box["mark"] in "xX":
                status = "done"
        if struck := STRUCK.match(text):
            text = struck["text"].strip()
            reason = struck["reason"].strip(" -:\u2013\u2014") or "Struck through."
            status = "dropped"
        text = re.sub(r"\s+", " ", text).strip()
        if not text:
            return None
        if len(text) > MAX_ITEM:
            self.plan.warn(number, f"a research item longer than {MAX_ITEM} characters was cut short")
            text = text[:MAX_ITEM]
        url = ""
        for match in MD_LINK.finditer(text):
            if parsed := self._link(match["target"], number, quiet=True):
                url = parsed[0]
                break
        item = PlannedItem(key="", text=text, status=status, reason=reason[:500], line=number, url=url)
        meeting.items.append(item)
        return item

    def _link(self, target: str, number: int, *, quiet: bool = False) -> tuple[str, str, bool] | None:
        """(normalised URL, href as it should be written, has an identifier) or None."""
        href = target.strip().strip("<>")
        if not href or href.startswith(("#", "mailto:")):
            return None
        if not re.match(r"^https?://", href, re.I):
            if SCHEMELESS.match(href):
                if not quiet:
                    self.plan.warn(number, f"the link “{href}” has no https://: imported as https://{href}")
                href = "https://" + href
            else:
                if not quiet:
                    self.plan.warn(number, f"the link “{href}” is not a web address: kept as text")
                return None
        try:
            parsed = parse_link(href)
        except InvalidLink as error:
            if not quiet:
                self.plan.warn(number, f"the link “{href}” cannot join the library: {error}")
            return None
        return parsed.url, href, bool(parsed.arxiv_id or parsed.doi)

    def _links(self, meeting: PlannedMeeting) -> None:
        """Every link of every stored section, as a library resource mentioned there."""
        for section in meeting.sections:
            if section.kind in (RESEARCH, SPEAKERS):
                continue
            details: dict[str, tuple[str, str, int]] = {}
            rewritten = section.body
            for number, raw in section.lines:
                for match in MD_LINK.finditer(raw):
                    target = match["target"].strip("<>")
                    parsed = self._link(target, number)
                    if parsed is None:
                        continue
                    url, href, identifier = parsed
                    if href != target:
                        rewritten = rewritten.replace(f"]({target})", f"]({href})")
                    label = _link_label(raw, match.start())
                    details.setdefault(url, (match["text"], label, number))
                    if section.kind in (MATERIALS, DESCRIPTION) and re.search(r"recording", label, re.I):
                        meeting.recording_url = meeting.recording_url or href
            section.body = rewritten
            problem = markdown_problem(rewritten)
            if problem:
                self.fail(section.first_line, problem)
            seen = set()
            for href in extract_links(rewritten):
                try:
                    parsed = parse_link(href)
                except InvalidLink:
                    line = next((n for n, raw in section.lines if href in raw), section.first_line)
                    self.plan.warn(line, f"the link “{href}” cannot join the library")
                    continue
                if parsed.url in seen:
                    continue
                seen.add(parsed.url)
                # A bare URL has no link text: its title is left for the metadata fetch to fill.
                text, label, number = details.get(parsed.url, ("", "", 0))
                if not number:
                    number = next((n for n, raw in section.lines if href in raw), section.first_line)
                identifier = bool(parsed.arxiv_id or parsed.doi)
                title = "" if identifier else _resource_title(text, label, href)
                meeting.links.append(
                    PlannedLink(
                        url=parsed.url, href=href, title=title,
                        kind=_kind(parsed.url, text, label, section.kind),
                        section=section.kind, line=number, has_identifier=identifier,
                    )
                )  # fmt: skip


def _split_speaker_line(text: str) -> tuple[str, str]:
    """ "Jane Doe: Gaussian processes" → ("Jane Doe", "Gaussian processes")."""
    parts = re.split(r"\s*(?::|[\u2013\u2014]|\s-\s)\s*", text, maxsplit=1)
    title = parts[1].strip().strip('“”"') if len(parts) > 1 else ""
    return parts[0], title[:MAX_TITLE]


def _heading_label(text: str) -> str:
    return re.sub(r"\s*:\s*$", "", _heading_text(text))[:300]


def _tidy_title(title: str) -> str:
    """Mend what taking a date or a name out of a heading leaves: "Week 1 (): x", "Meeting 1 - "."""
    title = re.sub(r"\(\s*[,;:]?\s*\)", " ", title)
    title = re.sub(r"\s+", " ", title)

    def one(match):
        run = match.group()
        return (
            ": "
            if ":" in run
            else (" — " if "—" in run else (", " if "," in run and "-" not in run else " - "))
        )

    title = re.sub(r"(?:\s*[-\u2013\u2014:,|·]\s*){2,}", one, title)
    title = re.sub(r"\s+([:,])", r"\1", title)
    return title.strip(" -:,|·" + DASHES)


def _talk_title(meeting_title: str) -> str:
    """ "Lecture 3: Gaussian processes" → "Gaussian processes"; a bare "Lecture 3" has no talk title."""
    rest = MEETING_HEADING.sub("", meeting_title, count=1).strip(" -:,." + DASHES)
    return rest[:MAX_TITLE]


def _title_text(text: str) -> str:
    text = IMAGE.sub("", text).strip()
    text = re.sub(r"\*\*|__|`", "", text).strip()
    looks_like_url = re.match(r"^(?:https?://|www\.)", text, re.I) or (SCHEMELESS.match(text) and "/" in text)
    if not text or GENERIC_TEXT.match(text) or looks_like_url:
        return ""
    return text[:500]


def _resource_title(text: str, label: str, href: str) -> str:
    """The link text as a title when it is one; else the words before the link; else a file name."""
    title = _title_text(text)
    if title:
        return title
    label = re.sub(r"\s+", " ", label).strip()
    if label and len(label) <= 200 and not re.search(r"https?://", label):
        return label
    path = re.sub(r"[?#].*$", "", href).rstrip("/")
    last = path.rsplit("/", 1)[-1]
    if re.search(r"\.(?:ipynb|pdf|pptx?|key|csv|zip)$", last, re.I):
        return last
    return ""


def _kind(url: str, text: str, label: str, section: str) -> str:
    """infer_kind from the URL, helped by the link text and the words before it."""
    kind = infer_kind(url)
    words = f"{IMAGE.sub(lambda m: m['alt'], text)} {label}".lower()
    identified = "arxiv.org/abs/" in url or url.startswith("https://doi.org/")
    if kind == "paper" and not identified and re.search(r"slides|presentation|lecture", words):
        return "slides"  # a lecture's PDF is its slides, not a paper
    if kind != "other":
        return kind
    if re.search(r"\.ipynb\b|notebook|colab", words):
        return "notebook"
    if re.search(r"\.(?:pptx?|key|odp)\b|slides|presentation|lecture", words) or (
        section == MATERIALS and re.search(r"\.pdf\b", words)
    ):
        return "slides"
    if re.search(r"recording", words):
        return "recording"
    if re.search(r"\.pdf\b|\bpaper\b|preprint|article", words):
        return "paper"
    if re.search(r"video|playlist|youtube", words):
        return "video"
    if re.search(r"dataset|datasets", words):
        return "dataset"
    if re.search(r"course|workshops?|training", words):
        return "course"
    if re.search(r"tutorial", words):
        return "tutorial"
    if re.search(r"repository|github|package|code", words):
        return "code"
    return kind


def _o_bullet(line: str) -> str:
    # "o item" and "• item" (from Word and Google Docs) are list items in the club's Markdown.
    return O_BULLET.sub(lambda m: m["indent"] + "-", line, count=1)


def _trim_block(lines: list[str]) -> str:
    """Join lines, dropping blank lines and rules at either end (rules only separate meetings)."""
    lines = list(lines)
    while lines and (not lines[0].strip() or _is_rule(lines[0])):
        lines.pop(0)
    while lines and (not lines[-1].strip() or _is_rule(lines[-1])):
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


def _dedupe_items(items: list[PlannedItem]) -> list[PlannedItem]:
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


def markdown_parse(*, text: str, source: str = "", year: int | None = None) -> ImportPlan:
    """Read a Markdown document into an ImportPlan; ImportFailed names the line it cannot read."""
    return _Parser(text, source=source, year=year).parse()


def document_decode(data: bytes, *, source: str = "") -> str:
    """Decode an uploaded or read file as UTF-8; ImportFailed names the line of a bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFailed(
            f"the file is not UTF-8 text (byte {error.start + 1} cannot be read)", source=source, line=line
        ) from None
