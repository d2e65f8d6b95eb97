"""iCalendar (RFC 5545) feeds: one per series, and a "my talks" feed per member."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Prefetch
from django.utils import timezone
from icalendar import Calendar, Conference, Event

from meetings.models import Meeting, Series, Talk, User
from meetings.text import clean_text

PRODID = "-//clubsite//speaker rota//EN"
# Older meetings rarely matter to a calendar app and only make the feed heavy.
HISTORY = timedelta(days=2 * 365)


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "clubsite"


def meeting_uid(meeting: Meeting) -> str:
    """The event's UID: stable for the meeting's whole life, whatever changes."""
    return f"meeting-{meeting.pk}@{_host()}"


def _summary(meeting: Meeting, talks, *, with_series: bool) -> str:
    speakers = ", ".join(talk.speaker_name for talk in talks)
    text = meeting.title or meeting.series.name
    if with_series and meeting.title:
        text = f"{meeting.series.name}: {meeting.title}"
    return f"{text} ({speakers})" if speakers else text


def _event(meeting: Meeting, *, with_series: bool = False) -> Event:
    zone = ZoneInfo(meeting.series.time_zone)
    talks = list(meeting.talks.all())
    url = settings.SITE_URL + meeting.get_absolute_url()
    lines = []
    for talk in talks:
        line = f"Speaker: {talk.speaker_name}"
        if talk.title:
            line += f": {talk.title}"
        lines.append(line)
    if meeting.video_link:
        lines.append(f"Video call: {meeting.video_link}")
    lines.append(url)
    modified = meeting.updated_at or meeting.created_at
    event = Event.new(
        uid=meeting_uid(meeting),
        start=meeting.start.astimezone(zone),
        end=(meeting.start + meeting.duration).astimezone(zone),
        # Rows stored before issue 13 may hold control characters iCalendar forbids.
        summary=clean_text(_summary(meeting, talks, with_series=with_series)),
        description=clean_text("\n".join(lines)),
        location=clean_text(meeting.location) or None,
        url=url,
        stamp=timezone.now(),
        last_modified=modified,
        # SEQUENCE must grow with each change; seconds since creation always do.
        sequence=max(int((modified - meeting.created_at).total_seconds()), 0),
        status="CANCELLED" if meeting.status == Meeting.Status.CANCELLED else "CONFIRMED",
        conferences=[Conference(meeting.video_link, feature="VIDEO")] if meeting.video_link else None,
    )
    return event


def _calendar(name: str, uid: str, meetings: list[Meeting], *, with_series: bool, zone: str = "") -> bytes:
    calendar = Calendar.new(prodid=PRODID, name=clean_text(name), uid=uid)
    if zone:
        calendar.add("X-WR-TIMEZONE", zone)
    for meeting in meetings:
        calendar.add_component(_event(meeting, with_series=with_series))
    if meetings:
        # VTIMEZONEs cover only the feed's years, so the file stays small.
        first = min(m.start for m in meetings).date() - timedelta(days=366)
        last = max(m.start for m in meetings).date() + timedelta(days=366)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def _talks_prefetch():
    return Prefetch("talks", queryset=Talk.objects.select_related("speaker").order_by("order", "pk"))


def series_calendar(*, series: Series) -> bytes:
    """The series' meetings (cancelled ones as STATUS:CANCELLED) as an iCalendar file."""
    meetings = list(
        Meeting.objects.filter(series=series, start__gte=timezone.now() - HISTORY)
        .select_related("series")
        .prefetch_related(_talks_prefetch())
        .order_by("start", "pk")
    )
    return _calendar(
        series.name, f"series-{series.pk}@{_host()}", meetings, with_series=False, zone=series.time_zone
    )


# A calendar is rebuilt when its fingerprint changes; the hour bounds what no fingerprint sees
# (a speaker renaming their account).
CALENDAR_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class CachedCalendar:
    body: bytes
    etag: str
    last_modified: object


def series_calendar_fingerprint(*, series: Series) -> tuple[str, object]:
    """(a key that changes whenever the series' calendar would, the last change): one query.

    Every write to a meeting saves its updated_at (auto_now), and the services that change its
    talks bump it (rota, queue); talks added or removed also change their count and largest id.
    The day is part of it, as the calendar covers a window that moves with the date.
    """
    since = timezone.now() - HISTORY
    row = Meeting.objects.filter(series=series, start__gte=since).aggregate(
        count=Count("pk", distinct=True),
        last_id=Max("pk"),
        changed=Max("updated_at"),
        talk_count=Count("talks"),
        last_talk=Max("talks__pk"),
    )
    parts = [
        series.pk,
        series.name,
        series.time_zone,
        settings.SITE_URL,
        timezone.localdate().isoformat(),
        *(row[key] for key in ("count", "last_id", "changed", "talk_count", "last_talk")),
    ]
    key = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return key, row["changed"] or series.created_at


def series_calendar_cached(*, series: Series) -> CachedCalendar:
    """series_calendar, built once per change (cache key from the fingerprint), with its ETag."""
    key, changed = series_calendar_fingerprint(series=series)
    cache_key = f"calendar:series:{series.pk}:{key}"
    body = cache.get(cache_key)
    if body is None:
        body = series_calendar(series=series)
        cache.set(cache_key, body, CALENDAR_CACHE_SECONDS)
    return CachedCalendar(body=body, etag=f'"{key}"', last_modified=changed)


def member_talks_calendar(*, user: User) -> bytes:
    """The meetings the member speaks at, in every series they may see, as an iCalendar file."""
    from meetings.selectors import series_visible_to

    meetings = list(
        Meeting.objects.filter(
            talks__speaker=user, start__gte=timezone.now() - HISTORY, series__in=series_visible_to(user)
        )
        .distinct()
        .select_related("series")
        .prefetch_related(_talks_prefetch())
        .order_by("start", "pk")
    )
    return _calendar(f"My talks ({user.name})", f"talks-{user.pk}@{_host()}", meetings, with_series=True)


def series_calendar_token(*, series: Series) -> str:
    """The series' calendar token, made on first need."""
    if not series.calendar_token:
        # Two first visits at once keep whichever token was written first.
        Series.objects.filter(pk=series.pk, calendar_token="").update(
            calendar_token=secrets.token_urlsafe(24)
        )
        series.calendar_token = Series.objects.values_list("calendar_token", flat=True).get(pk=series.pk)
    return series.calendar_token


def series_calendar_token_reset(*, series: Series) -> str:
    """Give the series a new calendar token: the old feed address stops working."""
    series.calendar_token = secrets.token_urlsafe(24)
    Series.objects.filter(pk=series.pk).update(calendar_token=series.calendar_token)
    return series.calendar_token


def user_calendar_token_reset(*, user: User) -> str:
    """Give the member a new "my talks" calendar token (the first one, or a replacement)."""
    user.calendar_token = secrets.token_urlsafe(24)
    User.objects.filter(pk=user.pk).update(calendar_token=user.calendar_token)
    return user.calendar_token
