"""403, 404 and 500 in the site's layout, with navigation; 404 tells a visitor to sign in."""

import pytest
from django.test import Client
from django.urls import include, path

from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("the database fell over")


urlpatterns = [path("boom/", boom), path("", include("clubsite.urls"))]


def test_visitor_on_a_members_only_meeting_gets_404_saying_sign_in_to_see_this(client, private_series):
    meeting = MeetingFactory(series=private_series, title="Closed session")

    response = client.get(meeting.get_absolute_url())

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    login = f'<a href="/accounts/login/?next=/series/secret/meetings/{meeting.pk}/">sign in to see this</a>'
    assert login in html
    assert '<nav class="nav" aria-label="Main">' in html
    assert "Closed session" not in html


def test_member_on_an_unknown_page_gets_404_without_sign_in_prompt(member_client):
    response = member_client.get("/series/no-such-series/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "it belongs to a series you are not a member of" in html
    assert "sign in to see this" not in html


def test_403_shows_the_reason_in_the_layout(member_client, series):
    response = member_client.get(f"/series/{series.slug}/edit/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>You may not do that here</h1>" in html
    assert "Only this series&#x27; organisers can edit it." in html
    assert '<nav class="nav" aria-label="Main">' in html


def test_500_page_renders_without_request_context(settings):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)

    response = client.get("/boom/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong</h1>" in html
    assert '<a href="/library/">Library</a>' in html
    assert "the database fell over" not in html
