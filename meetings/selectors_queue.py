"""Reads of the paper queue: the ranked queue, a suggestion's page, the dashboard and digest.

The score is computed in Python from the vote times (one query for a page's votes), not in
SQL: the decay needs the current time and a power, which PostgreSQL and SQLite spell
differently, and a series' open queue is small. Every function takes `now`, so the ranking is
the same for the same vote times (tests inject the clock).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from meetings.models import Meeting, Series, Suggestion, SuggestionComment, SuggestionVote, Talk
from meetings.rules import remember_listed
from meetings.selectors import _viewer_is_member, series_of_member, series_visible_to

WEEK_SECONDS = 7 * 24 * 3600
STATES = ("open", "claimed", "presented", "archived")


# The score


def vote_weight(voted_at: datetime, *, now: datetime, half_life_weeks: int) -> float:
    """What one vote counts now: 1 when cast, half after `half_life_weeks`, a quarter after twice that."""
    age = max((now - voted_at).total_seconds(), 0.0)
    return 0.5 ** (age / (max(half_life_weeks, 1) * WEEK_SECONDS))


def suggestion_score(vote_times, *, now: datetime, half_life_weeks: int) -> float:
    """The sum of the votes' weights, rounded so equal vote histories always tie."""
    return round(sum(vote_weight(t, now=now, half_life_weeks=half_life_weeks) for t in vote_times), 6)


def rank_key(suggestion):
    """Highest score first; ties go to the newest suggestion."""
    return (-suggestion.score, -suggestion.created_at.timestamp(), -suggestion.pk)


# Loading


@dataclass
class QueueFilters:
    state: str = "open"  # open (the ranked queue), claimed, presented, archived
    kind: str = ""
    tag: str = ""
    would_present: bool = False
    unvoted: bool = False  # not yet voted for by the viewer


def _presented_before(now: datetime):
    """The latest earlier meeting of the suggestion's series that presented its paper (start, pk)."""
    talks = (
        Talk.objects.filter(
            meeting__series_id=OuterRef("series_id"),
            resource_id=OuterRef("resource_id"),
            meeting__start__lt=now,
        )
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .order_by("-meeting__start")
    )
    return Subquery(talks.values("meeting__start")[:1]), Subquery(talks.values("meeting_id")[:1])


def _suggestions(now: datetime):
    start, meeting = _presented_before(now)
    comments = (
        SuggestionComment.objects.filter(suggestion=OuterRef("pk"))
        .order_by()
        .values("suggestion")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Suggestion.objects.select_related(
            "series",
            "resource",
            "suggested_by",
            "talk__speaker",
            "talk__meeting__series",
            "presented_meeting__series",
        )
        .prefetch_related("resource__tags")
        .annotate(
            presented_before_start=start,
            presented_before_meeting=meeting,
            comment_count=Coalesce(Subquery(comments), 0),
        )
    )


def _filtered(qs, *, user, filters: QueueFilters):
    if filters.state == "open":
        qs = qs.filter(state=Suggestion.State.OPEN, talk__isnull=True)
    elif filters.state == "claimed":
        qs = qs.filter(state=Suggestion.State.OPEN, talk__isnull=False)
    elif filters.state in (Suggestion.State.PRESENTED, Suggestion.State.ARCHIVED):
        qs = qs.filter(state=filters.state)
    if filters.kind:
        qs = qs.filter(resource__kind=filters.kind)
    if filters.tag:
        from taggit.models import TaggedItem

        tagged = TaggedItem.objects.filter(
            object_id=OuterRef("resource_id"),
            content_type__app_label="resources",
            content_type__model="resource",
            tag__name__iexact=filters.tag,
        )
        qs = qs.filter(Exists(tagged))
    if filters.would_present:
        qs = qs.filter(would_present=True)
    if filters.unvoted and user is not None and user.is_authenticated:
        qs = qs.exclude(Exists(SuggestionVote.objects.filter(suggestion=OuterRef("pk"), user_id=user.pk)))
    return qs


def suggestions_attach_votes(suggestions, *, user, now: datetime | None = None) -> list:
    """Give each suggestion its votes (`votes_list`: (vote, weight)), `vote_count`, `voters`,
    `voted_by_me`, `voter_ids` and `score`, in one query whatever their number."""
    now = now or timezone.now()
    suggestions = list(suggestions)
    by_suggestion: dict[int, list] = {s.pk: [] for s in suggestions}
    if suggestions:
        for vote in SuggestionVote.objects.filter(suggestion_id__in=by_suggestion).select_related("user"):
            by_suggestion[vote.suggestion_id].append(vote)
    me = user.pk if user is not None and user.is_authenticated else None
    for suggestion in suggestions:
        votes = sorted(by_suggestion[suggestion.pk], key=lambda v: (v.created_at, v.pk))
        half_life = suggestion.series.queue_half_life_weeks
        suggestion.votes_list = [
            (vote, vote_weight(vote.created_at, now=now, half_life_weeks=half_life)) for vote in votes
        ]
        suggestion.vote_count = len(votes)
        suggestion.voters = [vote.user for vote in votes]
        suggestion.voter_ids = {vote.user_id for vote in votes}
        suggestion.voted_by_me = me in suggestion.voter_ids
        suggestion.score = suggestion_score(
            [vote.created_at for vote in votes], now=now, half_life_weeks=half_life
        )
    return suggestions


def queue_ranked(*, series: Series, user=None, filters: QueueFilters | None = None, now=None) -> list:
    """The series' open, unclaimed suggestions, highest score first (ties: newest first)."""
    now = now or timezone.now()
    filters = filters or QueueFilters()
    qs = _filtered(_suggestions(now).filter(series=series), user=user, filters=filters)
    return sorted(suggestions_attach_votes(qs, user=user, now=now), key=rank_key)


def queue_history(*, series: Series, user=None, filters: QueueFilters, now=None):
    """Claimed, presented or archived suggestions, most recent first (a queryset to paginate;
    give a page's suggestions to suggestions_attach_votes)."""
    qs = _filtered(_suggestions(now or timezone.now()).filter(series=series), user=user, filters=filters)
    if filters.state == "claimed":
        return qs.order_by(F("talk__meeting__start").asc(nulls_last=True), "-created_at", "-pk")
    if filters.state == Suggestion.State.PRESENTED:
        return qs.order_by(F("presented_on").desc(nulls_last=True), "-created_at", "-pk")
    return qs.order_by(F("archived_at").desc(nulls_last=True), "-created_at", "-pk")


def queue_list(*, series: Series, user=None, filters: QueueFilters, now=None) -> list:
    """The suggestions a queue listing shows (the API's list): ranked when open, else newest first."""
    now = now or timezone.now()
    if filters.state == "open":
        return queue_ranked(series=series, user=user, filters=filters, now=now)
    return queue_history(series=series, user=user, filters=filters, now=now)


def queue_counts(*, series: Series) -> dict[str, int]:
    """How many suggestions the series has in each state (for the queue page's tabs)."""
    rows = (
        Suggestion.objects.filter(series=series)
        .order_by()
        .values("state")
        .annotate(
            claimed=Count("pk", filter=Q(talk__isnull=False)),
            total=Count("pk"),
        )
    )
    counts = dict.fromkeys(STATES, 0)
    for row in rows:
        if row["state"] == Suggestion.State.OPEN:
            counts["open"] = row["total"] - row["claimed"]
            counts["claimed"] = row["claimed"]
        else:
            counts[row["state"]] = row["total"]
    return counts


def queue_tags(*, series: Series) -> list[str]:
    """The tags of the papers in the series' open queue, for the filter."""
    from taggit.models import Tag

    resources = Suggestion.objects.filter(series=series, state=Suggestion.State.OPEN).values("resource_id")
    return list(
        Tag.objects.filter(
            taggit_taggeditem_items__content_type__app_label="resources",
            taggit_taggeditem_items__object_id__in=resources,
        )
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )


def suggestion_get_visible(*, user, pk: int, slug: str | None = None, now=None) -> Suggestion:
    """A suggestion with its votes, for its page and the API; 404 when its series is hidden."""
    now = now or timezone.now()
    if not 0 < pk < 2**63:
        raise Http404("No such suggestion.")
    qs = _suggestions(now).filter(pk=pk, series__in=series_visible_to(user))
    if slug is not None:
        qs = qs.filter(series__slug=slug)
    suggestion = (
        qs.prefetch_related("series__organisers")
        .annotate(viewer_is_member=_viewer_is_member(user, "series_id"))
        .first()
    )
    if suggestion is None:
        raise Http404("No such suggestion.")
    remember_listed(suggestion.series, "members", user, suggestion.viewer_is_member)
    suggestions_attach_votes([suggestion], user=user, now=now)
    return suggestion


def suggestion_comments(*, suggestion: Suggestion) -> list[SuggestionComment]:
    return list(SuggestionComment.objects.filter(suggestion=suggestion).select_related("author"))


def suggestions_feed(*, series: Series, limit: int = 30) -> list[Suggestion]:
    """The series' newest suggestions (not archived), for its Atom feed."""
    return list(
        Suggestion.objects.filter(series=series)
        .exclude(state=Suggestion.State.ARCHIVED)
        .select_related("series", "resource", "suggested_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def talks_claimable(*, suggestion: Suggestion, user, can_assign: bool, now=None) -> list[Talk]:
    """Upcoming talks of the suggestion's series the user may claim it for: their own, or, for an
    organiser, every one."""
    now = now or timezone.now()
    if user is None or not user.is_authenticated:
        return []
    qs = (
        Talk.objects.filter(meeting__series_id=suggestion.series_id)
        .filter(Q(meeting__start__gte=now) | Q(meeting__start__isnull=True))
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .select_related("meeting__series", "speaker")
        .order_by(F("meeting__start").asc(nulls_last=True), "meeting__sequence", "order", "pk")
    )
    if not can_assign:
        qs = qs.filter(speaker=user)
    return list(qs[:100])


def _vote_count():
    votes = (
        SuggestionVote.objects.filter(suggestion=OuterRef("pk"))
        .order_by()
        .values("suggestion")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(votes), 0)


def suggestions_for_talks(*, talk_ids) -> dict[int, Suggestion]:
    """The suggestion each talk claimed or presented, with who suggested it and its vote count."""
    ids = [pk for pk in talk_ids if pk]
    if not ids:
        return {}
    rows = (
        Suggestion.objects.filter(talk_id__in=ids)
        .exclude(state=Suggestion.State.ARCHIVED)
        .select_related("suggested_by", "series")
        .annotate(vote_count=_vote_count())
    )
    return {suggestion.talk_id: suggestion for suggestion in rows}


# The dashboard and the weekly digest


def suggestions_top_for_member(*, user, limit: int = 5, now=None) -> list[tuple[Series, list]]:
    """The top `limit` of the open queue of each series the account belongs to, as
    [(series, [suggestion, ...]), ...] by series name; series with an empty queue left out.
    Three queries whatever the number of series: the dashboard shows it, the weekly digest calls it."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    now = now or timezone.now()
    mine = series_of_member(user, "series_id")
    qs = Suggestion.objects.filter(mine, state=Suggestion.State.OPEN, talk__isnull=True).select_related(
        "series", "resource", "suggested_by"
    )
    grouped: dict[int, list] = {}
    for suggestion in suggestions_attach_votes(qs, user=user, now=now):
        grouped.setdefault(suggestion.series_id, []).append(suggestion)
    result = []
    for suggestions in grouped.values():
        suggestions.sort(key=rank_key)
        result.append((suggestions[0].series, suggestions[:limit]))
    return sorted(result, key=lambda pair: (pair[0].name, pair[0].pk))


def suggestions_voted_by(*, user, limit: int = 10) -> list[Suggestion]:
    """What the account voted for, most recent vote first, in series it can still read."""
    if user is None or not user.is_authenticated:
        return []
    mine = SuggestionVote.objects.filter(suggestion=OuterRef("pk"), user_id=user.pk)
    return list(
        Suggestion.objects.filter(Exists(mine), series__in=series_visible_to(user))
        .exclude(state=Suggestion.State.ARCHIVED)
        .select_related("series", "resource", "talk__meeting__series", "presented_meeting__series")
        .annotate(vote_count=_vote_count(), my_vote_at=Subquery(mine.values("created_at")[:1]))
        .order_by("-my_vote_at", "-pk")[:limit]
    )


def suggestions_recent_count(*, series: Series, user, since: datetime) -> int:
    return Suggestion.objects.filter(series=series, suggested_by=user, created_at__gte=since).count()
