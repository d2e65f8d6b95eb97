"""Issue 13's privacy findings (2, 3 and 4), each as the attacker tried it.

A members-only series is read by its members, its organisers and staff: not by visitors,
and not by the other accounts of the site (finding 4). Nothing about it leaks through a
query parameter (finding 2) or through a reading list that says "public" (finding 3).
"""

from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import reverse

from meetings.services.minutes import minutes_save
from meetings.services.research import research_items_add
from resources.models import ReadingList, Resource
from resources.services.library import resource_add, resource_update
from resources.services.readinglists import readinglist_save
from tests.factories import MeetingFactory, SeriesFactory, TalkFactory, UserFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def committee(organiser, member):
    """A members-only series: Ada belongs to it, Grace organises it."""
    return SeriesFactory(
        name="Hiring committee",
        slug="committee",
        visibility="members",
        organisers=[organiser],
        members=[member],
    )


@pytest.fixture
def outsider(db):
    """A signed-in account of the site that belongs to another series only."""
    user = UserFactory(username="eve", display_name="Eve Outsider")
    SeriesFactory(name="Robotics club", slug="robotics", visibility="members", members=[user])
    return user


@pytest.fixture
def secret_meeting(committee, member):
    meeting = MeetingFactory(series=committee, title="Shortlist for the chair")
    minutes_save(
        meeting=meeting,
        kind="minutes",
        body="We discussed candidate Zebulon; see https://example.org/zebulon-cv",
        base_revision=0,
        by=member,
    )
    TalkFactory(meeting=meeting, speaker=member, title="Candidate review")
    research_items_add(meeting=meeting, text="check Zebulon's references @ada", by=member)
    return meeting


# Finding 2: /research/?meeting=<id> printed any meeting's series and title.


@pytest.mark.parametrize("who", ["visitor", "outsider"])
def test_research_board_meeting_filter_hides_a_meeting_the_user_may_not_see(
    client, secret_meeting, outsider, who
):
    if who == "outsider":
        client.force_login(outsider)

    response = client.get(reverse("research-board"), {"meeting": secret_meeting.pk})

    assert response.status_code == 404
    content = response.content.decode()
    assert "Shortlist for the chair" not in content
    assert "Hiring committee" not in content


def test_research_board_meeting_filter_works_for_a_member(client, secret_meeting, member):
    client.force_login(member)

    response = client.get(reverse("research-board"), {"meeting": secret_meeting.pk})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Only items raised at" in content and "Shortlist for the chair" in content
    assert "check Zebulon" in content


def test_research_board_meeting_filter_answers_404_for_no_such_meeting(client, db):
    response = client.get(reverse("research-board"), {"meeting": 999999})

    assert response.status_code == 404


# Finding 3: a resource on a "public" reading list of a members-only series was public.


@pytest.fixture
def listed_resource(committee, member):
    """Added the way a member adds it: by its link, on the committee's list (public by default)."""
    reading_list = readinglist_save(
        reading_list=ReadingList(title="Committee reading", series=committee, is_public=True), by=member
    )
    browser = Client()
    browser.force_login(member)
    response = browser.post(
        reverse("readinglist-add", kwargs={"pk": reading_list.pk}),
        {"url": "https://example.org/zebulon-thesis", "note": "Weak on methods."},
    )
    assert response.status_code == 302
    resource = Resource.objects.get(url="https://example.org/zebulon-thesis")
    resource_update(resource=resource, title="Zebulon's thesis", kind="paper", tags=["hiring"], notes="")
    return resource


def _feed_titles(response) -> list[str]:
    root = ElementTree.fromstring(response.content)
    return [entry.find(f"{ATOM}title").text for entry in root.iter(f"{ATOM}entry")]


@pytest.mark.parametrize("who", ["visitor", "outsider"])
def test_resource_on_public_list_of_members_only_series_is_hidden(client, listed_resource, outsider, who):
    if who == "outsider":
        client.force_login(outsider)
    detail = reverse("resource-detail", kwargs={"pk": listed_resource.pk})
    status = reverse("resource-status", kwargs={"pk": listed_resource.pk})

    assert client.get(detail).status_code == 404
    assert client.get(status).status_code == 404
    assert "Zebulon" not in client.get(reverse("library")).content.decode()
    assert _feed_titles(client.get(reverse("library-feed"))) == []
    assert "Zebulon" not in client.get(reverse("search"), {"q": "thesis"}).content.decode()
    assert client.get("/api/v1/resources/").json()["results"] == []
    assert client.get(f"/api/v1/resources/{listed_resource.pk}/").status_code == 404


def test_reading_list_of_members_only_series_is_never_public(client, listed_resource, committee, outsider):
    reading_list = ReadingList.objects.get(series=committee)
    assert reading_list.is_public  # the flag says public; the series says otherwise

    for user in (None, outsider):
        if user:
            client.force_login(user)
        assert client.get(reverse("readinglist-detail", kwargs={"pk": reading_list.pk})).status_code == 404
        assert client.get(reverse("readinglist-feed", kwargs={"pk": reading_list.pk})).status_code == 404
        assert "Committee reading" not in client.get(reverse("readinglist-list")).content.decode()
        assert client.get(f"/api/v1/reading-lists/{reading_list.pk}/").status_code == 404


def test_member_sees_the_listed_resource(client, listed_resource, member):
    client.force_login(member)

    response = client.get(reverse("resource-detail", kwargs={"pk": listed_resource.pk}))

    assert response.status_code == 200
    assert "Zebulon&#x27;s thesis" in response.content.decode()
    assert _feed_titles(client.get(reverse("library-feed"))) == ["Zebulon's thesis"]


# Finding 4: "members-only" meant "any signed-in account".


def _pages_of(meeting):
    series = meeting.series
    slug = series.slug
    return {
        "series": reverse("series-detail", kwargs={"slug": slug}),
        "meeting": meeting.get_absolute_url(),
        "history": reverse(
            "minutes-history", kwargs={"slug": slug, "pk": meeting.pk, "kind_slug": "minutes"}
        ),
        "rota": reverse("series-rota", kwargs={"slug": slug}),
        "calendar links": reverse("series-calendar-links", kwargs={"slug": slug}),
        "calendar": reverse("series-calendar", kwargs={"slug": slug}),
        "minutes feed": reverse("series-minutes-feed", kwargs={"slug": slug}),
        "export": reverse("series-export", kwargs={"slug": slug}),
        "meeting export": reverse("meeting-export", kwargs={"slug": slug, "pk": meeting.pk}),
        "api series": f"/api/v1/series/{slug}/",
        "api meeting": f"/api/v1/series/{slug}/meetings/{meeting.pk}/",
        "api minutes": f"/api/v1/series/{slug}/meetings/{meeting.pk}/minutes/",
        "api rota": f"/api/v1/series/{slug}/rota/",
    }


def test_other_accounts_cannot_read_a_members_only_series(client, secret_meeting, outsider):
    client.force_login(outsider)

    for name, url in _pages_of(secret_meeting).items():
        response = client.get(url)
        assert response.status_code == 404, name
        assert "Shortlist" not in response.content.decode(), name


def test_other_accounts_see_nothing_of_it_in_lists_search_and_the_library(client, secret_meeting, outsider):
    client.force_login(outsider)

    for url in [
        reverse("dashboard"),
        reverse("series-list"),
        reverse("research-board") + "?status=all",
        reverse("library"),
        reverse("search") + "?q=candidate",
        "/api/v1/series/",
        "/api/v1/research-items/",
        "/api/v1/resources/",
    ]:
        content = client.get(url).content.decode()
        assert "Hiring committee" not in content, url
        assert "Zebulon" not in content and "zebulon" not in content, url


def test_the_calendar_token_is_shown_to_members_only(client, secret_meeting, outsider, member):
    url = reverse("series-calendar-links", kwargs={"slug": "committee"})
    client.force_login(member)
    assert client.get(url).status_code == 200
    token = secret_meeting.series.__class__.objects.get(pk=secret_meeting.series_id).calendar_token
    assert token

    client.force_login(outsider)
    response = client.get(url)
    assert response.status_code == 404
    assert token not in response.content.decode()


def test_members_organisers_and_staff_read_the_series(client, secret_meeting, member, organiser):
    staff = UserFactory(username="root", is_staff=True)
    for user in (member, organiser, staff):
        client.force_login(user)
        for name, url in _pages_of(secret_meeting).items():
            response = client.get(url)
            assert response.status_code == 200, (user.username, name)


def test_other_accounts_cannot_write_in_a_members_only_series(client, secret_meeting, outsider):
    client.force_login(outsider)
    slug = secret_meeting.series.slug
    edit = reverse("minutes-edit", kwargs={"slug": slug, "pk": secret_meeting.pk, "kind_slug": "minutes"})

    assert client.post(edit, {"body": "defaced", "base_revision": 1}).status_code == 404
    research = reverse("research-add", kwargs={"slug": slug, "pk": secret_meeting.pk})
    assert client.post(research, {"lines": "spam"}).status_code == 404
    item = secret_meeting.research_items.get()
    assert (
        client.post(reverse("research-status", kwargs={"pk": item.pk}), {"status": "done"}).status_code == 404
    )

    secret_meeting.refresh_from_db()
    assert secret_meeting.documents.get(kind="minutes").revision == 1
    assert secret_meeting.research_items.count() == 1
    item.refresh_from_db()
    assert item.status == "open"


# The organisers' site-wide pages (link health, tags, deleting resources) keep to what the
# organiser may see: an organiser of another series is not an organiser of this one.


@pytest.fixture
def other_organiser(db):
    user = UserFactory(username="olga", display_name="Olga Organiser")
    SeriesFactory(name="Robotics club", slug="robotics", organisers=[user], members=[user])
    return user


def test_link_health_and_tags_do_not_show_another_series_resources(client, secret_meeting, other_organiser):
    resource = Resource.objects.get(url="https://example.org/zebulon-cv")
    resource_update(resource=resource, title="Zebulon's CV", kind="paper", tags=["zebulon-file"], notes="")
    Resource.objects.filter(pk=resource.pk).update(health="broken", consecutive_failures=3)
    client.force_login(other_organiser)

    health = client.get(reverse("link-health"))
    tags = client.get(reverse("library-tags"))

    assert health.status_code == tags.status_code == 200
    assert "Zebulon" not in health.content.decode() and "zebulon" not in health.content.decode()
    assert "zebulon-file" not in tags.content.decode()
    tag = resource.tags.get()
    response = client.post(reverse("library-tags"), {"action": "rename", "tag": tag.pk, "name": "renamed"})
    assert response.status_code == 404
    response = client.post(
        reverse("library-tags"), {"action": "merge", "sources": "zebulon-file", "target": "x"}
    )
    assert response.status_code == 200 and "zebulon-file" not in response.content.decode()
    assert client.get(reverse("library-tag-feed", kwargs={"tag": "zebulon-file"})).status_code == 404
    assert list(resource.tags.names()) == ["zebulon-file"]


def test_an_organiser_cannot_delete_a_resource_another_series_holds(client, secret_meeting, other_organiser):
    resource = Resource.objects.get(url="https://example.org/zebulon-cv")
    # The other organiser adds the same link to the library: they see the record now...
    resource_add(url="https://example.org/zebulon-cv", by=other_organiser)
    client.force_login(other_organiser)
    assert client.get(reverse("resource-detail", kwargs={"pk": resource.pk})).status_code == 200

    # ...but deleting it would take it from the committee's minutes, which they cannot see.
    response = client.post(reverse("resource-delete", kwargs={"pk": resource.pk}))

    assert response.status_code == 403
    assert Resource.objects.filter(pk=resource.pk).exists()
    assert client.delete(f"/api/v1/resources/{resource.pk}/").status_code == 403


def test_the_committees_organiser_may_delete_it(client, secret_meeting, organiser):
    resource = Resource.objects.get(url="https://example.org/zebulon-cv")
    client.force_login(organiser)

    response = client.post(reverse("resource-delete", kwargs={"pk": resource.pk}))

    assert response.status_code == 302
    assert not Resource.objects.filter(pk=resource.pk).exists()
