"""generate_demo_data: planned counts, real renderings and search data, right visibility, idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from meetings.models import Meeting, MeetingSection, Minutes, MinutesRevision, Series, User
from meetings.services.demo_data import PASSWORD, SCALES, URL_PREFIX, demo_data_counts
from resources.models import Mention, Resource, ResourceHolder
from resources.selectors import LibraryFilters, resources_filter
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

SMALL = SCALES["small"]


def _generate() -> str:
    out = StringIO()
    call_command("generate_demo_data", "--scale", "small", stdout=out)
    return out.getvalue()


def _check_visibility() -> str:
    out = StringIO()
    call_command("rebuild_visibility", "--check", stdout=out)
    return out.getvalue()


def test_demo_data_has_the_planned_counts_and_real_renderings():
    existing = ResourceFactory(url="https://example.org/not-demo")

    output = _generate()

    assert demo_data_counts() == {
        "members": SMALL.members,
        "series": SMALL.series,
        "meetings": SMALL.meetings,
        "research_items": SMALL.research_items,
        "resources": SMALL.resources,
        "mentions": SMALL.mentions,
        "reading_lists": SMALL.reading_lists,
        "link_checks": SMALL.link_checks,
    }
    assert "1,500 resources" in output
    assert Resource.objects.filter(pk=existing.pk).exists()
    # Minutes: rendered HTML with the links that became the meeting's mentions, five revisions each.
    minutes = Minutes.objects.filter(kind="minutes", meeting__series__slug="demo-01").first()
    mention = Mention.objects.filter(meeting=minutes.meeting).select_related("resource").first()
    assert f'href="{mention.resource.url}"' in minutes.body_html
    assert minutes.body_html.startswith('<h2 id="md-minutes-discussion">')
    assert 1800 < len(minutes.body) < 4000
    revisions = list(MinutesRevision.objects.filter(minutes=minutes).order_by("number"))
    assert [r.number for r in revisions] == [1, 2, 3, 4, 5]
    assert revisions[-1].body == minutes.body and revisions[0].body != minutes.body
    assert "dual numbers" in MeetingSection.objects.get(body__contains="dual numbers").body_html
    # Every account signs in with the documented password.
    assert User.objects.get(username="demo-001").check_password(PASSWORD)


def test_demo_data_visibility_is_what_the_rebuild_computes():
    _generate()

    assert _check_visibility().strip() == "All 1500 resources have the right visibility."
    private = Series.objects.filter(slug__startswith="demo-", visibility="members")
    # Resources only a members-only club mentions are for its members only.
    held_privately = Resource.objects.filter(holders__series__in=private, audience=Resource.Audience.HOLDERS)
    assert held_privately.exists()
    assert not resources_filter(user=None, filters=LibraryFilters()).filter(pk__in=held_privately).exists()
    assert ResourceHolder.objects.filter(series__slug__startswith="demo-").count() >= SMALL.mentions // 2


def test_demo_data_library_is_searchable():
    _generate()

    results = list(resources_filter(user=None, filters=LibraryFilters(q="zebrafish")))

    assert results, "a rare word in a title is found"
    assert all("zebrafish" in r.search_text.lower() for r in results)
    if connection.vendor == "postgresql":
        assert not Resource.objects.filter(url__startswith=URL_PREFIX, search_vector__isnull=True).exists()


def test_generating_again_changes_nothing_and_a_partial_run_is_completed():
    _generate()
    meetings = list(Meeting.objects.filter(series__slug__startswith="demo-").values_list("pk", flat=True))

    again = _generate()

    assert "already there" in again
    assert (
        list(Meeting.objects.filter(series__slug__startswith="demo-").values_list("pk", flat=True))
        == meetings
    )

    Resource.objects.filter(url__startswith=URL_PREFIX).order_by("-pk")[:1].get().delete()
    third = _generate()

    assert "Deleting the demo data" in third
    assert demo_data_counts()["resources"] == SMALL.resources
    assert demo_data_counts()["meetings"] == SMALL.meetings
    assert "have the right visibility" in _check_visibility()
