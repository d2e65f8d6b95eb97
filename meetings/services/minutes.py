"""Minutes and recaps: conflict-safe saves, revisions, restores and publishing."""

from dataclasses import dataclass, field

import merge3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from meetings.markdown import render_markdown
from meetings.models import Meeting, Minutes, MinutesRevision
from meetings.selectors_queue import suggestions_for_talks
from resources.services.library import mentions_sync


@dataclass
class MergeHunk:
    """One place where my edit and theirs overlap: the base text and both versions."""

    index: int
    line: int  # where the hunk starts in the merged text (1-based), to point people at it
    base: str
    mine: str
    theirs: str


@dataclass
class MinutesMerge:
    """A three-way merge. `text` resolves every hunk as "mine", so nothing I typed is lost."""

    segments: list[tuple[str, object]]  # ("same", text) or ("conflict", MergeHunk), in order
    hunks: list[MergeHunk]

    @property
    def text(self) -> str:
        return "".join(part if kind == "same" else part.mine for kind, part in self.segments)


class MinutesConflict(Exception):
    """Someone saved a newer revision since the editor started and our edits overlap; nothing was written."""

    def __init__(self, current: Minutes, *, base_revision: int, merge: MinutesMerge, merged_with=()):
        super().__init__(f"{current} is at revision {current.revision}")
        self.current = current
        self.base_revision = base_revision
        self.merge = merge
        self.merged_with = list(merged_with)


@dataclass
class SaveResult:
    minutes: Minutes
    changed: bool
    # Revisions saved by others since my base revision that my save was merged with.
    merged_with: list[MinutesRevision] = field(default_factory=list)


def _lines(text: str) -> list[str]:
    # Every line ends with a newline, so "a" and "a\n" at the end of a text are the same line.
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def minutes_merge(*, base: str, mine: str, theirs: str) -> MinutesMerge:
    """Merge my edit and theirs, both made from base (merge3, the diff3 algorithm).

    Edits to different lines merge; a region merge3 calls a conflict is split line by line when
    all three versions have the same number of lines, so edits to neighbouring lines merge too.
    Only lines both of us changed differently are hunks.
    """
    segments: list[tuple[str, object]] = []
    hunks: list[MergeHunk] = []

    def same(lines):
        if not lines:
            return
        text = "".join(lines)
        if segments and segments[-1][0] == "same":
            segments[-1] = ("same", segments[-1][1] + text)
        else:
            segments.append(("same", text))

    def conflict(base_lines, mine_lines, theirs_lines):
        line = 1 + sum((part if kind == "same" else part.mine).count("\n") for kind, part in segments)
        hunk = MergeHunk(
            index=len(hunks),
            line=line,
            base="".join(base_lines),
            mine="".join(mine_lines),
            theirs="".join(theirs_lines),
        )
        hunks.append(hunk)
        segments.append(("conflict", hunk))

    merger = merge3.Merge3(_lines(base), _lines(mine), _lines(theirs))
    for group in merger.merge_groups():
        kind = group[0]
        if kind != "conflict":
            same(group[1])
            continue
        base_lines, mine_lines, theirs_lines = group[1], group[2], group[3]
        if not (len(base_lines) == len(mine_lines) == len(theirs_lines)):
            conflict(base_lines, mine_lines, theirs_lines)
            continue
        pending: list[tuple[str, str, str]] = []
        for old, a, b in zip(base_lines, mine_lines, theirs_lines, strict=True):
            if a == b or b == old:
                resolved = a
            elif a == old:
                resolved = b
            else:
                pending.append((old, a, b))
                continue
            if pending:
                conflict(*zip(*pending, strict=True))
                pending = []
            same([resolved])
        if pending:
            conflict(*zip(*pending, strict=True))
    # Keep the end of the text as I wrote it: no newline added if mine had none.
    if not mine.endswith("\n") and segments:
        kind, part = segments[-1]
        if kind == "same" and part.endswith("\n"):
            segments[-1] = ("same", part[:-1])
        elif kind == "conflict" and part.mine.endswith("\n"):
            part.mine = part.mine[:-1]
            if part.theirs.endswith("\n") and not theirs.endswith("\n"):
                part.theirs = part.theirs[:-1]
    return MinutesMerge(segments=segments, hunks=hunks)


def minutes_get(*, meeting: Meeting, kind: str) -> Minutes:
    """The meeting's minutes or recap, created empty (revision 0) on first use."""
    minutes, _ = Minutes.objects.get_or_create(meeting=meeting, kind=kind)
    return minutes


def minutes_save(
    *,
    meeting: Meeting,
    kind: str,
    body: str,
    base_revision: int,
    by,
    note: str = "",
) -> SaveResult:
    """Save a new revision of the minutes or recap, merged with whatever was saved since base_revision.

    When someone saved since the editor started, my edit is merged with theirs against
    base_revision (three-way); if our edits overlap, MinutesConflict carries the hunks and
    nothing is written. Saving unchanged text writes nothing.
    """
    body = body.replace("\r\n", "\n")
    merged_with: list[MinutesRevision] = []
    with transaction.atomic():
        minutes_get(meeting=meeting, kind=kind)
        minutes = Minutes.objects.select_for_update().get(meeting=meeting, kind=kind)
        if minutes.revision != base_revision:
            # A base the document never had (newer than it, or gone) merges against nothing.
            base = ""
            if 0 < base_revision < minutes.revision:
                base_row = MinutesRevision.objects.filter(minutes=minutes, number=base_revision).first()
                base = base_row.body if base_row else ""
            merged_with = list(
                MinutesRevision.objects.filter(minutes=minutes, number__gt=base_revision)
                .select_related("author")
                .order_by("number")
            )
            merge = minutes_merge(base=base, mine=body, theirs=minutes.body)
            if merge.hunks:
                raise MinutesConflict(
                    minutes, base_revision=base_revision, merge=merge, merged_with=merged_with
                )
            body = merge.text
        if minutes.body == body and minutes.revision > 0:
            return SaveResult(minutes=minutes, changed=False, merged_with=merged_with)
        now = timezone.now()
        minutes.body = body
        minutes.body_html = render_markdown(body, id_prefix=f"md-{kind}-")
        minutes.revision = F("revision") + 1
        minutes.updated_at = now
        minutes.updated_by = by
        minutes.save(update_fields=["body", "body_html", "revision", "updated_at", "updated_by"])
        minutes.refresh_from_db(fields=["revision"])
        MinutesRevision.objects.create(
            minutes=minutes, number=minutes.revision, body=body, author=by, created_at=now, note=note
        )
        # Links in the text become library resources, mentioned by this meeting.
        mentions_sync(meeting=meeting, section=kind, html=minutes.body_html, by=by)
    return SaveResult(minutes=minutes, changed=True, merged_with=merged_with)


def minutes_restore(*, minutes: Minutes, number: int, by) -> SaveResult:
    """Restore an old revision's text as a new revision."""
    old = MinutesRevision.objects.get(minutes=minutes, number=number)
    return minutes_save(
        meeting=minutes.meeting,
        kind=minutes.kind,
        body=old.body,
        base_revision=minutes.revision,
        by=by,
        note=f"Restored revision {number}",
    )


def minutes_publish(*, minutes: Minutes, by) -> bool:
    """Mark minutes published and queue the email to the series' members; False if already published."""
    from meetings.tasks import minutes_send_published

    with transaction.atomic():
        updated = Minutes.objects.filter(pk=minutes.pk, published_at__isnull=True).update(
            published_at=timezone.now(), published_by=by
        )
        if updated:
            transaction.on_commit(lambda: minutes_send_published.delay(minutes_id=minutes.pk))
    minutes.refresh_from_db()
    return bool(updated)


def minutes_recipients(*, minutes: Minutes) -> list[str]:
    series = minutes.meeting.series
    people = {u.pk: u for u in series.members.filter(is_active=True, notify_minutes=True)}
    people.update({u.pk: u for u in series.organisers.filter(is_active=True, notify_minutes=True)})
    return sorted({u.email for u in people.values() if u.email})


def minutes_send_published_email(*, minutes: Minutes) -> int:
    """Email published minutes to the series' members, once; returns how many were addressed."""
    if minutes.published_at is None:
        return 0
    claimed = Minutes.objects.filter(pk=minutes.pk, publish_email_sent_at__isnull=True).update(
        publish_email_sent_at=timezone.now()
    )
    if not claimed:
        return 0
    recipients = minutes_recipients(minutes=minutes)
    if not recipients:
        return 0
    meeting = minutes.meeting
    talks = list(meeting.talks.select_related("resource").order_by("order", "pk"))
    papers = suggestions_for_talks(talk_ids=[talk.pk for talk in talks])
    context = {
        "minutes": minutes,
        "meeting": meeting,
        "series": meeting.series,
        "link": settings.SITE_URL + meeting.get_absolute_url(),
        "site_name": settings.SITE_NAME,
        # "Ada presents LoRA, suggested by Alan with 3 votes": the paper queue's part in the meeting.
        "queue_papers": [(talk, papers[talk.pk]) for talk in talks if talk.pk in papers],
    }
    subject = f"[{meeting.series.name}] {minutes.get_kind_display()}: {meeting.label}"
    try:
        # One message per person: members' addresses are not shown to each other.
        messages = []
        for address in recipients:
            message = EmailMultiAlternatives(
                subject=subject,
                body=render_to_string("emails/minutes_published.txt", context),
                to=[address],
            )
            message.attach_alternative(
                render_to_string("emails/minutes_published.html", context), "text/html"
            )
            messages.append(message)
        from django.core.mail import get_connection

        with get_connection() as connection:
            connection.send_messages(messages)
    except Exception:
        Minutes.objects.filter(pk=minutes.pk).update(publish_email_sent_at=None)
        raise
    return len(recipients)
