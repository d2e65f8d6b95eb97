import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from meetings.models import SwapRequest, Talk
from meetings.services import rota
from tests.factories import MeetingFactory, TalkFactory, UserFactory, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(series, member):
    return TalkFactory(
        meeting=MeetingFactory(series=series, start=local(2027, 1, 4)), speaker=member, title="GANs"
    )


@pytest.fixture
def theirs(series, other_member):
    return TalkFactory(
        meeting=MeetingFactory(series=series, start=local(2027, 1, 18)),
        speaker=other_member,
        title="Diffusion",
    )


def _meeting_of(talk):
    return Talk.objects.get(pk=talk.pk).meeting_id


def test_swap_asked_by_one_member_and_accepted_by_the_other_changes_both_meetings_and_emails_both(
    member_client, client, mine, theirs, member, other_member, mailoutbox, django_capture_on_commit_callbacks
):
    a, b = mine.meeting, theirs.meeting
    with django_capture_on_commit_callbacks(execute=True):
        asked = member_client.post(
            reverse("talk-swap-ask", kwargs={"pk": mine.pk}),
            {"to_talk": theirs.pk, "message": "Away that week"},
        )
    assert asked.status_code == 302
    swap = SwapRequest.objects.get()
    assert (swap.requested_by, swap.status, swap.message) == (member, "pending", "Away that week")
    assert [m.to for m in mailoutbox] == [["alan@example.org"]]
    assert mailoutbox[0].subject == "[IGR-data ML Club] Ada Lovelace asks to swap talks with you"
    assert "Away that week" in mailoutbox[0].body

    client.force_login(other_member)
    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(reverse("swap-decide", kwargs={"pk": swap.pk, "action": "accept"}))

    assert accepted["Location"] == reverse("series-rota", kwargs={"slug": a.series.slug})
    assert (_meeting_of(mine), _meeting_of(theirs)) == (b.pk, a.pk)
    swap.refresh_from_db()
    assert (swap.status, swap.decided_by) == ("accepted", other_member)
    decided = mailoutbox[1:]
    assert sorted(m.to[0] for m in decided) == ["ada@example.org", "alan@example.org"]
    assert {m.subject for m in decided} == {"[IGR-data ML Club] Talk swap done: your new date"}
    assert "Ada Lovelace now presents on Mon 18 Jan 2027" in decided[0].body
    assert "Alan Turing now presents on Mon 4 Jan 2027" in decided[0].body
    # Both agreed to their new dates.
    assert all(t.confirmed_at for t in Talk.objects.all())


def test_swap_declined_leaves_the_meetings_and_tells_the_one_who_asked(
    mine, theirs, member, other_member, mailoutbox, django_capture_on_commit_callbacks
):
    swap = rota.swap_request_ask(from_talk=mine, to_talk=theirs, by=member)

    with django_capture_on_commit_callbacks(execute=True):
        rota.swap_request_decline(swap=swap, by=other_member)

    assert (_meeting_of(mine), _meeting_of(theirs)) == (mine.meeting_id, theirs.meeting_id)
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]
    assert "was declined" in mailoutbox[0].body


def test_swap_approved_by_an_organiser_and_the_other_speaker_confirms_again(
    organiser_client, mine, theirs, member, mailoutbox, django_capture_on_commit_callbacks
):
    swap = rota.swap_request_ask(from_talk=mine, to_talk=theirs, by=member)

    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(reverse("swap-decide", kwargs={"pk": swap.pk, "action": "approve"}))

    swap.refresh_from_db()
    assert swap.status == "approved"
    assert (_meeting_of(mine), _meeting_of(theirs)) == (theirs.meeting_id, mine.meeting_id)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.confirmed_at is not None and theirs.confirmed_at is None
    subjects = sorted(m.subject for m in mailoutbox)
    assert "[Action required] confirm your talk on Mon 4 Jan 2027" in subjects
    assert subjects.count("[IGR-data ML Club] Talk swap done: your new date") == 2


def test_swap_answered_twice_changes_the_meetings_once(mine, theirs, member, other_member, organiser):
    swap = rota.swap_request_ask(from_talk=mine, to_talk=theirs, by=member)
    rota.swap_request_accept(swap=swap, by=other_member)

    with pytest.raises(ValidationError):
        rota.swap_request_approve(swap=SwapRequest.objects.get(pk=swap.pk), by=organiser)

    assert (_meeting_of(mine), _meeting_of(theirs)) == (theirs.meeting_id, mine.meeting_id)


def test_swap_refused_for_a_third_member_and_only_the_asked_speaker_accepts(client, mine, theirs, member):
    swap = rota.swap_request_ask(from_talk=mine, to_talk=theirs, by=member)
    client.force_login(UserFactory())

    for action in ("accept", "decline", "approve", "cancel"):
        client.post(reverse("swap-decide", kwargs={"pk": swap.pk, "action": action}))

    swap.refresh_from_db()
    assert swap.status == "pending"
    with pytest.raises(ValidationError):
        rota.swap_request_accept(swap=swap, by=member)


def test_swap_ask_page_only_for_the_speaker(client, member_client, mine, theirs, other_member):
    url = reverse("talk-swap-ask", kwargs={"pk": mine.pk})

    page = member_client.get(url)
    assert "Alan Turing" in page.content.decode()
    client.force_login(other_member)
    assert client.get(url).status_code == 403


def test_swap_ask_refuses_bad_targets(series, mine, theirs, member, other_member):
    past = TalkFactory(meeting=MeetingFactory(series=series, start=local(2020, 1, 6)), speaker=other_member)
    with pytest.raises(ValidationError):
        rota.swap_request_ask(from_talk=mine, to_talk=past, by=member)
    with pytest.raises(ValidationError):
        rota.swap_request_ask(from_talk=theirs, to_talk=mine, by=member)
    rota.swap_request_ask(from_talk=mine, to_talk=theirs, by=member)
    with pytest.raises(ValidationError, match="already asked"):
        rota.swap_request_ask(from_talk=mine, to_talk=theirs, by=member)


def test_swap_withdrawn_by_the_one_who_asked(member_client, mine, theirs, member):
    swap = rota.swap_request_ask(from_talk=mine, to_talk=theirs, by=member)

    member_client.post(reverse("swap-decide", kwargs={"pk": swap.pk, "action": "cancel"}))

    swap.refresh_from_db()
    assert swap.status == "cancelled"
    assert (_meeting_of(mine), _meeting_of(theirs)) == (mine.meeting_id, theirs.meeting_id)


def test_swap_email_tasks_redelivered_send_each_email_once(
    mine, theirs, member, other_member, mailoutbox, django_capture_on_commit_callbacks
):
    from meetings.tasks import swap_request_send_email

    with django_capture_on_commit_callbacks(execute=True):
        swap = rota.swap_request_ask(from_talk=mine, to_talk=theirs, by=member)
    swap_request_send_email(swap_id=swap.pk, event="asked")  # redelivered
    with django_capture_on_commit_callbacks(execute=True):
        rota.swap_request_accept(swap=swap, by=other_member)
    swap_request_send_email(swap_id=swap.pk, event="decided")  # redelivered

    assert [m.to[0] for m in mailoutbox][:1] == ["alan@example.org"]
    assert len(mailoutbox) == 3
