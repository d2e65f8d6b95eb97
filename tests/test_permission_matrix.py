"""The permission matrix: every URL pattern of the site and its API, for seven people, read and write.

The patterns come from the URL configuration itself (django.urls resolvers, the API and the admin
included), so a new URL with no entry in ENTRIES fails test_every_url_pattern_has_an_entry. Each
entry says, per HTTP method, the status each person gets on the objects of one members-only
series, "Hiring committee":

    visitor          not signed in
    member           a member of the committee
    other_member     a member of another series only
    other_organiser  the organiser of another series
    organiser        the committee's organiser
    staff            a superuser (not a member of the committee)
    inactive         a deactivated member of the committee (signed in before it was deactivated)

Members-only content answers 404 to whoever may not see it (a sign-in redirect first, where a page
needs one). And whoever may not see the committee never finds a word of it in any answer
(SECRETS), except where the address itself carries a secret (a calendar token, an invitation).

Writes send an empty form (JSON `{}` to the API): the matrix is about who gets past the rules,
so an allowed write answers what the view says to an empty form (a 400, a form shown again, or a
redirect). Each request runs in a savepoint that is rolled back, so every row sees the same data.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from meetings.models import Invitation, Minutes, SwapRequest
from meetings.services import calendars, queue, rota, tokens
from meetings.services.accounts import invitation_create
from meetings.services.minutes import minutes_save
from meetings.services.research import research_items_add
from resources.models import Mention, ReadingList, Resource
from resources.services.library import resource_update
from resources.services.readinglists import readinglist_add, readinglist_save
from tests.factories import MeetingFactory, SeriesFactory, TalkFactory, UserFactory, local

# Every test here reads the module's world (made once, rolled back at the end).
pytestmark = pytest.mark.django_db

ROLES = ("visitor", "member", "other_member", "other_organiser", "organiser", "staff", "inactive")
SEE_THE_COMMITTEE = {"member", "organiser", "staff"}
# Words only the committee's pages hold: its name, a meeting's title, its minutes, its resources.
SECRETS = ("Hiring committee", "Shortlist for the chair", "Zebulon", "zebulon", "Committee reading")


def E(spec: str) -> dict[str, int]:
    """'404 200 404 404 200 200 404' → the status per role, in ROLES' order."""
    codes = [int(code) for code in spec.split()]
    assert len(codes) == len(ROLES), spec
    return dict(zip(ROLES, codes, strict=True))


EVERYONE = E("200 200 200 200 200 200 200")
SIGNED_IN = E("302 200 200 200 200 200 302")  # login_required, any account
READ = E("404 200 404 404 200 200 404")  # the committee's pages
READ_SIGNED_IN = E("302 200 404 404 200 200 302")  # the committee's pages that need sign-in
ORGANISE = E("302 403 404 404 200 200 302")  # the committee's organisers' pages
POST_ONLY = E("302 405 405 405 405 405 302")  # login_required + require_POST, asked with GET
POST_ONLY_OPEN = E("405 405 405 405 405 405 405")  # require_POST, no sign-in needed first
API_READ = E("404 200 404 404 200 200 404")
API_ORGANISE = E("401 403 404 404 200 200 401")
API_CONTRIBUTE = E("401 200 404 404 200 200 401")


@dataclass
class Entry:
    kwargs: object = None  # a function of the world giving the URL's kwargs
    query: object = ""  # a query string, or a function of the world giving one
    GET: dict | None = None
    POST: dict | None = None
    PUT: dict | None = None
    PATCH: dict | None = None
    DELETE: dict | None = None
    capability: bool = False  # the address carries a secret: who holds it reads what it shows
    methods: tuple = field(init=False)

    def __post_init__(self):
        self.methods = tuple(m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if getattr(self, m))


def slug(w):
    return {"slug": w.series.slug}


def meeting(w):
    return {"slug": w.series.slug, "pk": w.meeting.pk}


def minutes(w):
    return {**meeting(w), "kind_slug": "minutes"}


def item(w):
    return {"pk": w.item.pk}


def resource(w):
    return {"pk": w.resource.pk}


def reading_list(w):
    return {"pk": w.list.pk}


def list_item(w):
    return {"pk": w.list.pk, "item_pk": w.list_item.pk}


def suggestion(w):
    return {"slug": w.series.slug, "pk": w.suggestion.pk}


def api_suggestion(w):
    return {"pk": w.suggestion.pk}


ENTRIES: dict[str, Entry] = {
    # Site-wide pages
    "dashboard": Entry(GET=EVERYONE),
    "healthz": Entry(GET=EVERYONE),
    "favicon": Entry(GET=E("302 302 302 302 302 302 302"), POST=E("405 405 405 405 405 405 405")),
    "login": Entry(GET=E("200 302 302 302 302 302 200"), POST=E("200 302 302 302 302 302 200")),
    "logout": Entry(GET=E("405 405 405 405 405 405 405"), POST=E("302 302 302 302 302 302 302")),
    "password_change": Entry(GET=SIGNED_IN, POST=SIGNED_IN),
    "password_change_done": Entry(GET=SIGNED_IN),
    "password_reset": Entry(GET=EVERYONE, POST=EVERYONE),
    "password_reset_done": Entry(GET=EVERYONE),
    "password_reset_confirm": Entry(
        kwargs=lambda w: {"uidb64": "MQ", "token": "not-a-token"}, GET=EVERYONE, POST=EVERYONE
    ),
    "password_reset_complete": Entry(GET=EVERYONE),
    "profile": Entry(GET=SIGNED_IN, POST=SIGNED_IN),
    "api-token-create": Entry(GET=POST_ONLY, POST=E("302 400 400 400 400 400 302")),
    "api-token-revoke": Entry(
        kwargs=lambda w: {"pk": w.api_token.pk}, GET=POST_ONLY, POST=E("302 302 302 302 302 302 302")
    ),
    "invitation-create": Entry(GET=E("302 403 403 200 200 200 302"), POST=E("302 403 403 200 200 200 302")),
    "invitation-accept": Entry(
        kwargs=lambda w: {"token": w.invitation_token}, GET=EVERYONE, POST=EVERYONE, capability=True
    ),
    "markdown-preview": Entry(GET=POST_ONLY_OPEN, POST=E("403 200 200 200 200 200 403")),
    "theme-set": Entry(GET=POST_ONLY_OPEN, POST=E("400 400 400 400 400 400 400")),  # no theme sent
    "series-list": Entry(GET=EVERYONE),
    "series-create": Entry(GET=E("302 403 403 200 200 200 302"), POST=E("302 403 403 200 200 200 302")),
    "series-import-new": Entry(GET=E("302 403 403 403 403 200 302"), POST=E("302 403 403 403 403 200 302")),
    "series-import-new-confirm": Entry(GET=POST_ONLY, POST=E("302 403 403 403 403 400 302")),
    "research-board": Entry(GET=EVERYONE, query="status=all"),
    "rota-availability": Entry(GET=SIGNED_IN, POST=E("302 400 400 400 400 400 302")),
    "my-talks-calendar": Entry(
        kwargs=lambda w: {"token": w.member.calendar_token}, GET=EVERYONE, capability=True
    ),
    "my-calendar-reset": Entry(GET=POST_ONLY, POST=E("302 302 302 302 302 302 302")),
    "talk-confirm-token": Entry(
        kwargs=lambda w: {"token": w.confirm_token},
        GET=EVERYONE,
        POST=E("302 302 302 302 302 302 302"),
        capability=True,
    ),
    # The committee
    "series-detail": Entry(kwargs=slug, GET=READ),
    "series-edit": Entry(kwargs=slug, GET=ORGANISE, POST=ORGANISE),
    "series-members": Entry(kwargs=slug, GET=READ_SIGNED_IN, POST=E("302 403 404 404 400 400 302")),
    "series-member-remove": Entry(
        kwargs=lambda w: {"slug": w.series.slug, "user_pk": w.member.pk},
        GET=POST_ONLY,
        POST=E("302 403 404 404 302 302 302"),
    ),
    "series-leave": Entry(kwargs=slug, GET=POST_ONLY, POST=E("302 302 404 404 403 403 302")),
    "series-minutes-feed": Entry(kwargs=slug, GET=READ),
    "series-export": Entry(kwargs=slug, GET=READ),
    "series-import": Entry(kwargs=slug, GET=ORGANISE, POST=ORGANISE),
    "series-import-confirm": Entry(kwargs=slug, GET=POST_ONLY, POST=E("302 403 404 404 400 400 302")),
    "meeting-create": Entry(kwargs=slug, GET=ORGANISE, POST=ORGANISE),
    "meeting-detail": Entry(kwargs=meeting, GET=READ),
    "meeting-edit": Entry(kwargs=meeting, GET=ORGANISE, POST=ORGANISE),
    "meeting-export": Entry(kwargs=meeting, GET=READ),
    "minutes-edit": Entry(kwargs=minutes, GET=READ_SIGNED_IN, POST=READ_SIGNED_IN),
    "minutes-history": Entry(kwargs=minutes, GET=READ),
    "minutes-restore": Entry(kwargs=minutes, GET=POST_ONLY, POST=E("302 400 404 404 400 400 302")),
    "minutes-publish": Entry(kwargs=minutes, GET=POST_ONLY, POST=E("302 403 404 404 302 302 302")),
    "research-add": Entry(kwargs=meeting, GET=POST_ONLY, POST=E("302 400 404 404 400 400 302")),
    "research-status": Entry(kwargs=item, GET=POST_ONLY, POST=E("302 400 404 404 400 400 302")),
    "research-drop": Entry(kwargs=item, GET=READ_SIGNED_IN, POST=E("302 400 404 404 400 400 302")),
    "research-edit": Entry(kwargs=item, GET=READ_SIGNED_IN, POST=READ_SIGNED_IN),
    "research-move": Entry(kwargs=item, GET=POST_ONLY, POST=E("302 400 404 404 400 400 302")),
    "series-rota": Entry(kwargs=slug, GET=READ),
    "series-rota-generate": Entry(kwargs=slug, GET=ORGANISE, POST=E("302 403 404 404 400 400 302")),
    "series-skip-dates": Entry(kwargs=slug, GET=POST_ONLY, POST=E("302 403 404 404 302 302 302")),
    "series-rota-swap": Entry(kwargs=slug, GET=POST_ONLY, POST=E("302 403 404 404 302 302 302")),
    "series-rota-reassign": Entry(kwargs=meeting, GET=POST_ONLY, POST=E("302 403 404 404 400 400 302")),
    "series-rota-cancel": Entry(kwargs=meeting, GET=POST_ONLY, POST=E("302 403 404 404 302 302 302")),
    "series-rota-move": Entry(kwargs=meeting, GET=POST_ONLY, POST=E("302 403 404 404 302 302 302")),
    "series-calendar-links": Entry(kwargs=slug, GET=READ),
    "series-calendar": Entry(kwargs=slug, GET=READ),
    "series-calendar-private": Entry(
        kwargs=lambda w: {"slug": w.series.slug, "token": w.series.calendar_token},
        GET=EVERYONE,
        capability=True,
    ),
    "series-calendar-reset": Entry(kwargs=slug, GET=POST_ONLY, POST=E("302 403 404 404 302 302 302")),
    "talk-confirm": Entry(
        kwargs=lambda w: {"pk": w.talk.pk}, GET=POST_ONLY, POST=E("302 302 404 404 403 403 302")
    ),
    "talk-swap-ask": Entry(
        kwargs=lambda w: {"pk": w.talk.pk},
        GET=E("302 200 404 404 403 200 302"),
        POST=E("302 400 404 404 403 400 302"),
    ),
    "swap-decide": Entry(
        kwargs=lambda w: {"pk": w.swap.pk, "action": "decline"},
        GET=POST_ONLY,
        POST=E("302 403 404 404 302 302 302"),
    ),
    # The paper queue: the committee's suggestion (Ada's, of the Zebulon CV) with Ada's comment
    "series-queue": Entry(kwargs=slug, GET=READ, POST=E("404 400 404 404 400 400 404")),
    "series-queue-feed": Entry(kwargs=slug, GET=READ),
    "suggestion-detail": Entry(kwargs=suggestion, GET=READ),
    "suggestion-vote": Entry(kwargs=suggestion, GET=POST_ONLY, POST=E("302 400 404 404 400 400 302")),
    "suggestion-comment": Entry(kwargs=suggestion, GET=POST_ONLY, POST=E("302 400 404 404 400 400 302")),
    "suggestion-comment-delete": Entry(
        kwargs=lambda w: {**suggestion(w), "comment_pk": w.comment.pk},
        GET=POST_ONLY,
        POST=E("302 302 404 404 302 302 302"),
    ),
    "suggestion-edit": Entry(
        kwargs=suggestion, GET=E("302 200 404 404 200 200 302"), POST=E("302 400 404 404 400 400 302")
    ),
    "suggestion-archive": Entry(kwargs=suggestion, GET=ORGANISE, POST=E("302 403 404 404 400 400 302")),
    "suggestion-delete": Entry(kwargs=suggestion, GET=POST_ONLY, POST=E("302 302 404 404 302 302 302")),
    "suggestion-claim": Entry(kwargs=suggestion, GET=POST_ONLY, POST=E("302 400 404 404 400 400 302")),
    "suggestion-release": Entry(kwargs=suggestion, GET=POST_ONLY, POST=E("302 403 404 404 302 302 302")),
    # The library and reading lists: a resource only the committee holds, the committee's list
    "library": Entry(GET=EVERYONE),
    "resource-add": Entry(GET=E("302 200 200 200 200 200 302"), POST=E("302 200 200 200 200 200 302")),
    "library-tags": Entry(GET=E("302 403 403 200 200 200 302"), POST=E("302 403 403 200 200 200 302")),
    "library-feed": Entry(GET=EVERYONE),
    "library-tag-feed": Entry(kwargs=lambda w: {"tag": "zebulon-dossier"}, GET=READ),
    "resource-detail": Entry(kwargs=resource, GET=READ),
    "resource-status": Entry(kwargs=resource, GET=READ),
    "resource-edit": Entry(kwargs=resource, GET=E("404 200 404 404 200 200 404"), POST=READ),
    "resource-add-to-list": Entry(kwargs=resource, GET=POST_ONLY_OPEN, POST=E("404 400 404 404 400 400 404")),
    "resource-adopt-redirect": Entry(
        kwargs=resource, GET=POST_ONLY_OPEN, POST=E("404 302 404 404 302 302 404")
    ),
    "resource-delete": Entry(kwargs=resource, GET=POST_ONLY_OPEN, POST=E("404 403 404 404 302 302 404")),
    "resource-check": Entry(kwargs=resource, GET=POST_ONLY_OPEN, POST=E("404 302 404 404 302 302 404")),
    "link-health": Entry(GET=E("302 403 403 200 200 200 302")),
    "search": Entry(GET=EVERYONE, query="q=candidate"),
    "readinglist-list": Entry(GET=EVERYONE),
    "readinglist-create": Entry(GET=E("302 200 200 200 200 200 302"), POST=E("302 200 200 200 200 200 302")),
    "readinglist-detail": Entry(kwargs=reading_list, GET=READ),
    "readinglist-edit": Entry(kwargs=reading_list, GET=READ, POST=READ),
    "readinglist-delete": Entry(
        kwargs=reading_list, GET=POST_ONLY_OPEN, POST=E("404 403 404 404 302 302 404")
    ),
    "readinglist-add": Entry(kwargs=reading_list, GET=POST_ONLY_OPEN, POST=E("404 400 404 404 400 400 404")),
    "readinglist-remove": Entry(kwargs=list_item, GET=POST_ONLY_OPEN, POST=E("404 302 404 404 302 302 404")),
    "readinglist-move": Entry(kwargs=list_item, GET=POST_ONLY_OPEN, POST=E("404 400 404 404 400 400 404")),
    "readinglist-note": Entry(kwargs=list_item, GET=READ, POST=READ),
    "readinglist-feed": Entry(kwargs=reading_list, GET=READ),
    "readinglist-export": Entry(kwargs=lambda w: {"pk": w.list.pk, "fmt": "bib"}, GET=READ),
    # The API
    "api-schema": Entry(GET=EVERYONE),
    "api-docs": Entry(GET=EVERYONE),
    "api-series-list": Entry(GET=EVERYONE, POST=E("401 403 403 400 400 400 401")),
    "api-series-detail": Entry(kwargs=slug, GET=API_READ, PATCH=API_ORGANISE),
    "api-series-rota": Entry(kwargs=slug, GET=API_READ),
    "api-meeting-list": Entry(kwargs=slug, GET=API_READ, POST=E("401 403 404 404 201 201 401")),
    "api-meeting-detail": Entry(kwargs=meeting, GET=API_READ, PATCH=API_ORGANISE),
    "api-minutes": Entry(kwargs=meeting, GET=API_READ, PUT=E("401 400 404 404 400 400 401")),
    "api-recap": Entry(kwargs=meeting, GET=API_READ, PUT=E("401 400 404 404 400 400 401")),
    "api-research-list": Entry(GET=EVERYONE, POST=E("401 400 400 400 400 400 401")),
    "api-research-detail": Entry(kwargs=item, GET=API_READ),
    "api-research-tick": Entry(kwargs=item, POST=API_CONTRIBUTE),
    "api-research-untick": Entry(kwargs=item, POST=API_CONTRIBUTE),
    "api-research-drop": Entry(kwargs=item, POST=E("401 400 404 404 400 400 401")),
    "api-research-reassign": Entry(kwargs=item, POST=E("401 400 404 404 400 400 401")),
    "api-resource-list": Entry(GET=EVERYONE, POST=E("401 400 400 400 400 400 401")),
    "api-resource-detail": Entry(
        kwargs=resource, GET=API_READ, PATCH=API_CONTRIBUTE, DELETE=E("401 403 404 404 204 204 401")
    ),
    "api-series-suggestions": Entry(kwargs=slug, GET=API_READ, POST=E("401 400 404 404 400 400 401")),
    "api-suggestion-detail": Entry(
        kwargs=api_suggestion, GET=API_READ, PATCH=API_CONTRIBUTE, DELETE=E("401 204 404 404 204 204 401")
    ),
    "api-suggestion-vote": Entry(kwargs=api_suggestion, PUT=API_CONTRIBUTE, DELETE=API_CONTRIBUTE),
    "api-suggestion-claim": Entry(
        kwargs=api_suggestion, POST=E("401 400 404 404 400 400 401"), DELETE=E("401 403 404 404 200 200 401")
    ),
    "api-readinglist-list": Entry(GET=EVERYONE, POST=E("401 400 400 400 400 400 401")),
    "api-readinglist-detail": Entry(kwargs=reading_list, GET=API_READ),
    "api-readinglist-items": Entry(kwargs=reading_list, POST=E("401 400 404 404 400 400 401")),
    "api-readinglist-item": Entry(kwargs=list_item, DELETE=E("401 204 404 404 204 204 401")),
    "api-readinglist-reorder": Entry(kwargs=reading_list, POST=E("401 400 404 404 400 400 401")),
    "api-readinglist-bibtex": Entry(kwargs=reading_list, GET=API_READ),
    "api-readinglist-csljson": Entry(kwargs=reading_list, GET=API_READ),
}


# The admin: staff only. Its patterns are Django's, one shape per model; each shape has a rule.

NOT_STAFF_TO_LOGIN = dict.fromkeys(ROLES, 302)


def _admin_entry(name: str, route: str, world_objects: dict) -> Entry | None:
    """The entry for an admin pattern, by its shape; None for a shape this file does not know."""
    tail = route.removeprefix("admin/")
    if name == "admin:login":
        return Entry(GET=E("200 200 200 200 200 302 200"))
    if name == "admin:logout":
        return Entry(GET={**NOT_STAFF_TO_LOGIN, "staff": 405})
    if name == "admin:autocomplete":
        return Entry(GET={**NOT_STAFF_TO_LOGIN, "staff": 403})
    if name == "admin:view_on_site":
        return Entry(
            kwargs=lambda w: {"content_type_id": "0", "object_id": "0"},
            GET={**NOT_STAFF_TO_LOGIN, "staff": 404},
        )
    if name in ("admin:index", "admin:password_change", "admin:password_change_done", "admin:jsi18n"):
        return Entry(GET={**NOT_STAFF_TO_LOGIN, "staff": 200})
    if name == "admin:app_list":
        return Entry(kwargs=lambda w: {"app_label": "meetings"}, GET={**NOT_STAFF_TO_LOGIN, "staff": 200})
    if tail == "(?P<url>.*)$":
        return Entry(kwargs=lambda w: {"url": "no-such-page/"}, GET={**NOT_STAFF_TO_LOGIN, "staff": 404})
    parts = tail.strip("/").split("/")
    if len(parts) < 2:
        return None
    app, model = parts[0], parts[1]
    obj = world_objects.get(f"{app}.{model}")
    rest = "/".join(parts[2:])
    if app == "axes" and rest == "add":  # django-axes' records are made by sign-ins, never added
        return Entry(GET={**NOT_STAFF_TO_LOGIN, "staff": 403}, POST={**NOT_STAFF_TO_LOGIN, "staff": 403})
    if rest in ("", "add", "merge-tags"):
        return Entry(GET={**NOT_STAFF_TO_LOGIN, "staff": 200}, POST={**NOT_STAFF_TO_LOGIN, "staff": None})
    object_kwargs = (
        (lambda w, o=obj: {"object_id": str(o.pk)}) if obj else (lambda w: {"object_id": "999999"})
    )
    staff = 200 if obj else 302
    if rest in ("<path:object_id>/history", "<path:object_id>/delete", "<path:object_id>/change"):
        return Entry(
            kwargs=object_kwargs,
            GET={**NOT_STAFF_TO_LOGIN, "staff": staff},
            POST={**NOT_STAFF_TO_LOGIN, "staff": None},
        )
    if rest == "<path:object_id>":
        return Entry(kwargs=object_kwargs, GET={**NOT_STAFF_TO_LOGIN, "staff": 302})
    if rest == "<id>/password":
        return Entry(kwargs=lambda w, o=obj: {"id": str(o.pk)}, GET={**NOT_STAFF_TO_LOGIN, "staff": 200})
    return None


# The URL configuration


def _patterns(patterns=None, prefix="", namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield name, route, pattern


def url_patterns() -> list[tuple[str, str, URLPattern]]:
    """(key, route, pattern) for every URL pattern: the key is the name, or the route when unnamed."""
    return [(name or route, route, pattern) for name, route, pattern in _patterns()]


def url_of(route: str, kwargs: dict) -> str:
    """The address of a route with its parameters filled in (named or not, path or regex)."""

    def value(match):
        return str(kwargs[match.group("name")])

    path = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", value, route)
    path = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", value, path)
    return "/" + path.replace("^", "").replace("$", "")


def _world_objects(w) -> dict:
    from django.contrib.auth.models import Group
    from taggit.models import Tag

    from meetings.models import (
        MeetingSection,
        MinutesRevision,
        ResearchItem,
        SkipDate,
        TalkReminder,
        Unavailability,
    )

    first = {
        "auth.group": Group.objects.first(),
        "taggit.tag": Tag.objects.first(),
        "resources.resource": w.resource,
        "resources.mention": Mention.objects.first(),
        "resources.readinglist": w.list,
        "meetings.user": w.member,
        "meetings.series": w.series,
        "meetings.meeting": w.meeting,
        "meetings.talk": w.talk,
        "meetings.minutes": Minutes.objects.first(),
        "meetings.minutesrevision": MinutesRevision.objects.first(),
        "meetings.invitation": Invitation.objects.first(),
        "meetings.researchitem": ResearchItem.objects.first(),
        "meetings.skipdate": SkipDate.objects.first(),
        "meetings.unavailability": Unavailability.objects.first(),
        "meetings.talkreminder": TalkReminder.objects.first(),
        "meetings.swaprequest": w.swap,
        "meetings.meetingsection": MeetingSection.objects.first(),
        "meetings.suggestion": w.suggestion,
    }
    return {key: obj for key, obj in first.items() if obj is not None}


def entry_for(key: str, route: str, w) -> Entry | None:
    if key.startswith("admin:") or route.startswith("admin/"):
        return _admin_entry(key, route, _world_objects(w))
    return ENTRIES.get(key)


# The world: one members-only series with something of everything, made once for the module


class World:
    pass


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        w = World()
        w.member = UserFactory(username="ada", display_name="Ada Lovelace")
        w.organiser = UserFactory(username="grace", display_name="Grace Hopper")
        w.other_member = UserFactory(username="alan", display_name="Alan Turing")
        w.other_organiser = UserFactory(username="katherine", display_name="Katherine Johnson")
        w.staff = UserFactory(username="root", display_name="Root", is_staff=True, is_superuser=True)
        w.inactive = UserFactory(username="former", display_name="Former Member")
        w.series = SeriesFactory(
            name="Hiring committee",
            slug="committee",
            visibility="members",
            organisers=[w.organiser],
            members=[w.organiser, w.member, w.inactive],
        )
        SeriesFactory(
            name="Robotics club",
            slug="robotics",
            visibility="members",
            organisers=[w.other_organiser],
            members=[w.other_organiser, w.other_member],
        )
        w.meeting = MeetingFactory(series=w.series, title="Shortlist for the chair", start=local(2031, 3, 3))
        w.later = MeetingFactory(series=w.series, title="Second round", start=local(2031, 3, 17))
        minutes_save(
            meeting=w.meeting,
            kind="minutes",
            body="Candidate Zebulon: https://example.org/zebulon-cv",
            base_revision=0,
            by=w.member,
        )
        w.talk = TalkFactory(meeting=w.meeting, speaker=w.member, title="Candidates")
        TalkFactory(meeting=w.later, speaker=w.organiser, title="References")
        w.swap = rota.swap_request_ask(
            from_talk=w.talk, to_talk=w.later.talks.get(), by=w.member, message="Away"
        )
        (w.item,) = research_items_add(meeting=w.meeting, text="check Zebulon's references", by=w.member)
        w.list = readinglist_save(
            reading_list=ReadingList(title="Committee reading", series=w.series, is_public=True), by=w.member
        )
        w.resource = Resource.objects.get(url="https://example.org/zebulon-cv")
        resource_update(
            resource=w.resource,
            title="Zebulon's CV",
            kind="paper",
            tags=["zebulon-dossier"],
            notes="A candidate.",
        )
        # Broken, so the organisers' link-health report would list it if it were not scoped.
        Resource.objects.filter(pk=w.resource.pk).update(health="broken", consecutive_failures=3)
        w.list_item = readinglist_add(reading_list=w.list, resource=w.resource, by=w.member)
        w.suggestion = queue.suggestion_create(
            series=w.series, url="https://example.org/zebulon-cv", by=w.member, pitch="Zebulon's CV first"
        ).suggestion
        w.comment = queue.suggestion_comment_add(
            suggestion=w.suggestion, by=w.member, body="Zebulon looks good"
        )
        calendars.series_calendar_token(series=w.series)
        calendars.user_calendar_token_reset(user=w.member)
        w.confirm_token = rota.talk_confirm_token(talk=w.talk)
        w.api_token, _ = tokens.api_token_create(user=w.member, name="bot")
        _invitation, w.invitation_token = invitation_create(
            email="newcomer@example.org", series=w.series, invited_by=w.organiser
        )
        w.inactive.is_active = False
        w.inactive.save()
        assert SwapRequest.objects.count() == 1
        yield w
        transaction.set_rollback(True)


def _client_for(role: str, w) -> Client:
    client = Client()
    if role != "visitor":
        # The deactivated member signed in while still active: their session must count for nothing.
        client.force_login(getattr(w, role))
    return client


def _request(client, method: str, url: str, *, api: bool):
    if method == "GET":
        return client.get(url)
    if api:
        return getattr(client, method.lower())(url, data="{}", content_type="application/json")
    return getattr(client, method.lower())(url, {})


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


# The tests


def test_every_url_pattern_has_an_entry(world):
    missing = [key for key, route, _ in url_patterns() if entry_for(key, route, world) is None]
    known = {key for key, _, _ in url_patterns()}
    stale = sorted(set(ENTRIES) - known)

    assert missing == [], "URL patterns with no entry in the permission matrix: add them to ENTRIES"
    assert stale == [], "entries for URL patterns that no longer exist"


def test_api_entries_name_every_method_the_view_accepts(world):
    for key, route, pattern in url_patterns():
        view_class = getattr(pattern.callback, "cls", None)
        if not route.startswith("api/") or view_class is None or key in ("api-schema", "api-docs"):
            continue
        accepted = {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)} - {
            "OPTIONS",
            "HEAD",
        }
        assert set(ENTRIES[key].methods) == accepted, key


CASES = [key for key, _, _ in url_patterns()]


@pytest.mark.parametrize("key", CASES)
def test_permission_matrix(world, key):
    route = next(r for k, r, _ in url_patterns() if k == key)
    entry = entry_for(key, route, world)
    assert entry is not None, f"no entry for {key}"
    url = url_of(route, entry.kwargs(world) if entry.kwargs else {})
    query = entry.query(world) if callable(entry.query) else entry.query
    if query:
        url += "?" + query
    api = route.startswith("api/")
    wrong = []
    for role in ROLES:
        client = _client_for(role, world)
        for method in entry.methods:
            expected = getattr(entry, method)[role]
            if expected is None:
                continue
            with transaction.atomic():
                response = _request(client, method, url, api=api)
                body = _body(response)
                transaction.set_rollback(True)
            if response.status_code != expected:
                wrong.append(f"{method} as {role}: {response.status_code}, expected {expected}")
            if role not in SEE_THE_COMMITTEE and not entry.capability:
                # The address the asker typed may come back in a "sign in to see this" link
                # (?next=...): that is their own words, not the committee's.
                unechoed = body.replace(url, "").replace(quote(url, safe="/"), "")
                leaked = [secret for secret in SECRETS if secret in unechoed]
                if leaked:
                    wrong.append(f"{method} as {role}: shows {leaked}")
    assert wrong == [], f"{url}: " + "; ".join(wrong)
