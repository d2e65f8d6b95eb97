"""Issue 13: Markdown work per request is bounded.

199,000 "[" took 31 s to render (the preview, every save and the API's 200,000-character fields
took them), 2,000 nested list levels raised RecursionError (500), footnote and emphasis patterns
took 7-10 s. Now a text beyond the bounds is refused with a message at every input, before any
rendering; ordinary minutes up to the limit render as before. (Times: benchmarks/.)
"""

from pathlib import Path

import pytest
from django.urls import reverse

from meetings.markdown import MAX_LENGTH, MarkdownRefused, markdown_problem, render_markdown
from meetings.models import MinutesRevision
from meetings.services.importer import ImportFailed, markdown_import
from tests.api.conftest import _token_client
from tests.factories import MeetingFactory

DEMO = Path(__file__).resolve().parents[2] / "meetings" / "demo" / "ml-club-minutes.md"

BRACKETS = "[" * 99_000
NESTED_LISTS = "".join("  " * level + "- x\n" for level in range(300))  # 90,000 characters
EMPHASIS = "*a" * 40_000
FOOTNOTES = "".join(f"[^{n}]" for n in range(13_000))
TOO_LONG = "word " * 30_000  # 150,000 characters

HOSTILE = {
    "brackets": (BRACKETS, "too much markup"),
    "nested lists": (NESTED_LISTS, "nested at most 20 levels deep; line 22 is 21 levels deep"),
    "nested quotes": (">" * 90_000, "nested at most 20 levels deep; line 1 is 90,000 levels deep"),
    "emphasis": (EMPHASIS, "too much markup"),
    "footnotes": (FOOTNOTES, "too much markup"),
    "unclosed links": ("[a](" * 24_000, "too much markup"),
    "short lines": ("a\n\n" * 20_000, "too many lines"),
    "long": (TOO_LONG, "limited to 100,000 characters per field; this text has 150,000"),
}


def test_limit_is_the_setting(settings):
    assert MAX_LENGTH == settings.MARKDOWN_MAX_LENGTH == 100_000


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_text_is_refused_with_a_message(name):
    text, message = HOSTILE[name]

    assert message in markdown_problem(text)
    with pytest.raises(MarkdownRefused, match=message.split(";")[0]):
        render_markdown(text)


def test_ordinary_minutes_at_the_limit_render():
    minutes = DEMO.read_text()
    text = (minutes * (MAX_LENGTH // len(minutes) + 1))[:MAX_LENGTH]

    html = render_markdown(text)

    assert markdown_problem(text) is None
    assert html.count("<h1") > 30
    assert html.count('href="https://pytorch.org/tutorials/"') >= 34


def test_nesting_within_the_bound_renders():
    text = "".join("  " * level + f"- level {level}\n" for level in range(20))

    html = render_markdown(text)

    assert html.count("<ul>") == 20
    assert "level 19" in html


def test_balanced_brackets_and_many_links_render():
    links = "".join(f"- [paper {n}](https://example.org/{n})\n" for n in range(1500))

    html = render_markdown(links)

    assert html.count('<a href="https://example.org/') == 1500


@pytest.fixture
def meeting(series):
    return MeetingFactory(series=series, title="GANs")


@pytest.mark.parametrize("name", ["brackets", "nested lists", "long"])
def test_preview_refuses_with_the_message(member_client, name):
    text, message = HOSTILE[name]

    response = member_client.post(reverse("markdown-preview"), {"body": text})

    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nested lists", "nested at most 20 levels deep"),
        ("long", "at most 100000 characters (it has 150000)"),
    ],
)
def test_minutes_form_shows_the_message_and_saves_nothing(member_client, meeting, name, message):
    url = reverse(
        "minutes-edit", kwargs={"slug": meeting.series.slug, "pk": meeting.pk, "kind_slug": "minutes"}
    )

    response = member_client.post(url, {"body": HOSTILE[name][0], "base_revision": 0})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not MinutesRevision.objects.exists()


@pytest.mark.parametrize("name", ["brackets", "nested lists", "long"])
def test_api_refuses_with_a_field_error(member, meeting, name):
    text, message = HOSTILE[name]
    api = _token_client(member)

    response = api.put(
        f"/api/v1/series/{meeting.series.slug}/meetings/{meeting.pk}/minutes/",
        {"body": text, "base_revision": 0},
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["error"]["fields"]["body"]
    expected = "Ensure this field has no more than 100000 characters." if name == "long" else message
    assert any(expected in error for error in errors)
    assert not MinutesRevision.objects.exists()


def test_importer_refuses_a_section_it_cannot_render(db):
    document = "# Club\n\n## Meeting 1 - 12 October 2020\n\n### Minutes\n\n" + NESTED_LISTS

    with pytest.raises(ImportFailed, match="nested at most 20 levels deep") as failed:
        markdown_import(documents=[("club.md", document)], series_slug="club", year=2020)

    assert failed.value.line is not None
