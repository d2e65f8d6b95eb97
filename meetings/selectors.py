"""Reads with joins and filters, so each page's query count is owned here."""

from django.conf import settings
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from meetings.models import Meeting, Minutes, MinutesRevision, Series, Talk
from meetings.rules import remember_listed


def _is_account(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def series_sees_all(user) -> bool:
    """Staff read everything; with OPEN_MEMBERSHIP so does every account."""
    return _is_account(user) and (user.is_staff or settings.OPEN_MEMBERSHIP)


def series_of_member(user, field: str = "pk") -> Q:
    """`field` is a series the account belongs to (member or organiser): two indexed IN lists."""
    if not _is_account(user):
        return Q(pk__in=[])
    if settings.OPEN_MEMBERSHIP:
        return Q()
    members = Series.members.through.objects.filter(user_id=user.pk).values("series_id")
    organisers = Series.organisers.through.objects.filter(user_id=user.pk).values("series_id")
    return Q(**{f"{field}__in": members}) | Q(**{f"{field}__in": organisers})


def series_visible_to(user):
    """Series the user may read (meetings/rules.py can_view, in SQL): public ones, and the
    members-only ones the user belongs to; staff read them all."""
    qs = Series.objects.all()
    if series_sees_all(user):
        return qs
    public = Q(visibility=Series.Visibility.PUBLIC)
    if not _is_account(user):
        return qs.filter(public)
    return qs.filter(public | series_of_member(user))


def _viewer_is_member(user, series_ref: str):
    """An annotation: is the user listed among the members of the series at series_ref?"""
    return Exists(
        Series.members.through.objects.filter(
            series_id=OuterRef(series_ref), user_id=user.pk if _is_account(user) else None
        )
    )


def series_get_visible(*, user, slug: str) -> Series:
    """A series by slug with its organisers; 404 (never 403) when the user may not see it."""
    series = (
        series_visible_to(user)
        .prefetch_related("organisers")
        .annotate(viewer_is_member=_viewer_is_member(user, "pk"))
        .filter(slug=slug)
        .first()
    )
    if series is None:
        raise Http404("No such series.")
    remember_listed(series, "members", user, series.viewer_is_member)
    return series


def _talks_prefetch():
    return Prefetch(
        "talks",
        queryset=Talk.objects.select_related("speaker", "resource").order_by("order", "pk"),
    )


def meetings_with_talks(qs):
    return qs.select_related("series").prefetch_related(_talks_prefetch())


def series_list(*, user):
    """Series with their next meeting's date and the count of meetings."""
    now = timezone.now()
    next_start = (
        Meeting.objects.filter(series=OuterRef("pk"), start__gte=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("start")
        .values("start")[:1]
    )
    return (
        series_visible_to(user)
        .annotate(next_start=Subquery(next_start), meeting_count=Count("meetings"))
        .prefetch_related("organisers")
        .order_by("name")
    )


def meetings_upcoming(*, series: Series):
    """Meetings from today on (and undated ones), soonest first, with speakers."""
    today = timezone.now() - timezone.timedelta(hours=12)
    qs = Meeting.objects.filter(series=series).filter(Q(start__gte=today) | Q(start__isnull=True))
    return meetings_with_talks(qs).order_by("start", "sequence", "pk")


def meetings_past(*, series: Series):
    """Meetings already started, newest first, with speakers and whether minutes exist."""
    today = timezone.now() - timezone.timedelta(hours=12)
    has_minutes = Minutes.objects.filter(meeting=OuterRef("pk"), revision__gt=0).exclude(body="")
    qs = Meeting.objects.filter(series=series, start__lt=today).annotate(has_minutes=Exists(has_minutes))
    return meetings_with_talks(qs).order_by("-start", "-sequence", "-pk")


def meeting_get_visible(*, user, slug: str, pk: int) -> Meeting:
    """A meeting with everything its page shows; 404 when the user may not see its series."""
    meeting = (
        meetings_with_talks(
            Meeting.objects.filter(pk=pk, series__slug=slug, series__in=series_visible_to(user))
        )
        .prefetch_related("series__organisers", "documents__updated_by", "sections")
        .annotate(viewer_is_member=_viewer_is_member(user, "series_id"))
        .first()
    )
    if meeting is None:
        raise Http404("No such meeting.")
    remember_listed(meeting.series, "members", user, meeting.viewer_is_member)
    return meeting


def meeting_visible_by_pk(*, user, pk: int) -> Meeting:
    """A meeting by its number alone (a filter's parameter); 404 when the user may not see it."""
    if not 0 < pk < 2**31:
        raise Http404("No such meeting.")
    meeting = (
        Meeting.objects.filter(pk=pk, series__in=series_visible_to(user)).select_related("series").first()
    )
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


def meeting_neighbours(*, meeting: Meeting) -> tuple[Meeting | None, Meeting | None]:
    """The previous and next meetings of the series, in the series' order."""
    siblings = Meeting.objects.filter(series_id=meeting.series_id).exclude(pk=meeting.pk)
    if meeting.start is None:
        before = (
            siblings.filter(
                Q(start__isnull=False)
                | Q(sequence__lt=meeting.sequence)
                | Q(sequence=meeting.sequence, pk__lt=meeting.pk)
            )
            .select_related("series")
            .order_by("-sequence", "-pk")
        )
        after = (
            siblings.filter(start__isnull=True)
            .filter(Q(sequence__gt=meeting.sequence) | Q(sequence=meeting.sequence, pk__gt=meeting.pk))
            .select_related("series")
            .order_by("sequence", "pk")
        )
        # Dated meetings all come before undated ones; the latest dated one is "previous".
        previous = (
            before.filter(start__isnull=True).first()
            or siblings.filter(start__isnull=False).select_related("series").order_by("-start", "-pk").first()
        )
        return previous, after.first()
    previous = (
        siblings.filter(Q(start__lt=meeting.start) | Q(start=meeting.start, pk__lt=meeting.pk))
        .order_by("-start", "-pk")
        .select_related("series")
        .first()
    )
    following = (
        siblings.filter(
            Q(start__gt=meeting.start) | Q(start=meeting.start, pk__gt=meeting.pk) | Q(start__isnull=True)
        )
        .order_by("start", "sequence", "pk")
        .select_related("series")
        .first()
    )
    return previous, following


def dashboard_next_meetings(*, user):
    """The next meeting of each series the user can see, with speakers (3 queries)."""
    now = timezone.now() - timezone.timedelta(hours=2)
    next_pk = (
        Meeting.objects.filter(series=OuterRef("pk"), start__gte=now, status=Meeting.Status.SCHEDULED)
        .order_by("start", "pk")
        .values("pk")[:1]
    )
    ids = [
        pk
        for pk in series_visible_to(user)
        .annotate(next_pk=Subquery(next_pk))
        .values_list("next_pk", flat=True)
        if pk
    ]
    return list(meetings_with_talks(Meeting.objects.filter(pk__in=ids)).order_by("start", "pk"))


def minutes_latest(*, user, limit: int = 5):
    """The most recently saved minutes and recaps in series the user can see."""
    return list(
        Minutes.objects.filter(revision__gt=0, meeting__series__in=series_visible_to(user))
        .exclude(body="")
        .select_related("meeting__series", "updated_by")
        .order_by("-updated_at")[:limit]
    )


def revisions_for(*, minutes: Minutes):
    return MinutesRevision.objects.filter(minutes=minutes).select_related("author").order_by("-number")


def meetings_with_minutes_feed(*, series: Series, limit: int = 30):
    """Meetings of the series whose minutes or recap have text, newest first, for the feed."""
    has_text = Minutes.objects.filter(meeting=OuterRef("pk"), revision__gt=0).exclude(body="")
    return (
        Meeting.objects.filter(series=series)
        .filter(Exists(has_text))
        .select_related("series")
        .prefetch_related(
            Prefetch("documents", queryset=Minutes.objects.exclude(body="").order_by("kind")),
            _talks_prefetch(),
        )
        .order_by(F("start").desc(nulls_last=True), "-sequence", "-pk")[:limit]
    )


def _research_items_qs():
    from meetings.models import ResearchItem, ResearchItemEvent

    return ResearchItem.objects.select_related(
        "assignee", "resource", "raised_by", "status_changed_by", "meeting__series"
    ).prefetch_related(
        Prefetch(
            "events",
            queryset=ResearchItemEvent.objects.select_related("actor", "from_assignee", "to_assignee"),
        )
    )


CARRIED_OVER_SHOWN = 20


def research_items_for_meeting(*, meeting: Meeting, carried_limit: int = CARRIED_OVER_SHOWN):
    """The meeting page's items: (raised here, in order; the most recent `carried_limit` still open
    from earlier meetings, newest meeting first; how many more are open from earlier meetings).

    One query whatever the series' age (with the events' prefetch): the carried-over rows are
    numbered newest first and counted within their partition (window functions), so a meeting after
    ten years of open items shows twenty and "and 1,440 more", never all of them.
    """
    earlier = Q(meeting__start__isnull=False) | Q(meeting__sequence__lt=meeting.sequence)
    if meeting.start is not None:
        earlier = Q(meeting__start__lt=meeting.start)
    carried_q = Q(meeting__series_id=meeting.series_id, status="open") & earlier & ~Q(meeting=meeting)
    own_expr = Case(When(meeting_id=meeting.pk, then=Value(True)), default=Value(False))
    newest_first = [
        F("meeting__start").desc(nulls_last=True),
        F("meeting__sequence").desc(),
        "position",
        "pk",
    ]
    items = list(
        _research_items_qs()
        .filter(Q(meeting=meeting) | carried_q)
        .annotate(
            is_own=own_expr,
            carried_rank=Window(RowNumber(), partition_by=[own_expr], order_by=newest_first),
            carried_total=Window(Count("pk"), partition_by=[own_expr]),
        )
        .filter(Q(is_own=True) | Q(carried_rank__lte=carried_limit))
    )
    own = sorted((item for item in items if item.is_own), key=lambda item: (item.position, item.pk))
    carried = sorted((item for item in items if not item.is_own), key=lambda item: item.carried_rank)
    more = carried[0].carried_total - len(carried) if carried else 0
    return own, carried, more


def research_board(
    *,
    user,
    assignee=None,
    assignee_username="",
    unassigned=False,
    series_slug="",
    status="open",
    meeting_id=None,
):
    """Research items across meetings and series the user can see, filtered.

    `assignee_username` filters by name without looking the account up, so an unknown name and
    one the user may not know of both give the same empty list (issue 13: no username oracle).
    """
    from meetings.models import ResearchItem

    qs = _research_items_qs().filter(meeting__series__in=series_visible_to(user))
    if status in ResearchItem.Status.values:
        qs = qs.filter(status=status)
    if assignee is not None:
        qs = qs.filter(assignee=assignee)
    elif assignee_username:
        qs = qs.filter(assignee__username=assignee_username)
    elif unassigned:
        qs = qs.filter(assignee__isnull=True)
    if series_slug:
        qs = qs.filter(meeting__series__slug=series_slug)
    if meeting_id:
        qs = qs.filter(meeting_id=meeting_id)
    return qs.order_by(F("meeting__start").desc(nulls_last=True), "-meeting__sequence", "position", "pk")


def research_counts_by_assignee(*, qs):
    """How many of the given items each assignee has (None: unassigned)."""
    return list(
        qs.order_by()
        .values("assignee__username", "assignee__display_name", "assignee__first_name", "assignee__last_name")
        .annotate(count=Count("pk"))
        .order_by("-count", "assignee__username")
    )


def research_items_mine(*, user, limit: int = 10):
    if not (user and user.is_authenticated):
        return []
    return list(
        _research_items_qs()
        .filter(assignee=user, status="open", meeting__series__in=series_visible_to(user))
        .order_by(F("meeting__start").desc(nulls_last=True), "position")[:limit]
    )


def people_who_may_read(*, series: Series, also=()):
    """Active accounts that may read the series: everyone for a public one, else its members,
    organisers and staff (and the accounts in `also`). Only they are offered as its speakers
    (they are emailed about it)."""
    from django.contrib.auth import get_user_model

    people = get_user_model().objects.filter(is_active=True)
    if not series.is_public and not settings.OPEN_MEMBERSHIP:
        member = Series.members.through.objects.filter(series_id=series.pk, user_id=OuterRef("pk"))
        organiser = Series.organisers.through.objects.filter(series_id=series.pk, user_id=OuterRef("pk"))
        people = people.filter(Q(is_staff=True) | Exists(member) | Exists(organiser) | Q(pk__in=list(also)))
    return people.order_by("display_name", "username")


def series_members_list(*, series: Series) -> list:
    """The series' members and organisers (always members), organisers first, each with `is_organiser`."""
    from django.contrib.auth import get_user_model

    organiser_ids = set(series.organisers.values_list("pk", flat=True))
    people = list(
        get_user_model()
        .objects.filter(Q(member_of_series=series) | Q(pk__in=organiser_ids))
        .distinct()
        .order_by("display_name", "username")
    )
    for person in people:
        person.is_organiser = person.pk in organiser_ids
    return sorted(people, key=lambda person: not person.is_organiser)


def series_invitations_waiting(*, series: Series) -> list:
    """Invitations to the series not yet accepted and still usable, newest first."""
    from meetings.models import Invitation

    return list(Invitation.objects.usable().filter(series=series).select_related("invited_by"))
