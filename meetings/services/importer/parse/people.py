"""Speakers: names in headings, "Speakers" sections, and prose ("X gave a talk", "by X")."""

import re

from meetings.services.importer.parse.blocks import BR, COMMENT_CLOSE, COMMENT_OPEN, trim_block
from meetings.services.importer.parse.links import MD_LINK, link_read
from meetings.services.importer.parse.plan import (
    DASHES,
    MAX_TITLE,
    NOTES,
    READING,
    RESEARCH,
    SPEAKERS,
    PlannedMeeting,
    PlannedSpeaker,
)
from meetings.services.research_lines import BULLET

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


def names_in(text: str) -> list[str]:
    names = [_clean_name(part) for part in re.split(r"\s*(?:,|&|\band\b)\s*", text) if part.strip()]
    return [name for name in names if name]


def split_speaker_line(text: str) -> tuple[str, str]:
    """ "Jane Doe: Gaussian processes" → ("Jane Doe", "Gaussian processes")."""
    parts = re.split(r"\s*(?::|[\u2013\u2014]|\s-\s)\s*", text, maxsplit=1)
    title = parts[1].strip().strip('“”"') if len(parts) > 1 else ""
    return parts[0], title[:MAX_TITLE]


def speakers_read(reader, meeting: PlannedMeeting) -> None:
    """Speakers from a "Speakers" section, "Speaker: X" lines and prose ("X gave a talk", "… by X")."""
    meeting.sections = [s for s in meeting.sections if not _speakers_section(reader, meeting, s)]
    for section in meeting.sections:
        if section.kind in (READING, RESEARCH):
            continue
        in_comment = False
        for number, raw in section.lines:
            # Text in an HTML comment is hidden on the page: it names no one who spoke.
            was_in_comment = in_comment or COMMENT_OPEN in raw
            in_comment = (in_comment or COMMENT_OPEN in raw) and COMMENT_CLOSE not in raw.split(COMMENT_OPEN)[
                -1
            ]
            if not was_in_comment:
                _speakers_in_line(reader, meeting, number, BR.sub(" ", raw))


def _add(meeting: PlannedMeeting, name: str, title: str = "", line: int = 0, url: str = "") -> None:
    for speaker in meeting.speakers:
        if speaker.name.lower() == name.lower():
            if title and not speaker.title:
                speaker.title = title
            if url and not speaker.resource_url:
                speaker.resource_url = url
            return
    meeting.speakers.append(PlannedSpeaker(name=name, title=title, line=line, resource_url=url))


def _speakers_section(reader, meeting: PlannedMeeting, section) -> bool:
    """Read a "Speakers" section's "Name: title" lines; True when nothing else is left in it."""
    if section.kind != SPEAKERS:
        return False
    leftover = []
    for number, raw in section.lines:
        text = BULLET.sub("", raw.strip(), count=1).strip()
        if not text:
            continue
        name, title = split_speaker_line(text)
        names = split_names(name)
        url = ""
        if names and (link := MD_LINK.search(title)):
            # "Ada Lovelace: [Attention Is All You Need](https://arxiv.org/…)": the paper presented.
            title = (title[: link.start()] + link["text"] + title[link.end() :]).strip()
            if parsed := link_read(reader, link["target"], number):
                url = parsed[1]  # as written: the writer adds it to the library if no section links it
        for person in names:
            _add(meeting, person, title, number, url)
        if not names:
            leftover.append(raw)
    if any(line.strip() for line in leftover):
        section.kind, section.body = NOTES, trim_block(leftover)
        return False
    return True


def _speakers_in_line(reader, meeting: PlannedMeeting, number: int, line: str) -> None:
    if label := _LABEL_SPEAKER.match(line):
        names = split_names(label["rest"])
        if not names and (start := re.match(rf"\s*(?P<names>{NAMES})", label["rest"])):
            names = names_in(start["names"])
        for person in names:
            _add(meeting, person, "", number)
    plain = MD_LINK.sub(lambda m: m["text"], line)
    for match in _PROSE_SPEAKER.finditer(plain):
        for person in names_in(match["names"]):
            _add(meeting, person, "", number)
    for match in _BY_SPEAKER.finditer(plain):
        pre = match["pre"].lower()
        if pre in _BY_EXCLUDED:
            continue
        clause = BULLET.sub("", plain[: match.start("names")], count=1)
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
        if links and (parsed := link_read(reader, links[0], number)):
            url = parsed[0]
        for person in names_in(match["names"]):
            _add(meeting, person, title[:MAX_TITLE], number, url)


# Words that do not stand in a person's name: "Attention Is All You Need" is a title.
_FUNCTION_WORDS = {
    "is", "are", "all", "you", "for", "of", "in", "on", "with", "to", "a", "an", "the", "and", "or",
    "how", "what", "why", "when", "we", "our", "your", "from", "into", "via", "at", "as", "not", "do",
    "does", "can", "need", "beyond", "towards", "toward", "using", "part", "week", "session", "meeting",
}  # fmt: skip
_TALK_BY = re.compile(
    r"^(?P<title>.+?)[\s,;:\u2013\u2014-]+(?:(?:presented|led|given|taught|run|hosted) )?by\s+"
    rf"(?P<names>{NAMES})\s*\.?$"
)
_TALK_BRACKET = re.compile(r"^(?P<title>.+?)\s*\((?P<names>[^()]+)\)\s*$")
_TALK_SPLIT = re.compile(r"\s*(?::\s|\s[\u2013\u2014]\s|\s-\s|[\u2013\u2014])\s*")


def people_in(text: str) -> list[str]:
    """The people text names, when it is only names (not a title such as "Attention Is All You Need")."""
    names = split_names(text)
    if not names or any(
        word.lower().strip(".,") in _FUNCTION_WORDS for name in names for word in name.split()
    ):
        return []
    # One capitalised word ("Easter", "Hands-on") is as likely a word as a name: a person needs two.
    if any(len(re.sub(r"^(?:Dr|Prof|Professor|Mr|Mrs|Ms|Mx)\.?\s+", "", name).split()) < 2 for name in names):
        return []
    return names


def talk_from_text(text: str) -> tuple[list[str], str]:
    """(speakers, title) from "Name: Title", "Title — Name", "Title (Name)", "Title by Name", or a bare name.

    No names found: ([], the text) — the text is a title, or not about a talk at all.
    """
    text = re.sub(r"\s+", " ", re.sub(r"[*_]", "", text)).strip(" -:" + DASHES)
    if not text:
        return [], ""
    if (by := _TALK_BY.match(text)) and (names := names_in(by["names"])):
        return names, _clean_title(by["title"])
    if (bracket := _TALK_BRACKET.match(text)) and (names := people_in(bracket["names"])):
        return names, _clean_title(bracket["title"])
    parts = _TALK_SPLIT.split(text, maxsplit=1)
    if len(parts) == 2:
        left, right = parts
        if names := people_in(left):
            return names, _clean_title(right)
        if names := people_in(right):
            return names, _clean_title(left)
    if names := people_in(text):
        return names, ""
    return [], _clean_title(text)


def _clean_title(text: str) -> str:
    return text.strip().strip(" -:,;" + DASHES).strip('“”"')[:MAX_TITLE]


_HONORIFIC = re.compile(r"^(?:Dr|Prof|Professor|Mr|Mrs|Ms|Mx)\.?\s+", re.I)


def _person_key(name: str) -> tuple[str, ...]:
    return tuple(word.lower() for word in re.split(r"[\s.]+", _HONORIFIC.sub("", name)) if word)


def people_resolve(plan) -> None:
    """One person however the document writes them.

    "Dr. CK Chan", "Dr CK Chan" and "CK Chan" are one person: every talk takes the fullest
    spelling. "CK" beside "Dr. CK Chan" may be, or may not: the pair is listed for the organiser
    to confirm (ImportPlan.same_people), never silently made one or two people.
    """
    speakers = [speaker for meeting in plan.meetings for speaker in meeting.speakers]
    fullest: dict[tuple[str, ...], str] = {}
    for speaker in speakers:
        key = _person_key(speaker.name)
        if len(speaker.name) > len(fullest.get(key, "")):
            fullest[key] = speaker.name
    for speaker in speakers:
        speaker.name = fullest[_person_key(speaker.name)]
    keys = sorted(fullest, key=len)
    for short in keys:
        longer = [key for key in keys if len(key) > len(short) and set(short) <= set(key)]
        if longer:
            plan.same_people.append((fullest[short], [fullest[key] for key in longer]))
