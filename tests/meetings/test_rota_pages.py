from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings.models import SkipDate, SwapRequest, Talk, TalkReminder, Unavailability
from meetings.services import rota
from tests.factories import MeetingFactory, SeriesFactory, TalkFactory, UserFactory, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def rota_rows(series, member, other_member):
    talks = []
    for day, speaker in [(4, member), (11, other_member), (18, member), (25, other_member)]:
        meeting = MeetingFactory(series=series, start=local(2027, 1, day), title=f"Week {day}")
        talks.append(TalkFactory(meeting=meeting, speaker=speaker))
    Talk.objects.filter(pk=talks[1].pk).update(confirmed_at=timezone.now())
    rota.rota_cancel(meeting=talks[3].meeting, by=None)
    MeetingFactory(series=series, start=local(2020, 1, 6), title="Long ago")
    return talks


def _rota(series):
    return reverse("series-rota", kwargs={"slug": series.slug})


def test_rota_page_shows_dates_speakers_confirmation_and_swaps(
    client, series, rota_rows, member, other_member
):
    rota.swap_request_ask(from_talk=rota_rows[0], to_talk=rota_rows[1], by=member)
    client.force_login(other_member)

    response = client.get(_rota(series))

    html = response.content.decode()
    assert [m.title for m, _ in response.context["rows"]] == ["Week 4", "Week 11", "Week 18", "Week 25"]
    assert "Long ago" not in html
    assert html.count('<span class="badge ok">confirmed</span>') == 1
    assert html.count('<span class="badge warn">not confirmed</span>') == 2
    assert '<span class="badge bad">cancelled</span>' in html
    assert "swap asked with Alan Turing" in html
    assert "Accept swap" in html
    assert "css/rota.css" in html
    assert "Generate a term" not in html


def test_rota_page_for_organisers_lists_who_has_not_confirmed_and_edit_controls(
    organiser_client, series, rota_rows
):
    html = organiser_client.get(_rota(series)).content.decode()

    assert "Not confirmed yet:" in html
    assert "Ada Lovelace (4 Jan 2027, Week 4)" in html
    assert "Generate a term" in html and "Reassign" in html and "Swap speakers" in html


def test_rota_page_query_count_is_fixed(
    organiser_client, series, rota_rows, member, django_assert_max_num_queries
):
    rota.swap_request_ask(from_talk=rota_rows[0], to_talk=rota_rows[1], by=member)
    for day in range(1, 20):
        TalkFactory(meeting=MeetingFactory(series=series, start=local(2027, 2, day)), speaker=UserFactory())

    with django_assert_max_num_queries(12):
        response = organiser_client.get(_rota(series))

    assert len(response.context["rows"]) == 23


def test_rota_page_of_members_only_series_is_404_for_visitors(client, private_series):
    assert client.get(_rota(private_series)).status_code == 404


def test_rota_page_for_visitors_of_a_public_series_has_no_actions(client, series, rota_rows):
    html = client.get(_rota(series)).content.decode()

    assert "Ada Lovelace" in html
    assert "Confirm my talk" not in html and "Reassign" not in html


def test_availability_page_marks_and_removes_dates(member_client, member, series):
    url = reverse("rota-availability")

    member_client.post(
        url, {"action": "add", "date": "2027-02-01", "series": series.pk, "note": "Conference"}
    )
    member_client.post(url, {"action": "add", "date": "2027-02-08", "series": "", "note": ""})

    marks = list(Unavailability.objects.filter(user=member).values_list("date", "series", "note"))
    assert marks == [(date(2027, 2, 1), series.pk, "Conference"), (date(2027, 2, 8), None, "")]
    page = member_client.get(url).content.decode()
    assert "Mon 1 Feb 2027 · IGR-data ML Club · Conference" in page
    assert "Mon 8 Feb 2027 · any series" in page

    member_client.post(url, {"action": "remove", "pk": Unavailability.objects.get(date=date(2027, 2, 8)).pk})
    assert Unavailability.objects.filter(user=member).count() == 1


def test_availability_page_refuses_a_past_date(member_client, member):
    response = member_client.post(reverse("rota-availability"), {"action": "add", "date": "2020-01-01"})

    assert response.status_code == 400
    assert "Choose today or a later date." in response.content.decode()
    assert not Unavailability.objects.exists()


def test_availability_page_opts_in_and_out_of_the_pool(member_client, member, series):
    other = SeriesFactory(name="Robotics", slug="robotics")
    url = reverse("rota-availability")

    member_client.post(url, {"action": "opt-in", "series": series.pk})
    assert list(series.speaker_pool.all()) == [member]
    member_client.post(url, {"action": "opt-out", "series": series.pk})
    assert not series.speaker_pool.exists()
    # Not a member of that one: refused.
    assert member_client.post(url, {"action": "opt-in", "series": other.pk}).status_code == 400
    assert not other.speaker_pool.exists()


def test_availability_page_needs_sign_in(client):
    assert client.get(reverse("rota-availability"))["Location"].startswith(reverse("login"))


def test_marked_date_then_generated_term_leaves_the_member_out(
    member_client, organiser, member, other_member, series
):
    series.anchor_date = date(2027, 1, 4)
    series.save()
    series.speaker_pool.set([member, other_member])
    member_client.post(reverse("rota-availability"), {"action": "add", "date": "2027-01-04"})

    preview = rota.rota_preview(
        series=series, start=date(2027, 1, 4), end=date(2027, 1, 4), pool=[member, other_member]
    )

    assert preview.new_rows[0].speaker == other_member


def test_admin_lists_the_rota_models(client, series, rota_rows, member):
    staff = UserFactory(is_staff=True, is_superuser=True)
    SkipDate.objects.create(series=series, date=date(2027, 4, 5), reason="Easter")
    Unavailability.objects.create(user=member, date=date(2027, 4, 12))
    TalkReminder.objects.create(talk=rota_rows[0], days_before=7)
    rota.swap_request_ask(from_talk=rota_rows[0], to_talk=rota_rows[1], by=member)
    admin = Client()
    admin.force_login(staff)

    for model in ("skipdate", "unavailability", "talkreminder", "swaprequest"):
        response = admin.get(reverse(f"admin:meetings_{model}_changelist"))
        assert response.status_code == 200, model
    series_page = admin.get(reverse("admin:meetings_series_change", args=[series.pk])).content.decode()
    assert "Easter" in series_page and "speaker_pool" in series_page and "anchor_date" in series_page
    assert SwapRequest.objects.count() == 1


def test_series_form_has_the_schedule_fields(organiser_client, series):
    response = organiser_client.post(
        reverse("series-edit", kwargs={"slug": series.slug}),
        {
            "name": series.name,
            "slug": series.slug,
            "visibility": "public",
            "time_zone": "Europe/London",
            "schedule": "monthly",
            "cadence_weeks": 2,
            "anchor_date": "",
            "month_week": -1,
            "weekday": 4,
            "start_time": "16:00",
            "default_duration": 60,
        },
    )

    assert response.status_code == 302
    series.refresh_from_db()
    assert (series.schedule, series.month_week, series.weekday) == ("monthly", -1, 4)
    assert rota.schedule_dates(series=series, start=date(2027, 1, 1), end=date(2027, 2, 28)) == [
        date(2027, 1, 29),
        date(2027, 2, 26),
    ]
