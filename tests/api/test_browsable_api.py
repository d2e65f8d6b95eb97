"""Every API endpoint answers a browser (`Accept: text/html,...`) as well as a JSON client: never a 500.

The endpoints come from the URL configuration (the permission matrix's world and its entries), so
a new endpoint is walked without being listed here. A browser gets DRF's browsable page, which
shows the same JSON; a JSON client gets the JSON.
"""

import html
import json
import re

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
        json_type = as_json["Content-Type"]
        if json_type.startswith("application/json"):
            # The browsable page shows the JSON body (escaped) and is an HTML page.
            assert as_browser["Content-Type"].startswith("text/html"), (key, as_browser["Content-Type"])
            page = as_browser.content.decode()
            assert "<html" in page.lower()
            # The JSON as the page shows it: tags (links made of URLs) out, entities decoded.
            text = html.unescape(re.sub(r"<[^>]*>", "", page))
            for value in _some_strings(as_json.json()):
                assert json.dumps(value, ensure_ascii=False)[1:-1] in text, (key, value)
        else:
            # A download (BibTeX, CSL JSON) is the same file whatever the browser asks for.
            assert as_browser.content == as_json.content
    assert wrong == [], f"{url}: " + "; ".join(wrong)


def _some_strings(body, limit=5):
    """A few short string values of a JSON body, to find on the browsable page."""
    found = []

    def walk(value):
        if len(found) >= limit:
            return
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and 2 < len(value) < 60 and "\n" not in value:
            found.append(value)

    walk(body)
    return found


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
