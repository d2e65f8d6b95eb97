"""Exporting a series as Markdown, and importing the export back into an empty database."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from meetings.models import Meeting, Series
from meetings.services.exporter import markdown_export
from meetings.services.importer import markdown_import
from resources.models import Mention, Resource
from tests.factories import MeetingFactory, TalkFactory, local
from tests.meetings.test_import import HACKATHON, ML_CLUB, README, SUMMER_SCHOOL, WIKI, import_file


def snapshot(slug: str) -> dict:
    """What an import must reproduce: meetings, speakers, sections, documents, items, resources."""
    series = Series.objects.get(slug=slug)
    meetings = []
    for meeting in Meeting.objects.filter(series=series).order_by("sequence"):
        meetings.append(
            {
                "key": meeting.import_key,
                "title": meeting.title,
                "start": meeting.start,
                "status": meeting.status,
                "recording": meeting.recording_link,
                "agenda": meeting.agenda,
                "talks": [
                    (t.speaker_name, t.title, t.resource.url if t.resource else "")
                    for t in meeting.talks.all()
                ],
                "sections": [(s.kind, s.heading, s.body) for s in meeting.sections.all()],
                "documents": sorted((d.kind, d.body) for d in meeting.documents.all()),
                "items": [(i.text, i.status, i.drop_reason) for i in meeting.research_items.all()],
            }
        )
    resources = sorted(
        (m.resource.url, m.resource.kind, m.resource.title, m.meeting.import_key, m.section)
        for m in Mention.objects.filter(meeting__series=series).select_related("resource", "meeting")
    )
    return {
        "name": series.name,
        "description": series.description,
        "meetings": meetings,
        "resources": resources,
    }


def empty_the_database():
    Series.objects.all().delete()
    Resource.objects.all().delete()


@pytest.mark.parametrize(
    ("path", "slug", "year"),
    [(ML_CLUB, "ml-club", 2020), (HACKATHON, "dl-hackathon", None), (SUMMER_SCHOOL, "school", None),
     (README, "tutorial", None), (WIKI, "causal", None)],
)  # fmt: skip
def test_export_then_import_into_empty_database_round_trips(db, path, slug, year):
    import_file(path, slug, year=year)
    before = snapshot(slug)
    exported = markdown_export(series=Series.objects.get(slug=slug))
    empty_the_database()

    result = markdown_import(documents=[(f"{slug}.md", exported)], series_slug=slug)

    assert snapshot(slug) == before
    assert result.counts["series"]["created"] == 1
    # And the export of the re-import is the same document.
    assert markdown_export(series=Series.objects.get(slug=slug)) == exported


def test_export_ml_club_shape(db):
    import_file(ML_CLUB, "ml-club", year=2020)

    text = markdown_export(series=Series.objects.get(slug="ml-club"))

    assert text.startswith("# IGR-data Machine Learning Club\n\n<!-- From the imported document:\n")
    assert "\n\n## Meeting 1 - Monday 12 October 2020\n\n### Minutes\n\n- more and more people" in text
    assert "\n\n### Post-meeting recap\n\n- Low-level API of PyTorch" in text
    assert text.endswith(
        "### To research\n\n"
        "- [ ] what is a GAN\n"
        "- [ ] what is a CVAE\n"
        "- ~~[GW ML September rev.](https://iopscience.iop.org/article/10.1088/2632-2153/abb93a)~~ "
        "same GW rev from May 2020 w/HUnter that I already have\n"
        "- [x] Look into the gravity spy paper - downloaded it in literture/ML\n"
    )


def test_export_meetings_made_on_the_site(db, series, member):
    meeting = MeetingFactory(
        series=series, title="GANs for glitch generation", start=local(2030, 3, 4, 15, 30)
    )
    meeting.agenda = "## Plan\n\n1. GAN basics"
    meeting.save()
    TalkFactory(meeting=meeting, speaker=member, title="GANs")
    undated = MeetingFactory(series=series, title="Social", start=None, sequence=7)

    text = markdown_export(series=series)

    assert (
        "## GANs for glitch generation - Monday 4 March 2030, 15:30\n\n### Speakers\n\n- Ada Lovelace: GANs"
        in text
    )
    # Headings inside a text go below the export's own.
    assert "### Agenda\n\n#### Plan\n\n1. GAN basics" in text
    # An undated meeting needs a numbered heading to read back as a meeting.
    assert "## Meeting 7: Social" in text
    empty_the_database()
    markdown_import(documents=[("x.md", text)], series_slug="again")
    assert [(m.title, m.start) for m in Meeting.objects.order_by("sequence")] == [
        ("GANs for glitch generation", local(2030, 3, 4, 15, 30)),
        ("Meeting 7: Social", None),
    ]
    assert [(t.speaker_name, t.title) for t in Meeting.objects.get(start__isnull=False).talks.all()] == [
        ("Ada Lovelace", "GANs")
    ]
    assert undated.pk


def test_export_download_buttons_and_files(client, db):
    import_file(HACKATHON, "dl-hackathon")
    series = Series.objects.get(slug="dl-hackathon")
    meeting = Meeting.objects.get(import_key="session-3")

    page = client.get(series.get_absolute_url())
    whole = client.get(reverse("series-export", kwargs={"slug": "dl-hackathon"}))
    one = client.get(reverse("meeting-export", kwargs={"slug": "dl-hackathon", "pk": meeting.pk}))

    assert 'href="/series/dl-hackathon/export.md" download>Download as Markdown</a>' in page.content.decode()
    assert whole["Content-Type"] == "text/markdown; charset=utf-8"
    assert whole["Content-Disposition"] == 'attachment; filename="dl-hackathon.md"'
    assert whole.content.decode() == markdown_export(series=series)
    assert one["Content-Disposition"] == f'attachment; filename="dl-hackathon-meeting-{meeting.pk}.md"'
    assert one.content.decode().startswith(
        "# Intro to ML Resources\n\n## Session 3\n\n### Speakers\n\n- Ansh: "
    )
    assert "## Session 2" not in one.content.decode()


def test_export_of_members_only_series_is_hidden_from_visitors(client, private_series, member):
    response = client.get(reverse("series-export", kwargs={"slug": private_series.slug}))
    client.force_login(member)
    as_member = client.get(reverse("series-export", kwargs={"slug": private_series.slug}))

    assert response.status_code == 404
    assert as_member.content.decode() == "# Secret reading group\n"


def test_export_markdown_command(db, tmp_path):
    import_file(ML_CLUB, "ml-club", year=2020)
    series = Series.objects.get(slug="ml-club")
    meeting = Meeting.objects.get()
    out = StringIO()
    target = tmp_path / "out.md"

    call_command("export_markdown", "--series", "ml-club", stdout=out)
    call_command("export_markdown", "--series", "ml-club", "--meeting", str(meeting.pk), "-o", str(target))

    assert out.getvalue() == markdown_export(series=series)
    assert target.read_text(encoding="utf-8") == markdown_export(series=series, meeting=meeting)
