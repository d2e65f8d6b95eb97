import pytest

from meetings.models import ResearchItem, ResearchItemEvent
from meetings.services.research import research_items_add
from tests.api.conftest import error_of


@pytest.fixture
def item(meeting, member):
    (item,) = research_items_add(meeting=meeting, text="Find the code", by=member)
    return item


@pytest.fixture
def private_item(private_meeting, organiser):
    (item,) = research_items_add(meeting=private_meeting, text="Secret thing", by=organiser)
    return item


def _texts(response):
    return [i["text"] for i in response.json()["results"]]


def test_visitor_lists_items_of_public_series_only(api, item, private_item):
    assert _texts(api.get("/api/v1/research-items/")) == ["Find the code"]
    assert api.get(f"/api/v1/research-items/{private_item.pk}/").status_code == 404


def test_list_filters_by_assignee_status_series_and_meeting(member_api, member, item, private_item, meeting):
    ResearchItem.objects.filter(pk=item.pk).update(assignee=member)

    assert _texts(member_api.get("/api/v1/research-items/?assignee=mine")) == ["Find the code"]
    assert _texts(member_api.get("/api/v1/research-items/?assignee=nobody")) == ["Secret thing"]
    assert _texts(member_api.get("/api/v1/research-items/?assignee=ada")) == ["Find the code"]
    assert _texts(member_api.get("/api/v1/research-items/?series=secret")) == ["Secret thing"]
    assert _texts(member_api.get(f"/api/v1/research-items/?meeting={meeting.pk}")) == ["Find the code"]
    assert _texts(member_api.get("/api/v1/research-items/?status=done")) == []


def test_list_of_an_unknown_assignee_is_empty(member_api, item):
    # Not a 400: that would tell whether the name exists (issue 13, tests/test_no_username_oracle.py).
    response = member_api.get("/api/v1/research-items/?assignee=nobody-called-this")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_visitor_asking_for_their_own_items_is_401(api, item):
    assert api.get("/api/v1/research-items/?assignee=mine").status_code == 401


def test_member_raises_an_item_assigned_to_someone(member_api, meeting, other_member):
    response = member_api.post(
        "/api/v1/research-items/",
        {"meeting": meeting.pk, "text": "Read https://example.org/p", "assignee": "alan"},
        format="json",
    )

    assert response.status_code == 201
    item = ResearchItem.objects.get()
    assert (item.assignee, item.raised_by.username) == (other_member, "ada")
    assert item.resource.url == "https://example.org/p"
    assert response.json()["assignee"] == {"username": "alan", "name": "Alan Turing"}


def test_raising_an_item_at_a_hidden_meeting_is_a_field_error(api, member_api, private_meeting, meeting):
    assert (
        api.post("/api/v1/research-items/", {"meeting": meeting.pk, "text": "x"}, format="json").status_code
        == 401
    )
    response = member_api.post("/api/v1/research-items/", {"meeting": 999999, "text": "x"}, format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"meeting": ["No such meeting."]}


def test_raising_takes_one_line(member_api, meeting):
    response = member_api.post(
        "/api/v1/research-items/", {"meeting": meeting.pk, "text": "one\ntwo"}, format="json"
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"text": ["One item, on one line."]}


def test_tick_and_untick(member_api, member, item):
    ticked = member_api.post(f"/api/v1/research-items/{item.pk}/tick/")
    item.refresh_from_db()
    assert ticked.status_code == 200
    assert (item.status, item.status_changed_by) == ("done", member)
    assert ticked.json()["status"] == "done"

    unticked = member_api.post(f"/api/v1/research-items/{item.pk}/untick/")
    item.refresh_from_db()
    assert unticked.status_code == 200
    assert item.status == "open"
    assert list(ResearchItemEvent.objects.filter(item=item).values_list("to_status", flat=True)) == [
        "open",
        "done",
        "open",
    ]


def test_visitor_cannot_tick(api, item):
    response = api.post(f"/api/v1/research-items/{item.pk}/tick/")

    assert response.status_code == 401
    item.refresh_from_db()
    assert item.status == "open"


def test_drop_with_a_reason(member_api, item):
    response = member_api.post(
        f"/api/v1/research-items/{item.pk}/drop/", {"reason": "Duplicate of a paper I have"}, format="json"
    )

    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.status, item.drop_reason) == ("dropped", "Duplicate of a paper I have")


def test_drop_without_a_reason_is_a_field_error(member_api, item):
    missing = member_api.post(f"/api/v1/research-items/{item.pk}/drop/", {}, format="json")
    blank = member_api.post(f"/api/v1/research-items/{item.pk}/drop/", {"reason": "   "}, format="json")

    assert missing.status_code == 400
    assert error_of(missing)["fields"] == {"reason": ["This field is required."]}
    assert blank.status_code == 400
    assert list(error_of(blank)["fields"]) == ["reason"]
    item.refresh_from_db()
    assert item.status == "open"


def test_reassign_and_unassign(member_api, item, other_member):
    assigned = member_api.post(
        f"/api/v1/research-items/{item.pk}/reassign/", {"assignee": "alan"}, format="json"
    )
    item.refresh_from_db()
    assert assigned.status_code == 200
    assert item.assignee == other_member

    member_api.post(f"/api/v1/research-items/{item.pk}/reassign/", {"assignee": None}, format="json")
    item.refresh_from_db()
    assert item.assignee is None


def test_reassign_to_nobody_known_is_a_field_error(member_api, item):
    response = member_api.post(
        f"/api/v1/research-items/{item.pk}/reassign/", {"assignee": "zz"}, format="json"
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"assignee": ["Nobody is called 'zz'."]}
