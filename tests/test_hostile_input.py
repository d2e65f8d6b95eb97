"""Issue 13: bad input answers 4xx, never 5xx, at every URL of the site, its API and the admin.

Every URL pattern (from the URL configuration, with the permission matrix's addresses and objects,
so a new URL without an entry there fails here too) is asked, as the committee's organiser and as
staff, with every method its entry names, once per kind of hostile value:

    NUL and other control characters, strings longer than any field takes, negative and huge
    numbers, impossible dates, wrong JSON types (lists, objects, booleans, nulls), JSON nested
    100,000 deep, odd Unicode (lone surrogates' escapes, right-to-left overrides, emoji).

Query strings carry the hostile value in every parameter the site reads; forms carry it in every
field the page's own form names (read from its HTML) and the usual field names; the API gets a JSON
object with the usual field names, or a body that is not an object at all. Each request runs in a
savepoint that is rolled back. The answer must not be a 5xx.
"""

import json
import re

import pytest
from django.db import transaction
from django.test import Client

from tests.test_permission_matrix import entry_for, url_of, url_patterns
from tests.test_permission_matrix import world as world

pytestmark = pytest.mark.django_db

PARAMETERS = (
    "q", "tag", "tags", "assignee", "status", "series", "meeting", "page", "kind", "sort", "order",
    "state", "health", "a", "b", "next", "format", "since", "before", "after", "limit", "year",
    "month", "week", "date", "url", "title", "list", "slug", "user", "who", "mine", "page_size",
)  # fmt: skip
FIELDS = (
    "body", "text", "title", "name", "url", "tags", "notes", "note", "description", "agenda",
    "reason", "pitch", "direction", "status", "assignee", "base_revision", "revision", "start",
    "date", "who", "email", "username", "password", "kind", "list", "theme", "action", "speaker",
    "talk", "resource", "resource_url", "lines", "message", "slug", "visibility", "time_zone",
    "start_time", "duration", "weekday", "cadence_weeks", "source", "digest", "item_ids", "order",
    "sources", "target", "would_present", "vote", "suggestion", "from_talk", "to_talk", "first",
    "second", "position", "number", "a", "b", "next", "meetings", "dates", "fingerprint",
)  # fmt: skip

HUGE_INT = "9" * 40
TEXT_VALUES = {
    "nul": "a\x00b",
    "controls": "\x01\x02\x0b\x1b[31m\x7f",
    "huge": "x" * 120_000,
    "negative": "-1",
    "huge int": HUGE_INT,
    "bad date": "2021-02-30T25:61",
    "unicode": "\u202egnp.exe \U0001f600 \ufeff \ud7ff",
    "sql and paths": "' OR 1=1 --; ../../etc/passwd %00 {{ 7*7 }} <script>",
}
JSON_VALUES = {
    **TEXT_VALUES,
    "list": ["a", ["b"]],
    "object": {"a": {"b": 1}},
    "true": True,
    "null": None,
    "negative int": -1,
    "huge int value": int(HUGE_INT),
    "float": 1e308,
}
DEEP_JSON = "[" * 100_000 + "]" * 100_000
NOT_AN_OBJECT = ["[]", '"text"', "12", "null", "{", DEEP_JSON, '{"a": ' * 50_000 + "1" + "}" * 50_000]

JSON = {"content_type": "application/json"}
NAMES = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
ROLES = ("organiser", "staff")


def _clients(w):
    clients = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(getattr(w, role))
        clients[role] = client
    return clients


def _form_fields(client, url: str) -> set[str]:
    with transaction.atomic():
        response = client.get(url)
        transaction.set_rollback(True)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return set()
    return set(NAMES.findall(response.content.decode(errors="replace"))) - {"csrfmiddlewaretoken"}


def _requests(method: str, url: str, api: bool, form_fields: set[str]):
    """(description, client method name, args, kwargs) for each hostile request."""
    if method == "GET":
        for kind, value in TEXT_VALUES.items():
            yield f"GET {kind}", "get", (url, dict.fromkeys(PARAMETERS, value)), {}
        return
    if api:
        for kind, value in JSON_VALUES.items():
            body = json.dumps(dict.fromkeys(FIELDS, value))
            yield f"{method} JSON {kind}", method.lower(), (url, body), JSON
        for number, body in enumerate(NOT_AN_OBJECT):
            yield (
                f"{method} JSON body #{number}",
                method.lower(),
                (url, body),
                {"content_type": "application/json"},
            )
        return
    for kind, value in TEXT_VALUES.items():
        data = dict.fromkeys({*FIELDS, *form_fields}, value)
        yield f"{method} form {kind}", method.lower(), (url, data), {}


def _status(client, name, args, kwargs) -> tuple[int, str]:
    with transaction.atomic():
        try:
            response = getattr(client, name)(*args, **kwargs)
        except Exception as error:
            transaction.set_rollback(True)
            return 500, f"{type(error).__name__}: {error}"[:200]
        transaction.set_rollback(True)
    return response.status_code, ""


CASES = [key for key, _, _ in url_patterns()]


@pytest.mark.parametrize("key", CASES)
def test_no_hostile_value_gets_a_5xx(world, key):
    route = next(r for k, r, _ in url_patterns() if k == key)
    entry = entry_for(key, route, world)
    assert entry is not None, f"no entry for {key} in tests/test_permission_matrix.py"
    url = url_of(route, entry.kwargs(world) if entry.kwargs else {})
    api = route.startswith("api/")
    failures = []
    for role, client in _clients(world).items():
        form_fields = _form_fields(client, url) if "POST" in entry.methods and not api else set()
        for method in entry.methods:
            for description, name, args, kwargs in _requests(method, url, api, form_fields):
                status, error = _status(client, name, args, kwargs)
                if status >= 500:
                    failures.append(f"{description} as {role}: {status} {error}")
    assert failures == [], f"{url}: " + "; ".join(failures)
