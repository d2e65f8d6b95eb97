"""A meeting's other sections (description, materials, further reading, notes): rendered and linked."""

from dataclasses import dataclass

from django.db import transaction

from meetings.markdown import render_markdown
from meetings.models import Meeting, MeetingSection
from resources.services.library import mentions_sync


@dataclass
class SectionInput:
    key: str
    kind: str
    heading: str
    body: str


@dataclass
class SectionsSaved:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


def _sync_kinds(meeting: Meeting, kinds) -> None:
    # mentions_sync replaces every mention of a meeting's section, so each kind is synced once,
    # with the text of all of that kind's sections together.
    bodies: dict[str, list[str]] = {kind: [] for kind in kinds}
    for section in MeetingSection.objects.filter(meeting=meeting, kind__in=list(kinds)).order_by("position"):
        bodies[section.kind].append(section.body_html)
    for kind, html in bodies.items():
        mentions_sync(meeting=meeting, section=kind, html="\n".join(html))


def section_save(*, section: MeetingSection, by=None) -> MeetingSection:
    """Save one section (from the admin or a form) with its HTML rendered and its links mentioned."""
    with transaction.atomic():
        section.body_html = render_markdown(section.body)
        section.full_clean()
        section.save()
        _sync_kinds(section.meeting, {section.kind})
    return section


def sections_import(*, meeting: Meeting, sections: list[SectionInput]) -> SectionsSaved:
    """Make the meeting's imported sections these, in this order: update by key, add new, delete gone ones."""
    saved = SectionsSaved()
    with transaction.atomic():
        existing = {
            s.import_key: s for s in MeetingSection.objects.filter(meeting=meeting).exclude(import_key="")
        }
        kinds = {s.kind for s in existing.values()} | {s.kind for s in sections}
        wanted = set()
        for position, entry in enumerate(sections, start=1):
            wanted.add(entry.key)
            section = existing.get(entry.key)
            values = {
                "kind": entry.kind,
                "heading": entry.heading[:300],
                "body": entry.body,
                "position": position,
            }
            if section is None:
                section = MeetingSection(meeting=meeting, import_key=entry.key, **values)
                section.body_html = render_markdown(section.body)
                section.save()
                saved.created += 1
                continue
            if all(getattr(section, field) == value for field, value in values.items()):
                saved.unchanged += 1
                continue
            for field, value in values.items():
                setattr(section, field, value)
            section.body_html = render_markdown(section.body)
            section.save()
            saved.updated += 1
        gone = [s.pk for key, s in existing.items() if key not in wanted]
        if gone:
            saved.deleted = MeetingSection.objects.filter(pk__in=gone).delete()[0]
        if saved.created or saved.updated or saved.deleted:
            _sync_kinds(meeting, kinds)
    return saved
