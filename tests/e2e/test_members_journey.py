"""Privacy by membership in a real browser: an organiser lets someone into a members-only series,
they read it, they leave, and it is gone for them."""

import pytest
from playwright.sync_api import expect

from tests.factories import MeetingFactory, SeriesFactory

pytestmark = pytest.mark.e2e


def test_organiser_adds_a_member_who_reads_the_series_then_leaves(
    new_context, live_server, organiser, other_member, sign_in
):
    committee = SeriesFactory(
        name="Hiring committee",
        slug="committee",
        visibility="members",
        organisers=[organiser],
        members=[organiser],
    )
    meeting = MeetingFactory(series=committee, title="Shortlist for the chair")
    alan = sign_in(new_context().new_page(), other_member)
    response = alan.goto(meeting.get_absolute_url())
    assert response.status == 404
    expect(alan.get_by_text("Shortlist for the chair")).to_have_count(0)

    grace = sign_in(new_context().new_page(), organiser)
    grace.goto(committee.get_absolute_url())
    grace.get_by_role("link", name="Members").click()
    expect(grace.get_by_role("heading", level=1)).to_have_text("Members of Hiring committee")
    grace.get_by_label("Username or email address").fill("alan")
    grace.get_by_role("button", name="Add or invite").click()
    expect(grace.get_by_text("Alan Turing is now a member of Hiring committee.")).to_be_visible()
    expect(grace.get_by_role("button", name="Remove Alan Turing")).to_be_visible()

    alan.goto(meeting.get_absolute_url())
    expect(alan.get_by_role("heading", level=1)).to_contain_text("Shortlist for the chair")
    alan.goto(committee.get_absolute_url())
    alan.get_by_role("link", name="Members").click()
    alan.get_by_role("button", name="Leave Hiring committee").click()
    expect(alan.get_by_text("You have left Hiring committee.")).to_be_visible()
    expect(alan.get_by_role("link", name="Hiring committee")).to_have_count(0)

    assert alan.goto(meeting.get_absolute_url()).status == 404
    assert list(committee.members.values_list("username", flat=True)) == ["grace"]
