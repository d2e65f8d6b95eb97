"""Links: each one read into a library resource with a title and a kind."""

import re

from meetings.markdown import extract_links, markdown_problem
from meetings.services.importer.parse.plan import (
    DESCRIPTION,
    MATERIALS,
    RESEARCH,
    SPEAKERS,
    PlannedLink,
    PlannedMeeting,
)
from meetings.services.research_lines import BULLET
from resources.services.links import InvalidLink, infer_kind, parse_link

MD_LINK = re.compile(
    r"(?<!!)\[(?P<text>(?:!\[[^\]]*\]\([^)]*\)|[^\[\]])*)\]\((?P<target><[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+\"[^\"]*\")?\)"
)
SCHEMELESS = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:[/?#]\S*)?$", re.I)
GENERIC_TEXT = re.compile(
    r"^(?:link|here|this|click here|\d+|pdf|slides|video|url|source|website|page)$", re.I
)
HTML_LINK = re.compile(
    r"<a\s[^>]*?href\s*=\s*[\"'](?P<href>[^\"']+)[\"'][^>]*>(?P<text>.*?)</a>", re.I | re.S
)
TAG = re.compile(r"<br\s*/?>|</?(?:em|i|b|strong|span|p)\b[^>]*>", re.I)
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\([^)]*\)")


def html_links(text: str) -> str:
    """``<a href="u">t</a>`` as ``[t](u)``; ``<br>`` and inline tags as plain text."""
    text = HTML_LINK.sub(lambda m: f"[{TAG.sub(' ', m['text']).strip()}]({m['href']})", text)
    return re.sub(r"\s+", " ", TAG.sub(" ", text)).strip()


def link_label(line: str, start: int) -> str:
    """The label of a "label: link" line, as in "Zoom recording: [link](...)"; else empty."""
    before = BULLET.sub("", line[:start], count=1).rstrip()
    if not before.endswith(":"):
        return ""
    before = MD_LINK.sub(lambda m: m["text"], before)
    return re.sub(r"\s+", " ", re.sub(r"\*\*|__|`", "", before)).strip(" :\t")


def title_text(text: str) -> str:
    text = IMAGE.sub("", text).strip()
    text = re.sub(r"\*\*|__|`", "", text).strip()
    looks_like_url = re.match(r"^(?:https?://|www\.)", text, re.I) or (SCHEMELESS.match(text) and "/" in text)
    if not text or GENERIC_TEXT.match(text) or looks_like_url:
        return ""
    return text[:500]


def resource_title(text: str, label: str, href: str) -> str:
    """The link text as a title when it is one; else the words before the link; else a file name."""
    title = title_text(text)
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


def link_kind(url: str, text: str, label: str, section: str) -> str:
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


def link_read(reader, target: str, number: int, *, quiet: bool = False) -> tuple[str, str, bool] | None:
    """(normalised URL, href as it should be written, has an identifier) or None."""
    href = target.strip().strip("<>")
    if not href or href.startswith(("#", "mailto:")):
        return None
    if not re.match(r"^https?://", href, re.I):
        if SCHEMELESS.match(href):
            if not quiet:
                reader.warn(number, f"the link “{href}” has no https://: imported as https://{href}")
            href = "https://" + href
        else:
            if not quiet:
                reader.warn(number, f"the link “{href}” is not a web address: kept as text")
            return None
    try:
        parsed = parse_link(href)
    except InvalidLink as error:
        if not quiet:
            reader.warn(number, f"the link “{href}” cannot join the library: {error}")
        return None
    return parsed.url, href, bool(parsed.arxiv_id or parsed.doi)


def links_read(reader, meeting: PlannedMeeting) -> None:
    """Every link of every stored section, as a library resource mentioned there."""
    for section in meeting.sections:
        if section.kind in (RESEARCH, SPEAKERS):
            continue
        details: dict[str, tuple[str, str, int]] = {}
        rewritten = section.body
        for number, raw in section.lines:
            for match in HTML_LINK.finditer(raw):
                if parsed := link_read(reader, match["href"], number, quiet=True):
                    details.setdefault(parsed[0], (TAG.sub(" ", match["text"]).strip(), "", number))
            for match in MD_LINK.finditer(raw):
                target = match["target"].strip("<>")
                parsed = link_read(reader, target, number)
                if parsed is None:
                    continue
                url, href, identifier = parsed
                if href != target:
                    rewritten = rewritten.replace(f"]({target})", f"]({href})")
                label = link_label(raw, match.start())
                details.setdefault(url, (match["text"], label, number))
                if section.kind in (MATERIALS, DESCRIPTION) and re.search(r"recording", label, re.I):
                    meeting.recording_url = meeting.recording_url or href
        section.body = rewritten
        if problem := markdown_problem(rewritten):
            reader.fail(section.first_line, problem)
        seen = set()
        for href in extract_links(rewritten):
            try:
                parsed = parse_link(href)
            except InvalidLink:
                line = next((n for n, raw in section.lines if href in raw), section.first_line)
                reader.warn(line, f"the link “{href}” cannot join the library")
                continue
            if parsed.url in seen:
                continue
            seen.add(parsed.url)
            # A bare URL has no link text: its title is left for the metadata fetch to fill.
            text, label, number = details.get(parsed.url, ("", "", 0))
            if not number:
                number = next((n for n, raw in section.lines if href in raw), section.first_line)
            identifier = bool(parsed.arxiv_id or parsed.doi)
            # The link's text names the resource until its metadata arrives (the writer's title is
            # provisional: a fetched title replaces it).
            title = resource_title(text, label, href)
            meeting.links.append(
                PlannedLink(
                    url=parsed.url, href=href, title=title,
                    kind=link_kind(parsed.url, text, label, section.kind),
                    section=section.kind, line=number, has_identifier=identifier,
                )
            )  # fmt: skip


def heading_links_read(reader, meeting: PlannedMeeting, text: str) -> None:
    for match in MD_LINK.finditer(text):
        link = link_read(reader, match["target"], meeting.line)
        if link:
            url, href, identifier = link
            meeting.heading_links.append(
                PlannedLink(
                    url,
                    href,
                    title_text(match["text"]),
                    link_kind(url, match["text"], "", "talk"),
                    "talk",
                    meeting.line,
                    identifier,
                )
            )
