"""Issue 13: bad input answers 4xx, never 5xx, at every URL of the site, its API and the admin.

Every URL pattern (from the URL configuration, with the permission matrix's addresses and objects,
so a new URL without an entry there fails here too) is asked, as the committee's organiser and as
staff, with every method its entry names, once per kind of hostile value:

    NUL and other control characters, strings longer than any field takes, negative and huge
    numbers, impossible dates, wrong JSON types (lists, objects, booleans, nulls), JSON nested
    100,000 deep, odd Unicode (lone surrogates' escapes, right-to-left overrides, emoji).

Query strings carry hostile values in every parameter the site reads, forms in every field the
page's own form names (read from its HTML) and the usual field names, rotated so that between the
requests every value meets every name; the API gets JSON objects with the usual field names, or a
body that is not an object at all. The admin (Django's own forms, staff only) gets two rotations.
Each request runs in a savepoint that is rolled back. The answer must not be a 5xx.
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
# Each kind of hostile value, as text (query strings, forms) and in JSON.
TEXTS = [
    "a\x00b",
    "\x01\x02\x0b\x1b[31m\x7f",
    "-1",
    HUGE_INT,
    "2021-02-30T25:61",
    "\u202egnp.exe \U0001f600 \ufeff \ud7ff",
    "' OR 1=1 --; ../../etc/passwd %00 {{ 7*7 }} <script>",
    "",
]
JSONS = [*TEXTS, ["a", ["b"]], {"a": {"b": 1}}, True, None, -1, int(HUGE_INT), 1e308]
HUGE = "x" * 120_000
DEEP_JSON = "[" * 100_000 + "]" * 100_000
NOT_AN_OBJECT = ["[]", DEEP_JSON, '{"a": ' * 50_000 + "1" + "}" * 50_000]

JSON = {"content_type": "application/json"}
NAMES = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
ROLES = ("organiser", "staff")


def _rotations(names, values, *, admin: bool):
    """Value sets that, between them, put every value in every name: the n-th gives name i the
    value (i + n) mod len(values). The admin (Django's own forms) gets the first two only."""
    names = sorted(names)
    count = 2 if admin else len(values)
    for n in range(count):
        yield {name: values[(i + n) % len(values)] for i, name in enumerate(names)}


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


def _requests(method: str, url: str, *, api: bool, admin: bool, form_fields: set[str]):
    """(description, client method name, args, kwargs) for each hostile request."""
    if method == "GET":
        for n, query in enumerate(_rotations(PARAMETERS, TEXTS, admin=admin)):
            yield f"GET rotation {n}", "get", (url, query), {}
        yield "GET huge", "get", (url, {"q": HUGE, "tag": HUGE, "page": HUGE}), {}
        return
    verb = method.lower()
    if api:
        for n, data in enumerate(_rotations(FIELDS, JSONS, admin=False)):
            yield f"{method} JSON rotation {n}", verb, (url, json.dumps(data)), JSON
        yield f"{method} JSON huge", verb, (url, json.dumps(dict.fromkeys(FIELDS[:12], HUGE))), JSON
        for n, body in enumerate(NOT_AN_OBJECT):
            yield f"{method} JSON body #{n}", verb, (url, body), JSON
        return
    names = {*FIELDS, *form_fields}
    for n, data in enumerate(_rotations(names, TEXTS, admin=admin)):
        yield f"{method} form rotation {n}", verb, (url, data), {}
    # Over-long text in each field the form names (the usual names besides), a few at a time.
    yield f"{method} form huge", verb, (url, dict.fromkeys(sorted(form_fields)[:12] or FIELDS[:12], HUGE)), {}


def _status(client, name, args, kwargs) -> tuple[int, str]:
    with transaction.atomic():
        try:
            response = getattr(client, name)(*args, **kwargs)
        except Exception as error:
            transaction.set_rollback(True)
            return 500, f"{type(error).__name__}: {error}"[:200]
        transaction.set_rollback(True)
    return response.status_code, ""


# Known, not yet fixed: django-taggit's own admin "merge tags" view reads the posted tag ids
# unchecked (staff only); strict, so fixing it turns this into a failure to remove.
KNOWN = {"admin:taggit_tag_merge_tags": "django-taggit's admin merge view: ValueError on non-numeric ids"}
CASES = [
    pytest.param(key, marks=pytest.mark.xfail(strict=True, reason=KNOWN[key])) if key in KNOWN else key
    for key, _, _ in url_patterns()
]


@pytest.mark.parametrize("key", CASES)
def test_no_hostile_value_gets_a_5xx(world, key):
    route = next(r for k, r, _ in url_patterns() if k == key)
    entry = entry_for(key, route, world)
    assert entry is not None, f"no entry for {key} in tests/test_permission_matrix.py"
    url = url_of(route, entry.kwargs(world) if entry.kwargs else {})
    api, admin = route.startswith("api/"), route.startswith("admin/")
    failures = []
    for role, client in _clients(world).items():
        if admin and role != "staff":
            continue  # everyone else is sent to the admin's sign-in page
        form_fields = _form_fields(client, url) if "POST" in entry.methods and not api else set()
        for method in entry.methods:
            for description, name, args, kwargs in _requests(
                method, url, api=api, admin=admin, form_fields=form_fields
            ):
                status, error = _status(client, name, args, kwargs)
                if status >= 500:
                    failures.append(f"{description} as {role}: {status} {error}")
    assert failures == [], f"{url}: " + "; ".join(failures)
