"""The speaker rota: dates from a series' schedule rule, fair speaker assignment, generating a
term, editing the rota, swap requests, talk confirmations and reminders."""

import calendar
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting, Series, SkipDate, SwapRequest, Talk, TalkReminder, Unavailability
from meetings.services import queue

logger = logging.getLogger(__name__)

# A term longer than this is almost certainly a typo in the end date.
MAX_TERM_DAYS = 400
CONFIRM_SALT = "meetings.talk-confirm"
# A confirmation link outlives any reasonable gap between generating a term and its last talk.
CONFIRM_MAX_AGE = timedelta(days=400)


# Schedule rules


def _series_zone(series: Series) -> ZoneInfo:
    return ZoneInfo(series.time_zone)


def series_local_start(*, series: Series, day: date, at: time | None = None) -> datetime:
    """The aware start of a meeting of the series on a local date (at its usual time unless given)."""
    return datetime.combine(day, at or series.start_time, tzinfo=_series_zone(series))


def _local_date(series: Series, moment: datetime) -> date:
    return moment.astimezone(_series_zone(series)).date()


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    if nth > 0:
        first = date(year, month, 1)
        day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
        # A fifth Monday does not exist in every month: that month has no meeting.
        return day if day.month == month else None
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def schedule_dates(*, series: Series, start: date, end: date) -> list[date]:
    """The dates the series' schedule rule gives from start to end (inclusive), skip dates included."""
    if end < start:
        return []
    if series.schedule == Series.Schedule.UNSET:
        raise ValidationError(
            {"schedule": "Say when the series meets first: edit the series and set its schedule."}
        )
    if series.schedule == Series.Schedule.MONTHLY:
        nth = series.month_week
        if nth not in (1, 2, 3, 4, 5, -1):
            raise ValidationError(
                {"month_week": "Say which weekday of the month the series meets on (1 to 5, or -1 for last)."}
            )
        days, year, month = [], start.year, start.month
        while date(year, month, 1) <= end:
            day = _nth_weekday(year, month, series.weekday, nth)
            if day is not None and start <= day <= end:
                days.append(day)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return days
    step = timedelta(weeks=min(max(series.cadence_weeks or 1, 1), 4))
    # The anchor fixes which weeks the series meets in, so two fortnightly clubs can alternate;
    # without one the range's start is the anchor.
    anchor = series.anchor_date or start
    anchor += timedelta(days=(series.weekday - anchor.weekday()) % 7)
    periods = -(-(start - anchor).days // step.days)  # ceiling division, negative offsets too
    day = anchor + step * periods
    days = []
    while day <= end:
        days.append(day)
        day += step
    return days


def series_meeting_dates(*, series: Series, start: date, end: date) -> tuple[list[date], dict[date, str]]:
    """(the dates the series meets on from start to end, {skipped date: reason})."""
    days = schedule_dates(series=series, start=start, end=end)
    skips = {
        skip.date: skip.reason or "No meeting"
        for skip in SkipDate.objects.filter(series=series, date__gte=start, date__lte=end)
    }
    return [d for d in days if d not in skips], {d: skips[d] for d in days if d in skips}


def skip_date_add(*, series: Series, day: date, reason: str = "") -> SkipDate:
    """Add (or re-word) a date the series does not meet."""
    skip, _ = SkipDate.objects.update_or_create(series=series, date=day, defaults={"reason": reason.strip()})
    return skip


def skip_date_remove(*, series: Series, day: date) -> None:
    """Forget a skip date."""
    SkipDate.objects.filter(series=series, date=day).delete()


# Fair assignment


def _order_key(user, *, last, count, front):
    return (
        0 if user.pk in front else 1,
        front.get(user.pk, date.min),
        last.get(user.pk) or date.min,  # never presented: earliest of all
        count.get(user.pk, 0),
        user.username,
        user.pk,
    )


def speakers_assign(
    *,
    dates: list[date],
    pool: list,
    last_talk: dict[int, date] | None = None,
    talk_count: dict[int, int] | None = None,
    unavailable: dict[int, set[date]] | None = None,
    front: dict[int, date] | None = None,
    already: dict[int, int] | None = None,
) -> list:
    """Pick a speaker for each date (None when nobody can): least recently presented first.

    Ties go to fewer talks, then username. Nobody is put on a date they cannot present.
    Within the term nobody gets more than their even share (ceiling of slots over people)
    while someone else available is under it. `front` are speakers of cancelled talks, first
    in the queue (earliest cancellation first); `already` counts talks they hold in the term.
    """
    last = dict(last_talk or {})
    count = dict(talk_count or {})
    front = dict(front or {})
    unavailable = unavailable or {}
    term = {user.pk: (already or {}).get(user.pk, 0) for user in pool}
    pool = sorted({user.pk: user for user in pool}.values(), key=lambda u: (u.username, u.pk))
    if not pool:
        return [None] * len(dates)
    cap = -(-(len(dates) + sum(term.values())) // len(pool))
    chosen = []
    for day in sorted(dates):
        queue = sorted(pool, key=lambda u: _order_key(u, last=last, count=count, front=front))
        free = [u for u in queue if day not in unavailable.get(u.pk, ())]
        pick = next((u for u in free if term[u.pk] < cap), free[0] if free else None)
        chosen.append(pick)
        if pick is not None:
            front.pop(pick.pk, None)
            last[pick.pk] = day
            count[pick.pk] = count.get(pick.pk, 0) + 1
            term[pick.pk] += 1
    by_date = dict(zip(sorted(dates), chosen, strict=True))
    return [by_date[day] for day in dates]


def _speaker_history(series: Series, before: datetime) -> tuple[dict[int, date], dict[int, int]]:
    rows = (
        Talk.objects.filter(meeting__series=series, speaker__isnull=False, meeting__start__lt=before)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .values("speaker_id")
        .annotate(last=Max("meeting__start"), count=Count("pk"))
    )
    last = {row["speaker_id"]: _local_date(series, row["last"]) for row in rows}
    return last, {row["speaker_id"]: row["count"] for row in rows}


def _cancelled_speakers(series: Series, last: dict[int, date]) -> dict[int, date]:
    """Speakers whose latest slot was cancelled: they go back to the front of the queue."""
    front = {}
    talks = (
        Talk.objects.filter(
            meeting__series=series, speaker__isnull=False, meeting__status=Meeting.Status.CANCELLED
        )
        .exclude(meeting__start__isnull=True)
        .values_list("speaker_id", "meeting__start")
    )
    for speaker_id, start in talks:
        day = _local_date(series, start)
        if last.get(speaker_id) is None or day > last[speaker_id]:
            front[speaker_id] = min(day, front.get(speaker_id, day))
    return front


def _unavailable(series: Series, users, start: date, end: date) -> dict[int, set[date]]:
    out: dict[int, set[date]] = {}
    rows = Unavailability.objects.filter(
        Q(series__isnull=True) | Q(series=series), user__in=users, date__gte=start, date__lte=end
    ).values_list("user_id", "date")
    for user_id, day in rows:
        out.setdefault(user_id, set()).add(day)
    return out


# Generating a term


@dataclass(frozen=True)
class TermRow:
    date: date
    start: datetime
    kind: str  # "new", "existing" or "skipped"
    speaker: object = None
    meeting: Meeting | None = None
    reason: str = ""
    paper: object = None  # a queue.PairedPaper: the suggestion offered to the new talk


@dataclass(frozen=True)
class TermPreview:
    series: Series
    start: date
    end: date
    pool: tuple
    rows: tuple[TermRow, ...]
    fingerprint: str

    @property
    def new_rows(self) -> list[TermRow]:
        return [row for row in self.rows if row.kind == "new"]

    @property
    def counts(self) -> list[tuple[object, int]]:
        """How many new talks each pool member gets in this term."""
        counted = {user.pk: 0 for user in self.pool}
        for row in self.new_rows:
            if row.speaker is not None:
                counted[row.speaker.pk] += 1
        return [(user, counted[user.pk]) for user in self.pool]


class RotaChanged(Exception):
    """The rota the preview showed is no longer what the same inputs give."""

    def __init__(self, preview: TermPreview):
        super().__init__("The rota changed since the preview.")
        self.preview = preview


def rota_preview(*, series: Series, start: date, end: date, pool, use_queue: bool = True) -> TermPreview:
    """The term's dated slots: existing meetings kept, skipped dates shown, new ones with speakers
    (and, with use_queue, a paper from the queue: meetings/services/queue.py, term_pair)."""
    if end < start:
        raise ValidationError({"end": "The term ends before it starts."})
    if (end - start).days > MAX_TERM_DAYS:
        raise ValidationError({"end": f"Generate at most {MAX_TERM_DAYS} days at a time."})
    pool = tuple(sorted(pool, key=lambda u: (u.username, u.pk)))
    days, skipped = series_meeting_dates(series=series, start=start, end=end)
    range_start = series_local_start(series=series, day=start, at=time(0))
    range_end = series_local_start(series=series, day=end + timedelta(days=1), at=time(0))
    existing: dict[date, Meeting] = {}
    already: dict[int, int] = {}
    for meeting in (
        Meeting.objects.filter(series=series, start__gte=range_start, start__lt=range_end)
        .order_by("start", "pk")
        .prefetch_related("talks__speaker")
    ):
        existing.setdefault(_local_date(series, meeting.start), meeting)
        if meeting.status != Meeting.Status.CANCELLED:
            for talk in meeting.talks.all():
                if talk.speaker_id:
                    already[talk.speaker_id] = already.get(talk.speaker_id, 0) + 1
    last, count = _speaker_history(series, range_end)
    free_days = [d for d in days if d not in existing]
    proposed, papers = queue.term_pair(
        series=series,
        dates=free_days,
        pool=list(pool),
        last_talk=last,
        talk_count=count,
        unavailable=_unavailable(series, pool, start, end),
        front=_cancelled_speakers(series, last),
        already=already,
        assign=speakers_assign,
        use_queue=use_queue,
    )
    rows = []
    for day in sorted({*days, *skipped, *existing}):
        when = series_local_start(series=series, day=day)
        if day in existing:
            rows.append(TermRow(date=day, start=existing[day].start, kind="existing", meeting=existing[day]))
        elif day in skipped:
            rows.append(TermRow(date=day, start=when, kind="skipped", reason=skipped[day]))
        else:
            rows.append(
                TermRow(date=day, start=when, kind="new", speaker=proposed[day], paper=papers.get(day))
            )
    plan = {
        "series": series.pk,
        "range": [start.isoformat(), end.isoformat()],
        "time": [series.start_time.isoformat(), series.time_zone],
        "pool": [user.pk for user in pool],
        "rows": [
            [
                row.date.isoformat(),
                row.kind,
                row.meeting.pk if row.meeting else None,
                getattr(row.speaker, "pk", None),
                *([row.paper.suggestion.pk] if row.paper else []),
            ]
            for row in rows
        ],
    }
    fingerprint = hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()[:32]
    return TermPreview(
        series=series, start=start, end=end, pool=pool, rows=tuple(rows), fingerprint=fingerprint
    )


def rota_generate(
    *, series: Series, start: date, end: date, pool, by, expected: str, use_queue: bool = True
) -> list[Meeting]:
    """Create the previewed term's meetings and talks (claiming their papers from the queue);
    RotaChanged if the inputs no longer give it."""
    with transaction.atomic():
        # Two organisers confirming at once must not both create the term.
        Series.objects.select_for_update().filter(pk=series.pk).first()
        preview = rota_preview(series=series, start=start, end=end, pool=pool, use_queue=use_queue)
        if preview.fingerprint != expected:
            raise RotaChanged(preview)
        last = Meeting.objects.filter(series=series).aggregate(last=Max("sequence"))["last"] or 0
        created = []
        for offset, row in enumerate(preview.new_rows, start=1):
            meeting = Meeting.objects.create(
                series=series,
                sequence=last + offset,
                start=row.start,
                duration=series.default_duration,
                location=series.location,
                video_link=series.video_link,
            )
            if row.speaker is not None:
                talk = Talk.objects.create(meeting=meeting, speaker=row.speaker, order=0)
                if row.paper is not None:
                    queue.term_claim(talk=talk, paper=row.paper, by=by)
                _queue_confirmation(talk)
            created.append(meeting)
    return created


# Editing the rota


def _lead_talk(meeting: Meeting) -> Talk | None:
    return Talk.objects.select_for_update().filter(meeting=meeting).order_by("order", "pk").first()


def _touch(*meetings: Meeting) -> None:
    # Calendars read updated_at as the event's last change; moving talks changes the event.
    Meeting.objects.filter(pk__in=[m.pk for m in meetings]).update(updated_at=timezone.now())


def _close_swaps(talks, *, status=SwapRequest.Status.CANCELLED) -> None:
    ids = [talk.pk for talk in talks if talk is not None]
    SwapRequest.objects.filter(status=SwapRequest.Status.PENDING).filter(
        Q(from_talk_id__in=ids) | Q(to_talk_id__in=ids)
    ).update(status=status, decided_at=timezone.now())


def _check_available(meeting: Meeting, speaker, day: date | None = None) -> None:
    if speaker is None or meeting.start is None:
        return
    day = day or _local_date(meeting.series, meeting.start)
    marked = Unavailability.objects.filter(
        Q(series__isnull=True) | Q(series=meeting.series), user=speaker, date=day
    ).exists()
    if marked:
        raise ValidationError(
            {"speaker": f"{speaker.name} marked {day:%-d %b %Y} as a date they cannot present."}
        )


def _reset_confirmation(talk: Talk) -> None:
    talk.confirmed_at = None
    talk.confirmation_requested_at = None
    TalkReminder.objects.filter(talk=talk).delete()


def rota_reassign(*, meeting: Meeting, speaker, by) -> Talk:
    """Give the meeting's slot to another member; they are asked to confirm."""
    with transaction.atomic():
        _check_available(meeting, speaker)
        talk = _lead_talk(meeting)
        if talk is not None and talk.speaker_id == speaker.pk:
            return talk
        if talk is None:
            talk = Talk(meeting=meeting, order=0)
        else:
            _close_swaps([talk])
        talk.speaker, talk.guest_name = speaker, ""
        if talk.pk:
            _reset_confirmation(talk)
        talk.save()
        _touch(meeting)
        _queue_confirmation(talk)
    return talk


def _swap_talks(first: Talk | None, a: Meeting, second: Talk | None, b: Meeting) -> None:
    # The talks move between the meetings, titles and papers with them.
    if first is not None:
        Talk.objects.filter(pk=first.pk).update(meeting=b)
        TalkReminder.objects.filter(talk=first).delete()
    if second is not None:
        Talk.objects.filter(pk=second.pk).update(meeting=a)
        TalkReminder.objects.filter(talk=second).delete()
    _touch(a, b)


def rota_swap(*, first: Meeting, second: Meeting, by) -> None:
    """Swap the speakers of two meetings; both are asked to confirm their new dates."""
    if first.pk == second.pk or first.series_id != second.series_id:
        raise ValidationError("Choose two different meetings of the same series.")
    with transaction.atomic():
        talk_a, talk_b = _lead_talk(first), _lead_talk(second)
        if talk_a is None and talk_b is None:
            raise ValidationError("Neither meeting has a speaker to swap.")
        _check_available(second, talk_a.speaker if talk_a else None)
        _check_available(first, talk_b.speaker if talk_b else None)
        _close_swaps([talk_a, talk_b])
        _swap_talks(talk_a, first, talk_b, second)
        for talk in (talk_a, talk_b):
            if talk is not None and talk.speaker_id:
                Talk.objects.filter(pk=talk.pk).update(confirmed_at=None, confirmation_requested_at=None)
                _queue_confirmation(talk)


def rota_cancel(*, meeting: Meeting, by) -> Meeting:
    """Cancel a meeting; its speaker goes back to the front of the queue."""
    with transaction.atomic():
        meeting.status = Meeting.Status.CANCELLED
        meeting.save(update_fields=["status", "updated_at"])
        _close_swaps(list(meeting.talks.all()))
    return meeting


def rota_move(*, meeting: Meeting, day: date, by) -> Meeting:
    """Move a meeting to another date at the same local time; the speaker confirms again."""
    series = meeting.series
    with transaction.atomic():
        talk = _lead_talk(meeting)
        _check_available(meeting, talk.speaker if talk else None, day)
        at = meeting.local_start.time() if meeting.start else series.start_time
        start = series_local_start(series=series, day=day, at=at)
        clash = (
            Meeting.objects.filter(
                series=series,
                start__gte=series_local_start(series=series, day=day, at=time(0)),
                start__lt=series_local_start(series=series, day=day + timedelta(days=1), at=time(0)),
            )
            .exclude(pk=meeting.pk)
            .exclude(status=Meeting.Status.CANCELLED)
            .exists()
        )
        if clash:
            raise ValidationError({"date": f"The series already meets on {day:%-d %b %Y}."})
        if meeting.start == start:
            return meeting
        meeting.start = start
        if meeting.status == Meeting.Status.CANCELLED:
            meeting.status = Meeting.Status.SCHEDULED
        meeting.save(update_fields=["start", "status", "updated_at"])
        for talk in meeting.talks.all():
            _reset_confirmation(talk)
            talk.save(update_fields=["confirmed_at", "confirmation_requested_at"])
            _queue_confirmation(talk)
    return meeting


# Swap requests


def _future_slot(talk: Talk) -> bool:
    meeting = talk.meeting
    return (
        meeting.status == Meeting.Status.SCHEDULED
        and meeting.start is not None
        and (meeting.start > timezone.now())
    )


def swap_request_ask(*, from_talk: Talk, to_talk: Talk, by, message: str = "") -> SwapRequest:
    """Ask another speaker to swap slots; they get an email."""
    if from_talk.speaker_id != by.pk:
        raise ValidationError("You can only offer your own slot.")
    if from_talk.meeting.series_id != to_talk.meeting.series_id or from_talk.meeting_id == to_talk.meeting_id:
        raise ValidationError({"to_talk": "Choose another slot of the same series."})
    if not to_talk.speaker_id or to_talk.speaker_id == by.pk:
        raise ValidationError({"to_talk": "Choose a slot another member presents."})
    if not (_future_slot(from_talk) and _future_slot(to_talk)):
        raise ValidationError({"to_talk": "Only upcoming, scheduled slots can be swapped."})
    pending = SwapRequest.objects.filter(
        from_talk=from_talk, to_talk=to_talk, status=SwapRequest.Status.PENDING
    ).exists()
    if pending:
        raise ValidationError({"to_talk": "You already asked for this swap."})
    with transaction.atomic():
        swap = SwapRequest.objects.create(
            from_talk=from_talk, to_talk=to_talk, requested_by=by, message=message.strip()[:500]
        )
        _queue_swap_email(swap, "asked")
    return swap


def _decide(swap: SwapRequest, *, status: str, by) -> SwapRequest:
    claimed = SwapRequest.objects.filter(pk=swap.pk, status=SwapRequest.Status.PENDING).update(
        status=status, decided_by=by, decided_at=timezone.now()
    )
    if not claimed:
        raise ValidationError("This swap request was already answered.")
    swap.refresh_from_db()
    return swap


def _swap_apply(swap: SwapRequest, *, status: str, by) -> SwapRequest:
    with transaction.atomic():
        talks = {
            t.pk: t
            for t in Talk.objects.select_for_update()
            .select_related("meeting__series")
            .filter(pk__in=[swap.from_talk_id, swap.to_talk_id])
        }
        mine, theirs = talks.get(swap.from_talk_id), talks.get(swap.to_talk_id)
        if mine is None or theirs is None or mine.speaker_id != swap.requested_by_id or not theirs.speaker_id:
            raise ValidationError("The rota changed since the request: these slots cannot be swapped now.")
        if not (_future_slot(mine) and _future_slot(theirs)):
            raise ValidationError("Only upcoming, scheduled slots can be swapped.")
        _check_available(theirs.meeting, mine.speaker)
        _check_available(mine.meeting, theirs.speaker)
        swap = _decide(swap, status=status, by=by)
        _close_swaps([mine, theirs])
        _swap_talks(mine, mine.meeting, theirs, theirs.meeting)
        now = timezone.now()
        # Both speakers agreed to their new dates when the other one accepts; an organiser's
        # approval moves the other speaker without asking, so they confirm again.
        Talk.objects.filter(pk=mine.pk).update(confirmed_at=now)
        if status == SwapRequest.Status.ACCEPTED:
            Talk.objects.filter(pk=theirs.pk).update(confirmed_at=now)
        else:
            Talk.objects.filter(pk=theirs.pk).update(confirmed_at=None, confirmation_requested_at=None)
            _queue_confirmation(theirs)
        _queue_swap_email(swap, "decided")
    return swap


def swap_request_accept(*, swap: SwapRequest, by) -> SwapRequest:
    """The other speaker accepts: both meetings change together and both speakers get an email."""
    if swap.to_talk.speaker_id != by.pk:
        raise ValidationError("Only the speaker asked can accept this swap.")
    return _swap_apply(swap, status=SwapRequest.Status.ACCEPTED, by=by)


def swap_request_approve(*, swap: SwapRequest, by) -> SwapRequest:
    """An organiser approves the swap in the other speaker's stead."""
    return _swap_apply(swap, status=SwapRequest.Status.APPROVED, by=by)


def swap_request_decline(*, swap: SwapRequest, by) -> SwapRequest:
    """The other speaker (or an organiser) declines; the one who asked gets an email."""
    with transaction.atomic():
        swap = _decide(swap, status=SwapRequest.Status.DECLINED, by=by)
        _queue_swap_email(swap, "decided")
    return swap


def swap_request_cancel(*, swap: SwapRequest, by) -> SwapRequest:
    """The member who asked withdraws the request."""
    if swap.requested_by_id != by.pk:
        raise ValidationError("Only the member who asked can withdraw the request.")
    return _decide(swap, status=SwapRequest.Status.CANCELLED, by=by)


# Emails


def _meeting_day(meeting: Meeting) -> str:
    return meeting.local_start.strftime("%a %-d %b %Y") if meeting.start else "a date to be set"


def _link(path: str) -> str:
    return settings.SITE_URL + path


def _queue_confirmation(talk: Talk) -> None:
    from meetings.tasks import talk_confirmation_send

    transaction.on_commit(lambda: talk_confirmation_send.delay(talk_id=talk.pk))


def _queue_swap_email(swap: SwapRequest, event: str) -> None:
    from meetings.tasks import swap_request_send_email

    transaction.on_commit(lambda: swap_request_send_email.delay(swap_id=swap.pk, event=event))


def talk_confirm_token(*, talk: Talk) -> str:
    """A signed token that lets the talk's speaker confirm it from the email without signing in."""
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(f"{talk.pk}.{talk.speaker_id}")


def talk_from_confirm_token(*, token: str) -> Talk | None:
    """The talk a confirmation token names, if it is genuine, recent, still that speaker's, and
    the speaker may still read its series (a member removed from a members-only series may not)."""
    try:
        value = signing.TimestampSigner(salt=CONFIRM_SALT).unsign(token, max_age=CONFIRM_MAX_AGE)
        talk_id, speaker_id = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        return None
    talk = (
        Talk.objects.select_related("meeting__series", "speaker")
        .filter(pk=talk_id, speaker_id=speaker_id)
        .first()
    )
    if talk is None or not talk.speaker.has_perm("meetings.view_series", talk.meeting.series):
        return None
    return talk


def talk_confirm(*, talk: Talk, by) -> Talk:
    """The speaker confirms they will give the talk."""
    if by is None or talk.speaker_id != by.pk:
        raise ValidationError("Only the speaker can confirm this talk.")
    Talk.objects.filter(pk=talk.pk, confirmed_at__isnull=True).update(confirmed_at=timezone.now())
    talk.refresh_from_db(fields=["confirmed_at"])
    return talk


def talk_send_confirmation_email(*, talk: Talk) -> bool:
    """Ask a newly assigned speaker to confirm (once per assignment); False if not sent."""
    speaker = talk.speaker
    if speaker is None or not speaker.email or not speaker.notify_speaker or talk.meeting.start is None:
        return False
    claimed = Talk.objects.filter(
        pk=talk.pk, speaker=speaker, confirmation_requested_at__isnull=True, confirmed_at__isnull=True
    ).update(confirmation_requested_at=timezone.now())
    if not claimed:
        return False
    meeting = talk.meeting
    day = _meeting_day(meeting)
    context = {
        "talk": talk,
        "meeting": meeting,
        "speaker": speaker,
        "day": day,
        "confirm_link": _link(reverse("talk-confirm-token", kwargs={"token": talk_confirm_token(talk=talk)})),
        "meeting_link": _link(meeting.get_absolute_url()),
        "rota_link": _link(reverse("series-rota", kwargs={"slug": meeting.series.slug})),
        "site_name": settings.SITE_NAME,
    }
    try:
        send_mail(
            subject=f"[Action required] confirm your talk on {day}",
            message=render_to_string("emails/talk_confirmation.txt", context),
            from_email=None,
            recipient_list=[speaker.email],
        )
    except Exception:
        Talk.objects.filter(pk=talk.pk).update(confirmation_requested_at=None)
        raise
    return True


def swap_request_send_email(*, swap: SwapRequest, event: str) -> int:
    """Email the swap's news: the asked speaker when asked; both when decided. Returns emails sent."""
    requester = swap.requested_by
    claim_field = "asked_emailed_at" if event == "asked" else "decided_emailed_at"
    claimed = SwapRequest.objects.filter(pk=swap.pk, **{f"{claim_field}__isnull": True}).update(
        **{claim_field: timezone.now()}
    )
    if not claimed:
        return 0  # a redelivered task: these emails already went out
    try:
        return _swap_emails(swap, event=event, requester=requester)
    except Exception:
        SwapRequest.objects.filter(pk=swap.pk).update(**{claim_field: None})
        raise


def _swap_emails(swap: SwapRequest, *, event: str, requester) -> int:
    # Once swapped, each talk sits in the other meeting: mine.meeting is the requester's new date.
    mine, theirs = swap.from_talk, swap.to_talk
    if event == "asked":
        recipients = [theirs.speaker]
    elif swap.status == SwapRequest.Status.DECLINED:
        recipients = [requester]
    else:
        recipients = [mine.speaker, theirs.speaker]
    sent = 0
    for person in recipients:
        if person is None or not person.email or not person.notify_speaker:
            continue
        context = {
            "swap": swap,
            "event": event,
            "person": person,
            "requester": requester,
            "mine": mine,
            "theirs": theirs,
            "mine_day": _meeting_day(mine.meeting),
            "theirs_day": _meeting_day(theirs.meeting),
            "rota_link": _link(reverse("series-rota", kwargs={"slug": mine.meeting.series.slug})),
            "site_name": settings.SITE_NAME,
        }
        if event == "asked":
            subject = f"{requester.name} asks to swap talks with you"
        elif swap.status == SwapRequest.Status.DECLINED:
            subject = "Your talk swap was declined"
        else:
            subject = "Talk swap done: your new date"
        send_mail(
            subject=f"[{mine.meeting.series.name}] {subject}",
            message=render_to_string("emails/talk_swap.txt", context),
            from_email=None,
            recipient_list=[person.email],
        )
        sent += 1
    return sent


# Reminders


def _reminder_due(start: datetime, now: datetime, days: list[int]) -> int | None:
    """The reminder due now: the fewest days before that the talk is already within."""
    due = [n for n in days if start - timedelta(days=n) <= now < start]
    return min(due) if due else None


def talk_reminders_send(*, now: datetime | None = None) -> int:
    """Send each speaker's reminders N days before their talk (SPEAKER_REMINDER_DAYS), each once."""
    now = now or timezone.now()
    days = sorted({int(n) for n in settings.SPEAKER_REMINDER_DAYS if int(n) > 0})
    if not days:
        return 0
    talks = (
        Talk.objects.filter(
            speaker__isnull=False,
            speaker__is_active=True,
            speaker__notify_speaker=True,
            meeting__status=Meeting.Status.SCHEDULED,
            meeting__start__gt=now,
            meeting__start__lte=now + timedelta(days=max(days)),
        )
        .exclude(speaker__email="")
        .select_related("meeting__series", "speaker")
        .order_by("meeting__start", "pk")
    )
    sent = 0
    for talk in talks:
        days_before = _reminder_due(talk.meeting.start, now, days)
        if days_before is None:
            continue
        try:
            # The claim and the email share a transaction: a failed send (or a worker that
            # dies mid-send) leaves no claim, so the next run sends it; a second run finds it.
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        TalkReminder.objects.create(talk=talk, days_before=days_before, sent_at=now)
                except IntegrityError:
                    continue
                _send_reminder(talk, now)
        except Exception:
            logger.exception("Reminder for talk %s failed; the next run tries again.", talk.pk)
            continue
        sent += 1
    return sent


def _send_reminder(talk: Talk, now: datetime) -> None:
    meeting = talk.meeting
    left = (meeting.local_start.date() - now.astimezone(_series_zone(meeting.series)).date()).days
    when = {0: "today", 1: "tomorrow"}.get(left, f"in {left} days")
    context = {
        "talk": talk,
        "meeting": meeting,
        "speaker": talk.speaker,
        "when": when,
        "day": _meeting_day(meeting),
        "meeting_link": _link(meeting.get_absolute_url()),
        "confirm_link": _link(reverse("talk-confirm-token", kwargs={"token": talk_confirm_token(talk=talk)}))
        if talk.confirmed_at is None
        else "",
        "site_name": settings.SITE_NAME,
    }
    send_mail(
        subject=f"[{meeting.series.name}] Reminder: your talk is {when} ({context['day']})",
        message=render_to_string("emails/talk_reminder.txt", context),
        from_email=None,
        recipient_list=[talk.speaker.email],
    )


# Members' side


def unavailability_add(*, user, day: date, series: Series | None = None, note: str = "") -> Unavailability:
    """Mark a date the member cannot present (in one series, or in all of them)."""
    if day < timezone.localdate():
        raise ValidationError({"date": "Choose today or a later date."})
    item, _ = Unavailability.objects.update_or_create(
        user=user, date=day, series=series, defaults={"note": note.strip()[:200]}
    )
    return item


def unavailability_remove(*, user, pk: int) -> None:
    """Forget one of the member's unavailable dates."""
    Unavailability.objects.filter(user=user, pk=pk).delete()


def speaker_pool_set(*, series: Series, user, opted_in: bool) -> None:
    """Opt the member in to (or out of) presenting in the series."""
    if opted_in:
        series.speaker_pool.add(user)
    else:
        series.speaker_pool.remove(user)
