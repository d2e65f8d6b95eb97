"""The paper queue's API: the same rules and services as the pages, the one error shape, refusals
with their reasons, and fixed query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from meetings.models import Suggestion, SuggestionVote
from meetings.services import queue
from resources.models import Resource
from tests.api.conftest import _token_client, error_of
from tests.factories import MeetingFactory, TalkFactory, UserFactory

pytestmark = pytest.mark.django_db


def suggest(series, url, by, **kwargs):
    return queue.suggestion_create(series=series, url=url, by=by, **kwargs).suggestion


@pytest.fixture
def lora(series, member):
    suggestion = suggest(series, "https://arxiv.org/abs/2106.09685", member, pitch="Cheap *tuning*")
    Resource.objects.filter(pk=suggestion.resource_id).update(title="LoRA")
    return suggestion


@pytest.fixture
def next_talk(series, member):
    meeting = MeetingFactory(series=series, start=timezone.now() + timedelta(days=10))
    return TalkFactory(meeting=meeting, speaker=member, title="")


def test_list_is_ranked_with_scores_and_counts(member_api, series, member, organiser, lora):
    older = suggest(series, "https://example.org/older", organiser, now=timezone.now() - timedelta(weeks=8))

    response = member_api.get("/api/v1/series/ml-club/suggestions/")

    body = response.json()
    assert response.status_code == 200 and "ETag" in response
    assert [row["id"] for row in body["results"]] == [lora.pk, older.pk]
    first = body["results"][0]
    assert (first["state"], first["votes"], first["voted_by_me"], first["voters"]) == (
        "open",
        1,
        True,
        [{"username": "ada", "name": "Ada Lovelace"}],
    )
    assert first["resource"]["title"] == "LoRA" and first["pitch_html"] == "<p>Cheap <em>tuning</em></p>"
    assert first["score"] == 1.0 and body["results"][1]["score"] == 0.5


def test_visitors_of_a_public_series_see_counts_not_voters(api, lora):
    row = api.get("/api/v1/series/ml-club/suggestions/").json()["results"][0]

    assert (row["votes"], row["voters"], row["voted_by_me"]) == (1, None, False)
    assert api.get(f"/api/v1/suggestions/{lora.pk}/").json()["voters"] is None


def test_members_only_queue_is_404_for_other_accounts(api, private_series, member):
    hidden = suggest(private_series, "https://example.org/secret", member)
    outsider = _token_client(UserFactory())

    for client in (api, outsider):
        assert client.get("/api/v1/series/secret/suggestions/").status_code == 404
        assert client.get(f"/api/v1/suggestions/{hidden.pk}/").status_code == 404
    assert error_of(outsider.put(f"/api/v1/suggestions/{hidden.pk}/vote/"))["code"] == "not_found"
    assert hidden.votes.count() == 1


def test_create_from_an_arxiv_id_then_again_is_a_vote(member_api, organiser_api, series):
    created = member_api.post(
        "/api/v1/series/ml-club/suggestions/",
        {"url": "arXiv:1706.03762", "pitch": "The classic", "would_present": True},
        format="json",
    )
    again = organiser_api.post(
        "/api/v1/series/ml-club/suggestions/", {"url": "https://arxiv.org/pdf/1706.03762v7"}, format="json"
    )

    assert created.status_code == 201
    assert created.json()["resource"]["url"] == "https://arxiv.org/abs/1706.03762"
    assert (created.json()["would_present"], created.json()["comments"]) == (True, [])
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["votes"]) == (created.json()["id"], 2)


def test_create_refuses_bad_input_and_the_weekly_limit(member_api, series, member, settings):
    settings.QUEUE_SUGGESTIONS_PER_WEEK = 1
    bad = member_api.post("/api/v1/series/ml-club/suggestions/", {"url": 12}, format="json")
    assert bad.status_code == 400 and error_of(bad)["fields"] == {"url": ["Give a string."]}
    suggest(series, "https://example.org/one", member)

    limited = member_api.post(
        "/api/v1/series/ml-club/suggestions/", {"url": "https://example.org/two"}, format="json"
    )

    assert limited.status_code == 429
    assert error_of(limited)["code"] == "limit_reached"
    assert error_of(limited)["message"].startswith("You have suggested 1 paper for IGR-data ML Club")
    assert Suggestion.objects.count() == 1


def test_a_visitor_and_a_non_member_cannot_suggest_or_vote(api, series, lora):
    outsider = _token_client(UserFactory())

    assert (
        api.post("/api/v1/series/ml-club/suggestions/", {"url": "https://x.org"}, format="json").status_code
        == 401
    )
    assert api.put(f"/api/v1/suggestions/{lora.pk}/vote/").status_code == 401
    refused = outsider.put(f"/api/v1/suggestions/{lora.pk}/vote/")
    assert refused.status_code == 403 and error_of(refused)["message"] == "Only this series' members vote."
    assert lora.votes.count() == 1


def test_vote_and_withdraw(organiser_api, lora):
    put = organiser_api.put(f"/api/v1/suggestions/{lora.pk}/vote/")
    assert (put.status_code, put.json()["votes"], put.json()["voted_by_me"]) == (200, 2, True)
    assert organiser_api.put(f"/api/v1/suggestions/{lora.pk}/vote/").json()["votes"] == 2

    deleted = organiser_api.delete(f"/api/v1/suggestions/{lora.pk}/vote/")

    assert (deleted.status_code, deleted.json()["votes"], deleted.json()["voted_by_me"]) == (200, 1, False)
    assert list(SuggestionVote.objects.values_list("user__username", flat=True)) == ["ada"]


def test_patch_pitch_by_the_suggester_archive_by_organisers_only(member_api, organiser_api, lora):
    edited = member_api.patch(f"/api/v1/suggestions/{lora.pk}/", {"pitch": "**Why**"}, format="json")
    assert (edited.status_code, edited.json()["pitch_html"]) == (200, "<p><strong>Why</strong></p>")
    refused = member_api.patch(
        f"/api/v1/suggestions/{lora.pk}/", {"state": "archived", "archive_reason": "dup"}, format="json"
    )
    assert refused.status_code == 403
    missing = organiser_api.patch(f"/api/v1/suggestions/{lora.pk}/", {"state": "archived"}, format="json")
    assert error_of(missing)["fields"] == {"archive_reason": ["Say why the suggestion is archived."]}

    archived = organiser_api.patch(
        f"/api/v1/suggestions/{lora.pk}/", {"state": "archived", "archive_reason": "duplicate"}, format="json"
    )

    assert (archived.json()["state"], archived.json()["archive_reason"]) == ("archived", "duplicate")
    vote = organiser_api.put(f"/api/v1/suggestions/{lora.pk}/vote/")
    assert vote.status_code == 409
    assert error_of(vote)["message"] == "“LoRA” was archived (duplicate); you cannot vote for it."
    restored = organiser_api.patch(f"/api/v1/suggestions/{lora.pk}/", {"state": "open"}, format="json")
    assert restored.json()["state"] == "open"


def test_claim_fills_the_talk_and_claiming_twice_is_refused(
    member_api, organiser_api, series, organiser, lora, next_talk
):
    claimed = member_api.post(f"/api/v1/suggestions/{lora.pk}/claim/", {"talk": next_talk.pk}, format="json")

    assert claimed.status_code == 200
    assert (claimed.json()["state"], claimed.json()["talk"], claimed.json()["claimed_meeting"]) == (
        "claimed",
        next_talk.pk,
        next_talk.meeting_id,
    )
    next_talk.refresh_from_db()
    assert (next_talk.resource_id, next_talk.title) == (lora.resource_id, "LoRA")
    other = TalkFactory(
        meeting=MeetingFactory(series=series, start=timezone.now() + timedelta(days=20)), speaker=organiser
    )
    twice = organiser_api.post(f"/api/v1/suggestions/{lora.pk}/claim/", {"talk": other.pk}, format="json")
    assert twice.status_code == 409
    assert error_of(twice)["code"] == "refused"
    assert error_of(twice)["message"].startswith("“LoRA” is already claimed for Ada Lovelace's talk on ")
    deleting = member_api.delete(f"/api/v1/suggestions/{lora.pk}/")
    assert deleting.status_code == 409 and "release it (or archive it)" in error_of(deleting)["message"]

    released = member_api.delete(f"/api/v1/suggestions/{lora.pk}/claim/")

    assert (released.status_code, released.json()["state"], released.json()["talk"]) == (200, "open", None)


def test_claiming_a_presented_paper_is_refused_with_the_reason(member_api, series, member, lora, next_talk):
    past = TalkFactory(
        meeting=MeetingFactory(series=series, start=timezone.now() + timedelta(hours=1)), speaker=member
    )
    queue.suggestion_claim(suggestion=lora, talk=past, by=member)
    queue.suggestions_mark_presented(now=timezone.now() + timedelta(hours=3))

    response = member_api.post(f"/api/v1/suggestions/{lora.pk}/claim/", {"talk": next_talk.pk}, format="json")

    assert response.status_code == 409
    assert error_of(response)["message"].endswith("it has left the queue, so you cannot claim it.")
    assert "was presented on " in error_of(response)["message"]


def test_claim_for_someone_elses_talk_is_forbidden_and_a_foreign_talk_invalid(member_api, organiser, lora):
    theirs = TalkFactory(
        meeting=MeetingFactory(series=lora.series, start=timezone.now() + timedelta(days=3)),
        speaker=organiser,
    )
    foreign = TalkFactory(meeting=MeetingFactory(start=timezone.now() + timedelta(days=3)))

    forbidden = member_api.post(f"/api/v1/suggestions/{lora.pk}/claim/", {"talk": theirs.pk}, format="json")
    invalid = member_api.post(f"/api/v1/suggestions/{lora.pk}/claim/", {"talk": foreign.pk}, format="json")

    assert forbidden.status_code == 403
    assert error_of(invalid)["fields"] == {"talk": ["No such talk in this series."]}


def test_filters_and_states(member_api, series, organiser, lora):
    video = suggest(series, "https://www.youtube.com/watch?v=dQw4w9WgXcQ", organiser, would_present=True)
    gone = suggest(series, "https://example.org/gone", organiser)
    queue.suggestion_archive(suggestion=gone, by=organiser, reason="off-topic")

    def ids(query):
        response = member_api.get(f"/api/v1/series/ml-club/suggestions/?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("kind=video") == [video.pk]
    assert ids("would_present=true") == [video.pk]
    assert ids("unvoted=true") == [video.pk]
    assert ids("state=archived") == [gone.pk]
    assert error_of(member_api.get("/api/v1/series/ml-club/suggestions/?state=gone"))["code"] == "invalid"


@pytest.mark.parametrize("path", ["/api/v1/series/ml-club/suggestions/", "detail"])
def test_query_counts_do_not_grow_with_the_data(
    member_api, series, member, organiser, django_assert_num_queries, path
):
    first = suggest(series, "https://example.org/first", member)
    url = f"/api/v1/suggestions/{first.pk}/" if path == "detail" else path
    member_api.get("/api/v1/series/")  # the token's first use records last_used_at: not counted

    def grow(count):
        for _ in range(count):
            voter = UserFactory()
            s = suggest(series, f"https://example.org/{voter.username}", voter)
            s.resource.tags.add("shared", voter.username)
            queue.suggestion_vote(suggestion=s, user=organiser)
            queue.suggestion_vote(suggestion=first, user=voter)
            queue.suggestion_comment_add(suggestion=first, by=voter, body="more")

    grow(2)
    with django_assert_num_queries(6) as small:
        response = member_api.get(url)
    assert response.status_code == 200
    grow(12)
    with django_assert_num_queries(len(small.captured_queries)):
        large = member_api.get(url)
    assert large.status_code == 200
    if path == "detail":
        assert (response.json()["votes"], large.json()["votes"]) == (3, 15)
        assert len(large.json()["comments"]) == 14
    else:
        assert (response.json()["count"], large.json()["count"]) == (3, 15)
