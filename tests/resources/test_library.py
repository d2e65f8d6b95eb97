from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.services.minutes import minutes_save
from resources.models import Mention, ReadingList, ReadingListItem, Resource
from resources.services import library, readinglists
from tests.factories import MeetingFactory, ResourceFactory, SeriesFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _add(client, **data):
    return client.post(reverse("resource-add"), {"title": "", "kind": "", "tags": "", "notes": "", **data})


# One record per paper


def test_resource_add_arxiv_pdf_then_abs_gives_one_resource_with_both_tags(member_client):
    first = _add(member_client, url="https://arxiv.org/pdf/1707.08567v2", tags="gravity")
    second = _add(member_client, url="https://arxiv.org/abs/1707.08567", tags="Review, ML")

    resource = Resource.objects.get()
    assert first["Location"] == second["Location"] == resource.get_absolute_url()
    assert (resource.arxiv_id, resource.arxiv_version, resource.kind) == ("1707.08567", 2, "paper")
    assert sorted(resource.tags.names(), key=str.lower) == ["gravity", "ML", "Review"]


@pytest.mark.parametrize(
    "forms",
    [
        [
            "https://iopscience.iop.org/article/10.1088/2632-2153/abb93a",
            "https://doi.org/10.1088/2632-2153/ABB93A",
            "doi:10.1088/2632-2153/abb93a",
            "http://dx.doi.org/10.1088/2632-2153/abb93a",
        ],
        ["https://onlinelibrary.wiley.com/doi/full/10.1002/sam.11583", "https://doi.org/10.1002%2Fsam.11583"],
    ],
)
def test_resource_add_doi_forms_give_one_resource(member, forms):
    for index, url in enumerate(forms):
        library.resource_add(url=url, by=member, tags=[f"t{index}"])

    resource = Resource.objects.get()
    assert resource.doi == parse_doi_lower(forms[-1])
    assert sorted(resource.tags.names()) == sorted(f"t{i}" for i in range(len(forms)))


def parse_doi_lower(url):
    from resources.services.links import parse_link

    return parse_link(url).doi


def test_resource_add_tags_are_case_insensitive(member):
    a, _ = library.resource_add(url="https://example.org/a", by=member, tags=["GANs"])
    b, _ = library.resource_add(url="https://example.org/b", by=member, tags=["gans"])

    assert list(a.tags.names()) == ["GANs"]
    assert list(b.tags.names()) == ["GANs"]


def test_resource_add_invalid_link_is_a_form_error_keeping_input(member_client):
    response = _add(member_client, url="javascript:alert(1)", title="kept title")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Only http and https links can be added" in content
    assert 'value="kept title"' in content
    assert not Resource.objects.exists()


def test_resource_add_impossible_arxiv_id_is_refused(member):
    with pytest.raises(Exception) as caught:
        library.resource_add(url="https://arxiv.org/abs/1713.00001", by=member)

    assert "url" in caught.value.message_dict
    assert not Resource.objects.exists()


def test_resource_add_member_title_is_locked(member):
    resource, _ = library.resource_add(url="https://arxiv.org/abs/1707.08567", by=member, title="My title")

    assert (resource.title, resource.title_locked) == ("My title", True)


def test_resource_add_refused_for_visitors(client):
    response = _add(client, url="https://example.org/x")

    assert response["Location"].startswith(reverse("login"))
    assert not Resource.objects.exists()


def test_resource_add_bookmarklet_prefills_the_form(member_client):
    response = member_client.get(
        reverse("resource-add"), {"url": "https://example.org/post", "title": "A post"}
    )

    content = response.content.decode()
    assert 'value="https://example.org/post"' in content
    assert 'value="A post"' in content


def test_library_page_offers_a_bookmarklet_to_members(member_client):
    content = member_client.get(reverse("library")).content.decode()

    assert "javascript:(function(){window.open(" in content
    assert "/library/add/?" in content


# Mentions from minutes


def test_minutes_links_become_resources_with_mentions(series, member):
    meeting = MeetingFactory(series=series)
    body = (
        "- https://pytorch.org/tutorials/\n"
        "- [DeepLizard](https://www.youtube.com/watch?v=gZmobeGL0Yg&list=PLZbbT5o_s2xq7LwI2y8_QtvuXZedL6tQU)\n"
        "- https://iopscience.iop.org/article/10.1088/2632-2153/abb93a GW ML review 2020\n"
    )

    minutes_save(meeting=meeting, kind="minutes", body=body, base_revision=0, by=member)

    kinds = dict(Resource.objects.values_list("url", "kind"))
    assert kinds == {
        "https://pytorch.org/tutorials/": "tutorial",
        "https://www.youtube.com/watch?v=gZmobeGL0Yg": "video",
        "https://doi.org/10.1088/2632-2153/abb93a": "paper",
    }
    assert Mention.objects.filter(meeting=meeting, section="minutes").count() == 3


def test_minutes_edit_removing_a_link_removes_only_that_mention(series, member):
    meeting = MeetingFactory(series=series)
    minutes_save(
        meeting=meeting,
        kind="minutes",
        body="https://a.example.org/ https://b.example.org/ https://c.example.org/",
        base_revision=0,
        by=member,
    )

    minutes_save(
        meeting=meeting,
        kind="minutes",
        body="https://a.example.org/ https://c.example.org/",
        base_revision=1,
        by=member,
    )

    assert Resource.objects.count() == 3
    assert sorted(Mention.objects.values_list("resource__url", flat=True)) == [
        "https://a.example.org/",
        "https://c.example.org/",
    ]


def test_recap_and_minutes_mentions_are_kept_apart(series, member):
    meeting = MeetingFactory(series=series)
    minutes_save(meeting=meeting, kind="minutes", body="https://a.example.org/", base_revision=0, by=member)
    minutes_save(meeting=meeting, kind="recap", body="https://a.example.org/", base_revision=0, by=member)

    minutes_save(meeting=meeting, kind="recap", body="nothing", base_revision=1, by=member)

    assert list(Mention.objects.values_list("section", flat=True)) == ["minutes"]


def test_resource_page_lists_where_it_was_mentioned(client, series, member):
    meeting = MeetingFactory(series=series, start=None, title="Kick-off")
    from tests.factories import local

    dated = MeetingFactory(series=series, start=local(2020, 10, 12))
    minutes_save(
        meeting=dated, kind="minutes", body="https://pytorch.org/tutorials/", base_revision=0, by=member
    )
    minutes_save(
        meeting=meeting, kind="recap", body="https://pytorch.org/tutorials/", base_revision=0, by=member
    )
    resource = Resource.objects.get()

    content = client.get(resource.get_absolute_url()).content.decode()

    assert "IGR-data ML Club, 12 Oct 2020, minutes" in content
    assert "IGR-data ML Club, Kick-off, recap" in content


def test_meeting_page_lists_its_materials(client, series, member):
    meeting = MeetingFactory(series=series)
    minutes_save(
        meeting=meeting,
        kind="minutes",
        body="[Tutorial](https://pytorch.org/tutorials/)",
        base_revision=0,
        by=member,
    )

    content = client.get(meeting.get_absolute_url()).content.decode()

    resource = Resource.objects.get()
    assert f'href="{resource.get_absolute_url()}"' in content
    assert "in the minutes" in content


# Visibility


def test_visitors_see_only_resources_of_public_series(client, series, private_series, member):
    public = MeetingFactory(series=series)
    private = MeetingFactory(series=private_series)
    minutes_save(
        meeting=public, kind="minutes", body="https://public.example.org/", base_revision=0, by=member
    )
    minutes_save(
        meeting=private, kind="minutes", body="https://private.example.org/", base_revision=0, by=member
    )
    hidden = Resource.objects.get(url="https://private.example.org/")

    content = client.get(reverse("library")).content.decode()

    assert "https://public.example.org/" in content
    assert "https://private.example.org/" not in content
    assert client.get(hidden.get_absolute_url()).status_code == 404


def test_members_see_the_whole_library(member_client, member):
    library.resource_add(url="https://unmentioned.example.org/", by=member)

    assert "https://unmentioned.example.org/" in member_client.get(reverse("library")).content.decode()


# Filters, sorting, tags


def test_library_filter_by_several_tags_requires_all(member_client, member):
    library.resource_add(url="https://example.org/both", by=member, tags=["gans", "review"])
    library.resource_add(url="https://example.org/one", by=member, tags=["gans"])

    content = member_client.get(reverse("library") + "?tag=gans&tag=Review").content.decode()

    assert "https://example.org/both" in content
    assert "https://example.org/one" not in content


def test_library_filter_by_kind_health_series_and_adder(member_client, member, other_member, series):
    ResourceFactory(url="https://example.org/video", kind="video", added_by=member)
    ResourceFactory(url="https://example.org/broken", kind="paper", health="broken", added_by=other_member)
    meeting = MeetingFactory(series=series)
    minutes_save(
        meeting=meeting, kind="minutes", body="https://example.org/in-series", base_revision=0, by=member
    )

    def urls(**params):
        content = member_client.get(reverse("library"), params).content.decode()
        return {u for u in ("video", "broken", "in-series") if f"https://example.org/{u}" in content}

    assert urls(kind="video") == {"video"}
    assert urls(health="broken") == {"broken"}
    assert urls(series="ml-club") == {"in-series"}
    assert urls(added_by="alan") == {"broken"}


def test_library_sorts_by_title(member_client):
    ResourceFactory(title="Zebra", url="https://example.org/z")
    ResourceFactory(title="Aardvark", url="https://example.org/a")

    content = member_client.get(reverse("library"), {"sort": "title"}).content.decode()

    assert content.index("Aardvark") < content.index("Zebra")


def test_library_paginates(member_client):
    for n in range(30):
        ResourceFactory(url=f"https://example.org/{n}")

    first = member_client.get(reverse("library")).content.decode()
    second = member_client.get(reverse("library"), {"page": 2}).content.decode()

    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert "30 resources" in first


def test_library_tag_list_counts(member_client, member):
    library.resource_add(url="https://example.org/1", by=member, tags=["gans"])
    library.resource_add(url="https://example.org/2", by=member, tags=["GANS", "review"])

    content = member_client.get(reverse("library")).content.decode()

    assert '#gans</a> <span class="counts">2</span>' in content
    assert '#review</a> <span class="counts">1</span>' in content


def test_library_query_count_is_fixed(member_client, member, django_assert_max_num_queries):
    for n in range(40):
        library.resource_add(url=f"https://example.org/{n}", by=member, tags=[f"tag{n % 7}", "common"])

    with django_assert_max_num_queries(12):
        member_client.get(reverse("library"), {"tag": "common"})


def test_resource_page_query_count_is_fixed(client, series, member, django_assert_max_num_queries):
    for _ in range(10):
        meeting = MeetingFactory(series=series)
        minutes_save(
            meeting=meeting, kind="minutes", body="https://pytorch.org/tutorials/", base_revision=0, by=member
        )
    resource = Resource.objects.get()
    resource.tags.add("a", "b", "c")
    client.force_login(member)

    with django_assert_max_num_queries(12):
        client.get(resource.get_absolute_url())


# Editing and tags management


def test_resource_edit_saves_fields_and_keeps_title_locked(member_client, member):
    resource, _ = library.resource_add(url="https://example.org/x", by=member, tags=["old"])

    member_client.post(
        reverse("resource-edit", kwargs={"pk": resource.pk}),
        {"title": "Better title", "kind": "article", "tags": "new, Shiny", "notes": "Read **this**"},
    )

    resource.refresh_from_db()
    assert (resource.title, resource.title_locked, resource.kind) == ("Better title", True, "article")
    assert sorted(resource.tags.names(), key=str.lower) == ["new", "Shiny"]
    assert resource.notes_html == "<p>Read <strong>this</strong></p>"


def test_resource_notes_are_sanitised(member):
    resource, _ = library.resource_add(
        url="https://example.org/x", by=member, notes="<script>x()</script>[a](javascript:x)"
    )

    assert "<script" not in resource.notes_html
    assert "javascript:" not in resource.notes_html


def test_fetched_title_is_escaped_on_pages(member_client):
    resource = ResourceFactory(title='<img src=x onerror="alert(1)">', abstract="<script>alert(2)</script>")

    content = member_client.get(resource.get_absolute_url()).content.decode()

    assert "<img src=x" not in content
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in content
    assert "<script>alert(2)" not in content


def test_tags_rename_and_merge_by_organiser(organiser_client, series, member):
    a, _ = library.resource_add(url="https://example.org/a", by=member, tags=["GAN"])
    b, _ = library.resource_add(url="https://example.org/b", by=member, tags=["gans"])
    from taggit.models import Tag

    organiser_client.post(
        reverse("library-tags"), {"action": "rename", "tag": Tag.objects.get(name="GAN").pk, "name": "GANs"}
    )
    organiser_client.post(reverse("library-tags"), {"action": "merge", "sources": "GANs", "target": "gans"})

    assert list(Tag.objects.values_list("name", flat=True)) == ["gans"]
    assert list(a.tags.names()) == ["gans"] and list(b.tags.names()) == ["gans"]


def test_tags_page_refused_for_members(member_client):
    assert member_client.get(reverse("library-tags")).status_code == 403


def test_resource_delete_only_by_organisers(client, series, member, organiser):
    resource, _ = library.resource_add(url="https://example.org/a", by=member)

    client.force_login(member)
    client.post(reverse("resource-delete", kwargs={"pk": resource.pk}))
    assert Resource.objects.filter(pk=resource.pk).exists()
    client.force_login(organiser)
    client.post(reverse("resource-delete", kwargs={"pk": resource.pk}))
    assert not Resource.objects.filter(pk=resource.pk).exists()


# Search


def test_search_finds_resource_by_abstract_word_with_highlight(member_client, member):
    resource, _ = library.resource_add(url="https://arxiv.org/abs/1707.08567", by=member, title="Gravity Spy")
    resource.abstract = "We classify transient noise glitches in LIGO detectors using citizen science."
    resource.save()
    library.resource_index(resource=resource)
    library.resource_add(url="https://example.org/other", by=member, title="Unrelated")

    content = member_client.get(reverse("search"), {"q": "glitches"}).content.decode()

    assert "Gravity Spy" in content
    assert "Unrelated" not in content
    if connection.vendor == "postgresql":
        assert "<mark>glitches</mark>" in content
    else:
        assert "<mark>glitches</mark>" in content


def test_search_stems_words_on_postgresql(member_client, member):
    if connection.vendor != "postgresql":
        pytest.skip("stemming is a PostgreSQL full-text feature")
    resource, _ = library.resource_add(url="https://example.org/a", by=member, title="Classifying galaxies")

    content = member_client.get(reverse("search"), {"q": "classified galaxy"}).content.decode()

    assert "Classifying galaxies" in content
    assert resource.get_absolute_url() in content


def test_search_finds_minutes_text(client, series, member):
    meeting = MeetingFactory(series=series, title="Intro")
    minutes_save(
        meeting=meeting,
        kind="minutes",
        body="CVAE is a conditional variational autoencoder",
        base_revision=0,
        by=member,
    )

    content = client.get(reverse("search"), {"q": "autoencoder"}).content.decode()

    assert f'href="{meeting.get_absolute_url()}#minutes"' in content
    assert "<mark>autoencoder</mark>" in content


def test_search_snippets_escape_markup(member_client, member):
    library.resource_add(url="https://example.org/a", by=member, title="<b>bold</b> glitches")

    content = member_client.get(reverse("search"), {"q": "glitches"}).content.decode()

    assert "<b>bold</b>" not in content
    assert "&lt;b&gt;bold&lt;/b&gt;" in content


def test_search_by_tag_and_author(member_client, member):
    resource, _ = library.resource_add(url="https://example.org/a", by=member, tags=["cosmology"])
    resource.authors = [{"given": "Vera", "family": "Rubin"}]
    resource.save()
    library.resource_index(resource=resource)

    assert (
        resource.get_absolute_url()
        in member_client.get(reverse("search"), {"q": "cosmology"}).content.decode()
    )
    assert (
        resource.get_absolute_url() in member_client.get(reverse("search"), {"q": "Rubin"}).content.decode()
    )


# Reading lists


def test_readinglist_create_add_reorder_note_remove(member_client, member):
    member_client.post(
        reverse("readinglist-create"),
        {"title": "Intro to ML", "description": "Start *here*", "is_public": "on"},
    )
    reading_list = ReadingList.objects.get()
    for url in ("https://example.org/1", "https://example.org/2", "https://example.org/3"):
        member_client.post(
            reverse("readinglist-add", kwargs={"pk": reading_list.pk}), {"url": url, "note": ""}
        )
    items = list(reading_list.items.order_by("position"))

    member_client.post(
        reverse("readinglist-move", kwargs={"pk": reading_list.pk, "item_pk": items[2].pk}),
        {"direction": "up"},
    )
    member_client.post(
        reverse("readinglist-note", kwargs={"pk": reading_list.pk, "item_pk": items[0].pk}),
        {"note": "Read *first*"},
    )
    member_client.post(reverse("readinglist-remove", kwargs={"pk": reading_list.pk, "item_pk": items[1].pk}))

    order = list(reading_list.items.order_by("position").values_list("resource__url", "note_html"))
    assert order == [("https://example.org/1", "<p>Read <em>first</em></p>"), ("https://example.org/3", "")]
    assert Resource.objects.count() == 3  # removing from a list keeps the resource
    assert ReadingList.objects.get().description_html == "<p>Start <em>here</em></p>"


def test_readinglist_add_same_resource_twice_keeps_one_item(member):
    reading_list = readinglists.readinglist_save(reading_list=ReadingList(title="L"), by=member)
    resource, _ = library.resource_add(url="https://example.org/1", by=member)

    readinglists.readinglist_add(reading_list=reading_list, resource=resource)
    readinglists.readinglist_add(reading_list=reading_list, resource=resource, note="later note")

    assert list(ReadingListItem.objects.values_list("note", flat=True)) == ["later note"]


def test_resource_page_adds_to_a_reading_list(member_client, member):
    reading_list = readinglists.readinglist_save(reading_list=ReadingList(title="L"), by=member)
    resource, _ = library.resource_add(url="https://example.org/1", by=member)

    member_client.post(reverse("resource-add-to-list", kwargs={"pk": resource.pk}), {"list": reading_list.pk})

    assert list(reading_list.items.values_list("resource", flat=True)) == [resource.pk]


def test_readinglist_private_hidden_from_visitors(client, member):
    reading_list = readinglists.readinglist_save(
        reading_list=ReadingList(title="Secret", is_public=False), by=member
    )

    assert client.get(reading_list.get_absolute_url()).status_code == 404
    assert "Secret" not in client.get(reverse("readinglist-list")).content.decode()


def test_readinglist_public_readable_but_not_editable_by_visitors(client, member):
    reading_list = readinglists.readinglist_save(reading_list=ReadingList(title="Open list"), by=member)
    resource, _ = library.resource_add(url="https://example.org/1", by=member)
    readinglists.readinglist_add(reading_list=reading_list, resource=resource)

    content = client.get(reading_list.get_absolute_url()).content.decode()
    response = client.post(
        reverse("readinglist-add", kwargs={"pk": reading_list.pk}), {"url": "https://evil.example/"}
    )

    assert "https://example.org/1" in content
    assert response["Location"].startswith(reverse("login"))
    assert not Resource.objects.filter(url="https://evil.example/").exists()
    # A resource in a public list is visible to visitors.
    assert client.get(resource.get_absolute_url()).status_code == 200


def test_readinglist_bad_url_shows_error(member_client, member):
    reading_list = readinglists.readinglist_save(reading_list=ReadingList(title="L"), by=member)

    response = member_client.post(
        reverse("readinglist-add", kwargs={"pk": reading_list.pk}), {"url": "ftp://x.org/f"}
    )

    assert response.status_code == 400
    assert "Only http and https links can be added" in response.content.decode()


def test_readinglist_page_query_count_is_fixed(client, member, django_assert_max_num_queries):
    reading_list = readinglists.readinglist_save(reading_list=ReadingList(title="L"), by=member)
    for n in range(30):
        resource, _ = library.resource_add(url=f"https://example.org/{n}", by=member, tags=["x", f"t{n}"])
        readinglists.readinglist_add(reading_list=reading_list, resource=resource, note="n")
    client.force_login(member)

    with django_assert_max_num_queries(12):
        client.get(reading_list.get_absolute_url())


# Feeds


def test_library_feed_lists_new_resources(client, series, member):
    meeting = MeetingFactory(series=series)
    minutes_save(
        meeting=meeting, kind="minutes", body="https://pytorch.org/tutorials/", base_revision=0, by=member
    )

    feed = ElementTree.fromstring(client.get(reverse("library-feed")).content)

    assert [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")] == [
        "https://pytorch.org/tutorials/"
    ]


def test_tag_feed_and_readinglist_feed(client, member):
    a, _ = library.resource_add(url="https://example.org/a", by=member, title="A", tags=["gans"])
    library.resource_add(url="https://example.org/b", by=member, title="B", tags=["other"])
    reading_list = readinglists.readinglist_save(reading_list=ReadingList(title="L"), by=member)
    readinglists.readinglist_add(reading_list=reading_list, resource=a)
    client.force_login(member)

    tag_feed = ElementTree.fromstring(client.get(reverse("library-tag-feed", kwargs={"tag": "GANS"})).content)
    list_feed = ElementTree.fromstring(
        client.get(reverse("readinglist-feed", kwargs={"pk": reading_list.pk})).content
    )

    assert [e.find(f"{ATOM}title").text for e in tag_feed.findall(f"{ATOM}entry")] == ["A"]
    assert [e.find(f"{ATOM}title").text for e in list_feed.findall(f"{ATOM}entry")] == ["A"]


def test_unknown_tag_feed_is_404(client, db):
    assert client.get(reverse("library-tag-feed", kwargs={"tag": "nope"})).status_code == 404


def test_private_series_resource_not_in_visitor_feed(client, private_series, member):
    meeting = MeetingFactory(series=private_series)
    minutes_save(
        meeting=meeting, kind="minutes", body="https://private.example.org/", base_revision=0, by=member
    )

    assert b"private.example.org" not in client.get(reverse("library-feed")).content


def test_series_filter_ignores_series_visitors_cannot_see(client, private_series, member):
    SeriesFactory(slug="open")
    meeting = MeetingFactory(series=private_series)
    minutes_save(
        meeting=meeting, kind="minutes", body="https://private.example.org/", base_revision=0, by=member
    )

    content = client.get(reverse("library"), {"series": "secret"}).content.decode()

    assert "private.example.org" not in content


def test_adopt_permanent_redirect_updates_url_keeping_tags(member_client, member):
    resource, _ = library.resource_add(url="http://old.example.org/paper", by=member, tags=["keep"])
    Resource.objects.filter(pk=resource.pk).update(permanent_redirect_url="https://new.example.org/paper")

    response = member_client.post(reverse("resource-adopt-redirect", kwargs={"pk": resource.pk}), follow=True)

    resource.refresh_from_db()
    assert (resource.url, resource.permanent_redirect_url) == ("https://new.example.org/paper", "")
    assert list(resource.tags.names()) == ["keep"]
    assert "The library now stores the new address" in response.content.decode()


def test_adopt_permanent_redirect_refuses_a_clash_and_visitors(client, member):
    resource, _ = library.resource_add(url="http://old.example.org/paper", by=member)
    library.resource_add(url="https://new.example.org/paper", by=member, title="Already here")
    Resource.objects.filter(pk=resource.pk).update(permanent_redirect_url="https://new.example.org/paper")
    url = reverse("resource-adopt-redirect", kwargs={"pk": resource.pk})

    anonymous = client.post(url)
    client.force_login(member)
    content = client.post(url, follow=True).content.decode()

    assert anonymous.status_code == 404  # visitors cannot see an unmentioned resource at all
    assert "already in the library as “Already here”" in content
    resource.refresh_from_db()
    assert resource.url == "http://old.example.org/paper"


def test_resource_page_asks_whether_the_user_organises_a_series_once(client, organiser, series):
    resource = ResourceFactory(title="Kernel methods")
    client.force_login(organiser)

    def page():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(resource.get_absolute_url())
        assert response.status_code == 200
        organiser_checks = [
            q
            for q in captured.captured_queries
            if q["sql"].startswith('SELECT 1 AS "a" FROM "meetings_series_organisers"')
        ]
        return response.content.decode(), len(captured.captured_queries), organiser_checks

    small, small_count, small_checks = page()
    for _ in range(10):
        minutes_save(
            meeting=MeetingFactory(series=series),
            kind="minutes",
            body=resource.url,
            base_revision=0,
            by=organiser,
        )
    large, large_count, large_checks = page()

    assert "Kernel methods" in small and "Link health" in small and "Delete" in small
    assert large.count(series.name) >= 10
    assert len(small_checks) == len(large_checks) == 1
    assert small_count == large_count
