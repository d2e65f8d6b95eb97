import re
from datetime import timedelta

import pytest
from django.urls import reverse

from meetings.models import Talk, TalkReminder
from meetings.services import rota
from meetings.tasks import talk_confirmation_send, talk_reminders_send
from tests.factories import MeetingFactory, TalkFactory, local

pytestmark = pytest.mark.django_db
CONFIRM_LINK = re.compile(r"http://\S+/talks/confirm/\S+/")


@pytest.fixture
def talk(series, member):
    return TalkFactory(meeting=MeetingFactory(series=series, start=local(2027, 3, 15)), speaker=member)


# Confirmation


def test_confirmation_email_goes_once_with_a_link_that_confirms_without_signing_in(client, talk, mailoutbox):
    assert talk_confirmation_send(talk_id=talk.pk) is True
    assert talk_confirmation_send(talk_id=talk.pk) is False

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.subject == "[Action required] confirm your talk on Mon 15 Mar 2027"
    assert "Mon 15 Mar 2027 at 14:00 (Europe/London)" in email.body
    link = CONFIRM_LINK.search(email.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    shown = client.get("/" + path)
    assert "Confirm my talk" in shown.content.decode()
    talk.refresh_from_db()
    assert talk.confirmed_at is None  # looking at the link (a mail scanner) does not confirm

    done = client.post("/" + path)
    assert done["Location"] == talk.meeting.get_absolute_url()
    talk.refresh_from_db()
    assert talk.confirmed_at is not None


def test_confirmation_link_stops_working_when_the_talk_is_reassigned(client, talk, other_member, organiser):
    token = rota.talk_confirm_token(talk=talk)
    rota.rota_reassign(meeting=talk.meeting, speaker=other_member, by=organiser)

    response = client.post(reverse("talk-confirm-token", kwargs={"token": token}))

    assert response.status_code == 410
    talk.refresh_from_db()
    assert talk.confirmed_at is None


def test_confirmation_link_forged_is_refused(client, talk):
    response = client.get(reverse("talk-confirm-token", kwargs={"token": f"{talk.pk}.{talk.speaker_id}:x:y"}))

    assert response.status_code == 410


def test_confirm_my_talk_button_only_for_the_speaker(client, talk, member, other_member):
    url = reverse("talk-confirm", kwargs={"pk": talk.pk})
    client.force_login(other_member)
    assert client.post(url).status_code == 403
    talk.refresh_from_db()
    assert talk.confirmed_at is None

    client.force_login(member)
    client.post(url)
    talk.refresh_from_db()
    assert talk.confirmed_at is not None


def test_meeting_page_shows_confirmation_status_and_the_speakers_button(
    member_client, client, talk, other_member
):
    page = member_client.get(talk.meeting.get_absolute_url()).content.decode()
    assert "not confirmed" in page and "Confirm my talk" in page and "Ask to swap" in page

    client.force_login(other_member)
    page = client.get(talk.meeting.get_absolute_url()).content.decode()
    assert "not confirmed" in page and "Confirm my talk" not in page


def test_confirmation_not_sent_to_members_who_opted_out(talk, member, mailoutbox):
    member.notify_speaker = False
    member.save()

    assert talk_confirmation_send(talk_id=talk.pk) is False
    assert mailoutbox == []


# Reminders


def test_reminder_task_run_twice_sends_each_reminder_once(settings, talk, series, other_member, mailoutbox):
    settings.SPEAKER_REMINDER_DAYS = [7, 1]
    tomorrow = TalkFactory(
        meeting=MeetingFactory(series=series, start=local(2027, 3, 9)), speaker=other_member
    )
    now = local(2027, 3, 8, 15)

    assert rota.talk_reminders_send(now=now) == 2
    assert rota.talk_reminders_send(now=now) == 0
    assert talk_reminders_send.delay().get() == 0  # the beat task itself, at the real time: nothing due

    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        ("ada@example.org", "[IGR-data ML Club] Reminder: your talk is in 7 days (Mon 15 Mar 2027)"),
        ("alan@example.org", "[IGR-data ML Club] Reminder: your talk is tomorrow (Tue 9 Mar 2027)"),
    ]
    assert sorted(TalkReminder.objects.values_list("talk_id", "days_before")) == sorted(
        [(talk.pk, 7), (tomorrow.pk, 1)]
    )

    mailoutbox.clear()
    assert rota.talk_reminders_send(now=local(2027, 3, 14, 15)) == 1
    assert rota.talk_reminders_send(now=local(2027, 3, 14, 16)) == 0
    assert [m.subject for m in mailoutbox] == [
        "[IGR-data ML Club] Reminder: your talk is tomorrow (Mon 15 Mar 2027)"
    ]


def test_reminder_not_sent_before_it_is_due_nor_for_cancelled_meetings(settings, talk, mailoutbox):
    settings.SPEAKER_REMINDER_DAYS = [7, 1]

    assert rota.talk_reminders_send(now=local(2027, 3, 8, 13)) == 0  # 7 days and 1 hour before
    talk.meeting.status = "cancelled"
    talk.meeting.save()
    assert rota.talk_reminders_send(now=local(2027, 3, 14, 15)) == 0
    assert mailoutbox == []


def test_reminder_that_fails_to_send_is_sent_by_the_next_run(settings, talk, mailoutbox, monkeypatch):
    settings.SPEAKER_REMINDER_DAYS = [7]
    now = local(2027, 3, 9)

    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(rota, "send_mail", broken)
    assert rota.talk_reminders_send(now=now) == 0
    assert not TalkReminder.objects.exists()

    monkeypatch.undo()
    assert rota.talk_reminders_send(now=now + timedelta(hours=1)) == 1
    assert len(mailoutbox) == 1
    assert TalkReminder.objects.get().talk == talk


def test_reminder_after_a_reassignment_goes_to_the_new_speaker(
    settings, talk, other_member, organiser, mailoutbox
):
    settings.SPEAKER_REMINDER_DAYS = [7]
    now = local(2027, 3, 9)
    rota.talk_reminders_send(now=now)

    rota.rota_reassign(meeting=talk.meeting, speaker=other_member, by=organiser)
    rota.talk_reminders_send(now=now + timedelta(hours=1))

    assert [m.to[0] for m in mailoutbox if "Reminder" in m.subject] == ["ada@example.org", "alan@example.org"]
    assert Talk.objects.get(pk=talk.pk).reminders.count() == 1
