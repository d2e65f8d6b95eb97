"""Search over everything: each kind is found through its stored vector, ranked with its weights,
paged, filtered, and only what the searcher may read."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.models import MeetingSection, ResearchItem
from meetings.services.minutes import minutes_save
from meetings.services.research import research_items_add
from meetings.services.sections import SectionInput, section_save, sections_import
from resources.models import ReadingList
from resources.selectors_search import SearchFilters, search_everything
from resources.services import library
from resources.services.readinglists import readinglist_add, readinglist_save
from tests.factories import MeetingFactory, ResourceFactory, TalkFactory, UserFactory

pytestmark = pytest.mark.django_db


def _search(client, **params):
    response = client.get(reverse("search"), params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_a_word_written_only_in_an_imported_section_is_found_with_a_snippet(client, series):
    meeting = MeetingFactory(series=series, title="Autodiff")
    sections_import(
        meeting=meeting,
        sections=[
            SectionInput(
                key="notes",
                kind="notes",
                heading="Imported notes",
                body="Forward mode computes derivatives with dual numbers, one pass per input.",
            )
        ],
    )
    section = MeetingSection.objects.get(meeting=meeting)

    content = _search(client, q="dual numbers")

    assert "1 match for “dual numbers”" in content
    assert f'href="{meeting.get_absolute_url()}#section-{section.pk}"' in content
    assert "Meeting sections" in content
    assert "<mark>dual</mark> <mark>numbers</mark>" in content or "<mark>dual numbers</mark>" in content


def test_every_kind_is_found(client, series, member):
    client.force_login(member)  # the library's own links are for signed-in accounts
    meeting = MeetingFactory(series=series, title="Kernels", agenda="1. Discuss the quokka benchmark")
    TalkFactory(meeting=meeting, speaker=member, title="Wombat attention heads")
    research_items_add(meeting=meeting, text="find the numbat dataset", by=member)
    minutes_save(
        meeting=meeting, kind="recap", body="We agreed on the bilby plan.", base_revision=0, by=member
    )
    minutes_save(
        meeting=meeting, kind="minutes", body="Long talk about echidna priors.", base_revision=0, by=member
    )
    reading_list = readinglist_save(reading_list=ReadingList(title="Marsupials", series=series), by=member)
    readinglist_add(
        reading_list=reading_list,
        resource=ResourceFactory(title="A paper"),
        note="Read the potoroo part",
        by=member,
    )
    library.resource_add(url="https://example.org/dingo", by=member, title="Dingo detection")

    expected = {
        "quokka": ("Meetings and agendas", meeting.get_absolute_url()),
        "wombat": ("Talks", meeting.get_absolute_url()),
        "numbat": ("Research items", f"{meeting.get_absolute_url()}#item-"),
        "bilby": ("Recaps", f"{meeting.get_absolute_url()}#recap"),
        "echidna": ("Minutes", f"{meeting.get_absolute_url()}#minutes"),
        "potoroo": ("Reading-list notes", reading_list.get_absolute_url()),
        "dingo": ("Library", "/library/"),
    }
    for word, (label, url) in expected.items():
        content = _search(client, q=word)
        assert "1 match for" in content, word
        assert f'<span class="badge">{label}</span> <a href="{url}' in content, word


def test_search_respects_who_may_read_what(client, series, private_series, member, other_member):
    secret_meeting = MeetingFactory(series=private_series, title="Board")
    section_save(section=MeetingSection(meeting=secret_meeting, heading="Notes", body="The pangolin merger."))
    research_items_add(meeting=secret_meeting, text="check the pangolin figures", by=member)
    secret_list = readinglist_save(
        reading_list=ReadingList(title="Secret list", series=private_series, is_public=True), by=member
    )
    readinglist_add(reading_list=secret_list, resource=ResourceFactory(), note="pangolin note", by=member)
    public_meeting = MeetingFactory(series=series, title="Open")
    research_items_add(meeting=public_meeting, text="a public pangolin", by=member)

    as_visitor = _search(client, q="pangolin")
    client.force_login(other_member)
    as_outsider = _search(client, q="pangolin")
    client.force_login(member)
    as_member = _search(client, q="pangolin")

    for content in (as_visitor, as_outsider):
        assert "1 match for" in content
        assert "a public pangolin" in content
        assert "merger" not in content and "figures" not in content and "Secret list" not in content
    assert "4 matches for" in as_member
    assert "merger" in as_member and "Secret list" in as_member


def test_results_are_paged_not_capped(client, series, member):
    meeting = MeetingFactory(series=series)
    research_items_add(meeting=meeting, text="\n".join(f"axolotl item {n}" for n in range(45)), by=member)

    first = _search(client, q="axolotl")
    third = _search(client, q="axolotl", page=3)

    assert "45 matches for" in first
    assert first.count('class="search-hit') == 20
    assert third.count('class="search-hit') == 5
    assert "Page 3 of 3" in third
    assert 'href="?q=axolotl&amp;page=2"' in third


def test_filters_by_kind_series_and_date(client, series, member):
    from tests.factories import SeriesFactory, local

    other = SeriesFactory(name="Other club", slug="other")
    early = MeetingFactory(series=series, title="Okapi early", start=local(2024, 1, 8))
    late = MeetingFactory(series=series, title="Okapi late", start=local(2025, 6, 2))
    MeetingFactory(series=other, title="Okapi elsewhere", start=local(2025, 6, 9))
    research_items_add(meeting=late, text="okapi reading", by=member)

    assert "4 matches" in _search(client, q="okapi")
    only_items = _search(client, q="okapi", kind="research")
    assert "1 match for" in only_items and "okapi reading" in only_items
    in_series = _search(client, q="okapi", series="ml-club")
    assert "3 matches" in in_series and "elsewhere" not in in_series
    after = _search(client, q="okapi", series="ml-club", after="2025-01-01")
    assert "2 matches" in after and "Okapi early" not in after
    before = _search(client, q="okapi", before="2024-12-31")
    assert "1 match for" in before and "Okapi early" in before and early.get_absolute_url() in before


def test_bad_filters_get_a_clear_message_not_a_500(client, series):
    response = client.get(reverse("search"), {"q": "x", "after": "not-a-date", "kind": "nonsense"})

    assert response.status_code == 400
    content = response.content.decode()
    assert "From: Enter a valid date." in content
    assert "Kind: Select a valid choice." in content


def test_the_stored_vector_follows_the_row(client, series, member):
    meeting = MeetingFactory(series=series)
    (item,) = research_items_add(meeting=meeting, text="the old capybara", by=member)

    assert "1 match" in _search(client, q="capybara")
    ResearchItem.objects.filter(pk=item.pk).update(text="the new tapir")

    assert "0 matches" in _search(client, q="capybara")
    assert "1 match" in _search(client, q="tapir")


def test_ranked_with_the_stored_weights(series, member):
    if connection.vendor != "postgresql":
        pytest.skip("ranking is PostgreSQL's")
    in_abstract, _ = library.resource_add(url="https://example.org/b", by=member, title="Something else")
    in_abstract.abstract = "Mentions a lemur once."
    in_abstract.save()
    library.resource_index(resource=in_abstract)
    in_title, _ = library.resource_add(url="https://example.org/a", by=member, title="Lemur behaviour")

    hits = search_everything(user=member, filters=SearchFilters(q="lemur")).object_list

    assert [hit.obj.pk for hit in hits] == [in_title.pk, in_abstract.pk]
    assert hits[0].obj.pk == in_title.pk


def test_search_query_count_does_not_grow(client, series, member):
    client.force_login(member)

    def grow(start, n):
        for k in range(start, start + n):
            meeting = MeetingFactory(series=series, title=f"Gecko {k}")
            TalkFactory(meeting=meeting, speaker=UserFactory(), title="gecko talk")
            research_items_add(meeting=meeting, text="gecko item", by=member)
            library.resource_add(url=f"https://example.org/gecko/{k}", by=member, title=f"gecko paper {k}")

    captured_large = []

    def measure():
        with CaptureQueriesContext(connection) as captured:
            content = _search(client, q="gecko")
        captured_large[:] = captured.captured_queries
        return content, len(captured.captured_queries)

    grow(0, 2)
    small, small_count = measure()
    grow(2, 10)
    large, large_count = measure()

    assert "8 matches for" in small, re.findall(r"\d+ match\w* for", small)
    assert "48 matches for" in large
    assert large.count('class="search-hit') == 20
    # Session, user, the series filter's choices, the count, the page; then one per kind shown.
    for content, count in ((small, small_count), (large, large_count)):
        kinds_shown = set(re.findall(r'class="search-hit kind-(\w+)"', content))
        assert count == 5 + len(kinds_shown), "\n".join(q["sql"][:120] for q in captured_large)
