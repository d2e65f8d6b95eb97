"""Importing a club's Markdown documents: the two samples exactly, more documents of the family,
idempotent re-imports, all-or-nothing failures, the command and the organisers' pages."""

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.urls import reverse

from meetings.models import Meeting, MeetingSection, Minutes, MinutesRevision, ResearchItem, Series, Talk
from meetings.services.importer import ImportFailed, markdown_import, markdown_parse
from meetings.services.research_lines import BULLET
from resources.models import Mention, Resource
from tests.factories import SeriesFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
ML_CLUB = ROOT / "meetings" / "demo" / "ml-club-minutes.md"
HACKATHON = ROOT / "meetings" / "demo" / "hackathon-sessions.md"
DOCS = Path(__file__).resolve().parent / "import_docs"
SUMMER_SCHOOL = DOCS / "summer-school-lectures.md"
README = DOCS / "tutorial-readme.md"
WIKI = DOCS / "reading-group-wiki.md"


def import_file(path: Path, slug: str, **options):
    return markdown_import(
        documents=[(path.name, path.read_text(encoding="utf-8"))], series_slug=slug, **options
    )


def meetings_of(slug: str):
    return list(Meeting.objects.filter(series__slug=slug).order_by("sequence"))


def talks_of(meeting: Meeting):
    return [(t.speaker_name, t.title) for t in meeting.talks.all()]


def items_of(slug: str):
    return [
        (i.meeting.import_key, i.text, i.status, i.drop_reason)
        for i in ResearchItem.objects.filter(meeting__series__slug=slug).order_by(
            "meeting__sequence", "position"
        )
    ]


def resources_of(slug: str):
    """{url: (kind, title, sorted "meeting key:section")} for every resource the series mentions."""
    found: dict[str, tuple] = {}
    for mention in Mention.objects.filter(meeting__series__slug=slug).select_related("resource", "meeting"):
        entry = found.setdefault(mention.resource.url, (mention.resource.kind, mention.resource.title, []))
        entry[2].append(f"{mention.meeting.import_key}:{mention.section}")
    return {url: (kind, title, sorted(where)) for url, (kind, title, where) in found.items()}


def row_counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Series,
            Meeting,
            Talk,
            Minutes,
            MinutesRevision,
            ResearchItem,
            MeetingSection,
            Resource,
            Mention,
        )
    }


# --- The line check: nothing in the source is lost ------------------------------------------------


def _words(text: str) -> set[str]:
    text = re.sub(r"<[^>\n]+>", " ", text)  # HTML line breaks and rules are markup
    text = re.sub(r"(\d+)(?:st|nd|rd|th)\b", r"\1", text.lower())
    return set(re.findall(r"[a-z0-9]+", text))


def stored_texts(slug: str) -> list[set[str]]:
    """Every text the import stored for the series, each as its set of words."""
    series = Series.objects.get(slug=slug)
    texts = [f"{series.name}\n{series.description}"]
    for meeting in meetings_of(slug):
        talks = " ".join(f"{t.speaker_name} {t.title}" for t in meeting.talks.all())
        when = ""
        if meeting.start:
            local = meeting.local_start
            when = f"{local:%A} {local.day} {local:%B %Y %H:%M}"
        texts.append(f"{meeting.title} {when} {talks}")
        texts.append(meeting.agenda)
        texts += [f"{s.title}\n{s.body}" for s in meeting.sections.all()]
        texts += [f"{d.get_kind_display()}\n{d.body}" for d in meeting.documents.all()]
        texts += [f"To research {i.text} {i.drop_reason}" for i in meeting.research_items.all()]
        texts.append(talks)
    return [_words(text) for text in texts]


def lost_lines(path: Path, slug: str) -> list[str]:
    texts = stored_texts(slug)
    lost = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        # Bullets, heading hashes and front-matter delimiters are markup, not content.
        words = _words(BULLET.sub("", line.lstrip("# "), count=1))
        if words and not any(words <= text for text in texts):
            lost.append(f"{path.name}:{number}: {line}")
    return lost


# --- The two samples, exactly --------------------------------------------------------------------


def test_import_ml_club_sample_meetings_items_and_resources(db):
    result = import_file(ML_CLUB, "ml-club", year=2020)

    series = Series.objects.get(slug="ml-club")
    assert series.name == "IGR-data Machine Learning Club"
    assert series.description.startswith(
        "<!-- From the imported document:\n# Outline: IGR-data Machine Learning Club\n-->\n\nMonday afternoon"
    )
    assert (series.weekday, series.cadence_weeks) == (Series.Weekday.MONDAY, 2)
    [meeting] = meetings_of("ml-club")
    assert (meeting.import_key, meeting.title, meeting.local_start.isoformat(), meeting.status) == (
        "meeting-1",
        "Meeting 1",
        "2020-10-12T14:00:00+01:00",
        Meeting.Status.HELD,
    )
    assert talks_of(meeting) == []
    minutes = Minutes.objects.get(meeting=meeting, kind="minutes")
    recap = Minutes.objects.get(meeting=meeting, kind="recap")
    assert minutes.body.startswith("- more and more people are converting to pyTorch")
    assert minutes.body.endswith("- look up what a GAN is")
    assert (minutes.revision, recap.revision) == (1, 1)
    # The recap keeps its "To research:" list as the club wrote it...
    assert recap.body.endswith(
        "- To research:\n  - what is a GAN\n  - what is a CVAE\n"
        "  - ~~[GW ML September rev.](https://iopscience.iop.org/article/10.1088/2632-2153/abb93a)~~ "
        "same GW rev from May 2020 w/HUnter that I already have\n"
        "  - [x] Look into the gravity spy paper - downloaded it in literture/ML"
    )
    # ...and the list becomes research items, the ticked one done and the struck one dropped.
    assert items_of("ml-club") == [
        ("meeting-1", "what is a GAN", "open", ""),
        ("meeting-1", "what is a CVAE", "open", ""),
        (
            "meeting-1",
            "[GW ML September rev.](https://iopscience.iop.org/article/10.1088/2632-2153/abb93a)",
            "dropped",
            "same GW rev from May 2020 w/HUnter that I already have",
        ),
        ("meeting-1", "Look into the gravity spy paper - downloaded it in literture/ML", "done", ""),
    ]
    dropped = ResearchItem.objects.get(status="dropped")
    assert dropped.resource.url == "https://doi.org/10.1088/2632-2153/abb93a"
    assert resources_of("ml-club") == {
        "https://doi.org/10.1088/2632-2153/abb93a": (
            "paper",
            "GW ML September rev.",
            ["meeting-1:minutes", "meeting-1:recap", "meeting-1:research"],
        ),
        "https://pytorch.org/tutorials/": (
            "tutorial",
            "Official PyTorch tutorials",
            ["meeting-1:minutes", "meeting-1:recap"],
        ),
        "https://scikit-learn.org/stable/tutorial/machine_learning_map/index.html": (
            "tutorial",
            "",
            ["meeting-1:minutes"],
        ),
        "https://www.asimovinstitute.org/neural-network-zoo/": (
            "other",
            "Network Framework examples",
            ["meeting-1:minutes", "meeting-1:recap"],
        ),
        "https://www.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw": (
            "video",
            "3brown1blue",
            ["meeting-1:minutes", "meeting-1:recap"],
        ),
        "https://www.youtube.com/watch?v=gZmobeGL0Yg": (
            "video",
            "DeepLizard",
            ["meeting-1:minutes", "meeting-1:recap"],
        ),
    }
    assert result.counts["resources"] == {"created": 6, "reused": 0}
    assert result.warnings == []


HACKATHON_SPEAKERS = {
    "session-1": [
        ("Dr. CK Chan", ""),
        ("Jackson", "Presentation on intro to ML"),
        ("Ansh", "Hands-on activity on ML basics"),
    ],
    "session-2": [
        ("Ansh", "Presentation on backpropagation fundamentals"),
        ("Jackson", "Presentation on intro to ML (continued)"),
    ],
    "session-3": [("Ansh", "Hands-on activity on galaxy classification using a CNN")],
    "session-4": [("Dr. CK Chan", "")],
    "session-5": [("Dr. CK Chan", "")],
    "session-6": [("Ansh", "")],
    "session-7": [],
    "session-8": [],
}

ZOOM = "https://arizona.zoom.us/rec/share/"
HACKATHON_RESOURCES = {
    "https://allocations.access-ci.org/resources": (
        "other", "List of ACCESS resources", ["session-7:reading"],
    ),
    ZOOM + "Dlw7c0U8NlcV6wk06-Q1VCJn3voCtxZKg7QR95QfZt0ODQciHCXVUG5UOaxUa1s1.-YKdxs77niFmVIii": (
        "recording", "Zoom recording", ["session-1:materials"],
    ),
    ZOOM + "lolf0MfjOf-eOMEknewICyVzBvVVkeANChh_FgJ0NlbLJ6ym5FZIRyZPhHClfKdd.rURWr0rfCkfcBmBa": (
        "recording", "Zoom recording", ["session-5:materials"],
    ),
    ZOOM + "sspStSgxFbWVvzelNhK9RdciQcdpr78nUUbbQRpbUazFdGaPyHA2oux10ZQjIZQN.8uV-PscTuR3FnxX6": (
        "recording", "Zoom recording", ["session-6:materials"],
    ),
    ZOOM + "xS4W96ZO6e-eWIddSD5Tvt9XDk2SIUqm8vxcXA2p45XePq1IA8S3EYtASPhP3Og1.SBg5CMzK0MQ8Xx8Q": (
        "recording", "Zoom recording", ["session-7:materials", "session-8:materials"],
    ),
    ZOOM + "xSgs6AuTva4GT9GzPs3FphLsHMOfsGS7dbNpnWwqqj_Y3eUztRWQR-fQTZ3G09UQ.jr1LRm5P9u992CaE": (
        "recording", "Zoom recording", ["session-2:materials"],
    ),
    "https://arxiv.org/abs/1706.03762": ("paper", "Original Transformer Paper", ["session-5:reading"]),
    "https://arxiv.org/abs/1812.11118": ("paper", "", ["session-4:description"]),
    "https://arxiv.org/abs/1912.02292": ("paper", "", ["session-4:description"]),
    "https://arxiv.org/abs/2007.06823": ("paper", "Hands-on bayesian neural networks", ["session-2:reading"]),
    "https://arxiv.org/abs/2010.11929": ("paper", "Vision Transformer", ["session-5:reading"]),
    "https://arxiv.org/abs/2303.14151": ("paper", "", ["session-4:description"]),
    "https://arxiv.org/abs/2303.18223": ("paper", "A Survey of Large Language Models", ["session-5:reading"]),
    "https://cacao.jetstream-cloud.org/": ("other", "", ["session-7:description", "session-8:description"]),
    "https://colab.research.google.com/drive/1-fRuqPqNqaaZCrunZEFm2wvJW5-gqNOi": (
        "notebook", "UArizona Deep Learning Hackathon Intro.ipynb", ["session-1:materials"],
    ),
    "https://colab.research.google.com/drive/1X-nhY5gRSvtC9lxi5jBhsNXIopTCmgA5": (
        "notebook", "ad-gd.ipynb", ["session-2:materials"],
    ),
    "https://colab.research.google.com/drive/1hULWZzgFYLHxbraOw70MvSARColehAoj": (
        "notebook", "ad-gd-solutions.ipynb", ["session-2:materials"],
    ),
    "https://colab.research.google.com/drive/1zxtEX2M861Psi7NwqttHuWobmweFGHaZ": (
        "notebook", "CNN Galaxy Classifier.ipynb", ["session-3:materials"],
    ),
    "https://dennybritz.com/posts/wildml/recurrent-neural-networks-tutorial-part-1/": (
        "tutorial", "RNN", ["session-5:reading"],
    ),
    "https://docs.google.com/presentation/d/1CN0wxW7kUGN0BrH7M5IQNnU4v-jWn7V3ag3Z-yifLWY/edit?usp=sharing": (
        "slides", "Introduction to Diffusion Models", ["session-6:materials"],
    ),
    "https://docs.google.com/presentation/d/1b1-UerWauAG-GfKxNyRRKZ7NYP-Htt_-mXn9L0IZy0s/edit?usp=sharing": (
        "slides", "Deblurring Galaxies w/ Diffusion Models", ["session-6:materials"],
    ),
    "https://docs.google.com/presentation/d/1mCce6SR5UxdZwcaD26Gpz7PUJFszrYucOJ4CWcEGZ2U/edit?usp=sharing": (
        "slides", "ML Hackathon Backpropagation", ["session-2:materials"],
    ),
    "https://docs.jetstream-cloud.org/ui/cacao/intro/": (
        "other", "CACAO documentation", ["session-7:reading"],
    ),
    "https://doi.org/10.1002/sam.11583": ("paper", "Paper on dataset splitting", ["session-2:reading"]),
    "https://drive.google.com/file/d/14dd_Z2erJhppzOAN2hZ3v69DCED_7Y83/view?usp=sharing": (
        "slides", "Math_Lecture_Astro_Workshop.pdf", ["session-1:materials", "session-2:materials"],
    ),
    "https://github.com/AlexandreAdam/score_models/tree/master": (
        "code", "GitHub repository for above", ["session-6:reading"],
    ),
    "https://github.com/Ciela-Institute/Astromatic/blob/main/Astromatic2023/p5_deconvolution.ipynb": (
        "notebook",
        "Example diffusion model problem with lots of useful papers, resources, and more",
        ["session-6:reading"],
    ),
    "https://github.com/google-research/jaxpruner": (
        "code", "Weight dropping/ML speedup", ["session-2:reading"],
    ),
    "https://github.com/huggingface/transformers/tree/main/examples/": (
        "code", "Transformers example", ["session-5:reading"],
    ),
    "https://github.com/rndsrc/dl/blob/main/segformer.ipynb": (
        "notebook", "segformer.ipynb", ["session-5:materials"],
    ),
    "https://huggingface.co/": ("dataset", "Hugging Face (Datasets)", ["session-6:reading"]),
    "https://neurovis.mitchcrowe.com/": (
        "other", "Tinker with neural network in browser", ["session-2:reading"],
    ),
    "https://playground.tensorflow.org/": (
        "other", "Tinker with neural network in browser", ["session-2:reading"],
    ),
    "https://pypi.org/project/score-models/": (
        "code", "Python package with diffusion model functions", ["session-6:reading"],
    ),
    "https://uarizona.atlassian.net/wiki/spaces/UAHPC/pages/75989137/Training": (
        "course", "UA HPC workshops", ["session-3:reading"],
    ),
    "https://www.kaggle.com/": ("dataset", "Kaggle (More Datasets)", ["session-6:reading"]),
    "https://www.nvidia.com/en-us/training/": (
        "course", "NVIDIA deep learning training workshops", ["session-3:reading"],
    ),
    "https://www.youtube.com/watch?v=7EuiXb6hFAM": (
        "video", "Stochastic Gradient Descent with Momentum in Python", ["session-1:reading"],
    ),
    "https://www.youtube.com/watch?v=Gv9_4yMHFhI": (
        "video", "A Gentle Introduction to Machine Learning", ["session-2:reading"],
    ),
    "https://www.youtube.com/watch?v=KuXjwB4LzSA": (
        "video", "But what is a convolution?", ["session-1:reading"],
    ),
    "https://www.youtube.com/watch?v=aircAruvnKk": (
        "video", "But what is a neural network? Chapter 1, Deep learning", ["session-1:reading"],
    ),
    "https://www.youtube.com/watch?v=fbLgFrlTnGU": (
        "video", "What are Diffusion Models?", ["session-6:reading"],
    ),
}  # fmt: skip


def test_import_hackathon_sample_sessions_speakers_sections_and_resources(db):
    result = import_file(HACKATHON, "dl-hackathon")

    series = Series.objects.get(slug="dl-hackathon")
    assert series.name == "Intro to ML Resources"
    assert series.description.startswith(
        "<!-- From the imported document:\n---\nlayout: page\ntitle: Intro to ML Resources\n"
        "subtitle:\n---\n-->\n\n(Feel free to add more links here)\n\n"
        "# The following are materials from a Deep Learning Hackathon"
    )
    meetings = meetings_of("dl-hackathon")
    # Undated sessions, in document order.
    assert [(m.import_key, m.title, m.start, m.sequence) for m in meetings] == [
        (f"session-{n}", f"Session {n}", None, n) for n in range(1, 9)
    ]
    assert {m.import_key: talks_of(m) for m in meetings} == HACKATHON_SPEAKERS
    assert all(t.guest_name and t.speaker is None for t in Talk.objects.all())
    jackson = Talk.objects.get(meeting__import_key="session-1", guest_name="Jackson")
    assert (
        jackson.resource.url
        == "https://drive.google.com/file/d/14dd_Z2erJhppzOAN2hZ3v69DCED_7Y83/view?usp=sharing"
    )
    assert [m.recording_link.removeprefix(ZOOM)[:8] for m in meetings] == [
        "Dlw7c0U8", "xSgs6AuT", "", "", "lolf0Mfj", "sspStSgx", "xS4W96ZO", "xS4W96ZO",
    ]  # fmt: skip
    session_2 = meetings[1]
    assert [(s.kind, s.heading, s.position) for s in session_2.sections.all()] == [
        ("description", "Description of Activities", 1),
        ("materials", "Meeting Activities", 2),
        ("reading", "Relevant Links to Learn More", 3),
    ]
    reading = session_2.sections.get(kind="reading")
    # A link without https:// gets it (with a warning); the link text stays as written.
    assert "[neurovis.mitchcrowe.com/](https://neurovis.mitchcrowe.com/)" in reading.body
    assert 'href="https://neurovis.mitchcrowe.com/"' in reading.body_html
    session_3 = meetings[2]
    # "[link needed]" is a placeholder, not a link: it stays as text and gives no recording.
    assert "- Zoom recording: [link needed]" in session_3.sections.get(kind="materials").body
    assert [(s.kind, s.heading) for s in meetings[3].sections.all()] == [
        ("description", "Description of activities")
    ]
    assert items_of("dl-hackathon") == []
    assert resources_of("dl-hackathon") == HACKATHON_RESOURCES
    assert [str(w) for w in result.warnings] == [
        "hackathon-sessions.md, line 44: the link “neurovis.mitchcrowe.com/” has no https://: "
        "imported as https://neurovis.mitchcrowe.com/"
    ]


@pytest.mark.parametrize(
    ("path", "slug", "year"),
    [(ML_CLUB, "ml-club", 2020), (HACKATHON, "dl-hackathon", None), (SUMMER_SCHOOL, "school", None),
     (README, "tutorial", None), (WIKI, "causal", None)],
)  # fmt: skip
def test_import_keeps_every_line_of_the_document(db, path, slug, year):
    import_file(path, slug, year=year)

    assert lost_lines(path, slug) == []


def test_import_ml_club_without_year_keeps_meeting_undated_with_warning(db):
    result = import_file(ML_CLUB, "ml-club")

    [meeting] = meetings_of("ml-club")
    assert (meeting.start, meeting.title, meeting.status) == (
        None,
        "Meeting 1 - MONDAY 12th October",
        Meeting.Status.SCHEDULED,
    )
    assert [str(w) for w in result.warnings] == [
        "ml-club-minutes.md, line 7: “MONDAY 12th October” has no year: the meeting is imported "
        "without a date "
        "(pass --year, or set the date on the site)"
    ]
    assert lost_lines(ML_CLUB, "ml-club") == []


# --- Idempotent, and edits update ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "slug", "year"), [(ML_CLUB, "ml-club", 2020), (HACKATHON, "dl-hackathon", None)]
)
def test_import_twice_creates_nothing(db, path, slug, year):
    import_file(path, slug, year=year)
    before = row_counts()

    second = import_file(path, slug, year=year)

    assert row_counts() == before
    assert not second.created_anything
    assert second.counts["meetings"]["created"] == 0
    assert second.counts["resources"]["created"] == 0
    assert second.counts["meetings"]["unchanged"] == len(meetings_of(slug))


def test_import_edited_document_updates_what_changed(db):
    import_file(ML_CLUB, "ml-club", year=2020)
    meeting = Meeting.objects.get()
    organiser_date = meeting.start
    edited = (
        ML_CLUB.read_text()
        .replace("  - what is a CVAE", "  - [x] what is a CVAE")
        .replace(
            "- look up what a GAN is",
            "- look up what a GAN is\n\n- new idea: https://distill.pub/2016/augmented-rnns/",
        )
    )

    result = markdown_import(documents=[("ml.md", edited)], series_slug="ml-club", year=2020)

    assert Meeting.objects.get().pk == meeting.pk
    assert Meeting.objects.get().start == organiser_date
    assert ResearchItem.objects.get(text="what is a CVAE").status == "done"
    assert ResearchItem.objects.count() == 4
    minutes = Minutes.objects.get(kind="minutes")
    assert minutes.revision == 2
    assert minutes.revisions.first().note == "Imported from ml.md"
    assert Minutes.objects.get(kind="recap").revision == 2
    assert Mention.objects.filter(
        resource__url="https://distill.pub/2016/augmented-rnns/", section="minutes"
    ).exists()
    assert result.counts["research_items"] == {"created": 0, "updated": 1, "unchanged": 3, "removed": 0}
    assert result.counts["minutes_revisions"] == {"created": 2}


def test_import_edited_document_removes_items_it_no_longer_lists_but_keeps_site_items(db, member):
    from meetings.services.research import research_items_add

    import_file(ML_CLUB, "ml-club", year=2020)
    meeting = Meeting.objects.get()
    research_items_add(meeting=meeting, text="raised on the site", by=member)
    edited = ML_CLUB.read_text().replace("  - what is a CVAE\n", "")

    result = markdown_import(documents=[("ml.md", edited)], series_slug="ml-club", year=2020)

    assert not ResearchItem.objects.filter(text="what is a CVAE").exists()
    assert ResearchItem.objects.filter(text="raised on the site").exists()
    assert result.counts["research_items"]["removed"] == 1


def test_import_keeps_a_date_set_on_the_site_for_an_undated_meeting(db):
    import_file(HACKATHON, "dl-hackathon")
    session = Meeting.objects.get(import_key="session-3")
    Meeting.objects.filter(pk=session.pk).update(start="2024-02-02T17:00:00Z")

    import_file(HACKATHON, "dl-hackathon")

    session.refresh_from_db()
    assert session.start.isoformat() == "2024-02-02T17:00:00+00:00"


def test_import_into_series_with_own_description_keeps_opening_on_first_meeting(db):
    SeriesFactory(slug="ml-club", name="ML Club", description="Our own words.")

    result = import_file(ML_CLUB, "ml-club", year=2020)

    series = Series.objects.get(slug="ml-club")
    assert (series.name, series.description) == ("ML Club", "Our own words.")
    intro = MeetingSection.objects.get(import_key="meeting-1:intro")
    assert (intro.kind, intro.heading) == ("notes", "Outline: IGR-data Machine Learning Club")
    assert "Monday afternoon fortnightly" in intro.body
    assert result.series == {"name": "ML Club", "slug": "ml-club", "action": "unchanged"}
    assert lost_lines(ML_CLUB, "ml-club") == []


def test_import_matches_speakers_to_members_by_display_name(db):
    ansh = UserFactory(username="ansh", display_name="Ansh")

    import_file(HACKATHON, "dl-hackathon")

    talk = Talk.objects.get(meeting__import_key="session-3")
    assert (talk.speaker, talk.guest_name) == (ansh, "")


# --- All or nothing, and the line of the problem -------------------------------------------------


def test_import_broken_front_matter_writes_nothing_and_names_the_line(db):
    before = row_counts()
    text = "---\ntitle: Club\nlayout: [unclosed\n---\n\n## Session 1\n\nHello\n"

    with pytest.raises(ImportFailed) as caught:
        markdown_import(documents=[("club.md", text)], series_slug="club")

    assert caught.value.line == 3
    assert str(caught.value).startswith("club.md, line 3: the front matter is not valid YAML")
    assert row_counts() == before


def test_import_bad_second_file_writes_nothing_from_the_first(db):
    bad = "---\ntitle: Club\n\n## Meeting 1 - 12 October 2020\n\nok\n"

    with pytest.raises(ImportFailed) as caught:
        markdown_import(
            documents=[("ml.md", ML_CLUB.read_text()), ("bad.md", bad)], series_slug="ml-club", year=2020
        )

    assert str(caught.value) == "bad.md, line 1: the front matter opened on line 1 is never closed with “---”"
    assert Series.objects.count() == Meeting.objects.count() == Resource.objects.count() == 0


def test_import_impossible_date_is_kept_in_the_text_and_reported(db):
    text = "# Club\n\n## Meeting 1 - 12 October 2020\n\nok\n\n## Meeting 2 - 31st September 2020\n\nno\n"

    result = markdown_import(documents=[("club.md", text)], series_slug="club")

    assert [(m.title, m.start is None) for m in meetings_of("club")] == [
        ("Meeting 1", False),
        ("Meeting 2 - 31st September 2020", True),
    ]
    assert [str(w) for w in result.warnings] == [
        "club.md, line 7: “31st September 2020” is not a date (there is no 31 September 2020): kept in the "
        "text, the meeting is not dated"
    ]


def test_import_failure_while_writing_rolls_back_everything(db, monkeypatch):
    from meetings.services.importer import apply

    real = apply.minutes_save
    calls = []

    def failing(**kwargs):
        calls.append(kwargs["kind"])
        if len(calls) == 2:
            raise DatabaseError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(apply, "minutes_save", failing)

    with pytest.raises(ImportFailed) as caught:
        import_file(ML_CLUB, "ml-club", year=2020)

    assert str(caught.value) == "ml-club-minutes.md, line 39: disk full"
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_import_unclosed_front_matter_and_non_utf8_name_line_one(db):
    from meetings.services.importer import document_decode

    with pytest.raises(
        ImportFailed, match=r"^x\.md, line 1: the front matter opened on line 1 is never closed"
    ):
        markdown_parse(text="---\ntitle: x\n\n# Session 1\n", source="x.md")
    with pytest.raises(ImportFailed, match=r"^y\.md, line 2: the file is not UTF-8 text"):
        document_decode("# Club\nSéance 1\n".encode("latin-1"), source="y.md")


# --- More documents of the family ----------------------------------------------------------------


def test_import_summer_school_lecture_list_with_speakers(db):
    result = import_file(SUMMER_SCHOOL, "school")

    series = Series.objects.get(slug="school")
    assert (series.name, series.start_time.isoformat()) == ("GW Data Analysis Summer School 2023", "09:30:00")
    meetings = meetings_of("school")
    assert [(m.import_key, m.title, m.local_start.isoformat()) for m in meetings] == [
        ("lecture-1", "Lecture 1: Introduction to gravitational waves", "2023-07-10T09:30:00+01:00"),
        ("lecture-2", "Lecture 2: Matched filtering", "2023-07-11T09:30:00+01:00"),
        (
            "lecture-3",
            "Lecture 3: Deep learning for glitches, presented by Dr. Dan Brown",
            "2023-07-12T09:30:00+01:00",
        ),
        ("day-4", "Day 4: Hackathon", "2023-07-13T14:00:00+01:00"),
    ]
    assert [talks_of(m) for m in meetings] == [
        [("Prof. Alice Smith", "Introduction to gravitational waves")],
        [("Bob Jones", "Matched filtering"), ("Carol White", "Matched filtering")],
        [("Dr. Dan Brown", "Deep learning for glitches")],
        [],
    ]
    assert items_of("school") == [
        ("lecture-2", "Build a template bank for masses 5\u201350 M☉", "open", ""),
        ("lecture-2", "Whiten a stretch of O3 strain data", "done", ""),
        ("day-4", "whether mixed precision would fit the transformer", "open", ""),
        ("day-4", "GPU quota for the school", "dropped", "not possible this year, ask again in 2024"),
    ]
    assert resources_of("school") == {
        "https://example.org/gwschool/lecture1-intro.pdf": (
            "slides",
            "lecture1-intro.pdf",
            ["lecture-1:materials"],
        ),
        "https://colab.research.google.com/github/gwschool/notebooks/blob/main/01_intro.ipynb": (
            "notebook",
            "Open in Colab",
            ["lecture-1:materials"],
        ),
        "https://doi.org/10.1103/physrevlett.116.061102": (
            "paper",
            "LIGO's first detection paper",
            ["lecture-1:reading"],
        ),
        "https://docs.google.com/presentation/d/1abcMatchedFiltering/edit": (
            "slides",
            "Matched filtering",
            ["lecture-2:materials"],
        ),
        "https://pycbc.org/pycbc/latest/html/tutorials.html": (
            "tutorial",
            "PyCBC tutorial",
            ["lecture-2:materials"],
        ),
        "https://arxiv.org/abs/1611.04596": (
            "paper",
            "Gravity Spy (Zevin et al. 2017)",
            ["lecture-3:description"],
        ),
        "https://gwosc.org/data/": ("other", "GWOSC", ["day-4:description"]),
    }
    assert result.warnings == []


def test_import_tutorial_readme_with_numbered_parts_and_colab_badges(db):
    result = import_file(README, "tutorial", tags=["astro-dl"])

    series = Series.objects.get(slug="tutorial")
    assert series.name == "Deep Learning for Astronomy — a hands-on tutorial"
    assert "## Contents\n1. [Part 1: Setup](#part-1-setup)" in series.description
    meetings = meetings_of("tutorial")
    assert [(m.import_key, m.title, m.start) for m in meetings] == [
        ("part-1", "Part 1: Setup", None),
        ("part-2", "Part 2: Your first network", None),
        ("part-3", "Part 3: Convolutional networks", None),
        ("part-4", "Part 4: Uncertainty", None),
    ]
    part_1 = meetings[0].sections.get()
    # The code block's "# ..." line is code, not a heading.
    assert "```bash\n# Part 2 of this block is a comment, not a heading\npip install" in part_1.body
    part_2 = meetings[1].sections.get()
    # "o" bullets (as Word writes them) become Markdown list items, nesting kept.
    assert "- Tensors and autograd\n- A two-layer perceptron" in part_2.body
    assert "<li>Tensors and autograd</li>" in part_2.body_html
    # What follows the last part under a heading of its own stays with the nearest meeting.
    assert [(s.kind, s.heading) for s in meetings[3].sections.all()] == [
        ("description", ""),
        ("notes", "Licence"),
    ]
    assert items_of("tutorial") == [
        ("part-3", "Add dropout and compare the validation loss", "open", ""),
        ("part-3", "Try a ResNet-18 from `torchvision`", "open", ""),
    ]
    resources = resources_of("tutorial")
    # The badge's image is not a link of its own; the notebook it opens is, titled by its file.
    assert not any("colab-badge.svg" in url or "shields.io" in url for url in resources)
    assert resources["https://colab.research.google.com/github/astro-dl/tutorial/blob/main/03_cnn.ipynb"] == (
        "notebook",
        "03_cnn.ipynb",
        ["part-3:description"],
    )
    assert resources["https://arxiv.org/abs/1506.02142"] == (
        "paper",
        "Gal & Ghahramani 2016",
        ["part-4:description"],
    )
    assert resources["https://github.com/astro-dl/tutorial"] == ("code", "", ["part-4:notes"])
    assert len(resources) == 8
    assert set(Resource.objects.get(url="https://github.com/astro-dl/tutorial").tags.names()) == {"astro-dl"}
    assert [w.line for w in result.warnings] == [49]


def test_import_reading_group_wiki_page(db):
    ada = UserFactory(username="ada", display_name="Ada Lovelace")

    import_file(WIKI, "causal")

    series = Series.objects.get(slug="causal")
    assert (series.name, series.weekday, series.cadence_weeks, series.start_time.isoformat()) == (
        "Causal Inference Reading Group",
        Series.Weekday.THURSDAY,
        1,
        "16:00:00",
    )
    meetings = meetings_of("causal")
    assert [(m.title, m.local_start.date().isoformat(), m.status) for m in meetings] == [
        ("Week 1: The Book of Why, chapters 1\u20132", "2024-01-18", Meeting.Status.HELD),
        ("Week 2: Potential outcomes", "2024-01-25", Meeting.Status.HELD),
        ("Week 3: Do-calculus", "2024-02-01", Meeting.Status.CANCELLED),
    ]
    assert [talks_of(m) for m in meetings] == [
        [("Maria Garcia", ""), ("Tom Lee", "")],
        [("Sam O'Neil", "")],
        [],
    ]
    minutes = Minutes.objects.get(meeting=meetings[0], kind="minutes")
    assert minutes.body.startswith("**Discussion notes**\n\n* The ladder of causation")
    assert items_of("causal") == [
        ("week-1", "find the Pearl 2009 survey", "open", ""),
        ("week-1", "Tom books room 2.14 for the term", "done", ""),
        ("week-1", "Order the textbook for the library", "dropped", "the library already has two copies"),
    ]
    assert ResearchItem.objects.get(status="open").assignee == ada
    # The club's own "Action items" list stays on the page too.
    assert (
        meetings[0]
        .sections.get(heading="Action items")
        .body.startswith("- [ ] @ada find the Pearl 2009 survey")
    )


# --- The command ---------------------------------------------------------------------------------


def test_import_markdown_command_json_summary(db):
    out = StringIO()

    call_command("import_markdown", str(HACKATHON), "--series", "dl-hackathon", "--json", stdout=out)

    summary = json.loads(out.getvalue())
    assert {key: summary[key] for key in ("series", "meetings", "talks", "research_items", "resources")} == {
        "series": {"created": 1, "reused": 0},
        "meetings": {"created": 8, "updated": 0, "unchanged": 0},
        "talks": {"created": 9, "updated": 0, "unchanged": 0},
        "research_items": {"created": 0, "updated": 0, "unchanged": 0, "removed": 0},
        "resources": {"created": 42, "reused": 0},
    }
    assert summary["dry_run"] is False
    assert summary["warnings"][0]["line"] == 44


def test_import_markdown_command_dry_run_writes_nothing(db):
    out = StringIO()

    call_command(
        "import_markdown", str(ML_CLUB), "--series", "ml-club", "--year", "2020", "--dry-run", stdout=out
    )

    text = out.getvalue()
    assert "Would import into series 'ml-club' (IGR-data Machine Learning Club, created)." in text
    assert "created  line 7: Meeting 1 (Mon 12 Oct 2020 14:00)" in text
    assert "research [Dropped] [GW ML September rev.]" in text
    assert "Dry run: nothing was written." in text
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_import_markdown_command_reports_file_and_line(db, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: [Club\n---\n\n## Session 1 - 3 February 2021\n")

    with pytest.raises(
        CommandError, match=r"^Nothing was imported\. bad\.md, line 2: the front matter is not valid YAML"
    ):
        call_command("import_markdown", str(bad), "--series", "club")


# --- The organisers' pages -----------------------------------------------------------------------


def test_import_page_preview_then_confirm(organiser_client, series):
    text = ML_CLUB.read_text()
    url = reverse("series-import", kwargs={"slug": series.slug})

    preview = organiser_client.post(url, {"text": text, "year": "2020", "tags": "ml club"})

    assert preview.status_code == 200
    assert Meeting.objects.count() == 0
    content = preview.content.decode()
    assert "Meetings: 1 created, 0 updated, 0 unchanged" in content
    assert (
        "[Dropped] [GW ML September rev.](https://iopscience.iop.org/article/10.1088/2632-2153/abb93a)"
        " — same GW rev" in content
    )
    assert "Mon 12 Oct 2020, 14:00" in content
    assert "https://www.youtube.com/watch?v=gZmobeGL0Yg" in content
    confirmed = organiser_client.post(
        reverse("series-import-confirm", kwargs={"slug": series.slug}), _confirm_data(preview)
    )

    assert confirmed.status_code == 302 and confirmed["Location"] == series.get_absolute_url()
    assert [m.title for m in meetings_of(series.slug)] == ["Meeting 1"]
    assert set(Resource.objects.get(url="https://pytorch.org/tutorials/").tags.names()) == {"ml club"}


def _confirm_data(response) -> dict:
    confirm = response.context["confirm"]
    return {
        name: confirm[name].value() if confirm[name].value() is not None else "" for name in confirm.fields
    }


def test_import_page_confirm_refuses_changed_text(organiser_client, series):
    preview = organiser_client.post(
        reverse("series-import", kwargs={"slug": series.slug}), {"text": ML_CLUB.read_text()}
    )
    data = _confirm_data(preview)
    data["text"] += "\n## Meeting 2\n"

    response = organiser_client.post(reverse("series-import-confirm", kwargs={"slug": series.slug}), data)

    assert response.status_code == 400
    assert "The document changed since the preview: preview it again." in response.content.decode()
    assert Meeting.objects.count() == 0


def test_import_page_upload_and_its_errors(organiser_client, series):
    url = reverse("series-import", kwargs={"slug": series.slug})

    good = organiser_client.post(url, {"document": SimpleUploadedFile("h.md", HACKATHON.read_bytes())})
    latin = organiser_client.post(
        url, {"document": SimpleUploadedFile("l.md", "# Club\nSéance\n".encode("latin-1"))}
    )
    huge = organiser_client.post(url, {"document": SimpleUploadedFile("big.md", b"x" * (1024 * 1024 + 1))})
    broken = organiser_client.post(url, {"text": "---\ntitle: Club\n\n## Session 1 - 3 February 2021\n"})

    assert "Meetings: 8 created" in good.content.decode()
    assert "l.md, line 2: the file is not UTF-8 text" in latin.content.decode()
    assert "The file is larger than 1 MB" in huge.content.decode()
    assert (
        "Nothing can be imported: pasted text, line 1: the front matter opened on line 1 is never closed"
        in broken.content.decode()
    )
    assert Meeting.objects.count() == 0


def test_import_page_permissions(client, member, organiser, series):
    url = reverse("series-import", kwargs={"slug": series.slug})
    new_url = reverse("series-import-new")

    anonymous = client.get(url)
    client.force_login(member)
    as_member = client.get(url)
    client.force_login(organiser)
    as_organiser = client.get(url)
    organiser_new = client.get(new_url)

    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert as_member.status_code == 403
    assert (
        as_organiser.status_code == 200
        and "Import a document into IGR-data ML Club" in as_organiser.content.decode()
    )
    assert organiser_new.status_code == 403


def test_import_page_new_series_by_staff(client, db):
    staff = UserFactory(username="boss", is_staff=True)
    client.force_login(staff)

    preview = client.post(reverse("series-import-new"), {"slug": "hack", "text": HACKATHON.read_text()})
    confirmed = client.post(reverse("series-import-new-confirm"), _confirm_data(preview))

    assert confirmed.status_code == 302 and confirmed["Location"] == "/series/hack/"
    series = Series.objects.get(slug="hack")
    assert list(series.organisers.all()) == [staff]
    taken = client.post(reverse("series-import-new"), {"slug": "hack", "text": "# X\n"})
    assert "A series has this address" in taken.content.decode()


def test_meeting_page_shows_imported_sections(client, db):
    import_file(HACKATHON, "dl-hackathon")
    meeting = Meeting.objects.get(import_key="session-2")

    response = client.get(meeting.get_absolute_url())

    content = response.content.decode()
    assert '<h2 id="section-' in content
    headings = re.findall(r'<h2 id="section-\d+-heading">([^<]+)</h2>', content)
    assert headings == ["Description of Activities", "Meeting Activities", "Relevant Links to Learn More"]
    assert "Ansh gave a presentation on how neural networks learn" in content
    assert f'href="{reverse("meeting-export", kwargs={"slug": "dl-hackathon", "pk": meeting.pk})}"' in content
