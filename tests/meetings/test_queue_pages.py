"""The paper queue's pages: who sees and does what, suggesting, voting without a reload, comments,
claiming, the meeting page, the dashboard, the feed, term generation, and fixed query counts."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Suggestion, SuggestionVote, Talk
from meetings.services import queue
from meetings.services.minutes import minutes_save
from resources.models import Resource
from tests.factories import MeetingFactory, TalkFactory, UserFactory, local

pytestmark = pytest.mark.django_db


def suggest(series, url, by, **kwargs):
    return queue.suggestion_create(series=series, url=url, by=by, **kwargs).suggestion


def queue_url(series, **query):
    url = reverse("series-queue", kwargs={"slug": series.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def page(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


@pytest.fixture
def paper(series, member):
    suggestion = suggest(series, "https://arxiv.org/abs/2106.09685", member, pitch="Cheap *fine-tuning*")
    Resource.objects.filter(pk=suggestion.resource_id).update(title="LoRA: Low-Rank Adaptation")
    return Suggestion.objects.select_related("resource", "series").get(pk=suggestion.pk)


# Reading


def test_queue_page_ranks_and_explains_the_score(client, series, member, organiser, paper):
    other = suggest(series, "https://example.org/older", organiser, now=timezone.now() - timedelta(weeks=8))
    Resource.objects.filter(pk=other.resource_id).update(title="An older idea")

    content = page(client, queue_url(series))

    assert content.index("LoRA: Low-Rank Adaptation") < content.index("An older idea")
    assert "each vote counts 1 when cast and half as much every 8 weeks after" in content
    assert "score 1.00" in content and "score 0.50" in content
    assert "<em>fine-tuning</em>" in content
    assert "Sign in</a> to suggest papers and vote." in content


def test_members_see_who_voted_visitors_of_a_public_series_only_counts(client, series, member, paper):
    assert "voted: Ada Lovelace" not in page(client, queue_url(series))
    assert "<strong>1</strong> vote<" in page(client, paper.get_absolute_url())
    assert "A vote, " in page(client, paper.get_absolute_url())  # the score's parts, without names
    outsider = UserFactory(username="zed")
    client.force_login(outsider)
    assert "voted: Ada Lovelace" not in page(client, paper.get_absolute_url())
    assert "Only members of IGR-data ML Club suggest papers and vote." in page(client, queue_url(series))
    client.force_login(member)
    content = page(client, paper.get_absolute_url())
    assert "voted: Ada Lovelace" in content
    assert "Ada Lovelace, " in content


def test_a_members_only_queue_is_404_for_everyone_else(client, private_series, member):
    suggestion = suggest(private_series, "https://example.org/secret-paper", member)
    outsider = UserFactory()
    urls = [
        queue_url(private_series),
        suggestion.get_absolute_url(),
        reverse("series-queue-feed", kwargs={"slug": private_series.slug}),
    ]

    for url in urls:
        assert client.get(url).status_code == 404
    client.force_login(outsider)
    for url in urls:
        assert client.get(url).status_code == 404
    assert "secret-paper" not in page(client, reverse("dashboard"))
    client.force_login(member)
    for url in urls:
        assert client.get(url).status_code == 200


def test_queue_filters_and_state_tabs(member_client, series, member, organiser, paper):
    video = suggest(series, "https://www.youtube.com/watch?v=dQw4w9WgXcQ", organiser, would_present=True)
    Resource.objects.filter(pk=video.resource_id).update(title="A talk on video")
    paper.resource.tags.add("finetuning")
    archived = suggest(series, "https://example.org/off-topic", organiser)
    queue.suggestion_archive(suggestion=archived, by=organiser, reason="off-topic")

    assert "A talk on video" not in page(member_client, queue_url(series, kind="paper"))
    assert "LoRA" not in page(member_client, queue_url(series, kind="video"))
    assert "A talk on video" not in page(member_client, queue_url(series, tag="finetuning"))
    only_volunteers = page(member_client, queue_url(series, would_present="on"))
    assert "A talk on video" in only_volunteers and "LoRA" not in only_volunteers
    unvoted = page(member_client, queue_url(series, unvoted="on"))
    assert "A talk on video" in unvoted and "LoRA" not in unvoted
    content = page(member_client, queue_url(series, state="archived"))
    assert "archived: off-topic" in content and "LoRA" not in content
    assert "In the queue (2)" in content and "Archived (1)" in content
    assert "Nothing matches these filters." in page(member_client, queue_url(series, kind="dataset"))


def test_empty_queue_says_what_to_do(member_client, series):
    assert "The queue is empty. Paste a link or an arXiv id above to suggest the first paper." in page(
        member_client, queue_url(series)
    )


# Suggesting


def test_a_member_suggests_by_pasting_an_arxiv_id(member_client, series, member):
    response = member_client.post(
        queue_url(series), {"url": "arXiv:1706.03762", "pitch": "The classic", "would_present": "on"}
    )

    suggestion = Suggestion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == suggestion.get_absolute_url()
    assert (suggestion.resource.url, suggestion.resource.arxiv_id) == (
        "https://arxiv.org/abs/1706.03762",
        "1706.03762",
    )
    assert (suggestion.pitch, suggestion.would_present, suggestion.suggested_by) == (
        "The classic",
        True,
        member,
    )
    content = page(member_client, suggestion.get_absolute_url())
    assert "is in the queue, with your vote." in content
    assert "I'd present it" in content


def test_a_bad_link_is_refused_keeping_what_was_typed(member_client, series):
    response = member_client.post(queue_url(series), {"url": "ftp://nowhere/x", "pitch": "my careful pitch"})

    content = response.content.decode()
    assert response.status_code == 400
    assert 'value="ftp://nowhere/x"' in content and "my careful pitch" in content
    assert 'class="errorlist' in content
    assert not Suggestion.objects.exists()


def test_the_weekly_limit_is_said_clearly(member_client, series, member, settings):
    settings.QUEUE_SUGGESTIONS_PER_WEEK = 1
    suggest(series, "https://example.org/one", member)

    response = member_client.post(queue_url(series), {"url": "https://example.org/two", "pitch": "kept"})

    content = response.content.decode()
    assert response.status_code == 429
    assert (
        "You have suggested 1 paper for IGR-data ML Club in the last 7 days, the most a member may."
        in content
    )
    assert "kept" in content
    assert Suggestion.objects.count() == 1


def test_suggesting_a_paper_already_presented_warns_with_the_date(member_client, series, member):
    old = MeetingFactory(series=series, start=local(2020, 10, 12), title="GANs")
    resource = Resource.objects.create(
        url="https://arxiv.org/abs/1406.2661", title="GANs", arxiv_id="1406.2661"
    )
    TalkFactory(meeting=old, speaker=member, resource=resource)

    response = member_client.post(queue_url(series), {"url": "https://arxiv.org/pdf/1406.2661"}, follow=True)

    content = response.content.decode()
    assert "Note: the series already presented this paper, on 12 Oct 2020." in content
    assert "presented on 12 Oct 2020" in page(member_client, queue_url(series))


def test_visitors_and_non_members_cannot_suggest(client, series):
    response = client.post(queue_url(series), {"url": "https://example.org/x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(UserFactory())
    assert client.post(queue_url(series), {"url": "https://example.org/x"}).status_code == 403
    assert not Suggestion.objects.exists()


# Voting without a reload


def test_voting_with_htmx_answers_the_votes_fragment(client, series, organiser, paper):
    client.force_login(organiser)
    url = reverse("suggestion-vote", kwargs={"slug": series.slug, "pk": paper.pk})

    response = client.post(url, {"vote": "up"}, HTTP_HX_REQUEST="true")

    content = response.content.decode()
    assert response.status_code == 200
    assert content.startswith(f'<div id="votes-{paper.pk}" class="votes">')
    assert "<strong>2</strong> votes" in content and "voted: Ada Lovelace, Grace Hopper" in content
    assert "Withdraw my vote for LoRA" in content
    response = client.post(url, {"vote": "withdraw"}, HTTP_HX_REQUEST="true")
    assert "<strong>1</strong> vote<" in response.content.decode()
    assert list(SuggestionVote.objects.values_list("user__username", flat=True)) == ["ada"]


def test_voting_without_htmx_redirects_back(client, series, organiser, paper):
    client.force_login(organiser)
    url = reverse("suggestion-vote", kwargs={"slug": series.slug, "pk": paper.pk})

    response = client.post(url, {"vote": "up", "next": queue_url(series)})

    assert (response.status_code, response["Location"]) == (302, queue_url(series))
    assert paper.votes.count() == 2


def test_a_visitor_cannot_vote_and_a_non_member_is_refused(client, series, paper):
    url = reverse("suggestion-vote", kwargs={"slug": series.slug, "pk": paper.pk})

    assert client.post(url, {"vote": "up"}).status_code == 302
    client.force_login(UserFactory())
    assert client.post(url, {"vote": "up"}).status_code == 403
    assert paper.votes.count() == 1
    assert 'name="vote"' not in page(client, paper.get_absolute_url())


def test_voting_for_an_archived_suggestion_says_why(client, series, organiser, paper):
    queue.suggestion_archive(suggestion=paper, by=organiser, reason="duplicate")
    client.force_login(organiser)
    url = reverse("suggestion-vote", kwargs={"slug": series.slug, "pk": paper.pk})

    content = client.post(url, {"vote": "up"}, HTTP_HX_REQUEST="true").content.decode()

    assert "“LoRA: Low-Rank Adaptation” was archived (duplicate); you cannot vote for it." in content
    assert paper.votes.count() == 1


# Discussing


def test_comments_render_markdown_and_their_links_join_the_library(member_client, series, paper):
    url = reverse("suggestion-comment", kwargs={"slug": series.slug, "pk": paper.pk})

    response = member_client.post(url, {"body": "See **the code**: https://github.com/microsoft/LoRA"})

    assert response.status_code == 302
    content = page(member_client, paper.get_absolute_url())
    assert "<strong>the code</strong>" in content
    code = Resource.objects.get(url="https://github.com/microsoft/LoRA")
    assert set(code.holders.values_list("series__slug", flat=True)) == {"ml-club"}
    assert member_client.post(url, {"body": ""}).status_code == 400


def test_only_the_author_or_an_organiser_deletes_a_comment(client, series, member, organiser, paper):
    comment = queue.suggestion_comment_add(suggestion=paper, by=member, body="mine")
    url = reverse(
        "suggestion-comment-delete", kwargs={"slug": series.slug, "pk": paper.pk, "comment_pk": comment.pk}
    )
    other = UserFactory()
    series.members.add(other)
    client.force_login(other)
    assert client.post(url).status_code == 403
    client.force_login(organiser)
    assert client.post(url).status_code == 302
    assert not paper.comments.exists()


# Claiming, the meeting page, minutes


@pytest.fixture
def next_talk(series, member):
    meeting = MeetingFactory(series=series, start=timezone.now() + timedelta(days=10), title="Adapters")
    return TalkFactory(meeting=meeting, speaker=member, title="")


def test_the_speaker_claims_and_the_meeting_page_and_minutes_show_it(
    member_client, series, member, organiser, paper, next_talk
):
    queue.suggestion_vote(suggestion=paper, user=organiser)
    minutes_save(meeting=next_talk.meeting, kind="minutes", body="We met.", base_revision=0, by=member)
    content = page(member_client, paper.get_absolute_url())
    assert "Claim it for my talk" in content

    response = member_client.post(
        reverse("suggestion-claim", kwargs={"slug": series.slug, "pk": paper.pk}), {"talk": next_talk.pk}
    )

    assert response.status_code == 302
    next_talk.refresh_from_db()
    assert (next_talk.resource_id, next_talk.title) == (paper.resource_id, "LoRA: Low-Rank Adaptation")
    content = page(member_client, next_talk.meeting.get_absolute_url())
    assert "suggested by Ada Lovelace with 2 votes" in content
    assert (
        "Ada Lovelace presents" in content
        and "LoRA: Low-Rank Adaptation</a>, suggested by Ada Lovelace" in content
    )
    assert "Claimed for Ada Lovelace's talk" in page(member_client, paper.get_absolute_url())


def test_published_minutes_email_says_who_suggested_the_paper(
    series, member, organiser, paper, next_talk, mailoutbox, django_capture_on_commit_callbacks
):
    from meetings.services.minutes import minutes_publish

    queue.suggestion_vote(suggestion=paper, user=organiser)
    queue.suggestion_claim(suggestion=paper, talk=next_talk, by=member)
    saved = minutes_save(
        meeting=next_talk.meeting, kind="minutes", body="We read it.", base_revision=0, by=member
    )

    with django_capture_on_commit_callbacks(execute=True):
        minutes_publish(minutes=saved.minutes, by=organiser)

    body = mailoutbox[0].body
    assert "Ada Lovelace presented LoRA: Low-Rank Adaptation, suggested by Ada Lovelace with 2 votes." in body
    assert "suggested by Ada Lovelace with 2 votes." in mailoutbox[0].alternatives[0][0]


def test_claiming_twice_says_who_has_it(client, series, member, organiser, paper, next_talk):
    queue.suggestion_claim(suggestion=paper, talk=next_talk, by=member)
    mine = TalkFactory(
        meeting=MeetingFactory(series=series, start=timezone.now() + timedelta(days=20)), speaker=organiser
    )
    client.force_login(organiser)

    response = client.post(
        reverse("suggestion-claim", kwargs={"slug": series.slug, "pk": paper.pk}),
        {"talk": mine.pk},
        follow=True,
    )

    assert "is already claimed for Ada Lovelace&#x27;s talk on" in response.content.decode()
    mine.refresh_from_db()
    assert mine.resource_id is None


def test_a_member_cannot_claim_for_someone_elses_talk(client, series, organiser, paper):
    theirs = TalkFactory(
        meeting=MeetingFactory(series=series, start=timezone.now() + timedelta(days=20)), speaker=organiser
    )
    other = UserFactory()
    series.members.add(other)
    client.force_login(other)

    response = client.post(
        reverse("suggestion-claim", kwargs={"slug": series.slug, "pk": paper.pk}), {"talk": theirs.pk}
    )

    assert response.status_code == 400
    assert "You have no upcoming talk in this series to claim it for." in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.resource_id is None


def test_an_organiser_assigns_and_the_speaker_releases(client, series, member, organiser, paper, next_talk):
    client.force_login(organiser)
    content = page(client, paper.get_absolute_url())
    assert "Assign to a talk" in content
    client.post(
        reverse("suggestion-claim", kwargs={"slug": series.slug, "pk": paper.pk}), {"talk": next_talk.pk}
    )
    assert Suggestion.objects.get(pk=paper.pk).talk == next_talk

    client.force_login(member)
    client.post(reverse("suggestion-release", kwargs={"slug": series.slug, "pk": paper.pk}))

    assert Suggestion.objects.get(pk=paper.pk).talk is None
    assert Talk.objects.get(pk=next_talk.pk).resource_id is None


def test_the_speaker_is_pointed_to_the_queue_from_their_meeting(member_client, series, next_talk):
    content = page(member_client, next_talk.meeting.get_absolute_url())

    assert f'href="{queue_url(series)}">choose a paper from the queue</a>' in content


# Archiving, editing, deleting


def test_organisers_archive_with_a_reason_members_cannot(client, series, member, organiser, paper):
    url = reverse("suggestion-archive", kwargs={"slug": series.slug, "pk": paper.pk})
    client.force_login(member)
    assert client.get(url).status_code == 403
    client.force_login(organiser)
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "Say why" in response.content.decode()

    assert client.post(url, {"reason": "already read"}).status_code == 302

    paper.refresh_from_db()
    assert (paper.status, paper.archive_reason) == ("archived", "already read")
    assert "Archived" in page(client, paper.get_absolute_url())
    client.post(url, {"action": "restore"})
    paper.refresh_from_db()
    assert paper.status == "open"


def test_the_suggester_edits_the_pitch(member_client, series, paper):
    url = reverse("suggestion-edit", kwargs={"slug": series.slug, "pk": paper.pk})

    response = member_client.post(url, {"pitch": "Now *better*", "would_present": "on"})

    assert response.status_code == 302
    paper.refresh_from_db()
    assert (paper.pitch_html, paper.would_present) == ("<p>Now <em>better</em></p>", True)


def test_the_suggester_withdraws_a_suggestion(member_client, series, paper):
    response = member_client.post(reverse("suggestion-delete", kwargs={"slug": series.slug, "pk": paper.pk}))

    assert (response.status_code, response["Location"]) == (302, queue_url(series))
    assert not Suggestion.objects.exists()


# The dashboard and the feed


def test_dashboard_shows_the_top_of_my_queues_and_what_i_voted_for(member_client, series, organiser, paper):
    liked = suggest(series, "https://example.org/liked", organiser)
    queue.suggestion_vote(suggestion=liked, user=paper.suggested_by)

    content = page(member_client, reverse("dashboard"))

    assert "Top of the paper queues" in content
    assert content.index("LoRA: Low-Rank Adaptation") < content.index("What I voted for")
    assert (
        'https://example.org/liked</a> <span class="meta">· IGR-data ML Club · 2 votes · in the queue'
        in content
    )


def test_queue_feed_lists_new_suggestions(client, series, paper):
    response = client.get(reverse("series-queue-feed", kwargs={"slug": series.slug}))

    content = response.content.decode()
    assert response["Content-Type"].startswith("application/atom+xml")
    assert "<title>IGR-data ML Club: paper queue</title>" in content
    assert "<title>LoRA: Low-Rank Adaptation</title>" in content
    assert "suggested by Ada Lovelace" in content and "&lt;em&gt;fine-tuning&lt;/em&gt;" in content


# Term generation uses the queue


def test_term_preview_shows_the_pairing_and_confirming_claims_the_papers(client, series, member, organiser):
    series.anchor_date, series.weekday, series.cadence_weeks = date(2030, 1, 7), 0, 2
    series.save()
    series.speaker_pool.set([member])
    volunteered = suggest(series, "https://example.org/volunteered", member, would_present=True)
    client.force_login(organiser)
    url = reverse("series-rota-generate", kwargs={"slug": series.slug})
    data = {"start": "2030-01-07", "end": "2030-01-21", "pool": [member.pk], "use_queue": "on"}

    content = page_post(client, url, {**data, "action": "preview"})

    assert "Paper from the queue" in content
    assert 'https://example.org/volunteered</a> <span class="meta">(they would present it, 1 vote)' in content
    assert "none chosen: Ada Lovelace picks from the" in content  # the second date: nothing left
    fingerprint = content.split('name="fingerprint" value="')[1].split('"')[0]
    response = client.post(url, {**data, "action": "confirm", "fingerprint": fingerprint})
    assert response.status_code == 302
    volunteered.refresh_from_db()
    assert volunteered.status == "claimed"
    assert volunteered.talk.meeting.local_start.date() == date(2030, 1, 7)


def page_post(client, url, data) -> str:
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:800]
    return response.content.decode()


# Query counts: the same at two data sizes, with the page's status and content


def _grow(series, count: int, offset: int = 0):
    voters = [UserFactory() for _ in range(3)]
    series.members.add(*voters)
    for n in range(offset, offset + count):
        suggestion = suggest(series, f"https://example.org/paper-{n}", voters[n % 3], pitch=f"pitch {n}")
        suggestion.resource.tags.add(f"tag{n}", "shared")
        for voter in voters:
            queue.suggestion_vote(suggestion=suggestion, user=voter)
        queue.suggestion_comment_add(suggestion=suggestion, by=voters[0], body=f"comment {n}")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("queue", 9), ("queue-archived", 10), ("detail", 7), ("dashboard", 15), ("meeting", 12), ("feed", 5)],
)
def test_queue_pages_query_counts_do_not_grow_with_the_data(
    client, series, member, settings, django_assert_num_queries, name, expected
):
    settings.QUEUE_SUGGESTIONS_PER_WEEK = 100
    first = suggest(series, "https://example.org/first", member, pitch="first")
    meeting = MeetingFactory(series=series, start=timezone.now() + timedelta(days=3))
    talk = TalkFactory(meeting=meeting, speaker=member)
    queue.suggestion_claim(suggestion=first, talk=talk, by=member)
    client.force_login(member)
    urls = {
        "queue": queue_url(series),
        "queue-archived": queue_url(series, state="archived"),
        "detail": first.get_absolute_url(),
        "dashboard": reverse("dashboard"),
        "meeting": meeting.get_absolute_url(),
        "feed": reverse("series-queue-feed", kwargs={"slug": series.slug}),
    }

    def measure(marker):
        with django_assert_num_queries(expected):
            content = page(client, urls[name])
        assert marker in content

    _grow(series, 2)
    for n in range(2):
        archived = suggest(series, f"https://example.org/archived-{n}", member)
        queue.suggestion_archive(suggestion=archived, by=member, reason=f"dup {n}")
    markers = {
        "queue": "paper-1",
        "queue-archived": "dup 1",
        "detail": "first",
        "dashboard": "paper-1",
        "meeting": "suggested by Ada Lovelace",
        "feed": "pitch 1",
    }
    measure(markers[name])
    _grow(series, 12, offset=2)
    for n in range(2, 14):
        archived = suggest(series, f"https://example.org/archived-{n}", member)
        queue.suggestion_archive(suggestion=archived, by=member, reason=f"dup {n}")
        queue.suggestion_comment_add(suggestion=first, by=member, body=f"more {n}")
        queue.suggestion_vote(suggestion=first, user=UserFactory())
    measure(
        {
            **markers,
            "queue": "paper-13",
            "queue-archived": "dup 13",
            "detail": "more 13",
            "dashboard": "paper-13",
            "feed": "pitch 13",
        }[name]
    )
