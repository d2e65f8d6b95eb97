"""Nothing reflects unescaped (issue 13, finding 1): a vector in every query parameter of every page.

The pages come from the URL configuration and the objects of the permission matrix's world
(tests/test_permission_matrix.py: one members-only series with something of everything). The
parameters come from QUERY_PARAMETERS (query_parameters.py), checked against what the views
actually read: request.GET records each name a view asks for (conftest.RecordingQueryDict).
Each page is asked as a visitor, a member and an organiser of the series, once plainly and
once per parameter and vector, plus a parameter no view reads (for pages that echo the whole
query string). An HTML answer must not contain the vector as markup (the raw string, or
anything that would run script once parsed: tests/security/html_check.py); an API answer is
JSON, and the browsable API's HTML is checked like a page.
"""

from urllib.parse import quote, urlencode

import pytest
from django.test import Client

from tests.security.html_check import script_findings
from tests.security.query_parameters import QUERY_PARAMETERS
from tests.test_permission_matrix import (
    entry_for,
    url_of,
    url_patterns,
    world,  # noqa: F401 (a module-scoped fixture used below)
)

pytestmark = pytest.mark.django_db

ROLES = ("visitor", "member", "organiser")
# Breaks out of text, attribute values (both quotes) and <textarea>/<title>, then runs script.
MARKUP = "'\"></textarea></title><img src=x onerror=alert(1)><script>alert(2)</script><svg/onload=alert(3)>"
MARKUP_PIECES = ("<img src=x onerror=alert(1)>", "<script>alert(2)</script>", "<svg/onload=alert(3)>")
# For parameters that end up in an href, a form's action or a redirect.
SCHEME = "javascript:alert(4)//"
VECTORS = (MARKUP, SCHEME)
UNREAD = "zz-not-a-parameter"
# Answers that are not HTML and that browsers do not render as HTML (with nosniff, which is set).
NOT_HTML = ("application/json", "text/plain", "text/calendar", "text/markdown", "application/x-bibtex",
            "application/vnd.oai.openapi", "application/atom+xml", "application/xml")  # fmt: skip


def _pages(w):
    """(key, url, base query) for every non-admin pattern that answers GET."""
    for key, route, _pattern in url_patterns():
        if key.startswith("admin:") or route.startswith("admin/"):
            continue
        entry = entry_for(key, route, w)
        if entry is None or not entry.GET or set(entry.GET.values()) <= {302, 405}:
            continue
        kwargs = entry.kwargs(w) if entry.kwargs else {}
        query = entry.query(w) if callable(entry.query) else entry.query
        yield key, url_of(route, kwargs), query


def _client(role, w):
    client = Client()
    if role != "visitor":
        client.force_login(getattr(w, role))
    return client


def _problems(response, vector) -> list[str]:
    content_type = response.get("Content-Type", "")
    body = response.content.decode("utf-8", "replace")
    if content_type.startswith(NOT_HTML):
        if content_type.startswith(("application/atom+xml", "application/xml")) and "<img src=x" in body:
            return ["raw markup in XML"]
        return []
    problems = script_findings(body)
    if vector == MARKUP:
        problems += [f"raw {piece}" for piece in MARKUP_PIECES if piece in body]
    return problems


def _ask(client, url, query, *, html=False):
    headers = {"HTTP_ACCEPT": "text/html"} if html else {}
    return client.get(f"{url}?{query}" if query else url, **headers)


def test_every_query_parameter_a_page_reads_is_listed(world, parameters_read):  # noqa: F811 (the fixture)
    read_by_page: dict[str, set[str]] = {}
    for role in ROLES:
        client = _client(role, world)
        for key, url, base in _pages(world):
            for vector in (None, MARKUP):
                parameters_read.clear()
                query = (
                    base if vector is None else "&".join(filter(None, [base, urlencode({UNREAD: vector})]))
                )
                _ask(client, url, query)
                read_by_page.setdefault(key, set()).update(parameters_read - {UNREAD})
    read = {key: tuple(sorted(names)) for key, names in read_by_page.items() if names}
    listed = {key: tuple(sorted(names)) for key, names in QUERY_PARAMETERS.items()}

    assert read == listed


@pytest.mark.parametrize("role", ROLES)
def test_no_query_parameter_is_reflected_unescaped(world, role, parameters_read):  # noqa: F811 (the fixture)
    client = _client(role, world)
    failures, asked = [], 0
    for key, url, base in _pages(world):
        for name in (*QUERY_PARAMETERS.get(key, ()), UNREAD):
            for vector in VECTORS if name != UNREAD else (MARKUP,):
                query = "&".join(filter(None, [base, urlencode({name: vector})]))
                for html in (False, True) if key.startswith("api-") and vector == MARKUP else (False,):
                    response = _ask(client, url, query, html=html)
                    asked += 1
                    assert response.status_code < 500, (key, name, response.status_code)
                    if problems := _problems(response, vector):
                        failures.append((key, name, vector[:12], response.status_code, problems))

    assert failures == []
    assert asked > 150  # every page and parameter was asked, not an empty loop


@pytest.mark.parametrize("role", ROLES)
def test_no_path_segment_is_reflected_unescaped(world, role):  # noqa: F811 (the fixture)
    client = _client(role, world)
    segment = quote(MARKUP, safe="")
    urls = [
        f"/library/tags/{segment}/feed.atom",
        f"/accounts/invitation/{segment}/",
        f"/calendar/talks/{segment}.ics",
        f"/talks/confirm/{segment}/",
        f"/{segment}/",
        f"/series/{segment}/",
        f"/api/v1/{segment}/",
    ]
    failures = []
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if problems := _problems(response, MARKUP):
            failures.append((url, response.status_code, problems))

    assert failures == []


def test_research_board_unknown_assignee_is_escaped_text(client, db):
    """Finding 1 as the attacker sent it: no sign-in. The board filters by the name without looking
    the account up (it does not tell whether a username exists), and never shows it unescaped."""
    response = client.get("/research/", {"assignee": "<img src=x onerror=alert(document.cookie)>"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "<img src=x" not in body
    assert script_findings(body) == []
