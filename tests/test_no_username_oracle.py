"""Issue 13: `/research/?assignee=` and the API's assignee filter told whether a username exists
(a 400 "Nobody is called ..." for an unknown one). Now an unknown name and the name of someone
whose items you may not see get the same answer: an empty list."""

import re

import pytest
from django.urls import reverse

from meetings.models import ResearchItem
from tests.api.conftest import _token_client
from tests.factories import MeetingFactory, SeriesFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden_assignee(db):
    """Has one item, in a members-only series the tests' people do not belong to."""
    person = UserFactory(username="hidden-person")
    series = SeriesFactory(slug="committee", visibility="members", organisers=[person], members=[person])
    ResearchItem.objects.create(meeting=MeetingFactory(series=series), text="Secret budget", assignee=person)
    return person


CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def _board(client, who: str):
    """Status and page, the name and the (per-request) CSRF token masked."""
    response = client.get(reverse("research-board"), {"assignee": who})
    return response.status_code, CSRF.sub(r"\1…", response.content.decode().replace(who, "NAME"))


@pytest.mark.parametrize("signed_in", [False, True])
def test_research_board_answers_alike_for_unknown_and_invisible_names(
    client, member, hidden_assignee, signed_in
):
    if signed_in:
        client.force_login(member)

    hidden = _board(client, "hidden-person")
    unknown = _board(client, "no-such-person")

    assert hidden[0] == unknown[0] == 200
    assert "Nothing here." in hidden[1]
    assert "Secret budget" not in hidden[1]
    assert hidden == unknown


def test_research_board_still_filters_by_a_visible_assignee(member_client, series, member):
    ResearchItem.objects.create(
        meeting=MeetingFactory(series=series), text="Read the GAN paper", assignee=member
    )

    status, content = _board(member_client, "ada")

    assert status == 200
    assert "Read the GAN paper" in content


def test_api_assignee_filter_answers_alike_for_unknown_and_invisible_names(member, hidden_assignee):
    api = _token_client(member)

    hidden = api.get("/api/v1/research-items/", {"assignee": "hidden-person"})
    unknown = api.get("/api/v1/research-items/", {"assignee": "no-such-person"})

    assert hidden.status_code == unknown.status_code == 200
    assert hidden.json() == unknown.json()
    assert hidden.json()["results"] == []
