"""Minutes and recaps: conflict-safe saves, revisions, restores and publishing."""

from dataclasses import dataclass

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


class MinutesConflict(Exception):
    """Someone saved a newer revision since the editor started; nothing was written."""

    def __init__(self, current: Minutes):
        super().__init__(f"{current} is at revision {current.revision}")
        self.current = current


@dataclass
class SaveResult:
    minutes: Minutes
    changed: bool


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
    """Save a new revision of the minutes or recap, unless someone saved since base_revision.

    Raises MinutesConflict (and writes nothing) when the stored revision is newer
    than the one the editor started from. Saving unchanged text writes nothing.
    """
    body = body.replace("\r\n", "\n")
    with transaction.atomic():
        minutes_get(meeting=meeting, kind=kind)
        minutes = Minutes.objects.select_for_update().get(meeting=meeting, kind=kind)
        if minutes.revision != base_revision:
            raise MinutesConflict(minutes)
        if minutes.body == body and minutes.revision > 0:
            return SaveResult(minutes=minutes, changed=False)
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
    return SaveResult(minutes=minutes, changed=True)


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
