import pytest

from resources.models import Mention, ReadingList, ReadingListItem, Resource
from resources.services.library import resource_index
from resources.services.visibility import resources_visibility_refresh
from tests.api.conftest import error_of
from tests.factories import ResourceFactory


@pytest.fixture
def public_resource(meeting):
    resource = ResourceFactory(url="https://example.org/public", title="Public paper", held_by_library=False)
    resource.tags.add("nlp")
    Mention.objects.create(resource=resource, meeting=meeting, section="agenda")
    resources_visibility_refresh(resource_ids=[resource.pk])
    return resource


@pytest.fixture
def private_resource(private_meeting):
    resource = ResourceFactory(
        url="https://example.org/private", title="Private paper", held_by_library=False
    )
    resource_index(resource=resource)
    Mention.objects.create(resource=resource, meeting=private_meeting, section="agenda")
    resources_visibility_refresh(resource_ids=[resource.pk])
    return resource


def _titles(response):
    return [r["title"] for r in response.json()["results"]]


def test_visitor_lists_only_resources_public_pages_show(api, public_resource, private_resource):
    response = api.get("/api/v1/resources/")

    assert response.status_code == 200
    assert _titles(response) == ["Public paper"]


def test_member_lists_the_whole_library(member_api, public_resource, private_resource):
    assert sorted(_titles(member_api.get("/api/v1/resources/"))) == ["Private paper", "Public paper"]


def test_list_filters_by_tag_kind_series_and_search(member_api, public_resource, private_resource):
    assert _titles(member_api.get("/api/v1/resources/?tag=NLP")) == ["Public paper"]
    assert _titles(member_api.get("/api/v1/resources/?series=secret")) == ["Private paper"]
    assert _titles(member_api.get("/api/v1/resources/?kind=video")) == []
    assert _titles(member_api.get("/api/v1/resources/?health=unknown&q=private")) == ["Private paper"]
    assert _titles(member_api.get("/api/v1/resources/?added_after=2999-01-01T00:00:00Z")) == []


def test_list_refuses_an_unknown_kind(member_api, db):
    response = member_api.get("/api/v1/resources/?kind=podcast")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["kind"]


def test_retrieve_has_identifiers_metadata_and_health(member_api, db):
    resource = ResourceFactory(
        url="https://arxiv.org/abs/1706.03762",
        arxiv_id="1706.03762",
        arxiv_version=5,
        authors=[{"given": "Ashish", "family": "Vaswani"}, "Noam Shazeer"],
        health=Resource.Health.BROKEN,
        consecutive_failures=4,
    )

    body = member_api.get(f"/api/v1/resources/{resource.pk}/").json()

    assert body["identifiers"] == {"arxiv_id": "1706.03762", "arxiv_version": 5, "doi": "", "youtube_id": ""}
    assert body["metadata"]["authors"] == [
        {"name": "Ashish Vaswani", "given": "Ashish", "family": "Vaswani"},
        {"name": "Noam Shazeer", "given": "", "family": ""},
    ]
    assert body["health"]["status"] == "broken"
    assert body["health"]["is_broken"] is True
    assert body["health"]["consecutive_failures"] == 4


def test_visitor_cannot_retrieve_a_resource_only_private_pages_mention(api, private_resource):
    response = api.get(f"/api/v1/resources/{private_resource.pk}/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_create_by_url_is_201_then_200_with_the_existing_record_and_new_tags(member_api):
    first = member_api.post(
        "/api/v1/resources/", {"url": "https://arxiv.org/abs/1706.03762v1", "tags": ["nlp"]}, format="json"
    )
    second = member_api.post(
        "/api/v1/resources/", {"url": "arXiv:1706.03762", "tags": ["transformers"]}, format="json"
    )

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["tags"] == ["nlp", "transformers"]
    assert Resource.objects.count() == 1


def test_create_refuses_a_link_the_library_cannot_take(member_api):
    response = member_api.post("/api/v1/resources/", {"url": "not a link"}, format="json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["url"]


def test_visitor_cannot_create(api, db):
    assert api.post("/api/v1/resources/", {"url": "https://example.org/x"}, format="json").status_code == 401


def test_member_updates_notes_tags_kind_and_title(member_api, public_resource):
    response = member_api.patch(
        f"/api/v1/resources/{public_resource.pk}/",
        {"notes": "Read **this**", "tags": ["a", "b"], "kind": "article", "title": "Mine"},
        format="json",
    )

    assert response.status_code == 200
    public_resource.refresh_from_db()
    assert public_resource.notes_html == "<p>Read <strong>this</strong></p>"
    assert sorted(public_resource.tags.names()) == ["a", "b"]
    assert (public_resource.kind, public_resource.title, public_resource.title_locked) == (
        "article",
        "Mine",
        True,
    )


def test_patch_keeps_the_fields_it_does_not_name(member_api, public_resource):
    member_api.patch(f"/api/v1/resources/{public_resource.pk}/", {"notes": "n"}, format="json")

    public_resource.refresh_from_db()
    assert list(public_resource.tags.names()) == ["nlp"]
    assert public_resource.title == "Public paper"


def test_visitor_cannot_update(api, public_resource):
    response = api.patch(f"/api/v1/resources/{public_resource.pk}/", {"notes": "x"}, format="json")

    assert response.status_code == 401


def test_member_cannot_delete_but_an_organiser_can(member_api, organiser_api, public_resource):
    refused = member_api.delete(f"/api/v1/resources/{public_resource.pk}/")
    deleted = organiser_api.delete(f"/api/v1/resources/{public_resource.pk}/")

    assert refused.status_code == 403
    assert error_of(refused)["message"] == "Only organisers can delete resources."
    assert deleted.status_code == 204
    assert not Resource.objects.filter(pk=public_resource.pk).exists()


def test_organiser_of_another_series_may_delete_as_on_the_site(other_organiser_api, public_resource):
    # resources.delete_resource is "staff or any organiser": the library is shared by all series.
    assert other_organiser_api.delete(f"/api/v1/resources/{public_resource.pk}/").status_code == 204


# Reading lists -----------------------------------------------------------------------------------


@pytest.fixture
def reading_list(organiser, public_resource):
    reading_list = ReadingList.objects.create(title="Intro to ML", created_by=organiser)
    second = ResourceFactory(url="https://example.org/second", title="Second")
    ReadingListItem.objects.create(reading_list=reading_list, resource=public_resource, position=1)
    ReadingListItem.objects.create(reading_list=reading_list, resource=second, position=2)
    return reading_list


@pytest.fixture
def private_list(organiser):
    return ReadingList.objects.create(title="Members only", is_public=False, created_by=organiser)


def test_visitor_sees_public_lists_only(api, reading_list, private_list):
    listed = api.get("/api/v1/reading-lists/").json()["results"]

    assert [rl["title"] for rl in listed] == ["Intro to ML"]
    assert listed[0]["item_count"] == 2
    assert api.get(f"/api/v1/reading-lists/{private_list.pk}/").status_code == 404


def test_retrieve_has_the_items_in_order(api, reading_list):
    body = api.get(f"/api/v1/reading-lists/{reading_list.pk}/").json()

    assert [(i["position"], i["resource"]["title"]) for i in body["items"]] == [
        (1, "Public paper"),
        (2, "Second"),
    ]


def test_member_creates_a_list_for_a_series(member_api, series):
    response = member_api.post(
        "/api/v1/reading-lists/",
        {"title": "Lecture 3", "series": "ml-club", "is_public": False},
        format="json",
    )

    assert response.status_code == 201
    created = ReadingList.objects.get(title="Lecture 3")
    assert (created.series, created.is_public, created.created_by.username) == (series, False, "ada")


def test_visitor_cannot_create_a_list(api, db):
    assert api.post("/api/v1/reading-lists/", {"title": "x"}, format="json").status_code == 401


def test_member_adds_by_id_and_by_url(member_api, reading_list):
    third = ResourceFactory(url="https://example.org/third", title="Third")

    by_id = member_api.post(
        f"/api/v1/reading-lists/{reading_list.pk}/items/",
        {"resource": third.pk, "note": "Start here"},
        format="json",
    )
    by_url = member_api.post(
        f"/api/v1/reading-lists/{reading_list.pk}/items/",
        {"url": "https://example.org/fourth"},
        format="json",
    )
    again = member_api.post(
        f"/api/v1/reading-lists/{reading_list.pk}/items/", {"resource": third.pk}, format="json"
    )

    assert (by_id.status_code, by_url.status_code, again.status_code) == (201, 201, 200)
    assert by_id.json()["note_html"] == "<p>Start here</p>"
    assert list(reading_list.items.values_list("position", flat=True)) == [1, 2, 3, 4]


def test_add_needs_exactly_one_of_resource_or_url(member_api, reading_list):
    response = member_api.post(f"/api/v1/reading-lists/{reading_list.pk}/items/", {}, format="json")

    assert response.status_code == 400
    assert error_of(response)["message"] == "Give either `resource` or `url`."


def test_member_removes_an_item(member_api, reading_list):
    item = reading_list.items.first()

    response = member_api.delete(f"/api/v1/reading-lists/{reading_list.pk}/items/{item.pk}/")

    assert response.status_code == 204
    assert not ReadingListItem.objects.filter(pk=item.pk).exists()
    assert Resource.objects.filter(pk=item.resource_id).exists()


def test_visitor_cannot_remove_an_item(api, reading_list):
    item = reading_list.items.first()

    assert api.delete(f"/api/v1/reading-lists/{reading_list.pk}/items/{item.pk}/").status_code == 401


def test_member_reorders_the_list(member_api, reading_list):
    first, second = reading_list.items.order_by("position")

    response = member_api.post(
        f"/api/v1/reading-lists/{reading_list.pk}/reorder/", {"items": [second.pk, first.pk]}, format="json"
    )

    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == [second.pk, first.pk]


def test_reorder_must_name_every_item_once(member_api, reading_list):
    first = reading_list.items.first()

    response = member_api.post(
        f"/api/v1/reading-lists/{reading_list.pk}/reorder/", {"items": [first.pk]}, format="json"
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "items": ["The new order must name every item of the list exactly once."]
    }


def test_bibtex_and_csl_json_exports(api, reading_list):
    bib = api.get(f"/api/v1/reading-lists/{reading_list.pk}/bibtex/")
    csl = api.get(f"/api/v1/reading-lists/{reading_list.pk}/csl-json/")

    assert bib.status_code == 200
    assert bib["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert bib.content.decode().count("@misc{") == 2
    assert "title = {{Public paper}}" in bib.content.decode()
    assert csl["Content-Type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
    assert [item["title"] for item in csl.json()] == ["Public paper", "Second"]


def test_export_of_a_hidden_list_is_a_json_404(api, private_list):
    response = api.get(f"/api/v1/reading-lists/{private_list.pk}/bibtex/", HTTP_ACCEPT="application/x-bibtex")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "not_found"


def test_meeting_list_links_resources_in_its_mentions(member_api, public_resource, meeting):
    body = member_api.get(f"/api/v1/resources/{public_resource.pk}/").json()

    assert body["mentions"] == [{"meeting": meeting.pk, "series": "ml-club", "section": "agenda"}]
