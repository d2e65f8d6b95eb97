from datetime import timedelta

from django.utils import timezone

from meetings.models import Meeting, Minutes, Series
from meetings.services.minutes import minutes_save
from tests.api.conftest import error_of
from tests.factories import MeetingFactory, TalkFactory

# Series ------------------------------------------------------------------------------------------


def test_visitor_lists_public_series_only(api, series, private_series):
    body = api.get("/api/v1/series/").json()

    assert [s["slug"] for s in body["results"]] == ["ml-club"]
    assert api.get("/api/v1/series/secret/").status_code == 404


def test_member_lists_every_series(member_api, series, private_series):
    slugs = [s["slug"] for s in member_api.get("/api/v1/series/").json()["results"]]

    assert slugs == ["ml-club", "secret"]


def test_series_detail(api, series, meeting):
    body = api.get("/api/v1/series/ml-club/").json()

    assert body["name"] == "IGR-data ML Club"
    assert body["organisers"] == [{"username": "grace", "name": "Grace Hopper"}]
    assert body["meeting_count"] == 1
    assert body["start_time"] == "14:00"
    assert body["meetings_url"] == "/api/v1/series/ml-club/meetings/"


def test_member_who_organises_nothing_cannot_start_a_series(member_api, series):
    response = member_api.post("/api/v1/series/", {"name": "New", "slug": "new"}, format="json")

    assert response.status_code == 403
    assert error_of(response)["message"] == "Only organisers can start a new series."


def test_organiser_starts_a_series_and_organises_it(organiser_api, organiser, series):
    response = organiser_api.post(
        "/api/v1/series/",
        {"name": "Reading group", "slug": "reading", "start_time": "16:30", "default_duration_minutes": 90},
        format="json",
    )

    assert response.status_code == 201
    created = Series.objects.get(slug="reading")
    assert list(created.organisers.all()) == [organiser]
    assert created.default_duration == timedelta(minutes=90)
    assert response.json()["start_time"] == "16:30"


def test_series_slug_must_be_new(organiser_api, series):
    response = organiser_api.post("/api/v1/series/", {"name": "Dup", "slug": "ml-club"}, format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"slug": ["A series already has this slug."]}


def test_only_this_series_organisers_edit_it(organiser_api, other_organiser_api, member_api, api, series):
    assert api.patch("/api/v1/series/ml-club/", {"name": "x"}, format="json").status_code == 401
    assert member_api.patch("/api/v1/series/ml-club/", {"name": "x"}, format="json").status_code == 403
    assert (
        other_organiser_api.patch("/api/v1/series/ml-club/", {"name": "x"}, format="json").status_code == 403
    )
    response = organiser_api.patch("/api/v1/series/ml-club/", {"location": "Room 2"}, format="json")

    assert response.status_code == 200
    series.refresh_from_db()
    assert (series.location, series.name) == ("Room 2", "IGR-data ML Club")


def test_rota_is_the_upcoming_meetings_with_their_speakers(api, series, member):
    soon = MeetingFactory(series=series, start=timezone.now() + timedelta(days=7), title="Soon")
    TalkFactory(meeting=soon, speaker=member, title="Diffusion", confirmed_at=timezone.now())
    MeetingFactory(series=series, start=timezone.now() - timedelta(days=7), title="Past")

    results = api.get("/api/v1/series/ml-club/rota/").json()["results"]

    assert [r["title"] for r in results] == ["Soon"]
    assert results[0]["talks"][0]["speaker"] == {"username": "ada", "name": "Ada Lovelace"}
    assert results[0]["talks"][0]["title"] == "Diffusion"
    assert results[0]["talks"][0]["confirmed_at"] is not None


# Meetings ----------------------------------------------------------------------------------------


def test_meeting_detail_has_speakers_agenda_and_minutes_links(api, meeting, talk):
    body = api.get(f"/api/v1/series/ml-club/meetings/{meeting.pk}/").json()

    assert body["title"] == "Attention is all you need"
    assert [t["speaker_name"] for t in body["talks"]] == ["Ada Lovelace"]
    assert body["minutes_url"] == f"/api/v1/series/ml-club/meetings/{meeting.pk}/minutes/"
    assert body["recap_url"] == f"/api/v1/series/ml-club/meetings/{meeting.pk}/recap/"


def test_visitor_cannot_see_a_members_only_meeting(api, member_api, private_meeting):
    path = f"/api/v1/series/secret/meetings/{private_meeting.pk}/"

    assert api.get(path).status_code == 404
    assert member_api.get(path).status_code == 200


def test_meeting_list_of_a_series(member_api, meeting):
    body = member_api.get("/api/v1/series/ml-club/meetings/").json()

    assert [m["id"] for m in body["results"]] == [meeting.pk]


def test_organiser_schedules_a_meeting(organiser_api, series):
    response = organiser_api.post(
        "/api/v1/series/ml-club/meetings/",
        {"start": "2027-01-11T14:00:00Z", "title": "Diffusion", "agenda": "See https://example.org/d"},
        format="json",
    )

    assert response.status_code == 201
    meeting = Meeting.objects.get(title="Diffusion")
    assert meeting.agenda_html.startswith('<p>See <a href="https://example.org/d"')
    assert meeting.mentions.get().resource.url == "https://example.org/d"


def test_member_and_other_organiser_cannot_schedule(member_api, other_organiser_api, series):
    for client in (member_api, other_organiser_api):
        response = client.post("/api/v1/series/ml-club/meetings/", {"title": "x"}, format="json")
        assert response.status_code == 403
    assert not Meeting.objects.exists()


def test_organiser_edits_a_meeting(organiser_api, member_api, meeting):
    path = f"/api/v1/series/ml-club/meetings/{meeting.pk}/"

    assert member_api.patch(path, {"status": "held"}, format="json").status_code == 403
    response = organiser_api.patch(path, {"status": "held", "duration_minutes": 90}, format="json")

    assert response.status_code == 200
    meeting.refresh_from_db()
    assert (meeting.status, meeting.duration) == ("held", timedelta(minutes=90))


def test_meeting_start_out_of_range_is_a_field_error(organiser_api, meeting):
    response = organiser_api.patch(
        f"/api/v1/series/ml-club/meetings/{meeting.pk}/", {"start": "9999-12-31T23:59:00Z"}, format="json"
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"start": ["Give a date between 1900 and 2200."]}


# Minutes -----------------------------------------------------------------------------------------


def test_minutes_read_before_any_save_is_revision_0(api, meeting):
    body = api.get(f"/api/v1/series/ml-club/meetings/{meeting.pk}/minutes/").json()

    assert body == {
        "meeting": meeting.pk,
        "kind": "minutes",
        "body": "",
        "body_html": "",
        "revision": 0,
        "updated_at": None,
        "updated_by": None,
        "published_at": None,
    }
    assert not Minutes.objects.exists()


def test_member_saves_minutes_based_on_a_revision(member_api, meeting):
    path = f"/api/v1/series/ml-club/meetings/{meeting.pk}/minutes/"

    response = member_api.put(path, {"body": "# Notes", "base_revision": 0}, format="json")

    assert response.status_code == 200
    assert response.json()["revision"] == 1
    assert response.json()["body_html"].startswith("<h1")
    assert response.json()["updated_by"]["username"] == "ada"
    assert member_api.get(path).json()["revision"] == 1


def test_saving_an_overlapping_edit_on_an_old_revision_is_409_with_the_hunks(
    member_api, other_member, meeting
):
    minutes_save(meeting=meeting, kind="minutes", body="first", base_revision=0, by=other_member)
    minutes_save(meeting=meeting, kind="minutes", body="second", base_revision=1, by=other_member)

    response = member_api.put(
        f"/api/v1/series/ml-club/meetings/{meeting.pk}/minutes/",
        {"body": "mine", "base_revision": 1},
        format="json",
    )

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "conflict"
    assert error["current_revision"] == 2
    assert error["conflicts"] == [{"line": 1, "base": "first\n", "mine": "mine", "theirs": "second"}]
    assert Minutes.objects.get(meeting=meeting, kind="minutes").body == "second"


def test_saving_a_separate_edit_on_an_old_revision_merges_and_answers_200(member_api, other_member, meeting):
    base = "Intro\n\nWe read PPO.\n\nNext: SAC.\n"
    minutes_save(meeting=meeting, kind="minutes", body=base, base_revision=0, by=other_member)
    theirs = base.replace("Intro", "Intro (6 came)")
    minutes_save(meeting=meeting, kind="minutes", body=theirs, base_revision=1, by=other_member)

    response = member_api.put(
        f"/api/v1/series/ml-club/meetings/{meeting.pk}/minutes/",
        {"body": base.replace("Next: SAC.", "Next: SAC and TD3."), "base_revision": 1},
        format="json",
    )

    assert response.status_code == 200
    merged = "Intro (6 came)\n\nWe read PPO.\n\nNext: SAC and TD3.\n"
    assert (response.json()["revision"], response.json()["body"]) == (3, merged)
    assert response.json()["updated_by"]["username"] == "ada"
    assert Minutes.objects.get(meeting=meeting, kind="minutes").body == merged


def test_recap_is_a_separate_document(member_api, meeting):
    member_api.put(
        f"/api/v1/series/ml-club/meetings/{meeting.pk}/recap/",
        {"body": "Recap", "base_revision": 0},
        format="json",
    )

    kinds = dict(Minutes.objects.filter(meeting=meeting).values_list("kind", "body"))
    assert kinds == {"recap": "Recap"}


def test_visitor_cannot_write_minutes(api, meeting):
    response = api.put(
        f"/api/v1/series/ml-club/meetings/{meeting.pk}/minutes/",
        {"body": "x", "base_revision": 0},
        format="json",
    )

    assert response.status_code == 401
    assert not Minutes.objects.exists()


def test_minutes_need_a_base_revision(member_api, meeting):
    response = member_api.put(
        f"/api/v1/series/ml-club/meetings/{meeting.pk}/minutes/", {"body": "x"}, format="json"
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"base_revision": ["This field is required."]}
