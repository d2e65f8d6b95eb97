"""Issue 13: one control character in a title or tag made every feed showing it answer 500.

Input loses (forms, the importer, fetched metadata) or is refused (the API) such characters;
feeds and calendars clean what is stored anyway; a migration cleaned the rows stored before.
"""

import importlib
from xml.etree import ElementTree

import pytest
from django.apps import apps
from django.urls import reverse
from icalendar import Calendar
from taggit.models import Tag

from meetings.services.minutes import minutes_save
from resources.models import ReadingList, Resource
from resources.services import library, readinglists
from resources.services.metadata.parsers import parse_crossref_work
from tests.api.conftest import _token_client
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def member_api(member):
    return _token_client(member)


def _titles(response) -> list[str]:
    assert response.status_code == 200
    feed = ElementTree.fromstring(response.content)  # raises on a character XML refuses
    return [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]


def test_form_removes_control_characters_from_title_tags_and_notes(member_client):
    response = member_client.post(
        reverse("resource-add"),
        {"url": "https://example.org/a", "title": "Gravity\x01 Spy", "kind": "", "tags": "gans\x01, x\x1fy",
         "notes": "read\x0b it"},
    )  # fmt: skip

    resource = Resource.objects.get()
    assert response.status_code == 302
    assert (resource.title, resource.notes) == ("Gravity Spy", "read it")
    assert sorted(resource.tags.names()) == ["gans", "xy"]


def test_api_refuses_a_control_character_in_a_title_or_tag(member_api):
    title = member_api.post(
        "/api/v1/resources/", {"url": "https://example.org/a", "title": "A\x01"}, format="json"
    )
    tag = member_api.post(
        "/api/v1/resources/", {"url": "https://example.org/b", "tags": ["b\x01"]}, format="json"
    )

    assert title.status_code == tag.status_code == 400
    assert title.json()["error"]["fields"]["title"] == [
        "The text contains a control character (U+0001) that cannot be stored; remove it."
    ]
    assert list(tag.json()["error"]["fields"]) == ["tags.0"]
    assert not Resource.objects.exists()


def test_feeds_and_calendar_answer_with_control_characters_stored_directly(client, member, series):
    meeting = MeetingFactory(series=series, title="Week 1")
    minutes_save(meeting=meeting, kind="minutes", body="https://example.org/a", base_revision=0, by=member)
    resource = Resource.objects.get()
    resource.tags.add("gans")
    reading_list = readinglists.readinglist_save(reading_list=ReadingList(title="L"), by=member)
    readinglists.readinglist_add(reading_list=reading_list, resource=resource)
    # Written behind the services' back, as rows stored before issue 13 were.
    Resource.objects.filter(pk=resource.pk).update(title="Gravity\x01 Spy", notes="a\x02b")
    type(meeting).objects.filter(pk=meeting.pk).update(title="Week\x01 1", location="Room\x1f 2")
    ReadingList.objects.filter(pk=reading_list.pk).update(title="List\x01", description="d\x03")
    client.force_login(member)

    assert _titles(client.get(reverse("library-feed"))) == ["Gravity Spy"]
    assert _titles(client.get(reverse("library-tag-feed", kwargs={"tag": "gans"}))) == ["Gravity Spy"]
    assert _titles(client.get(reverse("readinglist-feed", kwargs={"pk": reading_list.pk}))) == ["Gravity Spy"]
    minutes_feed = client.get(reverse("series-minutes-feed", kwargs={"slug": series.slug}))
    assert [title.split(", ")[-1] for title in _titles(minutes_feed)] == ["Week 1"]
    assert _titles(client.get(reverse("series-queue-feed", kwargs={"slug": series.slug}))) == []
    ics = client.get(reverse("series-calendar", kwargs={"slug": series.slug}))
    assert ics.status_code == 200
    assert b"\x01" not in ics.content and b"\x1f" not in ics.content
    event = Calendar.from_ical(ics.content).walk("VEVENT")[0]
    assert (str(event["SUMMARY"]), str(event["LOCATION"])) == ("Week 1", "Room 2")


def test_migration_cleans_stored_rows(member):
    resource, _ = library.resource_add(url="https://example.org/a", by=member, title="A", tags=["gans"])
    Resource.objects.filter(pk=resource.pk).update(title="A\x01B", notes="n\x1fo\te\n")
    Tag.objects.filter(name="gans").update(name="ga\x02ns")
    migration = importlib.import_module("meetings.migrations.0011_clean_control_characters")

    migration.clean_stored_text(apps, None)

    resource.refresh_from_db()
    assert (resource.title, resource.notes) == ("AB", "no\te\n")  # tab and newline are text
    assert list(Tag.objects.values_list("name", flat=True)) == ["gans"]


def test_fetched_metadata_loses_control_characters():
    work = {
        "DOI": "10.1000/x",
        "type": "journal-article",
        "title": ["Gravity\x01 Spy"],
        "author": [{"given": "Ada\x02", "family": "Lovelace"}],
        "abstract": "<p>We\x0c show</p>",
    }

    data = parse_crossref_work({"message": work})

    assert data["title"] == "Gravity Spy"
    assert data["abstract"] == "We show"
    assert "\x02" not in repr(data["authors"])


@pytest.mark.parametrize(
    "address",
    [
        "/search/?q=%00",
        "/search/?q=a%01b",
        "/library/?tag=%00",
        "/research/?assignee=%00",
        "/library/tags/%00/feed.atom",
        "/library/tags/a%01/feed.atom",
    ],
)
def test_nul_and_control_characters_in_the_address_answer_400(client, member, address):
    client.force_login(member)

    response = client.get(address)

    assert response.status_code == 400
    assert "character that is not allowed" in response.content.decode()


def test_nul_in_an_api_filter_answers_400_as_json(member_api):
    response = member_api.get("/api/v1/resources/?tag=%00")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "U+0000" in response.json()["error"]["message"]
