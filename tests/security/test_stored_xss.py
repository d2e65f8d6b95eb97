"""Stored XSS: every vector of xss_vectors.txt in every text sink, on every page the sink shows.

Each sink is one test with its own data: the vectors are written through the services the
pages, the API and the importer use (Markdown fields in chunks of CHUNK vectors, one-line
fields packed up to their length), then every page, fragment, feed and calendar where that
text appears is fetched by the series' organiser (who sees every page, the edit forms too)
and a visitor. Pages are parsed (html_check.script_findings: no script, event handler,
javascript:/data: address, frame, plugin, SVG/MathML or style may appear); an Atom feed's
HTML content is parsed the same way, and a calendar must keep exactly its own properties.
tests/e2e/test_xss_browser.py runs a sample in Chromium.
"""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting, MeetingSection, Talk
from meetings.services import queue
from meetings.services.importer import ImportFailed, markdown_import
from meetings.services.minutes import minutes_save
from meetings.services.research import research_items_add
from meetings.services.sections import section_save
from meetings.services.series import meeting_save, series_member_add, series_save
from resources.models import ReadingList, Resource
from resources.services.library import resource_add
from resources.services.metadata import metadata_fetch
from resources.services.metadata.http import ApiClient
from resources.services.readinglists import readinglist_add, readinglist_note, readinglist_save
from tests.factories import SeriesFactory, TalkFactory, UserFactory
from tests.resources.test_metadata_fetch import api_server, apis  # noqa: F401 (fixtures)
from tests.security.html_check import script_findings

VECTORS_FILE = Path(__file__).with_name("xss_vectors.txt")


def load_vectors() -> list[str]:
    lines = VECTORS_FILE.read_text(encoding="utf-8").splitlines()
    return [line.replace("\\n", "\n") for line in lines if line.strip() and not line.startswith("#")]


VECTORS = load_vectors()
CHUNK = 40
ATOM = "{http://www.w3.org/2005/Atom}"


def chunks(items: list[str], size: int = CHUNK) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def markdown_chunks() -> list[str]:
    """The vectors as Markdown documents, CHUNK vectors each, one paragraph (or block) per vector."""
    return ["\n\n".join(chunk) for chunk in chunks(VECTORS)]


def packed(limit: int) -> list[str]:
    """The vectors as one-line values of at most limit characters (several per value where they fit)."""
    values, current = [], ""
    for vector in (" ".join(v.split()) for v in VECTORS):
        vector = vector[:limit]
        if current and len(current) + 1 + len(vector) > limit:
            values.append(current)
            current = vector
        else:
            current = f"{current} {vector}" if current else vector
    return [*values, current]


def test_corpus_has_at_least_150_vectors_of_every_category():
    text = VECTORS_FILE.read_text(encoding="utf-8")

    assert len(VECTORS) >= 150
    assert len(set(VECTORS)) == len(VECTORS)
    for category in ("script", "event handlers", "javascript:", "frames", "SVG and MathML", "comments",
                     "entities", "Markdown", "KaTeX"):  # fmt: skip
        assert f"# -- {category}" in text or category in text, category
    assert "Provenance" in text


# --- checking what a page, a feed or a calendar holds ---------------------------------------


class Club:
    """A public series with an organiser and a member, and the clients that read it."""

    def __init__(self):
        self.organiser = UserFactory(username="grace", display_name="Grace Hopper")
        self.member = UserFactory(username="ada", display_name="Ada Lovelace")
        self.series = SeriesFactory(
            name="Open club",
            slug="open",
            visibility="public",
            organisers=[self.organiser],
            members=[self.organiser, self.member],
        )
        self.organiser_client = Client()
        self.organiser_client.force_login(self.organiser)
        self.visitor = Client()
        self.checked: list[str] = []

    def meeting(self, n: int, **fields) -> Meeting:
        fields.setdefault("title", f"Meeting {n}")
        return meeting_save(
            meeting=Meeting(series=self.series, start=timezone.now() + timedelta(days=n), **fields),
            by=self.organiser,
        )

    def url(self, name: str, **kwargs) -> str:
        query = kwargs.pop("query", "")
        return reverse(name, kwargs=kwargs) + (f"?{query}" if query else "")

    def pages(self, *urls: str, visitor: bool = False) -> None:
        """Every URL is a page (or fragment) with nothing in it that would run script.

        Read by the organiser, and by a visitor too where asked (the pages that list many
        objects): their pages differ only in the controls around the same text."""
        for url in urls:
            clients = (self.organiser_client, self.visitor) if visitor else (self.organiser_client,)
            for client in clients:
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
                assert response["Content-Type"].startswith("text/html"), url
                findings = script_findings(response.content.decode())
                assert findings == [], (url, findings[:5])
            self.checked.append(url)

    def feed(self, url: str, *, entries: int | None = None) -> None:
        """An Atom feed that parses, whose HTML parts hold nothing that would run script."""
        response = self.visitor.get(url)
        assert response.status_code == 200, url
        root = ET.fromstring(response.content)
        found = root.findall(f"{ATOM}entry")
        if entries is not None:
            assert len(found) == entries, url
        for element in root.iter():
            if element.get("type") == "html" and element.text:
                assert script_findings(element.text) == [], (url, element.tag)
            elif element.get("type") == "xhtml":
                raise AssertionError(f"{url}: XHTML content would be rendered as markup")
        self.checked.append(url)

    def calendar(self, url: str, *, events: int) -> None:
        """A calendar that parses into exactly its events, each with only the properties we write."""
        response = self.visitor.get(url)
        assert response.status_code == 200, url
        calendar = icalendar.Calendar.from_ical(response.content)
        found = list(calendar.walk("VEVENT"))
        assert len(found) == events, url
        allowed = {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "LOCATION", "URL",
                   "STATUS", "SEQUENCE", "LAST-MODIFIED", "CREATED", "CATEGORIES", "TRANSP"}  # fmt: skip
        for event in found:
            assert set(event.keys()) <= allowed, set(event.keys()) - allowed
        self.checked.append(url)


@pytest.fixture
def club(db, settings):
    settings.QUEUE_SUGGESTIONS_PER_WEEK = 10_000
    return Club()


def meeting_pages(club, meeting, *, minutes=False):
    """A meeting's own pages."""
    urls = [club.url("meeting-detail", slug=club.series.slug, pk=meeting.pk)]
    if minutes:
        urls.append(club.url("minutes-history", slug=club.series.slug, pk=meeting.pk, kind_slug=minutes))
    return urls


def series_pages(club):
    """The pages that list the series' meetings."""
    return [
        club.url("series-detail", slug=club.series.slug),
        club.url("dashboard"),
        club.url("series-rota", slug=club.series.slug),
    ]


# --- the sinks -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["minutes", "recap"])
def test_minutes_and_recaps(club, kind):
    meetings = []
    for n, body in enumerate(markdown_chunks(), start=1):
        meeting = club.meeting(n)
        minutes_save(meeting=meeting, kind=kind, body=body, base_revision=0, by=club.member)
        meetings.append(meeting)

    for meeting in meetings:
        club.pages(*meeting_pages(club, meeting, minutes=kind))
        club.pages(club.url("minutes-edit", slug=club.series.slug, pk=meeting.pk, kind_slug=kind))
    club.pages(*series_pages(club), visitor=True)
    club.pages(club.url("search", query="q=alert"), club.url("search", query="q=script"), visitor=True)
    club.feed(club.url("series-minutes-feed", slug=club.series.slug))
    assert len(club.checked) >= 3 * len(meetings)


def test_agendas(club):
    meetings = [club.meeting(n, agenda=body) for n, body in enumerate(markdown_chunks(), start=1)]

    for meeting in meetings:
        club.pages(*meeting_pages(club, meeting))
        club.pages(club.url("meeting-edit", slug=club.series.slug, pk=meeting.pk))
    club.pages(*series_pages(club), visitor=True)
    club.calendar(club.url("series-calendar", slug=club.series.slug), events=len(meetings))


def test_sections(club):
    meeting = club.meeting(1)
    headings = packed(300)
    for n, body in enumerate(markdown_chunks()):
        section_save(
            section=MeetingSection(
                meeting=meeting, kind="notes", heading=headings[n % len(headings)], body=body, position=n
            ),
            by=club.organiser,
        )

    assert meeting.sections.count() == len(markdown_chunks())
    club.pages(*meeting_pages(club, meeting), *series_pages(club))


def test_research_item_text(club):
    saved, refused = 0, 0
    for n, chunk in enumerate(chunks(VECTORS), start=1):
        meeting = club.meeting(n)
        for vector in chunk:
            try:
                saved += len(research_items_add(meeting=meeting, text=vector[:1000], by=club.member))
            except ValidationError:
                refused += 1  # a line the parser refuses (say, an @name nobody has) is not stored
    assert saved >= len(VECTORS) - refused and saved > 150

    for meeting in Meeting.objects.filter(series=club.series):
        club.pages(club.url("meeting-detail", slug=club.series.slug, pk=meeting.pk))
        club.pages(club.url("research-board", query=f"meeting={meeting.pk}&status=all"))
    for page in range(1, saved // 30 + 2):
        club.pages(club.url("research-board", query=f"status=all&page={page}"))
    for item in club.series.meetings.first().research_items.all()[:5]:
        club.pages(club.url("research-edit", pk=item.pk))


def test_talk_titles(club):
    titles = packed(300)
    meetings = []
    for n, chunk in enumerate(chunks(titles, 4), start=1):
        meeting = club.meeting(n)
        for title in chunk:
            TalkFactory(meeting=meeting, speaker=club.member, title=title)
        meetings.append(meeting)

    assert Talk.objects.count() == len(titles)
    for meeting in meetings:
        club.pages(*meeting_pages(club, meeting))
        club.pages(club.url("meeting-edit", slug=club.series.slug, pk=meeting.pk))
    club.pages(*series_pages(club), visitor=True)
    club.calendar(club.url("series-calendar", slug=club.series.slug), events=len(meetings))


def test_series_name_and_description(club):
    names, descriptions = packed(200), markdown_chunks()
    all_series = []
    for n, description in enumerate(descriptions):
        series = SeriesFactory(
            name=names[n % len(names)],
            slug=f"hostile-{n}",
            visibility="public",
            description=description,
            location=packed(200)[n % len(names)],
            organisers=[club.organiser],
            members=[club.organiser],
        )
        series_save(series=series, by=club.organiser)
        meeting_save(
            meeting=Meeting(series=series, start=timezone.now() + timedelta(days=n + 1)), by=club.organiser
        )
        all_series.append(series)

    club.pages(club.url("series-list"), club.url("dashboard"), club.url("research-board"), visitor=True)
    for series in all_series:
        assert series.description_html
        club.pages(club.url("series-detail", slug=series.slug), club.url("series-rota", slug=series.slug))
        # The organisers' pages, whose forms name the series (the import form's help text did,
        # unescaped, until the series name was found here).
        club.pages(
            club.url("series-edit", slug=series.slug),
            club.url("series-import", slug=series.slug),
            club.url("series-members", slug=series.slug),
            club.url("series-rota-generate", slug=series.slug),
            club.url("series-calendar-links", slug=series.slug),
            club.url("series-queue", slug=series.slug),
            club.url("readinglist-create"),
            club.url("rota-availability"),
        )
        club.calendar(club.url("series-calendar", slug=series.slug), events=1)


def test_meeting_title_and_location(club):
    titles, locations = packed(300), packed(200)
    meetings = [
        club.meeting(n, title=title, location=locations[n % len(locations)])
        for n, title in enumerate(titles, start=1)
    ]
    for meeting in meetings:
        minutes_save(meeting=meeting, kind="minutes", body="Notes.", base_revision=0, by=club.member)
        research_items_add(meeting=meeting, text="read the paper", by=club.member)

    for meeting in meetings:
        club.pages(
            club.url("meeting-detail", slug=club.series.slug, pk=meeting.pk),
            club.url("research-board", query=f"meeting={meeting.pk}"),
            club.url("minutes-history", slug=club.series.slug, pk=meeting.pk, kind_slug="minutes"),
        )
    club.pages(
        club.url("series-detail", slug=club.series.slug),
        club.url("series-rota", slug=club.series.slug),
        club.url("dashboard"),
        club.url("research-board"),
        visitor=True,
    )
    club.calendar(club.url("series-calendar", slug=club.series.slug), events=len(meetings))
    club.feed(club.url("series-minutes-feed", slug=club.series.slug))


def test_resource_title_notes_and_tags(club):
    titles, notes, tags = packed(500), markdown_chunks(), packed(100)
    resources = []
    for n, title in enumerate(titles):
        resource, _ = resource_add(
            url=f"https://example.org/hostile/{n}",
            by=club.member,
            title=title,
            notes=notes[n % len(notes)],
            tags=tags[n * 3 : n * 3 + 3] or tags[:2],
        )
        resources.append(resource)

    for resource in resources:
        club.pages(
            club.url("resource-detail", pk=resource.pk),
            club.url("resource-status", pk=resource.pk),
            visitor=False,
        )
        club.pages(club.url("resource-edit", pk=resource.pk))
    for page in range(1, len(resources) // 30 + 2):
        club.pages(club.url("library", query=f"page={page}"))
    club.pages(club.url("search", query="q=alert"), club.url("library-tags"))
    for tag in tags[:5]:
        club.pages(club.url("library", query=f"tag={tag}"))
    club.feed(club.url("library-feed"))


def test_reading_list_names_and_notes(club):
    names, notes = packed(200), markdown_chunks()
    resource, _ = resource_add(url="https://example.org/paper", by=club.member, title="A paper")
    lists = []
    for n, name in enumerate(names):
        reading_list = readinglist_save(
            reading_list=ReadingList(
                title=name, description=notes[n % len(notes)], series=club.series, is_public=True
            ),
            by=club.member,
        )
        item = readinglist_add(reading_list=reading_list, resource=resource, by=club.member)
        readinglist_note(item=item, note=notes[(n + 1) % len(notes)])
        lists.append((reading_list, item))

    club.pages(club.url("readinglist-list"), club.url("resource-detail", pk=resource.pk), visitor=True)
    for reading_list, item in lists:
        club.pages(club.url("readinglist-detail", pk=reading_list.pk))
        club.pages(
            club.url("readinglist-edit", pk=reading_list.pk),
            club.url("readinglist-note", pk=reading_list.pk, item_pk=item.pk),
        )
        club.feed(club.url("readinglist-feed", pk=reading_list.pk), entries=1)


def test_suggestion_pitch_and_comments(club):
    suggestions = []
    for n, body in enumerate(markdown_chunks()):
        suggestion = queue.suggestion_create(
            series=club.series, url=f"https://example.org/queued/{n}", by=club.member, pitch=body
        ).suggestion
        queue.suggestion_comment_add(suggestion=suggestion, by=club.member, body=body)
        suggestions.append(suggestion)

    club.pages(club.url("series-queue", slug=club.series.slug), visitor=True)
    for suggestion in suggestions:
        club.pages(club.url("suggestion-detail", slug=club.series.slug, pk=suggestion.pk))
        club.pages(club.url("suggestion-edit", slug=club.series.slug, pk=suggestion.pk))
    club.feed(club.url("series-queue-feed", slug=club.series.slug), entries=len(suggestions))


def test_display_names(club):
    names = packed(150)
    people = [UserFactory(username=f"hostile{n}", display_name=name) for n, name in enumerate(names)]
    meeting = club.meeting(1)
    for n, person in enumerate(people):
        series_member_add(series=club.series, user=person, by=club.organiser)
        TalkFactory(meeting=meeting, speaker=person, title=f"Talk {n}")
        minutes_save(meeting=meeting, kind="minutes", body=f"Revision {n}", base_revision=n, by=person)
        research_items_add(meeting=meeting, text=f"read paper {n} @{person.username}", by=person)
    queue.suggestion_create(
        series=club.series, url="https://example.org/queued", by=people[0], pitch="Read it"
    )

    club.pages(
        club.url("meeting-detail", slug=club.series.slug, pk=meeting.pk),
        club.url("minutes-history", slug=club.series.slug, pk=meeting.pk, kind_slug="minutes"),
        club.url("series-rota", slug=club.series.slug),
        club.url("research-board", query="status=all"),
        club.url("series-queue", slug=club.series.slug),
        club.url("dashboard"),
        visitor=True,
    )
    club.pages(club.url("series-members", slug=club.series.slug))
    club.feed(club.url("series-queue-feed", slug=club.series.slug), entries=1)  # "suggested by ..."
    for person in people[:3]:
        client = Client()
        client.force_login(person)
        for url in (club.url("profile"), club.url("dashboard")):
            assert script_findings(client.get(url).content.decode()) == [], url


# --- fetched metadata: a malicious server playing arXiv and Crossref -------------------------


def _arxiv_feed(entries: list[tuple[str, str, list[str], str]]) -> bytes:
    """An arXiv API answer (Atom, as export.arxiv.org sends it) holding these entries."""
    feed = ET.Element(f"{ATOM}feed")
    ET.SubElement(feed, "{http://a9.com/-/spec/opensearch/1.1/}totalResults").text = str(len(entries))
    for arxiv_id, title, authors, summary in entries:
        entry = ET.SubElement(feed, f"{ATOM}entry")
        ET.SubElement(entry, f"{ATOM}id").text = f"http://arxiv.org/abs/{arxiv_id}v1"
        ET.SubElement(entry, f"{ATOM}published").text = "2016-05-26T17:22:41Z"
        ET.SubElement(entry, f"{ATOM}updated").text = "2016-05-26T17:22:41Z"
        ET.SubElement(entry, f"{ATOM}title").text = title
        ET.SubElement(entry, f"{ATOM}summary").text = summary
        for name in authors:
            ET.SubElement(ET.SubElement(entry, f"{ATOM}author"), f"{ATOM}name").text = name
        ET.SubElement(entry, "{http://arxiv.org/schemas/atom}comment").text = title
        ET.SubElement(entry, "{http://arxiv.org/schemas/atom}journal_ref").text = summary[:200]
    return ET.tostring(feed, xml_declaration=True, encoding="utf-8")


def _crossref_work(doi: str, title: str, authors: list[str], abstract: str) -> bytes:
    """A Crossref /works/{doi} answer holding these fields."""
    message = {
        "DOI": doi,
        "type": "journal-article",
        "title": [title],
        "author": [{"given": name, "family": name} for name in authors],
        "abstract": f"<jats:p>{abstract}</jats:p>",
        "container-title": [title],
        "publisher": title,
        "issued": {"date-parts": [[2020, 1, 2]]},
    }
    return json.dumps({"status": "ok", "message-type": "work", "message": message}).encode()


@pytest.mark.django_db(transaction=True)
def test_fetched_metadata(apis, settings):  # noqa: F811 (the fixture imported above)
    """The local API server of the metadata tests, playing a malicious arXiv and Crossref."""
    settings.QUEUE_SUGGESTIONS_PER_WEEK = 10_000
    settings.METADATA_RETRIES = 0
    malicious_apis = apis
    club = Club()
    titles, names = packed(300), packed(120)
    bodies = ["\n".join(chunk) for chunk in chunks(VECTORS, 10)]
    count = min(len(titles), 12)
    arxiv = [
        (f"1605.{10000 + n}", titles[n], names[n * 2 : n * 2 + 2] or names[:1], bodies[n % len(bodies)])
        for n in range(count)
    ]
    malicious_apis.expect_request("/api/query").respond_with_data(
        _arxiv_feed(arxiv), headers={"Content-Type": "application/atom+xml; charset=UTF-8"}
    )
    dois = [f"10.1234/hostile.{n}" for n in range(count)]
    for n, doi in enumerate(dois):
        malicious_apis.expect_request(f"/crossref/works/{doi}").respond_with_data(
            _crossref_work(doi, titles[-1 - n], names[n : n + 2], bodies[-1 - n % len(bodies)]),
            headers={"Content-Type": "application/json"},
        )
    resources = [
        resource_add(url=f"https://arxiv.org/abs/{arxiv_id}", by=club.member)[0] for arxiv_id, *_ in arxiv
    ] + [resource_add(url=f"https://doi.org/{doi}", by=club.member)[0] for doi in dois]
    meeting = club.meeting(1)
    for resource in resources[:4]:
        TalkFactory(meeting=meeting, speaker=club.member, title="", resource=resource)
        queue.suggestion_create(series=club.series, url=resource.url, by=club.member)

    metadata_fetch(resource_ids=[r.pk for r in resources], client=ApiClient(sleep=lambda seconds: None))

    done = Resource.objects.filter(pk__in=[r.pk for r in resources], metadata_state="done")
    assert done.count() == len(resources)
    # The vectors arrived, as text (Crossref's markup is stripped: a title of tags alone is empty).
    assert sum(bool(r.title and r.authors and r.abstract) for r in done) >= len(resources) // 2
    assert any("<" in r.title for r in done) and any("<" in r.abstract for r in done)
    for resource in resources:
        club.pages(
            club.url("resource-detail", pk=resource.pk),
            club.url("resource-status", pk=resource.pk),
            visitor=False,
        )
    club.pages(
        club.url("library"),
        club.url("search", query="q=alert"),
        club.url("meeting-detail", slug=club.series.slug, pk=meeting.pk),
        club.url("series-queue", slug=club.series.slug),
    )
    club.feed(club.url("library-feed"))
    club.feed(club.url("series-queue-feed", slug=club.series.slug))


# --- imported documents ------------------------------------------------------------------------


def _hostile_document() -> str:
    """A club's Markdown document (the shape of meetings/demo/ml-club-minutes.md) full of vectors."""
    parts = ["# Outline: the hostile club", "", VECTORS[0], "", "---", ""]
    for n, chunk in enumerate(chunks(VECTORS, 20), start=1):
        parts += [f"# Meeting {n} - MONDAY {n + 1}th October", "", "## Minutes:", ""]
        parts += [f"- {' '.join(v.split())}" for v in chunk]
        parts += ["", "## Post-meeting Recap:", "", *chunk, ""]
    return "\n".join(parts)


def test_imported_documents(club):
    try:
        result = markdown_import(
            documents=[("hostile.md", _hostile_document())],
            series_slug=club.series.slug,
            year=2020,
            by=club.organiser,
        )
    except ImportFailed as failure:
        pytest.fail(f"the importer refused the document: {failure}")

    meetings = list(Meeting.objects.filter(series=club.series))
    # Some vectors are headings ("# ..."), which the importer rightly reads as meetings' starts.
    assert result.counts["meetings"]["created"] == len(meetings) >= 5
    for meeting in meetings:
        club.pages(*meeting_pages(club, meeting, minutes="minutes"))
    club.pages(*series_pages(club), visitor=True)
    club.pages(club.url("library"), club.url("research-board", query="status=all"))
    club.feed(club.url("series-minutes-feed", slug=club.series.slug))
