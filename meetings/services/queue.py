"""The paper queue: members suggest papers for a series and vote on them; the speaker of an
upcoming talk claims one (an organiser can assign it); after the meeting it is presented.
Organisers archive suggestions with a reason. Term generation in the rota pairs new talks
with the queue (term_pair, called from meetings/services/rota.py).

Refusals that are about the suggestion's state (claimed already, presented, archived, the
weekly limit) raise SuggestionRefused with the reason in words; bad input raises
ValidationError naming the field.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from meetings.markdown import links_in_html, render_markdown
from meetings.models import Meeting, Series, Suggestion, SuggestionComment, SuggestionVote, Talk
from meetings.selectors_queue import queue_ranked
from resources.services.library import parse_or_error, resource_add
from resources.services.links import InvalidLink, parse_link
from resources.services.visibility import resources_visibility_refresh

logger = logging.getLogger(__name__)
User = get_user_model()

WEEK = timedelta(days=7)


class SuggestionRefused(Exception):
    """The queue cannot do this now; the message says why (the API answers 409)."""


class SuggestionLimitReached(SuggestionRefused):
    """The member suggested their weekly number of papers for the series (the API answers 429)."""


def _day(moment: datetime | None, series: Series) -> str:
    if moment is None:
        return "a date to be set"
    return moment.astimezone(ZoneInfo(series.time_zone)).strftime("%-d %b %Y")


def _title(suggestion: Suggestion) -> str:
    return f"“{suggestion.resource.title or suggestion.resource.url}”"


# Hooks: what happens after a change is committed. Chat notifications (issue 20) and the weekly
# digest hook in here; these functions are called once per change, after the commit.


def suggestion_added(*, suggestion: Suggestion) -> None:
    """Called after commit when a new suggestion joins a series' queue."""
    logger.info("suggestion %s added to %s", suggestion.pk, suggestion.series_id)


def suggestion_vote_added(*, suggestion: Suggestion, voter, votes: int) -> None:
    """Called after commit when a member's vote is added; `votes` is the suggestion's count with it
    (so "a suggestion reached N votes" is `votes == N`, and fires once however often people vote)."""
    logger.info("suggestion %s has %s votes (%s voted)", suggestion.pk, votes, voter.pk)


# Suggesting


@dataclass(frozen=True)
class Suggested:
    suggestion: Suggestion
    created: bool  # False: the paper was already in the queue, and the member's vote was added
    presented_on: str = ""  # "12 Oct 2020" when the series already presented this paper
    presented_meeting: Meeting | None = None


def _presented_in_series(series: Series, resource_id: int, now: datetime) -> Meeting | None:
    talk = (
        Talk.objects.filter(meeting__series=series, resource_id=resource_id, meeting__start__lt=now)
        .exclude(meeting__status=Meeting.Status.CANCELLED)
        .select_related("meeting__series")
        .order_by("-meeting__start")
        .first()
    )
    return talk.meeting if talk else None


def _limit_message(series: Series, by, now: datetime) -> str | None:
    limit = settings.QUEUE_SUGGESTIONS_PER_WEEK
    recent = list(
        Suggestion.objects.filter(series=series, suggested_by=by, created_at__gt=now - WEEK)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    again = (recent[-1] + WEEK).astimezone(ZoneInfo(series.time_zone))
    return (
        f"You have suggested {limit} paper{'s' if limit != 1 else ''} for {series.name} in the last 7 days, "
        f"the most a member may. You can suggest again from {again:%-d %b %Y, %H:%M}; meanwhile, vote for "
        "the papers already in the queue."
    )


def suggestion_create(
    *, series: Series, url: str, by, pitch: str = "", would_present: bool = False, now=None
) -> Suggested:
    """Suggest a link or identifier for the series' queue: it becomes (or reuses) the library's
    record, held by the series; the suggester's own vote counts. A paper already in the queue gets
    the member's vote instead. SuggestionLimitReached after QUEUE_SUGGESTIONS_PER_WEEK in 7 days."""
    now = now or timezone.now()
    pitch = (pitch or "").strip()
    if len(pitch) > Suggestion.PITCH_MAX_LENGTH:
        raise ValidationError({"pitch": f"Keep the pitch under {Suggestion.PITCH_MAX_LENGTH} characters."})
    parsed = parse_or_error(url)
    with transaction.atomic():
        # One member's suggestions are counted under a lock, so two at once cannot pass the limit.
        User.objects.select_for_update().filter(pk=by.pk).first()
        existing = (
            Suggestion.objects.filter(series=series, state=Suggestion.State.OPEN, resource__url=parsed.url)
            .select_related("series", "resource", "suggested_by")
            .first()
        )
        if existing is not None:
            suggestion_vote(suggestion=existing, user=by, now=now)
            return Suggested(suggestion=existing, created=False)
        refused = _limit_message(series, by, now)
        if refused:
            raise SuggestionLimitReached(refused)
        resource, _ = resource_add(url=url, by=by, library=False)
        try:
            with transaction.atomic():
                suggestion = Suggestion.objects.create(
                    series=series,
                    resource=resource,
                    suggested_by=by,
                    created_at=now,
                    pitch=pitch,
                    pitch_html=render_markdown(pitch) if pitch else "",
                    would_present=bool(would_present),
                )
        except IntegrityError:
            # Someone suggested the same paper a moment ago: theirs is the suggestion, this a vote.
            existing = Suggestion.objects.select_related("series", "resource").get(
                series=series, state=Suggestion.State.OPEN, resource=resource
            )
            suggestion_vote(suggestion=existing, user=by, now=now)
            return Suggested(suggestion=existing, created=False)
        SuggestionVote.objects.create(suggestion=suggestion, user=by, created_at=now)
        resources_visibility_refresh(resource_ids=[resource.pk])
        transaction.on_commit(lambda: suggestion_added(suggestion=suggestion))
        transaction.on_commit(lambda: suggestion_vote_added(suggestion=suggestion, voter=by, votes=1))
    before = _presented_in_series(series, resource.pk, now)
    return Suggested(
        suggestion=suggestion,
        created=True,
        presented_on=_day(before.start, series) if before else "",
        presented_meeting=before,
    )


def suggestion_update(
    *, suggestion: Suggestion, by, pitch: str | None = None, would_present: bool | None = None
) -> Suggestion:
    """Change a suggestion's pitch or its "I'd present it"."""
    fields = []
    if pitch is not None:
        pitch = pitch.strip()
        if len(pitch) > Suggestion.PITCH_MAX_LENGTH:
            raise ValidationError(
                {"pitch": f"Keep the pitch under {Suggestion.PITCH_MAX_LENGTH} characters."}
            )
        suggestion.pitch, suggestion.pitch_html = pitch, render_markdown(pitch) if pitch else ""
        fields += ["pitch", "pitch_html"]
    if would_present is not None:
        suggestion.would_present = bool(would_present)
        fields.append("would_present")
    if fields:
        suggestion.save(update_fields=[*fields, "updated_at"])
    return suggestion


# Voting


def _locked(suggestion: Suggestion) -> Suggestion:
    """The suggestion's row, locked: every vote, claim and archive of one suggestion takes turns."""
    return (
        Suggestion.objects.select_for_update(of=("self",))
        .select_related("series", "resource", "talk__meeting", "talk__speaker", "presented_meeting__series")
        .get(pk=suggestion.pk)
    )


def _refuse_closed(suggestion: Suggestion, doing: str) -> None:
    if suggestion.state == Suggestion.State.PRESENTED:
        when = suggestion.presented_on.strftime("%-d %b %Y") if suggestion.presented_on else "already"
        raise SuggestionRefused(
            f"{_title(suggestion)} was presented on {when}; it has left the queue, so you cannot {doing} it."
        )
    if suggestion.state == Suggestion.State.ARCHIVED:
        raise SuggestionRefused(
            f"{_title(suggestion)} was archived ({suggestion.archive_reason}); you cannot {doing} it."
        )


def suggestion_vote(*, suggestion: Suggestion, user, now=None) -> int:
    """Add the member's vote (once: voting again changes nothing); returns the number of votes."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(suggestion)
        _refuse_closed(locked, "vote for")
        _, created = SuggestionVote.objects.get_or_create(
            suggestion=locked, user=user, defaults={"created_at": now}
        )
        votes = SuggestionVote.objects.filter(suggestion=locked).count()
        if created:
            transaction.on_commit(lambda: suggestion_vote_added(suggestion=locked, voter=user, votes=votes))
    return votes


def suggestion_unvote(*, suggestion: Suggestion, user) -> int:
    """Withdraw the member's vote (if any); returns the number of votes left."""
    with transaction.atomic():
        locked = _locked(suggestion)
        SuggestionVote.objects.filter(suggestion=locked, user=user).delete()
        return SuggestionVote.objects.filter(suggestion=locked).count()


# Discussing


def suggestion_comment_add(*, suggestion: Suggestion, by, body: str) -> SuggestionComment:
    """Add a comment (Markdown, sanitised); its links join the library, held by the series."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write a comment first."})
    if len(body) > SuggestionComment.BODY_MAX_LENGTH:
        raise ValidationError(
            {"body": f"Keep comments under {SuggestionComment.BODY_MAX_LENGTH} characters."}
        )
    html = render_markdown(body, id_prefix="md-c-")
    with transaction.atomic():
        comment = SuggestionComment.objects.create(
            suggestion=suggestion, author=by, body=body, body_html=html
        )
        resources = []
        for link in links_in_html(html):
            try:
                parse_link(link)
            except InvalidLink:
                continue
            resource, _ = resource_add(url=link, by=by, library=False)
            resources.append(resource)
        if resources:
            comment.resources.add(*resources)
            resources_visibility_refresh(resource_ids=[r.pk for r in resources])
    return comment


def suggestion_comment_delete(*, comment: SuggestionComment) -> None:
    """Delete a comment; the resources its links became stay in the library."""
    with transaction.atomic():
        ids = list(comment.resources.values_list("pk", flat=True))
        comment.delete()
        resources_visibility_refresh(resource_ids=ids)


# Claiming


def _is_upcoming(talk: Talk, now: datetime) -> bool:
    return talk.meeting.start is None or talk.meeting.start >= now


def suggestion_claim(*, suggestion: Suggestion, talk: Talk, by, now=None) -> Suggestion:
    """The talk will present the suggestion: its paper and (when empty) title come from it.

    Refused (SuggestionRefused, with the reason) when it is claimed for another talk already,
    presented or archived, or when the talk is past, cancelled or in another series. A talk holds
    one suggestion: one it held before goes back to the queue.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(suggestion)
        talk = Talk.objects.select_for_update(of=("self",)).select_related("meeting__series").get(pk=talk.pk)
        _refuse_closed(locked, "claim")
        if locked.talk_id == talk.pk:
            return locked
        if locked.talk_id:
            holder = locked.talk
            raise SuggestionRefused(
                f"{_title(locked)} is already claimed for {holder.speaker_name}'s talk on "
                f"{_day(holder.meeting.start, locked.series)}; they (or an organiser) can release it first."
            )
        if talk.meeting.series_id != locked.series_id:
            raise SuggestionRefused("The talk is in another series than the suggestion.")
        if talk.meeting.status == Meeting.Status.CANCELLED:
            raise SuggestionRefused(f"The meeting on {_day(talk.meeting.start, locked.series)} is cancelled.")
        if not _is_upcoming(talk, now):
            raise SuggestionRefused(
                f"The talk on {_day(talk.meeting.start, locked.series)} has already taken place; "
                "claim papers for upcoming talks."
            )
        before_resource = talk.resource_id
        for previous in Suggestion.objects.select_for_update().filter(talk=talk, state=Suggestion.State.OPEN):
            _release(previous, talk)
        locked.talk, locked.claimed_at, locked.claimed_by = talk, now, by
        locked.save(update_fields=["talk", "claimed_at", "claimed_by", "updated_at"])
        talk.resource = locked.resource
        fields = ["resource"]
        if not talk.title and locked.resource.title:
            talk.title = locked.resource.title[:300]
            fields.append("title")
        talk.save(update_fields=fields)
        Meeting.objects.filter(pk=talk.meeting_id).update(updated_at=now)
        resources_visibility_refresh(resource_ids=[locked.resource_id, before_resource])
    return locked


def _release(suggestion: Suggestion, talk: Talk | None) -> None:
    """Give the suggestion back to the queue; the talk no longer presents its paper."""
    suggestion.talk, suggestion.claimed_at, suggestion.claimed_by = None, None, None
    suggestion.save(update_fields=["talk", "claimed_at", "claimed_by", "updated_at"])
    if talk is not None and talk.resource_id == suggestion.resource_id:
        fields = ["resource"]
        talk.resource = None
        if talk.title and talk.title == (suggestion.resource.title or "")[:300]:
            talk.title = ""  # the title came from the paper
            fields.append("title")
        talk.save(update_fields=fields)


def suggestion_release(*, suggestion: Suggestion, by) -> Suggestion:
    """Take the claim back: the suggestion returns to the queue, the talk has no paper."""
    with transaction.atomic():
        locked = _locked(suggestion)
        if locked.state != Suggestion.State.OPEN:
            _refuse_closed(locked, "release")
        if locked.talk_id is None:
            return locked
        talk = Talk.objects.select_for_update(of=("self",)).get(pk=locked.talk_id)
        _release(locked, talk)
        Meeting.objects.filter(pk=talk.meeting_id).update(updated_at=timezone.now())
        resources_visibility_refresh(resource_ids=[locked.resource_id])
    return locked


# Retiring


def suggestion_archive(*, suggestion: Suggestion, by, reason: str, now=None) -> Suggestion:
    """Take a suggestion out of the queue with a reason (duplicate, off-topic, already read...)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why, e.g. “duplicate”, “off-topic” or “already read”."})
    if len(reason) > 300:
        raise ValidationError({"reason": "Keep the reason under 300 characters."})
    with transaction.atomic():
        locked = _locked(suggestion)
        if locked.state == Suggestion.State.PRESENTED:
            _refuse_closed(locked, "archive")
        if locked.talk_id:
            _release(locked, Talk.objects.select_for_update(of=("self",)).get(pk=locked.talk_id))
        locked.state = Suggestion.State.ARCHIVED
        locked.archive_reason, locked.archived_at, locked.archived_by = reason, now or timezone.now(), by
        locked.save(update_fields=["state", "archive_reason", "archived_at", "archived_by", "updated_at"])
        resources_visibility_refresh(resource_ids=[locked.resource_id])
    return locked


def suggestion_restore(*, suggestion: Suggestion, by) -> Suggestion:
    """Put an archived suggestion back in the queue (refused if the paper is in it again)."""
    with transaction.atomic():
        locked = _locked(suggestion)
        if locked.state != Suggestion.State.ARCHIVED:
            return locked
        again = (
            Suggestion.objects.filter(
                series_id=locked.series_id, resource_id=locked.resource_id, state="open"
            )
            .exclude(pk=locked.pk)
            .first()
        )
        if again is not None:
            raise SuggestionRefused(f"{_title(locked)} is in the queue again (suggestion {again.pk}).")
        locked.state, locked.archive_reason, locked.archived_at, locked.archived_by = "open", "", None, None
        locked.save(update_fields=["state", "archive_reason", "archived_at", "archived_by", "updated_at"])
    return locked


def suggestion_delete(*, suggestion: Suggestion) -> None:
    """Delete a suggestion with its votes and comments (not one claimed by a talk or presented)."""
    with transaction.atomic():
        locked = _locked(suggestion)
        if locked.state == Suggestion.State.PRESENTED:
            raise SuggestionRefused(f"{_title(locked)} was presented: it stays in the series' history.")
        if locked.talk_id:
            raise SuggestionRefused(
                f"{_title(locked)} is claimed for a talk: release it (or archive it) before deleting it."
            )
        links = SuggestionComment.resources.through.objects.filter(suggestioncomment__suggestion=locked)
        ids = {locked.resource_id, *links.values_list("resource_id", flat=True)}
        locked.delete()
        resources_visibility_refresh(resource_ids=ids)


# Presenting


def suggestions_mark_presented(*, now=None) -> int:
    """After a meeting: a claimed suggestion whose talk took place is presented there (and leaves
    the queue); an open one whose paper a later talk of the series presented without claiming it
    too. A claim on a cancelled meeting, or on a talk that changed its paper, goes back to the
    queue. Idempotent (Celery beat, hourly); returns how many changed."""
    now = now or timezone.now()
    changed = 0
    claimed = (
        Suggestion.objects.filter(
            state=Suggestion.State.OPEN, talk__isnull=False, talk__meeting__start__lt=now
        )
        .select_related("series", "resource", "talk__meeting")
        .order_by("pk")
    )
    for suggestion in claimed:
        with transaction.atomic():
            locked = _locked(suggestion)
            talk = locked.talk
            if locked.state != Suggestion.State.OPEN or talk is None or not talk.meeting.start < now:
                continue
            if talk.meeting.status == Meeting.Status.CANCELLED or talk.resource_id != locked.resource_id:
                _release(locked, talk)
            else:
                _presented(locked, talk.meeting)
            changed += 1
    unclaimed = (
        Suggestion.objects.filter(state=Suggestion.State.OPEN, talk__isnull=True)
        .filter(
            resource__talks__meeting__series=F("series"),
            resource__talks__meeting__start__lt=now,
            resource__talks__meeting__start__gte=F("created_at"),
        )
        .exclude(resource__talks__meeting__status=Meeting.Status.CANCELLED)
        .distinct()
        .order_by("pk")
    )
    for suggestion in unclaimed:
        meeting = (
            Meeting.objects.filter(
                series_id=suggestion.series_id,
                talks__resource_id=suggestion.resource_id,
                start__lt=now,
                start__gte=suggestion.created_at,
            )
            .exclude(status=Meeting.Status.CANCELLED)
            .select_related("series")
            .order_by("start")
            .first()
        )
        if meeting is None:
            continue
        with transaction.atomic():
            locked = _locked(suggestion)
            if locked.state == Suggestion.State.OPEN and locked.talk_id is None:
                locked.talk = meeting.talks.filter(resource_id=locked.resource_id).order_by("pk").first()
                if Suggestion.objects.filter(talk=locked.talk).exclude(pk=locked.pk).exists():
                    locked.talk = None
                _presented(locked, meeting)
                changed += 1
    return changed


def _presented(suggestion: Suggestion, meeting: Meeting) -> None:
    suggestion.state = Suggestion.State.PRESENTED
    suggestion.presented_meeting = meeting
    suggestion.presented_on = meeting.start.astimezone(ZoneInfo(suggestion.series.time_zone)).date()
    suggestion.save(update_fields=["state", "talk", "presented_meeting", "presented_on", "updated_at"])


# The rota: pairing a new term's talks with the queue


@dataclass(frozen=True)
class PairedPaper:
    """The suggestion offered to a generated talk, and why it was chosen."""

    suggestion: Suggestion
    why: str  # "volunteered" (they would present it), "voted" (their vote)

    @property
    def label(self) -> str:
        return {
            "volunteered": "they would present it",
            "voted": "their top vote",
        }[self.why]


def term_pair(
    *,
    series: Series,
    dates: list[date],
    pool: list,
    unavailable: dict[int, set[date]],
    already: dict[int, int],
    last_talk: dict[int, date],
    talk_count: dict[int, int],
    front: dict[int, date],
    assign: Callable,
    use_queue: bool = True,
    today: date | None = None,
) -> tuple[dict[date, object], dict[date, PairedPaper]]:
    """Speakers and papers for a new term's dates: ({date: speaker or None}, {date: PairedPaper}).

    1. "I'd present it" volunteers first: each pool member who suggested an open, unclaimed paper
       and would present it (and holds no talk in the term yet) gets the earliest date they are
       free, best-ranked paper first, with that paper.
    2. The other dates go to `assign` (the rota's fair assignment), counting the volunteers' talks.
    3. Each other new talk is offered the top-ranked unclaimed suggestion its speaker chose: one
       they would present, else the best one they voted for; none when they chose none.
    Past dates get no paper (only upcoming talks claim). Without `use_queue`: `assign` alone.
    """
    today = today or timezone.localdate()
    dates = sorted(dates)
    if not use_queue:
        return dict(
            zip(
                dates,
                assign(
                    dates=dates,
                    pool=pool,
                    last_talk=last_talk,
                    talk_count=talk_count,
                    unavailable=unavailable,
                    front=front,
                    already=already,
                ),
                strict=True,
            )
        ), {}
    ranked = queue_ranked(series=series)
    pool_ids = {user.pk for user in pool}
    by_pk = {user.pk: user for user in pool}
    volunteers: dict[date, object] = {}
    papers: dict[date, PairedPaper] = {}
    taken: set[int] = set()
    placed: set[int] = set()
    upcoming = [day for day in dates if day >= today]
    for suggestion in ranked:
        who = suggestion.suggested_by_id
        if not suggestion.would_present or who not in pool_ids or who in placed or already.get(who):
            continue
        free = next(
            (day for day in upcoming if day not in volunteers and day not in unavailable.get(who, ())), None
        )
        if free is None:
            continue
        volunteers[free] = by_pk[who]
        papers[free] = PairedPaper(suggestion=suggestion, why="volunteered")
        placed.add(who)
        taken.add(suggestion.pk)
    rest = [day for day in dates if day not in volunteers]
    last, counts = dict(last_talk), dict(already)
    for day, user in volunteers.items():
        last[user.pk] = max(last.get(user.pk) or day, day)
        counts[user.pk] = counts.get(user.pk, 0) + 1
    chosen = assign(
        dates=rest,
        pool=pool,
        last_talk=last,
        talk_count=talk_count,
        unavailable=unavailable,
        front={pk: day for pk, day in front.items() if pk not in placed},
        already=counts,
    )
    speakers = {**dict(zip(rest, chosen, strict=True)), **volunteers}
    for day in rest:
        speaker = speakers[day]
        if speaker is None or day < today:
            continue
        own = [s for s in ranked if s.pk not in taken and s.would_present and s.suggested_by_id == speaker.pk]
        voted = [s for s in ranked if s.pk not in taken and speaker.pk in s.voter_ids]
        pick = (own or voted or [None])[0]
        if pick is not None:
            papers[day] = PairedPaper(suggestion=pick, why="volunteered" if own else "voted")
            taken.add(pick.pk)
    return {day: speakers[day] for day in dates}, papers


def term_claim(*, talk: Talk, paper: PairedPaper, by) -> bool:
    """Claim a generated talk's paired suggestion (inside rota_generate's transaction). If it
    cannot be claimed now (claimed a moment ago, or today's meeting has already begun), the talk
    keeps no paper and the term is still created: False."""
    try:
        with transaction.atomic():
            suggestion_claim(suggestion=paper.suggestion, talk=talk, by=by)
    except SuggestionRefused as refused:
        logger.info("term generation: talk %s gets no paper: %s", talk.pk, refused)
        return False
    return True
