from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from meetings.services import calendars, rota
from tests.factories import MeetingFactory, SeriesFactory, TalkFactory, UserFactory, local

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def club(organiser, member):
    return SeriesFactory(
        name="ML Club",
        slug="ml",
        organisers=[organiser],
        location="Room 2.14",
        video_link="https://meet.example.org/ml",
    )


def _parse(response) -> Calendar:
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def _events(calendar):
    return sorted(calendar.walk("VEVENT"), key=lambda e: e.start)


def test_series_calendar_is_valid_icalendar_with_local_times_across_both_clock_changes(client, club, member):
    spring = [
        MeetingFactory(series=club, start=local(2027, 3, day), location="Room 2.14") for day in (22, 29)
    ]
    [
        MeetingFactory(series=club, start=local(2027, day_month[1], day_month[0]))
        for day_month in ((25, 10), (1, 11))
    ]
    TalkFactory(meeting=spring[0], speaker=member, title="GANs")

    calendar = _parse(client.get(reverse("series-calendar", kwargs={"slug": club.slug})))

    assert str(calendar["X-WR-CALNAME"]) == "ML Club"
    assert str(calendar["VERSION"]) == "2.0"
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/London"]
    events = _events(calendar)
    assert [e.start.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") for e in events] == [
        "2027-03-22 14:00",
        "2027-03-29 14:00",
        "2027-10-25 14:00",
        "2027-11-01 14:00",
    ]
    assert [e.start.astimezone(UTC).hour for e in events] == [14, 13, 13, 14]
    assert all(e["DTSTART"].params["TZID"] == "Europe/London" for e in events)
    assert [e.end - e.start for e in events] == [club.default_duration] * 4
    first = events[0]
    assert str(first["UID"]) == f"meeting-{spring[0].pk}@127.0.0.1"
    assert str(first["SUMMARY"]) == f"{spring[0].title} (Ada Lovelace)"
    assert str(first["LOCATION"]) == "Room 2.14"
    assert str(first["URL"]) == "http://127.0.0.1:8000" + spring[0].get_absolute_url()
    assert str(first["STATUS"]) == "CONFIRMED"
    assert "Speaker: Ada Lovelace: GANs" in str(first["DESCRIPTION"])


def test_series_calendar_video_link_cancelled_status_and_stable_uid(client, club, organiser):
    meeting = MeetingFactory(series=club, start=local(2027, 1, 4), video_link="https://meet.example.org/ml")
    url = reverse("series-calendar", kwargs={"slug": club.slug})
    before = _events(_parse(client.get(url)))[0]

    rota.rota_cancel(meeting=meeting, by=organiser)
    after = _events(_parse(client.get(url)))[0]

    assert str(after["UID"]) == str(before["UID"])
    assert str(after["STATUS"]) == "CANCELLED"
    assert int(after["SEQUENCE"]) >= int(before["SEQUENCE"])
    assert "Video call: https://meet.example.org/ml" in str(after["DESCRIPTION"])
    assert str(after["CONFERENCE"]) == "https://meet.example.org/ml"
    assert after["LAST-MODIFIED"].dt >= before["LAST-MODIFIED"].dt


def test_series_calendar_download_is_an_attachment(client, club):
    response = client.get(reverse("series-calendar", kwargs={"slug": club.slug}) + "?download=1")

    assert response["Content-Disposition"] == 'attachment; filename="ml.ics"'
    assert Calendar.from_ical(response.content).walk("VEVENT") == []


def test_private_series_calendar_needs_the_token(client, private_series, member):
    MeetingFactory(series=private_series, start=local(2027, 1, 4), title="Secret talk")
    plain = reverse("series-calendar", kwargs={"slug": private_series.slug})
    assert client.get(plain).status_code == 404

    token = calendars.series_calendar_token(series=private_series)
    assert calendars.series_calendar_token(series=private_series) == token
    with_token = reverse("series-calendar-private", kwargs={"slug": private_series.slug, "token": token})
    wrong = reverse("series-calendar-private", kwargs={"slug": private_series.slug, "token": "x" + token})

    assert client.get(wrong).status_code == 404
    calendar = _parse(client.get(with_token))
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Secret talk"]

    calendars.series_calendar_token_reset(series=private_series)
    assert client.get(with_token).status_code == 404


def test_private_series_calendar_links_page_makes_the_token_and_organisers_reset_it(
    client, private_series, organiser, member
):
    client.force_login(member)
    page = client.get(reverse("series-calendar-links", kwargs={"slug": private_series.slug})).content.decode()
    private_series.refresh_from_db()
    token = private_series.calendar_token
    assert token
    assert f"webcal://testserver/series/secret/calendar/{token}.ics" in page
    assert "Reset the address" not in page
    assert (
        client.post(reverse("series-calendar-reset", kwargs={"slug": private_series.slug})).status_code == 403
    )

    client.force_login(organiser)
    client.post(reverse("series-calendar-reset", kwargs={"slug": private_series.slug}))
    private_series.refresh_from_db()
    assert private_series.calendar_token not in ("", token)


def test_series_page_has_webcal_and_download_links(client, club):
    page = client.get(club.get_absolute_url()).content.decode()

    assert 'href="webcal://testserver/series/ml/calendar.ics"' in page
    assert 'href="/series/ml/calendar.ics?download=1"' in page
    assert 'href="/series/ml/rota/"' in page


def test_my_talks_calendar_lists_the_members_talks_in_every_series(
    member_client, member, club, private_series
):
    mine = TalkFactory(
        meeting=MeetingFactory(series=club, start=local(2027, 1, 4), title="GANs"), speaker=member
    )
    TalkFactory(
        meeting=MeetingFactory(series=private_series, start=local(2027, 7, 5), title="VAEs"), speaker=member
    )
    TalkFactory(meeting=MeetingFactory(series=club, start=local(2027, 1, 18)))

    member_client.post(reverse("my-calendar-reset"))
    member.refresh_from_db()
    token = member.calendar_token
    url = reverse("my-talks-calendar", kwargs={"token": token})
    profile = member_client.get(reverse("profile")).content.decode()
    assert f"webcal://testserver{url}" in profile

    calendar = _parse(Client().get(url))
    assert str(calendar["X-WR-CALNAME"]) == "My talks (Ada Lovelace)"
    events = _events(calendar)
    assert [str(e["SUMMARY"]) for e in events] == [
        "ML Club: GANs (Ada Lovelace)",
        "Secret reading group: VAEs (Ada Lovelace)",
    ]
    assert events[1].start == datetime(2027, 7, 5, 14, tzinfo=LONDON)
    assert str(events[0]["UID"]) == f"meeting-{mine.meeting_id}@127.0.0.1"

    member_client.post(reverse("my-calendar-reset"))
    assert Client().get(url).status_code == 404


def test_my_talks_calendar_unknown_or_empty_token_is_404(client, member):
    assert client.get(reverse("my-talks-calendar", kwargs={"token": "nope"})).status_code == 404
    UserFactory(calendar_token="")
    assert client.get("/calendar/talks/.ics").status_code == 404


def test_calendar_time_zone_other_than_the_sites(client):
    series = SeriesFactory(slug="ny", time_zone="America/New_York")
    MeetingFactory(series=series, start=datetime(2027, 3, 15, 12, tzinfo=ZoneInfo("America/New_York")))

    calendar = _parse(client.get(reverse("series-calendar", kwargs={"slug": "ny"})))

    event = calendar.walk("VEVENT")[0]
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event.start.astimezone(UTC).hour == 16
    assert [tz.tz_name for tz in calendar.timezones] == ["America/New_York"]


# Built once per change, cached; conditional GETs


def test_series_calendar_is_cached_and_answers_304_until_the_series_changes(club, member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from meetings.services.series import meeting_save

    meeting = MeetingFactory(series=club, title="Kernels", start=datetime.now(UTC).replace(microsecond=0))
    TalkFactory(meeting=meeting, speaker=member, title="RKHS")
    url = reverse("series-calendar", kwargs={"slug": club.slug})
    client = Client()

    with CaptureQueriesContext(connection) as built:
        first = client.get(url)
    with CaptureQueriesContext(connection) as cached:
        second = client.get(url)
    etag = first["ETag"]

    assert first.status_code == second.status_code == 200
    assert second.content == first.content and b"SUMMARY:Kernels" in first.content
    assert second["ETag"] == etag and first["Last-Modified"]
    # The cached answer reads the series (and its organisers) and the fingerprint: no meetings, no talks.
    assert len(cached.captured_queries) == 3 < len(built.captured_queries)

    by_etag = client.get(url, HTTP_IF_NONE_MATCH=etag)
    by_date = client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert (by_etag.status_code, by_date.status_code) == (304, 304)
    assert by_etag.content == b"" and by_etag["ETag"] == etag

    meeting.title = "Gaussian processes"
    meeting_save(meeting=meeting)

    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert b"SUMMARY:Gaussian processes" in changed.content and b"Kernels" not in changed.content
    assert changed["ETag"] != etag

    TalkFactory(
        meeting=MeetingFactory(series=club, start=meeting.start),
        speaker=None,
        guest_name="Ada Guest",
        title="Talk 5",
    )
    added = client.get(url, HTTP_IF_NONE_MATCH=changed["ETag"])
    assert added.status_code == 200
    assert "Speaker: Ada Guest: Talk 5" in [
        str(e["DESCRIPTION"]).split("\n")[0] for e in _events(_parse(added))
    ]


def test_private_calendar_by_token_is_cached_per_series(client, private_series, member):
    token = calendars.series_calendar_token(series=private_series)
    MeetingFactory(series=private_series, title="Secret", start=datetime.now(UTC))
    url = reverse("series-calendar-private", kwargs={"slug": private_series.slug, "token": token})

    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and b"SUMMARY:Secret" in first.content
    assert again.status_code == 304
    assert again["Cache-Control"] == "private, max-age=300"
    wrong = reverse("series-calendar-private", kwargs={"slug": private_series.slug, "token": "x" * 20})
    assert client.get(wrong, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 404
