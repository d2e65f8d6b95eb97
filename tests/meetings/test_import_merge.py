"""Re-importing an edited document merges three ways: the last import, the document, the site."""

import pytest

from meetings.models import Meeting, ResearchItem
from meetings.services.importer import markdown_import
from meetings.services.research import research_item_set_status, research_item_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DOCUMENT = """# Reading group

## Session 1: Transformers

### Speakers

- Ada Lovelace: Attention is all you need

### To research

- [ ] Compare positional encodings
- [ ] Find the code release
- [x] Book the room
"""


def _import(text, **options):
    organiser = UserFactory(username="org")
    return markdown_import(
        documents=[("notes.md", text)], series_slug="rg", by=organiser, **options
    ), organiser


def _items():
    return {item.text: (item.status, item.drop_reason) for item in ResearchItem.objects.all()}


def test_reimport_unchanged_document_keeps_site_tick_drop_and_titles():
    _, organiser = _import(DOCUMENT)
    member = UserFactory()
    research_item_set_status(
        item=ResearchItem.objects.get(text="Compare positional encodings"), status="done", by=member
    )
    research_item_set_status(
        item=ResearchItem.objects.get(text="Book the room"), status="dropped", by=member, reason="online only"
    )
    meeting = Meeting.objects.get()
    meeting.title = "Session 1: Attention"
    meeting.save()
    talk = meeting.talks.get()
    talk.title = "Attention (revisited)"
    talk.save()

    result = markdown_import(documents=[("notes.md", DOCUMENT)], series_slug="rg", by=organiser)

    assert _items() == {
        "Compare positional encodings": ("done", ""),
        "Find the code release": ("open", ""),
        "Book the room": ("dropped", "online only"),
    }
    meeting.refresh_from_db()
    assert meeting.title == "Session 1: Attention"
    assert meeting.talks.get().title == "Attention (revisited)"
    assert result.counts["research_items"] == {"created": 0, "updated": 0, "unchanged": 3, "removed": 0}
    assert result.counts["meetings"]["unchanged"] == 1
    assert result.clashes == []


def test_reimport_document_change_applies_where_site_did_not_change():
    _, organiser = _import(DOCUMENT)
    edited = DOCUMENT.replace("- [ ] Find the code release", "- [x] Find the code release").replace(
        "Attention is all you need", "Attention is all you need (2017)"
    )
    result = markdown_import(documents=[("notes.md", edited)], series_slug="rg", by=organiser)
    assert _items()["Find the code release"] == ("done", "")
    assert Meeting.objects.get().talks.get().title == "Attention is all you need (2017)"
    assert result.counts["research_items"]["updated"] == 1
    assert result.clashes == []


@pytest.mark.parametrize(
    ("prefer_document", "kept"), [(False, ("done", "")), (True, ("dropped", "not needed"))]
)
def test_reimport_real_clash_is_listed_and_site_value_kept_unless_document_preferred(prefer_document, kept):
    _, organiser = _import(DOCUMENT)
    research_item_set_status(
        item=ResearchItem.objects.get(text="Find the code release"), status="done", by=UserFactory()
    )
    edited = DOCUMENT.replace("- [ ] Find the code release", "- ~~Find the code release~~ not needed")

    result = markdown_import(
        documents=[("notes.md", edited)], series_slug="rg", by=organiser, prefer_document=prefer_document
    )

    assert _items()["Find the code release"] == kept
    assert [
        (c["what"], c["field"], c["site"], c["document"], c["kept"], c["line"]) for c in result.clashes
    ] == [
        (
            "research item “Find the code release”",
            "status",
            "done",
            "dropped",
            "document" if prefer_document else "site",
            12,
        ),
    ]
    assert any("changed on the site" in str(w) for w in result.warnings)


def test_reimport_item_gone_from_document_but_ticked_on_site_stays_and_is_reported():
    _, organiser = _import(DOCUMENT)
    research_item_set_status(
        item=ResearchItem.objects.get(text="Compare positional encodings"), status="done", by=UserFactory()
    )
    edited = DOCUMENT.replace("- [ ] Compare positional encodings\n", "").replace(
        "- [ ] Find the code release\n", ""
    )

    result = markdown_import(documents=[("notes.md", edited)], series_slug="rg", by=organiser)

    assert _items() == {"Compare positional encodings": ("done", ""), "Book the room": ("done", "")}
    assert result.counts["research_items"]["removed"] == 1
    assert [(c["what"], c["field"]) for c in result.clashes] == [
        ("research item “Compare positional encodings”", "removed from the document")
    ]


def test_reimport_site_edited_item_text_keeps_its_edit():
    _, organiser = _import(DOCUMENT)
    item = ResearchItem.objects.get(text="Find the code release")
    research_item_update(item=item, text="Find the official code release", assignee=None, by=organiser)
    markdown_import(documents=[("notes.md", DOCUMENT)], series_slug="rg", by=organiser)
    assert sorted(_items()) == [
        "Book the room",
        "Compare positional encodings",
        "Find the official code release",
    ]


def test_preview_lists_clashes_and_confirm_can_take_the_document(client):
    from django.urls import reverse

    from tests.factories import SeriesFactory

    organiser = UserFactory(username="org")
    series = SeriesFactory(slug="rg", organisers=[organiser])
    markdown_import(documents=[("notes.md", DOCUMENT)], series_slug="rg", by=organiser)
    research_item_set_status(
        item=ResearchItem.objects.get(text="Find the code release"), status="done", by=organiser
    )
    edited = DOCUMENT.replace("- [ ] Find the code release", "- ~~Find the code release~~ not needed")
    client.force_login(organiser)

    preview = client.post(reverse("series-import", kwargs={"slug": series.slug}), {"text": edited})

    assert preview.status_code == 200
    page = preview.content.decode()
    assert 'id="import-clashes"' in page
    assert (
        "research item “Find the code release”" in page and '<td data-label="On the site">done</td>' in page
    )
    assert _items()["Find the code release"] == ("done", "")  # the preview wrote nothing
    form = preview.context["confirm"]
    data = {field.name: field.value() or "" for field in form.hidden_fields()}
    confirmed = client.post(
        reverse("series-import-confirm", kwargs={"slug": series.slug}), {**data, "prefer_document": "on"}
    )
    assert confirmed.status_code == 302
    assert _items()["Find the code release"] == ("dropped", "not needed")


def test_command_reports_clash_and_keeps_site_value(tmp_path):
    from io import StringIO

    from django.core.management import call_command

    _, organiser = _import(DOCUMENT)
    research_item_set_status(
        item=ResearchItem.objects.get(text="Find the code release"), status="done", by=organiser
    )
    path = tmp_path / "notes.md"
    path.write_text(DOCUMENT.replace("- [ ] Find the code release", "- ~~Find the code release~~ not needed"))
    out = StringIO()
    call_command("import_markdown", str(path), "--series", "rg", stdout=out)
    assert (
        "Clash, line 12: Session 1: Transformers: research item “Find the code release”: status is "
        "'done' on the site and 'dropped' in the document; kept the site's." in out.getvalue()
    )
    assert _items()["Find the code release"] == ("done", "")
