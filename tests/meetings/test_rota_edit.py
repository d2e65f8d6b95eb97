from datetime import UTC, date

import pytest
from django.urls import reverse

from meetings.models import Meeting, SwapRequest, Talk, TalkReminder, Unavailability
from meetings.services import rota
from tests.factories import MeetingFactory, TalkFactory, UserFactory, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def first(series, member):
    meeting = MeetingFactory(series=series, start=local(2027, 1, 4))
    TalkFactory(meeting=meeting, speaker=member, title="GANs")
    return meeting


@pytest.fixture
def second(series, other_member):
    meeting = MeetingFactory(series=series, start=local(2027, 1, 18))
    TalkFactory(meeting=meeting, speaker=other_member, title="Diffusion")
    return meeting


def _speakers(*meetings):
    return [[t.speaker.username for t in Talk.objects.filter(meeting=m)] for m in meetings]


def test_rota_reassign_gives_the_slot_to_another_member_who_is_asked_to_confirm(
    first, organiser, other_member, mailoutbox, django_capture_on_commit_callbacks
):
    talk = first.talks.get()
    Talk.objects.filter(pk=talk.pk).update(confirmed_at=first.start)
    TalkReminder.objects.create(talk=talk, days_before=7)

    with django_capture_on_commit_callbacks(execute=True):
        rota.rota_reassign(meeting=first, speaker=other_member, by=organiser)

    talk.refresh_from_db()
    assert (talk.speaker, talk.confirmed_at) == (other_member, None)
    assert not TalkReminder.objects.filter(talk=talk).exists()
    assert [m.to for m in mailoutbox] == [["alan@example.org"]]
    assert mailoutbox[0].subject == "[Action required] confirm your talk on Mon 4 Jan 2027"


def test_rota_reassign_creates_a_talk_for_a_meeting_without_speaker(series, organiser, member):
    meeting = MeetingFactory(series=series, start=local(2027, 2, 1))

    rota.rota_reassign(meeting=meeting, speaker=member, by=organiser)

    assert _speakers(meeting) == [["ada"]]


def test_rota_reassign_refuses_a_member_unavailable_that_day(first, organiser, other_member):
    Unavailability.objects.create(user=other_member, date=date(2027, 1, 4))

    with pytest.raises(Exception, match="cannot present"):
        rota.rota_reassign(meeting=first, speaker=other_member, by=organiser)

    assert _speakers(first) == [["ada"]]


def test_rota_swap_exchanges_the_speakers_of_two_meetings(first, second, organiser):
    rota.rota_swap(first=first, second=second, by=organiser)

    assert _speakers(first, second) == [["alan"], ["ada"]]
    assert Talk.objects.get(meeting=second).title == "GANs"
    assert all(t.confirmed_at is None for t in Talk.objects.all())


def test_rota_swap_moves_a_talk_into_a_meeting_without_speaker(first, series, organiser):
    empty = MeetingFactory(series=series, start=local(2027, 2, 1))

    rota.rota_swap(first=first, second=empty, by=organiser)

    assert _speakers(first, empty) == [[], ["ada"]]


def test_rota_cancel_marks_the_meeting_cancelled_and_closes_its_swaps(first, second, organiser, member):
    swap = rota.swap_request_ask(from_talk=first.talks.get(), to_talk=second.talks.get(), by=member)

    rota.rota_cancel(meeting=first, by=organiser)

    first.refresh_from_db()
    swap.refresh_from_db()
    assert (first.status, swap.status) == (Meeting.Status.CANCELLED, SwapRequest.Status.CANCELLED)


def test_rota_move_keeps_the_local_time_across_a_clock_change(series, organiser, member):
    meeting = MeetingFactory(series=series, start=local(2027, 3, 22))
    TalkFactory(meeting=meeting, speaker=member)

    rota.rota_move(meeting=meeting, day=date(2027, 4, 5), by=organiser)

    meeting.refresh_from_db()
    assert meeting.start == local(2027, 4, 5)
    assert (meeting.local_start.hour, meeting.start.astimezone(UTC).hour) == (14, 13)


def test_rota_move_refuses_a_date_the_series_already_meets_or_the_speaker_marked(
    first, second, organiser, member
):
    with pytest.raises(Exception, match="already meets"):
        rota.rota_move(meeting=first, day=date(2027, 1, 18), by=organiser)
    Unavailability.objects.create(user=member, date=date(2027, 2, 1))
    with pytest.raises(Exception, match="cannot present"):
        rota.rota_move(meeting=first, day=date(2027, 2, 1), by=organiser)

    first.refresh_from_db()
    assert first.start == local(2027, 1, 4)


# The pages: organisers allowed, members and visitors refused


def test_rota_edit_views_work_for_organisers(organiser_client, series, first, second, other_member):
    slug = series.slug
    organiser_client.post(
        reverse("series-rota-reassign", kwargs={"slug": slug, "pk": first.pk}), {"speaker": other_member.pk}
    )
    assert _speakers(first) == [["alan"]]

    organiser_client.post(
        reverse("series-rota-swap", kwargs={"slug": slug}), {"first": first.pk, "second": second.pk}
    )
    assert _speakers(first, second) == [["alan"], ["alan"]]

    response = organiser_client.post(
        reverse("series-rota-move", kwargs={"slug": slug, "pk": first.pk}), {"date": "2027-01-11"}
    )
    assert response["Location"] == reverse("series-rota", kwargs={"slug": slug}) + f"#meeting-{first.pk}"
    first.refresh_from_db()
    assert first.start == local(2027, 1, 11)

    organiser_client.post(reverse("series-rota-cancel", kwargs={"slug": slug, "pk": first.pk}))
    first.refresh_from_db()
    assert first.status == "cancelled"


def test_rota_edit_view_shows_the_service_refusal(organiser_client, series, first, second):
    response = organiser_client.post(
        reverse("series-rota-move", kwargs={"slug": series.slug, "pk": first.pk}),
        {"date": "2027-01-18"},
        follow=True,
    )

    assert "The series already meets on 18 Jan 2027." in response.content.decode()


@pytest.mark.parametrize("name", ["series-rota-reassign", "series-rota-cancel", "series-rota-move"])
def test_rota_edit_views_refused_for_members_and_visitors(client, member, series, first, other_member, name):
    url = reverse(name, kwargs={"slug": series.slug, "pk": first.pk})
    data = {"speaker": other_member.pk, "date": "2027-02-01"}

    assert client.post(url, data)["Location"].startswith(reverse("login"))
    client.force_login(member)
    assert client.post(url, data).status_code == 403

    first.refresh_from_db()
    assert (first.status, first.start, _speakers(first)) == ("scheduled", local(2027, 1, 4), [["ada"]])


def test_rota_edit_of_a_members_only_series_refused_for_members_who_do_not_organise_it(
    client, private_series, organiser
):
    meeting = MeetingFactory(series=private_series, start=local(2027, 1, 4))
    stranger = UserFactory()
    client.force_login(stranger)

    response = client.post(
        reverse("series-rota-cancel", kwargs={"slug": private_series.slug, "pk": meeting.pk})
    )
    assert response.status_code == 404  # not a member: the series does not exist for them
    private_series.members.add(stranger)
    response = client.post(
        reverse("series-rota-cancel", kwargs={"slug": private_series.slug, "pk": meeting.pk})
    )
    assert response.status_code == 403  # a member, but not an organiser

    meeting.refresh_from_db()
    assert meeting.status == "scheduled"
