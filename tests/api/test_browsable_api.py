"""Every API endpoint answers a browser (`Accept: text/html,...`) as well as a JSON client: never a 500.

The endpoints come from the URL configuration (the permission matrix's world and its entries), so
a new endpoint is walked without being listed here. The API speaks JSON only (DRF's browsable
page needs inline script that the Content-Security-Policy forbids; /api/v1/docs/ documents the
API): a browser gets the same JSON as a JSON client.
"""

import pytest
from django.test import Client

from tests.test_permission_matrix import ENTRIES, url_of, url_patterns, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
ROLES = ("visitor", "member", "organiser", "staff")
API_GETS = [
    key
    for key, route, _ in url_patterns()
    if route.startswith("api/") and key not in ("api-schema", "api-docs") and ENTRIES[key].GET
]


def _client(role, w):
    client = Client()
    if role != "visitor":
        client.force_login(getattr(w, role))
    return client


def test_the_walk_covers_the_list_and_detail_endpoints():
    assert {"api-series-list", "api-resource-list", "api-resource-detail", "api-readinglist-list"} <= set(
        API_GETS
    )
    assert len(API_GETS) >= 14


@pytest.mark.parametrize("key", API_GETS)
def test_every_api_get_answers_a_browser_and_a_json_client(world, key):  # noqa: F811  (fixture)
    route = next(r for k, r, _ in url_patterns() if k == key)
    entry = ENTRIES[key]
    url = url_of(route, entry.kwargs(world) if entry.kwargs else {})
    wrong = []
    for role in ROLES:
        client = _client(role, world)
        as_json = client.get(url, HTTP_ACCEPT="application/json")
        as_browser = client.get(url, HTTP_ACCEPT=BROWSER)
        expected = entry.GET[role]
        for accept, response in (("json", as_json), ("browser", as_browser)):
            if response.status_code != expected:
                wrong.append(f"{role} {accept}: {response.status_code}, expected {expected}")
        if as_json.status_code != 200 or as_browser.status_code != 200:
            continue
        # The same answer, JSON or a download (BibTeX, CSL JSON), whatever the browser asks for.
        assert as_browser["Content-Type"] == as_json["Content-Type"], key
        assert as_browser.content == as_json.content, key
    assert wrong == [], f"{url}: " + "; ".join(wrong)


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml", "image/png", "*/*", "", "text/html;q=bad"]
)
def test_any_accept_header_gets_a_page_or_a_4xx(world, accept):  # noqa: F811  (fixture)
    client = _client("member", world)
    pages = {
        "/api/v1/series/": "Hiring committee",
        "/api/v1/resources/": "Zebulon",
        f"/api/v1/resources/{world.resource.pk}/": "Zebulon",
    }
    for path, shown in pages.items():
        response = client.get(path, HTTP_ACCEPT=accept)
        if response.status_code == 200:
            assert shown in response.content.decode(), (path, accept)
        else:
            assert response.status_code == 406, (path, accept, response.status_code)
