import pytest
from rest_framework.test import APIClient

from meetings.services.tokens import api_token_create
from tests.factories import MeetingFactory, ResourceFactory, SeriesFactory, TalkFactory, UserFactory


@pytest.fixture
def api():
    """A client with no credentials: a visitor."""
    return APIClient()


def _token_client(user):
    _, token = api_token_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.token = token
    return client


@pytest.fixture
def member_api(member):
    return _token_client(member)


@pytest.fixture
def organiser_api(organiser):
    return _token_client(organiser)


@pytest.fixture
def other_organiser(db):
    """Organises another series, so is an organiser, but not of `series`."""
    user = UserFactory(username="barbara", display_name="Barbara Liskov")
    SeriesFactory(name="Other club", slug="other-club", organisers=[user])
    return user


@pytest.fixture
def other_organiser_api(other_organiser):
    return _token_client(other_organiser)


@pytest.fixture
def meeting(series):
    return MeetingFactory(series=series, title="Attention is all you need")


@pytest.fixture
def private_meeting(private_series):
    return MeetingFactory(series=private_series, title="Secret agenda")


@pytest.fixture
def talk(meeting, member):
    return TalkFactory(meeting=meeting, speaker=member, title="Transformers")


@pytest.fixture
def resource(db):
    return ResourceFactory(url="https://example.org/paper/attention", title="Attention")


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]
