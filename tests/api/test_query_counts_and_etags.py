"""Each endpoint's query count is fixed, whatever the data size; GETs carry ETags."""

import pytest

from meetings.models import ResearchItem
from meetings.services.minutes import minutes_save
from resources.models import Mention, ReadingList, ReadingListItem
from tests.factories import MeetingFactory, ResourceFactory, TalkFactory, UserFactory


def _grow(series, count: int):
    """`count` more of everything the list endpoints show."""
    reading_list = ReadingList.objects.create(title=f"List {count}")
    for n in range(count):
        meeting = MeetingFactory(series=series)
        TalkFactory(meeting=meeting, speaker=UserFactory())
        resource = ResourceFactory()
        resource.tags.add(f"tag{n}", "shared")
        Mention.objects.create(resource=resource, meeting=meeting, section="agenda")
        ReadingListItem.objects.create(reading_list=reading_list, resource=resource, position=n + 1)
        ResearchItem.objects.create(
            meeting=meeting, text=f"item {n}", assignee=UserFactory(), resource=resource
        )
    return reading_list


def _get(client, path, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return response, len(captured.captured_queries)


# The most queries each endpoint may make, including the token lookup; the same for 2 rows or 14.
ENDPOINTS = [
    ("/api/v1/series/", 4),
    ("/api/v1/series/ml-club/", 3),
    ("/api/v1/series/ml-club/rota/", 6),
    ("/api/v1/series/ml-club/meetings/", 6),
    ("/api/v1/resources/", 4),
    ("/api/v1/resources/?tag=shared&kind=paper", 4),
    ("/api/v1/research-items/", 4),
    ("/api/v1/reading-lists/", 3),
]


@pytest.mark.parametrize(("path", "limit"), ENDPOINTS)
def test_list_query_counts_do_not_grow_with_the_data(
    path, limit, member_api, series, django_assert_max_num_queries
):
    _grow(series, 2)
    member_api.get(path)  # the token's first use of the minute also records last_used_at
    small, small_count = _get(member_api, path, django_assert_max_num_queries, limit)
    _grow(series, 12)
    large, large_count = _get(member_api, path, django_assert_max_num_queries, limit)

    assert large_count == small_count
    assert large.json().get("count", 0) >= small.json().get("count", 0)


def test_detail_query_counts_are_fixed(member_api, series, member, django_assert_max_num_queries):
    reading_list = _grow(series, 10)
    meeting = series.meetings.first()
    minutes_save(meeting=meeting, kind="minutes", body="Notes", base_revision=0, by=member)
    resource = reading_list.items.first().resource
    item = ResearchItem.objects.first()
    member_api.get("/api/v1/series/")  # records the token's use: not counted below
    for path, limit in [
        (f"/api/v1/series/ml-club/meetings/{meeting.pk}/", 7),
        (f"/api/v1/series/ml-club/meetings/{meeting.pk}/minutes/", 7),
        (f"/api/v1/resources/{resource.pk}/", 5),
        (f"/api/v1/research-items/{item.pk}/", 3),
        (f"/api/v1/reading-lists/{reading_list.pk}/", 4),
        (f"/api/v1/reading-lists/{reading_list.pk}/bibtex/", 4),
        (f"/api/v1/reading-lists/{reading_list.pk}/csl-json/", 4),
    ]:
        _get(member_api, path, django_assert_max_num_queries, limit)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/resources/", "/api/v1/series/ml-club/", "/api/v1/series/ml-club/meetings/"],
)
def test_get_has_an_etag_and_answers_304_when_unchanged(path, api, series, meeting):
    first = api.get(path)
    again = api.get(path, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert first["ETag"].startswith('"')
    assert again.status_code == 304
    assert again.content == b""


def test_etag_changes_when_the_data_does(api, series, meeting):
    first = api.get("/api/v1/series/ml-club/")
    series.name = "Renamed"
    series.save()

    response = api.get("/api/v1/series/ml-club/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
