import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from meetings.models import ApiToken
from meetings.services.research import research_items_add
from resources.models import ReadingList, ReadingListItem
from tests.api.conftest import error_of
from tests.factories import ResourceFactory


def test_token_authenticates_as_its_member_and_records_use(member_api, member):
    response = member_api.post("/api/v1/resources/", {"url": "https://example.org/a"}, format="json")

    assert response.status_code == 201
    assert response.json()["added_by"] == {"username": "ada", "name": "Ada Lovelace"}
    token = ApiToken.objects.get(user=member)
    assert token.last_used_at is not None


def test_revoked_token_is_refused_with_a_reason(member_api, member):
    ApiToken.objects.filter(user=member).update(revoked_at=timezone.now())

    response = member_api.get("/api/v1/series/")

    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "authentication_failed"
    assert "“tests” was revoked on" in error["message"]


def test_unknown_token_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get("/api/v1/series/")

    assert response.status_code == 401
    assert error_of(response) == {
        "code": "authentication_failed",
        "message": "The token is not valid.",
        "fields": {},
    }


def test_token_is_stored_hashed_with_a_display_prefix(member_api, member):
    stored = ApiToken.objects.get(user=member)

    assert member_api.token not in (stored.token_hash, stored.prefix)
    assert stored.prefix == member_api.token[:8]
    assert len(stored.token_hash) == 64


def test_write_without_credentials_is_401_with_the_error_body(api, db):
    response = api.post("/api/v1/resources/", {"url": "https://example.org/a"}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response)["code"] == "not_authenticated"


def test_session_authentication_works_for_the_sites_own_pages(client, member):
    client.force_login(member)

    response = client.get("/api/v1/series/")

    assert response.status_code == 200


def test_unknown_api_address_is_a_json_404(api, db):
    response = api.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "No such address in the API.", "fields": {}}


def test_form_encoded_body_is_415(member_api):
    response = member_api.post("/api/v1/resources/", {"url": "https://example.org/a"})

    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_wrong_json_types_are_refused_not_coerced(member_api):
    response = member_api.post("/api/v1/resources/", {"url": 12, "tags": "nlp", "title": True}, format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "url": ["Give a string."],
        "tags": ["Give a list of strings."],
        "title": ["Give a string."],
    }


def test_bad_page_size_is_400(member_api):
    response = member_api.get("/api/v1/resources/?page_size=0")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"page_size": ["Give one whole number from 1 to 200."]}


def test_schema_and_docs_are_served_with_local_assets(api, db):
    schema = api.get("/api/v1/schema/?format=json")
    docs = api.get("/api/v1/docs/")

    assert schema.status_code == 200
    assert "/api/v1/resources/" in schema.json()["paths"]
    assert docs.status_code == 200
    html = docs.content.decode()
    # Rendered on the server from the schema, in the site's layout: every operation, no CDN.
    assert '<h1>clubsite API <span class="badge">v1.0.0</span></h1>' in html
    for path in schema.json()["paths"]:
        assert f'<code class="path">{path}</code>' in html
    assert '<a href="#schema-MinutesWriteRequest"><code>MinutesWriteRequest</code></a>' in html
    assert 'id="schema-MinutesWriteRequest"' in html
    assert "cdn" not in html.lower()
    assert "swagger" not in html.lower()


def test_profile_creates_a_named_token_shown_once(client, member):
    client.force_login(member)

    response = client.post(reverse("api-token-create"), {"name": "lab Slack bot"})

    token = ApiToken.objects.get(user=member)
    html = response.content.decode()
    assert response.status_code == 200
    assert token.name == "lab Slack bot"
    shown = html.split('aria-label="New API token"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert ApiToken.objects.by_token(shown).get() == token
    assert "shown only this once" in html
    again = client.get(reverse("profile")).content.decode()
    assert shown not in again
    assert f"<code>{token.prefix}…</code>" in again


def test_profile_refuses_a_token_without_a_name(client, member):
    client.force_login(member)

    response = client.post(reverse("api-token-create"), {"name": ""})

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_profile_revokes_only_own_tokens(client, member, other_member):
    mine = ApiToken(user=member, name="mine")
    mine.set_new_token()
    mine.save()
    theirs = ApiToken(user=other_member, name="theirs")
    theirs.set_new_token()
    theirs.save()
    client.force_login(member)

    client.post(reverse("api-token-revoke", args=[theirs.pk]))
    response = client.post(reverse("api-token-revoke", args=[mine.pk]))

    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None
    assert theirs.revoked_at is None


@pytest.fixture
def objects(meeting, member, organiser):
    reading_list = ReadingList.objects.create(title="List", created_by=organiser)
    resource = ResourceFactory()
    list_item = ReadingListItem.objects.create(reading_list=reading_list, resource=resource, position=1)
    (item,) = research_items_add(meeting=meeting, text="Find the code", by=member)
    return {
        "meeting": meeting,
        "list": reading_list,
        "resource": resource,
        "list_item": list_item,
        "item": item,
    }


WRITES = [
    ("post", "/api/v1/series/"),
    ("patch", "/api/v1/series/ml-club/"),
    ("post", "/api/v1/series/ml-club/meetings/"),
    ("patch", "/api/v1/series/ml-club/meetings/{meeting}/"),
    ("put", "/api/v1/series/ml-club/meetings/{meeting}/minutes/"),
    ("put", "/api/v1/series/ml-club/meetings/{meeting}/recap/"),
    ("post", "/api/v1/research-items/"),
    ("post", "/api/v1/research-items/{item}/tick/"),
    ("post", "/api/v1/research-items/{item}/untick/"),
    ("post", "/api/v1/research-items/{item}/drop/"),
    ("post", "/api/v1/research-items/{item}/reassign/"),
    ("post", "/api/v1/resources/"),
    ("patch", "/api/v1/resources/{resource}/"),
    ("delete", "/api/v1/resources/{resource}/"),
    ("post", "/api/v1/reading-lists/"),
    ("post", "/api/v1/reading-lists/{list}/items/"),
    ("delete", "/api/v1/reading-lists/{list}/items/{list_item}/"),
    ("post", "/api/v1/reading-lists/{list}/reorder/"),
]


def _path(template, objects):
    return template.format(**{name: obj.pk for name, obj in objects.items()})


@pytest.mark.parametrize(("method", "template"), WRITES)
def test_every_write_refuses_a_visitor_with_401(method, template, api, objects):
    response = getattr(api, method)(_path(template, objects), {}, format="json")

    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "template"), WRITES)
def test_every_write_refuses_a_revoked_token_with_401(method, template, member_api, member, objects):
    ApiToken.objects.filter(user=member).update(revoked_at=timezone.now())

    response = getattr(member_api, method)(_path(template, objects), {}, format="json")

    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_failed"


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "/api/v1/series/secret/"),
        ("get", "/api/v1/series/secret/rota/"),
        ("get", "/api/v1/series/secret/meetings/"),
        ("get", "/api/v1/series/secret/meetings/{private_meeting}/"),
        ("get", "/api/v1/series/secret/meetings/{private_meeting}/minutes/"),
        ("get", "/api/v1/series/secret/meetings/{private_meeting}/recap/"),
    ],
)
def test_visitor_reads_of_members_only_series_are_404(method, template, api, private_meeting):
    response = api.get(template.format(private_meeting=private_meeting.pk))

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
