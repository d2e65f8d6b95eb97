"""The paper queue's services and selectors: suggesting, the weekly limit, who sees the papers,
ranking with decay (an injected clock), votes under concurrency, claiming, presenting, archiving."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, connections

from meetings import selectors_queue
from meetings.models import Meeting, Suggestion, SuggestionComment, SuggestionVote
from meetings.services import queue
from resources.models import Resource, ResourceHolder
from resources.selectors import resources_visible_to
from resources.services.library import resource_add
from resources.services.visibility import visibility_compute, visibility_stored
from tests.factories import MeetingFactory, SeriesFactory, TalkFactory, UserFactory, local

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
NOW = datetime(2030, 6, 3, 12, 0, tzinfo=UTC)


def weeks_ago(weeks: float) -> datetime:
    return NOW - timedelta(weeks=weeks)


def assert_true_to_scratch():
    assert visibility_stored() == visibility_compute()


def suggest(series, url, by, **kwargs):
    return queue.suggestion_create(series=series, url=url, by=by, **kwargs).suggestion


def vote_at(suggestion, user, when):
    return queue.suggestion_vote(suggestion=suggestion, user=user, now=when)


@pytest.fixture
def committee(organiser, member):
    return SeriesFactory(
        name="Committee",
        slug="committee",
        visibility="members",
        organisers=[organiser],
        members=[organiser, member],
    )


# Suggesting


def test_suggest_an_arxiv_identifier_reuses_the_library_record_and_counts_the_suggester(series, member):
    paper, _ = resource_add(url="https://arxiv.org/pdf/2106.09685v2", by=member)

    done = queue.suggestion_create(
        series=series, url="arXiv:2106.09685", by=member, pitch="Low-rank *adapters*", would_present=True
    )

    suggestion = done.suggestion
    assert done.created is True
    assert suggestion.resource == paper
    assert Resource.objects.count() == 1
    assert (suggestion.suggested_by, suggestion.would_present, suggestion.status) == (member, True, "open")
    assert suggestion.pitch_html == "<p>Low-rank <em>adapters</em></p>"
    assert list(
        SuggestionVote.objects.filter(suggestion=suggestion).values_list("user__username", flat=True)
    ) == ["ada"]


def test_suggest_a_paper_already_in_the_queue_is_a_vote_for_it(series, member, organiser):
    first = suggest(series, "https://arxiv.org/abs/1706.03762", member)

    done = queue.suggestion_create(series=series, url="arXiv:1706.03762", by=organiser)

    assert (done.created, done.suggestion.pk) == (False, first.pk)
    assert Suggestion.objects.count() == 1
    assert sorted(first.votes.values_list("user__username", flat=True)) == ["ada", "grace"]


def test_suggest_a_bad_link_names_the_field(series, member):
    with pytest.raises(queue.ValidationError) as error:
        queue.suggestion_create(series=series, url="not a link at all", by=member)

    assert "url" in error.value.message_dict
    assert Suggestion.objects.count() == Resource.objects.count() == 0


def test_suggestions_per_week_are_limited_with_a_clear_message(series, member, settings):
    settings.QUEUE_SUGGESTIONS_PER_WEEK = 2
    suggest(series, "https://example.org/one", member, now=datetime(2030, 6, 1, 9, tzinfo=UTC))
    suggest(series, "https://example.org/two", member, now=datetime(2030, 6, 2, 9, tzinfo=UTC))

    with pytest.raises(queue.SuggestionLimitReached) as refused:
        suggest(series, "https://example.org/three", member, now=datetime(2030, 6, 4, 9, tzinfo=UTC))

    assert str(refused.value) == (
        "You have suggested 2 papers for IGR-data ML Club in the last 7 days, the most a member may. "
        "You can suggest again from 8 Jun 2030, 10:00; meanwhile, vote for the papers already in the queue."
    )
    # Refused before anything was written: the link did not join the library.
    assert not Resource.objects.filter(url="https://example.org/three").exists()
    # Another series has its own count; a week after the first, the limit frees one place.
    other = SeriesFactory(members=[member])
    suggest(other, "https://example.org/three", member, now=datetime(2030, 6, 4, 9, tzinfo=UTC))
    suggest(series, "https://example.org/three", member, now=datetime(2030, 6, 8, 10, tzinfo=UTC))
    assert Suggestion.objects.filter(series=series).count() == 3


def test_suggesting_a_paper_the_series_presented_flags_when(series, member):
    paper, _ = resource_add(url="https://arxiv.org/abs/1406.2661", by=member)
    old = MeetingFactory(series=series, start=local(2020, 10, 12), title="GANs")
    TalkFactory(meeting=old, speaker=member, resource=paper)

    done = queue.suggestion_create(series=series, url="arXiv:1406.2661", by=member)

    assert (done.presented_on, done.presented_meeting) == ("12 Oct 2020", old)
    (listed,) = selectors_queue.queue_ranked(series=series, user=member)
    assert (listed.presented_before_start, listed.presented_before_meeting) == (old.start, old.pk)


# Who sees the papers


def test_a_paper_suggested_in_a_members_only_series_is_seen_by_its_members_only(committee, member):
    suggestion = suggest(committee, "https://example.org/confidential", member)
    outsider = UserFactory()

    resource = suggestion.resource
    assert (resource.held_by_library, Resource.objects.get(pk=resource.pk).audience) == (
        False,
        Resource.Audience.HOLDERS,
    )
    assert set(ResourceHolder.objects.filter(resource=resource).values_list("series__slug", flat=True)) == {
        "committee"
    }
    assert resources_visible_to(member).filter(pk=resource.pk).exists()
    assert not resources_visible_to(outsider).filter(pk=resource.pk).exists()
    assert not resources_visible_to(AnonymousUser()).filter(pk=resource.pk).exists()
    assert_true_to_scratch()


def test_a_paper_suggested_in_a_public_series_is_public(series, member):
    suggestion = suggest(series, "https://example.org/open", member)

    assert Resource.objects.get(pk=suggestion.resource_id).audience == Resource.Audience.PUBLIC
    assert resources_visible_to(AnonymousUser()).filter(pk=suggestion.resource_id).exists()
    assert_true_to_scratch()


def test_opening_a_members_only_series_makes_its_suggested_papers_public(committee, member, organiser):
    from meetings.services.series import series_save

    suggestion = suggest(committee, "https://example.org/now-public", member)
    committee.visibility = "public"

    series_save(series=committee, by=organiser)

    assert Resource.objects.get(pk=suggestion.resource_id).audience == Resource.Audience.PUBLIC
    assert_true_to_scratch()


def test_links_in_comments_join_the_library_held_by_the_series_until_the_comment_goes(committee, member):
    suggestion = suggest(committee, "https://example.org/paper", member)

    comment = queue.suggestion_comment_add(
        suggestion=suggestion, by=member, body="Code: <https://github.com/example/code> and **bold**"
    )

    code = Resource.objects.get(url="https://github.com/example/code")
    assert list(comment.resources.all()) == [code]
    assert "<strong>bold</strong>" in comment.body_html
    assert (code.audience, set(code.holders.values_list("series__slug", flat=True))) == (
        Resource.Audience.HOLDERS,
        {"committee"},
    )
    assert_true_to_scratch()

    queue.suggestion_comment_delete(comment=comment)

    assert Resource.objects.filter(pk=code.pk).exists()  # the resource stays in the library
    assert not ResourceHolder.objects.filter(resource=code).exists()
    assert_true_to_scratch()


def test_comments_are_sanitised_and_must_say_something(series, member):
    suggestion = suggest(series, "https://example.org/paper", member)

    comment = queue.suggestion_comment_add(
        suggestion=suggestion, by=member, body='<script>alert(1)</script><a href="javascript:x()">x</a> ok'
    )

    assert "<script" not in comment.body_html and "javascript:" not in comment.body_html
    with pytest.raises(queue.ValidationError) as error:
        queue.suggestion_comment_add(suggestion=suggestion, by=member, body="   ")
    assert error.value.message_dict == {"body": ["Write a comment first."]}
    assert SuggestionComment.objects.count() == 1


def test_deleting_a_suggestion_takes_its_hold_on_the_paper(committee, member):
    suggestion = suggest(committee, "https://example.org/paper", member)
    resource = suggestion.resource

    queue.suggestion_delete(suggestion=suggestion)

    assert not Suggestion.objects.exists()
    assert not ResourceHolder.objects.filter(resource=resource).exists()
    assert_true_to_scratch()


# Ranking


def test_vote_weights_halve_every_half_life():
    assert selectors_queue.vote_weight(NOW, now=NOW, half_life_weeks=8) == 1.0
    assert selectors_queue.vote_weight(weeks_ago(8), now=NOW, half_life_weeks=8) == 0.5
    assert selectors_queue.vote_weight(weeks_ago(16), now=NOW, half_life_weeks=8) == 0.25
    assert selectors_queue.vote_weight(weeks_ago(4), now=NOW, half_life_weeks=4) == 0.5
    # A vote cast "in the future" (clock skew) counts no more than a fresh one.
    assert selectors_queue.vote_weight(NOW + timedelta(days=1), now=NOW, half_life_weeks=8) == 1.0


def test_ranking_with_decay_is_deterministic_for_given_vote_times(series, member, organiser):
    people = [UserFactory() for _ in range(4)]
    # Each suggester's own vote is cast when they suggest.
    old = suggest(series, "https://example.org/old", people[0], now=weeks_ago(52))
    for person in people[1:]:
        vote_at(old, person, weeks_ago(52))  # four votes, a year ago
    suggest(series, "https://example.org/fresh", member, now=NOW)  # one vote, now
    steady = suggest(series, "https://example.org/steady", people[1], now=weeks_ago(16))
    vote_at(steady, people[2], weeks_ago(8))  # 16 and 8 weeks ago: 0.25 + 0.5
    suggest(series, "https://example.org/half", people[2], now=weeks_ago(8))  # one vote, 8 weeks ago

    def ranked():
        return [
            (s.resource.url.rsplit("/", 1)[1], s.vote_count, s.score)
            for s in selectors_queue.queue_ranked(series=series, user=member, now=NOW)
        ]

    expected = [
        ("fresh", 1, 1.0),
        ("steady", 2, 0.75),
        ("half", 1, 0.5),
        ("old", 4, round(4 * 0.5 ** (52 / 8), 6)),  # 0.044194: popular a year ago, not on top now
    ]
    assert ranked() == expected
    assert ranked() == expected  # the same vote times and clock, the same order and scores
    # Ties: the same votes at the same times rank the newest suggestion first.
    twin_a = suggest(series, "https://example.org/twin-a", people[0], now=weeks_ago(2))
    twin_b = suggest(series, "https://example.org/twin-b", people[1], now=weeks_ago(2) + timedelta(minutes=1))
    SuggestionVote.objects.filter(suggestion__in=[twin_a, twin_b]).update(created_at=weeks_ago(3))
    assert [name for name, _, _ in ranked()] == ["fresh", "twin-b", "twin-a", "steady", "half", "old"]
    # Time passing alone never reorders the queue: every weight halves at the same pace.
    later = [s.pk for s in selectors_queue.queue_ranked(series=series, now=NOW + timedelta(weeks=30))]
    assert later == [s.pk for s in selectors_queue.queue_ranked(series=series, now=NOW)]
    # The half-life is the series': with one week, a vote 8 weeks old counts 1/256.
    series.queue_half_life_weeks = 1
    series.save()
    assert [s.score for s in selectors_queue.queue_ranked(series=series, now=NOW)][-2:] == [
        round(0.5**8, 6),
        0.0,
    ]


def test_queue_filters_kind_tag_would_present_and_not_voted_by_me(series, member, organiser):
    video = suggest(series, "https://www.youtube.com/watch?v=dQw4w9WgXcQ", organiser)
    tagged = suggest(series, "https://example.org/tagged", organiser, would_present=True)
    tagged.resource.tags.add("Diffusion")
    mine = suggest(series, "https://example.org/mine", member)

    def urls(**filters):
        f = selectors_queue.QueueFilters(**filters)
        return sorted(s.pk for s in selectors_queue.queue_ranked(series=series, user=member, filters=f))

    assert urls(kind="video") == [video.pk]
    assert urls(tag="diffusion") == [tagged.pk]
    assert urls(would_present=True) == [tagged.pk]
    assert urls(unvoted=True) == sorted([video.pk, tagged.pk])
    assert mine.pk in urls()


# Votes


def test_voting_twice_counts_once_and_withdrawing_takes_it_back(series, member, organiser):
    suggestion = suggest(series, "https://example.org/paper", member)

    assert queue.suggestion_vote(suggestion=suggestion, user=organiser) == 2
    assert queue.suggestion_vote(suggestion=suggestion, user=organiser) == 2
    assert queue.suggestion_unvote(suggestion=suggestion, user=member) == 1
    assert queue.suggestion_unvote(suggestion=suggestion, user=member) == 1
    assert list(suggestion.votes.values_list("user__username", flat=True)) == ["grace"]


def test_the_vote_hook_is_called_after_commit_with_the_new_count(
    series, member, organiser, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(
        queue, "suggestion_vote_added", lambda **kw: calls.append((kw["voter"].username, kw["votes"]))
    )
    with django_capture_on_commit_callbacks(execute=True):
        suggestion = suggest(series, "https://example.org/paper", member)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queue.suggestion_vote(suggestion=suggestion, user=organiser)
        queue.suggestion_vote(suggestion=suggestion, user=organiser)  # no new vote, no call
    other = UserFactory(username="zed")
    queue.suggestion_unvote(suggestion=suggestion, user=organiser)
    with django_capture_on_commit_callbacks(execute=True):
        queue.suggestion_vote(suggestion=suggestion, user=other)

    assert len(callbacks) == 1
    assert calls == [("ada", 1), ("grace", 2), ("zed", 2)]


def test_votes_on_presented_or_archived_suggestions_are_refused(series, member, organiser):
    suggestion = suggest(series, "https://example.org/paper", member)
    queue.suggestion_archive(suggestion=suggestion, by=organiser, reason="off-topic")

    with pytest.raises(queue.SuggestionRefused) as refused:
        queue.suggestion_vote(suggestion=suggestion, user=organiser)

    assert (
        str(refused.value) == "“https://example.org/paper” was archived (off-topic); you cannot vote for it."
    )
    assert suggestion.votes.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_leave_an_exact_count():
    """20 threads, each a member voting and withdrawing on the same suggestion at once, each with
    its own database connection: the count is exactly the votes left, and every vote added was
    reported once with a count no one else got."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks (SQLite serialises every write)")
    people = [UserFactory(username=f"voter{n:02}") for n in range(20)]
    series = SeriesFactory(members=people)
    suggestion = suggest(series, "https://example.org/popular", people[0])
    queue.suggestion_unvote(suggestion=suggestion, user=people[0])
    reported, errors = [], []
    barrier = threading.Barrier(20)
    original = queue.suggestion_vote_added

    def record(**kwargs):
        reported.append((kwargs["voter"].username, kwargs["votes"]))

    queue.suggestion_vote_added = record

    def member(n):
        try:
            barrier.wait(timeout=30)
            for _ in range(5):
                queue.suggestion_vote(suggestion=suggestion, user=people[n])
                queue.suggestion_unvote(suggestion=suggestion, user=people[n])
            if n % 2 == 0:  # even members end with their vote, odd ones without
                queue.suggestion_vote(suggestion=suggestion, user=people[n])
        except Exception as error:
            errors.append(repr(error))
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=member, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        queue.suggestion_vote_added = original

    assert errors == []
    assert SuggestionVote.objects.filter(suggestion=suggestion).count() == 10
    assert sorted(
        SuggestionVote.objects.filter(suggestion=suggestion).values_list("user__username", flat=True)
    ) == [f"voter{n:02}" for n in range(0, 20, 2)]
    # Each vote added (5 per member, and the evens' last) was reported once, with the count then.
    assert len(reported) == 20 * 5 + 10
    assert all(1 <= votes <= 20 for _, votes in reported)
    (ranked,) = selectors_queue.queue_ranked(series=series)
    assert ranked.vote_count == 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_of_one_member_never_count_twice():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks (SQLite serialises every write)")
    person = UserFactory()
    series = SeriesFactory(members=[person])
    suggestion = suggest(series, "https://example.org/one", person)
    barrier = threading.Barrier(20)
    counts, errors = [], []

    def click(n):
        try:
            barrier.wait(timeout=30)
            if n % 2:
                counts.append(queue.suggestion_unvote(suggestion=suggestion, user=person))
            else:
                counts.append(queue.suggestion_vote(suggestion=suggestion, user=person))
        except Exception as error:
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert set(counts) <= {0, 1} and len(counts) == 20
    assert SuggestionVote.objects.filter(suggestion=suggestion).count() in (0, 1)


# Claiming


@pytest.fixture
def upcoming(series, member):
    meeting = MeetingFactory(series=series, start=NOW + timedelta(days=14), title="Next")
    return TalkFactory(meeting=meeting, speaker=member, title="")


def test_claiming_fills_the_talk_paper_and_title(series, member, upcoming):
    suggestion = suggest(series, "https://example.org/lora", member)
    Resource.objects.filter(pk=suggestion.resource_id).update(title="LoRA")
    suggestion.resource.refresh_from_db()

    queue.suggestion_claim(suggestion=suggestion, talk=upcoming, by=member, now=NOW)

    upcoming.refresh_from_db()
    suggestion.refresh_from_db()
    assert (upcoming.resource_id, upcoming.title) == (suggestion.resource_id, "LoRA")
    assert (suggestion.status, suggestion.talk, suggestion.claimed_by) == ("claimed", upcoming, member)
    # Claimed suggestions leave the ranked queue.
    assert selectors_queue.queue_ranked(series=series, now=NOW) == []
    assert_true_to_scratch()


def test_claiming_twice_is_refused_with_the_reason(series, member, organiser, upcoming):
    suggestion = suggest(series, "https://example.org/lora", member)
    queue.suggestion_claim(suggestion=suggestion, talk=upcoming, by=member, now=NOW)
    other = TalkFactory(
        meeting=MeetingFactory(series=series, start=NOW + timedelta(days=28)), speaker=organiser
    )

    with pytest.raises(queue.SuggestionRefused) as refused:
        queue.suggestion_claim(suggestion=suggestion, talk=other, by=organiser, now=NOW)

    assert str(refused.value) == (
        "“https://example.org/lora” is already claimed for Ada Lovelace's talk on 17 Jun 2030; they "
        "(or an organiser) can release it first."
    )
    other.refresh_from_db()
    assert other.resource_id is None
    # The same talk claiming it again changes nothing.
    assert queue.suggestion_claim(suggestion=suggestion, talk=upcoming, by=member, now=NOW).talk == upcoming


def test_claiming_a_presented_paper_is_refused_with_the_reason(series, member, upcoming):
    suggestion = suggest(series, "https://example.org/done", member)
    held = MeetingFactory(series=series, start=local(2030, 5, 13), title="Before")
    talk = TalkFactory(meeting=held, speaker=member)
    queue.suggestion_claim(suggestion=suggestion, talk=talk, by=member, now=local(2030, 5, 1))
    assert queue.suggestions_mark_presented(now=NOW) == 1

    with pytest.raises(queue.SuggestionRefused) as refused:
        queue.suggestion_claim(suggestion=suggestion, talk=upcoming, by=member, now=NOW)

    assert str(refused.value).endswith(
        "was presented on 13 May 2030; it has left the queue, so you cannot claim it."
    )
    upcoming.refresh_from_db()
    assert upcoming.resource_id is None


def test_claiming_for_a_past_cancelled_or_foreign_talk_is_refused(series, member):
    suggestion = suggest(series, "https://example.org/x", member)
    past = TalkFactory(meeting=MeetingFactory(series=series, start=NOW - timedelta(days=1)), speaker=member)
    cancelled = TalkFactory(
        meeting=MeetingFactory(series=series, start=NOW + timedelta(days=1), status="cancelled"),
        speaker=member,
    )
    foreign = TalkFactory(meeting=MeetingFactory(start=NOW + timedelta(days=1)), speaker=member)

    reasons = []
    for talk in (past, cancelled, foreign):
        with pytest.raises(queue.SuggestionRefused) as refused:
            queue.suggestion_claim(suggestion=suggestion, talk=talk, by=member, now=NOW)
        reasons.append(str(refused.value))

    assert reasons == [
        "The talk on 2 Jun 2030 has already taken place; claim papers for upcoming talks.",
        "The meeting on 4 Jun 2030 is cancelled.",
        "The talk is in another series than the suggestion.",
    ]


def test_a_talk_holds_one_suggestion_and_releasing_gives_it_back(series, member, upcoming):
    first = suggest(series, "https://example.org/first", member)
    second = suggest(series, "https://example.org/second", member)
    queue.suggestion_claim(suggestion=first, talk=upcoming, by=member, now=NOW)

    queue.suggestion_claim(suggestion=second, talk=upcoming, by=member, now=NOW)

    first.refresh_from_db()
    upcoming.refresh_from_db()
    assert (first.status, upcoming.resource_id) == ("open", second.resource_id)
    queue.suggestion_release(suggestion=second, by=member)
    second.refresh_from_db()
    upcoming.refresh_from_db()
    assert (second.status, upcoming.resource_id, upcoming.title) == ("open", None, "")


# Presenting and archiving


def test_after_the_meeting_a_claimed_suggestion_is_presented_there(series, member, upcoming):
    suggestion = suggest(series, "https://example.org/lora", member)
    queue.suggestion_claim(suggestion=suggestion, talk=upcoming, by=member, now=NOW)

    assert queue.suggestions_mark_presented(now=NOW) == 0  # not yet
    later = upcoming.meeting.start + timedelta(hours=2)
    assert queue.suggestions_mark_presented(now=later) == 1
    assert queue.suggestions_mark_presented(now=later) == 0  # once

    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.presented_meeting, suggestion.presented_on) == (
        "presented",
        upcoming.meeting,
        upcoming.meeting.local_start.date(),
    )
    assert selectors_queue.queue_ranked(series=series, now=later) == []


def test_a_claim_on_a_cancelled_meeting_goes_back_to_the_queue(series, member, upcoming):
    suggestion = suggest(series, "https://example.org/lora", member)
    queue.suggestion_claim(suggestion=suggestion, talk=upcoming, by=member, now=NOW)
    Meeting.objects.filter(pk=upcoming.meeting_id).update(status="cancelled")

    assert queue.suggestions_mark_presented(now=upcoming.meeting.start + timedelta(days=1)) == 1

    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.talk) == ("open", None)


def test_a_paper_presented_without_claiming_leaves_the_queue_too(series, member):
    suggestion = suggest(series, "https://example.org/gan", member, now=NOW - timedelta(days=30))
    meeting = MeetingFactory(series=series, start=NOW - timedelta(days=2))
    talk = TalkFactory(meeting=meeting, speaker=member, resource=suggestion.resource)

    assert queue.suggestions_mark_presented(now=NOW) == 1

    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.presented_meeting, suggestion.talk) == ("presented", meeting, talk)


def test_archiving_needs_a_reason_releases_the_claim_and_can_be_undone(series, member, organiser, upcoming):
    suggestion = suggest(series, "https://example.org/dup", member)
    queue.suggestion_claim(suggestion=suggestion, talk=upcoming, by=member, now=NOW)

    with pytest.raises(queue.ValidationError):
        queue.suggestion_archive(suggestion=suggestion, by=organiser, reason="  ")
    queue.suggestion_archive(suggestion=suggestion, by=organiser, reason="duplicate  of #3")

    suggestion.refresh_from_db()
    upcoming.refresh_from_db()
    assert (suggestion.status, suggestion.archive_reason, suggestion.archived_by) == (
        "archived",
        "duplicate of #3",
        organiser,
    )
    assert upcoming.resource_id is None
    assert selectors_queue.queue_counts(series=series) == {
        "open": 0,
        "claimed": 0,
        "presented": 0,
        "archived": 1,
    }
    queue.suggestion_restore(suggestion=suggestion, by=organiser)
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.archive_reason) == ("open", "")


def test_deleting_a_claimed_suggestion_is_refused(series, member, upcoming):
    suggestion = suggest(series, "https://example.org/x", member)
    queue.suggestion_claim(suggestion=suggestion, talk=upcoming, by=member, now=NOW)

    with pytest.raises(queue.SuggestionRefused) as refused:
        queue.suggestion_delete(suggestion=suggestion)

    assert "is claimed for a talk: release it (or archive it) before deleting it." in str(refused.value)
    assert Suggestion.objects.filter(pk=suggestion.pk).exists()


# The dashboard and the digest


def test_top_of_each_of_my_series_queues_and_what_i_voted_for(series, committee, member, organiser, settings):
    settings.QUEUE_SUGGESTIONS_PER_WEEK = 20
    hidden = SeriesFactory(name="Not mine", visibility="members", organisers=[organiser])
    suggest(hidden, "https://example.org/hidden", organiser)
    papers = [
        suggest(series, f"https://example.org/p{n}", organiser, now=NOW - timedelta(days=n)) for n in range(7)
    ]
    for paper in papers[4:]:
        vote_at(paper, member, NOW)
    suggest(committee, "https://example.org/c", organiser)

    tops = selectors_queue.suggestions_top_for_member(user=member, now=NOW)

    assert [(s.name, [x.resource.url[-2:] for x in top]) for s, top in tops] == [
        ("Committee", ["/c"]),
        ("IGR-data ML Club", ["p4", "p5", "p6", "p0", "p1"]),
    ]
    assert [s.resource.url[-2:] for s in selectors_queue.suggestions_voted_by(user=member)] == [
        "p6",
        "p5",
        "p4",
    ]
    assert [s.vote_count for s in selectors_queue.suggestions_voted_by(user=member)] == [2, 2, 2]
    assert selectors_queue.suggestions_top_for_member(user=AnonymousUser()) == []
