from datetime import UTC, timedelta
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.models import Meeting, Series, Talk
from meetings.services.minutes import minutes_save
from tests.factories import MeetingFactory, SeriesFactory, TalkFactory, UserFactory, local

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _many_meetings(series, count=25):
    now = timezone.now()
    meetings = []
    for index in range(count):
        meeting = MeetingFactory(series=series, start=now + timedelta(days=14 * (index - count // 2)))
        TalkFactory(meeting=meeting)
        TalkFactory(meeting=meeting, speaker=None, guest_name="Guest Speaker")
        meetings.append(meeting)
    return meetings


# Dashboard


def test_dashboard_shows_next_meeting_of_each_series_with_speakers(client, series, member):
    other = SeriesFactory(name="Vision reading group")
    MeetingFactory(series=series, start=timezone.now() - timedelta(days=3), title="Past one")
    soon = MeetingFactory(series=series, start=timezone.now() + timedelta(days=2), title="Diffusion models")
    MeetingFactory(series=series, start=timezone.now() + timedelta(days=16), title="Later one")
    TalkFactory(meeting=soon, speaker=member, title="Score matching")
    MeetingFactory(series=other, start=timezone.now() + timedelta(days=5), title="ViTs")

    content = client.get(reverse("dashboard")).content.decode()

    assert "Diffusion models" in content and "ViTs" in content
    assert "Later one" not in content and "Past one" not in content
    assert "<strong>Ada Lovelace</strong>: “Score matching”" in content


def test_dashboard_hides_members_only_series_from_visitors(client, private_series):
    MeetingFactory(series=private_series, title="Hidden meeting")

    content = client.get(reverse("dashboard")).content.decode()

    assert "Hidden meeting" not in content
    assert "Secret reading group" not in content


def test_dashboard_lists_latest_minutes(member_client, series, member):
    meeting = MeetingFactory(series=series, title="Transformers")
    minutes_save(meeting=meeting, kind="recap", body="done", base_revision=0, by=member)

    content = member_client.get(reverse("dashboard")).content.decode()

    assert f'href="{meeting.get_absolute_url()}#recap"' in content
    assert "Post-meeting recap: " in content


def test_dashboard_empty_states_say_what_to_do(client, db):
    content = client.get(reverse("dashboard")).content.decode()

    assert "No meetings are scheduled." in content
    assert "Nobody has written minutes yet." in content


def test_dashboard_query_count_is_fixed(client, member, django_assert_max_num_queries):
    for _ in range(6):
        _many_meetings(SeriesFactory(), count=6)
    client.force_login(member)

    # 11 before the paper queue, which adds its top five per series and "what I voted for".
    with django_assert_max_num_queries(13):
        client.get(reverse("dashboard"))


# Series list and page


def test_series_list_shows_visible_series_with_next_date(client, series, private_series):
    MeetingFactory(series=series, start=local(2031, 3, 3, 14, 0))

    content = client.get(reverse("series-list")).content.decode()

    assert "IGR-data ML Club" in content
    assert "Mon 3 Mar 2031, 14:00" in content
    assert "Secret reading group" not in content


def test_series_list_shows_members_only_series_to_members(member_client, private_series):
    content = member_client.get(reverse("series-list")).content.decode()

    assert "Secret reading group" in content
    assert "members only" in content


def test_series_page_lists_upcoming_and_paginates_past_newest_first(client, series):
    now = timezone.now()
    for weeks in range(1, 13):
        MeetingFactory(series=series, start=now - timedelta(weeks=weeks), title=f"Past {weeks:02d}")
    MeetingFactory(series=series, start=now + timedelta(days=3), title="Coming up")

    first = client.get(series.get_absolute_url()).content.decode()
    second = client.get(series.get_absolute_url(), {"page": 2}).content.decode()

    assert "Coming up" in first
    assert first.index("Past 01") < first.index("Past 02")
    assert "Past 10" in first and "Past 11" not in first
    assert "Past 11" in second and "Past 12" in second and "Past 01" not in second
    assert "Page 1 of 2" in first


def test_series_page_members_only_is_404_for_visitors_and_shown_to_members(client, private_series, member):
    assert client.get(private_series.get_absolute_url()).status_code == 404
    client.force_login(member)
    assert "Secret reading group" in client.get(private_series.get_absolute_url()).content.decode()


def test_series_page_shows_organiser_actions_only_to_organisers(client, series, member, organiser):
    client.force_login(member)
    as_member = client.get(series.get_absolute_url()).content.decode()
    client.force_login(organiser)
    as_organiser = client.get(series.get_absolute_url()).content.decode()

    assert "Schedule a meeting" not in as_member
    assert "Schedule a meeting" in as_organiser
    assert "Grace Hopper" in as_member  # organisers listed


def test_series_page_query_count_is_fixed(client, series, django_assert_max_num_queries):
    _many_meetings(series, count=40)

    with django_assert_max_num_queries(12):
        client.get(series.get_absolute_url())


# Creating and editing series


def test_series_create_by_organiser_makes_them_organiser(organiser_client, series, organiser):
    response = organiser_client.post(
        reverse("series-create"),
        {
            "name": "Causality reading group",
            "slug": "causality",
            "description": "We read *Pearl*.",
            "visibility": "members",
            "organisers": [organiser.pk],
            "time_zone": "Europe/Berlin",
            "cadence_weeks": 1,
            "weekday": 2,
            "start_time": "16:30",
            "default_duration": 90,
        },
    )

    created = Series.objects.get(slug="causality")
    assert response["Location"] == created.get_absolute_url()
    assert list(created.organisers.all()) == [organiser]
    assert created.description_html == "<p>We read <em>Pearl</em>.</p>"
    assert created.default_duration == timedelta(minutes=90)


def test_series_create_refused_for_plain_members(member_client, series):
    response = member_client.get(reverse("series-create"))

    assert response.status_code == 403


def test_series_create_invalid_keeps_typed_values(organiser_client, series):
    response = organiser_client.post(
        reverse("series-create"), {"name": "Typed name", "slug": "ml-club", "cadence_weeks": 9}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert 'value="Typed name"' in content
    assert "Series with this Slug already exists." in content
    assert "Ensure this value is less than or equal to 4." in content


def test_series_edit_allowed_for_its_organiser_only(client, series, organiser, member):
    other_organiser = UserFactory()
    SeriesFactory(organisers=[other_organiser])
    url = reverse("series-edit", kwargs={"slug": series.slug})

    client.force_login(member)
    assert client.get(url).status_code == 403
    client.force_login(other_organiser)
    assert client.get(url).status_code == 403
    client.force_login(organiser)
    assert 'value="IGR-data ML Club"' in client.get(url).content.decode()


def test_series_edit_by_visitor_redirects_to_sign_in(client, series):
    response = client.get(reverse("series-edit", kwargs={"slug": series.slug}))

    assert response["Location"].startswith(reverse("login"))


# Meeting page


def test_meeting_page_shows_when_where_speakers_links_and_documents(client, series, member):
    meeting = MeetingFactory(
        series=series,
        start=local(2030, 10, 12, 14, 0),
        title="Gravity Spy",
        location="Room 312",
        video_link="https://zoom.us/j/123",
        recording_link="https://example.org/recording",
        agenda="1. intro\n2. paper",
    )
    from meetings.services.series import meeting_save

    meeting_save(meeting=meeting)
    TalkFactory(meeting=meeting, speaker=member, title="Glitch classification")
    TalkFactory(meeting=meeting, speaker=None, guest_name="Christine Simpson", title="")
    minutes_save(
        meeting=meeting, kind="minutes", body="- PyTorch is the way forward", base_revision=0, by=member
    )

    content = client.get(meeting.get_absolute_url()).content.decode()

    assert "Sat 12 Oct 2030, 14:00" in content
    assert "Room 312" in content
    assert 'href="https://zoom.us/j/123"' in content
    assert 'href="https://example.org/recording"' in content
    assert "<strong>Ada Lovelace</strong>: “Glitch classification”" in content
    assert "<strong>Christine Simpson</strong>" in content
    assert "<li>intro</li>" in content
    assert "<li>PyTorch is the way forward</li>" in content
    assert "No post-meeting recap yet." in content


def test_meeting_page_times_are_in_the_series_time_zone(client):
    series = SeriesFactory(time_zone="America/New_York")
    meeting = MeetingFactory(series=series, start=local(2030, 1, 7, 14, 0, zone="America/New_York"))

    content = client.get(meeting.get_absolute_url()).content.decode()

    assert "Mon 7 Jan 2030, 14:00" in content


def test_meeting_page_links_previous_and_next(client, series):
    first = MeetingFactory(series=series, start=local(2030, 1, 7), title="One")
    second = MeetingFactory(series=series, start=local(2030, 1, 21), title="Two")
    third = MeetingFactory(series=series, start=local(2030, 2, 4), title="Three")

    content = client.get(second.get_absolute_url()).content.decode()

    assert f'href="{first.get_absolute_url()}" rel="prev"' in content
    assert f'href="{third.get_absolute_url()}" rel="next"' in content


def test_meeting_page_undated_meetings_follow_dated_ones_in_order(client, series):
    dated = MeetingFactory(series=series, start=local(2030, 1, 7), title="Dated")
    first = MeetingFactory(series=series, start=None, sequence=1, title="Session 1")
    second = MeetingFactory(series=series, start=None, sequence=2, title="Session 2")

    content = client.get(first.get_absolute_url()).content.decode()

    assert f'href="{dated.get_absolute_url()}" rel="prev"' in content
    assert f'href="{second.get_absolute_url()}" rel="next"' in content
    assert "Date to be set" in content


def test_meeting_page_members_only_is_404_for_visitors(client, private_series):
    meeting = MeetingFactory(series=private_series)

    assert client.get(meeting.get_absolute_url()).status_code == 404


def test_meeting_page_wrong_series_slug_is_404(client, series):
    meeting = MeetingFactory(series=series)
    other = SeriesFactory()

    response = client.get(reverse("meeting-detail", kwargs={"slug": other.slug, "pk": meeting.pk}))

    assert response.status_code == 404


def test_meeting_page_query_count_is_fixed(client, series, member, django_assert_max_num_queries):
    meetings = _many_meetings(series, count=10)
    meeting = meetings[5]
    for number in range(20):
        minutes_save(meeting=meeting, kind="minutes", body=f"v{number}", base_revision=number, by=member)
    for _ in range(8):
        TalkFactory(meeting=meeting)
    client.force_login(member)

    # 12 before the paper queue, which adds "suggested by … with N votes" for the talks.
    with django_assert_max_num_queries(13):
        client.get(meeting.get_absolute_url())


# Creating and editing meetings


def _meeting_data(**overrides):
    data = {
        "meeting-title": "Diffusion models",
        "meeting-start": "2030-03-31T14:00",
        "meeting-duration": "90",
        "meeting-status": "scheduled",
        "meeting-location": "Room 312",
        "meeting-video_link": "",
        "meeting-recording_link": "",
        "meeting-agenda": "Read **DDPM** first",
        "talks-TOTAL_FORMS": "2",
        "talks-INITIAL_FORMS": "0",
        "talks-MIN_NUM_FORMS": "0",
        "talks-MAX_NUM_FORMS": "20",
        "talks-0-speaker": "",
        "talks-0-guest_name": "Yang Song",
        "talks-0-title": "Score-based models",
        "talks-1-speaker": "",
        "talks-1-guest_name": "",
        "talks-1-title": "",
    }
    data.update(overrides)
    return data


def test_meeting_create_by_organiser_in_series_time_zone(organiser_client, series, member):
    series.time_zone = "Europe/London"
    series.save()

    response = organiser_client.post(
        reverse("meeting-create", kwargs={"slug": series.slug}),
        _meeting_data(**{"talks-1-speaker": str(member.pk), "talks-1-title": "Intro"}),
    )

    meeting = Meeting.objects.get(series=series, title="Diffusion models")
    assert response["Location"] == meeting.get_absolute_url()
    # 31 March 2030 is after the clocks change: 14:00 BST is 13:00 UTC.
    assert meeting.start == local(2030, 3, 31, 14, 0)
    assert meeting.start.astimezone(UTC).hour == 13
    assert meeting.duration == timedelta(minutes=90)
    assert meeting.agenda_html == "<p>Read <strong>DDPM</strong> first</p>"
    talks = [(t.speaker, t.guest_name, t.title, t.order) for t in meeting.talks.all()]
    assert talks == [(None, "Yang Song", "Score-based models", 0), (member, "", "Intro", 1)]


def test_meeting_create_without_date_is_undated(organiser_client, series):
    organiser_client.post(
        reverse("meeting-create", kwargs={"slug": series.slug}), _meeting_data(**{"meeting-start": ""})
    )

    assert Meeting.objects.get(series=series).start is None


def test_meeting_create_talk_with_member_and_guest_is_rejected_keeping_input(
    organiser_client, series, member
):
    response = organiser_client.post(
        reverse("meeting-create", kwargs={"slug": series.slug}),
        _meeting_data(**{"talks-0-speaker": str(member.pk)}),
    )

    content = response.content.decode()
    assert "Choose a member or write a guest&#x27;s name, not both." in content
    assert 'value="Diffusion models"' in content
    assert not Meeting.objects.exists()


def test_meeting_create_refused_for_members_and_visitors(client, series, member):
    url = reverse("meeting-create", kwargs={"slug": series.slug})

    anonymous = client.post(url, _meeting_data())
    client.force_login(member)
    as_member = client.post(url, _meeting_data())

    assert anonymous["Location"].startswith(reverse("login"))
    assert as_member.status_code == 403
    assert not Meeting.objects.exists()


def test_meeting_edit_updates_and_removes_talks(organiser_client, series, member):
    meeting = MeetingFactory(series=series, title="Old")
    talk = TalkFactory(meeting=meeting, speaker=member)
    data = _meeting_data(
        **{
            "meeting-title": "New",
            "meeting-status": "held",
            "talks-TOTAL_FORMS": "1",
            "talks-INITIAL_FORMS": "1",
            "talks-0-id": str(talk.pk),
            "talks-0-meeting": str(meeting.pk),
            "talks-0-speaker": str(member.pk),
            "talks-0-guest_name": "",
            "talks-0-title": "",
            "talks-0-DELETE": "on",
        }
    )

    organiser_client.post(reverse("meeting-edit", kwargs={"slug": series.slug, "pk": meeting.pk}), data)

    meeting.refresh_from_db()
    assert (meeting.title, meeting.status) == ("New", "held")
    assert not Talk.objects.filter(pk=talk.pk).exists()


@pytest.mark.parametrize("visibility", [Series.Visibility.PUBLIC, Series.Visibility.MEMBERS])
def test_meeting_edit_page_reads_the_speakers_once_whatever_the_number_of_talks(
    organiser_client, series, visibility
):
    """The speaker menu of every talk form comes from one query: 4 talks or 16, the same count."""
    series.visibility = visibility
    series.save()
    counts = []
    for talks in (4, 16):
        meeting = MeetingFactory(series=series, title=f"With {talks} talks")
        speakers = [UserFactory(display_name=f"Speaker {talks}-{n}") for n in range(talks)]
        series.members.add(*speakers)
        for n, speaker in enumerate(speakers):
            TalkFactory(meeting=meeting, speaker=speaker, title=f"Talk {talks}-{n}")
        url = reverse("meeting-edit", kwargs={"slug": series.slug, "pk": meeting.pk})
        with CaptureQueriesContext(connection) as captured:
            response = organiser_client.get(url)
        assert response.status_code == 200
        content = response.content.decode()
        assert f'value="Talk {talks}-{talks - 1}"' in content
        # Every form offers every speaker (talks + 2 extra forms, each listing all of them).
        assert content.count(f">Speaker {talks}-0</option>") == talks + 2
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


def test_meeting_edit_refused_for_members(member_client, series):
    meeting = MeetingFactory(series=series, title="Keep")

    response = member_client.post(
        reverse("meeting-edit", kwargs={"slug": series.slug, "pk": meeting.pk}), _meeting_data()
    )

    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.title == "Keep"


# Feed


def test_minutes_feed_lists_meetings_with_minutes(client, series, member):
    with_minutes = MeetingFactory(series=series, start=local(2030, 1, 7), title="With minutes")
    MeetingFactory(series=series, start=local(2030, 1, 21), title="Without")
    minutes_save(meeting=with_minutes, kind="minutes", body="We read **BERT**", base_revision=0, by=member)

    response = client.get(reverse("series-minutes-feed", kwargs={"slug": series.slug}))

    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [with_minutes.label]
    assert "<strong>BERT</strong>" in entries[0].find(f"{ATOM}summary").text


def test_minutes_feed_of_members_only_series_is_404_for_visitors(client, private_series):
    assert client.get(reverse("series-minutes-feed", kwargs={"slug": private_series.slug})).status_code == 404


def test_minutes_feed_query_count_is_fixed(client, series, member, django_assert_max_num_queries):
    for meeting in _many_meetings(series, count=15):
        minutes_save(meeting=meeting, kind="minutes", body="x", base_revision=0, by=member)

    with django_assert_max_num_queries(12):
        client.get(reverse("series-minutes-feed", kwargs={"slug": series.slug}))


# Admin


@pytest.mark.parametrize(
    "name", ["series", "meeting", "talk", "minutes", "minutesrevision", "invitation", "user"]
)
def test_admin_changelists_render_with_search(admin_client, series, member, name):
    meeting = MeetingFactory(series=series, title="Findable")
    TalkFactory(meeting=meeting)
    minutes_save(meeting=meeting, kind="minutes", body="Findable text", base_revision=0, by=member)

    response = admin_client.get(reverse(f"admin:meetings_{name}_changelist"), {"q": "Findable"})

    assert response.status_code == 200
    assert b'id="changelist-search"' in response.content


def test_series_edit_sets_the_speaker_pool_and_checks_monthly_rules(
    organiser_client, series, member, organiser
):
    url = reverse("series-edit", kwargs={"slug": series.slug})
    data = {
        "name": series.name,
        "slug": series.slug,
        "visibility": "public",
        "organisers": [organiser.pk],
        "speaker_pool": [member.pk],
        "time_zone": "Europe/London",
        "schedule": "weeks",
        "cadence_weeks": 2,
        "weekday": 0,
        "start_time": "14:00",
        "default_duration": 60,
    }

    organiser_client.post(url, data)
    refused = organiser_client.post(url, {**data, "schedule": "monthly", "month_week": ""})

    assert list(series.speaker_pool.all()) == [member]
    assert "Say which week of the month the series meets." in refused.content.decode()
