"""Write a series back as the Markdown document it could have been imported from."""

import re

from django.db.models import Prefetch

from meetings.models import Meeting, Minutes, ResearchItem, Series, Talk
from meetings.services.importer.parse import KIND_HEADINGS, MEETING_HEADING, find_date
from meetings.services.research_lines import research_line_write
from resources.models import Mention

_ATX = re.compile(r"^(?P<hashes>#{1,6})(?=\s)", re.M)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _demote(body: str, *, to: int = 4) -> str:
    """Push a body's headings down so none outranks the export's own (### sections)."""
    lines, fence, levels = body.split("\n"), None, []
    for line in lines:
        if fence is None and (match := _ATX.match(line)):
            levels.append(len(match["hashes"]))
        elif match := _FENCE.match(line):
            fence = None if fence else match.group(1)
    if not levels or min(levels) >= to:
        return body
    shift = to - min(levels)
    out, fence = [], None
    for line in lines:
        if fence is None and (match := _ATX.match(line)):
            line = "#" * min(6, len(match["hashes"]) + shift) + line[len(match["hashes"]) :]
        elif match := _FENCE.match(line):
            fence = None if fence else match.group(1)
        out.append(line)
    return "\n".join(out)


def _heading_links(meeting: Meeting) -> list:
    """The resources the meeting's heading linked (a paper named in it) that no talk presents."""
    presented = {t.resource_id for t in meeting.talks.all()}
    return [
        m.resource for m in meeting.mentions.all() if m.section == "talk" and m.resource_id not in presented
    ]


def _heading(meeting: Meeting) -> str:
    title = meeting.title or "Meeting"
    links = _heading_links(meeting)
    if len(links) == 1 and links[0].title == title:
        title = f"[{title}]({links[0].url})"  # the heading was the paper's link
    else:
        title = " ".join([title] + [f"[{r.title or r.url}]({r.url})" for r in links])
    if meeting.start is None:
        # Only a numbered or dated heading reads back as a meeting.
        plain = re.sub(r"[*_`]", "", title)
        if not MEETING_HEADING.match(plain) and find_date(plain) is None:
            title = f"Meeting {meeting.sequence}: {title}"
        return title
    if meeting.status == Meeting.Status.CANCELLED and not re.search(r"cancell?ed|postponed", title, re.I):
        title = f"{title} (cancelled)" if meeting.title else "Cancelled"
    local = meeting.local_start
    when = f"{local:%A} {local.day} {local:%B %Y}"
    if local.time() != meeting.series.start_time:
        when += f", {local:%H:%M}"
    return f"{title} - {when}" if meeting.title or title != "Meeting" else when


def _talk_line(talk: Talk) -> str:
    title = talk.title
    if talk.resource_id:
        title = f"[{title or talk.resource.title or talk.resource.url}]({talk.resource.url})"
    return f"- {talk.speaker_name}: {title}" if title else f"- {talk.speaker_name}"


def _item_line(item: ResearchItem) -> str:
    username = item.assignee.username if item.assignee_id else ""
    return research_line_write(text=item.text, status=item.status, reason=item.drop_reason, username=username)


def _meeting_markdown(meeting: Meeting) -> str:
    parts = [f"## {_heading(meeting)}"]
    sections = list(meeting.sections.all())
    bodies = []
    if sections and not sections[0].heading and sections[0].kind == "description":
        # Text written straight under a meeting's heading goes back there.
        intro = sections.pop(0)
        bodies.append(intro.body)
        parts.append(_demote(intro.body.strip()))
    talks = list(meeting.talks.all())
    if talks:
        lines = [_talk_line(t) for t in talks]
        parts.append(f"### {KIND_HEADINGS['speakers']}\n\n" + "\n".join(lines))
    if meeting.agenda.strip():
        parts.append(f"### {KIND_HEADINGS['agenda']}\n\n{_demote(meeting.agenda.strip())}")
    for section in sections:
        bodies.append(section.body)
        parts.append(f"### {section.title}\n\n{_demote(section.body.strip())}".rstrip())
    documents = {doc.kind: doc for doc in meeting.documents.all()}
    for kind in (Minutes.Kind.MINUTES, Minutes.Kind.RECAP):
        doc = documents.get(kind)
        if doc and doc.body.strip():
            bodies.append(doc.body)
            parts.append(f"### {KIND_HEADINGS[kind]}\n\n{_demote(doc.body.strip())}")
    if meeting.recording_link and not any(meeting.recording_link in body for body in bodies):
        parts.append(f"### Recording\n\n- Recording: [link]({meeting.recording_link})")
    items = list(meeting.research_items.all())
    if items:
        parts.append(f"### {KIND_HEADINGS['research']}\n\n" + "\n".join(_item_line(i) for i in items))
    return "\n\n".join(parts)


def _meetings(series: Series, meeting: Meeting | None):
    qs = Meeting.objects.filter(series=series)
    if meeting is not None:
        qs = qs.filter(pk=meeting.pk)
    return qs.select_related("series").prefetch_related(
        Prefetch(
            "talks", queryset=Talk.objects.select_related("speaker", "resource").order_by("order", "pk")
        ),
        Prefetch("mentions", queryset=Mention.objects.select_related("resource").order_by("pk")),
        "sections",
        "documents",
        Prefetch(
            "research_items",
            queryset=ResearchItem.objects.select_related("assignee").order_by("position", "pk"),
        ),
    )


def markdown_export(*, series: Series, meeting: Meeting | None = None) -> str:
    """The series (or one meeting of it) as Markdown: title, description, meetings and their sections."""
    parts = [f"# {series.name}"]
    if meeting is None and series.description.strip():
        parts.append(series.description.strip())
    parts.extend(_meeting_markdown(m) for m in _meetings(series, meeting))
    return "\n\n".join(parts) + "\n"
