"""The paper queue in a real browser: a member suggests a paper by pasting an arXiv link, two
others vote without a reload, the speaker claims it for their talk, the meeting page shows it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings.models import Suggestion
from tests.factories import MeetingFactory, SeriesFactory, TalkFactory

pytestmark = pytest.mark.e2e

ARXIV = "https://arxiv.org/abs/2106.09685"


def test_suggest_vote_claim_and_the_meeting_page_shows_it(
    new_context, live_server, member, other_member, organiser, sign_in
):
    group = SeriesFactory(
        name="Reading group",
        slug="reading",
        visibility="members",
        organisers=[organiser],
        members=[organiser, member, other_member],
    )
    meeting = MeetingFactory(series=group, title="Adapters", start=timezone.now() + timedelta(days=9))
    TalkFactory(meeting=meeting, speaker=other_member, title="")

    # Ada pastes an arXiv link into the queue's form.
    ada = sign_in(new_context().new_page(), member)
    ada.goto(group.get_absolute_url())
    ada.get_by_role("link", name="Paper queue").click()
    expect(ada.get_by_role("heading", level=1)).to_contain_text("Paper queue")
    expect(ada.get_by_text("The queue is empty.")).to_be_visible()
    form = ada.get_by_role("form", name="Suggest a paper")
    form.get_by_label("Link or identifier").focus()
    ada.keyboard.insert_text(ARXIV)  # what a paste types
    form.get_by_label("Pitch").fill("Fine-tuning with *low-rank* adapters.")
    form.get_by_label("I'd present it").check()
    form.get_by_role("button", name="Suggest", exact=True).click()
    expect(ada.get_by_text("is in the queue, with your vote.")).to_be_visible()
    expect(ada.get_by_role("heading", level=1)).to_have_text(ARXIV)
    expect(ada.locator(".markdown em")).to_have_text("low-rank")
    suggestion = Suggestion.objects.get()
    assert (suggestion.resource.arxiv_id, suggestion.would_present) == ("2106.09685", True)

    # Two others vote from the queue page, without a reload.
    for person, count in ((other_member, "2"), (organiser, "3")):
        voter = sign_in(new_context().new_page(), person)
        voter.goto(f"/series/{group.slug}/queue/")
        voter.evaluate("window.__noReload = true")
        voter.get_by_role("button", name=f"Vote for {ARXIV}").click()
        votes = voter.locator(f"#votes-{suggestion.pk}")
        expect(votes.get_by_role("button", name=f"Withdraw my vote for {ARXIV}")).to_be_visible()
        expect(votes.locator(".vote-count strong")).to_have_text(count)
        expect(votes).to_contain_text(person.name)
        assert voter.evaluate("window.__noReload") is True
    assert suggestion.votes.count() == 3

    # Alan, the speaker of the next talk, claims it for his talk.
    alan = sign_in(new_context().new_page(), other_member)
    alan.goto(suggestion.get_absolute_url())
    alan.get_by_label("For the talk").select_option(label=f"{meeting.label} — Alan Turing")
    alan.get_by_role("button", name="Claim", exact=True).click()
    expect(alan.get_by_text("Claimed for Alan Turing's talk:").first).to_be_visible()

    alan.get_by_role("link", name=meeting.label).click()
    speakers = alan.locator("dl.facts")
    expect(speakers).to_contain_text("Alan Turing")
    expect(speakers.locator(f'a[href="{ARXIV}"]')).to_contain_text("arxiv.org/abs/2106.09685")
    expect(speakers.get_by_role("link", name="suggested by Ada Lovelace with 3 votes")).to_be_visible()

    # The members-only queue is nobody else's business.
    visitor = new_context().new_page()
    assert visitor.goto(f"/series/{group.slug}/queue/").status == 404
