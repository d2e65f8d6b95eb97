"""export_club / import_club: the whole club in one JSON file, restored into an empty database."""

import json
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from meetings.markdown import render_markdown
from meetings.models import (
    Meeting,
    MeetingSection,
    Minutes,
    MinutesRevision,
    ResearchItemEvent,
    Series,
    TalkReminder,
    Unavailability,
    User,
)
from meetings.services import backup
from meetings.services.demo import demo_load
from meetings.services.minutes import minutes_save
from meetings.services.research import research_item_set_status, research_items_add
from meetings.services.rota import skip_date_add, swap_request_ask, unavailability_add
from meetings.services.tokens import api_token_create
from resources.models import Mention, ReadingList, ReadingListItem, Resource
from resources.services import health
from resources.services.library import resource_add, resource_index
from resources.services.readinglists import readinglist_add, readinglist_save
from resources.services.visibility import visibility_compute, visibility_stored
from tests.factories import PASSWORD, MeetingFactory, TalkFactory, UserFactory


def test_every_model_is_exported_or_listed_as_left_out():
    # A model added later fails here until it joins EXPORTED or NOT_EXPORTED (with its reason).
    assert backup.models_unaccounted() == []
    assert not set(backup.EXPORTED) & set(backup.NOT_EXPORTED)
    for label, fields in backup.NOT_EXPORTED_FIELDS.items():
        model = apps.get_model(label)
        assert label in backup.EXPORTED
        assert {f.name for f in model._meta.get_fields()} >= set(fields)
        assert set(fields.values()) <= {backup.SECRET, backup.DERIVED}


def test_every_stored_html_field_is_left_out_and_recomputed():
    # Sanitised HTML is never read from a backup: a tampered file cannot bring its own.
    derived = backup._derived()
    for label in backup.EXPORTED:
        model = apps.get_model(label)
        for f in model._meta.concrete_fields:
            if f.name.endswith("_html"):
                assert backup.NOT_EXPORTED_FIELDS[label][f.name] == backup.DERIVED
                assert f.name in derived[label]


def rich_club():
    """Everything a club keeps: the demo club's imported documents and one of each other row."""
    organiser = UserFactory(username="grace", display_name="Grace Hopper", is_staff=True)
    organiser.user_permissions.add(Permission.objects.get(codename="change_series"))
    group = Group.objects.create(name="Editors")
    group.permissions.add(Permission.objects.get(codename="change_resource"))
    organiser.groups.add(group)
    series = demo_load(organiser=organiser)
    ada = User.objects.get(username="ada")
    alan = User.objects.get(username="alan")
    series.speaker_pool.add(ada, alan)
    series.calendar_token = "series-secret-token"
    series.save()
    ada.calendar_token = "ada-secret-token"
    ada.save()
    api_token_create(user=ada, name="my script")

    meeting = MeetingFactory(
        series=series, title="Diffusion", agenda="1. **Intro**", agenda_html=render_markdown("1. **Intro**")
    )
    first = minutes_save(
        meeting=meeting,
        kind="minutes",
        body="We read [a paper](https://arxiv.org/abs/2006.11239).",
        base_revision=0,
        by=ada,
    )
    minutes_save(
        meeting=meeting,
        kind="minutes",
        body=first.minutes.body + "\n\n- $x^2$ and `code`",
        base_revision=1,
        by=alan,
        note="maths",
    )
    items = research_items_add(
        meeting=meeting, text="@ada read DDPM\n@alan try https://example.org/notebook", by=ada
    )
    research_item_set_status(item=items[0], status="done", by=ada)
    research_item_set_status(item=items[1], status="dropped", by=alan, reason="duplicate")
    MeetingSection.objects.create(
        meeting=meeting,
        kind="materials",
        heading="Materials",
        body="*slides*",
        body_html=render_markdown("*slides*"),
        position=1,
    )

    skip_date_add(series=series, day=date(2030, 12, 25), reason="Christmas")
    unavailability_add(
        user=alan, day=timezone.localdate() + timedelta(days=30), series=series, note="conference"
    )
    later = MeetingFactory(series=series, start=timezone.now() + timedelta(days=14))
    ada_talk = TalkFactory(meeting=meeting, speaker=ada, title="DDPM")
    alan_talk = TalkFactory(meeting=later, speaker=alan, title="Score matching")
    TalkReminder.objects.create(talk=ada_talk, days_before=7)
    swap_request_ask(from_talk=ada_talk, to_talk=alan_talk, by=ada, message="Could we swap?")

    paper, _ = resource_add(
        url="https://arxiv.org/abs/1706.03762", by=ada, tags=["Transformers", "nlp"], notes="A *classic*."
    )
    Resource.objects.filter(pk=paper.pk).update(
        authors=[{"given": "Ashish", "family": "Vaswani"}],
        abstract="The dominant sequence transduction models...",
        published_date=date(2017, 6, 12),
        metadata_state="done",
        metadata_fetched_at=timezone.now(),
    )
    paper.refresh_from_db()
    resource_index(resource=paper)
    health.health_record(
        resource=paper,
        result=health.CheckResult(
            url=paper.url, outcome="redirected", status_code=200, final_url=f"{paper.url}v7",
            redirects=[{"status": 301, "url": f"{paper.url}v7"}], method="HEAD", elapsed_ms=120,
            checked_at=timezone.now(),
        ),
    )  # fmt: skip
    reading = readinglist_save(
        reading_list=ReadingList(title="Start here", description="Read **first**", series=series),
        by=organiser,
    )
    readinglist_add(reading_list=reading, resource=paper, note="The one that started it", by=organiser)
    return {"series": series, "meeting": meeting, "paper": paper, "reading": reading}


def _without_time(text: str) -> dict:
    document = json.loads(text)
    document.pop("created_at")
    return document


def _flush():
    call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_export_import_export_gives_the_same_document(tmp_path):
    club = rich_club()
    html = {
        "minutes": Minutes.objects.get(meeting=club["meeting"]).body_html,
        "agenda": club["meeting"].agenda_html,
        "reading": ReadingListItem.objects.get().note_html,
    }
    search_text = Resource.objects.get(pk=club["paper"].pk).search_text
    visibility = visibility_stored()
    counts = {label: apps.get_model(label)._base_manager.count() for label in backup.EXPORTED}
    first = tmp_path / "backup.json"
    call_command("export_club", "-o", str(first))

    _flush()
    Permission.objects.get(codename="change_series").delete()  # ids of the new database differ
    call_command("migrate", verbosity=0)  # puts the permission back, with a new id
    out = _run("import_club", str(first))
    second = tmp_path / "again.json"
    call_command("export_club", "-o", str(second))

    assert _without_time(second.read_text()) == _without_time(first.read_text())
    assert {label: apps.get_model(label)._base_manager.count() for label in backup.EXPORTED} == counts
    assert all(counts[label] > 0 for label in backup.EXPORTED), counts
    # What the backup does not hold is rebuilt, or left out.
    assert Minutes.objects.get(meeting=club["meeting"]).body_html == html["minutes"]
    assert Meeting.objects.get(pk=club["meeting"].pk).agenda_html == html["agenda"]
    assert ReadingListItem.objects.get().note_html == html["reading"]
    assert Resource.objects.get(pk=club["paper"].pk).search_text == search_text
    assert visibility_stored() == visibility == visibility_compute()  # who sees each resource, rebuilt
    assert Series.objects.get(pk=club["series"].pk).calendar_token == ""
    assert User.objects.get(username="ada").calendar_token == ""
    assert apps.get_model("meetings.apitoken").objects.count() == 0
    grace = User.objects.get(username="grace")
    assert grace.has_usable_password() and not grace.check_password(PASSWORD)
    assert list(grace.user_permissions.values_list("codename", flat=True)) == ["change_series"]
    assert list(grace.groups.get().permissions.values_list("codename", flat=True)) == ["change_resource"]
    assert sorted(Resource.objects.get(pk=club["paper"].pk).tags.names()) == ["Transformers", "nlp"]
    assert "Restored" in out and "“Forgotten your password?”" in out
    # New rows get ids after the restored ones.
    assert Meeting.objects.create(series=club["series"], sequence=99).pk > club["meeting"].pk


def test_export_holds_revisions_events_rota_and_library_but_no_secrets(db):
    club = rich_club()

    document = json.loads(backup.club_export())

    assert (document["format"], document["version"]) == ("clubsite-backup", 1)
    by_model = {}
    for obj in document["objects"]:
        by_model.setdefault(obj["model"], []).append(obj)
    bodies = [
        o["fields"]["body"]
        for o in by_model["meetings.minutesrevision"]
        if o["fields"]["minutes"] == Minutes.objects.get(meeting=club["meeting"]).pk
    ]
    assert len(bodies) == 2 and bodies[1].endswith("- $x^2$ and `code`")
    assert len(by_model["meetings.minutesrevision"]) == MinutesRevision.objects.count()
    assert len(by_model["meetings.researchitemevent"]) == ResearchItemEvent.objects.count() >= 2
    assert [o["fields"]["reason"] for o in by_model["meetings.skipdate"]] == ["Christmas"]
    assert by_model["meetings.swaprequest"][0]["fields"]["message"] == "Could we swap?"
    assert len(by_model["meetings.unavailability"]) == Unavailability.objects.count() == 1
    assert len(by_model["meetings.talkreminder"]) == 1
    [paper] = [o for o in by_model["resources.resource"] if o["pk"] == club["paper"].pk]
    assert paper["fields"]["authors"] == [{"given": "Ashish", "family": "Vaswani"}]
    assert paper["fields"]["health"] == "healthy"
    assert by_model["resources.linkcheck"][0]["fields"]["redirects"] == [
        {"status": 301, "url": "https://arxiv.org/abs/1706.03762v7"}
    ]
    assert len(by_model["resources.mention"]) == Mention.objects.count() > 0
    tagged = {o["fields"]["content_type"] == ["resources", "resource"] for o in by_model["taggit.taggeditem"]}
    assert tagged == {True}
    [series] = [o for o in by_model["meetings.series"] if o["pk"] == club["series"].pk]
    assert sorted(series["fields"]["speaker_pool"]) == sorted(
        User.objects.filter(username__in=["ada", "alan"]).values_list("pk", flat=True)
    )
    text = json.dumps(document)
    for secret in ("series-secret-token", "ada-secret-token", "pbkdf2", "md5$", "token_hash"):
        assert secret not in text
    assert "password" not in by_model["meetings.user"][0]["fields"]
    assert "meetings.apitoken" not in by_model and "meetings.invitation" not in by_model
    assert "body_html" not in text and "search_text" not in text


def _run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_refuses_a_database_that_is_not_empty(db, tmp_path):
    rich_club()
    path = tmp_path / "backup.json"
    path.write_text(backup.club_export())
    before = Meeting.objects.count()

    with pytest.raises(CommandError) as error:
        _run("import_club", str(path))

    assert "the database is not empty (it holds" in str(error.value)
    assert "3 users" in str(error.value)
    assert "create a new one and run `manage.py migrate` first" in str(error.value)
    assert Meeting.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_import_reports_every_bad_row_with_its_line_and_writes_nothing(tmp_path):
    rich_club()
    text = backup.club_export()
    _flush()
    lines = text.splitlines()
    # Line 1 is the header; objects follow one per line.
    meeting_line = next(n for n, line in enumerate(lines) if '"model": "meetings.meeting"' in line)
    meeting = json.loads(lines[meeting_line].rstrip(","))
    meeting["fields"]["start"] = "next tuesday"
    lines[meeting_line] = json.dumps(meeting) + ","
    series_line = next(n for n, line in enumerate(lines) if '"model": "meetings.series"' in line)
    series = json.loads(lines[series_line].rstrip(","))
    series["fields"]["visibility"] = "everyone"
    series["fields"]["colour"] = "red"
    lines[series_line] = json.dumps(series) + ","
    talk_line = next(n for n, line in enumerate(lines) if '"model": "meetings.talk"' in line)
    talk = json.loads(lines[talk_line].rstrip(","))
    talk["fields"]["speaker"] = 999_999
    lines[talk_line] = json.dumps(talk) + ","
    path = tmp_path / "bad.json"
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(CommandError) as error:
        _run("import_club", str(path))

    message = str(error.value)
    assert message.startswith("Nothing was imported:")
    assert f"line {meeting_line + 1} (meetings.meeting {meeting['pk']})" in message
    assert "“next tuesday” value has an invalid format" in message
    assert f"line {series_line + 1} (meetings.series {series['pk']}): unknown field(s) colour" in message
    # The talk's missing speaker is found once the other rows are right.
    assert User.objects.count() == Series.objects.count() == Meeting.objects.count() == 0

    series["fields"].pop("colour")
    series["fields"]["visibility"] = "everyone"
    lines[series_line] = json.dumps(series) + ","
    meeting["fields"]["start"] = None
    lines[meeting_line] = json.dumps(meeting) + ","
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError) as error:
        _run("import_club", str(path))
    assert (
        f"line {series_line + 1} (meetings.series {series['pk']}): "
        "field visibility: Value 'everyone' is not a valid choice." in str(error.value)
    )

    series["fields"]["visibility"] = "public"
    lines[series_line] = json.dumps(series) + ","
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError) as error:
        _run("import_club", str(path))
    assert (
        f"line {talk_line + 1} (meetings.talk {talk['pk']}): "
        "field speaker: no meetings.user 999999 in the backup" in str(error.value)
    )
    assert User.objects.count() == Series.objects.count() == 0


HEAD = '{"format": "clubsite-backup", "version": 1, "objects": [\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"format": "clubsite-backup",\n "version": 1, "objects": [\n{"model": }]}',
            "line 3, column 11: not JSON",
        ),
        ('{"objects": []}', 'not a clubsite backup (no "format": "clubsite-backup")'),
        (
            '{"format": "clubsite-backup", "version": 7, "objects": []}',
            "backup format version 7; this clubsite reads version 1",
        ),
        ('{"format": "clubsite-backup", "version": 1, "objects": {}}', '"objects" is not a list'),
        (
            HEAD + '{"model": "meetings.apitoken", "pk": 1, "fields": {}}]}',
            "line 2: 'meetings.apitoken' is not a model a backup holds",
        ),
        (
            HEAD + '{"model": "meetings.skipdate", "pk": "x", "fields": {}}]}',
            "line 2 (meetings.skipdate 'x'): pk is a positive whole number",
        ),
    ],
)
def test_import_explains_a_file_that_is_not_a_backup(db, tmp_path, text, expected):
    path = tmp_path / "backup.json"
    path.write_text(text)

    with pytest.raises(CommandError) as error:
        _run("import_club", str(path))

    assert expected in str(error.value)


def test_import_does_not_trust_html_in_the_file(db, tmp_path):
    UserFactory(username="ada")
    meeting = MeetingFactory(agenda="Hello")
    text = backup.club_export()
    _flush_all()
    document = json.loads(text)
    for obj in document["objects"]:
        if obj["model"] == "meetings.meeting":
            obj["fields"]["agenda"] = "<script>alert(1)</script> **bold**"
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(document))

    _run("import_club", str(path))

    restored = Meeting.objects.get(pk=meeting.pk)
    assert "<script>" not in restored.agenda_html
    assert "<strong>bold</strong>" in restored.agenda_html


def _flush_all():
    for label in reversed(backup.EXPORTED):
        apps.get_model(label)._base_manager.all().delete()


@pytest.mark.django_db(transaction=True)
def test_import_names_the_row_the_database_refuses_and_keeps_nothing(tmp_path):
    resource_add(url="https://example.org/a", tags=["vision"])
    resource_add(url="https://example.org/b", tags=["nlp"])
    document = json.loads(backup.club_export())
    _flush()
    tags = [obj for obj in document["objects"] if obj["model"] == "taggit.tag"]
    tags[1]["fields"]["slug"] = tags[0]["fields"]["slug"]  # two tags, one slug: unique in the database
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(document, indent=1))

    with pytest.raises(CommandError) as error:
        _run("import_club", str(path))

    message = str(error.value)
    assert f"(taggit.tag {tags[1]['pk']}): duplicate key value violates unique constraint" in message or (
        f"(taggit.tag {tags[1]['pk']}): UNIQUE constraint failed: taggit_tag.slug" in message
    )
    assert Resource.objects.count() == User.objects.count() == 0
    assert apps.get_model("taggit.tag").objects.count() == 0
