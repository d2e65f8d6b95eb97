"""Write ImportPlans to the database in one transaction, through the usual services."""

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Max, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from meetings.markdown import MarkdownRefused
from meetings.models import Meeting, MeetingSection, Series
from meetings.services.import_merge import Clash, fields_merge
from meetings.services.importer.parse import (
    AGENDA,
    MEETING_HEADING,
    MINUTES,
    NOTES,
    RECAP,
    SECTION_KINDS,
    ImportFailed,
    ImportPlan,
    Notice,
    PlannedMeeting,
    PlannedSection,
    markdown_parse,
)
from meetings.services.importer.parse.recognition import recognition_map
from meetings.services.minutes import minutes_get, minutes_save
from meetings.services.research import ImportedItem, research_item_import, research_items_import_remove
from meetings.services.research_lines import MENTION
from meetings.services.sections import SectionInput, sections_import
from meetings.services.series import meeting_save, series_save, talk_import
from resources.models import Mention, ReadingList, Resource
from resources.services.library import resource_add_deferred, resources_queue_checks
from resources.services.links import InvalidLink, parse_link
from resources.services.readinglists import readinglist_add, readinglist_save
from resources.services.visibility import resources_held_by_meetings, resources_visibility_refresh

User = get_user_model()

KIND_LABELS = {
    MINUTES: "Minutes",
    RECAP: "Post-meeting recap",
    AGENDA: "Agenda",
    **{kind: MeetingSection.Kind(kind).label for kind in SECTION_KINDS},
}


def _tally(*names):
    return dict.fromkeys(names, 0)


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do): counts, a line-by-line report, warnings."""

    dry_run: bool
    series: dict = field(default_factory=dict)
    meetings: list[dict] = field(default_factory=list)
    resources: list[dict] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    # Values changed both on the site and in the document since the last import.
    clashes: list[dict] = field(default_factory=list)
    # Names that may be one person ("CK", "Dr. CK Chan"): the organiser confirms, or they stay apart.
    same_people: list[dict] = field(default_factory=list)
    # Per document, each source line and what it became (the preview's recognition map).
    recognition: list[dict] = field(default_factory=list)
    counts: dict = field(
        default_factory=lambda: {
            "series": _tally("created", "reused"),
            "meetings": _tally("created", "updated", "unchanged"),
            "talks": _tally("created", "updated", "unchanged"),
            "research_items": _tally("created", "updated", "unchanged", "removed"),
            "resources": _tally("created", "reused"),
            "sections": _tally("created", "updated", "unchanged", "deleted"),
            "minutes_revisions": _tally("created"),
        }
    )

    def as_json(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "series_slug": self.series.get("slug", ""),
            "series_name": self.series.get("name", ""),
            **self.counts,
            "clashes": self.clashes,
            "same_people": self.same_people,
            "recognition": self.recognition,
            "warnings": [asdict(w) for w in self.warnings],
        }

    @property
    def created_anything(self) -> bool:
        return any(
            value
            for group, tally in self.counts.items()
            for name, value in tally.items()
            if name in ("created", "updated", "deleted")
        )


class _DryRun(Exception):
    pass


def markdown_import(
    *,
    documents: list[tuple[str, str]],
    series_slug: str,
    series_name: str = "",
    year: int | None = None,
    by=None,
    tags=(),
    dry_run: bool = False,
    prefer_document: bool = False,
    same_people: bool = False,
) -> ImportResult:
    """Import (source name, Markdown) documents into a series, all or nothing; dry_run rolls back.

    Raises ImportFailed, naming the file and line, and then nothing is written. A value changed
    both on the site and in the document since the last import keeps the site's, unless
    prefer_document. same_people: the organiser confirmed that a short name ("CK") is the one
    fuller name beside it ("Dr. CK Chan").
    """
    texts = dict(documents)
    plans = _in_order([markdown_parse(text=text, source=source, year=year) for source, text in documents])
    result = ImportResult(dry_run=dry_run)
    for plan in plans:
        lines = texts[plan.source].lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
        result.recognition.append({"source": plan.source, "lines": recognition_map(plan, lines)})
    for plan in plans:
        _people(plan, result, merge=same_people)
    for plan in plans:
        result.warnings.extend(plan.warnings)
    try:
        with transaction.atomic():
            _Writer(result, by=by, tags=list(tags), prefer_document=prefer_document).write(
                plans, slug=series_slug, name=series_name
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except MarkdownRefused as refused:  # a research item's text (sections are checked when parsed)
        raise ImportFailed(str(refused)) from None
    return result


def _people(plan: ImportPlan, result: ImportResult, *, merge: bool) -> None:
    """List the names that may be one person; with the organiser's word, a short name takes the full one."""
    for short, fuller in plan.same_people:
        one = merge and len(fuller) == 1
        result.same_people.append({"source": plan.source, "name": short, "may_be": fuller, "merged": one})
        if one:
            for meeting in plan.meetings:
                for speaker in meeting.speakers:
                    if speaker.name == short:
                        speaker.name = fuller[0]
        else:
            names = " or ".join(f"“{name}”" for name in fuller)
            plan.warn(0, f"“{short}” may be {names}: kept apart unless you confirm they are one person")


def _in_order(plans: list[ImportPlan]) -> list[ImportPlan]:
    """One file per meeting: the files in date order, the series named by the label their titles share.

    "Data Ethics Club: Paper A", "Data Ethics Club: Paper B": the series is "Data Ethics Club" and
    the meetings are "Paper A" and "Paper B".
    """
    pages = [plan for plan in plans if plan.one_meeting]
    if not pages:
        return plans
    pages.sort(key=lambda plan: plan.meetings[0].date or date.max)
    ordered = pages + [plan for plan in plans if not plan.one_meeting]
    labels = {plan.meetings[0].title.split(": ", 1)[0] for plan in pages if ": " in plan.meetings[0].title}
    if len(labels) == 1 and all(": " in plan.meetings[0].title for plan in pages):
        label = labels.pop()
        if not MEETING_HEADING.match(label) and not ordered[0].title:
            ordered[0].title = label[:200]
            for plan in pages:
                plan.meetings[0].title = plan.meetings[0].title.split(": ", 1)[1]
    return ordered


class _Writer:
    def __init__(self, result: ImportResult, *, by, tags: list[str], prefer_document: bool = False):
        self.result, self.by, self.tags = result, by, tags
        self.prefer_document = prefer_document
        self.created: list[int] = []  # new resources: their checks are queued in bulk after commit
        self.users: dict[str, object] = {}
        self.last_resource_pk = Resource.objects.aggregate(last=Max("pk"))["last"] or 0
        self.source, self.line = "", None
        # Resources of research items the document no longer lists.
        self.released: set[int] = set()

    def _add(self, **link) -> Resource:
        resource, created = resource_add_deferred(by=self.by, **link)
        if created:
            self.created.append(resource.pk)
        return resource

    def fail(self, error: Exception):
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        raise ImportFailed(message, source=self.source, line=self.line) from error

    def write(self, plans: list[ImportPlan], *, slug: str, name: str) -> None:
        self.source = plans[0].source
        try:
            series = self._series(plans, slug=slug, name=name)
        except (ValidationError, DatabaseError) as error:
            self.fail(error)
        if not self._intro_to_meeting:
            try:
                self._opening_links(series, plans[0])
            except (ValidationError, DatabaseError) as error:
                self.fail(error)
        meetings = []
        sequence = 0
        for index, plan in enumerate(plans):
            self.source = plan.source
            if index > 0 or self._intro_to_meeting:
                self._opening_as_notes(plan, series, first=index == 0)
            for planned in plan.meetings:
                sequence += 1
                self.line = planned.line
                try:
                    meetings.append(self._meeting(series, planned, sequence))
                except ImportFailed:
                    raise
                except (ValidationError, DatabaseError, ValueError) as error:
                    self.fail(error)
        # Talks and items took papers and dropped ones: who sees each is recomputed once, here.
        resources_visibility_refresh(
            resource_ids=resources_held_by_meetings(meeting_ids=[m.pk for m in meetings]) | self.released
        )
        self._report_resources(meetings)
        resources_queue_checks(resource_ids=self.created)

    # Series ---------------------------------------------------------------------------------
    _intro_to_meeting = False

    def _series(self, plans: list[ImportPlan], *, slug: str, name: str) -> Series:
        first = plans[0]
        series = Series.objects.filter(slug=slug).first()
        report = self.result.series
        if series is None:
            name = name or first.title or slug
            self.line = first.title_line
            series = Series(name=name[:200], slug=slug, description=first.series_description(name=name))
            # The schedule only as the document states it ("weekly on Thursdays at 16:00"): dates of
            # past meetings do not say when the club meets next, so it is left for an organiser to set.
            if first.weekday is not None and first.cadence_weeks:
                series.weekday, series.cadence_weeks = first.weekday, first.cadence_weeks
            else:
                series.schedule = Series.Schedule.UNSET
            if first.start_time:
                series.start_time = first.start_time  # the time the document gives its sessions
            series = series_save(series=series, by=self.by)
            self.result.counts["series"]["created"] += 1
            report.update(name=series.name, slug=series.slug, action="created")
            return series
        self.result.counts["series"]["reused"] += 1
        action = "unchanged"
        if name and name != series.name:
            series.name = name[:200]
            action = "updated"
        opening = first.series_description(name=series.name)
        if opening and not series.description.strip():
            series.description = opening
            action = "updated"
        elif opening and _words(opening) != _words(series.description):
            # The series has its own description: the document's opening is kept on its first meeting.
            self._intro_to_meeting = True
        if action == "updated":
            series_save(series=series, by=self.by)
        report.update(name=series.name, slug=series.slug, action=action)
        return series

    def _opening_links(self, series: Series, plan: ImportPlan) -> None:
        """The links of the text before the first meeting join the library, on a list of the series'.

        A resource is mentioned by meetings; the series holds its introduction's links through
        this reading list, so members find them in the library and the series' visibility covers them.
        """
        if not plan.description_links:
            return
        title = f"{series.name}: links from the introduction"[:200]
        reading_list = ReadingList.objects.filter(series=series, title=title).first()
        if reading_list is None:
            reading_list = readinglist_save(
                reading_list=ReadingList(title=title, series=series, is_public=True), by=self.by
            )
        for link in plan.description_links:
            self.line = link.line
            resource = self._add(
                url=link.href, title=link.title, kind=link.kind, tags=self.tags, library=False
            )
            readinglist_add(reading_list=reading_list, resource=resource, by=self.by)
            self.result.series.setdefault("links", []).append(resource)

    def _opening_as_notes(self, plan: ImportPlan, series: Series, *, first: bool) -> None:
        opening = plan.series_description(name=series.name if first else plan.title)
        if not opening:
            return
        if not plan.meetings:
            series.description = (series.description + "\n\n" + opening).strip()
            series_save(series=series, by=self.by)
            return
        meeting = plan.meetings[0]
        lines = plan.description_lines or (1, 1)
        meeting.sections.insert(
            0,
            PlannedSection(
                kind=NOTES,
                heading=(plan.document_title or "Introduction")[:300],
                body=opening,
                first_line=lines[0],
                last_line=lines[1],
                key=f"{meeting.key}:intro",
            ),
        )
        plan.warn(lines[0], "the document's opening text is kept as a notes section of its first meeting")
        self.result.warnings.append(plan.warnings[-1])

    # Meetings -------------------------------------------------------------------------------
    def _meeting(self, series: Series, planned: PlannedMeeting, sequence: int) -> Meeting:
        counts = self.result.counts
        start = None
        if planned.date:
            at = planned.time or series.start_time
            start = datetime.combine(planned.date, at, tzinfo=ZoneInfo(series.time_zone))
        agenda = planned.text_of(AGENDA)
        meeting = Meeting.objects.filter(series=series, import_key=planned.key).first()
        # What the document says of the meeting; what it leaves out (a date set on the site) is kept.
        wanted = {"title": planned.title}
        if start is not None:
            wanted["start"] = _instant(start)
        if agenda:
            wanted["agenda"] = agenda
        if planned.recording_url:
            wanted["recording_link"] = planned.recording_url[:500]
        if planned.cancelled:
            wanted["status"] = Meeting.Status.CANCELLED
        if meeting is None:
            meeting = Meeting(
                series=series,
                import_key=planned.key,
                sequence=sequence,
                title=planned.title,
                start=start,
                duration=series.default_duration,
                location=series.location,
                video_link=series.video_link,
                recording_link=planned.recording_url[:500],
                agenda=agenda,
                status=_status(planned, start),
                import_base=wanted,
            )
            meeting = meeting_save(meeting=meeting, by=self.by)
            action = "created"
        else:
            site = {
                "title": meeting.title, "start": _instant(meeting.start) if meeting.start else None,
                "agenda": meeting.agenda, "recording_link": meeting.recording_link, "status": meeting.status,
            }  # fmt: skip
            changes, clashes = fields_merge(
                base=meeting.import_base, document=wanted, site=site, prefer_document=self.prefer_document
            )
            self._clashes(meeting, "the meeting", planned.line, clashes)
            if "start" in changes:
                changes["start"] = start
            if meeting.sequence != sequence:
                changes["sequence"] = sequence
            for field_name, value in changes.items():
                setattr(meeting, field_name, value)
            base = {**meeting.import_base, **wanted}
            if changes or base != meeting.import_base:
                meeting.import_base = base
                meeting_save(meeting=meeting, by=self.by)
            action = "updated" if changes else "unchanged"
        counts["meetings"][action] += 1
        report = {
            "key": planned.key,
            "line": planned.line,
            "title": meeting.title,
            "when": meeting.local_start,
            "action": action,
            "url": meeting.get_absolute_url(),
            "speakers": [],
            "sections": [],
            "items": [],
        }
        resources = self._resources(meeting, planned)
        self._talks(meeting, planned, resources, report)
        self._sections(meeting, planned, report)
        self._documents(meeting, planned, report)
        self._items(meeting, planned, resources, report)
        self.result.meetings.append(report)
        return meeting

    def _resources(self, meeting: Meeting, planned: PlannedMeeting) -> dict[str, Resource]:
        found = {}
        for link in planned.heading_links + planned.links:
            self.line = link.line
            resource = self._add(
                url=link.href,
                title=link.title,
                kind=link.kind,
                tags=self.tags,
                meeting=meeting,
                section=link.section,
            )
            found[link.url] = resource
        return found

    def _user(self, name: str):
        key = name.lower()
        if key not in self.users:
            matches = list(
                User.objects.filter(is_active=True)
                .annotate(full=Concat("first_name", Value(" "), "last_name"))
                .filter(Q(display_name__iexact=name) | Q(username__iexact=name) | Q(full__iexact=name))[:2]
            )
            self.users[key] = matches[0] if len(matches) == 1 else None
        return self.users[key]

    def _talks(self, meeting, planned, resources, report) -> None:
        counts = self.result.counts["talks"]
        talks = list(meeting.talks.select_related("speaker"))
        for order, speaker in enumerate(planned.speakers):
            self.line = speaker.line
            user = self._user(speaker.name)
            name = speaker.name.lower()
            talk = next(
                (
                    t
                    for t in talks
                    if (user is not None and t.speaker_id == user.pk)
                    or (t.speaker_id is None and t.guest_name.lower() == name)
                    or (t.speaker_id is not None and t.speaker.name.lower() == name)
                ),
                None,
            )
            found = talk
            talk, action, clashes = talk_import(
                meeting=meeting, talk=talk, speaker=user, guest_name=speaker.name, title=speaker.title,
                resource=self._presented(speaker.resource_url, resources), order=order,
                prefer_document=self.prefer_document,
            )  # fmt: skip
            if found is None:
                talks.append(talk)
            self._clashes(meeting, f"talk by {speaker.name}", speaker.line, clashes)
            counts[action] += 1
            report["speakers"].append(
                {"name": speaker.name, "member": user, "title": talk.title, "action": action}
            )

    def _sections(self, meeting, planned, report) -> None:
        inputs = []
        for section in planned.sections:
            if section.kind in SECTION_KINDS:
                inputs.append(
                    SectionInput(
                        key=section.key, kind=section.kind, heading=section.heading, body=section.body
                    )
                )
            report["sections"].append(
                {
                    "label": section.heading or KIND_LABELS.get(section.kind, section.kind),
                    "kind": KIND_LABELS.get(section.kind, section.kind),
                    "lines": (section.first_line, section.last_line),
                }
            )
        self.line = planned.line
        saved = sections_import(meeting=meeting, sections=inputs)
        tally = self.result.counts["sections"]
        for name in tally:
            tally[name] += getattr(saved, name)

    def _documents(self, meeting, planned, report) -> None:
        for kind in (MINUTES, RECAP):
            body = planned.text_of(kind)
            if not body:
                continue
            self.line = planned.bodies(kind)[0].first_line
            current = minutes_get(meeting=meeting, kind=kind)
            saved = minutes_save(
                meeting=meeting,
                kind=kind,
                body=body,
                base_revision=current.revision,
                by=self.by,
                note=f"Imported from {self.source}" if self.source else "Imported",
            )
            if saved.changed:
                self.result.counts["minutes_revisions"]["created"] += 1

    def _items(self, meeting, planned, resources, report) -> None:
        counts = self.result.counts["research_items"]
        existing = {
            item.import_key: item
            for item in meeting.research_items.filter(import_key__in=[p.key for p in planned.items])
        }
        for position, planned_item in enumerate(planned.items, start=1):
            self.line = planned_item.line
            text, assignee = self._assignee(planned_item.text, planned_item.line, meeting)
            resource = None
            if planned_item.url:
                link = re.search(r"\]\((?P<href>[^)\s]+)\)", planned_item.text)
                href = link["href"] if link else planned_item.url
                if not href.startswith(("http://", "https://")):
                    href = planned_item.url
                resource = self._add(url=href, meeting=meeting, section="research")
            entry = ImportedItem(
                key=planned_item.key, text=text, position=position, status=planned_item.status,
                reason=planned_item.reason, assignee=assignee, resource=resource,
            )  # fmt: skip
            item, action, clashes = research_item_import(
                meeting=meeting, entry=entry, item=existing.get(planned_item.key), by=self.by,
                prefer_document=self.prefer_document,
            )  # fmt: skip
            self._clashes(meeting, f"research item “{item.text[:60]}”", planned_item.line, clashes)
            counts[action] += 1
            report["items"].append(
                {
                    "text": item.text,
                    "status": item.get_status_display(),
                    "reason": item.drop_reason,
                    "assignee": item.assignee,
                    "line": planned_item.line,
                    "action": action,
                }
            )
        # An item the edited document no longer lists goes, unless the site changed it since.
        removed, kept = research_items_import_remove(
            meeting=meeting, keep_keys=[p.key for p in planned.items]
        )
        for item in removed:
            report["items"].append(
                {"text": item.text, "status": item.get_status_display(), "reason": item.drop_reason,
                 "assignee": item.assignee, "line": None, "action": "removed"}
            )  # fmt: skip
            counts["removed"] += 1
            self.released.add(item.resource_id)
        for item in kept:
            self._clashes(
                meeting, f"research item “{item.text[:60]}”", planned.line,
                [Clash("removed from the document", item.get_status_display(), "removed", "site")],
            )  # fmt: skip

    def _presented(self, url: str, resources: dict):
        """The talk's paper: a resource the meeting links, or a link only its speaker line gives."""
        if not url:
            return None
        if url in resources:
            return resources[url]
        try:
            parsed = parse_link(url)
        except InvalidLink:
            return None
        return resources.get(parsed.url) or self._add(url=url, library=False)

    def _clashes(self, meeting, what: str, line, clashes) -> None:
        for clash in clashes:
            entry = {
                "meeting": meeting.title or meeting.label, "what": what, "field": clash.field,
                "site": str(clash.site), "document": str(clash.document), "kept": clash.kept,
                "line": line, "source": self.source,
            }  # fmt: skip
            self.result.clashes.append(entry)
            self.result.warnings.append(
                Notice(
                    line=line or 0, source=self.source,
                    message=f"{what}: {clash.field} was changed on the site ({clash.site}) and in the "
                    f"document ({clash.document}); the {clash.kept}'s value is kept",
                )
            )  # fmt: skip

    def _assignee(self, text: str, line: int, meeting: Meeting):
        """ "@ada" names the member the item is assigned to; an unknown name (or someone who may
        not read the series) stays in the text."""
        assignee = None
        for match in MENTION.finditer(text):
            user = User.objects.filter(username__iexact=match["username"].rstrip("."), is_active=True).first()
            if user is None:
                message = f"nobody is called @{match['username']}: kept as text"
            elif not user.has_perm("meetings.view_series", meeting.series):
                message = f"@{match['username']} is not a member of {meeting.series.name}: kept as text"
            else:
                message = ""
            if message:
                self.result.warnings.append(Notice(line=line, message=message, source=self.source))
            else:
                assignee = user
        if assignee is not None:
            text = re.sub(r"\s{2,}", " ", MENTION.sub("", text)).strip()
        return text, assignee

    def _report_resources(self, meetings: list[Meeting]) -> None:
        mentions = (
            Mention.objects.filter(meeting__in=meetings)
            .select_related("resource", "meeting")
            .prefetch_related("resource__tags")
            .order_by("resource__pk", "pk")
        )
        by_resource: dict[int, dict] = {}
        for mention in mentions:
            resource = mention.resource
            entry = by_resource.setdefault(
                resource.pk,
                {
                    "url": resource.url,
                    "title": resource.title,
                    "kind": resource.get_kind_display(),
                    "tags": sorted(resource.tags.names()),
                    "action": "created" if resource.pk > self.last_resource_pk else "reused",
                    "mentions": [],
                },
            )
            entry["mentions"].append(
                f"{mention.meeting.title or mention.meeting.label}: {mention.get_section_display()}"
            )
        self.result.resources = sorted(
            by_resource.values(), key=lambda r: (r["action"] != "created", r["url"])
        )
        for entry in self.result.resources:
            self.result.counts["resources"][entry["action"]] += 1


def _status(planned: PlannedMeeting, start) -> str:
    if planned.cancelled:
        return Meeting.Status.CANCELLED
    return Meeting.Status.HELD if start and start < timezone.now() else Meeting.Status.SCHEDULED


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _words(text: str) -> str:
    return " ".join(text.split())
