"""Reads for the speaker rota pages, so their query counts are owned here."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from meetings.models import Meeting, Series, SwapRequest, Talk, Unavailability

# A meeting stays on the rota until the day after it started.
GRACE = timedelta(hours=12)


def _talks():
    return Prefetch("talks", queryset=Talk.objects.select_related("speaker").order_by("order", "pk"))


def rota_meetings(*, series: Series, limit: int = 60) -> list[Meeting]:
    """The series' upcoming dated meetings (cancelled ones too) with their speakers, soonest first."""
    return list(
        Meeting.objects.filter(series=series, start__gte=timezone.now() - GRACE)
        .select_related("series")
        .prefetch_related(_talks())
        .order_by("start", "pk")[:limit]
    )


def _swaps():
    return SwapRequest.objects.select_related(
        "requested_by",
        "from_talk__speaker",
        "from_talk__meeting__series",
        "to_talk__speaker",
        "to_talk__meeting__series",
    )


def rota_swaps_pending(*, series: Series) -> list[SwapRequest]:
    """Swap requests of the series still waiting for an answer, oldest first."""
    return list(
        _swaps()
        .filter(status=SwapRequest.Status.PENDING, from_talk__meeting__series=series)
        .order_by("created_at", "pk")
    )


def swap_get(*, pk: int) -> SwapRequest | None:
    return _swaps().filter(pk=pk).first()


def swap_requests_for(*, user) -> tuple[list[SwapRequest], list[SwapRequest]]:
    """(pending requests asked of the member, pending requests the member made)."""
    from meetings.selectors import series_visible_to

    pending = list(
        _swaps()
        .filter(status=SwapRequest.Status.PENDING, from_talk__meeting__series__in=series_visible_to(user))
        .filter(Q(to_talk__speaker=user) | Q(requested_by=user))
        .order_by("created_at", "pk")
    )
    return (
        [s for s in pending if s.to_talk.speaker_id == user.pk],
        [s for s in pending if s.requested_by_id == user.pk],
    )


def talks_upcoming_for(*, user) -> list[Talk]:
    """The member's upcoming talks in every series they may see, soonest first."""
    from meetings.selectors import series_visible_to

    return list(
        Talk.objects.filter(
            speaker=user,
            meeting__start__gte=timezone.now() - GRACE,
            meeting__series__in=series_visible_to(user),
        )
        .select_related("meeting__series")
        .order_by("meeting__start", "pk")
    )


def swap_targets(*, talk: Talk) -> list[Talk]:
    """Other members' upcoming, scheduled slots in the talk's series that it could swap with."""
    return list(
        Talk.objects.filter(
            meeting__series_id=talk.meeting.series_id,
            meeting__status=Meeting.Status.SCHEDULED,
            meeting__start__gt=timezone.now(),
            speaker__isnull=False,
        )
        .exclude(speaker_id=talk.speaker_id)
        .exclude(meeting_id=talk.meeting_id)
        .select_related("speaker", "meeting__series")
        .order_by("meeting__start", "pk")
    )


def unavailable_dates_of(*, user) -> list[Unavailability]:
    """The member's unavailable dates from today on."""
    return list(
        Unavailability.objects.filter(user=user, date__gte=timezone.localdate())
        .select_related("series")
        .order_by("date", "pk")
    )


def pool_series_for(*, user) -> list[Series]:
    """Series the member belongs to or organises, each with `opted_in` for its speaker pool."""
    in_pool = Series.speaker_pool.through.objects.filter(series_id=OuterRef("pk"), user_id=user.pk)
    return list(
        Series.objects.filter(Q(members=user) | Q(organisers=user))
        .distinct()
        .annotate(opted_in=Exists(in_pool))
        .order_by("name")
    )


def speaker_pool_of(*, series: Series):
    """The series' speaker pool: those in it who may read the series."""
    from meetings.selectors import people_who_may_read

    return people_who_may_read(series=series).filter(speaker_pools=series)
