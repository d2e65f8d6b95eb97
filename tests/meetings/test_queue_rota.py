"""Term generation reads the paper queue: "I'd present it" volunteers first on the dates they are
free, then every other new talk is offered the top unclaimed suggestion its speaker chose; the
preview shows the pairing, confirming claims the papers."""

from datetime import date

import pytest

from meetings.models import Suggestion, Unavailability
from meetings.services import queue, rota
from tests.factories import MeetingFactory, SeriesFactory, TalkFactory, UserFactory, local

pytestmark = pytest.mark.django_db

START, END = date(2027, 1, 4), date(2027, 3, 1)  # five fortnightly Mondays


@pytest.fixture
def club(organiser):
    series = SeriesFactory(
        name="ML Club", slug="ml", organisers=[organiser], weekday=0, cadence_weeks=2, anchor_date=START
    )
    pool = [UserFactory(username=f"p{n}", display_name=f"Person {n}") for n in range(1, 6)]
    series.speaker_pool.set(pool)
    series.members.set([organiser, *pool])
    Unavailability.objects.create(user=pool[0], date=START, note="Conference")  # p1 cannot on 4 Jan
    return series


def people(series):
    return {user.username: user for user in series.speaker_pool.all()}


def suggest(series, name, by, **kwargs):
    return queue.suggestion_create(
        series=series, url=f"https://example.org/{name}", by=by, **kwargs
    ).suggestion


@pytest.fixture
def queue_of(club, organiser):
    p = people(club)
    papers = {
        "a": suggest(club, "a", organiser),  # voted for by p2 and p4: 3 votes, the top
        "mine1": suggest(club, "mine1", p["p1"], would_present=True),  # p1 would present it: 2 votes
        "c": suggest(club, "c", organiser),  # voted for by p4: 2 votes
        "b": suggest(club, "b", p["p2"]),  # p2's own, not volunteered: 1 vote
        "mine3": suggest(club, "mine3", p["p3"], would_present=True),  # p3 would present it: 1 vote
    }
    for name, voter in [("a", "p2"), ("a", "p4"), ("mine1", None), ("c", "p4")]:
        queue.suggestion_vote(suggestion=papers[name], user=p[voter] if voter else organiser)
    return papers


def preview(series, **kwargs):
    pool = list(series.speaker_pool.order_by("username"))
    return rota.rota_preview(series=series, start=START, end=END, pool=pool, **kwargs)


def pairing(result):
    return [
        (
            row.date,
            row.speaker.username if row.speaker else None,
            row.paper.suggestion.resource.url.rsplit("/", 1)[1] if row.paper else None,
            row.paper.why if row.paper else None,
        )
        for row in result.new_rows
    ]


def test_the_preview_pairs_volunteers_first_then_each_speakers_choice(club, queue_of):
    result = preview(club)

    assert pairing(result) == [
        # p3 would present "mine3" and is free on the first date; p1 (whose paper ranks higher)
        # cannot present on 4 Jan, so gets the first date they are free.
        (date(2027, 1, 4), "p3", "mine3", "volunteered"),
        (date(2027, 1, 18), "p1", "mine1", "volunteered"),
        # Then the fair rota (never presented first) and each speaker's best unclaimed vote.
        (date(2027, 2, 1), "p2", "a", "voted"),
        (date(2027, 2, 15), "p4", "c", "voted"),  # "a" is taken: p4's next choice
        (date(2027, 3, 1), "p5", None, None),  # p5 chose nothing: no paper offered
    ]
    assert [(user.username, count) for user, count in result.counts] == [(f"p{n}", 1) for n in range(1, 6)]


def test_without_the_queue_the_rota_is_the_fair_one_alone(club, queue_of):
    plain = preview(club, use_queue=False)

    assert pairing(plain) == [
        (date(2027, 1, 4), "p2", None, None),  # p1 cannot present that day
        (date(2027, 1, 18), "p1", None, None),
        (date(2027, 2, 1), "p3", None, None),
        (date(2027, 2, 15), "p4", None, None),
        (date(2027, 3, 1), "p5", None, None),
    ]
    assert plain.fingerprint != preview(club).fingerprint


def test_a_volunteer_who_already_speaks_in_the_term_is_not_put_first(club, queue_of):
    p = people(club)
    existing = MeetingFactory(series=club, start=local(2027, 2, 1))
    TalkFactory(meeting=existing, speaker=p["p3"])

    assert pairing(preview(club)) == [
        (date(2027, 1, 4), "p2", "a", "voted"),  # p1 cannot; p3 already speaks on 1 Feb
        (date(2027, 1, 18), "p1", "mine1", "volunteered"),
        (date(2027, 2, 15), "p4", "c", "voted"),
        (date(2027, 3, 1), "p5", None, None),
    ]


def test_claimed_presented_and_archived_suggestions_are_not_offered(club, organiser, queue_of):
    p = people(club)
    later = TalkFactory(meeting=MeetingFactory(series=club, start=local(2027, 6, 7)), speaker=p["p2"])
    queue.suggestion_claim(suggestion=queue_of["a"], talk=later, by=p["p2"])
    queue.suggestion_archive(suggestion=queue_of["mine3"], by=organiser, reason="already read")

    assert pairing(preview(club)) == [
        (date(2027, 1, 4), "p2", "b", "voted"),  # "a" is claimed: p2's next choice is their own
        (date(2027, 1, 18), "p1", "mine1", "volunteered"),
        (date(2027, 2, 1), "p3", None, None),  # "mine3" is archived: p3 chose nothing else
        (date(2027, 2, 15), "p4", "c", "voted"),
        (date(2027, 3, 1), "p5", None, None),
    ]


def test_confirming_claims_the_papers_for_the_new_talks(
    club, organiser, queue_of, django_capture_on_commit_callbacks
):
    result = preview(club)

    with django_capture_on_commit_callbacks(execute=True):
        rota.rota_generate(
            series=club,
            start=START,
            end=END,
            pool=list(club.speaker_pool.order_by("username")),
            by=organiser,
            expected=result.fingerprint,
        )

    claimed = {
        s.resource.url.rsplit("/", 1)[1]: (s.talk.speaker.username, s.talk.meeting.local_start.date())
        for s in Suggestion.objects.filter(talk__isnull=False).select_related("talk__meeting__series")
    }
    assert claimed == {
        "mine3": ("p3", date(2027, 1, 4)),
        "mine1": ("p1", date(2027, 1, 18)),
        "a": ("p2", date(2027, 2, 1)),
        "c": ("p4", date(2027, 2, 15)),
    }
    talk = queue_of["a"].resource.talks.get()
    assert talk.meeting.local_start.date() == date(2027, 2, 1)


def test_a_vote_between_preview_and_confirm_changes_the_pairing_and_is_caught(club, organiser, queue_of):
    result = preview(club)
    queue.suggestion_vote(suggestion=queue_of["b"], user=people(club)["p4"])
    queue.suggestion_vote(suggestion=queue_of["b"], user=organiser)
    queue.suggestion_vote(suggestion=queue_of["b"], user=people(club)["p5"])  # now p2's top choice

    with pytest.raises(rota.RotaChanged) as changed:
        rota.rota_generate(
            series=club,
            start=START,
            end=END,
            pool=list(club.speaker_pool.order_by("username")),
            by=organiser,
            expected=result.fingerprint,
        )

    assert (date(2027, 2, 1), "p2", "b", "voted") in pairing(changed.value.preview)
    assert not Suggestion.objects.filter(talk__isnull=False).exists()


def test_past_dates_are_not_paired(organiser):
    series = SeriesFactory(weekday=0, cadence_weeks=1, anchor_date=date(2020, 1, 6), organisers=[organiser])
    speaker = UserFactory()
    series.members.add(speaker)
    suggest(series, "old", speaker, would_present=True)

    result = rota.rota_preview(series=series, start=date(2020, 1, 6), end=date(2020, 1, 13), pool=[speaker])

    assert [(row.speaker, row.paper) for row in result.new_rows] == [(speaker, None), (speaker, None)]


def test_a_paired_paper_claimed_in_between_leaves_the_new_talk_without_one(club, organiser, queue_of):
    result = preview(club)
    row = result.new_rows[2]  # p2, offered "a"
    talk = TalkFactory(meeting=MeetingFactory(series=club, start=local(2027, 6, 7)), speaker=organiser)
    queue.suggestion_claim(suggestion=queue_of["a"], talk=talk, by=organiser)
    new_talk = TalkFactory(meeting=MeetingFactory(series=club, start=local(2027, 2, 1)), speaker=row.speaker)

    assert queue.term_claim(talk=new_talk, paper=row.paper, by=organiser) is False

    new_talk.refresh_from_db()
    assert new_talk.resource_id is None
    assert Suggestion.objects.get(pk=queue_of["a"].pk).talk == talk
