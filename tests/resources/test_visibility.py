"""Who sees each resource: the stored audience and holders stay equal to a computation from
scratch after every kind of change (resources/services/visibility.py), and the library reads them.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.forms.meetings import TalkFormSet
from meetings.models import Series, Talk
from meetings.services.importer import markdown_import
from meetings.services.minutes import minutes_save
from meetings.services.research import research_item_update, research_items_add
from meetings.services.sections import SectionInput, sections_import
from meetings.services.series import meeting_save, series_save
from resources.models import Mention, ReadingList, Resource, ResourceHolder
from resources.selectors import resources_visible_to
from resources.services.library import mentions_sync, resource_add, resource_delete
from resources.services.readinglists import (
    readinglist_add,
    readinglist_delete,
    readinglist_remove,
    readinglist_save,
)
from resources.services.visibility import visibility_compute, visibility_stored
from tests.factories import MeetingFactory, SeriesFactory, TalkFactory, UserFactory

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[2] / "meetings" / "demo"
ML_CLUB, HACKATHON = DEMO / "ml-club-minutes.md", DEMO / "hackathon-sessions.md"

PUBLIC, ACCOUNTS, HOLDERS = Resource.Audience.PUBLIC, Resource.Audience.ACCOUNTS, Resource.Audience.HOLDERS


def assert_true_to_scratch():
    assert visibility_stored() == visibility_compute()


def audience(resource) -> int:
    return Resource.objects.values_list("audience", flat=True).get(pk=resource.pk)


def holders(resource) -> set[str]:
    return set(ResourceHolder.objects.filter(resource=resource).values_list("series__slug", flat=True))


@pytest.fixture
def club(organiser, member):
    return SeriesFactory(name="ML club", slug="club", organisers=[organiser], members=[organiser, member])


@pytest.fixture
def committee(organiser, member):
    return SeriesFactory(
        name="Committee", slug="committee", visibility="members", organisers=[organiser], members=[member]
    )


def _minutes(meeting, body, by):
    current = meeting.documents.filter(kind="minutes").first()
    return minutes_save(
        meeting=meeting, kind="minutes", body=body, base_revision=current.revision if current else 0, by=by
    )


def test_a_link_added_to_the_library_is_for_every_account(member):
    resource, _ = resource_add(url="https://example.org/a", by=member)

    assert (audience(resource), holders(resource)) == (ACCOUNTS, set())
    assert_true_to_scratch()


def test_mentions_in_minutes_follow_the_series_and_an_edit_that_drops_the_link(club, committee, member):
    public_meeting, secret_meeting = MeetingFactory(series=club), MeetingFactory(series=committee)

    _minutes(secret_meeting, "See https://example.org/cv", member)
    resource = Resource.objects.get(url="https://example.org/cv")
    assert (audience(resource), holders(resource)) == (HOLDERS, {"committee"})
    assert_true_to_scratch()

    _minutes(public_meeting, "Also https://example.org/cv", member)
    assert (audience(resource), holders(resource)) == (PUBLIC, {"committee", "club"})
    assert_true_to_scratch()

    _minutes(public_meeting, "Link removed.", member)
    assert (audience(resource), holders(resource)) == (HOLDERS, {"committee"})
    assert_true_to_scratch()

    _minutes(secret_meeting, "Link removed too.", member)
    # Nothing holds it any more and nobody added it to the library: staff only.
    assert (audience(resource), holders(resource)) == (HOLDERS, set())
    assert_true_to_scratch()


def test_agenda_sections_and_direct_mentions_are_holders(committee, member):
    meeting = MeetingFactory(series=committee)
    meeting.agenda = "Read https://example.org/agenda"
    meeting_save(meeting=meeting, by=member)
    sections_import(
        meeting=meeting,
        sections=[SectionInput(key="s1", kind="materials", heading="", body="https://example.org/slides")],
    )
    mentions_sync(meeting=meeting, section="notes", text="https://example.org/notes")

    for url in ("agenda", "slides", "notes"):
        resource = Resource.objects.get(url=f"https://example.org/{url}")
        assert (audience(resource), holders(resource)) == (HOLDERS, {"committee"}), url
    assert_true_to_scratch()

    sections_import(meeting=meeting, sections=[])
    assert holders(Resource.objects.get(url="https://example.org/slides")) == set()
    assert_true_to_scratch()


def test_research_items_hold_the_resources_they_link(club, committee, member):
    secret = MeetingFactory(series=committee)
    (item,) = research_items_add(meeting=secret, text="read https://example.org/paper", by=member)
    paper = Resource.objects.get(url="https://example.org/paper")
    assert holders(paper) == {"committee"}

    other, _ = resource_add(url="https://example.org/other", by=member, library=False)
    assert audience(other) == HOLDERS and holders(other) == set()
    research_item_update(item=item, text=item.text, assignee=None, by=member, resource=other)
    assert holders(other) == {"committee"}
    assert_true_to_scratch()

    research_item_update(item=item, text=item.text, assignee=None, by=member, resource=None)
    assert holders(other) == set()
    # The paper is still mentioned by the item's text ("research" mention).
    assert holders(paper) == {"committee"}
    assert_true_to_scratch()


def test_talks_hold_the_paper_they_present_until_deleted(rf, committee, organiser, member):
    meeting = MeetingFactory(series=committee)
    paper, _ = resource_add(url="https://example.org/talk-paper", by=member, library=False)
    talk = TalkFactory(meeting=meeting, speaker=member, resource=paper)
    meeting_save(meeting=meeting, by=organiser)  # no formset: the talks stay
    # A talk written straight to the database is repaired by any save of its meeting's talks.
    formset = TalkFormSet(
        {
            "talks-TOTAL_FORMS": "1",
            "talks-INITIAL_FORMS": "1",
            "talks-MIN_NUM_FORMS": "0",
            "talks-MAX_NUM_FORMS": "20",
            "talks-0-id": str(talk.pk),
            "talks-0-meeting": str(meeting.pk),
            "talks-0-speaker": str(member.pk),
            "talks-0-guest_name": "",
            "talks-0-title": talk.title,
        },
        instance=meeting,
        prefix="talks",
    )
    assert formset.is_valid(), formset.errors
    meeting_save(meeting=meeting, talks=formset, by=organiser)
    assert holders(paper) == {"committee"}
    assert_true_to_scratch()

    formset = TalkFormSet(
        {
            "talks-TOTAL_FORMS": "1",
            "talks-INITIAL_FORMS": "1",
            "talks-MIN_NUM_FORMS": "0",
            "talks-MAX_NUM_FORMS": "20",
            "talks-0-id": str(talk.pk),
            "talks-0-meeting": str(meeting.pk),
            "talks-0-speaker": str(member.pk),
            "talks-0-guest_name": "",
            "talks-0-title": talk.title,
            "talks-0-DELETE": "on",
        },
        instance=meeting,
        prefix="talks",
    )
    assert formset.is_valid(), formset.errors
    meeting_save(meeting=meeting, talks=formset, by=organiser)
    assert not Talk.objects.filter(pk=talk.pk).exists()
    assert holders(paper) == set()
    assert_true_to_scratch()


def test_reading_lists_hold_their_items_as_their_series_says(club, committee, member):
    paper, _ = resource_add(url="https://example.org/listed", by=member, library=False)
    committee_list = readinglist_save(reading_list=ReadingList(title="C", series=committee), by=member)
    item = readinglist_add(reading_list=committee_list, resource=paper, by=member)
    # Public flag, members-only series: never public (finding 3).
    assert committee_list.is_public
    assert (audience(paper), holders(paper)) == (HOLDERS, {"committee"})
    assert_true_to_scratch()

    committee_list.series = club
    readinglist_save(reading_list=committee_list, by=member)
    assert (audience(paper), holders(paper)) == (PUBLIC, {"club"})
    committee_list.is_public = False
    readinglist_save(reading_list=committee_list, by=member)
    assert (audience(paper), holders(paper)) == (HOLDERS, {"club"})
    committee_list.series = None
    readinglist_save(reading_list=committee_list, by=member)
    assert (audience(paper), holders(paper)) == (ACCOUNTS, set())
    assert_true_to_scratch()

    readinglist_remove(item=item)
    assert (audience(paper), holders(paper)) == (HOLDERS, set())
    readinglist_add(reading_list=committee_list, resource=paper, by=member)
    readinglist_delete(reading_list=committee_list)
    assert (audience(paper), holders(paper)) == (HOLDERS, set())
    assert_true_to_scratch()


def test_changing_a_series_visibility_moves_its_resources(club, committee, member, organiser):
    meeting = MeetingFactory(series=committee)
    _minutes(meeting, "https://example.org/moves", member)
    resource = Resource.objects.get(url="https://example.org/moves")
    assert audience(resource) == HOLDERS

    committee.visibility = Series.Visibility.PUBLIC
    series_save(series=committee, by=organiser)
    assert audience(resource) == PUBLIC
    assert_true_to_scratch()

    committee.visibility = Series.Visibility.MEMBERS
    series_save(series=committee, by=organiser)
    assert audience(resource) == HOLDERS
    assert_true_to_scratch()


def test_the_importer_leaves_visibility_true(committee, organiser):
    text = ML_CLUB.read_text(encoding="utf-8")
    markdown_import(documents=[("ml.md", text)], series_slug="committee", year=2020, by=organiser)
    assert Resource.objects.count() > 5
    assert_true_to_scratch()
    assert set(Resource.objects.values_list("audience", flat=True)) == {HOLDERS}
    assert set(ResourceHolder.objects.values_list("series__slug", flat=True)) == {"committee"}

    url = "https://scikit-learn.org/stable/tutorial/machine_learning_map/index.html"
    edited = text.replace(f"- {url} for a nice pic\n", "")
    markdown_import(documents=[("ml.md", edited)], series_slug="committee", year=2020, by=organiser)
    assert holders(Resource.objects.get(url=url)) == set()
    assert_true_to_scratch()
    markdown_import(
        documents=[("hack.md", HACKATHON.read_text(encoding="utf-8"))], series_slug="hack", by=organiser
    )
    assert_true_to_scratch()
    assert Resource.objects.filter(audience=PUBLIC).exists()


def test_admin_edits_and_deletions_leave_visibility_true(admin_client, club, committee, member):
    public_meeting = MeetingFactory(series=club)
    secret_meeting = MeetingFactory(series=committee)
    _minutes(public_meeting, "https://example.org/both", member)
    _minutes(secret_meeting, "https://example.org/both and https://example.org/secret", member)
    both = Resource.objects.get(url="https://example.org/both")
    secret = Resource.objects.get(url="https://example.org/secret")

    mention = Mention.objects.get(resource=both, meeting=public_meeting)
    response = admin_client.post(
        reverse("admin:resources_mention_delete", args=[mention.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert audience(both) == HOLDERS
    assert_true_to_scratch()

    response = admin_client.post(
        reverse("admin:meetings_meeting_delete", args=[secret_meeting.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert holders(secret) == set() and holders(both) == set()
    assert_true_to_scratch()


def test_deleting_a_members_only_series_deletes_its_lists_and_keeps_visibility_true(
    admin_client, club, committee, member
):
    paper, _ = resource_add(url="https://example.org/kept-private", by=member, library=False)
    private_list = readinglist_save(
        reading_list=ReadingList(title="Committee's", series=committee), by=member
    )
    public_list = readinglist_save(reading_list=ReadingList(title="Club's", series=club), by=member)
    readinglist_add(reading_list=private_list, resource=paper, by=member)

    response = admin_client.post(
        reverse("admin:meetings_series_delete", args=[committee.pk]), {"post": "yes"}
    )
    assert response.status_code == 302

    # The committee's list did not become a public list without a series: it went with the series.
    assert not ReadingList.objects.filter(pk=private_list.pk).exists()
    assert audience(paper) == HOLDERS
    assert_true_to_scratch()
    club.delete()
    public_list.refresh_from_db()
    assert public_list.series_id is None


def test_deleting_a_resource_removes_its_holders(committee, member):
    _minutes(MeetingFactory(series=committee), "https://example.org/gone", member)
    resource = Resource.objects.get(url="https://example.org/gone")

    resource_delete(resource=resource)

    assert not ResourceHolder.objects.exists()
    assert_true_to_scratch()


def test_adding_a_privately_held_link_to_the_library_puts_it_in_the_library(committee, member):
    _minutes(MeetingFactory(series=committee), "https://example.org/known", member)
    outsider = UserFactory()
    resource = Resource.objects.get(url="https://example.org/known")
    assert not resources_visible_to(outsider).filter(pk=resource.pk).exists()

    resource_add(url="https://example.org/known", by=outsider)

    # Whoever has the link may add it to the library; it is then the library's too.
    assert resources_visible_to(outsider).filter(pk=resource.pk).exists()
    assert (audience(resource), holders(resource)) == (ACCOUNTS, {"committee"})
    assert_true_to_scratch()


def test_rebuild_visibility_repairs_what_was_written_behind_the_services_back(committee, member):
    _minutes(MeetingFactory(series=committee), "https://example.org/repair", member)
    resource = Resource.objects.get(url="https://example.org/repair")
    Resource.objects.filter(pk=resource.pk).update(audience=PUBLIC)
    ResourceHolder.objects.all().delete()

    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("rebuild_visibility", "--check", stdout=out)
    assert out.getvalue() == f"1 of 1 resources have a wrong visibility: {resource.pk}\n"

    out = StringIO()
    call_command("rebuild_visibility", stdout=out)
    assert out.getvalue() == "Rebuilt the visibility of 1 resources: 1 changed.\n"
    assert (audience(resource), holders(resource)) == (HOLDERS, {"committee"})

    out = StringIO()
    call_command("rebuild_visibility", "--check", stdout=out)
    assert out.getvalue() == "All 1 resources have the right visibility.\n"


# Reading it


@pytest.fixture
def three(club, committee, member):
    public_meeting, secret_meeting = MeetingFactory(series=club), MeetingFactory(series=committee)
    _minutes(public_meeting, "https://example.org/public", member)
    _minutes(secret_meeting, "https://example.org/secret", member)
    resource_add(url="https://example.org/library", by=member)
    return {r.url.rsplit("/", 1)[1]: r for r in Resource.objects.all()}


def _visible(user) -> set[str]:
    return {url.rsplit("/", 1)[1] for url in resources_visible_to(user).values_list("url", flat=True)}


def test_who_sees_which_resource(three, member, organiser, settings):
    outsider = UserFactory()
    staff = UserFactory(is_staff=True)
    inactive = UserFactory(is_active=False)
    Series.objects.get(slug="committee").members.add(inactive)

    assert _visible(AnonymousUser()) == {"public"}
    assert _visible(inactive) == {"public"}
    assert _visible(outsider) == {"public", "library"}
    assert _visible(member) == {"public", "library", "secret"}
    assert _visible(organiser) == {"public", "library", "secret"}
    assert _visible(staff) == {"public", "library", "secret"}

    settings.OPEN_MEMBERSHIP = True
    assert _visible(outsider) == {"public", "library", "secret"}
    assert _visible(AnonymousUser()) == {"public"}


def test_the_visitors_library_reads_one_indexed_condition(client, three):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("library"))

    assert response.status_code == 200
    listing = [q["sql"] for q in queries if 'FROM "resources_resource"' in q["sql"] and "LIMIT" in q["sql"]]
    assert listing, [q["sql"] for q in queries]
    assert all('"resources_resource"."audience" = 0' in sql for sql in listing)
    assert not any("EXISTS" in sql for sql in listing)


def test_a_members_library_reads_one_exists_on_its_holders(client, three, member):
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("library"))

    assert response.status_code == 200
    listing = [q["sql"] for q in queries if 'FROM "resources_resource"' in q["sql"] and "LIMIT" in q["sql"]]
    assert listing
    for sql in listing:
        assert sql.count("EXISTS") == 1 and "resources_resourceholder" in sql
        assert "resources_mention" not in sql and "resources_readinglistitem" not in sql


def test_library_query_count_does_not_grow_with_holders(client, member):
    def grow(n):
        for index in range(n):
            series = SeriesFactory(visibility="members", members=[member])
            _minutes(MeetingFactory(series=series), f"https://example.org/grow/{n}/{index}", member)

    client.force_login(member)
    grow(3)
    with CaptureQueriesContext(connection) as small:
        first = client.get(reverse("library"))
    grow(12)
    with CaptureQueriesContext(connection) as large:
        second = client.get(reverse("library"))

    assert first.status_code == second.status_code == 200
    assert "https://example.org/grow/3/2" in first.content.decode()
    assert "https://example.org/grow/12/11" in second.content.decode()
    assert len(large) == len(small)
