"""The shapes clubs write their documents in, and real documents the importer was not built on.

For each document: what a person reading it would say it holds (meetings, dates, speakers, talk
titles, research items by state, resources by kind), asserted exactly. The documents are in
tests/fixtures/samples/ (real ones with their attribution in SOURCES.md there; shapes/ written
for these tests).
"""

import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from meetings.models import Meeting, ResearchItem, Series, Talk
from meetings.services.importer import ImportFailed, markdown_import, markdown_parse
from meetings.services.importer.parse.files import documents_from_folder, documents_from_zip
from resources.models import ReadingList, Resource
from resources.services.links import parse_link

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
SHAPES = SAMPLES / "shapes"
WRITEUPS = sorted(SAMPLES.glob("data-ethics-club-writeup-*.md"))

pytestmark = pytest.mark.django_db


def _import(path: Path, slug: str, **options):
    return markdown_import(documents=[(path.name, path.read_text())], series_slug=slug, **options)


def _meetings(slug):
    return list(Meeting.objects.filter(series__slug=slug).order_by("start", "sequence"))


def _when(meeting):
    return meeting.local_start.date().isoformat() if meeting.start else None


def _talks(slug):
    return [
        (t.meeting.local_start.date().isoformat() if t.meeting.start else None, t.speaker_name, t.title)
        for t in Talk.objects.filter(meeting__series__slug=slug).select_related("meeting", "speaker")
        .order_by("meeting__start", "meeting__sequence", "order")
    ]  # fmt: skip


def _kinds(slug):
    series = Series.objects.get(slug=slug)
    resources = Resource.objects.filter(mentions__meeting__series=series) | Resource.objects.filter(
        reading_lists__series=series
    )
    return Counter(resources.distinct().values_list("kind", flat=True))


def test_schedule_table_any_column_order_html_links_and_year_headings():
    result = _import(SHAPES / "schedule-table.md", "bayes")

    series = Series.objects.get(slug="bayes")
    assert series.name == "Bayesian Reading Group"
    assert "## 2021" in series.description and "## 2022" in series.description
    assert [(_when(m), m.title, m.status) for m in _meetings("bayes")] == [
        ("2021-08-20", "Attention Is All You Need", "held"),
        ("2021-09-03", "Deep Residual Learning", "held"),
        ("2021-09-17", "Batch Normalization", "held"),
        ("2022-01-14", "Variational inference", "held"),  # "Janaury": a misspelled month is read
        ("2022-01-28", "Normalising flows", "cancelled"),
    ]
    assert _talks("bayes") == [
        ("2021-08-20", "Ada Lovelace", "Attention Is All You Need"),
        ("2021-09-03", "Alan Turing", "Deep Residual Learning"),
        ("2021-09-17", "Grace Hopper", "Batch Normalization"),
        ("2021-09-17", "Edsger Dijkstra", "Batch Normalization"),
        ("2022-01-14", "Katherine Johnson", "Variational inference"),
    ]
    attention = Talk.objects.get(guest_name="Ada Lovelace").resource
    assert (attention.arxiv_id, attention.title, attention.title_locked) == (
        "1706.03762",
        "Attention Is All You Need",
        False,  # the link text, until metadata arrives
    )
    assert _kinds("bayes") == {"paper": 2, "slides": 2, "video": 1, "other": 1}
    assert Resource.objects.get(url="https://example.org/slides/attention.pdf").kind == "slides"
    assert ResearchItem.objects.count() == 0
    assert result.warnings == []


def test_dated_list_entries_with_speakers_titles_bare_urls_and_a_struck_week():
    _import(SHAPES / "dated-list.md", "vision")

    assert [(_when(m), m.title, m.status) for m in _meetings("vision")] == [
        ("2023-03-14", "Attention Is All You Need", "held"),
        ("2023-03-21", "Denoising Diffusion Probabilistic Models", "held"),
        ("2023-03-28", "Masked Autoencoders", "held"),
        ("2023-04-04", "(Easter)", "cancelled"),
        ("2023-04-11", "Segment Anything", "held"),
    ]
    assert _talks("vision") == [
        ("2023-03-14", "Ada Lovelace", "Attention Is All You Need"),
        ("2023-03-21", "Alan Turing", "Denoising Diffusion Probabilistic Models"),
        ("2023-03-28", "Grace Hopper", "Masked Autoencoders"),
        ("2023-04-11", "Katherine Johnson", "Segment Anything"),
    ]
    second = _meetings("vision")[1]
    assert "We ran out of time; continue next week." in second.sections.get().body
    assert _kinds("vision") == {"paper": 3, "slides": 1, "other": 1}


def test_term_headings_group_dated_sessions_and_give_their_year():
    _import(SHAPES / "terms.md", "lab")

    series = Series.objects.get(slug="lab")
    assert "## Autumn term 2024" in series.description and "## Spring term 2025" in series.description
    assert [(_when(m), m.title, m.status) for m in _meetings("lab")] == [
        ("2024-10-02", "", "held"),
        ("2024-10-16", "Gaussian processes", "held"),
        ("2025-01-15", "", "held"),
        ("2025-01-29", "", "cancelled"),
    ]
    assert _talks("lab") == [
        ("2024-10-02", "Ada Lovelace", ""),
        ("2024-10-16", "Alan Turing", "Gaussian processes"),
        ("2025-01-15", "Grace Hopper", ""),
    ]
    # A term heading is not a section of the meeting before it.
    assert not any("term" in s.title.lower() for m in _meetings("lab") for s in m.sections.all())


def test_session_sub_headings_are_its_parts_and_intro_links_reach_the_library():
    _import(SHAPES / "session-parts.md", "causal")

    meetings = _meetings("causal")
    assert [(_when(m), m.title) for m in meetings] == [
        ("2023-06-12", "Session 1: Foundations"),
        ("2023-06-13", "Session 2: Practice"),
    ]
    assert [s.title for s in meetings[0].sections.all()] == [
        "Part 1: Potential outcomes (Ada Lovelace)",
        "Part 2: Graphs by Alan Turing",
    ]
    assert _talks("causal") == [
        ("2023-06-12", "Ada Lovelace", "Potential outcomes"),
        ("2023-06-12", "Alan Turing", "Graphs"),
    ]
    assert [(i.text, i.status) for i in ResearchItem.objects.all()] == [("Estimate the ATE", "open")]
    intro = ReadingList.objects.get(series__slug="causal")
    assert [(i.resource.title, i.resource.kind) for i in intro.items.order_by("position")] == [
        ("video playlist", "video"),
        ("project page", "other"),
        ("Colab notebook", "notebook"),
        ("code repository", "code"),
        ("chat", "other"),
    ]
    assert Series.objects.get(slug="causal").schedule == Series.Schedule.UNSET  # no invented schedule


def test_document_of_only_headings_keeps_its_structure_as_the_description():
    text = (SHAPES / "only-headings.md").read_text()
    _import(SHAPES / "only-headings.md", "handbook")

    series = Series.objects.get(slug="handbook")
    assert series.name == "Reading group handbook"
    assert series.description == text.split("\n", 1)[1].strip()
    assert Meeting.objects.count() == 0


def test_folder_of_meeting_files_imports_in_date_order_named_by_their_shared_label(tmp_path):
    call_command("import_markdown", str(SHAPES / "folder"), "--series", "ethics", stdout=io.StringIO())

    series = Series.objects.get(slug="ethics")
    assert series.name == "Ethics Circle"
    assert [(_when(m), m.title, m.sequence) for m in _meetings("ethics")] == [
        ("2024-01-10", "Model Cards for Model Reporting", 1),
        ("2024-02-07", "Datasheets for Datasets", 2),
    ]
    paper = Resource.objects.get(arxiv_id="1810.03993")
    assert (paper.title, paper.title_locked) == ("Model Cards for Model Reporting", False)


def test_zip_of_meeting_files_is_the_same_as_the_folder():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted((SHAPES / "folder").iterdir()):
            archive.write(path, f"club/{path.name}")
        archive.writestr("__MACOSX/club/._2024-01-10-writeup.md", b"\x00\x05\x16\x07")
    documents = documents_from_zip(buffer.getvalue(), source="club.zip")
    assert [name for name, _ in documents] == ["club/2024-01-10-writeup.md", "club/2024-02-07-writeup.md"]
    assert documents == [(f"club/{name}", text) for name, text in documents_from_folder(SHAPES / "folder")]


# --- Real documents -----------------------------------------------------------------------------


def _links(path: Path) -> set[str]:
    """The links a reader of the page sees (an HTML comment's are hidden)."""
    shown = re.sub(r"<!--.*?-->", "", path.read_text(), flags=re.S)
    return {parse_link(url).url for url in re.findall(r"\]\((https?://[^)\s]+)\)", shown)}


def test_data_ethics_club_writeups_one_meeting_per_file():
    markdown_import(documents=[(p.name, p.read_text()) for p in reversed(WRITEUPS)], series_slug="dec")

    series = Series.objects.get(slug="dec")
    assert series.name == "Data Ethics Club"
    assert [(_when(m), m.title) for m in _meetings("dec")] == [
        (
            "2026-01-21",
            "Global datacentre electricity consumption is not correlated with data demand: Responding to "
            "implausible assumptions and flawed modelling in Castro et al. (2024)",
        ),
        (
            "2026-02-11",
            "“Turning right”? An experimental study on the political value shift in large language models",
        ),
        ("2026-03-11", "Do AI Companions Understand?"),
    ]
    # A discussion club: nobody presents; the attendees and the article's authors are not speakers.
    assert Talk.objects.count() == 0
    assert ResearchItem.objects.count() == 0
    for meeting, path in zip(_meetings("dec"), WRITEUPS, strict=True):
        assert {r.url for r in Resource.objects.filter(mentions__meeting=meeting)} == _links(path)
        sections = [s.title for s in meeting.sections.all()]
        assert sections[-1] == "Attendees"
        # The questions under "Discussion Summary" stay inside it, in the recap.
        recap = meeting.documents.get(kind="recap").body
        assert recap.count("### ") == path.read_text().split("## Discussion Summary")[1].count("### ")


def test_organiser_checklist_guide_has_no_meetings_and_its_links_reach_the_library():
    path = SAMPLES / "desrg-organising-checklists.md"
    result = _import(path, "desrg")

    series = Series.objects.get(slug="desrg")
    assert series.name == "How we organise the Data Ethics & Society Reading Group"
    assert Meeting.objects.count() == ResearchItem.objects.count() == 0
    assert series.description.count("- [ ]") == path.read_text().count("- [ ]") == 26
    intro = ReadingList.objects.get(series=series)
    web_links = set(re.findall(r"(?:\]\(|href=\")(https?://[^)\s\"]+)", path.read_text()))
    assert {r.url for r in intro.resources.all()} == web_links
    assert len(web_links) == 12  # five in the HTML nav bar, seven in the text
    relative = [str(w) for w in result.warnings if "is not a web address" in str(w)]
    assert len(relative) == 12


# --- Bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "club.md: the file is empty"),
        (b"  \n\n", "club.md: the file is empty"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "club.md: the file is not text (it looks like a binary file)",
        ),
        (
            "# Club\n\n## Séance 1 - 3 mars 2021\n".encode("latin-1"),
            "club.md, line 3: the file is not UTF-8 text (byte 13 cannot be read); it looks like ",
        ),
        (
            "# Club\n".encode("utf-16"),
            "club.md, line 1: the file is UTF-16 text, not UTF-8: convert it with iconv -f UTF-16",
        ),
    ],
)
def test_command_refuses_bad_files_with_a_clear_message_and_writes_nothing(tmp_path, data, message):
    path = tmp_path / "club.md"
    path.write_bytes(data)
    with pytest.raises(CommandError) as caught:
        call_command("import_markdown", str(path), "--series", "club")
    assert str(caught.value).startswith(f"Nothing was imported. {message}")
    assert Series.objects.count() == Meeting.objects.count() == 0


def test_non_utf8_file_is_told_the_command_that_converts_it(tmp_path):
    path = tmp_path / "club.md"
    path.write_bytes(
        "# Club de lecture\n\nNous lisons des articles à propos de l'éthique.\n".encode("cp1252")
    )
    with pytest.raises(CommandError) as caught:
        call_command("import_markdown", str(path), "--series", "club")
    converts = r"convert it with iconv -f (CP1252|CP1250|LATIN-1) -t UTF-8 club\.md > club\.utf8\.md$"
    assert re.search(converts, str(caught.value))


def test_folder_without_markdown_and_oversized_file_are_refused(tmp_path, settings):
    empty = tmp_path / "notes"
    empty.mkdir()
    (empty / "slides.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(
        CommandError, match=r"^Nothing was imported\. notes: the folder holds no Markdown files"
    ):
        call_command("import_markdown", str(empty), "--series", "club")
    with pytest.raises(ImportFailed, match="over the limit of 1 MB"):
        from meetings.services.importer import document_decode

        document_decode(b"x" * (1024 * 1024 + 1), source="big.md", limit=1024 * 1024)
    assert Series.objects.count() == 0


def test_parse_reports_a_date_it_cannot_read_and_keeps_it():
    plan = markdown_parse(text="# Club\n\n## Week 3 - 31 Febuary 2023\n\nText.\n", source="c.md")
    (meeting,) = plan.meetings
    assert (meeting.date, meeting.title) == (None, "Week 3 - 31 Febuary 2023")
    assert [str(w) for w in plan.warnings] == [
        "c.md, line 3: “31 Febuary 2023” is not a date (there is no 31 February 2023): kept in the text, "
        "the meeting is not dated"
    ]


# --- People -------------------------------------------------------------------------------------

PEOPLE = """# Club

## Session 1 - 3 March 2023

### Speakers

- Dr. CK Chan: Diffusion

## Session 2 - 10 March 2023

### Speakers

- Dr CK Chan: Flows

## Session 3 - 17 March 2023

### Speakers

- Chan: Questions
"""


@pytest.mark.parametrize(
    ("same", "names"), [(False, ["Dr. CK Chan", "Dr. CK Chan", "Chan"]), (True, ["Dr. CK Chan"] * 3)]
)
def test_one_person_however_written_and_an_ambiguous_name_is_confirmed(same, names):
    result = markdown_import(documents=[("c.md", PEOPLE)], series_slug="club", same_people=same)

    assert [t.guest_name for t in Talk.objects.order_by("meeting__start")] == names
    expected = {"source": "c.md", "name": "Chan", "may_be": ["Dr. CK Chan"], "merged": same}
    assert result.same_people == [expected]
    assert any("“Chan” may be “Dr. CK Chan”" in str(w) for w in result.warnings) is not same


def test_preview_asks_whether_two_names_are_one_person(client):
    from django.urls import reverse

    from tests.factories import SeriesFactory, UserFactory

    organiser = UserFactory()
    series = SeriesFactory(slug="club", organisers=[organiser])
    client.force_login(organiser)
    preview = client.post(reverse("series-import", kwargs={"slug": series.slug}), {"text": PEOPLE})
    page = preview.content.decode()
    assert 'id="import-people"' in page and "“Chan” may be “Dr. CK Chan”" in page
    data = {field.name: field.value() or "" for field in preview.context["confirm"].hidden_fields()}
    client.post(reverse("series-import-confirm", kwargs={"slug": series.slug}), {**data, "same_people": "on"})
    assert sorted(set(Talk.objects.values_list("guest_name", flat=True))) == ["Dr. CK Chan"]


# --- Export and import back ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        SHAPES / "schedule-table.md",
        SHAPES / "dated-list.md",
        SHAPES / "terms.md",
        SHAPES / "session-parts.md",
        SHAPES / "only-headings.md",
        SAMPLES / "desrg-organising-checklists.md",
        *WRITEUPS,
    ],
    ids=lambda path: path.stem,
)
def test_export_then_import_gives_the_same_series(path):
    from meetings.services.exporter import markdown_export
    from tests.meetings.test_export import empty_the_database, snapshot

    _import(path, "club")
    before = snapshot("club")
    library = sorted(Resource.objects.values_list("url", "kind", "title"))
    exported = markdown_export(series=Series.objects.get(slug="club"))
    empty_the_database()

    markdown_import(documents=[("club.md", exported)], series_slug="club")

    assert snapshot("club") == before
    assert sorted(Resource.objects.values_list("url", "kind", "title")) == library
    assert markdown_export(series=Series.objects.get(slug="club")) == exported


# --- The recognition map ------------------------------------------------------------------------


def test_recognition_map_marks_each_line_with_what_it_became():
    result = markdown_import(documents=[("list.md", (SHAPES / "dated-list.md").read_text())], series_slug="v")

    (document,) = result.recognition
    became = {entry["line"]: entry["became"] for entry in document["lines"]}
    assert document["source"] == "list.md"
    assert became[1] == ["series"]
    assert became[3] == ["resource", "series description"]  # the shared drive, in the opening
    assert became[5] == ["meeting", "date", "talk", "resource", "description section"]
    assert became[7] == ["description section"]  # the sub-bullet under the entry
    assert became[9] == ["meeting", "date", "description section"]  # the struck week
    assert [entry["text"] for entry in document["lines"]][:2] == ["# Vision Journal Club", ""]
    assert became[2] == []


def test_recognition_map_in_json_and_on_the_preview(client, tmp_path):
    import json

    from django.urls import reverse

    from tests.factories import SeriesFactory, UserFactory

    path = tmp_path / "list.md"
    path.write_text((SHAPES / "dated-list.md").read_text())
    out = io.StringIO()
    call_command("import_markdown", str(path), "--series", "v", "--dry-run", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["recognition"][0]["lines"][4] == {
        "line": 5,
        "text": "- 2023-03-14 — Ada Lovelace: Attention Is All You Need [arXiv](https://arxiv.org/abs/1706.03762)",
        "became": ["meeting", "date", "talk", "resource", "description section"],
    }

    organiser = UserFactory()
    series = SeriesFactory(slug="club", organisers=[organiser])
    client.force_login(organiser)
    page = client.post(reverse("series-import", kwargs={"slug": series.slug}), {"text": path.read_text()})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="import-map"' in html
    assert '<tr data-became="meeting date talk resource description section"><td>5</td>' in html
