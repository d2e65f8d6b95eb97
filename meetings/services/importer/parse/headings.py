"""Headings: which ones start a meeting, which name a section of one, and the scan that finds them."""

import re
from dataclasses import dataclass

from meetings.services.importer.parse.blocks import (
    ATX,
    BOLD_LINE,
    COMMENT_CLOSE,
    COMMENT_OPEN,
    FENCE,
    SETEXT,
    heading_text,
    heading_words,
)
from meetings.services.importer.parse.plan import (
    AGENDA,
    DASHES,
    DESCRIPTION,
    MATERIALS,
    MAX_TITLE,
    MINUTES,
    READING,
    RECAP,
    RESEARCH,
    SPEAKERS,
)
from meetings.services.research_lines import BULLET

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
    # A summary of the material read ("Article summary") describes it; of the meeting, recaps it.
    (DESCRIPTION, re.compile(r"^(?:article|paper|book|chapter|reading|talk|material) summary$")),
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
    words = heading_words(heading)
    for kind, pattern in _SECTION_RULES:
        if pattern.search(words):
            return kind
    return None


@dataclass
class Heading:
    line: int  # 1-based
    level: int
    text: str
    pseudo: bool = False  # a bold line ("**Discussion notes:**"), not a Markdown heading
    setext: bool = False


def headings_scan(lines: list[str], start: int) -> list[Heading]:
    found: list[Heading] = []
    fence = None
    in_comment = False
    previous_blank = True
    for index in range(start, len(lines)):
        line = lines[index]
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
            text = heading_text(match["text"] or "")
            if text:
                found.append(Heading(number, len(match["hashes"]), text))
            previous_blank = False
            continue
        # "Title\n=====" headings, as Google Docs and pandoc write them.
        following = lines[index + 1] if index + 1 < len(lines) else ""
        setext = SETEXT.match(following)
        if stripped and previous_blank and setext and not BULLET.match(line) and len(setext["char"]) >= 2:
            found.append(
                Heading(number, 1 if setext["char"][0] == "=" else 2, heading_text(stripped), setext=True)
            )
            previous_blank = False
            continue
        if (bold := BOLD_LINE.match(line)) and section_kind(bold["text"]) is not None:
            found.append(Heading(number, 7, heading_text(bold["text"]), pseudo=True))
        previous_blank = not stripped
    return found


def heading_label(text: str) -> str:
    return re.sub(r"\s*:\s*$", "", heading_text(text))[:300]


def tidy_title(title: str) -> str:
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


def talk_title(meeting_title: str) -> str:
    """ "Lecture 3: Gaussian processes" → "Gaussian processes"; a bare "Lecture 3" has no talk title."""
    rest = MEETING_HEADING.sub("", meeting_title, count=1).strip(" -:,." + DASHES)
    return rest[:MAX_TITLE]
